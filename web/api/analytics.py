"""`/api/analytics/…`: the analytics summary and each of its sections for a date range."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask import Blueprint, Response, g

from analytics_service import AnalyticsService
from runtime.context import platform
from web.api.openapi_spec import ANALYTICS_SECTIONS
from web.api.support import FIRST_DATE, LAST_DATE, MAX_RANGE_DAYS, ApiInputError, db, json_response

analytics = Blueprint("analytics", __name__)


def _report_range() -> tuple[date | None, date | None]:
    days = {}
    for name in ("from", "to"):
        raw = g.api_args.get(name)
        try:
            days[name] = date.fromisoformat(raw) if raw is not None else None
        except ValueError:
            raise ApiInputError(name, "is not a date (YYYY-MM-DD)") from None
        if days[name] is not None and not FIRST_DATE <= days[name] <= LAST_DATE:
            raise ApiInputError(name, f"must lie between {FIRST_DATE} and {LAST_DATE}")
    start, end = days["from"], days["to"]
    if start and end and start > end:
        raise ApiInputError("to", "is before from")
    if start and end and (end - start).days >= MAX_RANGE_DAYS:
        raise ApiInputError("to", f"the range may span at most {MAX_RANGE_DAYS} days")
    return start, end


def _analytics() -> AnalyticsService:
    return AnalyticsService(db(), platform().config.timezone)


@analytics.get("/analytics/summary")
def analytics_summary() -> Response:
    """Every report section for the range (the analytics contract; same JSON as the CLI's --json)."""
    return json_response(_analytics().summary(*_report_range()))


def _section_view(section: str) -> Callable[[], Response]:
    def view() -> Response:
        return json_response(getattr(_analytics(), section)(*_report_range()))
    view.__doc__ = f"The `{section}` section of the analytics summary."
    return view


for _section in ANALYTICS_SECTIONS:
    analytics.add_url_rule(f"/analytics/{_section.replace('_', '-')}", f"analytics_{_section}", _section_view(_section))
