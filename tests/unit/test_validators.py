"""Personal data formats: mainland mobile numbers, resident ID numbers, names."""

from __future__ import annotations

from datetime import date

import pytest

from service_center.validators import (
    PersonalDataError,
    clean_id_number,
    clean_mobile,
    clean_name,
    id_check_character,
)

pytestmark = pytest.mark.usefixtures("english")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("+8613812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("008613812345678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        (" 16612345678 ", "16612345678"),
    ],
)
def test_mainland_mobiles_are_normalised(raw, expected):
    assert clean_mobile(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        None,
        "12812345678",
        "10012345678",
        "1381234567",
        "138123456789",
        "+85212345678",
        "0530-3511000",
        "1381234567X",
        "１３８１２３４５６７８",
        "8613812345678",
        "1" * 40,
    ],
)
def test_other_numbers_are_refused(raw):
    with pytest.raises(PersonalDataError):
        clean_mobile(raw)


def test_the_known_valid_id_number_passes():
    assert id_check_character("11010519491231002") == "X"
    assert clean_id_number("11010519491231002x") == "11010519491231002X"
    assert clean_id_number("  ") is None and clean_id_number(None) is None


def test_a_cao_county_number_with_its_own_check_digit_passes():
    first17 = "37172119900101123"
    assert clean_id_number(first17 + id_check_character(first17)) == first17 + id_check_character(
        first17
    )


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("110105194912310021", "check digit"),
        ("11010519491231002", "17 digits"),
        ("1101051949123100XX", "17 digits"),
        ("11010519490230002X", "birth date"),  # 30 February
        ("11010518001231002X", "birth date"),  # before 1900
    ],
)
def test_bad_id_numbers_are_refused(raw, why):
    with pytest.raises(PersonalDataError, match=why):
        clean_id_number(raw)


def test_a_birth_date_in_the_future_is_refused():
    first17 = "37172120300101123"
    number = first17 + id_check_character(first17)
    assert clean_id_number(number) == number
    with pytest.raises(PersonalDataError, match="birth date"):
        clean_id_number(number, today=date(2026, 11, 26))


@pytest.mark.parametrize(
    ("raw", "expected"), [("张三", "张三"), (" 欧阳  娜娜 ", "欧阳 娜娜"), ("Li Lei", "Li Lei")]
)
def test_names_are_trimmed(raw, expected):
    assert clean_name(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", None, "张" * 61, "张\u200b三", "a\tb\x07"])
def test_bad_names_are_refused(raw):
    with pytest.raises(PersonalDataError):
        clean_name(raw)
