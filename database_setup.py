"""Engine and session factory for `SQLALCHEMY_DATABASE_URL`: SQLite by default, PostgreSQL in production.

Nothing is created at import: `create_engine_for()` and `create_session_factory()` are
called by `create_app()` and by the job scripts. A request or a job opens one session,
commits once and closes it; services only flush.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; the busy timeout makes a second
    # writer wait instead of failing at once; SQLite leaves foreign keys off by default.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at BEGIN: a deferred transaction that reads and then writes
    # can fail with "database is locked" without waiting for the busy timeout.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine_for(database_url: str, **options: Any) -> Engine:
    """An engine for `database_url` with the settings this platform relies on."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15}, **options)
        # pysqlite's own transaction handling is switched off so BEGIN IMMEDIATE is ours.
        event.listen(engine, "connect", _disable_pysqlite_transactions)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    options.setdefault("pool_timeout", 5)
    connect_args = options.pop("connect_args", {})
    if url.get_backend_name() == "postgresql":
        # A database that stops answering must turn into a 503 quickly, not a hung worker.
        connect_args.setdefault("connect_timeout", 3)
    return create_engine(url, connect_args=connect_args, **options)


def _disable_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)



def dialect_insert(dialect: str) -> Any:
    """The INSERT construct with ON CONFLICT support for `dialect` (PostgreSQL's, else SQLite's)."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert
