"""A supervisor sets up a window, an item and a clerk from the browser alone; the clerk, with the
one-time password, calls a kiosk ticket for that item at that window. A catalogue file with bad
rows imports nothing; a good one is found by pinyin at the kiosk. axe-core checks the pages.

The live server is shared: this test adds window 24 and item ADMIN-J1 to zhuangzhai (the demo
has windows 1–23), and imports into qinghe items whose codes start with BULK-.
"""

from __future__ import annotations

import csv
import io
import json
import re
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import check_accessibility, new_context

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-pass-2026"


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/auth/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.get_by_role("button", name="登录").click()


def issue_ticket(live_server: Any, center: str, item_id: int) -> str:
    body = json.dumps({"center": center, "service": item_id}).encode()
    request = urllib.request.Request(
        live_server.url + "/api/v1/tickets",
        body,
        {"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["number"]


def test_a_supervisor_opens_a_window_for_a_new_item_and_a_new_clerk_serves_it(
    page, browser, live_server, screenshot
):
    sign_in(page, "zz-supervisor", DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile("系统管理")).click()
    check_accessibility(page)
    page.click("#windows-zhuangzhai")

    # a window
    page.click("#new-window")
    expect(page.locator("#number")).to_have_value("24")
    page.fill("#name_zh", "临时窗口")
    page.fill("#name_en", "Temporary window")
    check_accessibility(page)
    page.click("#save-window")
    expect(page.locator(".flash-success")).to_contain_text("24")
    expect(page.locator("#window-24")).to_contain_text("临时窗口")

    # an item served there
    page.click("#tab-items")
    page.click("#new-item")
    page.fill("#code", "ADMIN-J1")
    page.fill("#name_zh", "农机购置补贴申请")
    page.fill("#name_en", "Farm machinery subsidy")
    page.select_option("#case_type_id", label="民生类")
    page.check("#is_on_the_spot")
    page.locator("#window_ids-set").get_by_text(re.compile("24")).click()
    check_accessibility(page)
    page.click("#save-item")
    expect(page.locator(".flash-success")).to_contain_text("农机购置补贴申请")
    expect(page.locator("#item-ADMIN-J1")).to_contain_text("24")
    item_link = page.locator("#item-ADMIN-J1 a").get_attribute("href")
    item_id = int(item_link.rstrip("/").split("/")[-1])

    # a clerk given that window
    page.click("#tab-staff")
    page.click("#new-staff")
    page.fill("#username", "nongji-clerk")
    page.fill("#display_name", "赵农")
    page.locator("#window_ids-set").get_by_text(re.compile("24")).click()
    page.click("#save-staff")
    password = page.locator("#one-time-password").inner_text()
    screenshot("admin-one-time-password")
    assert len(password) == 12

    # a resident takes a ticket for the new item at the kiosk
    number = issue_ticket(live_server, "zhuangzhai", item_id)

    # the clerk signs in, must choose a password, signs on to window 24 and calls the ticket
    context = new_context(browser, live_server, locale="zh-CN")
    desk = context.new_page()
    try:
        sign_in(desk, "nongji-clerk", password)
        expect(desk).to_have_url(re.compile("/auth/password"))
        check_accessibility(desk)
        desk.fill("#current", password)
        desk.fill("#new", "nongji-pass-2026")
        desk.fill("#confirm", "nongji-pass-2026")
        desk.get_by_role("button", name="修改密码").click()
        desk.goto("/desk")
        sign_ons = desk.locator("form[action$='/sign-on'] button")
        expect(sign_ons).to_have_count(1)  # only the window given
        sign_ons.first.click()
        expect(desk.locator("h1")).to_contain_text("24 号窗口")
        expect(desk.locator("#queue")).to_contain_text(number)
        desk.wait_for_load_state("load")  # the keys work once the desk's script has run
        desk.keyboard.press("n")
        expect(desk.locator("#current-number")).to_have_text(number)
        desk.screenshot(
            path=str(ROOT / "test-artifacts" / "admin-new-clerk-desk.png"), full_page=True
        )
    finally:
        context.close()

    # every step is in the audit trail
    page.goto("/admin/audit?center=zhuangzhai")
    trail = page.locator("#audit")
    for action in ("window.create", "item.create", "user.create", "auth.password_change"):
        expect(trail).to_contain_text(action)
    check_accessibility(page)
    screenshot("admin-audit")


def catalogue_file(export: str, bad: dict[int, tuple[str, str]]) -> str:
    """The export plus 200 new items (codes BULK-000…); ``bad`` spoils some of them."""
    rows = list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))
    header = rows[0]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows(rows)
    for n in range(200):
        row = dict.fromkeys(header, "")
        row.update(
            code=f"BULK-{n:03d}",
            name_zh=f"林木采伐许可{n}",
            name_en=f"Logging permit {n}",
            department=rows[1][header.index("department")],
            case_type="民生",
            on_the_spot="是",
            service_minutes="10",
            bookable="yes",
            needs_applicant="no",
        )
        if n in bad:
            column, value = bad[n]
            row[column] = value
        writer.writerow(row.values())
    return out.getvalue()


