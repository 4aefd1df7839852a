"""The dashboard's one blueprint; the page modules register their views on it."""

from __future__ import annotations

from flask import Blueprint

from web.request_db import close_request_session

dashboard = Blueprint("dashboard", __name__)
dashboard.teardown_request(close_request_session)  # the request's one session (web.request_db)
