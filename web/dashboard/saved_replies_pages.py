"""The saved replies page (/dashboard/replies): list, add, edit and delete the team's reply texts.

Admins and agents alike keep them (they are the agents' tool). Each change commits once with its
audit record; a bad shortcut or text is explained on the page and changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from campaigns.personalisation import BUILTIN_FIELDS
from web.dashboard.blueprint import dashboard
from web.dashboard.inbox import InboxError
from web.dashboard.saved_replies import (
    SavedReplyNotFound,
    create_saved_reply,
    delete_saved_reply,
    get_saved_reply,
    saved_replies,
    update_saved_reply,
)
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.saved_replies")
_REPLY = "<int(min=1, max=2147483647):reply_id>"


@dashboard.get("/dashboard/replies", endpoint="saved_replies")
def replies_page() -> str:
    """Every saved reply, the form to add one, and (with ?edit=<id>) the form to change one."""
    editing = request.args.get("edit", "")
    with request_db() as db:
        replies = saved_replies(db)
        chosen = None
        if editing.isdigit() and int(editing) < 2**31:
            try:
                chosen = get_saved_reply(db, int(editing))
            except SavedReplyNotFound:
                abort(404, _("There is no such saved reply."))
        context = {"replies": replies, "editing": chosen, "fields": BUILTIN_FIELDS,
                   "form": {"shortcut": chosen.shortcut, "body": chosen.body} if chosen else {}}
    return render_template("dashboard/saved_replies.html", **context)


def _save(action: Callable[[Session], Any], done: str, editing: Any = None) -> Response | tuple[str, int]:
    """Run one change in its own transaction; a refused one shows the form again, as typed, with why."""
    with request_db() as db:
        try:
            action(db)
            db.commit()
            problem = None
        except SavedReplyNotFound:
            abort(404, _("There is no such saved reply."))
        except InboxError as error:
            db.rollback()
            problem = str(error)
            replies = saved_replies(db)
    if problem is not None:  # rendered after the block: on SQLite a transaction holds the write lock
        flash(problem, "error")
        form = {"shortcut": request.form.get("shortcut", ""), "body": request.form.get("body", "")}
        return render_template("dashboard/saved_replies.html", replies=replies, editing=editing,
                               fields=BUILTIN_FIELDS, form=form), 400
    logger.info("saved reply changed", extra={"event": "dashboard.saved_reply", "endpoint": request.endpoint})
    flash(done, "success")
    return redirect(url_for("dashboard.saved_replies"))


@dashboard.post("/dashboard/replies")
def add_saved_reply() -> Response | tuple[str, int]:
    """Save a new reply."""
    form = request.form
    return _save(lambda db: create_saved_reply(db, form.get("shortcut", ""), form.get("body", "")),
                 _("Saved reply added."))


@dashboard.post(f"/dashboard/replies/{_REPLY}")
def edit_saved_reply(reply_id: int) -> Response | tuple[str, int]:
    """Change a saved reply."""
    form = request.form
    with request_db() as db:
        try:
            editing = get_saved_reply(db, reply_id)
        except SavedReplyNotFound:
            abort(404, _("There is no such saved reply."))
    return _save(lambda db: update_saved_reply(db, reply_id, form.get("shortcut", ""), form.get("body", "")),
                 _("Saved reply changed."), editing)


@dashboard.post(f"/dashboard/replies/{_REPLY}/delete")
def remove_saved_reply(reply_id: int) -> Response | tuple[str, int]:
    """Delete a saved reply."""
    return _save(lambda db: delete_saved_reply(db, reply_id), _("Saved reply deleted."))
