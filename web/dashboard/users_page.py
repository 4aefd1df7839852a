"""`/dashboard/users`: an admin lists the operators, creates one (with a role), disables or enables one,
and sets a new password.

The work is `accounts.operators`' (the same functions as `flask … users`), so the page refuses
what the command refuses, here in the interface language, changing nothing. Disabling an
operator or giving them a new password ends their logins at once. Each change is recorded in
the audit trail in its own transaction. Admins only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from accounts.operators import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    AccountError,
    create_operator,
    disable_operator,
    enable_operator,
    list_operators,
    set_password,
)
from database_models import ROLES, Operator
from web.dashboard.access import admin_required
from web.dashboard.blueprint import dashboard
from web.dashboard.operators import current_operator, record_action
from web.i18n import format_number
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.users")
_OPERATOR = "<int(min=1, max=2147483647):operator_id>"


def role_labels() -> dict[str, str]:
    """Each role's name in the interface language."""
    return {"admin": _("Admin"), "agent": _("Agent")}


def refusal(error: AccountError) -> str:
    """Why `accounts.operators` refused, in the interface language."""
    messages = {
        "bad_username": _("A username has 2 to 64 characters: English letters, digits, dot, dash or underscore."),
        "duplicate_username": _("An operator with that username exists already."),
        "bad_role": _("Choose a role: admin or agent."),
        "empty_password": _("Enter a password."),
        "short_password": _("The password needs at least %(count)s characters.",
                            count=format_number(MIN_PASSWORD_LENGTH)),
        "long_password": _("The password may have at most %(count)s characters.",
                           count=format_number(MAX_PASSWORD_LENGTH)),
        "long_display_name": _("The display name is too long."),
        "already_disabled": _("That operator is disabled already."),
        "already_enabled": _("That operator is active already."),
        "last_admin": _("This is the last active admin. Create or enable another admin first."),
    }
    return messages.get(error.code, str(error))


def _page(db: Session, form: dict[str, Any] | None = None, status: int = 200) -> tuple[str, int]:
    operators = list_operators(db)
    db.close()  # rendered after the transaction: on SQLite the page's inbox count waits for its lock otherwise
    return render_template("dashboard/users.html", operators=operators, roles=ROLES, role_labels=role_labels(),
                           form=form or {}, me=current_operator(),
                           min_password=MIN_PASSWORD_LENGTH), status


@dashboard.get("/dashboard/users", endpoint="users")
@admin_required
def users_page() -> tuple[str, int]:
    """Every operator, and the form to add one."""
    with request_db() as db:
        return _page(db)


@dashboard.post("/dashboard/users", endpoint="users_create")
@admin_required
def users_create() -> Any:
    """Create an operator; a refusal shows the form again with what was typed (never the password) and why."""
    form = {"username": request.form.get("username", "").strip()[:64],
            "display_name": request.form.get("display_name", "").strip()[:128],
            "role": request.form.get("role", "")}
    password = request.form.get("password", "")
    with request_db() as db:
        try:
            if password != request.form.get("password_again", ""):
                raise AccountError("passwords_differ", "the two passwords differ")
            operator = create_operator(db, form["username"], password, form["role"], form["display_name"] or None)
        except AccountError as error:
            db.rollback()
            flash(_("The two passwords are not the same.") if error.code == "passwords_differ" else refusal(error),
                  "error")
            return _page(db, form, 400)
        record_action(db, "operator.created", "operator", operator.id, role=operator.role)
        db.commit()
    logger.info("operator created", extra={"event": "dashboard.operator_created", "operator_id": operator.id})
    flash(_("%(name)s can log in now.", name=operator.username), "success")
    return redirect(url_for("dashboard.users"))


def _load(db: Session, operator_id: int) -> Operator:
    operator = db.get(Operator, operator_id)
    if operator is None:
        abort(404, _("There is no such operator."))
    return operator


def _change(operator_id: int, change: Callable[[Session, Operator], object], action: str,
            done: Callable[[Operator], str]) -> Response:
    """Apply one change to an operator with its audit record, or flash why it was refused; back to the list."""
    with request_db() as db:
        operator = _load(db, operator_id)
        try:
            change(db, operator)
        except AccountError as error:
            db.rollback()
            flash(refusal(error), "error")
            return redirect(url_for("dashboard.users"))
        record_action(db, action, "operator", operator.id)
        db.commit()
    flash(done(operator), "success")
    return redirect(url_for("dashboard.users"))


@dashboard.post(f"/dashboard/users/{_OPERATOR}/disable", endpoint="users_disable")
@admin_required
def users_disable(operator_id: int) -> Response:
    """Disable an operator: their logins end at once."""
    me = current_operator()
    if me is not None and operator_id == me.id:
        flash(_("You cannot disable your own account."), "error")
        return redirect(url_for("dashboard.users"))
    return _change(operator_id, disable_operator, "operator.disabled",
                   lambda operator: _("%(name)s is disabled and logged out everywhere.", name=operator.username))


@dashboard.post(f"/dashboard/users/{_OPERATOR}/enable", endpoint="users_enable")
@admin_required
def users_enable(operator_id: int) -> Response:
    """Let a disabled operator log in again."""
    return _change(operator_id, enable_operator, "operator.enabled",
                   lambda operator: _("%(name)s can log in again.", name=operator.username))


@dashboard.post(f"/dashboard/users/{_OPERATOR}/password", endpoint="users_password")
@admin_required
def users_password(operator_id: int) -> Response:
    """Set a new password: every login opened with the old one ends (the admin's own, too, for their account)."""
    password = request.form.get("password", "")
    return _change(operator_id, lambda db, operator: set_password(db, operator, password), "operator.password_reset",
                   lambda operator: _("New password set for %(name)s; their sessions have ended.",
                                      name=operator.username))
