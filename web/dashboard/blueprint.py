"""The dashboard's one blueprint; the page modules register their views on it."""

from __future__ import annotations

from flask import Blueprint

dashboard = Blueprint("dashboard", __name__)
