"""contact identity: phone number or business-scoped user id; raw unmodelled webhook items

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 09:15:00

A contact is identified by its phone number (`wa_id`, now nullable) or its BSUID
(`user_id`), each unique when present and at least one of them set; the username and the
parent BSUID are kept for display. Status events keep the BSUID they name. Webhook changes
of a field the code does not model are kept raw in `unmodelled_items`.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('parent_user_id', sa.String(length=160), nullable=True))
        batch_op.add_column(sa.Column('username', sa.String(length=128), nullable=True))
        batch_op.alter_column('wa_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_contacts_user_id'), ['user_id'])
        batch_op.create_check_constraint('identified', 'wa_id IS NOT NULL OR user_id IS NOT NULL')

    with op.batch_alter_table('message_status_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_user_id', sa.String(length=160), nullable=True))

    op.create_table('unmodelled_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('field', sa.String(length=64), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unmodelled_items')),
    sa.UniqueConstraint('digest', name=op.f('uq_unmodelled_items_digest'))
    )
    with op.batch_alter_table('unmodelled_items', schema=None) as batch_op:
        batch_op.create_index('ix_unmodelled_items_received_at', ['received_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('unmodelled_items', schema=None) as batch_op:
        batch_op.drop_index('ix_unmodelled_items_received_at')
    op.drop_table('unmodelled_items')

    with op.batch_alter_table('message_status_events', schema=None) as batch_op:
        batch_op.drop_column('recipient_user_id')

    # Contacts known only by a BSUID cannot be kept under a NOT NULL phone number.
    op.execute("DELETE FROM contacts WHERE wa_id IS NULL")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_contacts_identified'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_contacts_user_id'), type_='unique')
        batch_op.alter_column('wa_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('username')
        batch_op.drop_column('parent_user_id')
        batch_op.drop_column('user_id')
