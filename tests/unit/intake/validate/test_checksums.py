from datetime import date

import pytest

from hub.intake.validate.checksums import (
    iin_birth_date,
    iin_check_digit,
    iin_is_valid,
    iin_sex,
    make_iin,
    mrz_check_digit,
)


class TestMrzCheckDigit:
    # ICAO 9303 part 4 specimen passport (Anna Maria Eriksson, Utopia).
    LINE2 = "L898902C36UTO7408122F1204159ZE184226B<<<<<10"

    @pytest.mark.parametrize(("field", "digit"), [
        ("L898902C3", 6), ("740812", 2), ("120415", 9), ("ZE184226B<<<<<", 1),
    ])
    def test_specimen_fields(self, field: str, digit: int) -> None:
        assert mrz_check_digit(field) == digit

    def test_specimen_composite(self) -> None:
        s = self.LINE2
        assert mrz_check_digit(s[0:10] + s[13:20] + s[21:43]) == int(s[43])

    def test_rejects_lower_case(self) -> None:
        with pytest.raises(ValueError):
            mrz_check_digit("abc")


class TestIin:
    def test_first_pass(self) -> None:
        # 1..11 weights: sum over "85041230123" = 8+10+0+16+5+12+21+0+9+20+33 = 134; 134 % 11 = 2
        assert iin_check_digit("85041230123") == 2
        assert iin_is_valid("850412301232")
        assert not iin_is_valid("850412301233")

    def test_second_pass_and_unissuable(self) -> None:
        second = unissuable = None
        for serial in range(10000):
            first11 = f"9001013{serial:04d}"
            digits = [int(c) for c in first11]
            if sum(d * w for d, w in zip(digits, range(1, 12), strict=True)) % 11 != 10:
                continue
            pass2 = sum(d * w for d, w in zip(digits, (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2),
                                              strict=True)) % 11
            if pass2 == 10:
                unissuable = first11
            else:
                second = (first11, pass2)
            if second and unissuable:
                break
        assert second and unissuable
        assert iin_check_digit(second[0]) == second[1]
        assert iin_check_digit(unissuable) is None
        assert not any(iin_is_valid(unissuable + str(d)) for d in range(10))

    @pytest.mark.parametrize(("digit", "year", "sex"), [
        ("1", 1899, "M"), ("2", 1850, "F"), ("3", 1985, "M"), ("4", 1995, "F"),
        ("5", 2003, "M"), ("6", 2010, "F"),
    ])
    def test_century_and_sex(self, digit: str, year: int, sex: str) -> None:
        iin = make_iin(date(year, 2, 28), sex, 17) or make_iin(date(year, 2, 28), sex, 18)
        assert iin is not None and iin[6] == digit and iin_is_valid(iin)
        assert iin_birth_date(iin) == date(year, 2, 28)
        assert iin_sex(iin) == sex

    def test_impossible_date(self) -> None:
        assert iin_birth_date("951303451270") is None
        assert iin_birth_date("951103951270") is None  # century digit 9
