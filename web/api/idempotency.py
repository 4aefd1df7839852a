"""`Idempotency-Key` on the POSTs that create something, as Stripe does it.

The same key with the same request within 24 hours answers the first response again (same
status, body and `Location`, plus `Idempotent-Replayed: true`) and does nothing; the same
key with a different request is a 422 (`idempotency_key_reused`).

Concurrency: the key is claimed by inserting its row (unique `key`, ON CONFLICT DO NOTHING)
in the request's own transaction, before the work, and the response is written into that
row before the one commit (`respond_once`). A second request with the same key on another
worker blocks on the unique key (PostgreSQL) or on the write lock (SQLite, BEGIN IMMEDIATE)
until the first commits, then finds the stored response; if the first rolled back (an
error), the second claims the key and does the work. So there is no visible "in progress"
state and one key creates one thing. A row visible without a response (a view that
committed without `respond_once`) is answered 409 with `Retry-After`. Errors are not
stored: a request refused with a 4xx may be repeated with the same key once fixed.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import Response, g, request
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from database_models import IdempotencyKey, utcnow
from database_setup import dialect_insert
from web.api.support import ApiInputError, db, error_response

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as Stripe's keys (a UUID fits)
_VERSION_PREFIX = re.compile(r"^/api/v1(?=/)")


def _fingerprint() -> str:
    """sha256 of the method, the path (either prefix) and the body (JSON canonicalised)."""
    data = request.get_data(cache=True)
    try:
        canonical = json.dumps(json.loads(data), sort_keys=True, ensure_ascii=False).encode() if data else b""
    except ValueError:
        canonical = data
    path = _VERSION_PREFIX.sub("/api", request.path)
    return hashlib.sha256(request.method.encode() + b" " + path.encode() + b"\n" + canonical).hexdigest()


def _claim(session: Session, key: str, fingerprint: str) -> IdempotencyKey | None:
    """Insert the key's row (None: it is ours now), or the row another request stored."""
    now = utcnow()
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < now - KEPT_FOR))
    insert = dialect_insert(session.get_bind().dialect.name)
    claimed = session.execute(
        insert(IdempotencyKey).values(key=key, fingerprint=fingerprint, created_at=now)
        .on_conflict_do_nothing(index_elements=["key"]).returning(IdempotencyKey.id)).scalar()
    if claimed is not None:
        return None
    return session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == key)).one()


def _replay(stored: IdempotencyKey, fingerprint: str) -> Response:
    if stored.fingerprint != fingerprint:
        return error_response(422, f"this {HEADER} was used with a different request; use a new key",
                              HEADER, code="idempotency_key_reused")
    if stored.status_code is None:
        return error_response(409, "a request with this key is still being processed; retry shortly", HEADER,
                              {"Retry-After": "1"}, code="idempotency_key_in_progress")
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.response_body, status=stored.status_code, headers=headers, mimetype="application/json")


def idempotent(view: Callable[..., Response]) -> Callable[..., Response]:
    """Honour `Idempotency-Key` on a creating view, which must commit through `respond_once`."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _KEY.match(key):
            raise ApiInputError(HEADER, "must be 1–255 visible ASCII characters (a UUID is a good key)")
        fingerprint = _fingerprint()
        session = db()
        stored = _claim(session, key, fingerprint)
        if stored is not None:
            session.rollback()
            return _replay(stored, fingerprint)
        g.idempotency_key = key
        return view(*args, **kwargs)

    return wrapper


def respond_once(session: Session, response: Response) -> None:
    """Store `response` under the request's claimed key (if it sent one), then commit the request's work."""
    key = g.pop("idempotency_key", None)
    if key is not None:
        session.execute(update(IdempotencyKey).where(IdempotencyKey.key == key).values(
            status_code=response.status_code, response_body=response.get_data(as_text=True),
            location=response.headers.get("Location")))
    session.commit()
