"""Names across scripts: ICAO 9303 Latin forms and a matching key.

Two different jobs, kept apart on purpose:

* :func:`icao_latin` gives the Latin form a passport would print (ICAO Doc 9303
  Part 3, 2015 edition, Section 6: the recommended transliteration of Cyrillic),
  upper case, as kept on events. ICAO has no Kazakh letters, so the hub adds its
  own table for Ә Ғ Қ Ң Ө Ұ Ү Һ І (the letters Kazakhstan's own passports use),
  and for the Kyrgyz, Tajik and Uzbek extras.
* :func:`match_key` is *not* a transliteration: it folds the Latin spellings
  agencies really produce (ICAO, the older Russian passport rules, English,
  German, Kazakh and Uzbek Latin alphabets, Turkish diacritics) onto one key, so
  that "Юлия", "Yulia", "Iuliia" and "Yuliya" compare equal. It is lossy by
  design (it is only ever compared, never shown).

Known limit of the key, chosen deliberately: a Latin ``J`` is read as Ж/Дж
(Janna, Jamshid, Nurjan, Jumabek: the Central Asian and French usage the hub
sees most), so German/Polish ``J`` glides (Ljudmila, Tatjana) do not meet their
``Y`` spellings, except where ``J`` ends a word or stands before a consonant
(Sergej, Jurij), where it can only be a glide. A record that carries both a
Cyrillic and a Latin name links the two keys anyway (see the registry).

A Latin ``X`` has two readings that no one key can hold: КС in European
spellings (Alexandr, Maxim) and Х in the Uzbek, Azerbaijani and Karakalpak Latin
alphabets (Axmedova, Raximov, Xurshid = Ахмедова, Рахимов, Хуршид). So
:func:`match_keys` gives a name with ``X`` both keys, and the registry binds and
looks up both; a record spelled with ``X`` meets the same person written in
Cyrillic or with ``KH``/``H`` (a soak found facts split across two persons).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# ICAO Doc 9303 Part 3 (2015), Section 6, Cyrillic table (upper case).
# Ь is omitted; Ъ is IE; Ё is E; Й is I (not Y); Ю IU; Я IA.
ICAO_CYRILLIC: dict[str, str] = {
    "А": "A", "Б": "B", "В": "V", "Г": "G", "Д": "D", "Е": "E", "Ё": "E",
    "Ж": "ZH", "З": "Z", "И": "I", "Й": "I", "К": "K", "Л": "L", "М": "M",
    "Н": "N", "О": "O", "П": "P", "Р": "R", "С": "S", "Т": "T", "У": "U",
    "Ф": "F", "Х": "KH", "Ц": "TS", "Ч": "CH", "Ш": "SH", "Щ": "SHCH",
    "Ъ": "IE", "Ы": "Y", "Ь": "", "Э": "E", "Ю": "IU", "Я": "IA",
    # Other Cyrillic letters in the same ICAO table.
    "Ґ": "G", "Ѓ": "G", "Ђ": "D", "Є": "IE", "Ѕ": "DZ", "І": "I", "Ї": "I",
    "Ј": "J", "Љ": "LJ", "Њ": "NJ", "Ћ": "C", "Ќ": "K", "Ў": "U", "Џ": "DZ",
    "Ѫ": "U",
}

# The hub's own table: letters ICAO does not cover. Kazakh values follow
# Kazakhstan's passport practice (one Latin letter each, so MRZ lengths stay
# short); Kyrgyz letters coincide with the Kazakh ones; Tajik Ҷ is J as in
# Tajik passports, Ҳ is H, Ӣ and Ӯ lose their macron.
HUB_CYRILLIC_EXTRA: dict[str, str] = {
    "Ә": "A", "Ғ": "G", "Қ": "K", "Ң": "N", "Ө": "O", "Ұ": "U", "Ү": "U",
    "Һ": "H", "Ӣ": "I", "Ҷ": "J", "Ҳ": "H", "Ӯ": "U", "Ҙ": "Z", "Ҫ": "S",
    "Ӑ": "A", "Ӗ": "E", "Ҡ": "K", "Ӊ": "N", "Ӈ": "N",
}

# ICAO's language-specific exceptions (Doc 9303 Part 3, notes to the table):
# Belarusian and Ukrainian Г is H, Belarusian Ё is IO, Ukrainian И is Y;
# Uzbek Cyrillic Ў is O (O' in Uzbek Latin), not the Belarusian U.
LANGUAGE_OVERRIDES: dict[str, dict[str, str]] = {
    "be": {"Г": "H", "Ё": "IO"},
    "uk": {"Г": "H", "И": "Y"},
    "uz": {"Ў": "O", "Қ": "Q", "Ғ": "G"},
}

_CYRILLIC = {**ICAO_CYRILLIC, **HUB_CYRILLIC_EXTRA}

# Latin letters that NFKD does not decompose, or that ICAO writes otherwise.
# The single-letter options of Doc 9303 are used (Ä→A rather than AE) so that
# Turkic Latin spellings agree with their Cyrillic transliteration.
_LATIN_SPECIAL: dict[str, str] = {
    "Ə": "A", "Ǝ": "A", "Æ": "AE", "Œ": "OE", "Ø": "O", "ẞ": "SS", "ß": "SS",
    "Ð": "D", "Đ": "D", "Þ": "TH", "Ł": "L", "Ħ": "H", "I": "I", "İ": "I",
    "ı": "I", "ǅ": "DZ",
}

# Apostrophe-like marks: Uzbek O'/G', Ukrainian apostrophe, Kazakh Latin marks.
_SILENT = set("'’ʼʻ`´‘\u02bc\u02bb\u0301")


def _letter_latin(ch: str, table: dict[str, str]) -> str:
    """Latin for one upper-case character, '' for marks, ' ' for separators."""
    if ch in table:
        return table[ch]
    if "A" <= ch <= "Z":
        return ch
    if ch in _SILENT:
        return ""
    if ch in _LATIN_SPECIAL:
        return _LATIN_SPECIAL[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    if base and base != ch:
        return "".join(_letter_latin(c, table) for c in base.upper())
    if ch.isspace() or ch in "-‐‑–—.,/":
        return " "
    return ""


def _to_latin(name: str, lang: str | None) -> str:
    table = _CYRILLIC if lang is None else {**_CYRILLIC, **LANGUAGE_OVERRIDES.get(lang, {})}
    text = unicodedata.normalize("NFC", name).upper()
    return "".join(_letter_latin(ch, table) for ch in text)


@lru_cache(maxsize=65536)
def icao_latin(name: str, lang: str | None = None) -> str:
    """The ICAO 9303 Latin form of a name, upper case, words separated by one space.

    Cyrillic is transliterated (ICAO table plus the hub's Kazakh/Central Asian
    table; ``lang`` applies ICAO's language-specific exceptions: ``be``, ``uk``,
    ``uz``); Latin keeps its letters with diacritics reduced to the base letter;
    hyphens become spaces and apostrophes disappear, as in the MRZ.
    """
    return " ".join(_to_latin(name, lang).split())


# --- matching key -------------------------------------------------------------

# Internal symbols for sounds that have several Latin spellings. Lower case so
# they can never be confused with the upper-case input letters.
_ZH = "j"  # Ж / Дж: ZH, J, DZH, DJ
_CH = "c"  # Ч: CH, TCH, TSCH
_SH = "s"  # Ш / Щ: SH, SCH, SHCH
_GLIDE = "y"  # Й-glide before a vowel: Y, I, J

# Spellings folded before the vowel pass, longest first (regex alternation order).
_DIGRAPHS: list[tuple[str, str]] = [
    ("SHTCH", _SH), ("SHCH", _SH), ("SCH", _SH), ("SH", _SH),
    ("DZH", _ZH), ("DJ", _ZH), ("ZH", _ZH),
    ("TSCH", _CH), ("TCH", _CH), ("CH", _CH),
    ("KH", "H"), ("GH", "G"), ("CK", "K"), ("PH", "F"),
    ("TS", "C"), ("TZ", "C"), ("TC", "C"),  # TC: Russian passports 2010-2013 (KUZNETCOV)
    ("OU", "U"),  # French Ioulia
    ("Q", "K"), ("X", "KS"), ("W", "V"),
]
_DIGRAPH_RE = re.compile("|".join(re.escape(src) for src, _ in _DIGRAPHS))
_DIGRAPH_MAP = dict(_DIGRAPHS)

# J at the end of a word or before a consonant can only be a glide (Sergej, Jurij).
# (Not before Y: JYLDYZ is Жылдыз, J a consonant there.)
_J_GLIDE_RE = re.compile(r"J(?=$|[B-DF-HJ-NP-TV-XZcs])")
# A run of I/Y (and glide J) followed by a vowel is one glide: IIA, IYA, YA, IA.
_GLIDE_RUN_RE = re.compile(r"[IY]+(?=[AEOU])")
_I_RUN_RE = re.compile(r"[IY]+")
_DOUBLE_RE = re.compile(r"(.)\1+")
# Internal symbols shown as readable digraphs that cannot arise otherwise.
_SHOW = str.maketrans({_ZH: "ZH", _CH: "CH", _SH: "SH", _GLIDE: "Y"})


def _fold(word: str) -> str:
    """Fold one upper-case A-Z word onto the key alphabet (see module docstring)."""
    word = _J_GLIDE_RE.sub("I", word)
    word = _DIGRAPH_RE.sub(lambda m: _DIGRAPH_MAP[m.group(0)], word)
    word = word.replace("J", _ZH)
    word = _GLIDE_RUN_RE.sub(_GLIDE, word)
    # A glide before U or E is dropped (Yulia = Iulia = Ulia, Yevgeniy = Evgeniy);
    # before O it is Ё, which ICAO writes E (Fyodor = Fedor, Solovyov = Solovev);
    # before A it stays (Yana ≠ Ana, Natalya = Natalia).
    # ICAO writes Ъ before Я/Ю as IE (PODIEIACHEV): glide, E, glide is one glide.
    word = word.replace(_GLIDE + "E" + _GLIDE, _GLIDE)
    word = word.replace(_GLIDE + "U", "U").replace(_GLIDE + "E", "E")
    word = word.replace(_GLIDE + "O", "E")
    word = _I_RUN_RE.sub("I", word)  # Evgenii = Evgeniy = Evgeny, Rybakov = Ribakov
    return _DOUBLE_RE.sub(r"\1", word)


@lru_cache(maxsize=262144)
def match_key(name: str) -> str:
    """A key on which Cyrillic and Latin spellings of one name compare equal.

    Case, diacritics, hyphens, apostrophes and spaces do not count; Cyrillic is
    read through :func:`icao_latin`'s tables with Ъ and Ь silent. Returns "" for a
    name with no letters.
    """
    latin = _to_latin(name.replace("Ъ", "").replace("ъ", ""), None)
    word = "".join(ch for ch in latin if "A" <= ch <= "Z")
    return _fold(word).translate(_SHOW)


@lru_cache(maxsize=262144)
def match_keys(name: str) -> tuple[str, ...]:
    """Every key a name may match under: :func:`match_key` first, then, for a Latin
    ``X``, the key with ``X`` read as Х (see the module docstring)."""
    first = match_key(name)
    latin = _to_latin(name.replace("Ъ", "").replace("ъ", ""), None)
    word = "".join(ch for ch in latin if "A" <= ch <= "Z")
    if "X" not in word:
        return (first,)
    as_kh = _fold(word.replace("X", "KH")).translate(_SHOW)
    return (first,) if as_kh == first else (first, as_kh)


def first_given_name(given_names: str) -> str:
    """The first of several given names ("Anna Maria" -> "Anna"); patronymics are separate."""
    parts = given_names.split()
    return parts[0] if parts else ""
