"""Masking of names, phone numbers and resident ID numbers on public and staff screens."""

from __future__ import annotations

import pytest

from service_center.privacy import mask_id_number, mask_in_text, mask_name, mask_phone


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("李", "李*"),  # a one-character name still hides that it has one character
        ("Smith", "S****"),
        ("", ""),
        (None, ""),
    ],
)
def test_names_keep_only_the_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("19900001111", "199****1111"),
        ("12345", "*****"),  # too short to show any part of it
        ("", ""),
        (None, ""),
    ],
)
def test_phones_show_the_first_three_and_last_four_digits(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("id_number", "masked"),
    [
        ("11010519491231002X", "11**************2X"),
        ("371721199001011234", "37**************34"),
        ("1234", "****"),
        (None, ""),
    ],
)
def test_id_numbers_hide_region_birth_date_and_sequence(id_number, masked):
    assert mask_id_number(id_number) == masked


def test_numbers_a_resident_typed_into_a_comment_are_masked_for_export():
    text = "请打13812345678找我，身份证372922198001011230，号票 B017，办件 ZZ-20261208-0001"
    masked = mask_in_text(text)
    assert "13812345678" not in masked and "138****5678" in masked
    assert "372922198001011230" not in masked
    assert masked.endswith("号票 B017，办件 ZZ-20261208-0001")  # the rest is left as it was