def test_a_catalogue_file_with_bad_rows_imports_nothing_and_a_good_one_is_found_by_pinyin(
    page, live_server, tmp_path, screenshot
):
    sign_in(page, "county-admin", DEMO_PASSWORD)
    export = page.request.get("/admin/centers/qinghe/items/export.csv").text()
    existing = len(list(csv.reader(io.StringIO(export.lstrip("\ufeff"))))) - 1

    spoiled = tmp_path / "qinghe-bad.csv"
    spoiled.write_text(
        catalogue_file(
            export,
            {3: ("case_type", "旅游"), 99: ("on_the_spot", "maybe"), 180: ("code", "")},
        ),
        encoding="utf-8",
    )
    page.goto("/admin/centers/qinghe/items/import")
    check_accessibility(page)
    page.set_input_files("#file", str(spoiled))
    page.click("#check-file")
    errors = page.locator("#row-errors tbody tr")
    expect(errors).to_have_count(3)
    lines = [int(errors.nth(i).locator("td").first.inner_text()) for i in range(3)]
    first_new = existing + 2  # spreadsheet rows: the header is row 1
    assert lines == [first_new + 3, first_new + 99, first_new + 180]
    expect(page.locator("#import-errors")).to_contain_text("3")
    expect(page.locator("#confirm-import")).to_have_count(0)
    check_accessibility(page)
    screenshot("admin-import-errors")
    assert "BULK-" not in page.request.get("/admin/centers/qinghe/items/export.csv").text()

    good = tmp_path / "qinghe-good.csv"
    good.write_text(catalogue_file(export, {}), encoding="utf-8")
    page.goto("/admin/centers/qinghe/items/import")
    page.set_input_files("#file", str(good))
    page.click("#check-file")
    expect(page.locator("#import-summary")).to_contain_text("新增 200")
    page.click("#confirm-import")
    expect(page.locator(".flash-success")).to_contain_text("200")

    # the kiosk finds the new items by their pinyin initials (林木采伐许可 → lmcfxk)
    page.goto("/kiosk/qinghe")
    page.fill("#q", "lmcfxk")
    page.keyboard.press("Enter")
    # 200 items match: the kiosk shows the first of them and asks for more characters
    expect(page.locator("button.kiosk-item").first).to_contain_text("林木采伐许可")
    expect(page.locator("#more-results")).to_be_visible()


ADMIN_PAGES = [
    "/admin/",
    "/admin/centers/new",
    "/admin/centers/qinghe",
    "/admin/centers/qinghe/windows",
    "/admin/centers/qinghe/windows/new",
    "/admin/centers/qinghe/items",
    "/admin/centers/qinghe/items/new",
    "/admin/centers/qinghe/items/import",
    "/admin/centers/qinghe/calendar",
    "/admin/centers/qinghe/staff",
    "/admin/centers/qinghe/staff/new",
    "/admin/centers/qinghe/devices",
    "/admin/departments",
    "/admin/notices",
    "/admin/audit",
]


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_axe_finds_nothing_on_the_admin_pages(browser, live_server, locale):
    context = new_context(browser, live_server, locale=locale)
    page = context.new_page()
    try:
        page.goto("/auth/login")
        page.fill("#username", "county-admin")
        page.fill("#password", DEMO_PASSWORD)
        page.locator("form.form button[type=submit]").click()
        expect(page).to_have_url(re.compile("/auth/"))
        for path in ADMIN_PAGES:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            check_accessibility(page)
        # a refusal shown next to its field is accessible too
        page.goto("/admin/centers/qinghe/windows/new")
        page.fill("#number", "1")
        page.fill("#name_zh", "重复")
        page.fill("#name_en", "Twice")
        page.click("#save-window")
        expect(page.locator("#number-error")).to_be_visible()
        check_accessibility(page)
    finally:
        context.close()
