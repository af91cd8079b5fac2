"""Public pages: centers, a center's home, the catalogue, search, an item; languages."""

from __future__ import annotations

from datetime import UTC, datetime
from unittest.mock import patch

import pytest

ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}
EN = {"Accept-Language": "en-US,en;q=0.9"}


def test_center_list_shows_every_center(client, world):
    page = client.get("/", headers=ZH).get_data(as_text=True)
    assert "testtown便民服务中心" in page
    assert "otherville便民服务中心" in page


def test_center_home_shows_hours_and_case_types(client, world):
    response = client.get("/centers/testtown", headers=ZH)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "09:00–12:00, 13:30–17:30" in page
    for name in ("商事类", "投资类", "民生类"):
        assert name in page


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2026, 11, 27, 2, 0, tzinfo=UTC), "Open now"),  # Fri 10:00 in Shanghai
        (datetime(2026, 11, 27, 4, 30, tzinfo=UTC), "closed at this hour"),  # 12:30 lunch
        (datetime(2026, 11, 28, 2, 0, tzinfo=UTC), "Closed today (Weekend)"),  # Saturday
        (datetime(2026, 10, 1, 2, 0, tzinfo=UTC), "Closed today (National Day)"),
        (datetime(2026, 9, 20, 2, 0, tzinfo=UTC), "Open now"),  # Sunday made a workday (调休)
    ],
)
def test_center_home_tells_todays_state(client, world, moment, expected):
    with patch("service_center.catalogue.views.now_utc", return_value=moment):
        page = client.get("/centers/testtown", headers=EN).get_data(as_text=True)
    assert expected in page


def test_unknown_center_is_404_in_the_users_language(client, world):
    response = client.get("/centers/atlantis", headers=ZH)
    assert response.status_code == 404
    assert "页面不存在" in response.get_data(as_text=True)


def test_catalogue_groups_by_case_type_and_by_department(client, world):
    by_type = client.get("/centers/testtown/services", headers=ZH).get_data(as_text=True)
    assert by_type.index("商事类") < by_type.index("投资类") < by_type.index("民生类")
    by_department = client.get("/centers/testtown/services?group=department", headers=ZH)
    page = by_department.get_data(as_text=True)
    assert "市场监督管理局" in page and "民政局" in page


@pytest.mark.parametrize("query", ["营业执照", "yyzz", "YYZZ", "yingye", "licence"])
def test_search_finds_licence_items_by_chinese_pinyin_or_english(client, world, query):
    page = client.get("/centers/testtown/services", query_string={"q": query}, headers=ZH)
    text = page.get_data(as_text=True)
    assert "个体工商户营业执照设立登记" in text
    assert "营业执照变更登记" in text
    assert "最低生活保障申请" not in text
    assert "营业执照注销登记" not in text  # the other center's item


def test_search_with_no_match_says_so(client, world):
    page = client.get("/centers/testtown/services?q=%25%25zzzz", headers=EN).get_data(as_text=True)
    assert "No item matches your search" in page


def test_item_page_shows_materials_handling_and_windows(client, world):
    item = world.items.food
    page = client.get(f"/centers/testtown/services/{item.id}", headers=ZH).get_data(as_text=True)
    assert "食品经营许可证核发" in page
    assert "身份证原件" in page
    assert "5 个工作日" in page
    assert "1 号窗口" in page and "2 号窗口" in page and "4 号窗口" in page
    assert "3 号窗口" not in page


def test_item_of_another_center_is_404(client, world):
    response = client.get(f"/centers/testtown/services/{world.items.other_licence.id}")
    assert response.status_code == 404


def test_english_pages_from_accept_language(client, world):
    page = client.get("/centers/testtown/services", headers=EN).get_data(as_text=True)
    assert "Service items" in page and "Business" in page
    assert '<html lang="en" ' in page


def test_language_switch_is_remembered(client, world):
    response = client.get("/lang/en?next=/centers/testtown", headers=ZH)
    assert response.status_code == 302
    assert response.headers["Location"] == "/centers/testtown"
    page = client.get("/centers/testtown", headers=ZH).get_data(as_text=True)
    assert "Opening hours" in page
    client.get("/lang/zh_CN?next=/", headers=EN)
    assert "营业时间" in client.get("/centers/testtown", headers=EN).get_data(as_text=True)


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/%5Cevil.example/"]
)
def test_language_switch_refuses_foreign_redirects(client, world, target):
    response = client.get(f"/lang/en?next={target}")
    assert response.headers["Location"] == "/"
    assert client.get("/lang/fr").status_code == 404


def test_an_id_beyond_any_database_integer_is_404(client, world):
    assert client.get("/centers/testtown/services/99999999999999999999").status_code == 404
