"""The handoff inbox's pages: the waiting list, a thread, replies and the hand-back.

A thread's template and file sends are `inbox_templates`', through `_act` below.

Each action runs in its own transaction, commits once, then hands the queued row to the dispatcher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from chatbot_service import release_handoff
from database_models import (
    ScheduledMessage,
    utcnow,
)
from runtime.context import platform
from web.dashboard.blueprint import dashboard
from web.dashboard.inbox import (
    ContactNotFound,
    InboxError,
    conversation_state,
    get_contact,
    is_window_open,
    queue_text_reply,
    thread,
    waiting_conversations,
    window_closes_at,
)
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.inbox")
_CONTACT = "<int(min=1, max=2147483647):contact_id>"


@dashboard.get("/dashboard/inbox", endpoint="inbox_list")
def inbox_page() -> str:
    """Conversations waiting for a human, the longest-waiting first."""
    with request_db() as db:
        waiting = waiting_conversations(db, utcnow())
    return render_template("dashboard/inbox.html", waiting=waiting)


@dashboard.get(f"/dashboard/inbox/{_CONTACT}", endpoint="conversation")
def conversation_page(contact_id: int) -> str:
    """One contact's thread, the reply box (or the template form) and the hand-back button."""
    now = utcnow()
    with request_db() as db:
        try:
            contact = get_contact(db, contact_id)
        except ContactNotFound:
            abort(404, _("There is no such contact."))
        context = {"contact": contact, "items": thread(db, contact_id), "state": conversation_state(db, contact_id),
                   "window_open": is_window_open(contact, now),
                   "window_closes_at": window_closes_at(contact.last_inbound_at)}
    # Rendered after the block ended its transaction: on SQLite a transaction holds the write lock.
    return render_template("dashboard/thread.html", **context)


def _act(contact_id: int, action: Callable[[Session, datetime], ScheduledMessage], done: str) -> Response:
    """Run one queueing action in its own transaction, send the row, and return to the thread."""
    back = url_for("dashboard.conversation", contact_id=contact_id)
    with request_db() as db:
        try:
            row_id = action(db, utcnow()).id
        except ContactNotFound:
            abort(404, _("There is no such contact."))
        except InboxError as error:
            flash(str(error), "error")
            return redirect(back + "#latest")
        db.commit()
    platform().dispatcher.dispatch([row_id])
    logger.info("operator message queued", extra={"event": "dashboard.operator_message",
                                                  "contact_id": contact_id, "message_id": row_id})
    flash(done, "success")
    return redirect(back + "#latest")


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/reply")
def reply(contact_id: int) -> Response:
    """Queue and send the operator's free-text reply (inside the 24-hour window only)."""
    body = request.form.get("body", "")
    return _act(contact_id, lambda db, now: queue_text_reply(db, contact_id, body, now), _("Reply sent."))


@dashboard.post(f"/dashboard/inbox/{_CONTACT}/release")
def release(contact_id: int) -> Response:
    """Hand the conversation back to the bot."""
    with request_db() as db:
        released = release_handoff(db, contact_id)
        db.commit()
    logger.info("handoff released", extra={"event": "dashboard.handoff_released", "contact_id": contact_id,
                                           "released": released})
    if not released:
        flash(_("This conversation was not waiting for a person."), "info")
        return redirect(url_for("dashboard.conversation", contact_id=contact_id))
    flash(_("Handed back: the bot answers this customer again."), "success")
    return redirect(url_for("dashboard.inbox_list"))


# Contact ids are Integer columns: a larger number in the URL is a 404 here, not an overflow (a 500) in SQLite.
