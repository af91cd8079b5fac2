"""Correctness after every load run: what must hold however fast or slow the app was.

Plain SQL over the tables, so the checks do not trust the code they check.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text

from .data import Database, app_for

#: name → (what it means, SQL listing the offending rows; empty when all is well)
RULES: dict[str, tuple[str, str]] = {
    "ticket_called_twice": (
        "a ticket called more often than it was put back (transfer, requeue) plus once",
        """
        SELECT ticket_id FROM ticket_events
        GROUP BY ticket_id
        HAVING SUM(CASE WHEN kind = 'called' THEN 1 ELSE 0 END)
             > 1 + SUM(CASE WHEN kind IN ('transferred', 'requeued') THEN 1 ELSE 0 END)
        """,
    ),
    "window_holds_two_tickets": (
        "a window holding more than one called or serving ticket",
        """
        SELECT window_id FROM tickets WHERE state IN ('called', 'serving')
        GROUP BY window_id HAVING COUNT(*) > 1
        """,
    ),
    "duplicate_ticket_number": (
        "two tickets with one number on one day at one center",
        """
        SELECT center_id, service_date, number FROM tickets
        GROUP BY center_id, service_date, number HAVING COUNT(*) > 1
        """,
    ),
    "duplicate_ticket_token": (
        "two tickets with one QR token",
        "SELECT token FROM tickets GROUP BY token HAVING COUNT(*) > 1",
    ),
    "duplicate_case_number": (
        "two cases with one case number",
        "SELECT number FROM cases GROUP BY number HAVING COUNT(*) > 1",
    ),
    "ticket_closed_twice": (
        "one ticket closed into two cases",
        """
        SELECT ticket_id FROM cases WHERE ticket_id IS NOT NULL
        GROUP BY ticket_id HAVING COUNT(*) > 1
        """,
    ),
    "slot_over_capacity": (
        "a slot holding more bookings than the center's capacity",
        """
        SELECT a.center_id, a.service_date, a.start_time FROM appointments a
        JOIN centers c ON c.id = a.center_id
        WHERE a.state IN ('booked', 'checked_in')
        GROUP BY a.center_id, a.service_date, a.start_time, c.slot_capacity
        HAVING COUNT(*) > c.slot_capacity
        """,
    ),
    "item_slot_over_capacity": (
        "a slot holding more bookings of an item than the item's own capacity",
        """
        SELECT a.service_item_id, a.service_date, a.start_time FROM appointments a
        JOIN service_items i ON i.id = a.service_item_id
        WHERE a.state IN ('booked', 'checked_in') AND i.slot_capacity IS NOT NULL
        GROUP BY a.service_item_id, a.service_date, a.start_time, i.slot_capacity
        HAVING COUNT(*) > i.slot_capacity
        """,
    ),
    "slot_counter_wrong": (
        "a slot whose booked counter differs from its bookings",
        """
        SELECT s.id FROM booking_slots s
        WHERE s.booked <> (
            SELECT COUNT(*) FROM appointments a
            WHERE a.center_id = s.center_id AND a.service_date = s.service_date
              AND a.start_time = s.start_time AND a.state IN ('booked', 'checked_in'))
        """,
    ),
    "duplicate_booking_code": (
        "two bookings with one code",
        "SELECT code FROM appointments GROUP BY code HAVING COUNT(*) > 1",
    ),
}

COUNTS = {
    "tickets": "SELECT COUNT(*) FROM tickets",
    "calls": "SELECT COUNT(*) FROM ticket_events WHERE kind = 'called'",
    "cases": "SELECT COUNT(*) FROM cases",
    "appointments": "SELECT COUNT(*) FROM appointments",
}


@dataclass
class CheckResult:
    """The rules checked after one run and what broke them (``violations`` empty: all held)."""

    checked: list[str] = field(default_factory=list)
    violations: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.violations


def _existing_tables(connection) -> set[str]:  # noqa: ANN001
    from sqlalchemy import inspect

    return set(inspect(connection).get_table_names())


def counts(database: Database) -> dict[str, int]:
    from service_center.db import db

    with app_for(database):
        tables = _existing_tables(db.session.connection())
        return {
            name: int(db.session.execute(text(sql)).scalar() or 0)
            for name, sql in COUNTS.items()
            if sql.split(" FROM ")[1].split()[0] in tables
        }


def check(
    database: Database,
    *,
    before: dict[str, int] | None = None,
    acknowledged: dict[str, int] | None = None,
) -> CheckResult:
    """Run every rule; with ``acknowledged`` (counter → answers the load got), also check that
    each acknowledged write is in the database (its count grew at least that much)."""
    from service_center.db import db

    result = CheckResult()
    with app_for(database):
        tables = _existing_tables(db.session.connection())
        for name, (meaning, sql) in RULES.items():
            if "appointments" in sql and "appointments" not in tables:
                continue
            rows = db.session.execute(text(sql)).all()
            result.checked.append(name)
            if rows:
                shown = ", ".join(str(tuple(r)) for r in rows[:5])
                result.violations[name] = f"{meaning}: {len(rows)} (e.g. {shown})"
        db.session.rollback()
    if acknowledged and before is not None:
        after = counts(database)
        for name, answered in acknowledged.items():
            result.checked.append(f"acknowledged_{name}_recorded")
            grew = after.get(name, 0) - before.get(name, 0)
            if grew < answered:
                result.violations[f"acknowledged_{name}_recorded"] = (
                    f"{answered} {name} acknowledged to clients, but the database holds only "
                    f"{grew} more"
                )
    return result
