"""the end of the day: unserved tickets (and their event), no-show bookings

Revision ID: b7d3e2a91c04
Revises: 0ec6314610f6
Create Date: 2026-12-06 10:50:00

Only CHECK constraints change: the columns are VARCHAR enums long enough already.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7d3e2a91c04'
down_revision = '0ec6314610f6'
branch_labels = None
depends_on = None

TICKET_STATES = ['waiting', 'called', 'serving', 'done', 'no_show', 'cancelled']
EVENT_KINDS = [
    'issued', 'called', 'recalled', 'started', 'transferred', 'completed', 'no_show',
    'requeued', 'prioritised', 'cancelled',
]
APPOINTMENT_STATES = ['booked', 'cancelled', 'checked_in']

CHECKS = [
    # table, constraint, column, values before, values after
    ('tickets', 'ck_tickets_ticket_state', 'state', TICKET_STATES, TICKET_STATES + ['unserved']),
    ('ticket_events', 'ck_ticket_events_event_kind', 'kind', EVENT_KINDS, EVENT_KINDS + ['unserved']),
    (
        'appointments', 'ck_appointments_appointment_state', 'state',
        APPOINTMENT_STATES, APPOINTMENT_STATES + ['no_show'],
    ),
]


def _in(column, values):
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _replace(after: bool):
    for table, name, column, before, new in CHECKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(name), type_='check')
            batch_op.create_check_constraint(op.f(name), _in(column, new if after else before))


def upgrade():
    _replace(after=True)


def downgrade():
    op.execute("UPDATE tickets SET state = 'cancelled' WHERE state = 'unserved'")
    op.execute("DELETE FROM ticket_events WHERE kind = 'unserved'")
    op.execute("UPDATE appointments SET state = 'booked' WHERE state = 'no_show'")
    _replace(after=False)
