"""team inbox: assignment, notes, saved replies

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 14:56:53.773025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('conversation_notes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_conversation_notes_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['operator_id'], ['operators.id'], name=op.f('fk_conversation_notes_operator_id_operators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_notes'))
    )
    with op.batch_alter_table('conversation_notes', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_notes_contact_id_created_at', ['contact_id', 'created_at'], unique=False)

    op.create_table('saved_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shortcut', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['operators.id'], name=op.f('fk_saved_replies_created_by_operators'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_replies')),
    sa.UniqueConstraint('shortcut', name=op.f('uq_saved_replies_shortcut'))
    )
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_operator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('assigned_at', database_models.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('taken_by_operator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('read_at', database_models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_conversation_states_assigned_operator_id'), ['assigned_operator_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_conversation_states_assigned_operator_id_operators'), 'operators', ['assigned_operator_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_conversation_states_taken_by_operator_id_operators'), 'operators', ['taken_by_operator_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('operator_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_scheduled_messages_operator_id_operators'), 'operators', ['operator_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_scheduled_messages_operator_id_operators'), type_='foreignkey')
        batch_op.drop_column('operator_id')

    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_conversation_states_taken_by_operator_id_operators'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_conversation_states_assigned_operator_id_operators'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_conversation_states_assigned_operator_id'))
        batch_op.drop_column('read_at')
        batch_op.drop_column('taken_by_operator_id')
        batch_op.drop_column('assigned_at')
        batch_op.drop_column('assigned_operator_id')

    op.drop_table('saved_replies')
    with op.batch_alter_table('conversation_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_notes_contact_id_created_at')

    op.drop_table('conversation_notes')
