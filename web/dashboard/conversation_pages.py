"""The inbox's actions on one conversation: reply, send a template, take, assign, hand back, add a note.

Each runs in its own transaction with its audit record, commits once, then (for a message)
hands the queued row to the dispatcher, and returns to the thread with a flash saying what
happened or what was wrong (nothing changed then).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from database_models import ScheduledMessage, utcnow
from runtime.context import platform
from web.dashboard import conversations
from web.dashboard.blueprint import dashboard
from web.dashboard.conversations import NotAllowed
from web.dashboard.inbox import ContactNotFound, InboxError, queue_text_reply
from web.dashboard.operators import current_operator_id, record_action
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.inbox")
_CONTACT = "<int(min=1, max=2147483647):contact_id>"


def _back(contact_id: int) -> Response:
    return redirect(url_for("dashboard.conversation", contact_id=contact_id) + "#latest")


def _send(contact_id: int, action: Callable[[Session, datetime], ScheduledMessage], done: str,
          audited: bool = False) -> Response:
    """Queue one message in its own transaction (recorded as message.sent unless `action` recorded
    it itself: `audited`), send it, return to the thread. The thread's template and file sends
    (`inbox_templates`) come through here too."""
    with request_db() as db:
        try:
            now = utcnow()
            row = action(db, now)
            if not audited:
                record_action(db, "message.sent", "contact", contact_id, message_id=row.id)
            conversations.mark_read(db, contact_id, now)
        except ContactNotFound:
            abort(404, _("There is no such contact."))
        except InboxError as error:
            flash(str(error), "error")
            return _back(contact_id)
        row_id = row.id
        db.commit()
    platform().dispatcher.dispatch([row_id])
    logger.info("operator message queued", extra={"event": "dashboard.operator_message",
                                                  "contact_id": contact_id, "message_id": row_id})
    flash(done, "success")
    return _back(contact_id)


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/reply")
def reply(contact_id: int) -> Response:
    """Queue and send the operator's free-text reply (inside the 24-hour window only)."""
    body = request.form.get("body", "")
    return _send(contact_id, lambda db, now: queue_text_reply(db, contact_id, body, now, current_operator_id()),
                 _("Reply sent."))


def _change(contact_id: int, action: Callable[[Session], Any], done: str) -> Response:
    """Run one change of who has the conversation, or of its notes, and return to the thread."""
    with request_db() as db:
        try:
            action(db)
        except ContactNotFound:
            abort(404, _("There is no such contact."))
        except NotAllowed as error:
            abort(403, str(error))
        except InboxError as error:
            flash(str(error), "error")
            return _back(contact_id)
        db.commit()
    logger.info("conversation changed", extra={"event": "dashboard.conversation_changed", "contact_id": contact_id,
                                               "endpoint": request.endpoint})
    flash(done, "success")
    return _back(contact_id)


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/take")
def take(contact_id: int) -> Response:
    """Take the conversation from the bot (or from whoever has it): the bot stays silent."""
    return _change(contact_id, lambda db: conversations.take(db, contact_id, utcnow()),
                   _("You have this conversation now: the bot stays silent until you hand it back."))


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/assign")
def assign(contact_id: int) -> Response:
    """Assign the conversation to an operator (admins), or to nobody."""
    chosen = request.form.get("operator_id", "")
    if chosen and not (chosen.isdigit() and int(chosen) < 2**31):
        flash(_("Choose an active operator."), "error")
        return _back(contact_id)
    operator_id = int(chosen) if chosen else None
    return _change(contact_id, lambda db: conversations.assign(db, contact_id, operator_id, utcnow()),
                   _("Assigned.") if operator_id is not None else _("Nobody is assigned now."))


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/notes")
def add_note(contact_id: int) -> Response:
    """Keep a note for the team on this conversation (never sent to the customer)."""
    body = request.form.get("note", "")
    return _change(contact_id, lambda db: conversations.add_note(db, contact_id, body, utcnow()),
                   _("Note added. Only the team sees it."))


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/release")
def release(contact_id: int) -> Response:
    """Hand the conversation back to the bot."""
    with request_db() as db:
        released = conversations.release(db, contact_id)
        db.commit()
    logger.info("handoff released", extra={"event": "dashboard.handoff_released", "contact_id": contact_id,
                                           "released": released})
    if not released:
        flash(_("This conversation was not waiting for a person."), "info")
        return redirect(url_for("dashboard.conversation", contact_id=contact_id))
    flash(_("Handed back: the bot answers this customer again."), "success")
    return redirect(url_for("dashboard.inbox_list", show="waiting"))
