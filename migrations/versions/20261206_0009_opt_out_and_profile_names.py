"""opt-out reasons and history; profile names apart from the operator's names; preferences by BSUID

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 12:30:00

Contacts record why they are opted out (`opted_out_source`, `opted_out_reason`) and every
change of the choice is an `opt_out_events` row. The WhatsApp profile name gets its own
column (`profile_name`, with the time of the message that set it, which replaces
`name_updated_at`): `name` is the operator's and the webhook no longer writes it. Names that
came from a profile (those with `name_updated_at`) move to `profile_name`. A marketing
preference may name its user by BSUID alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import database_models

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('profile_name', sa.String(length=256), nullable=True))
        batch_op.add_column(sa.Column('profile_name_updated_at', database_models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('opted_out_source', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('opted_out_reason', sa.String(length=256), nullable=True))
    op.execute("UPDATE contacts SET profile_name = name, profile_name_updated_at = name_updated_at, name = NULL "
               "WHERE name_updated_at IS NOT NULL")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('name_updated_at')

    with op.batch_alter_table('marketing_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('user_id', sa.String(length=160), nullable=True))
        batch_op.alter_column('wa_id', existing_type=sa.String(length=32), nullable=True)
        batch_op.create_unique_constraint(batch_op.f('uq_marketing_preferences_user_id_category_value_wa_timestamp'),
                                          ['user_id', 'category', 'value', 'wa_timestamp'])
        batch_op.create_check_constraint('identified', 'wa_id IS NOT NULL OR user_id IS NOT NULL')

    op.create_table('opt_out_events',
    sa.Column('id', _ID, nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.String(length=256), nullable=True),
    sa.Column('actor', sa.String(length=128), nullable=True),
    sa.Column('at', database_models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_opt_out_events_contact_id_contacts'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opt_out_events'))
    )
    with op.batch_alter_table('opt_out_events', schema=None) as batch_op:
        batch_op.create_index('ix_opt_out_events_contact_id_at', ['contact_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('opt_out_events', schema=None) as batch_op:
        batch_op.drop_index('ix_opt_out_events_contact_id_at')
    op.drop_table('opt_out_events')

    # Preferences known only by a BSUID cannot be kept under a NOT NULL phone number.
    op.execute("DELETE FROM marketing_preferences WHERE wa_id IS NULL")
    with op.batch_alter_table('marketing_preferences', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_marketing_preferences_identified'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_marketing_preferences_user_id_category_value_wa_timestamp'),
                                 type_='unique')
        batch_op.alter_column('wa_id', existing_type=sa.String(length=32), nullable=False)
        batch_op.drop_column('user_id')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_updated_at', database_models.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE contacts SET name = profile_name, name_updated_at = profile_name_updated_at "
               "WHERE name IS NULL AND profile_name IS NOT NULL")
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('opted_out_reason')
        batch_op.drop_column('opted_out_source')
        batch_op.drop_column('profile_name_updated_at')
        batch_op.drop_column('profile_name')
