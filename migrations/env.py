"""Alembic environment: the URL comes from the platform's settings, the schema from the models.

Downgrades lose data: undoing a revision drops what it added (`alembic downgrade base`
drops every table, and exits 0). So a downgrade through any revision refuses, before it
changes anything, unless the operator says so explicitly:

    alembic -x allow-data-loss=true downgrade -1

A revision whose downgrade keeps every row (it only drops an index, say) declares
`downgrade_loses_data = False` at module level and is let through. The guard wraps each
revision's `downgrade()` here, so new revisions get it without doing anything. To go back
after an upgrade, restore the pre-upgrade dump instead (docs/operations.md, "Upgrades").
"""

from __future__ import annotations

from logging.config import fileConfig

from alembic import context
from alembic.util import CommandError

from config import load_config
from database_models import Base
from database_setup import create_engine_for
from runtime.process_environment import load_environment

alembic_config = context.config
if alembic_config.config_file_name is not None and not alembic_config.attributes.get("skip_logging_setup"):
    fileConfig(alembic_config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata
ALLOW_DATA_LOSS = "allow-data-loss"


def database_url() -> str:
    """The URL given by a caller (tests) or, by default, the one the app would use."""
    given = alembic_config.attributes.get("database_url")
    if given:
        return given
    load_environment()
    return load_config().database_url


def data_loss_allowed() -> bool:
    """True when the command line says `-x allow-data-loss=true`."""
    return context.get_x_argument(as_dictionary=True).get(ALLOW_DATA_LOSS, "").lower() in ("true", "yes", "1")


def guard_downgrades() -> None:
    """Make every data-bearing revision's downgrade refuse unless data loss was allowed."""
    if data_loss_allowed():
        return
    for script in context.script.walk_revisions():
        module = script.module
        if getattr(module, "downgrade_loses_data", True) is False or getattr(module, "_downgrade_guarded", False):
            continue

        def refuse(revision: str = script.revision, title: str = script.doc) -> None:
            raise CommandError(
                f"refusing to downgrade revision {revision} ({title}): undoing it drops tables or columns and "
                "the data in them. To go back after an upgrade, restore the pre-upgrade dump "
                f"(docs/operations.md, Upgrades). To drop the data anyway: alembic -x {ALLOW_DATA_LOSS}=true "
                "downgrade …")

        module.downgrade = refuse
        module._downgrade_guarded = True


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it."""
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, user_module_prefix="database_models.")
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
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True, compare_type=True,
                      user_module_prefix="database_models.")
    with context.begin_transaction():
        context.run_migrations()


guard_downgrades()
if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
