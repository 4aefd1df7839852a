"""The outbox: one row per (subscription, event), written in the producer's own transaction.

`emit` inserts an event for every active subscription to its type with one INSERT … SELECT,
so an event exists exactly when the write that produced it commits (a rolled-back request
leaves none) and a subscriber down for a day loses nothing. Every subscriber of one event gets
the same `evt_…` id.

Most shops subscribe nobody, so the hot paths (an inbound text, a status) must not pay for
webhooks: `wanted` answers from a per-process cache of the subscribed types, refreshed at most
every CACHE_SECONDS with one SELECT, and the emitters build no payload when nobody listens. A
subscription made in another process is seen by this one within CACHE_SECONDS; one made here
clears the cache at once.
"""

from __future__ import annotations

import functools
import secrets
import threading
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, bindparam, cast, insert, literal, select, true, type_coerce
from sqlalchemy.orm import Session

from database_models import EVENT_PENDING, UTCDateTime, WebhookEvent, WebhookSubscription, utcnow

MESSAGE_RECEIVED, MESSAGE_STATUS = "message.received", "message.status"
CONVERSATION_HANDOFF, BROADCAST_COMPLETED, CONTACT_OPTED_OUT = (
    "conversation.handoff", "broadcast.completed", "contact.opted_out")
EVENT_TYPES = (MESSAGE_RECEIVED, MESSAGE_STATUS, CONVERSATION_HANDOFF, BROADCAST_COMPLETED, CONTACT_OPTED_OUT)
CACHE_SECONDS = 5.0

_subscriptions = WebhookSubscription.__table__
_events = WebhookEvent.__table__
_cache: dict[str, tuple[float, frozenset[str]]] = {}
_cache_lock = threading.Lock()


def new_event_id() -> str:
    """A fresh event id: `evt_` and 24 random hex digits."""
    return "evt_" + secrets.token_hex(12)


def iso(moment: datetime | None) -> str | None:
    """An event's time as integrators parse it: ISO 8601 in UTC, `Z`, whole seconds."""
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ") if moment is not None else None


def subscribed_types(session: Session) -> frozenset[str]:
    """The event types some active subscription wants, from the cache when it is fresh."""
    key = str(session.get_bind().engine.url)
    now = time.monotonic()
    cached = _cache.get(key)
    if cached is not None and now - cached[0] < CACHE_SECONDS:
        return cached[1]
    listed = session.scalars(select(_subscriptions.c.events).where(_subscriptions.c.active.is_(true())))
    types = frozenset(name for events in listed for name in events.split(",") if name)
    with _cache_lock:
        _cache[key] = (now, types)
    return types


def cached_wanted(engine: Any, event_type: str) -> bool | None:
    """`wanted` from the cache alone (no query): None when it is stale, then ask `wanted` with a session."""
    cached = _cache.get(str(engine.url))
    if cached is None or time.monotonic() - cached[0] >= CACHE_SECONDS:
        return None
    return event_type in cached[1]


def wanted(session: Session, event_type: str) -> bool:
    """True when an active subscription (as this process last saw them) wants `event_type`."""
    return event_type in subscribed_types(session)


def forget_subscriptions() -> None:
    """Clear the cache: the next emission looks the subscriptions up again (after a change made here)."""
    with _cache_lock:
        _cache.clear()


def emit(session: Session, event_type: str, payloads: Iterable[dict[str, Any]], at: datetime | None = None) -> int:
    """Queue one event per payload for every subscriber of `event_type`, in `session`'s transaction; how many."""
    if not wanted(session, event_type):
        return 0
    created_at = at or utcnow()
    rows = [{"event_id": new_event_id(), "event_type": event_type, "payload": payload, "created_at": created_at,
             "pattern": f"%,{event_type},%"} for payload in payloads]
    if rows:
        session.execute(_insert_statement(session.get_bind().dialect.name), rows)
    return len(rows)


@functools.cache
def _insert_statement(dialect: str) -> Any:
    """INSERT INTO webhook_events … SELECT … FROM webhook_subscriptions WHERE active AND events LIKE :pattern."""
    # PostgreSQL types the SELECT list on its own: an untyped parameter would be text, which has
    # no assignment cast to json or timestamptz. SQLite must not CAST (JSON has numeric affinity).
    wrap = cast if dialect == "postgresql" else type_coerce
    created_at = wrap(bindparam("created_at", type_=UTCDateTime()), UTCDateTime())
    chosen = select(
        _subscriptions.c.id, cast(bindparam("event_id"), String(40)), cast(bindparam("event_type"), String(40)),
        wrap(bindparam("payload", type_=JSON), JSON), created_at, literal(EVENT_PENDING, String(16)), literal(0),
        created_at,
    ).where(_subscriptions.c.active.is_(true()), _subscriptions.c.events.like(bindparam("pattern")))
    return insert(_events).from_select(
        ["subscription_id", "event_id", "event_type", "payload", "created_at", "status", "attempts",
         "next_attempt_at"], chosen)
