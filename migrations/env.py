"""Alembic environment: the URL comes from the platform's settings, the schema from the models."""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from dotenv import load_dotenv

from config import load_config
from database_models import Base
from database_setup import create_engine_for

alembic_config = context.config
if alembic_config.config_file_name is not None and not alembic_config.attributes.get("skip_logging_setup"):
    fileConfig(alembic_config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def database_url() -> str:
    """The URL given by a caller (tests) or, by default, the one the app would use."""
    given = alembic_config.attributes.get("database_url")
    if given:
        return given
    load_dotenv()
    return load_config().database_url


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    connection = alembic_config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine_for(database_url())
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


def _run(connection) -> None:
    # Batch mode lets later revisions alter SQLite tables (which lack ALTER COLUMN).
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
