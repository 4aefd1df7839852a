"""orders uploads waiting for their commit

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 14:57:55.504350
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_uploads',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('login_id', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_uploads'))
    )
    with op.batch_alter_table('order_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_uploads_expires_at'), ['expires_at'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('order_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_uploads_expires_at'))

    op.drop_table('order_uploads')
    # ### end Alembic commands ###
