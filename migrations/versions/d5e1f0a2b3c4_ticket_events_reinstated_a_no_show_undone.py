"""ticket_events: reinstated (a no-show its clerk undid within seconds)

Revision ID: d5e1f0a2b3c4
Revises: bf5835f4fb8f
Create Date: 2026-12-06 15:40:00

Only the CHECK constraint changes: the column is a VARCHAR enum long enough already.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'd5e1f0a2b3c4'
down_revision = 'bf5835f4fb8f'
branch_labels = None
depends_on = None

EVENT_KINDS = [
    'issued', 'called', 'recalled', 'started', 'transferred', 'completed', 'no_show',
    'requeued', 'prioritised', 'cancelled', 'unserved',
]
NAME = 'ck_ticket_events_event_kind'


def _in(values):
    return f"kind IN ({', '.join(repr(v) for v in values)})"


def _replace(values):
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_constraint(op.f(NAME), type_='check')
        batch_op.create_check_constraint(op.f(NAME), _in(values))


def upgrade():
    _replace(EVENT_KINDS + ['reinstated'])


def downgrade():
    op.execute("DELETE FROM ticket_events WHERE kind = 'reinstated'")
    _replace(EVENT_KINDS)
