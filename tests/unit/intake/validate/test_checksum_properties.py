"""Properties of the IIN and MRZ check digits, against independent restatements.

The IIN rule is restated from the published algorithm (two weighted passes mod 11);
the MRZ rule from ICAO 9303 part 3, 4.9 (weights 7, 3, 1; A-Z = 10..35, '<' = 0).
Each property also shows the check digit catches what it exists to catch: any
single changed digit of an IIN, any single changed character of an MRZ field.
"""

from __future__ import annotations

import string
from datetime import date

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from hub.intake.validate.checksums import (
    iin_birth_date,
    iin_check_digit,
    iin_is_valid,
    iin_sex,
    make_iin,
    mrz_check_digit,
)

MRZ_ALPHABET = string.digits + string.ascii_uppercase + "<"
digits11 = st.text(string.digits, min_size=11, max_size=11)
# The longest field checked is the TD3 composite (39); the code accepts up to 45.
mrz_fields = st.text(MRZ_ALPHABET, min_size=1, max_size=45)


def reference_iin_check(first11: str) -> int | None:
    d = [int(c) for c in first11]
    first = sum(x * w for x, w in zip(d, range(1, 12), strict=True)) % 11
    if first != 10:
        return first
    second = sum(x * w for x, w in zip(d, [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2], strict=True)) % 11
    return None if second == 10 else second


def reference_mrz_check(field: str) -> int:
    value = {c: i for i, c in enumerate(string.digits + string.ascii_uppercase)} | {"<": 0}
    return sum(value[c] * (7, 3, 1)[i % 3] for i, c in enumerate(field)) % 10


@given(digits11)
def test_iin_check_digit_matches_the_published_algorithm(first11: str) -> None:
    assert iin_check_digit(first11) == reference_iin_check(first11)


@given(digits11)
def test_only_the_computed_check_digit_is_valid(first11: str) -> None:
    check = iin_check_digit(first11)
    valid = [d for d in range(10) if iin_is_valid(first11 + str(d))]
    assert valid == ([] if check is None else [check])


def first_pass(digits: str) -> int:
    return sum(int(x) * w for x, w in zip(digits, range(1, 12), strict=True)) % 11


@given(digits11, st.integers(0, 9), st.integers(1, 9))
def test_one_changed_digit_is_caught(first11: str, position: int, delta: int) -> None:
    """Weights 1..10 are invertible mod 11: a changed digit among the first ten moves
    the first-pass sum, hence the check digit (while the first pass decides both)."""
    changed = first11[:position] + str((int(first11[position]) + delta) % 10) \
        + first11[position + 1:]
    assume(first_pass(first11) != 10 and first_pass(changed) != 10)
    assert not iin_is_valid(changed + str(iin_check_digit(first11)))


@given(digits11, st.integers(1, 9))
def test_eleventh_digit_is_weight_eleven_in_the_first_pass(first11: str, delta: int) -> None:
    """The algorithm's own blind spot: weight 11 is 0 mod 11, so while the first pass
    decides, the serial's last digit does not move the check digit."""
    assume(first_pass(first11) != 10)
    changed = first11[:10] + str((int(first11[10]) + delta) % 10)
    assert iin_check_digit(changed) == iin_check_digit(first11)


@given(st.text(max_size=14))
def test_iin_validity_never_raises_and_needs_twelve_ascii_digits(text: str) -> None:
    if iin_is_valid(text):
        assert len(text) == 12 and text.isascii() and text.isdigit()


@given(st.dates(date(1800, 1, 1), date(2099, 12, 31)), st.sampled_from("MF"),
       st.integers(0, 9999))
def test_make_iin_encodes_birth_and_sex(birth: date, sex: str, serial: int) -> None:
    iin = make_iin(birth, sex, serial)
    century_sex_digit = {1800: 1, 1900: 3, 2000: 5}[birth.year // 100 * 100] + (sex == "F")
    first11 = f"{birth:%y%m%d}{century_sex_digit}{serial:04d}"
    if iin is None:  # this serial is one of the never-issued numbers
        assert iin_check_digit(first11) is None
        return
    assert iin[:11] == first11
    assert iin_is_valid(iin)
    assert iin_birth_date(iin) == birth and iin_sex(iin) == sex
    assert iin[7:11] == f"{serial:04d}"


@given(mrz_fields)
def test_mrz_check_digit_matches_icao(field: str) -> None:
    assert mrz_check_digit(field) == reference_mrz_check(field)


@given(mrz_fields, st.data())
def test_mrz_single_substitution_is_caught(field: str, data: st.DataObject) -> None:
    """Weights 7, 3, 1 are prime to 10: a changed character changes the digit unless
    its value moves by a multiple of 10 (e.g. A<->0: ICAO's known blind spot)."""
    i = data.draw(st.integers(0, len(field) - 1))
    new = data.draw(st.sampled_from(MRZ_ALPHABET))
    old_value, new_value = (MRZ_ALPHABET.index(c) % 36 for c in (field[i], new))
    assume((old_value - new_value) % 10 != 0)
    changed = field[:i] + new + field[i + 1:]
    assert mrz_check_digit(changed) != mrz_check_digit(field)


@given(st.text(min_size=1, max_size=10).filter(lambda s: any(c not in MRZ_ALPHABET for c in s)))
def test_mrz_refuses_foreign_characters(field: str) -> None:
    with pytest.raises(ValueError, match=r"^not an MRZ character: .+$"):
        mrz_check_digit(field)


@given(st.text(MRZ_ALPHABET, min_size=46, max_size=60))
def test_mrz_refuses_fields_longer_than_td3(field: str) -> None:
    with pytest.raises(ValueError, match=r"^MRZ field longer than 45 characters$"):
        mrz_check_digit(field)


@pytest.mark.parametrize("first", ["8504123012", "850412301231", ""])
def test_iin_check_digit_refuses_a_wrong_length(first: str) -> None:
    """Weights and digits are zipped strictly: a cut or padded number is an error,
    never a check digit computed over part of it."""
    with pytest.raises(ValueError):
        iin_check_digit(first)


@pytest.mark.parametrize("century", "0789")
def test_sex_and_birth_of_an_unknown_century_digit_are_unknown(century: str) -> None:
    iin = f"850412{century}01232"
    assert iin_sex(iin) is None and iin_birth_date(iin) is None


@given(st.integers(0, 10**6))
def test_make_iin_keeps_four_serial_digits(serial: int) -> None:
    iin = make_iin(date(1985, 4, 12), "M", serial)
    if iin is not None:
        assert len(iin) == 12 and iin[7:11] == f"{serial % 10000:04d}"


@pytest.mark.parametrize("text", [
    "85041230123a",  # twelve ASCII characters, not all digits
    "٨٥٠٤١٢٣٠١٢٣٢",  # twelve digits, not ASCII (Arabic-Indic: int() would read them)
    "850412", "8504123012320", "",
])
def test_iin_is_twelve_ascii_digits(text: str) -> None:
    assert iin_is_valid(text) is False
