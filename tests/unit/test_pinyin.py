"""Pinyin search keys of service item names: initials (yyzz) and full syllables."""

from __future__ import annotations

import pytest

from service_center.catalogue.services import pinyin_keys


@pytest.mark.parametrize(
    ("name", "initials", "full"),
    [
        ("营业执照", "yyzz", "yingyezhizhao"),
        ("个体工商户营业执照设立登记", "gtgshyyzzsldj", "getigongshanghuyingyezhizhaoshelidengji"),
        ("银行开户", "yhkh", "yinhangkaihu"),  # 行 read as hang in a word, not xing
        ("不动产登记", "bdcdj", "budongchandengji"),
        ("税务UKey发放", "swff", "shuiwufafang"),  # Latin text is found by the name itself
        ("《食品经营许可证》核发", "spjyxkzhf", "shipinjingyingxukezhenghefa"),
        ("", "", ""),
    ],
)
def test_pinyin_keys_give_initials_and_full_pinyin(name, initials, full):
    assert pinyin_keys(name) == (initials, full)
