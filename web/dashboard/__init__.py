"""The operator dashboard blueprint (`/dashboard`): login, session, CSRF, and the analytics page.

Server-rendered Jinja pages (templates/dashboard/) with inline SVG charts (web/dashboard/charts.py);
no JavaScript. Access needs a login with ADMIN_API_TOKEN (in development, the printed
development token), kept in Flask's signed, HttpOnly, SameSite session cookie and recorded
server-side (web/dashboard/sessions.py), checked on every request, so logging out ends the
session for every copy of the cookie at once. Every POST carries a per-session CSRF token
checked here. Failed logins are throttled per client address (in this process) and per browser
session (in the signed cookie, which every worker can read): see docs/dashboard.md.
The handoff inbox's pages live in web/dashboard/inbox.py and are mounted on this blueprint at the end.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from analytics_service import AnalyticsService
from database_models import utcnow
from runtime.context import platform
from web.dashboard import charts, inbox
from web.dashboard import sessions as login_sessions
from web.dashboard.charts import Series, format_duration, format_number, format_percent

logger = logging.getLogger(__name__)
dashboard = Blueprint("dashboard", __name__)

MAX_FAILED_LOGINS = 5
FAILED_LOGIN_WINDOW = 15 * 60  # seconds
SESSION_MAX_AGE = 12 * 3600  # seconds a login lasts, whatever the browser does with the cookie
OPEN_ENDPOINTS = frozenset({"dashboard.login", "dashboard.login_form"})


class LoginThrottle:
    """Recent failed logins per client address, in this process (bounded: the oldest clients are forgotten)."""

    def __init__(self, max_clients: int = 10_000) -> None:
        self.max_clients = max_clients
        self._failures: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def recent(self, client: str, now: float) -> list[float]:
        """The client's failures within the window."""
        with self._lock:
            return [t for t in self._failures.get(client, []) if now - t < FAILED_LOGIN_WINDOW]

    def record(self, client: str, now: float, failed: bool) -> None:
        """Count a failure, or forget the client's failures after a success."""
        with self._lock:
            history = self._failures.pop(client, [])
            if failed:
                self._failures[client] = [t for t in history if now - t < FAILED_LOGIN_WINDOW][-MAX_FAILED_LOGINS:]
                self._failures[client].append(now)
                while len(self._failures) > self.max_clients:
                    self._failures.popitem(last=False)


def _retry_after(failures: list[float], now: float) -> float:
    """Seconds until the oldest of the last MAX_FAILED_LOGINS failures leaves the window (0: may try now)."""
    if len(failures) < MAX_FAILED_LOGINS:
        return 0.0
    return max(0.0, sorted(failures)[-MAX_FAILED_LOGINS] + FAILED_LOGIN_WINDOW - now)


@dashboard.record_once
def _set_up(state: Any) -> None:
    state.app.extensions["dashboard_login_throttle"] = LoginThrottle()
    state.app.jinja_env.filters.update(number=format_number, percent=format_percent, duration=format_duration)


# --- session, login and CSRF ------------------------------------------------------------

def _token_fingerprint(token: str) -> str:
    """Which admin token a session was opened with (rotating the token logs everyone out)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()[:32]


def _logged_in() -> bool:
    token = platform().config.admin_api_token
    session_id = session.get("dashboard_session")
    if not token or not session.get("dashboard_login_at") or not isinstance(session_id, str):
        return False
    if time.time() - float(session["dashboard_login_at"]) > SESSION_MAX_AGE:
        return False
    if not hmac.compare_digest(str(session.get("dashboard_token", "")), _token_fingerprint(token)):
        return False
    with platform().session_factory() as db:
        return login_sessions.login_is_open(db, session_id, utcnow())


def csrf_token() -> str:
    """This session's CSRF token (created on first use)."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@dashboard.before_request
def _guard() -> Response | None:
    g.dashboard_logged_in = _logged_in()
    if request.method == "POST":
        given, expected = request.form.get("csrf_token", ""), session.get("csrf", "")
        if not expected or not hmac.compare_digest(given.encode(), str(expected).encode()):
            logger.warning("dashboard POST without a valid CSRF token", extra={"event": "dashboard.csrf_refused",
                                                                             "path": request.path})
            abort(400, "This form has expired or did not come from the dashboard. Reload the page and try again.")
    if request.endpoint not in OPEN_ENDPOINTS and not g.dashboard_logged_in:
        # Back to the page after logging in; a form sent after the login expired is not replayed.
        back = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("dashboard.login_form", next=back))
    return None


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _next_parameter(values: Any) -> str | None:
    """The page to return to after logging in; 400 when it holds a control character.

    A CR or LF would end up in the Location header, which Werkzeug refuses with a 500.
    """
    target = values.get("next")
    if target and any(ord(character) < 32 or ord(character) == 127 for character in target):
        abort(400, "The address to return to after logging in is not valid.")
    return target


