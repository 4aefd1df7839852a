"""message shapes: echoes, history, groups, edits and revokes, events, orders, marketing preferences

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('direction', sa.String(length=8), server_default='in', nullable=False))
        batch_op.add_column(sa.Column('imported', sa.Boolean(), server_default=sa.text('false'), nullable=False))
        batch_op.add_column(sa.Column('group_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('edited_at', database_models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deleted_at', database_models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('event_data', sa.JSON(), nullable=True))
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_updated_at', database_models.UTCDateTime(timezone=True), nullable=True))

    op.create_table('message_revisions',
    sa.Column('id', _ID, nullable=False),
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('original_wamid', sa.String(length=128), nullable=False),
    sa.Column('message_id', _ID, nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('new_text', sa.Text(), nullable=True),
    sa.Column('previous_text', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('wa_timestamp', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['received_messages.id'],
                            name=op.f('fk_message_revisions_message_id_received_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_revisions')),
    sa.UniqueConstraint('wamid', name=op.f('uq_message_revisions_wamid'))
    )
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.create_index('ix_message_revisions_original_wamid', ['original_wamid'], unique=False)
        batch_op.create_index('ix_message_revisions_message_id', ['message_id'], unique=False)

    op.create_table('order_items',
    sa.Column('id', _ID, nullable=False),
    sa.Column('message_id', _ID, nullable=False),
    sa.Column('product_retailer_id', sa.String(length=128), nullable=True),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('item_price', sa.Numeric(precision=18, scale=4), nullable=True),
    sa.Column('currency', sa.String(length=8), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['received_messages.id'],
                            name=op.f('fk_order_items_message_id_received_messages'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_items'))
    )
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.create_index('ix_order_items_message_id', ['message_id'], unique=False)

    op.create_table('marketing_preferences',
    sa.Column('id', _ID, nullable=False),
    sa.Column('wa_id', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=256), nullable=True),
    sa.Column('signup_id', sa.String(length=128), nullable=True),
    sa.Column('wa_timestamp', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('applied', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marketing_preferences')),
    sa.UniqueConstraint('wa_id', 'category', 'value', 'wa_timestamp',
                        name=op.f('uq_marketing_preferences_wa_id_category_value_wa_timestamp'))
    )


def downgrade() -> None:
    op.drop_table('marketing_preferences')
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_message_id')
    op.drop_table('order_items')
    with op.batch_alter_table('message_revisions', schema=None) as batch_op:
        batch_op.drop_index('ix_message_revisions_message_id')
        batch_op.drop_index('ix_message_revisions_original_wamid')
    op.drop_table('message_revisions')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('name_updated_at')
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_column('event_data')
        batch_op.drop_column('deleted_at')
        batch_op.drop_column('edited_at')
        batch_op.drop_column('group_id')
        batch_op.drop_column('imported')
        batch_op.drop_column('direction')
