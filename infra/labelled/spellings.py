"""Cyrillic -> Latin spellings as record systems print them, written apart from the hub.

The labelled set must not spell names with the product's own transliteration
(:mod:`hub.intake.identity.translit`): a set partly spelled by the function under
test measures the function against itself. This table is written from the
published systems, one column per system, several spellings per letter:

``mvd1997``   Russian passport office, 1997-2010 (MVD order 310): Y for Й, YU/YA,
              TS, ZH, KH; Ъ and Ь dropped; Kazakh and Central Asian letters as the
              nearest Russian letter (the practice of the era's CIS passport desks).
``gost52535`` Russian passports 2010-2013 (GOST R 52535.1-2006, machine-readable
              zone): I for Й, IU/IA, TC for Ц, IE for Ъ.
``fms2013``   Passport office since 2013 (FMS order 320, the ICAO 9303 values),
              written out here letter by letter, not imported: I for Й, TS for Ц.
``bgn``       BGN/PCGN (1947 Russian, 1979 Kazakh, 1994 Tajik): YE after vowels and
              word-initially, Ë, the primes for Ъ/Ь, GH/Q/NG/Ä/Ö/Ü/Ū/Ī for the
              Central Asian letters; the spelling of English-language registers.
``gost779b``  GOST 7.79-2000 system B (ASCII): J for Й, X for Х, CZ for Ц (C before
              Е И Ы Й), SHH for Щ, Y` for Ы, backquotes for Ъ/Ь and the Turkic letters.

Known gaps of the table: no language-specific exceptions (Ukrainian H for Г),
no ISO 9 diacritics (Ž, Č, Š).
"""

from __future__ import annotations

import random

#: The column order of :data:`TABLE`.
SYSTEMS = ("mvd1997", "gost52535", "fms2013", "bgn", "gost779b")

#: Passport-office systems only: what a passport's data page and MRZ carry.
PASSPORT_SYSTEMS = ("mvd1997", "gost52535", "fms2013")

# letter: spellings in SYSTEMS order. Lower case; callers set the case.
TABLE: dict[str, tuple[str, str, str, str, str]] = {
    "а": ("a", "a", "a", "a", "a"),
    "б": ("b", "b", "b", "b", "b"),
    "в": ("v", "v", "v", "v", "v"),
    "г": ("g", "g", "g", "g", "g"),
    "д": ("d", "d", "d", "d", "d"),
    "е": ("e", "e", "e", "e", "e"),  # BGN: ye after vowels, see _CONTEXT
    "ё": ("e", "e", "e", "ë", "yo"),
    "ж": ("zh", "zh", "zh", "zh", "zh"),
    "з": ("z", "z", "z", "z", "z"),
    "и": ("i", "i", "i", "i", "i"),
    "й": ("y", "i", "i", "y", "j"),
    "к": ("k", "k", "k", "k", "k"),
    "л": ("l", "l", "l", "l", "l"),
    "м": ("m", "m", "m", "m", "m"),
    "н": ("n", "n", "n", "n", "n"),
    "о": ("o", "o", "o", "o", "o"),
    "п": ("p", "p", "p", "p", "p"),
    "р": ("r", "r", "r", "r", "r"),
    "с": ("s", "s", "s", "s", "s"),
    "т": ("t", "t", "t", "t", "t"),
    "у": ("u", "u", "u", "u", "u"),
    "ф": ("f", "f", "f", "f", "f"),
    "х": ("kh", "kh", "kh", "kh", "x"),
    "ц": ("ts", "tc", "ts", "ts", "cz"),  # GOST B: c before е и ы й, see _CONTEXT
    "ч": ("ch", "ch", "ch", "ch", "ch"),
    "ш": ("sh", "sh", "sh", "sh", "sh"),
    "щ": ("shch", "shch", "shch", "shch", "shh"),
    "ъ": ("", "ie", "ie", "\u02ba", "``"),
    "ы": ("y", "y", "y", "y", "y`"),
    "ь": ("", "", "", "\u02b9", "`"),
    "э": ("e", "e", "e", "e", "e`"),
    "ю": ("yu", "iu", "iu", "yu", "yu"),
    "я": ("ya", "ia", "ia", "ya", "ya"),
    # Kazakh
    "ә": ("a", "a", "a", "ä", "a`"),
    "ғ": ("g", "g", "g", "gh", "g`"),
    "қ": ("k", "k", "k", "q", "k`"),
    "ң": ("n", "n", "n", "ng", "n`"),
    "ө": ("o", "o", "o", "ö", "o`"),
    "ұ": ("u", "u", "u", "ū", "u`"),
    "ү": ("u", "u", "u", "ü", "u``"),
    "һ": ("kh", "h", "h", "h", "h"),
    "і": ("i", "i", "i", "ī", "i`"),
    # Tajik and Uzbek
    "ҳ": ("kh", "kh", "h", "ḩ", "x`"),
    "ҷ": ("dzh", "dzh", "j", "j", "ch`"),
    "ӣ": ("i", "i", "i", "ī", "i`"),
    "ӯ": ("u", "u", "u", "ū", "u`"),
    "ў": ("u", "u", "u", "oʻ", "u`"),
}

_VOWELS = set("аеёиоуыэюяәөұүіӣӯ")
_SOFT_HARD = set("ъь")
_BEFORE_SOFT_C = set("еиый")


def _context(prev: str, ch: str, nxt: str, system: str) -> str | None:
    """Spellings that depend on the neighbours, or None for the table's."""
    if system == "bgn" and ch in "её" and (not prev or prev in _VOWELS | _SOFT_HARD | {"й"}):
        return "ye" if ch == "е" else "yë"
    if system == "gost779b" and ch == "ц" and nxt in _BEFORE_SOFT_C:
        return "c"
    return None


def spell(name: str, system: str) -> str:
    """``name`` in one system, lower case; characters outside the table are kept."""
    col = SYSTEMS.index(system)
    lower = name.lower()
    out = []
    for i, ch in enumerate(lower):
        prev = lower[i - 1] if i else ""
        nxt = lower[i + 1] if i + 1 < len(lower) else ""
        special = _context(prev, ch, nxt, system)
        out.append(special if special is not None else TABLE[ch][col] if ch in TABLE else ch)
    return "".join(out)


# Turkish letters as systems without them print them (ASCII fallbacks).
_TURKISH_ASCII = str.maketrans({
    "ç": "c", "Ç": "C", "ğ": "g", "Ğ": "G", "ı": "i", "İ": "I",
    "ö": "o", "Ö": "O", "ş": "s", "Ş": "S", "ü": "u", "Ü": "U",
})


def turkish(name: str, rng: random.Random) -> str:
    """A Turkish Latin name with its letters kept or reduced to ASCII, as systems do."""
    return name if rng.random() < 0.5 else name.translate(_TURKISH_ASCII)
