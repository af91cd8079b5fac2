"""Load the demo county: 庄寨镇 (23 windows, 200+ items), 青荷街道, staff accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import time
from pathlib import Path

from sqlalchemy import func, select

from ..auth.models import Role
from ..auth.services import create_user
from ..catalogue.models import CaseType, Center, Department, OpeningHours, ServiceItem
from ..catalogue.services import ensure_case_types, set_pinyin
from ..db import db
from ..quality.models import WaitLimit
from ..windows.models import Window

DATA = Path(__file__).with_name("catalogue.json")
DEMO_PASSWORD = "demo-pass-2026"

WEEKDAYS = range(5)
ZHUANGZHAI_HOURS = [(time(9, 0), time(12, 0)), (time(13, 30), time(17, 30))]
QINGHE_HOURS = [(time(8, 30), time(12, 0)), (time(14, 0), time(17, 0))]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: Role
    center_code: str | None
    display_name: str


DEMO_ACCOUNTS = [
    DemoAccount("zz-clerk", Role.CLERK, "zhuangzhai", "王芳 (庄寨镇窗口)"),
    DemoAccount("zz-supervisor", Role.SUPERVISOR, "zhuangzhai", "李强 (庄寨镇主任)"),
    DemoAccount("qh-clerk", Role.CLERK, "qinghe", "赵敏 (青荷街道窗口)"),
    DemoAccount("qh-supervisor", Role.SUPERVISOR, "qinghe", "孙伟 (青荷街道主任)"),
    DemoAccount("county-admin", Role.ADMIN, None, "曹县政务服务管理办公室"),
]


def is_seeded() -> bool:
    return (db.session.scalar(select(func.count(Center.id))) or 0) > 0


def seed_demo(password: str = DEMO_PASSWORD) -> list[DemoAccount]:
    """Load the demo county into an empty database; return the accounts created.

    Does nothing (and returns []) when any center exists, so running it twice is safe.
    """
    if is_seeded():
        return []
    data = json.loads(DATA.read_text(encoding="utf-8"))
    case_types = ensure_case_types()
    departments = {
        d["code"]: Department(code=d["code"], name_zh=d["name_zh"], name_en=d["name_en"])
        for d in data["departments"]
    }
    db.session.add_all(departments.values())

    zhuangzhai = Center(
        code="zhuangzhai",
        case_prefix="ZZ",
        name_zh="庄寨镇便民服务中心",
        name_en="Zhuangzhai Town Convenience Service Center",
        address_zh="山东省菏泽市曹县庄寨镇人民路 88 号",
        address_en="88 Renmin Road, Zhuangzhai Town, Cao County, Heze, Shandong",
        phone="0530-3511000",
        slot_capacity=6,
        # 服务时限: at most 60 waiting, a service at most twice the item's standard
        queue_limit=60,
        service_limit_percent=200,
    )
    qinghe = Center(
        code="qinghe",
        case_prefix="QH",
        name_zh="青荷街道便民服务中心",
        name_en="Qinghe Subdistrict Convenience Service Center",
        address_zh="山东省菏泽市曹县青荷街道青荷路 16 号",
        address_en="16 Qinghe Road, Qinghe Subdistrict, Cao County, Heze, Shandong",
        phone="0530-3522000",
        slot_capacity=3,
        slot_minutes=30,
    )
    db.session.add_all([zhuangzhai, qinghe])
    _add_hours(zhuangzhai, {d: ZHUANGZHAI_HOURS for d in WEEKDAYS})
    _add_hours(qinghe, {**{d: QINGHE_HOURS for d in WEEKDAYS}, 5: [(time(9, 0), time(12, 0))]})

    zz_items = [_item(zhuangzhai, row, case_types, departments) for row in data["items"]]
    # 青荷 is a smaller subdistrict center: every third item, plus all licence items
    qh_items = [
        _item(qinghe, row, case_types, departments)
        for index, row in enumerate(data["items"])
        if index % 3 == 0 or "营业执照" in row["name_zh"]
    ]
    db.session.add_all(zz_items + qh_items)
    _add_windows(
        zhuangzhai,
        zz_items,
        case_types,
        [("business", 8), ("investment", 4), ("livelihood", 9), (None, 2)],
    )
    _add_windows(
        qinghe,
        qh_items,
        case_types,
        [("business", 2), ("investment", 1), ("livelihood", 2), (None, 1)],
    )
    db.session.flush()
    # the longest acceptable waits of 庄寨: business and investment 30 minutes, livelihood 45
    for code, minutes in (("business", 30), ("investment", 30), ("livelihood", 45)):
        db.session.add(
            WaitLimit(center_id=zhuangzhai.id, case_type_id=case_types[code].id, minutes=minutes)
        )

    centers = {"zhuangzhai": zhuangzhai, "qinghe": qinghe}
    for account in DEMO_ACCOUNTS:
        create_user(
            account.username,
            password,
            account.role,
            centers.get(account.center_code or ""),
            account.display_name,
        )
    return DEMO_ACCOUNTS


def _add_hours(center: Center, plan: dict[int, list[tuple[time, time]]]) -> None:
    for weekday, periods in plan.items():
        for start, end in periods:
            center.hours.append(OpeningHours(weekday=weekday, open_time=start, close_time=end))


def _item(
    center: Center, row: dict, case_types: dict[str, CaseType], departments: dict[str, Department]
) -> ServiceItem:
    item = ServiceItem(
        center=center,
        code=row["code"],
        name_zh=row["name_zh"],
        name_en=row["name_en"],
        case_type=case_types[row["case_type"]],
        department=departments[row["department"]],
        materials_zh="\n".join(row["materials_zh"]),
        materials_en="\n".join(row["materials_en"]),
        is_on_the_spot=row["on_the_spot"],
        time_limit_days=row["time_limit_days"],
        service_minutes=row["service_minutes"],
        needs_applicant=row["needs_applicant"],
    )
    set_pinyin(item)
    return item


WINDOW_NAMES = {
    "business": ("商事服务窗口", "Business services"),
    "investment": ("投资项目窗口", "Investment projects"),
    "livelihood": ("民生服务窗口", "Livelihood services"),
    None: ("综合窗口", "Comprehensive window"),
}


def _add_windows(
    center: Center,
    items: list[ServiceItem],
    case_types: dict[str, CaseType],
    plan: list[tuple[str | None, int]],
) -> None:
    number = 0
    for case_type_code, count in plan:
        name_zh, name_en = WINDOW_NAMES[case_type_code]
        skills = [i for i in items if case_type_code and i.case_type is case_types[case_type_code]]
        for _ in range(count):
            number += 1
            center.windows.append(
                Window(
                    number=number,
                    name_zh=name_zh,
                    name_en=name_en,
                    is_comprehensive=case_type_code is None,
                    services=list(skills),
                )
            )
