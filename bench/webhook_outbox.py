"""What outbound webhooks cost the inbound text path: nobody subscribed, and one subscriber.

    python bench/webhook_outbox.py [--messages 400] [--rounds 5] [--postgres URL]

Stores single-text envelopes through `inbound.ingestion.Ingestor` (one session and one commit
each, as the webhook does; log lines at INFO switched off) in three variants, in rotating order
round by round on the same database:

  off         the emission line replaced by a no-op (the code before outbound webhooks)
  nobody      emission on, no subscription: answered from the per-process cache
  subscribed  emission on, one subscriber to message.received: one SELECT and one INSERT … SELECT more

and prints the median time per message and the ratios to `off`. SQLite (a temporary file)
always; PostgreSQL too with --postgres (a throwaway database is created on that server and
dropped), where it also times status-only webhooks through `inbound.status_writer` (one
`delivered` status per call; `off` is the statement without the webhook CTEs). With two shared
cores, read the ratios, not the absolute times.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_support import migrate, recreate_database  # noqa: E402
from sqlalchemy import delete, insert  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from database_models import (  # noqa: E402
    Contact,
    MessageStatusEvent,
    ReceivedMessageLog,
    ScheduledMessage,
    WebhookEvent,
    WebhookSubscription,
    utcnow,
)
from database_setup import create_engine_for, create_session_factory  # noqa: E402
from inbound import ingestion, status_writer  # noqa: E402
from inbound.ingestion import status_only_items  # noqa: E402
from inbound.sample_payloads import new_wamid, status_envelope, status_item, text_message_envelope  # noqa: E402
from integrations import events  # noqa: E402
from integrations.outbox import forget_subscriptions  # noqa: E402
from integrations.subscriptions import create_subscription  # noqa: E402

VARIANTS = ("off", "nobody", "subscribed")


class _Off:
    """`integrations.events` with the message.received emission switched off."""

    def __getattr__(self, name: str):
        return (lambda *args, **kwargs: None) if name == "messages_received" else getattr(events, name)


def run_variant(factory, variant: str, count: int, offset: int) -> float:
    """Seconds per message for `count` single-text envelopes stored in `variant`."""
    subscribe(factory, variant, "message.received")
    ingestion.outbound_webhooks = _Off() if variant == "off" else events
    envelopes = [text_message_envelope(f"98912{offset + n:07d}", f"سلام، سفارش {n} کجاست؟") for n in range(count)]
    started = time.perf_counter()
    for envelope in envelopes:
        with factory() as session:
            ingestion.Ingestor(session).ingest(envelope)
            session.commit()
    elapsed = (time.perf_counter() - started) / count
    ingestion.outbound_webhooks = events
    return elapsed


def subscribe(factory, variant: str, event_type: str) -> None:
    with factory() as session:
        session.execute(delete(WebhookSubscription))
        if variant == "subscribed":
            create_subscription(session, "https://shop.example/hooks", [event_type])
        session.commit()
    forget_subscriptions()


def run_status_variant(url: str, factory, variant: str, count: int, offset: int) -> float:
    """Seconds per status-only webhook (one `delivered` each) through a fresh StatusWriter in `variant`."""
    subscribe(factory, variant, "message.status")
    now, wamids = utcnow(), [new_wamid() for _ in range(count)]
    with factory() as session:
        contact = Contact(wa_id=f"98935{offset:07d}", attributes={})
        session.add(contact)
        session.flush()
        session.execute(insert(ScheduledMessage), [{
            "contact_id": contact.id, "kind": "reply", "body": "hi", "status": "sent", "wamid": wamid,
            "scheduled_at": now, "sent_at": now, "attempts": 1, "dry_run": False, "unconfirmed_sends": 0,
            "created_at": now, "updated_at": now} for wamid in wamids])
        session.commit()
    items = [status_only_items(status_envelope(status_item(wamid, "delivered", contact.wa_id))) for wamid in wamids]
    original = status_writer.status_events_cte
    if variant == "off":
        status_writer.status_events_cte = lambda code: ""
    status_writer._statement.cache_clear()
    engine = create_engine_for(url, isolation_level="AUTOCOMMIT", pool_size=2)
    writer = status_writer.StatusWriter(engine)
    try:
        warm_up = count // 4  # prepared on the first; PostgreSQL settles on its generic plan after five
        for item in items[:warm_up]:
            writer.write(item)
        started = time.perf_counter()
        for item in items[warm_up:]:
            writer.write(item)
        elapsed = (time.perf_counter() - started) / (count - warm_up)
    finally:
        status_writer.status_events_cte = original
        status_writer._statement.cache_clear()
        engine.dispose()
    return elapsed


def measure(url: str, count: int, rounds: int, runner=None) -> dict[str, float]:
    engine = create_engine_for(url)
    factory = create_session_factory(engine)
    times: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
    offset = 0
    for round_number in range(rounds):
        # Rotated each round: the tables grow as the run goes, and no variant should always come last.
        order = VARIANTS[round_number % 3:] + VARIANTS[:round_number % 3]
        for variant in order:
            if runner is None:
                times[variant].append(run_variant(factory, variant, count, offset))
            else:
                times[variant].append(runner(url, factory, variant, count, offset))
            offset += count
    with factory() as session:
        for table in (WebhookEvent, WebhookSubscription, MessageStatusEvent, ScheduledMessage, ReceivedMessageLog,
                      Contact):
            session.execute(delete(table))
        session.commit()
    engine.dispose()
    return {variant: statistics.median(values) for variant, values in times.items()}


def report(name: str, medians: dict[str, float], what: str = "inbound text") -> None:
    base = medians["off"]
    print(f"{name}: per {what}, median of rounds")
    for variant in VARIANTS:
        print(f"  {variant:<10} {medians[variant] * 1e3:7.3f} ms   ratio to off {medians[variant] / base:5.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", help="a PostgreSQL URL; its database is created and dropped")
    options = parser.parse_args()
    logging.disable(logging.INFO)  # the per-message log lines would dominate what is measured
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        migrate(url)
        report("SQLite", measure(url, options.messages, options.rounds))
    if options.postgres:
        url = str(make_url(options.postgres).set(database="bench_webhook_outbox"))
        recreate_database(url)
        try:
            migrate(url)
            report("PostgreSQL", measure(url, options.messages, options.rounds))
            report("PostgreSQL", measure(url, options.messages, options.rounds, run_status_variant),
                   "status-only webhook (one statement)")
        finally:
            recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
