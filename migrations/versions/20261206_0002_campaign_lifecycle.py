"""campaign lifecycle: broadcasts.completed_at, and existing campaigns' status from their rows

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06 09:00:00

Before this revision a campaign stayed `scheduled` for ever. Existing campaigns get the
status the processor would have given them: `completed` when no row is left to send
(pending, sending or paused), at the time its last row was settled; `sending` when some
row has left the queue but others have not; paused and cancelled campaigns keep theirs.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

_UNFINISHED = "('pending', 'sending', 'paused')"


def upgrade() -> None:
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_at', database_models.UTCDateTime(timezone=True), nullable=True))

    # Plain SQL both backends run; sent_at / failed_at / updated_at share a column type, so
    # max() compares like with like (naive UTC text on SQLite, timestamptz on PostgreSQL).
    op.execute(
        "UPDATE broadcasts SET status = 'completed', completed_at = COALESCE("
        "(SELECT max(COALESCE(q.sent_at, q.failed_at, q.updated_at)) FROM scheduled_messages AS q "
        "WHERE q.broadcast_id = broadcasts.id), broadcasts.updated_at) "
        "WHERE status = 'scheduled' AND NOT EXISTS (SELECT 1 FROM scheduled_messages AS q "
        f"WHERE q.broadcast_id = broadcasts.id AND q.status IN {_UNFINISHED})"
    )
    op.execute(
        "UPDATE broadcasts SET status = 'sending' WHERE status = 'scheduled' AND EXISTS ("
        "SELECT 1 FROM scheduled_messages AS q WHERE q.broadcast_id = broadcasts.id "
        "AND q.status NOT IN ('pending', 'paused', 'cancelled'))"
    )


def downgrade() -> None:
    # The old code knows scheduled, paused and cancelled only.
    op.execute("UPDATE broadcasts SET status = 'scheduled' WHERE status IN ('sending', 'completed')")
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_column('completed_at')
