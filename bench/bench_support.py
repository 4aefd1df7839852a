"""What every benchmark needs: a free port, a throwaway PostgreSQL database, the migrated schema."""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

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


def postmaster_pids() -> list[int]:
    """PostgreSQL's postmaster: its children are the backends (shared with anyone else using it)."""
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = Path(f"/proc/{stat.rsplit(')', 1)[1].split()[1]}/comm").read_text().strip()
        except (OSError, IndexError):
            continue
        if "(postgres)" in stat and parent != "postgres":
            found.append(int(entry))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User+system CPU seconds of these processes and their children (Linux /proc)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    wanted = set(pids)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry) in wanted or int(fields[1]) in wanted:
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def backend_pids(engine: Any, database: str) -> list[int]:
    """The PostgreSQL backends connected to `database` (not the server's other users), without this look-up's own."""
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT pid FROM pg_stat_activity WHERE datname = :name "
                                            "AND pid <> pg_backend_pid()"), {"name": database}))
