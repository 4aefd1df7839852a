"""What every benchmark needs: a free port, a throwaway PostgreSQL database, the migrated schema."""

from __future__ import annotations

import socket
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(url: str, drop_only: bool = False) -> None:
    """Drop the benchmark database and, unless `drop_only`, create it empty."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        if not drop_only:
            connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def migrate(url: str) -> None:
    """`alembic upgrade head`, the way operators build the schema."""
    from alembic import command
    from alembic.config import Config as AlembicConfig

    alembic_config = AlembicConfig(str(ROOT / "alembic.ini"))
    alembic_config.attributes.update(database_url=url, skip_logging_setup=True)
    command.upgrade(alembic_config, "head")
