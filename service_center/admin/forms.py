"""The admin area's forms (CSRF everywhere); each rule's message comes from the domain, placed
next to its field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


def choices(pairs: Iterable[tuple[Any, Any]]) -> list[SelectChoice]:
    """(value, label) pairs as a select's or checkboxes' choices."""
    return [SelectChoice(value, label) for value, label in pairs]


class ActionForm(FlaskForm):
    """A CSRF-protected button with no fields (retire, reinstate, disable …)."""


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes (keyboard- and screen-reader-friendly)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _none_if_blank(value: str | None) -> str | None:
    return value.strip() or None if isinstance(value, str) else value


class CenterForm(FlaskForm):
    code = StringField(
        _l("Code (in the center's addresses)"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("Lower-case letters, digits and dashes, e.g. zhuangzhai."),
    )
    case_prefix = StringField(
        _l("Case number prefix"),
        validators=[DataRequired(), Length(max=8)],
        description=_l("Capital letters, e.g. ZZ for ZZ-20261127-0042."),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=160)])
    address_zh = StringField(_l("Address (Chinese)"), validators=[Optional(), Length(max=200)])
    address_en = StringField(_l("Address (English)"), validators=[Optional(), Length(max=240)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=40)])
    timezone = SelectField(_l("Time zone"), validators=[DataRequired()])
    slot_minutes = IntegerField(
        _l("Booking slot length (minutes)"), validators=[DataRequired(), NumberRange(5, 240)]
    )
    slot_capacity = IntegerField(
        _l("Places per slot"), validators=[Optional(), NumberRange(0, 1000)], default=4
    )
    booking_horizon_days = IntegerField(
        _l("Bookings open this many days ahead"),
        validators=[Optional(), NumberRange(0, 365)],
        default=14,
    )
    kiosk_priority_enabled = BooleanField(_l("Priority lane (绿色通道) at the kiosk"))
    notify_ahead = IntegerField(
        _l("Tell residents who opted in when this many people are ahead (到号提醒)"),
        validators=[Optional(), NumberRange(0, 20)],
        default=3,
    )
    remote_tickets = BooleanField(
        _l("Residents may take a ticket from their phone (远程取号) during opening hours")
    )
    remote_daily_cap = IntegerField(
        _l("Tickets from the phone a day"),
        validators=[Optional(), NumberRange(0, 10000)],
        description=_l("Empty: no cap beyond the walk-in caps."),
    )
    remote_per_phone = IntegerField(
        _l("Tickets from the phone per phone number a day"),
        validators=[Optional(), NumberRange(1, 10)],
        default=1,
    )
    noshow_limit = IntegerField(
        _l("Missed bookings within 30 days that bar a resident from booking"),
        validators=[Optional(), NumberRange(0, 10)],
        default=2,
        description=_l("0: never. The first missed booking brings a warning message."),
    )
    noshow_bar_days = IntegerField(
        _l("Days a bar lasts"), validators=[Optional(), NumberRange(1, 365)], default=30
    )
    waitlist_hold_minutes = IntegerField(
        _l("Minutes a freed place is held for the first on the waiting list"),
        validators=[Optional(), NumberRange(5, 1440)],
        default=30,
    )
    rectification_days = IntegerField(
        _l("Working days to rectify a bad review (差评整改)"),
        validators=[Optional(), NumberRange(1, 60)],
        default=5,
    )
    queue_limit = IntegerField(
        _l("Alert when more tickets than this are waiting"),
        validators=[Optional(), NumberRange(1, 10000)],
        description=_l("Empty: no limit."),
    )
    service_limit_percent = IntegerField(
        _l(
            "Alert when one ticket is served longer than this percentage of its item's "
            "standard time"
        ),
        validators=[Optional(), NumberRange(100, 1000)],
        description=_l("100 to 1000, e.g. 200 for twice the standard time. Empty: no limit."),
    )
    duty_contact = StringField(
        _l("Supervisor on duty: mobile number or e-mail address for service-level alerts"),
        validators=[Optional(), Length(max=254)],
        filters=[_none_if_blank],
        description=_l("Empty: no message; the alerts show on the live floor."),
    )


class WindowForm(FlaskForm):
    number = IntegerField(_l("Number"), validators=[DataRequired(), NumberRange(1, 999)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
    is_comprehensive = BooleanField(
        _l("Comprehensive window (综合窗口): serves every item of the center")
    )
    case_type_ids = CheckboxesField(
        _l("Case types: every item of those ticked (added to the items below)"), coerce=int
    )
    service_ids = CheckboxesField(_l("Items this window serves"), coerce=int)


class ItemForm(FlaskForm):
    code = StringField(_l("Code (within the center)"), validators=[DataRequired(), Length(max=32)])
    national_code = StringField(
        _l("National item code (事项编码, optional)"),
        validators=[Optional(), Length(max=64)],
        filters=[_none_if_blank],
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=200)])
    department_id = SelectField(_l("Department"), coerce=int, validators=[DataRequired()])
    case_type_id = SelectField(_l("Case type"), coerce=int, validators=[DataRequired()])
    materials_zh = TextAreaField(
        _l("Materials (Chinese), one a line"), validators=[Optional(), Length(max=4000)]
    )
    materials_en = TextAreaField(
        _l("Materials (English), one a line"), validators=[Optional(), Length(max=4000)]
    )
    is_on_the_spot = BooleanField(_l("On the spot (即办件); otherwise promised (承诺件)"))
    time_limit_days = IntegerField(
        _l("Working days promised (承诺件 only)"), validators=[Optional(), NumberRange(1, 365)]
    )
    service_minutes = IntegerField(
        _l("Standard service minutes"), validators=[DataRequired(), NumberRange(1, 480)], default=10
    )
    is_bookable = BooleanField(_l("Can be booked online"), default=True)
    remote_allowed = BooleanField(
        _l("Tickets from the phone (远程取号), where the center allows them"), default=True
    )
    slot_capacity = IntegerField(
        _l("Places per slot (empty: the center's)"), validators=[Optional(), NumberRange(0, 1000)]
    )
    needs_applicant = BooleanField(_l("The desk records the applicant's name and phone"))
    window_ids = CheckboxesField(_l("Windows that serve it"), coerce=int)


class ImportForm(FlaskForm):
    file = FileField(
        _l("Catalogue file (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "xlsx"], _l("Send a .csv or .xlsx file.")),
        ],
    )


class ConfirmImportForm(FlaskForm):
    """Carries the checked file's fingerprint: only that exact file is imported."""

    digest = StringField(validators=[DataRequired(), Length(max=64)])


class StaffForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)])
    display_name = StringField(_l("Name shown"), validators=[Optional(), Length(max=80)])
    role = SelectField(_l("Role"), validators=[DataRequired()])
    window_ids = CheckboxesField(
        _l("Windows this clerk may staff (none ticked: any window)"), coerce=int
    )


class StaffEditForm(FlaskForm):
    display_name = StringField(_l("Name shown"), validators=[Optional(), Length(max=80)])
    window_ids = CheckboxesField(
        _l("Windows this clerk may staff (none ticked: any window)"), coerce=int
    )


class DeviceTokenForm(FlaskForm):
    name = StringField(
        _l("Device name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("Where it stands, e.g. Kiosk by the entrance."),
    )
    user_id = SelectField(_l("Acts as the account"), coerce=int, validators=[DataRequired()])


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter

    center = SelectField(_l("Center"), validators=[Optional()])
    person = StringField(_l("Person (username)"), validators=[Optional(), Length(max=64)])
    object_type = SelectField(_l("Object"), validators=[Optional()])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])


WEEKDAY_NAMES = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


class HoursForm(FlaskForm):
    """A weekday's opening periods as text: "09:00-12:00, 13:30-17:30" (empty: closed)."""


for _weekday, _name in enumerate(WEEKDAY_NAMES):
    setattr(
        HoursForm,
        f"weekday_{_weekday}",
        StringField(_name, validators=[Optional(), Length(max=120)]),
    )


class DayForm(FlaskForm):
    day = DateField(_l("Day"), validators=[DataRequired()])
    kind = SelectField(
        _l("The center is"),
        choices=choices([("closed", _l("closed that day")), ("open", _l("open that day"))]),
        validators=[DataRequired()],
    )
    reason_zh = StringField(_l("Reason (Chinese)"), validators=[Optional(), Length(max=120)])
    reason_en = StringField(_l("Reason (English)"), validators=[Optional(), Length(max=160)])


class NoticeForm(FlaskForm):
    year = IntegerField(_l("Year"), validators=[DataRequired(), NumberRange(2000, 2099)])
    file = FileField(
        _l("Notice file (CSV: date, kind, name_zh, name_en)"),
        validators=[FileAllowed(["csv"], _l("Send a .csv file."))],
    )
    text = TextAreaField(_l("…or paste its rows here"), validators=[Optional(), Length(max=20_000)])


class DepartmentForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[DataRequired(), Length(max=32)],
        description=_l("Lower-case letters and digits, e.g. scjg; used in catalogue files."),
    )
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])
