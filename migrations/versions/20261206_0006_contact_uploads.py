"""contact uploads: a CSV between the dashboard's preview and its commit; indexes for the contacts page

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_uploads',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('login_id', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_uploads'))
    )
    with op.batch_alter_table('contact_uploads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_uploads_expires_at'), ['expires_at'], unique=False)
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index('ix_contacts_last_inbound_at', ['last_inbound_at'], unique=False)
        batch_op.create_index('ix_contacts_opted_out_id', ['opted_out', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index('ix_contacts_opted_out_id')
        batch_op.drop_index('ix_contacts_last_inbound_at')
    with op.batch_alter_table('contact_uploads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_uploads_expires_at'))
    op.drop_table('contact_uploads')
