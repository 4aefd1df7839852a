"""Files waiting between their upload and their import (contacts, orders): kept server-side.

An upload is a row (`contact_uploads`, `order_uploads`: the same columns) keyed by a random
token, so the preview and the commit can be served by any gunicorn worker; it belongs to the
login that uploaded it and lasts UPLOAD_LIFETIME. Expired rows are deleted at the next upload.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any, TypeVar

from flask import abort, session
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlalchemy.orm import Session

from database_models import utcnow

UPLOAD_LIFETIME = timedelta(hours=1)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

Upload = TypeVar("Upload")


def login_id() -> str:
    """The server-side id of this request's login (an upload is visible to it alone)."""
    return str(session.get("dashboard_session", ""))


def keep_upload(db: Session, model: type[Any], data: bytes, filename: str) -> str:
    """Store `data` as an upload of `model` for this login (deleting expired ones); its token (caller commits)."""
    token, now = secrets.token_urlsafe(32), utcnow()
    db.execute(delete(model).where(model.expires_at < now))
    db.add(model(id=token, login_id=login_id(), filename=filename[:255], data=data, created_at=now,
                 expires_at=now + UPLOAD_LIFETIME))
    return token


def pending_upload(db: Session, model: type[Upload], token: str) -> Upload:
    """This login's upload of `model`, or 404 (unknown, expired, imported already, or another login's)."""
    upload: Any = db.get(model, token) if _TOKEN.match(token) else None
    if upload is None or upload.login_id != login_id() or upload.expires_at <= utcnow():
        abort(404, _("This upload is no longer waiting (imported, discarded or older than an hour). "
                     "Upload the file again."))
    return upload
