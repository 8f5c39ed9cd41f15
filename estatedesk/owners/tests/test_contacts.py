"""R-OA-1: what makes a contact valid, and how personal data is masked."""

import pytest

from estatedesk.owners.contacts import (
    is_valid_id_card,
    is_valid_phone,
    mask_id_number,
    mask_phone,
    name_initials,
    name_pinyin,
    normalize_phone,
    phone_last4,
    split_phones,
)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("0532-88001234", "053288001234"),
        ("0532-8800 1234 转 806", "053288001234-806"),
        ("", ""),
    ],
)
def test_oa_1_phone_numbers_are_normalized(raw, normalized):
    assert normalize_phone(raw) == normalized


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("13812345678", True),
        ("053288001234", True),
        ("053288001234-806", True),
        ("1381234567", False),
        ("12345678901", False),
        ("abc", False),
    ],
)
def test_oa_1_reachable_phone_numbers(number, valid):
    assert is_valid_phone(number) is valid


def test_oa_1_several_numbers_in_one_cell():
    assert split_phones("13812345678 / 0532-88001234；13812345678") == ["13812345678", "053288001234"]


def test_phones_are_masked():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("053288001234") == "0532****1234"
    assert phone_last4("053288001234-806") == "1234"


def test_id_card_check_digit_and_mask():
    assert is_valid_id_card("11010519491231002X")
    assert not is_valid_id_card("110105194912310021")
    assert mask_id_number("11010519491231002X") == "110***********002X"


def test_pinyin_initials_of_chinese_names():
    assert name_initials("张伟") == "zw"
    assert name_initials("欧阳娜娜") == "oynn"
    assert name_initials("Li Lei") == "ll"


def test_full_pinyin_of_names_is_the_archive_sort_key():
    assert name_pinyin("张伟") == "zhang wei"
    assert name_pinyin("欧阳娜娜") == "ou yang na na"
    assert name_pinyin("Li Lei") == "li lei"
    assert name_pinyin("王2号·Anna") == "wang 2 hao anna"
    assert name_pinyin("") == ""
    # a long name is cut to the column (120), never ending in a separator
    long_name = name_pinyin("张" * 60)
    assert len(long_name) <= 120
    assert long_name == long_name.strip()
    assert long_name.startswith("zhang zhang")