def _safe_next(target: str | None) -> str:
    parts = urlsplit(target or "")
    if parts.scheme or parts.netloc or not parts.path.startswith("/dashboard") or "\\" in (target or ""):
        return url_for("dashboard.overview")
    return target or url_for("dashboard.overview")


@dashboard.get("/dashboard/login")
def login_form() -> str | Response:
    """The login page (or straight on when already logged in)."""
    target = _next_parameter(request.args)
    if g.dashboard_logged_in:
        return redirect(_safe_next(target))
    return _login_page()


def _login_page(error: str | None = None, status: int = 200) -> Any:
    config = platform().config
    disabled = not config.admin_api_token
    return render_template("dashboard/login.html", error=error, disabled=disabled, next=request.values.get("next", ""),
                           development_token="ADMIN_API_TOKEN" in config.used_development_defaults
                           ), (503 if disabled and status == 200 else status)


@dashboard.post("/dashboard/login")
def login() -> Any:
    """Check the admin token (constant time, throttled) and open a session."""
    target = _next_parameter(request.form)
    token = platform().config.admin_api_token
    if not token:
        return _login_page()
    throttle: LoginThrottle = current_app.extensions["dashboard_login_throttle"]
    client, now = _client_address(), time.time()
    session_failures = [t for t in session.get("login_failures", []) if now - t < FAILED_LOGIN_WINDOW]
    wait = max(_retry_after(throttle.recent(client, now), now), _retry_after(session_failures, now))
    if wait > 0:
        minutes = max(1, round(wait / 60))
        return _login_page(f"Too many failed attempts. Try again in {minutes} minute{'s' * (minutes != 1)}.", 429)
    given = request.form.get("token", "")
    if not hmac.compare_digest(given.encode(), token.encode()):
        throttle.record(client, now, failed=True)
        session["login_failures"] = (session_failures + [now])[-MAX_FAILED_LOGINS:]
        logger.warning("dashboard login refused", extra={"event": "dashboard.login_refused", "client": client})
        return _login_page("That token is not right.", 401)
    throttle.record(client, now, failed=False)
    session.clear()  # a fresh session (and CSRF token) on login: no fixation
    with platform().session_factory() as db:
        session_id = login_sessions.open_login(db, utcnow(), timedelta(seconds=SESSION_MAX_AGE))
        db.commit()
    session.update(dashboard_login_at=now, dashboard_token=_token_fingerprint(token), dashboard_session=session_id)
    logger.info("dashboard login", extra={"event": "dashboard.login", "client": client})
    return redirect(_safe_next(target))


@dashboard.post("/dashboard/logout")
def logout() -> Response:
    """End the session, here and for every copy of its cookie."""
    session_id = session.get("dashboard_session")
    if isinstance(session_id, str):
        with platform().session_factory() as db:
            login_sessions.end_login(db, session_id, utcnow())
            db.commit()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("dashboard.login_form"))


@dashboard.errorhandler(HTTPException)
def _error_page(error: HTTPException) -> Any:
    return render_template("dashboard/error.html", error=error), error.code or 500


# --- pages ------------------------------------------------------------------------------

def _local(moment: datetime | None, pattern: str = "%d %b, %H:%M") -> str:
    return moment.astimezone(platform().config.zone).strftime(pattern) if moment else "–"


@dashboard.context_processor
def _page_context() -> dict[str, Any]:
    waiting = None
    if g.get("dashboard_logged_in"):
        with platform().session_factory() as db:
            waiting = inbox.handoff_count(db)
    return {"csrf_token": csrf_token, "waiting_count": waiting, "local": _local, "now": utcnow(),
            "parse_time": datetime.fromisoformat, "config_timezone": platform().config.timezone}


@dashboard.after_request
def _security_headers(response: Response) -> Response:
    # No script runs on these pages and nothing loads from elsewhere; pages hold customer data.
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self' "
                                "data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


# --- the analytics page -------------------------------------------------------------------

PRESETS = (("7", "7 days"), ("30", "30 days"), ("90", "90 days"), ("all", "All time"))
DEFAULT_PRESET = "30"
SENTIMENTS = ("positive", "neutral", "negative")
TREND_DAYS = 7  # the sentiment trend is a rolling share over this many days (a day alone is too noisy)
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2100, 12, 31)


