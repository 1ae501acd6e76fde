"""Names of the people who cross Kazakhstan's borders, as agency systems spell them.

The same person reaches the hub spelled differently by each system: the interior
ministry prints the passport's ICAO form (AKHMETOV, IULIIA), a labour office
types the Russian-habit form (Akhmetov, Yulia), a Kazakh-Latin system writes
Qanat where another writes Kanat, an Uzbek system writes Axmedov, a Turkish
passport keeps Yılmaz and a Russian clerk types Yilmaz. The generator draws a
canonical name per person and renders it with one of these schemes per record,
so matching in the hub is tested against the variants real systems produce.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# --- transliteration schemes (Cyrillic -> Latin), lower case; upper handled by caller ---

_COMMON = {
    "а": "a",
    "б": "b",
    "в": "v",
    "г": "g",
    "д": "d",
    "е": "e",
    "з": "z",
    "и": "i",
    "к": "k",
    "л": "l",
    "м": "m",
    "н": "n",
    "о": "o",
    "п": "p",
    "р": "r",
    "с": "s",
    "т": "t",
    "у": "u",
    "ф": "f",
    "ь": "",
    "ъ": "",
    "ы": "y",
    "э": "e",
}
# Kazakh letters as Kazakhstan's passport office writes them (ICAO 9303 has none).
_KAZAKH_TO_PASSPORT = {
    "ә": "a",
    "ғ": "g",
    "қ": "k",
    "ң": "n",
    "ө": "o",
    "ұ": "u",
    "ү": "u",
    "һ": "h",
    "і": "i",
}

SCHEMES: dict[str, dict[str, str]] = {
    # ICAO 9303 (7th ed.): the MRZ and the passport's data page.
    "icao": {
        **_COMMON,
        **_KAZAKH_TO_PASSPORT,
        "ё": "e",
        "ж": "zh",
        "й": "i",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "shch",
        "ъ": "ie",
        "ю": "iu",
        "я": "ia",
    },
    # The Russian habit of older passports and most clerks: Yulia, Akhmetov.
    "russian": {
        **_COMMON,
        **_KAZAKH_TO_PASSPORT,
        "ё": "yo",
        "ж": "zh",
        "й": "y",
        "х": "kh",
        "ц": "ts",
        "ч": "ch",
        "ш": "sh",
        "щ": "sch",
        "ю": "yu",
        "я": "ya",
        "ия": "ia",
    },
    # Phonetic short forms typed by hand: Ahmetov, Yuliya.
    "phonetic": {
        **_COMMON,
        **_KAZAKH_TO_PASSPORT,
        "ё": "e",
        "ж": "j",
        "й": "y",
        "х": "h",
        "ц": "c",
        "ч": "ch",
        "ш": "sh",
        "щ": "sh",
        "ю": "yu",
        "я": "ya",
        "ия": "iya",
    },
    # Kazakh Latin alphabet (2021 revision): Qanat, Nūrsūltan -> written Nursultan.
    "kazakh_latin": {
        **_COMMON,
        "ә": "ä",
        "ғ": "ğ",
        "қ": "q",
        "ң": "ñ",
        "ө": "ö",
        "ұ": "u",
        "ү": "ü",
        "һ": "h",
        "і": "i",
        "ё": "io",
        "ж": "j",
        "й": "i",
        "х": "h",
        "ц": "ts",
        "ч": "ch",
        "ш": "ş",
        "щ": "şş",
        "ю": "iu",
        "я": "ia",
    },
    # Uzbek Latin: Axmedov, Jamshid, Sherzod.
    "uzbek_latin": {
        **_COMMON,
        **_KAZAKH_TO_PASSPORT,
        "ё": "yo",
        "ж": "j",
        "й": "y",
        "х": "x",
        "ц": "s",
        "ч": "ch",
        "ш": "sh",
        "щ": "sh",
        "ю": "yu",
        "я": "ya",
        "ў": "o'",
        "қ": "q",
        "ғ": "g'",
    },
}


def transliterate(text: str, scheme: str) -> str:
    """Cyrillic -> Latin in ``scheme``, keeping the capitalisation of each word."""
    table = SCHEMES[scheme]
    out: list[str] = []
    i = 0
    low = text.lower()
    while i < len(low):
        pair = low[i : i + 2]
        if pair in table:
            piece, step = table[pair], 2
        else:
            ch = low[i]
            piece, step = table.get(ch, ch), 1
        if text[i].isupper() and piece:
            piece = piece.upper() if text[i + 1 : i + 2].isupper() else piece[0].upper() + piece[1:]
        out.append(piece)
        i += step
    return "".join(out)


def ascii_fold(text: str) -> str:
    """Drop diacritics the way a keyboard without them does: Yılmaz -> Yilmaz, Müller -> Muller."""
    text = text.replace("ı", "i").replace("İ", "I").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def icao_mrz_name(text: str) -> str:
    """Upper-case A-Z with '<' for separators, as in a passport's MRZ."""
    folded = ascii_fold(text).upper()
    return "".join(c if "A" <= c <= "Z" else "<" for c in folded)


