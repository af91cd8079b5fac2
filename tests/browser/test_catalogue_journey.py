"""A resident finds the business-licence items by Chinese text and by pinyin initials."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_search_open_item_and_switch_language(page, screenshot):
    page.goto("/centers/zhuangzhai/services")
    page.fill("#q", "营业执照")
    page.get_by_role("button", name="搜索").click()
    items = page.locator(".items li a")
    names = items.all_inner_texts()
    assert names and all("营业执照" in name for name in names)

    page.fill("#q", "yyzz")
    page.press("#q", "Enter")
    assert sorted(page.locator(".items li a").all_inner_texts()) == sorted(names)

    first = names[0]
    page.click(f"text={first}")
    assert page.locator("#item-name").inner_text() == first
    assert page.locator(".materials li").count() >= 2
    screenshot("catalogue-item-zh")

    page.click("#lang-en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "What to bring" in page.content()
    english_name = page.locator("#item-name").inner_text()
    assert english_name != first and english_name.isascii()

    page.reload()
    assert "What to bring" in page.content()  # the choice is remembered
    page.click("#lang-zh")
    assert page.locator("#item-name").inner_text() == first
