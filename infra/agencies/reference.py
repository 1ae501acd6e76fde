"""Reference data the simulated agencies draw from: regions, border points, employers.

KATO region prefixes are the first two digits of Kazakhstan's administrative
territorial classifier (2024 list, with Abai, Zhetisu and Ulytau regions).
Border point codes are the hub's own short codes; the border service's real
codes are not public.
"""

from __future__ import annotations

# KATO 2-digit region prefix -> region name
KATO_REGIONS: dict[str, str] = {
    "10": "Abai region",
    "11": "Akmola region",
    "15": "Aktobe region",
    "19": "Almaty region",
    "23": "Atyrau region",
    "27": "West Kazakhstan region",
    "31": "Zhambyl region",
    "33": "Zhetisu region",
    "35": "Karaganda region",
    "39": "Kostanay region",
    "43": "Kyzylorda region",
    "47": "Mangystau region",
    "55": "Pavlodar region",
    "59": "North Kazakhstan region",
    "61": "Turkistan region",
    "62": "Ulytau region",
    "63": "East Kazakhstan region",
    "71": "Astana",
    "75": "Almaty",
    "79": "Shymkent",
}
# Cities of republican significance draw most migrants; weights for region choice.
KATO_WEIGHTS: dict[str, int] = {k: (12 if k in {"71", "75", "79"} else 2) for k in KATO_REGIONS}


def kato_code(region: str, district: int = 0) -> str:
    """A 9-digit KATO code in ``region`` (district 0: the region itself)."""
    return f"{region}{district:02d}00000" if district else f"{region}0000000"


# (code, name, neighbour state or None for air/sea, transport mode)
BORDER_POINTS: tuple[tuple[str, str, str | None, str], ...] = (
    ("ALA-AIR", "Almaty International Airport", None, "AIR"),
    ("NQZ-AIR", "Astana International Airport", None, "AIR"),
    ("CIT-AIR", "Shymkent International Airport", None, "AIR"),
    ("KGZ-KORDAY", "Korday", "KGZ", "ROAD"),
    ("KGZ-AKZHOL", "Ak-Zhol", "KGZ", "ROAD"),
    ("UZB-ZHIBEK", "Zhibek Zholy", "UZB", "ROAD"),
    ("UZB-KAPLANBEK", "Kaplanbek", "UZB", "ROAD"),
    ("UZB-SARYAGASH", "Saryagash", "UZB", "RAIL"),
    ("CHN-NURZHOLY", "Nur Zholy (Khorgos)", "CHN", "ROAD"),
    ("CHN-DOSTYK", "Dostyk", "CHN", "RAIL"),
    ("RUS-KARAOZEK", "Karaozek", "RUS", "ROAD"),
    ("RUS-PETROPAVL", "Petropavlovsk", "RUS", "RAIL"),
    ("RUS-ZHAISAN", "Zhaisan", "RUS", "ROAD"),
    ("TKM-TEMIRBABA", "Temir Baba", "TKM", "ROAD"),
    ("AKT-SEA", "Aktau seaport", None, "SEA"),
)

# CIS member states (ISO 3166-1 alpha-3); the statistics feed splits CIS / non-CIS on this.
CIS_STATES: frozenset[str] = frozenset(
    {"ARM", "AZE", "BLR", "KAZ", "KGZ", "MDA", "RUS", "TJK", "UZB"}
)

# citizenship -> weight among people the agencies report on
CITIZENSHIP_WEIGHTS: dict[str, int] = {
    "KAZ": 30,
    "UZB": 20,
    "RUS": 15,
    "KGZ": 10,
    "TJK": 8,
    "CHN": 7,
    "TUR": 4,
    "AZE": 3,
    "DEU": 3,
}
# Partner states that run an exchange with the hub (one SOAP queue each).
PARTNER_STATES: tuple[str, ...] = ("UZB", "KGZ", "RUS", "TJK")

EMPLOYERS: tuple[str, ...] = (
    "ТОО «Алматы Құрылыс»",
    "АО «ҚазМұнайГаз»",
    "ТОО «Astana Build Group»",
    "ТОО «Шымкент Агро»",
    "ТОО «Caspian Logistics»",
    "АО «Kazakhtelecom»",
    "ТОО «Sino-Kaz Engineering»",
    "ТОО «Kamkor Service»",
    "ИП «Сейтқали А.»",
    "ТОО «Atyrau Oil Services»",
)
# NACE / OKED sections: F construction, A agriculture, B mining, C manufacturing,
# G trade, H transport, Q health, P education, J information and communication.
SECTORS: tuple[str, ...] = ("F", "F", "F", "A", "B", "C", "G", "H", "Q", "P", "J")
WORKER_CATEGORIES: tuple[str, ...] = (
    "CAT1",
    "CAT2",
    "CAT3",
    "CAT4",
    "SEASONAL",
    "INTRA_CORPORATE",
    "LABOUR_MIGRANT",
)
# Where partners register their citizens: (region, city) as the partner writes them.
PARTNER_REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "RUS": (
        ("Омская область", "Омск"),
        ("Оренбургская область", "Оренбург"),
        ("Новосибирская область", "Новосибирск"),
    ),
    "UZB": (("Ташкентская область", "Ташкент"), ("Самаркандская область", "Самарканд")),
    "KGZ": (("Чуйская область", "Бишкек"), ("Ошская область", "Ош")),
    "TJK": (("Согдийская область", "Худжанд"), ("Хатлонская область", "Бохтар")),
}
OCCUPATIONS: tuple[str, ...] = (
    "7112 Bricklayer",
    "8332 Truck driver",
    "2142 Civil engineer",
    "6111 Field crop grower",
    "7212 Welder",
    "2512 Software developer",
    "5120 Cook",
    "2221 Nurse",
)
VIOLATION_ARTICLES: tuple[str, ...] = ("517-1", "517-2", "518", "519", "496", "510")
QUOTA_YEARS: tuple[int, ...] = tuple(range(2020, 2028))
