"""Migrations and models agree, on every backend the suite runs against."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ROOT
from sqlalchemy import inspect, text

from database_models import Base


def test_autogenerate_finds_no_difference(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "render_as_batch": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_database_is_at_head(engine):
    head = ScriptDirectory.from_config(AlembicConfig(str(ROOT / "alembic.ini"))).get_current_head()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head


def test_queue_claim_index_exists(engine):
    indexes = {index["name"] for index in inspect(engine).get_indexes("scheduled_messages")}
    assert "ix_scheduled_messages_status_scheduled_at" in indexes