@dataclass(frozen=True)
class ChosenRange:
    """The date range the page shows: inclusive local dates (None = unbounded)."""

    start: date | None
    end: date | None
    preset: str | None  # "7", "30", "90", "all", or None for a custom range
    problems: tuple[str, ...] = ()


def parse_range(args: Any, today: date) -> ChosenRange:
    """The range from the query string: ?from=YYYY-MM-DD&to=YYYY-MM-DD, or ?range=7|30|90|all."""
    problems = []
    start, end = (_parse_date(args.get(name), name, problems) for name in ("from", "to"))
    if start or end:
        if start and end and start > end:
            start, end = end, start
            problems.append("The start date was after the end date; they have been swapped.")
        return ChosenRange(start, end, None, tuple(problems))
    preset = args.get("range") or DEFAULT_PRESET
    if preset not in dict(PRESETS):
        problems.append(f"Unknown range {preset!r}: showing the last {DEFAULT_PRESET} days.")
        preset = DEFAULT_PRESET
    if preset == "all":
        return ChosenRange(None, None, "all", tuple(problems))
    return ChosenRange(today - timedelta(days=int(preset) - 1), today, preset, tuple(problems))


def _parse_date(raw: str | None, name: str, problems: list[str]) -> date | None:
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        problems.append(f"“{raw[:20]}” is not a date ({name}); expected YYYY-MM-DD.")
        return None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        problems.append(f"{name} must be between {EARLIEST_DATE} and {LATEST_DATE}.")
        return None
    return day


def _twice(make: Callable[[float], Markup]) -> dict[str, Markup]:
    """A wide and a narrow rendering of one chart; CSS shows the one that fits the screen."""
    return {"wide": make(720), "narrow": make(360)}


def _intent_name(intent: str) -> str:
    return "not understood" if intent == "none" else intent.replace("_", " ")


def build_overview(summary: dict, chosen: ChosenRange, today: date) -> dict[str, Any]:
    """Everything the analytics page shows, from an AnalyticsService summary."""
    per_day = summary.get("messages_per_day", [])
    seen = [date.fromisoformat(row["date"]) for row in per_day]
    first = chosen.start or (min(seen) if seen else today)
    last = chosen.end or (max(max(seen), today) if seen else today)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    buckets = charts.day_buckets(days)
    labels = [a.strftime("%d %b") for a, _ in buckets]
    tips = [a.strftime("%a %d %b %Y") if a == b else f"{a:%d %b} – {b:%d %b %Y}" for a, b in buckets]
    volume = charts.sum_by_bucket(per_day, buckets, ("inbound", "outbound"))
    sentiment = summary.get("sentiment", {})
    counts, shares = sentiment.get("counts", {}), sentiment.get("shares") or {}
    mood = charts.sum_by_bucket(sentiment.get("per_day", []), buckets, SENTIMENTS)
    mood_totals = [sum(values) for values in zip(*mood.values(), strict=True)]
    smoothing = 1 if len(buckets) != len(days) else TREND_DAYS
    trend = [Series(key.title(), charts.rolling_share(mood[key], mood_totals, smoothing), key)
             for key in ("positive", "negative")]
    volume_series = [Series("Received", volume["inbound"], "inbound"), Series("Sent", volume["outbound"], "outbound")]
    intents = summary.get("intents", {})
    keyword_rows = summary.get("top_keywords", [])[:12]
    intent_rows = intents.get("distribution", [])[:10]
    hours = summary.get("messages_per_hour", [])
    scored = sum(counts.get(key, 0) for key in SENTIMENTS)
    return {
        "weekly": len(buckets) != len(days), "first": first, "last": last,
        "kpis": _kpis(summary, volume, len(days), scored, bool(intent_rows)),
        "has_messages": any(volume["inbound"]) or any(volume["outbound"]), "has_sentiment": bool(scored),
        "per_day": _twice(lambda w: charts.bar_chart(labels, volume_series, width=w, height=270 if w > 400 else 210,
                                              label="Messages per day", tooltip_labels=tips)),
        "sentiment_donut": charts.donut_chart([(key.title(), counts.get(key, 0), key) for key in SENTIMENTS],
                                       center_value=format_number(scored), center_label="scored",
                                       label="Sentiment split"),
        "sentiment_rows": [(key, counts.get(key, 0), shares.get(key, 0.0)) for key in SENTIMENTS],
        "sentiment_trend": _twice(lambda w: charts.line_chart(
            labels, trend, width=w, height=220 if w > 400 else 200, value_format=format_percent,
            label="Rolling share of positive and negative messages", tooltip_labels=tips)),
        "hours": charts.bar_chart([f"{row['hour']:02d}" for row in hours],
                           [Series("Received", [row["inbound"] for row in hours], "inbound")],
                           width=360, height=190, label="Messages received per hour of the day", label_width=44,
                           tooltip_labels=[f"{row['hour']:02d}:00–{row['hour']:02d}:59" for row in hours]),
        "keywords": charts.hbar_chart([(row["keyword"], row["count"]) for row in keyword_rows], tone="keyword",
                               label="Top keywords") if keyword_rows else None,
        "intents": charts.hbar_chart([(_intent_name(row["intent"]), row["count"]) for row in intent_rows],
                              tones=["fallback" if row["intent"] == "none" else "intent" for row in intent_rows],
                              value_labels=[f"{format_number(row['count'])} · {format_percent(row['share'], 0)}"
                                            for row in intent_rows], label="Intents") if intent_rows else None,
        "fallback_examples": intents.get("fallback_examples", [])[:6],
        "fallback_rate": intents.get("fallback_rate"),
        "broadcasts": [_funnel(row) for row in summary.get("broadcasts", [])[:12]],
        "negatives": sentiment.get("most_negative", []),
    }


