"""The inbox's pages that read: the list of conversations, a thread, and their live updates (JSON).

The actions on a conversation are `conversation_pages`'. Opening a thread sets the team's read
marker; so does a live update that brought a customer's message into an open thread. Pages work
without script; static/inbox.js polls the two JSON endpoints every few seconds and appends what
is new (the server renders each bubble, escaped, with the thread's own macro).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import abort, get_template_attribute, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from database_models import utcnow
from web.dashboard.blueprint import dashboard
from web.dashboard.conversations import assignable_operators, holder, mark_read, may_assign_others
from web.dashboard.inbox import (
    ContactNotFound,
    ThreadCursor,
    get_contact,
    is_window_open,
    thread,
    thread_cursor,
    window_closes_at,
)
from web.dashboard.inbox_list import SHOWS, InboxFilter, inbox_page, latest_activity
from web.dashboard.operators import current_operator_id
from web.dashboard.saved_replies import saved_replies
from web.i18n import format_day
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.inbox")
_CONTACT = "<int(min=1, max=2147483647):contact_id>"
MAX_UPDATE_ITEMS = 50


def show_labels() -> dict[str, str]:
    """The list's filters, in the interface language."""
    return {"all": _("All"), "waiting": _("Waiting for a person"), "mine": _("Assigned to me"),
            "unassigned": _("Unassigned"), "bot": _("With the bot"), "unread": _("Unread"),
            "negative": _("Negative"), "window": _("24-hour window open")}


@dashboard.get("/dashboard/inbox", endpoint="inbox_list")
def inbox_list_page() -> str:
    """Every conversation, newest activity first, filtered and searched."""
    chosen = InboxFilter.from_args(request.args)
    with request_db() as db:
        page = inbox_page(db, chosen, current_operator_id(), utcnow())
        activity = latest_activity(db)
    return render_template("dashboard/inbox.html", page=page, chosen=chosen, shows=SHOWS, labels=show_labels(),
                           activity=activity)


@dashboard.get("/dashboard/inbox/activity", endpoint="inbox_activity")
def inbox_activity() -> Response:
    """What the list's live refresh compares with the page it shows (JSON)."""
    with request_db() as db:
        return jsonify(activity=latest_activity(db))


def _thread_context(db: Any, contact_id: int) -> dict[str, Any]:
    now = utcnow()
    try:
        contact = get_contact(db, contact_id)
    except ContactNotFound:
        abort(404, _("There is no such contact."))
    who = holder(db, contact_id)
    chosen_reply = request.args.get("reply", "")
    replies = saved_replies(db)
    prefill = next((reply.body for reply in replies if str(reply.id) == chosen_reply), "")
    # The cursor before the thread: a message stored in between is drawn and updated again, never missed
    # (the script skips a bubble it already shows).
    cursor = str(thread_cursor(db, contact_id))
    context = {"contact": contact, "items": thread(db, contact_id, notes=True), "cursor": cursor,
               "state": who.state, "holder": who, "window_open": is_window_open(contact, now),
               "window_closes_at": window_closes_at(contact.last_inbound_at), "saved_replies": replies,
               "prefill": prefill, "may_assign": may_assign_others(),
               "operators": assignable_operators(db) if may_assign_others() else [],
               "me": current_operator_id()}
    mark_read(db, contact_id, now)
    db.commit()
    return context


@dashboard.get(f"/dashboard/inbox/{_CONTACT}", endpoint="conversation")
def conversation_page(contact_id: int) -> str:
    """One contact's thread with the team's notes, who has it, the reply box (or the template form)."""
    with request_db() as db:
        context = _thread_context(db, contact_id)
    # Rendered after the block ended its transaction: on SQLite a transaction holds the write lock.
    return render_template("dashboard/thread.html", **context)


@dashboard.get(f"/dashboard/inbox/{_CONTACT}/updates", endpoint="conversation_updates")
def conversation_updates(contact_id: int) -> Response | tuple[Response, int]:
    """What the open thread lacks: the messages and notes after `after` (the page's cursor), as HTML
    bubbles rendered by the thread's macro, and the new cursor (JSON)."""
    try:
        after = ThreadCursor.parse(request.args.get("after", ""))
    except ValueError:
        return jsonify(error=_("Give the thread's cursor as after=<in>.<out>.<note>.")), 400
    with request_db() as db:
        try:
            get_contact(db, contact_id)
        except ContactNotFound:
            return jsonify(error=_("There is no such contact.")), 404
        items = thread(db, contact_id, MAX_UPDATE_ITEMS, after=after, notes=True)
        cursor = _advanced(after, items)
        if any(item.direction == "in" for item in items):
            mark_read(db, contact_id, utcnow())
        db.commit()
    bubble = get_template_attribute("dashboard/_thread_items.html", "bubble")
    return jsonify(cursor=str(cursor), items=[{"key": item.key, "day": format_day(item.at, weekday=True),
                                                "html": str(bubble(item))} for item in items])


def _advanced(after: ThreadCursor, items: list[Any]) -> ThreadCursor:
    newest = {"in": after.inbound, "out": after.outbound, "note": after.note}
    for item in items:
        kind, number = item.key.split("-")
        newest[kind] = max(newest[kind], int(number))
    return ThreadCursor(newest["in"], newest["out"], newest["note"])


# Contact ids are Integer columns: a larger number in the URL is a 404 here, not an overflow (a 500) in SQLite.
