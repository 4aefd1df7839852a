"""429 with `Retry-After` for addresses that guess tokens or call too often, counted in the database.

Counters are fixed one-minute windows per client address (`request.remote_addr`, which
ProxyFix sets from nginx's X-Forwarded-For), one row per (address, scope, minute) in
`api_rate_counters`, upserted in their own short transaction so every gunicorn worker and
every host sees the same counts. Two scopes:

- `auth_failures`: requests answered 401. Past AUTH_FAILURES_PER_MINUTE the address gets 429
  on every API request until the minute ends (even with the right token: a guesser does not
  learn when it guessed right).
- `requests`: every API request. Past REQUESTS_PER_MINUTE the address gets 429 until the
  minute ends.

Both limits are Flask settings (`app.config`) with the defaults below. Rows older than ten
minutes are deleted whenever an address opens a new window. The cost is one small write
per API request; a limit of 0 switches that scope off (no write at all).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil

from flask import Response, current_app, request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from database_models import ApiRateCounter, utcnow
from database_setup import dialect_insert
from runtime.context import platform
from web.api.support import error_response

REQUESTS_PER_MINUTE = 1200  # 20 a second: far above an integrator's sync, well below what floods a worker
AUTH_FAILURES_PER_MINUTE = 20
WINDOW = timedelta(minutes=1)
KEPT_FOR = timedelta(minutes=10)


def _limit(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def _window(now: datetime) -> datetime:
    return now.replace(second=0, microsecond=0)


def _count(session: Session, address: str, scope: str, window: datetime) -> int:
    insert = dialect_insert(session.get_bind().dialect.name)
    statement = insert(ApiRateCounter).values(address=address, scope=scope, window_start=window, hits=1)
    hits = session.execute(statement.on_conflict_do_update(
        index_elements=["address", "scope", "window_start"],
        set_={"hits": ApiRateCounter.hits + 1}).returning(ApiRateCounter.hits)).scalar_one()
    if hits == 1:
        session.execute(delete(ApiRateCounter).where(ApiRateCounter.window_start < window - KEPT_FOR))
    return hits


def _too_many(now: datetime, why: str) -> Response:
    retry_after = max(1, ceil((_window(now) + WINDOW - now).total_seconds()))
    return error_response(429, f"{why}; retry after {retry_after} s", headers={"Retry-After": str(retry_after)})


def check_rate() -> Response | None:
    """Before authentication: 429 when this address failed too many tokens or sent too many requests this minute."""
    request_limit = _limit("ADMIN_API_REQUESTS_PER_MINUTE", REQUESTS_PER_MINUTE)
    failure_limit = _limit("ADMIN_API_AUTH_FAILURES_PER_MINUTE", AUTH_FAILURES_PER_MINUTE)
    if not (request_limit or failure_limit):
        return None
    now, address = utcnow(), (request.remote_addr or "unknown")[:64]
    with platform().session_factory() as session:
        failures = session.scalar(select(ApiRateCounter.hits).where(
            ApiRateCounter.address == address, ApiRateCounter.scope == "auth_failures",
            ApiRateCounter.window_start == _window(now))) if failure_limit else None
        requests = _count(session, address, "requests", _window(now)) if request_limit else 0
        session.commit()
    if failure_limit and (failures or 0) >= failure_limit:
        return _too_many(now, "too many requests with a wrong token from this address")
    if request_limit and requests > request_limit:
        return _too_many(now, f"more than {request_limit} requests a minute from this address")
    return None


def record_auth_failure() -> None:
    """Count one 401 for the request's address."""
    if not _limit("ADMIN_API_AUTH_FAILURES_PER_MINUTE", AUTH_FAILURES_PER_MINUTE):
        return
    with platform().session_factory() as session:
        _count(session, (request.remote_addr or "unknown")[:64], "auth_failures", _window(utcnow()))
        session.commit()
