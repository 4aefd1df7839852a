"""orders: the shop's orders, the order question a contact has open, status notifications queued once

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_inquiries',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('awaiting_until', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('choices', sa.String(length=1000), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_order_inquiries_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_order_inquiries'))
    )
    op.create_table('orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('carrier', sa.String(length=64), nullable=True),
    sa.Column('tracking_code', sa.String(length=64), nullable=True),
    sa.Column('expected_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('items', sa.String(length=1000), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_orders_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_orders')),
    sa.UniqueConstraint('number', name=op.f('uq_orders_number'))
    )
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_orders_contact_id'), ['contact_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_orders_tracking_code'), ['tracking_code'], unique=False)
    op.create_table('order_notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('queue_id', sa.Integer(), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_notifications_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_order_notifications')),
    sa.UniqueConstraint('order_id', 'status', name=op.f('uq_order_notifications_order_id_status'))
    )


def downgrade() -> None:
    op.drop_table('order_notifications')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_orders_tracking_code'))
        batch_op.drop_index(batch_op.f('ix_orders_contact_id'))
    op.drop_table('orders')
    op.drop_table('order_inquiries')
