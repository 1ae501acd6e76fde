"""Check-digit algorithms of Kazakh identifiers and ICAO 9303 machine readable zones.

Pure functions on strings, shared by the validate stage's rules, the tests and
the benchmark's record generator (which must produce valid numbers).
"""

from __future__ import annotations

from datetime import date
from operator import mul

# IIN/BIN: first pass weights 1..11; if the sum mod 11 is 10, a second pass with
# weights 3..11,1,2; if that is 10 again the number is never issued.
_IIN_WEIGHTS_1 = tuple(range(1, 12))
_IIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
_IIN_UNUSABLE = 10

# ICAO 9303 part 3, 4.9: weights 7,3,1 repeating; digits as is, A-Z = 10..35, '<' = 0.
_MRZ_WEIGHTS = (7, 3, 1)

# 7th IIN digit -> (century start, sex): 1/2 = 1800s, 3/4 = 1900s, 5/6 = 2000s; odd male.
IIN_CENTURY_SEX: dict[str, tuple[int, str]] = {
    "1": (1800, "M"),
    "2": (1800, "F"),
    "3": (1900, "M"),
    "4": (1900, "F"),
    "5": (2000, "M"),
    "6": (2000, "F"),
}


def iin_check_digit(first11: str) -> int | None:
    """Check digit for the first 11 digits of an IIN or BIN; None if never issuable."""
    digits = list(map(int, first11))  # map/sum run in C: this is on every record's path
    if len(digits) != len(_IIN_WEIGHTS_1):
        raise ValueError(f"an IIN or BIN check digit needs 11 digits, not {len(digits)}")
    total = sum(map(mul, digits, _IIN_WEIGHTS_1)) % 11
    if total == _IIN_UNUSABLE:
        total = sum(map(mul, digits, _IIN_WEIGHTS_2)) % 11
        if total == _IIN_UNUSABLE:
            return None
    return total


def iin_is_valid(iin: str) -> bool:
    """12 digits whose last is the check digit of the first 11."""
    if len(iin) != 12 or not iin.isascii() or not iin.isdigit():
        return False
    return iin_check_digit(iin[:11]) == int(iin[11])


def iin_birth_date(iin: str) -> date | None:
    """Birth date encoded in an IIN (YYMMDD + century digit); None if not a real date."""
    century_sex = IIN_CENTURY_SEX.get(iin[6:7])
    if century_sex is None:
        return None
    try:
        return date(century_sex[0] + int(iin[0:2]), int(iin[2:4]), int(iin[4:6]))
    except ValueError:
        return None


def iin_sex(iin: str) -> str | None:
    century_sex = IIN_CENTURY_SEX.get(iin[6:7])
    return century_sex[1] if century_sex else None


def make_iin(birth: date, sex: str, serial: int) -> str | None:
    """An IIN for a person (used by generators); None when this serial is unissuable."""
    century = (birth.year // 100) * 100
    digit = {(1800, "M"): 1, (1800, "F"): 2, (1900, "M"): 3, (1900, "F"): 4,
             (2000, "M"): 5, (2000, "F"): 6}[(century, sex)]
    first11 = f"{birth:%y%m%d}{digit}{serial % 10000:04d}"
    check = iin_check_digit(first11)
    return None if check is None else first11 + str(check)


_MRZ_VALUES: dict[str, int] = {
    **{str(d): d for d in range(10)},
    **{chr(ord("A") + i): 10 + i for i in range(26)},
    "<": 0,
}
# Weights laid out for the longest MRZ field checked (the 39-character TD3 composite).
_MRZ_WEIGHT_RUN = _MRZ_WEIGHTS * 15


def mrz_check_digit(field: str) -> int:
    """ICAO 9303 check digit of an MRZ field."""
    if len(field) > len(_MRZ_WEIGHT_RUN):
        raise ValueError(f"MRZ field longer than {len(_MRZ_WEIGHT_RUN)} characters")
    try:
        return sum(map(mul, map(_MRZ_VALUES.__getitem__, field), _MRZ_WEIGHT_RUN)) % 10
    except KeyError as exc:
        raise ValueError(f"not an MRZ character: {exc.args[0]!r}") from None
