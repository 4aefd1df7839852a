"""admin API state: idempotency keys and per-address request counters

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('idempotency_keys',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response_body', sa.Text(), nullable=True),
    sa.Column('location', sa.String(length=255), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_idempotency_keys')),
    sa.UniqueConstraint('key', name=op.f('uq_idempotency_keys_key'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index('ix_idempotency_keys_created_at', ['created_at'], unique=False)

    op.create_table('api_rate_counters',
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('window_start', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address', 'scope', 'window_start', name=op.f('pk_api_rate_counters'))
    )
    with op.batch_alter_table('api_rate_counters', schema=None) as batch_op:
        batch_op.create_index('ix_api_rate_counters_window_start', ['window_start'], unique=False)


def downgrade() -> None:
    # Drops the stored idempotency keys (a client retrying afterwards would create again): guarded by
    # migrations/env.py like every downgrade that drops data (-x allow-data-loss=true).
    with op.batch_alter_table('api_rate_counters', schema=None) as batch_op:
        batch_op.drop_index('ix_api_rate_counters_window_start')
    op.drop_table('api_rate_counters')
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index('ix_idempotency_keys_created_at')
    op.drop_table('idempotency_keys')
