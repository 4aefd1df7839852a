"""`/dashboard/account`: the logged-in operator's own account — who they are, and changing their password.

Any operator may open it. Changing the password needs the current one; it ends every login of
the operator (accounts.operators.set_password), then opens a fresh one for this browser, so
the person changing it stays in and every other copy of their sessions is out.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.operators import MIN_PASSWORD_LENGTH, AccountError, check_login, set_password
from database_models import Operator
from web.dashboard.blueprint import dashboard
from web.dashboard.login import start_session
from web.dashboard.operators import current_operator, record_action
from web.dashboard.users_page import refusal, role_labels
from web.request_db import request_db

logger = logging.getLogger("web.dashboard.users")


def _page(error: str | None = None, status: int = 200) -> Any:
    return render_template("dashboard/account.html", me=current_operator(), role_labels=role_labels(),
                           error=error, min_password=MIN_PASSWORD_LENGTH), status


@dashboard.get("/dashboard/account", endpoint="account")
def account_page() -> Any:
    """The operator's own account and the form to change the password."""
    return _page()


@dashboard.post("/dashboard/account/password", endpoint="account_password")
def change_password() -> Any:
    """Check the current password, set the new one, end the other sessions and stay logged in here."""
    me = current_operator()
    assert me is not None  # the login guard let only operators through
    new = request.form.get("new_password", "")
    if new != request.form.get("new_password_again", ""):
        return _page(_("The two passwords are not the same."), 400)
    with request_db() as db:
        if check_login(db, me.username, request.form.get("current_password", "")) is None:
            return _page(_("The current password is not right."), 400)
        operator = db.get(Operator, me.id)
        try:
            set_password(db, operator, new)
        except AccountError as error:
            db.rollback()
            return _page(refusal(error), 400)
        start_session(db, operator)
        record_action(db, "operator.password_changed", "operator", operator.id)
        db.commit()
    logger.info("operator changed their password", extra={"event": "dashboard.password_changed",
                                                          "operator_id": me.id})
    flash(_("Your password is changed. Your other sessions have ended."), "success")
    return redirect(url_for("dashboard.account"))
