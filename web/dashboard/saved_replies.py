"""The team's saved replies: short texts with a shortcut, inserted into the inbox's reply box.

A reply may hold the broadcasts' placeholders (`{first_name|مشتری عزیز}`); they are checked
(form and known fields) when the reply is saved and filled in for the contact when it is sent
(`web.dashboard.inbox.personalised`). Every change is recorded with its operator.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.personalisation import PlaceholderError, UnknownPlaceholderError, validate_placeholders
from database_models import SavedReply
from web.dashboard.inbox import MAX_BODY_CHARS, InboxError, plain_text
from web.dashboard.operators import current_operator_id, record_action
from web.i18n import format_number

MAX_SHORTCUT_CHARS = 64
MAX_SAVED_REPLIES = 500
# Letters and digits of any script, with - and _: typed after a "/" and read aloud in a list.
_SHORTCUT = re.compile(r"[^\W_][\w-]*")


class SavedReplyNotFound(InboxError):
    """No saved reply with that id."""


def saved_replies(session: Session) -> list[SavedReply]:
    """Every saved reply, by shortcut."""
    return list(session.scalars(select(SavedReply).order_by(SavedReply.shortcut).limit(MAX_SAVED_REPLIES)))


def get_saved_reply(session: Session, reply_id: int) -> SavedReply:
    reply = session.get(SavedReply, reply_id)
    if reply is None:
        raise SavedReplyNotFound(_("There is no such saved reply."))
    return reply


def _checked(session: Session, shortcut: str, body: str, reply_id: int | None) -> tuple[str, str]:
    shortcut, body = plain_text(shortcut).strip().lstrip("/").lower(), plain_text(body).strip()
    if not _SHORTCUT.fullmatch(shortcut) or len(shortcut) > MAX_SHORTCUT_CHARS:
        raise InboxError(_("A shortcut is one word of letters and digits (- and _ allowed), at most %(count)s "
                           "characters.", count=format_number(MAX_SHORTCUT_CHARS)))
    if not body:
        raise InboxError(_("Write the reply's text."))
    if len(body) > MAX_BODY_CHARS:
        raise InboxError(_("A WhatsApp message holds at most %(count)s characters.",
                           count=format_number(MAX_BODY_CHARS)))
    try:
        validate_placeholders(session, body)
    except UnknownPlaceholderError as error:
        raise InboxError(_("Unknown placeholder: %(names)s. The reply was not saved.",
                           names=", ".join("{" + name + "}" for name in error.names))) from error
    except PlaceholderError as error:
        raise InboxError(_("A placeholder is written wrongly: write {field} or {field|fallback}, and {{ or }} "
                           "for a brace. The reply was not saved.")) from error
    taken = session.scalar(select(SavedReply.id).where(func.lower(SavedReply.shortcut) == shortcut))
    if taken is not None and taken != reply_id:
        raise InboxError(_("The shortcut /%(shortcut)s is taken already.", shortcut=shortcut))
    return shortcut, body


def create_saved_reply(session: Session, shortcut: str, body: str) -> SavedReply:
    """Save a new reply; InboxError says what is wrong with it."""
    shortcut, body = _checked(session, shortcut, body, None)
    if (session.scalar(select(func.count()).select_from(SavedReply)) or 0) >= MAX_SAVED_REPLIES:
        raise InboxError(_("The team has %(count)s saved replies: delete one first.",
                           count=format_number(MAX_SAVED_REPLIES)))
    reply = SavedReply(shortcut=shortcut, body=body, created_by=current_operator_id())
    session.add(reply)
    session.flush()
    record_action(session, "saved_reply.created", "saved_reply", reply.id, shortcut=shortcut)
    return reply


def update_saved_reply(session: Session, reply_id: int, shortcut: str, body: str) -> SavedReply:
    """Change a saved reply's shortcut and text."""
    reply = get_saved_reply(session, reply_id)
    reply.shortcut, reply.body = _checked(session, shortcut, body, reply.id)
    session.flush()
    record_action(session, "saved_reply.updated", "saved_reply", reply.id, shortcut=reply.shortcut)
    return reply


def delete_saved_reply(session: Session, reply_id: int) -> str:
    """Delete a saved reply; its shortcut."""
    reply = get_saved_reply(session, reply_id)
    session.delete(reply)
    record_action(session, "saved_reply.deleted", "saved_reply", reply_id, shortcut=reply.shortcut)
    return reply.shortcut
