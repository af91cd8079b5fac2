"""The report filters (GET forms: no CSRF token, the days are checked in ``params``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

_DATE_INPUT = {"type": "date", "pattern": r"\d{4}-\d{2}-\d{2}", "placeholder": "YYYY-MM-DD"}


class _ReportFilter(FlaskForm):
    class Meta:
        csrf = False

    center = SelectField(_l("Center"), validate_choice=False)


class DailyReportForm(_ReportFilter):
    date = StringField(_l("Date"), render_kw=_DATE_INPUT)


class RangeReportForm(_ReportFilter):
    first = StringField(_l("From"), name="from", render_kw=_DATE_INPUT)
    last = StringField(_l("To (inclusive)"), name="to", render_kw=_DATE_INPUT)
    since = StringField(
        _l("Cases since"),
        render_kw=_DATE_INPUT,
        description=_l("e.g. the day the approval seal came into use; counted up to today"),
    )


class LiveReportForm(_ReportFilter):
    pass
