"""Migrations and models agree, on every backend the suite runs against; downgrades refuse to drop data by default."""

from __future__ import annotations

import subprocess

from alembic.autogenerate import compare_metadata
from alembic.config import Config as AlembicConfig
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import ROOT
from deployment import clean_environment, console_script
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from database_models import Base, Contact
from database_setup import create_engine_for


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


def test_a_downgrade_refuses_to_drop_data_without_the_explicit_flag(tmp_path):
    database = tmp_path / "downgrade.db"
    env = {**clean_environment(), "SQLALCHEMY_DATABASE_URL": f"sqlite:///{database}"}
    alembic = [console_script("alembic")]
    assert subprocess.run([*alembic, "upgrade", "head"], cwd=ROOT, env=env, capture_output=True).returncode == 0
    engine = create_engine_for(f"sqlite:///{database}")
    with Session(engine) as session:
        session.add(Contact(wa_id="989120000001", attributes={}))
        session.commit()
        head = session.execute(text("SELECT version_num FROM alembic_version")).scalar_one()

    for target in ("-1", "base"):  # the guide's `alembic downgrade -1`, and all the way
        refused = subprocess.run([*alembic, "downgrade", target], cwd=ROOT, env=env, capture_output=True, text=True)
        assert refused.returncode != 0
        assert "allow-data-loss=true" in refused.stderr and "pre-upgrade dump" in refused.stderr
        assert "Traceback" not in refused.stderr
        with engine.connect() as connection:  # nothing changed
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
            assert connection.execute(text("SELECT count(*) FROM contacts")).scalar_one() == 1

    allowed = subprocess.run([*alembic, "-x", "allow-data-loss=true", "downgrade", "base"], cwd=ROOT, env=env,
                             capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr
    assert "contacts" not in inspect(engine).get_table_names()
    engine.dispose()
