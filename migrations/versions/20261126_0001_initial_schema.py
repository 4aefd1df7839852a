"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 10:41:30.545481
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('template_name', sa.String(length=512), nullable=True),
    sa.Column('template_language', sa.String(length=16), nullable=True),
    sa.Column('template_params', sa.JSON(), nullable=True),
    sa.Column('audience', sa.JSON(), nullable=False),
    sa.Column('scheduled_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recipient_count', sa.Integer(), nullable=False),
    sa.Column('exclusions', sa.JSON(), nullable=False),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wa_id', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=256), nullable=True),
    sa.Column('attributes', sa.JSON(), nullable=False),
    sa.Column('opted_out', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('opted_out_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_inbound_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('first_inbound_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('wa_id', name=op.f('uq_contacts_wa_id'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_first_inbound_at'), ['first_inbound_at'], unique=False)

    op.create_table('message_status_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('recipient_wa_id', sa.String(length=32), nullable=True),
    sa.Column('error_code', sa.Integer(), nullable=True),
    sa.Column('error_title', sa.String(length=512), nullable=True),
    sa.Column('wa_timestamp', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_status_events')),
    sa.UniqueConstraint('wamid', 'status', name=op.f('uq_message_status_events_wamid_status'))
    )
    op.create_table('contact_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_tags_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_tags')),
    sa.UniqueConstraint('contact_id', 'tag', name=op.f('uq_contact_tags_contact_id_tag'))
    )
    with op.batch_alter_table('contact_tags', schema=None) as batch_op:
        batch_op.create_index('ix_contact_tags_tag', ['tag'], unique=False)

    op.create_table('conversation_states',
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('last_intent', sa.String(length=64), nullable=True),
    sa.Column('handoff_since', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('expires_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_conversation_states_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('contact_id', name=op.f('pk_conversation_states'))
    )
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.create_index('ix_conversation_states_state_handoff_since', ['state', 'handoff_since'], unique=False)

    op.create_table('received_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('wamid', sa.String(length=128), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('message_type', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('wa_timestamp', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('received_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('normalized_text', sa.Text(), nullable=True),
    sa.Column('keywords', sa.JSON(), nullable=True),
    sa.Column('sentiment', sa.String(length=16), nullable=True),
    sa.Column('sentiment_score', sa.Float(), nullable=True),
    sa.Column('intent', sa.String(length=64), nullable=True),
    sa.Column('intent_confidence', sa.Float(), nullable=True),
    sa.Column('enriched_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_received_messages_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_received_messages')),
    sa.UniqueConstraint('wamid', name=op.f('uq_received_messages_wamid'))
    )
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.create_index('ix_received_messages_contact_id_received_at', ['contact_id', 'received_at'], unique=False)
        batch_op.create_index('ix_received_messages_enriched_at', ['enriched_at', 'id'], unique=False)
        batch_op.create_index('ix_received_messages_received_at', ['received_at'], unique=False)

    op.create_table('scheduled_messages',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('in_reply_to_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('buttons', sa.JSON(), nullable=True),
    sa.Column('reply_to_wamid', sa.String(length=128), nullable=True),
    sa.Column('template_name', sa.String(length=512), nullable=True),
    sa.Column('template_language', sa.String(length=16), nullable=True),
    sa.Column('template_params', sa.JSON(), nullable=True),
    sa.Column('scheduled_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error_code', sa.Integer(), nullable=True),
    sa.Column('last_error_title', sa.String(length=512), nullable=True),
    sa.Column('wamid', sa.String(length=128), nullable=True),
    sa.Column('dry_run', sa.Boolean(), server_default=sa.text('(false)'), nullable=False),
    sa.Column('unconfirmed_sends', sa.Integer(), server_default=sa.text('0'), nullable=False),
    sa.Column('sent_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('read_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_at', database_models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['broadcast_id'], ['broadcasts.id'], name=op.f('fk_scheduled_messages_broadcast_id_broadcasts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_scheduled_messages_contact_id_contacts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['in_reply_to_id'], ['received_messages.id'], name=op.f('fk_scheduled_messages_in_reply_to_id_received_messages'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_messages')),
    sa.UniqueConstraint('broadcast_id', 'contact_id', name=op.f('uq_scheduled_messages_broadcast_id_contact_id')),
    sa.UniqueConstraint('in_reply_to_id', name=op.f('uq_scheduled_messages_in_reply_to_id')),
    sa.UniqueConstraint('wamid', name=op.f('uq_scheduled_messages_wamid'))
    )
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_messages_broadcast_id_status', ['broadcast_id', 'status'], unique=False)
        batch_op.create_index('ix_scheduled_messages_contact_id_created_at', ['contact_id', 'created_at'], unique=False)
        batch_op.create_index('ix_scheduled_messages_contact_id_sent_at', ['contact_id', 'sent_at'], unique=False)
        batch_op.create_index('ix_scheduled_messages_sent_at', ['sent_at'], unique=False)
        batch_op.create_index('ix_scheduled_messages_status_lease_expires_at', ['status', 'lease_expires_at'], unique=False)
        batch_op.create_index('ix_scheduled_messages_status_scheduled_at', ['status', 'scheduled_at', 'id'], unique=False)

    # ### end Alembic commands ###


def downgrade() -> None:
    with op.batch_alter_table('scheduled_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_messages_status_scheduled_at')
        batch_op.drop_index('ix_scheduled_messages_status_lease_expires_at')
        batch_op.drop_index('ix_scheduled_messages_sent_at')
        batch_op.drop_index('ix_scheduled_messages_contact_id_sent_at')
        batch_op.drop_index('ix_scheduled_messages_contact_id_created_at')
        batch_op.drop_index('ix_scheduled_messages_broadcast_id_status')

    op.drop_table('scheduled_messages')
    with op.batch_alter_table('received_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_received_messages_received_at')
        batch_op.drop_index('ix_received_messages_enriched_at')
        batch_op.drop_index('ix_received_messages_contact_id_received_at')

    op.drop_table('received_messages')
    with op.batch_alter_table('conversation_states', schema=None) as batch_op:
        batch_op.drop_index('ix_conversation_states_state_handoff_since')

    op.drop_table('conversation_states')
    with op.batch_alter_table('contact_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_tags_tag')

    op.drop_table('contact_tags')
    op.drop_table('message_status_events')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_first_inbound_at'))

    op.drop_table('contacts')
    op.drop_table('broadcasts')
    # ### end Alembic commands ###
