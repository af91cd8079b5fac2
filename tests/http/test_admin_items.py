"""The catalogue from the admin area: items added and changed with pinyin derived, retiring
refused while tickets wait, and the import of a file checked whole before anything is written."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from service_center.audit import AuditRecord
from service_center.catalogue.models import ServiceItem
from service_center.db import db
from service_center.windows.models import Window

EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
HEADER = (
    "code,national_code,name_zh,name_en,department,case_type,materials_zh,materials_en,"
    "on_the_spot,promised_days,service_minutes,bookable,places_per_slot,needs_applicant,windows"
)
#: the export writes every column; a file without the last ones (older exports) still imports
EXPORT_HEADER = HEADER + ",remote"


def item_form(world, **overrides):
    data = {
        "code": "NEW-1",
        "national_code": "",
        "name_zh": "道路运输经营许可",
        "name_en": "Road transport permit",
        "department_id": world.departments[0].id,
        "case_type_id": world.case_types["business"].id,
        "materials_zh": "申请表\n身份证",
        "materials_en": "Application\nID card",
        "is_on_the_spot": "y",
        "service_minutes": 15,
        "is_bookable": "y",
        "window_ids": [world.windows.business.id],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_an_item_is_added_with_its_pinyin_and_the_kiosk_search_finds_it(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.post("/admin/centers/testtown/items/new", data=item_form(world))
    assert response.status_code == 302
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "NEW-1"))
    assert (item.pinyin_initials, item.pinyin_full) == ("dlysjyxk", "daoluyunshujingyingxuke")
    assert [
        w.number for w in db.session.scalars(select(Window).where(Window.services.contains(item)))
    ] == [1]
    found = client.get("/api/v1/centers/testtown/services?q=dlys").get_json()
    assert [s["name"] for s in found if s["id"] == item.id]
    (record,) = db.session.scalars(select(AuditRecord).where(AuditRecord.action == "item.create"))
    assert record.changes["code"] == [None, "NEW-1"] and record.changes["windows"] == [None, [1]]


def test_a_national_code_is_unique_within_the_center_and_said_next_to_its_field(
    world, client, login_as
):
    login_as(world.users.supervisor)
    client.post(
        "/admin/centers/testtown/items/new", data=item_form(world, national_code="11370000MB")
    )
    response = client.post(
        "/admin/centers/testtown/items/new",
        data=item_form(world, code="NEW-2", national_code="11370000MB"),
        headers=EN,
    )
    assert response.status_code == 422
    assert (
        'id="national_code-error">Another item of this center has the national code 11370000MB.'
        in (response.get_data(as_text=True))
    )
    # another center may use it
    login_as(world.users.admin)
    response = client.post(
        "/admin/centers/otherville/items/new",
        data=item_form(world, national_code="11370000MB", window_ids=[]),
    )
    assert response.status_code == 302


def test_a_promised_item_needs_its_days(world, client, login_as):
    login_as(world.users.supervisor)
    data = item_form(world)
    del data["is_on_the_spot"]
    response = client.post("/admin/centers/testtown/items/new", data=data, headers=EN)
    assert response.status_code == 422
    assert 'id="time_limit_days-error">A promised item needs the working days promised' in (
        response.get_data(as_text=True)
    )


def test_retiring_an_item_with_tickets_waiting_is_refused_naming_them(
    world, client, login_as, issue, admin_clock
):
    ticket = issue(world.items.marriage)
    login_as(world.users.supervisor)
    item = world.items.marriage
    response = client.post(
        f"/admin/centers/testtown/items/{item.id}/retire", headers=EN, follow_redirects=True
    )
    assert f"Tickets {ticket.number} wait for this item" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceItem, item.id).is_active


def exported(client) -> str:
    response = client.get("/admin/centers/testtown/items/export.csv")
    assert response.status_code == 200
    return response.get_data(as_text=True).lstrip("\ufeff")


def upload(client, text: str, name: str = "items.csv", headers=EN):
    return client.post(
        "/admin/centers/testtown/items/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def confirm(client, page: str):
    fields = dict(
        re.findall(r'<input type="hidden" name="(digest|filename|payload)" value="([^"]*)"', page)
    )
    return client.post("/admin/centers/testtown/items/import/confirm", data=fields, headers=EN)


def count_items() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(ServiceItem))


def test_an_export_imported_again_changes_nothing(world, client, login_as):
    login_as(world.users.supervisor)
    text = exported(client)
    assert text.splitlines()[0] == EXPORT_HEADER
    response = upload(client, text)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "0 items added" in page and "0 items changed" in page and "6 items unchanged" in page


def big_file(world, bad: dict[int, tuple[str, str]]) -> str:
    """200 new items; ``bad`` maps a row index to (column, wrong value)."""
    columns = HEADER.split(",")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for code, name_zh, name_en in (
        (i.code, i.name_zh, i.name_en)
        for i in vars(world.items).values()
        if i.center_id == world.center.id
    ):
        writer.writerow(
            [
                code,
                "",
                name_zh,
                name_en,
                "scjg",
                "business",
                "",
                "",
                "yes",
                "",
                "10",
                "yes",
                "",
                "no",
                "4",
            ]
        )
    for n in range(200):
        row = dict(
            zip(
                columns,
                [
                    f"B-{n:03d}",
                    "",
                    f"批量事项{n}",
                    f"Bulk item {n}",
                    "scjg",
                    "民生",
                    "身份证；申请表",
                    "",
                    "是",
                    "",
                    "10",
                    "yes",
                    "",
                    "no",
                    "3",
                ],
                strict=True,
            )
        )
        if n in bad:
            column, value = bad[n]
            row[column] = value
        writer.writerow(row.values())
    return out.getvalue()


def test_three_bad_rows_of_two_hundred_are_named_and_nothing_is_imported(world, client, login_as):
    login_as(world.users.supervisor)
    before = count_items()
    text = big_file(
        world, {10: ("department", "nosuch"), 50: ("service_minutes", "ten"), 150: ("windows", "9")}
    )
    response = upload(client, text)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    rows = re.findall(
        r'<tr><td class="num">(\d+)</td><td><code>(\w+)</code></td><td>([^<]+)</td></tr>', page
    )
    # the header is line 1 and the six existing items lines 2–7
    assert rows == [
        ("18", "department", "No department has the code nosuch."),
        ("58", "service_minutes", "Must be a whole number."),
        ("158", "windows", "This center has no window 9."),
    ]
    assert "3 problems: nothing was imported" in page
    assert 'id="confirm-import"' not in page
    assert count_items() == before


def test_a_valid_import_is_shown_first_then_written_whole_and_audited(world, client, login_as):
    login_as(world.users.supervisor)
    before = count_items()
    text = big_file(world, {})
    response = upload(client, text)
    page = response.get_data(as_text=True)
    assert "200 items added" in page and "6 items changed" in page
    assert count_items() == before  # a dry run writes nothing
    response = confirm(client, page)
    assert response.status_code == 302
    assert count_items() == before + 200
    item = db.session.scalar(select(ServiceItem).where(ServiceItem.code == "B-007"))
    assert item.materials_zh == "身份证\n申请表" and item.case_type.code == "livelihood"
    assert item.pinyin_initials == "plsx"
    found = client.get("/api/v1/centers/testtown/services?q=plsx").get_json()
    assert len(found) == 200  # every new item, found by its pinyin initials
    audited = db.session.scalar(
        select(func.count()).select_from(AuditRecord).where(AuditRecord.action == "item.create")
    )
    assert audited == 200


def test_items_missing_from_the_file_are_retired_unless_tickets_wait(
    world, client, login_as, issue, admin_clock
):
    login_as(world.users.supervisor)
    rows = list(csv.reader(io.StringIO(exported(client))))
    marriage = world.items.marriage
    out = io.StringIO()
    csv.writer(out).writerows(row for row in rows if row[0] != marriage.code)
    page = upload(client, out.getvalue()).get_data(as_text=True)
    assert "1 item retired" in page and marriage.code in page
    ticket = issue(marriage)
    response = confirm(client, page)
    assert response.status_code == 422
    assert f"Tickets {ticket.number} wait for this item" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ServiceItem, marriage.id).is_active


def test_an_xlsx_file_is_read_like_a_csv(world, client, login_as):
    login_as(world.users.supervisor)
    response = client.get("/admin/centers/testtown/items/export.xlsx")
    book = load_workbook(io.BytesIO(response.data))
    rows = list(book.active.iter_rows(values_only=True))
    assert ",".join(rows[0]) == EXPORT_HEADER
    new = Workbook()
    for row in rows:
        new.active.append(list(row))
    new.active.append(
        [
            "X-1",
            None,
            "新事项",
            "New item",
            "mz",
            "livelihood",
            None,
            None,
            "yes",
            None,
            10,
            "yes",
            None,
            "no",
            "3",
        ]
    )
    out = io.BytesIO()
    new.save(out)
    response = client.post(
        "/admin/centers/testtown/items/import",
        data={"file": (io.BytesIO(out.getvalue()), "items.xlsx")},
        content_type="multipart/form-data",
        headers=EN,
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page
    assert "1 item added" in page and "6 items unchanged" in page


def test_a_file_of_another_kind_is_refused(world, client, login_as):
    login_as(world.users.supervisor)
    response = upload(client, "hello", name="items.txt")
    assert response.status_code == 422
    assert "Send a .csv or .xlsx file." in response.get_data(as_text=True)
    response = upload(client, "name,colour\nx,y\n")
    assert response.status_code == 422
    assert "The first row must name the columns" in response.get_data(as_text=True)