def _kpis(summary: dict, volume: dict, days: int, scored: int, classified: bool) -> list[dict[str, Any]]:
    contacts, first_reply = summary.get("contacts", {}), summary.get("first_reply", {})
    negative = summary.get("sentiment", {}).get("counts", {}).get("negative", 0)
    inbound, outbound = sum(volume["inbound"]), sum(volume["outbound"])
    fallback = summary.get("intents", {}).get("fallback_rate") if classified else None
    return [
        {"label": "Received", "value": format_number(inbound), "tone": "inbound",
         "sub": f"{format_number(round(inbound / max(days, 1), 1))} a day on average",
         "spark": charts.sparkline(volume["inbound"], tone="inbound", label="Messages received per day")},
        {"label": "Sent", "value": format_number(outbound), "tone": "outbound", "sub": "bot, operators, broadcasts",
         "spark": charts.sparkline(volume["outbound"], tone="outbound", label="Messages sent per day")},
        {"label": "Customers", "value": format_number(contacts.get("total_active", 0)), "tone": "primary",
         "sub": f"{format_number(contacts.get('new', 0))} new · {format_number(contacts.get('returning', 0))} "
                "returning"},
        {"label": "Negative", "value": format_percent(negative / scored if scored else None), "tone": "negative",
         "sub": f"{format_number(negative)} of {format_number(scored)} messages"},
        {"label": "Not understood", "value": format_percent(fallback), "tone": "fallback",
         "sub": "the bot had no answer"},
        {"label": "First reply", "value": format_duration(first_reply.get("median_seconds")), "tone": "primary",
         "sub": f"median of {format_number(first_reply.get('samples', 0))} replies"},
    ]


def _funnel(row: dict) -> dict[str, Any]:
    """A campaign's funnel: sent as a share of recipients; delivered, read, replied as shares of sent."""
    recipients, sent = row.get("recipients", 0), row.get("sent", 0)
    steps = [("Recipients", recipients), ("Sent", sent), ("Delivered", row.get("delivered", 0)),
             ("Read", row.get("read", 0)), ("Replied", row.get("replied", 0))]
    bases = [None, recipients, sent, sent, sent]
    shown = [format_number(value) if base is None else f"{format_number(value)} · "
             f"{format_percent(value / base if base else None, 0)}"
             for (_, value), base in zip(steps, bases, strict=True)]
    scheduled, completed = row.get("scheduled_at"), row.get("completed_at")
    return {**row, "scheduled": datetime.fromisoformat(scheduled) if scheduled else None,
            "completed": datetime.fromisoformat(completed) if completed else None,
            "chart": charts.hbar_chart(steps, tones=["recipients", "outbound", "delivered", "read", "replied"],
                                value_labels=shown, maximum=max(recipients, 1), label=f"Funnel of {row['name']}")}


@dashboard.get("/dashboard")
def overview() -> str:
    """The analytics page for a date range (default: the last 30 days)."""
    config = platform().config
    today = utcnow().astimezone(config.zone).date()
    chosen = parse_range(request.args, today)
    for problem in chosen.problems:
        flash(problem, "error")
    with platform().session_factory() as db:
        summary = AnalyticsService(db, config.timezone).summary(chosen.start, chosen.end)
    return render_template("dashboard/overview.html", view=build_overview(summary, chosen, today), chosen=chosen,
                           presets=PRESETS)


for _rule, _endpoint, _view, _method in inbox.PAGES:
    dashboard.add_url_rule(_rule, _endpoint, _view, methods=[_method])
