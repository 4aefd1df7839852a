"""The cron entry (`* * * * * cd /app && python run_broadcast_processor.py`): send what is due, log a summary.

It exits at once when nothing is due, otherwise processes until nothing due remains or
the time budget (PROCESSOR_TIME_BUDGET_SECONDS, 55 s) runs out, logging a progress line
per batch and a JSON summary at the end; then it enriches newly stored messages for
analytics with what is left of the budget (`--no-enrich` skips that). `flask --app webhook_handler broadcast process`
runs the same `run_processor` function.

A single-instance guard (a PostgreSQL advisory lock, or a lock file next to the SQLite
database) stops a second run from starting while one is busy; it only saves work —
claims are atomic, so two processors never send the same row even without it.

Exit codes: 0 done, nothing due, or another run busy; 1 unexpected error or database
unreachable; 2 configuration error, or a database without the schema (`alembic upgrade
head` creates it); 3 claims of a crashed processor were found whose sends are unconfirmed
(`unknown`): look at `broadcast report ID` and decide. A configuration error or a missing
schema is one JSON line on stderr, like every other line the run writes.

Run by cron, the script loads `.env` (beside it) before anything imports prometheus-client,
so PROMETHEUS_MULTIPROC_DIR written there puts the run's counters into `/metrics`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from runtime.process_environment import ensure_metrics_directory, load_environment

if __name__ == "__main__":
    # Before the imports below: prometheus-client picks its mode from PROMETHEUS_MULTIPROC_DIR when first imported.
    load_environment()
    ensure_metrics_directory()

from sqlalchemy import func, inspect, select  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from broadcast_service import process_pending_broadcasts  # noqa: E402
from config import Config, ConfigError  # noqa: E402
from database_models import ScheduledMessage, utcnow  # noqa: E402
from integrations.delivery import deliver_webhooks  # noqa: E402
from outbound.processor import MessageProcessor, ProcessSummary  # noqa: E402
from runtime.metrics import compact_dead_process_files, record_processor_run  # noqa: E402
from scheduler import Scheduler  # noqa: E402

logger = logging.getLogger("run_broadcast_processor")

EXIT_OK, EXIT_ERROR, EXIT_CONFIG, EXIT_UNCONFIRMED = 0, 1, 2, 3
ADVISORY_LOCK_KEY = 0x57414250  # "WABP": one broadcast processor per database


@contextlib.contextmanager
def single_instance(session_factory: sessionmaker[Session], database_url: str) -> Iterator[bool]:
    """Yields True when this is the only processor running against the database."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        # A session-level advisory lock on a connection held for the whole run; it is also
        # released if this process dies, when PostgreSQL closes the connection.
        with session_factory.kw["bind"].connect() as connection:
            acquired = bool(connection.execute(select(func.pg_try_advisory_lock(ADVISORY_LOCK_KEY))).scalar())
            connection.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    connection.execute(select(func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
                    connection.commit()
        return
    path = f"{url.database}.processor-lock" if url.database and url.database != ":memory:" else None
    try:
        import fcntl
    except ImportError:  # not POSIX: no guard, which is safe (claims are atomic)
        fcntl = None
    if path is None or fcntl is None:
        yield True
        return
    with open(path, "a") as lock_file:
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def run_processor(config: Config, session_factory: sessionmaker[Session],
                  make_processor: Callable[[], MessageProcessor], *, time_budget: float | None = None,
                  limit: int | None = None, guard: bool = True) -> tuple[int, ProcessSummary | None]:
    """Process due rows once, then deliver due outbound webhooks (cron, Celery, CLI); the exit code and summary."""
    result = _process_queue(config, session_factory, make_processor, time_budget=time_budget, limit=limit,
                            guard=guard)
    deliver_webhooks(session_factory, allow_private=config.webhook_allow_private_urls)
    return result


def _process_queue(config: Config, session_factory: sessionmaker[Session],
                   make_processor: Callable[[], MessageProcessor], *, time_budget: float | None = None,
                   limit: int | None = None, guard: bool = True) -> tuple[int, ProcessSummary | None]:
    try:
        with session_factory() as session:
            has_work = Scheduler(session).has_work(utcnow())
            session.commit()
        if not has_work:
            logger.info("nothing due", extra={"event": "processor.idle"})
            record_processor_run("idle")
            return EXIT_OK, None
        lock = single_instance(session_factory, config.database_url) if guard else contextlib.nullcontext(True)
        with lock as only_one:
            if not only_one:
                logger.info("another processor is running; leaving the work to it", extra={"event": "processor.busy"})
                record_processor_run("busy")
                return EXIT_OK, None
            processor = make_processor()
            with _stop_on_sigterm(processor):
                summary = process_pending_broadcasts(processor, None, limit, time_budget=time_budget)
    except SQLAlchemyError:
        logger.exception("database error; unrecorded sends become unknown after their lease",
                         extra={"event": "processor.db_error"})
        record_processor_run("error")
        return EXIT_ERROR, None
    except Exception:  # the job boundary
        logger.exception("processor failed", extra={"event": "processor.error"})
        record_processor_run("error")
        return EXIT_ERROR, None
    logger.info("processor summary %s", json.dumps(summary.as_dict()),
                extra={"event": "processor.summary", **summary.as_dict()})
    if summary.recovered and not config.resend_unconfirmed:
        logger.error("%d sends of a crashed processor are unconfirmed (status unknown); see the broadcast report",
                     summary.recovered, extra={"event": "processor.unconfirmed", "count": summary.recovered})
        record_processor_run("unconfirmed")
        return EXIT_UNCONFIRMED, summary
    record_processor_run("done")
    return EXIT_OK, summary


def missing_schema(engine: Any) -> str | None:
    """A one-line explanation when the database has no schema yet, else None (an unreachable database raises)."""
    table = ScheduledMessage.__tablename__
    if inspect(engine).has_table(table):
        return None
    return (f"the database has no schema (table {table} is missing): `alembic upgrade head` "
            "(or `make migrate`) creates it")


def run_enrichment(config: Config, session_factory: sessionmaker[Session], time_budget: float) -> int:
    """Analyse the messages stored since the last run (keywords, sentiment, intent); returns an exit code."""
    from language.enrichment import enrich_pending

    try:
        count = enrich_pending(session_factory, time_budget=time_budget, rules=config.chatbot_rules_path)
    except Exception:  # the job boundary: the rows stay unenriched for the next run
        logger.exception("enrichment failed", extra={"event": "enrichment.error"})
        return EXIT_ERROR
    if count:
        logger.info("enriched %d messages", count, extra={"event": "enrichment.done", "count": count})
    return EXIT_OK


@contextlib.contextmanager
def _stop_on_sigterm(processor: MessageProcessor) -> Iterator[None]:
    """On SIGTERM finish what is in flight, hand back what is not, and exit normally."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, lambda *_: processor.request_stop())
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Parse options, build the processor from the environment, run once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-budget", type=float, help="seconds (default PROCESSOR_TIME_BUDGET_SECONDS)")
    parser.add_argument("--limit", type=int, help="claim at most this many rows")
    parser.add_argument("--no-guard", action="store_true", help="skip the single-instance lock")
    parser.add_argument("--no-enrich", action="store_true", help="do not enrich new messages for analytics")
    options = parser.parse_args(argv)
    from runtime.app_logging import json_line
    from runtime.context import build_platform, configure_process_logging, load_process_config

    try:
        config = load_process_config()
    except ConfigError as error:
        print(json_line("ERROR", "processor.config_error", f"configuration error: {error}"), file=sys.stderr)
        return EXIT_CONFIG
    configure_process_logging(config)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        compact_dead_process_files(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    context = build_platform(config, with_chatbot=False, serves_webhooks=False)
    try:
        return _run(options, config, context)
    finally:
        context.close()


def _run(options: argparse.Namespace, config: Config, context: Any) -> int:
    """Check the schema, process what is due, then enrich with what is left of the budget."""
    try:
        problem = missing_schema(context.engine)
    except SQLAlchemyError:
        logger.exception("database unreachable", extra={"event": "processor.db_error"})
        return EXIT_ERROR
    if problem:
        from runtime.app_logging import json_line

        print(json_line("ERROR", "processor.no_schema", problem), file=sys.stderr)
        return EXIT_CONFIG
    started = time.monotonic()
    budget = config.processor_time_budget_seconds if options.time_budget is None else options.time_budget
    code, _ = run_processor(config, context.session_factory, context.new_processor,
                            time_budget=options.time_budget, limit=options.limit, guard=not options.no_guard)
    if not options.no_enrich and code != EXIT_ERROR:
        # Enrichment shares the run: whatever budget sending left (at least a few seconds).
        code = max(code, run_enrichment(config, context.session_factory,
                                        max(5.0, budget - (time.monotonic() - started))))
    return code


if __name__ == "__main__":
    sys.exit(main())
