"""A small labelled generator for measuring identity resolution and fact dedup.

People from Kazakhstan, Russia, Uzbekistan, Kyrgyzstan, Tajikistan and Turkey
get names in Cyrillic (or Turkish Latin), valid IINs and passport numbers; their
facts (border crossings, stays, work permits) are reported by several agencies
in the spellings real systems produce, with replays, corrections, stale
re-sends and partner notices of the same crossing. Every record carries its
ground truth (person and fact), so precision and recall can be computed.

The Latin variants are produced by per-letter tables written apart from the
product's :mod:`hub.intake.identity.translit` (nothing here imports it): the
passport-office, BGN/PCGN and GOST 7.79 columns of :mod:`infra.labelled.spellings`,
English usage, Central Asian short forms, Kazakh and Uzbek Latin, dropped double
letters, Turkish letters kept or reduced to ASCII, plus a small share of
German-style J spellings that the key is known not to fold. A partner's notice
carries the name as the person's passport prints it: one passport-office
system per person, the same on every notice.
Namesakes (same name, birth date and citizenship, different IIN) are included
on purpose, among citizens, whose records always carry their IIN: namesakes
known only by a name and unrelated documents cannot be told apart by anyone.
This is a measuring tool, not the agencies' simulator.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from hub.intake.identity.model import Document, PersonIdentifiers, PersonName
from infra.labelled.spellings import PASSPORT_SYSTEMS, SYSTEMS, spell, turkish

_POOLS: dict[str, tuple[list[str], list[str], list[str]]] = {
    # citizenship: (surnames (male form), male given names, female given names)
    "KAZ": (
        ["Ахметов", "Жұмабеков", "Қасымов", "Әбдірахманов", "Оспанов", "Төлеуов", "Байжанов",
         "Серікбаев", "Нұрланов", "Сейтқалиев", "Ғабитов", "Құрманов"],
        ["Қанат", "Нұрсұлтан", "Ержан", "Бауыржан", "Асылжан", "Ғалым", "Дәурен", "Айдос",
         "Жандос", "Ерлан"],
        ["Жанна", "Әсел", "Айгүл", "Гүлнар", "Динара", "Жұлдыз", "Ақбота", "Аружан", "Назым"],
    ),
    "RUS": (
        ["Иванов", "Смирнов", "Соловьёв", "Щукин", "Фёдоров", "Кузнецов", "Юдин", "Яковлев",
         "Зайцев", "Хабибуллин", "Подъячев", "Ильин"],
        ["Сергей", "Евгений", "Юрий", "Алексей", "Фёдор", "Дмитрий", "Илья", "Александр",
         "Пётр"],
        ["Юлия", "Наталья", "Дарья", "Татьяна", "Мария", "Елена", "Ксения", "Майя", "Софья"],
    ),
    "UZB": (
        ["Хасанов", "Юсупов", "Рахимов", "Джураев", "Ташматов", "Каримов", "Алиев", "Шарипов"],
        ["Джамшид", "Шухрат", "Бахтиёр", "Улугбек", "Жасур", "Фаррух", "Нуржон"],
        ["Гулноза", "Дильноза", "Мохира", "Шахноза", "Юлдуз"],
    ),
    "KGZ": (
        ["Токтогулов", "Жээнбеков", "Асанов", "Бакиев", "Эсенгулов", "Үсөнов"],
        ["Нурлан", "Алмазбек", "Эркин", "Таалай", "Өмүрбек"],
        ["Айпери", "Жылдыз", "Чолпон", "Нуриза"],
    ),
    "TJK": (
        ["Раҳмонов", "Шарифов", "Ғафуров", "Назаров", "Ҷӯраев", "Қодиров"],
        ["Фирдавс", "Шероз", "Ҳасан", "Ҷамшед", "Умед"],
        ["Мадина", "Нигора", "Фарангис", "Ситора"],
    ),
    "TUR": (
        ["Çelik", "Şahin", "Yılmaz", "Öztürk", "Doğan", "Güneş", "Kılıç"],
        ["Mehmet", "Gökhan", "Ömer", "Çağrı", "Uğur"],
        ["Ayşe", "Şule", "Büşra", "Gülşen"],
    ),
}

# Passport number formats per issuing state (prefix letters + digits).
_PASSPORT = {"KAZ": ("N", 8), "RUS": ("", 9), "UZB": ("AA", 7), "KGZ": ("AC", 7),
             "TJK": ("40", 7), "TUR": ("U", 8)}

# Document numbers handed out by the current generate() call.
_issued: set[str] = set()

# Shares of the spelling table's systems (infra.labelled.spellings.SYSTEMS order).
_SYSTEM_WEIGHTS = (3, 2, 3, 2, 1)

# Latin spelling styles: per-letter tables applied to lower-case Cyrillic.
_COMMON = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "з": "z", "и": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f",
    "ы": "y", "ь": "", "ъ": "", "э": "e", "ә": "a", "ө": "o", "ұ": "u", "ү": "u", "і": "i",
    "һ": "h", "ң": "n", "ғ": "g", "қ": "k", "ӣ": "i", "ӯ": "u", "ҳ": "h", "ҷ": "j",
}
_STYLES: dict[str, dict[str, str]] = {
    # English-language usage: Yu/Ya/Kh/Zh, й -> y, е -> e (ye word-initially, see below)
    "english": {**_COMMON, "е": "e", "ё": "yo", "ж": "zh", "й": "y", "х": "kh", "ц": "ts",
                "ч": "ch", "ш": "sh", "щ": "shch", "ю": "yu", "я": "ya"},
    # Short forms common in Central Asian records: H for Х, J for Ж, no apostrophes
    "central": {**_COMMON, "е": "e", "ё": "yo", "ж": "j", "й": "y", "х": "h", "ц": "ts",
                "ч": "ch", "ш": "sh", "щ": "sch", "ю": "yu", "я": "ya", "ғ": "gh"},
    # Kazakh Latin (2021) letters with diacritics; Q for Қ
    "kazlatin": {**_COMMON, "е": "e", "ё": "io", "ж": "j", "й": "i", "х": "h", "ц": "ts",
                 "ч": "ch", "ш": "sh", "щ": "shch", "ю": "iu", "я": "ia", "ә": "ä",
                 "ө": "ö", "ұ": "ū", "ү": "ü", "ң": "ñ", "ғ": "ğ", "қ": "q", "і": "ı"},
    # Uzbek Latin habits: Q, G', O'
    "uzlatin": {**_COMMON, "е": "e", "ё": "yo", "ж": "j", "й": "y", "х": "kh", "ц": "ts",
                "ч": "ch", "ш": "sh", "щ": "sh", "ю": "yu", "я": "ya", "қ": "q", "ғ": "g'",
                "ў": "o'"},
    # German usage: J glides (Jurij, Tatjana); the key is known not to fold these
    "german": {**_COMMON, "е": "e", "ё": "jo", "ж": "sch", "й": "j", "х": "ch", "ц": "z",
               "ч": "tsch", "ш": "sch", "щ": "schtsch", "ю": "ju", "я": "ja", "в": "w"},
}


def latin_variant(name: str, style: str, rng: random.Random) -> str:
    """One Latin spelling of a Cyrillic (or Turkish Latin) name in the given style."""
    if not any("\u0400" <= ch <= "\u04ff" for ch in name):
        text = turkish(name, rng)  # Turkish Latin: letters kept or reduced to ASCII
    elif style in SYSTEMS:
        text = spell(name, style)
    else:
        table = _STYLES[style]
        out = []
        for i, ch in enumerate(name.lower()):
            piece = table.get(ch, ch)
            after_vowel = i == 0 or name[i - 1].lower() in "аеиоуыэюяьъ"
            if ch == "е" and style == "english" and after_vowel:
                piece = "ye"
            out.append(piece)
        text = "".join(out)
        if style in ("english", "central") and text.endswith("iy") and rng.random() < 0.5:
            text = text[:-2] + "y"  # Evgeniy -> Evgeny
    if rng.random() < 0.1:  # dropped double letter (Zhanna -> Zhana)
        for i in range(len(text) - 1):
            if text[i] == text[i + 1] and text[i].isalpha():
                text = text[:i] + text[i + 1 :]
                break
    text = text.upper() if rng.random() < 0.5 else text.title()
    return text


def _feminine(surname: str) -> str:
    for end in ("ов", "ев", "ёв", "ин"):
        if surname.endswith(end):
            return surname + "а"
    return surname


def iin_for(birth: date, female: bool, serial: int) -> str | None:
    """A valid IIN (checksum per the IIN rules), or None if this serial is never issued."""
    century = 3 if birth.year < 2000 else 5
    digits = f"{birth:%y%m%d}{century + (1 if female else 0)}{serial:04d}"
    nums = [int(d) for d in digits]
    check = sum(n * w for n, w in zip(nums, range(1, 12), strict=True)) % 11
    if check == 10:
        check = sum(n * w for n, w in zip(nums, [*range(3, 12), 1, 2], strict=True)) % 11
        if check == 10:
            return None
    return digits + str(check)


@dataclass(frozen=True, slots=True)
class Person:
    truth: int
    citizenship: str
    female: bool
    surname: str
    given: str
    birth_date: date
    iin: str | None
    passport: str
    id_card: str | None


@dataclass(slots=True)
class LabelledRecord:
    """One agency record with its ground truth."""

    source: str
    record_type: str
    record_id: str
    version: int
    ids: PersonIdentifiers
    fields: dict[str, str]
    person_truth: int
    fact_truth: int
    order: float = field(default=0.0, repr=False)


@dataclass(slots=True)
class LabelledSet:
    people: list[Person]
    records: list[LabelledRecord]


def _people(rng: random.Random, count: int, namesake_share: float) -> list[Person]:
    _issued.clear()
    people: list[Person] = []
    taken: set[tuple[str, str, date, str]] = set()
    serial = rng.randrange(1000)
    nationalities = list(_POOLS)
    weights = [40, 20, 15, 10, 10, 5]
    while len(people) < count:
        cit = rng.choices(nationalities, weights)[0]
        surnames, male, female_names = _POOLS[cit]
        female = rng.random() < 0.5
        surname = rng.choice(surnames)
        surname = _feminine(surname) if female else surname
        given = rng.choice(female_names if female else male)
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
        if (surname, given, birth, cit) in taken:
            continue  # accidental namesakes would blur the truth; deliberate ones below
        taken.add((surname, given, birth, cit))
        people.append(_person(rng, len(people), cit, female, surname, given, birth, serial))
        serial += 1
        if cit == "KAZ" and rng.random() < namesake_share and len(people) < count:
            # A namesake: same name, birth date and citizenship, own IIN and passport.
            # Only citizens: their records always carry the IIN that tells them apart
            # (for people known only by documents and name nothing could).
            serial += 1
            twin = _person(rng, len(people), cit, female, surname, given, birth, serial, iin=True)
            people.append(twin)
            serial += 1
    return people


def _person(
    rng: random.Random, truth: int, cit: str, female: bool, surname: str, given: str,
    birth: date, serial: int, iin: bool | None = None,
) -> Person:
    has_iin = iin if iin is not None else (cit == "KAZ" or rng.random() < 0.3)
    number = None
    while has_iin and number is None:
        number = iin_for(birth, female, serial % 10000)
        serial += 7
    prefix, width = _PASSPORT[cit]
    passport = ""
    while not passport or passport in _issued:  # a state never issues one number twice
        passport = prefix + "".join(str(rng.randrange(10)) for _ in range(width))
    _issued.add(passport)
    id_card = f"{rng.randrange(10**9):09d}" if cit == "KAZ" else None
    return Person(truth, cit, female, surname, given, birth, number, passport, id_card)


def _names(p: Person, rng: random.Random, styles: list[str], weights: list[int]) -> tuple:
    turkish = p.citizenship == "TUR"
    pick = rng.random()
    cyr = PersonName("Cyrl", p.surname, p.given)
    style = rng.choices(styles, weights)[0]
    lat = PersonName(
        "Latn", latin_variant(p.surname, style, rng), latin_variant(p.given, style, rng)
    )
    if turkish:
        return (lat,)
    if pick < 0.35:
        return (cyr,)
    if pick < 0.7:
        return (lat,)
    return (cyr, lat)


def _ids(p: Person, rng: random.Random, names: tuple, *, partner: bool) -> PersonIdentifiers:
    passport = Document("P", p.citizenship, p.passport)
    if partner:  # partners know the passport and the passport's name, rarely the IIN
        docs: tuple[Document, ...] = (passport,)
        iin = p.iin if p.iin and rng.random() < 0.1 else None
    else:
        r = rng.random()
        if p.citizenship == "KAZ":
            # Kazakhstan's own agencies always know a citizen's IIN.
            iin = p.iin
            id_card = Document("ID", "KAZ", p.id_card or "")
            docs = () if r < 0.5 else (passport,) if r < 0.85 else (id_card,)
        elif p.iin and r < 0.35:
            iin, docs = p.iin, ()
        elif p.iin and r < 0.6:
            iin, docs = p.iin, (passport,)
        else:
            iin, docs = None, (passport,)
    birth = p.birth_date
    if rng.random() < 0.01:  # a typo in the birth date
        birth = birth + timedelta(days=rng.choice([-1, 1, 30]))
    return PersonIdentifiers(iin, docs, names, birth.isoformat(), p.citizenship)


def generate(
    people: int = 500,
    *,
    seed: int = 6,
    facts_per_person: tuple[int, int] = (1, 4),
    namesake_share: float = 0.03,
    german_share: float = 0.02,
) -> LabelledSet:
    """People and the records agencies send about them, shuffled, with the truth attached."""
    rng = random.Random(seed)
    persons = _people(rng, people, namesake_share)
    # The table's systems share the fifth of the spellings that ICAO's once had;
    # GOST 7.79 (a library and web standard) is the rarest in agencies' records.
    styles = [*SYSTEMS, "english", "central", "kazlatin", "uzlatin"]
    rest = (1 - german_share) / 5
    table = [w * rest / sum(_SYSTEM_WEIGHTS) for w in _SYSTEM_WEIGHTS]
    weights = [int(10_000 * w) for w in (*table, rest, rest, rest, rest, german_share)]
    styles.append("german")
    passport_system: dict[int, str] = {}
    records: list[LabelledRecord] = []
    fact_no = 0
    start = datetime(2026, 1, 1, 6, 0)
    for p in persons:
        for _ in range(rng.randint(*facts_per_person)):
            fact_no += 1
            kind = rng.choices(["BorderCrossing", "StayRegistration", "WorkPermit"], [5, 3, 2])[0]
            when = start + timedelta(minutes=rng.randrange(60 * 24 * 300))
            t = rng.random()
            rid = f"{kind[:3].upper()}-{fact_no:07d}"
            if kind == "BorderCrossing":
                sec = rng.randrange(0, 50)
                fields = {
                    "BorderPoint": f"KZ-BP-{rng.randrange(1, 40):03d}",
                    "Direction": rng.choice(["ENTRY", "EXIT"]),
                    "CrossedAt": (when + timedelta(seconds=sec)).isoformat() + "Z",
                    "TransportMode": rng.choice(["AUTO", "RAIL", "AIR"]),
                }
                source = "interior"
            elif kind == "StayRegistration":
                fields = {
                    "Kato": f"{rng.choice([75, 71, 11, 19, 47, 55])}{rng.randrange(10**7):07d}",
                    "From": when.date().isoformat(),
                    "To": (when.date() + timedelta(days=rng.randrange(10, 90))).isoformat(),
                    "Address": f"street {rng.randrange(1, 200)}",
                }
                source = "interior"
            else:
                fields = {
                    "PermitNumber": f"WP{rng.randrange(10**8):08d}",
                    "Action": "ISSUED",
                    "Sector": rng.choice(["construction", "agriculture", "trade"]),
                }
                source = "labour"
            names = _names(p, rng, styles, weights)
            base = LabelledRecord(source, kind, rid, 1, _ids(p, rng, names, partner=False),
                                  fields, p.truth, fact_no, t)
            records.append(base)
            if rng.random() < 0.10:  # replay: fetched again, unchanged
                records.append(_copy(base, order=t + rng.random() * 0.1))
            if rng.random() < 0.08:  # correction of a non-key field, maybe a stale re-send
                changed = dict(fields)
                if "TransportMode" in changed:
                    rail = fields["TransportMode"] == "RAIL"
                    changed["TransportMode"] = "AUTO" if rail else "RAIL"
                elif "Address" in changed:
                    changed["Address"] += " apt 2"
                else:
                    changed["Sector"] = "services"
                v2 = _copy(base, order=t + 0.05 + rng.random() * 0.1, version=2, fields=changed)
                records.append(v2)
                if rng.random() < 0.3:
                    records.append(_copy(base, order=v2.order + 0.01 + rng.random() * 0.05))
            if kind == "BorderCrossing" and p.citizenship in ("RUS", "KGZ", "UZB", "TJK") \
                    and rng.random() < 0.4:
                # The partner state's notice of the same crossing: its own record id,
                # passport only, Latin name from the passport, same minute.
                notice = dict(fields)
                notice.pop("TransportMode")
                notice["CrossedAt"] = (when + timedelta(seconds=rng.randrange(0, 60))).strftime(
                    "%Y-%m-%dT%H:%M:%S") + "Z"
                system = passport_system.setdefault(p.truth, rng.choice(PASSPORT_SYSTEMS))
                pname = (PersonName("Latn", spell(p.surname, system).upper(),
                                    spell(p.given, system).upper()),)
                records.append(LabelledRecord(
                    f"partner-{p.citizenship}", "PartnerBorderNotice", f"N-{fact_no:07d}", 1,
                    _ids(p, rng, pname, partner=True), notice, p.truth, fact_no,
                    t + rng.random() * 0.1,
                ))
    records.sort(key=lambda r: r.order)
    return LabelledSet(persons, records)


def _copy(
    rec: LabelledRecord, *, order: float, version: int | None = None,
    fields: dict[str, str] | None = None,
) -> LabelledRecord:
    return LabelledRecord(
        rec.source, rec.record_type, rec.record_id, rec.version if version is None else version,
        rec.ids, dict(rec.fields if fields is None else fields), rec.person_truth,
        rec.fact_truth, order,
    )
