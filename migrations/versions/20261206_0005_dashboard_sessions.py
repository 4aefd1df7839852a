"""dashboard sessions: a server-side record of each login, so logout ends it

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_sessions'))
    )
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dashboard_sessions_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('dashboard_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dashboard_sessions_expires_at'))

    op.drop_table('dashboard_sessions')