# --- name tables ---------------------------------------------------------------------
# Cyrillic-script nationalities: (surname male form, female form) and given names.
# Latin-script nationalities carry (latin, cyrillic as a Kazakh/Russian clerk writes it).


@dataclass(frozen=True, slots=True)
class NameTable:
    script: str  # script of the canonical form: "Cyrl" or "Latn"
    surnames: tuple[tuple[str, str], ...]  # (male, female) or (latin, cyrillic)
    male: tuple[str, ...]  # canonical given names; Latin tables give "latin|cyrillic"
    female: tuple[str, ...]
    patronymic: bool


def _pairs(s: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(p.split("|")) for p in s.split())  # type: ignore[misc]


NAME_TABLES: dict[str, NameTable] = {
    "KAZ": NameTable(
        "Cyrl",
        _pairs(
            "Ахметов|Ахметова Қасымов|Қасымова Нұрланов|Нұрланова Жұмабаев|Жұмабаева "
            "Сәрсенбаев|Сәрсенбаева Омаров|Омарова Тоқтаров|Тоқтарова Әбдірахманов|Әбдірахманова "
            "Исабеков|Исабекова Құдайбергенов|Құдайбергенова Байжанов|Байжанова "
            "Сейтқали|Сейтқали Есенов|Есенова Мұқанов|Мұқанова Ғабдуллин|Ғабдуллина"
        ),
        tuple(
            [
                "Нурсултан",
                "Қанат",
                "Ерлан",
                "Асқар",
                "Дәурен",
                "Бауыржан",
                "Серік",
                "Айдос",
                "Ержан",
                "Нұрлан",
                "Жандос",
                "Мұрат",
                "Ақжол",
                "Әлібек",
                "Данияр",
                "Ғалым",
            ]
        ),
        tuple(
            [
                "Айгерім",
                "Әлия",
                "Гүлнар",
                "Жанар",
                "Динара",
                "Ақмарал",
                "Сәуле",
                "Мәдина",
                "Аружан",
                "Жұлдыз",
                "Юлия",
                "Назерке",
                "Ғалия",
                "Өмірзая",
            ]
        ),
        True,
    ),
    "RUS": NameTable(
        "Cyrl",
        _pairs(
            "Иванов|Иванова Смирнов|Смирнова Кузнецов|Кузнецова Попов|Попова "
            "Васильев|Васильева Петров|Петрова Соколов|Соколова Михайлов|Михайлова "
            "Фёдоров|Фёдорова Щербаков|Щербакова Журавлёв|Журавлёва Ковальчук|Ковальчук"
        ),
        tuple(
            [
                "Александр",
                "Дмитрий",
                "Сергей",
                "Андрей",
                "Алексей",
                "Иван",
                "Михаил",
                "Евгений",
                "Юрий",
                "Артём",
            ]
        ),
        tuple(
            [
                "Юлия",
                "Ольга",
                "Наталья",
                "Елена",
                "Анна",
                "Татьяна",
                "Ксения",
                "Екатерина",
                "Дарья",
                "Юлиана",
            ]
        ),
        True,
    ),
    "UZB": NameTable(
        "Cyrl",
        _pairs(
            "Каримов|Каримова Юсупов|Юсупова Рахимов|Рахимова Ахмедов|Ахмедова "
            "Турсунов|Турсунова Хасанов|Хасанова Эргашев|Эргашева Холматов|Холматова "
            "Мирзаев|Мирзаева Худойбердиев|Худойбердиева"
        ),
        tuple(
            [
                "Шерзод",
                "Улугбек",
                "Бахтиёр",
                "Жамшид",
                "Фаррух",
                "Отабек",
                "Дилшод",
                "Рустам",
                "Азиз",
                "Хуршид",
            ]
        ),
        tuple(["Дилноза", "Гулнора", "Нилуфар", "Шахноза", "Малика", "Зарина", "Ёкутхон"]),
        True,
    ),
    "KGZ": NameTable(
        "Cyrl",
        _pairs(
            "Абдылдаев|Абдылдаева Токтогулов|Токтогулова Асанов|Асанова Жээнбеков|Жээнбекова "
            "Осмонов|Осмонова Мамытов|Мамытова Сыдыков|Сыдыкова Үсөнов|Үсөнова"
        ),
        tuple(
            ["Азамат", "Бакыт", "Нурлан", "Эркин", "Медер", "Айбек", "Улан", "Чынгыз", "Кубанычбек"]
        ),
        tuple(["Айпери", "Гулзат", "Жылдыз", "Нургуль", "Бермет", "Айгуль", "Чолпон"]),
        True,
    ),
    "TJK": NameTable(
        "Cyrl",
        _pairs(
            "Рахмонов|Рахмонова Саидов|Саидова Назаров|Назарова Шарипов|Шарипова "
            "Махмадов|Махмадова Курбонов|Курбонова Хайдаров|Хайдарова Шарифзода|Шарифзода "
            "Рахмонзода|Рахмонзода"
        ),
        tuple(["Фаррух", "Далер", "Шохрух", "Бахром", "Сухроб", "Фирдавс", "Комрон", "Хуршед"]),
        tuple(["Мадина", "Нигина", "Зарина", "Манижа", "Фарангис", "Тахмина"]),
        True,
    ),
    "CHN": NameTable(
        "Latn",
        _pairs("Wang|Ван Li|Ли Zhang|Чжан Liu|Лю Chen|Чэнь Yang|Ян Zhao|Чжао Huang|Хуан Zhou|Чжоу"),
        tuple(
            [
                "Wei|Вэй",
                "Xiaoming|Сяомин",
                "Lei|Лэй",
                "Jun|Цзюнь",
                "Hao|Хао",
                "Yong|Юн",
                "Zhiwei|Чживэй",
            ]
        ),
        tuple(["Jing|Цзин", "Yan|Янь", "Fang|Фан", "Li_Na|Ли_На", "Xiaoling|Сяолин", "Mei|Мэй"]),
        False,
    ),
    "TUR": NameTable(
        "Latn",
        _pairs(
            "Yılmaz|Йылмаз Kaya|Кая Demir|Демир Şahin|Шахин Çelik|Челик Öztürk|Озтюрк "
            "Aydın|Айдын Yıldız|Йылдыз"
        ),
        tuple(
            [
                "Mehmet|Мехмет",
                "Mustafa|Мустафа",
                "Emre|Эмре",
                "Burak|Бурак",
                "Oğuz|Огуз",
                "Ahmet|Ахмет",
            ]
        ),
        tuple(["Ayşe|Айше", "Fatma|Фатма", "Elif|Элиф", "Zeynep|Зейнеп", "Gülşen|Гюльшен"]),
        False,
    ),
    "DEU": NameTable(
        "Latn",
        _pairs("Müller|Мюллер Schmidt|Шмидт Schneider|Шнайдер Fischer|Фишер Weiß|Вайс"),
        tuple(["Thomas|Томас", "Andreas|Андреас", "Jürgen|Юрген", "Stefan|Штефан"]),
        tuple(["Anna|Анна", "Julia|Юлия", "Katharina|Катарина", "Sabine|Сабина"]),
        False,
    ),
    "AZE": NameTable(
        "Cyrl",
        _pairs("Мамедов|Мамедова Алиев|Алиева Гасанов|Гасанова Гусейнов|Гусейнова"),
        tuple(["Эльчин", "Рашад", "Тогрул", "Орхан", "Эльнур"]),
        tuple(["Лейла", "Айсель", "Гюнай", "Нармин"]),
        True,
    ),
}


def _male_patronymic(father: str) -> tuple[str, str]:
    """(male, female) Russian-style patronymic from a father's given name."""
    base = father
    if base.endswith(("й", "ь")):
        base = base[:-1]
        return base + "евич", base + "евна"
    if base.endswith("а"):
        base = base[:-1]
        return base + "ович", base + "овна"
    return base + "ович", base + "овна"


def patronymic(father: str, sex: str, kazakh_style: bool) -> str:
    """A patronymic as written in Kazakhstan: Russian-style, or Kazakh ``-ұлы``/``-қызы``."""
    if kazakh_style:
        return father + ("ұлы" if sex == "M" else "қызы")
    male, female = _male_patronymic(father)
    return male if sex == "M" else female
