"""Identity numbers as the issuing systems compute them: IIN/BIN and passport MRZs.

These are the *issuer's* algorithms, used by the generator to produce valid
numbers (and, on purpose, invalid ones). The hub's validate stage has its own
implementation of the checks; the two are tested against each other.
"""

from __future__ import annotations

from datetime import date

# IIN/BIN check digit weights (Kazakhstan's rules): first pass 1..11, second 3..11,1,2.
_IIN_W1 = tuple(range(1, 12))
_IIN_W2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
# ICAO 9303 check digits: weights 7,3,1 repeating.
_MRZ_WEIGHTS = (7, 3, 1)
TD3_LINE = 44


def iin_check_digit(first11: str) -> int | None:
    """Check digit of an IIN/BIN, or None when the number is never issued (10 twice)."""
    digits = [int(c) for c in first11]
    s = sum(d * w for d, w in zip(digits, _IIN_W1, strict=True)) % 11
    if s == 10:
        s = sum(d * w for d, w in zip(digits, _IIN_W2, strict=True)) % 11
        if s == 10:
            return None
    return s


def century_sex_digit(birth: date, sex: str) -> int:
    """7th IIN digit: 1/2 for the 1800s, 3/4 for the 1900s, 5/6 for the 2000s (odd = male)."""
    base = {18: 1, 19: 3, 20: 5}[birth.year // 100]
    return base + (0 if sex == "M" else 1)


def make_iin(birth: date, sex: str, serial: int) -> str:
    """A valid IIN for this birth date and sex; ``serial`` is bumped past unissuable numbers."""
    for k in range(10_000):
        head = f"{birth:%y%m%d}{century_sex_digit(birth, sex)}{(serial + k) % 10_000:04d}"
        check = iin_check_digit(head)
        if check is not None:
            return head + str(check)
    raise ValueError("no issuable IIN")  # pragma: no cover - 1 in 11 numbers is unissuable


def make_bin(registered: date, serial: int) -> str:
    """A valid BIN of a resident legal entity (type digit 4, head office 0)."""
    for k in range(10_000):
        head = f"{registered:%y%m}40{(serial + k) % 100_000:05d}"
        check = iin_check_digit(head)
        if check is not None:
            return head + str(check)
    raise ValueError("no issuable BIN")  # pragma: no cover


def mrz_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    if c == "<":
        return 0
    raise ValueError(f"not an MRZ character: {c!r}")


def mrz_check_digit(field: str) -> str:
    return str(sum(mrz_value(c) * _MRZ_WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _pad(text: str, n: int) -> str:
    return (text + "<" * n)[:n]


def td3_mrz(
    *,
    issuing_state: str,
    surname: str,
    given_names: str,
    number: str,
    nationality: str,
    birth: date,
    sex: str,
    expiry: date,
    personal_number: str = "",
) -> tuple[str, str]:
    """The two 44-character lines of a passport (ICAO 9303 part 4), names already MRZ-safe."""
    names = surname + "<<" + given_names.replace(" ", "<")
    line1 = _pad(f"P<{issuing_state}{names}", TD3_LINE)
    doc = _pad(number, 9)
    dob = f"{birth:%y%m%d}"
    exp = f"{expiry:%y%m%d}"
    personal = _pad(personal_number, 14)
    personal_check = mrz_check_digit(personal) if personal_number else "<"
    part_doc = doc + mrz_check_digit(doc)
    part_dob = dob + mrz_check_digit(dob)
    part_exp = exp + mrz_check_digit(exp)
    part_personal = personal + personal_check
    composite = mrz_check_digit(part_doc + part_dob + part_exp + part_personal)
    line2 = part_doc + nationality + part_dob + sex + part_exp + part_personal + composite
    assert len(line2) == TD3_LINE, line2
    return line1, line2
