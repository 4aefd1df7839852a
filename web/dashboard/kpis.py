"""The analytics page's view model: KPIs, funnel and charts built from an AnalyticsService summary."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from web.dashboard import charts
from web.dashboard.charts import Series, format_duration, format_number, format_percent
from web.dashboard.dates import ChosenRange
from web.i18n import is_persian, localise_digits, short_day

logger = logging.getLogger("web.dashboard")


SENTIMENTS = ("positive", "neutral", "negative")
TREND_DAYS = 7  # the sentiment trend is a rolling share over this many days (a day alone is too noisy)


def _twice(make: Callable[[float], Markup]) -> dict[str, Markup]:
    """A wide and a narrow rendering of one chart; CSS shows the one that fits the screen."""
    return {"wide": make(720), "narrow": make(360)}


def _intent_name(intent: str) -> str:
    """An intent as an operator reads it: the built-in ones translated, others as written in the rules."""
    known = {"none": _("not understood"), "order_status": _("order status"), "pricing": _("prices"),
             "thanks": _("thanks"), "greeting": _("greeting"), "business_hours": _("opening hours"),
             "human_agent": _("asked for a person"), "opt_out": _("unsubscribe"), "opt_in": _("subscribe again"),
             "goodbye": _("goodbye")}
    return known.get(intent, intent.replace("_", " "))


def _sentiment_name(key: str) -> str:
    return {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative")}[key]


def _day_labels(buckets: list[tuple[date, date]]) -> tuple[list[str], list[str]]:
    """Axis labels and tooltips of the chart columns: days or ranges of days, Jalali in Persian."""
    labels = [short_day(first) for first, _last in buckets]
    tips = [short_day(first, weekday=True) if first == last
            else _("%(first)s – %(last)s", first=short_day(first), last=short_day(last)) for first, last in buckets]
    return labels, tips


def build_overview(summary: dict, chosen: ChosenRange, today: date) -> dict[str, Any]:
    """Everything the analytics page shows, from an AnalyticsService summary."""
    per_day = summary.get("messages_per_day", [])
    seen = [date.fromisoformat(row["date"]) for row in per_day]
    first = chosen.start or (min(seen) if seen else today)
    last = chosen.end or (max(max(seen), today) if seen else today)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    buckets = charts.day_buckets(days)
    labels, tips = _day_labels(buckets)
    rtl = is_persian()
    volume = charts.sum_by_bucket(per_day, buckets, ("inbound", "outbound"))
    sentiment = summary.get("sentiment", {})
    counts, shares = sentiment.get("counts", {}), sentiment.get("shares") or {}
    mood = charts.sum_by_bucket(sentiment.get("per_day", []), buckets, SENTIMENTS)
    mood_totals = [sum(values) for values in zip(*mood.values(), strict=True)]
    smoothing = 1 if len(buckets) != len(days) else TREND_DAYS
    trend = [Series(_sentiment_name(key), charts.rolling_share(mood[key], mood_totals, smoothing), key)
             for key in ("positive", "negative")]
    volume_series = [Series(_("Received"), volume["inbound"], "inbound"),
                     Series(_("Sent"), volume["outbound"], "outbound")]
    intents = summary.get("intents", {})
    keyword_rows = summary.get("top_keywords", [])[:12]
    intent_rows = intents.get("distribution", [])[:10]
    hours = summary.get("messages_per_hour", [])
    scored = sum(counts.get(key, 0) for key in SENTIMENTS)
    return {
        "weekly": len(buckets) != len(days), "first": first, "last": last,
        "kpis": _kpis(summary, volume, len(days), scored, bool(intent_rows)),
        "has_messages": any(volume["inbound"]) or any(volume["outbound"]), "has_sentiment": bool(scored),
        "per_day": _twice(lambda w: charts.bar_chart(
            labels, volume_series, width=w, height=270 if w > 400 else 210, rtl=rtl, tooltip_labels=tips,
            label=_("Messages per week") if len(buckets) != len(days) else _("Messages per day"))),
        "sentiment_donut": charts.donut_chart([(_sentiment_name(key), counts.get(key, 0), key) for key in SENTIMENTS],
                                              center_value=format_number(scored), center_label=_("scored"),
                                              label=_("Sentiment split")),
        "sentiment_rows": [(key, _sentiment_name(key), counts.get(key, 0), shares.get(key, 0.0)) for key in SENTIMENTS],
        "sentiment_trend": _twice(lambda w: charts.line_chart(
            labels, trend, width=w, height=220 if w > 400 else 200, value_format=format_percent, rtl=rtl,
            label=_("Rolling share of positive and negative messages"), tooltip_labels=tips)),
        "hours": charts.bar_chart([localise_digits(f"{row['hour']:02d}") for row in hours],
                                  [Series(_("Received"), [row["inbound"] for row in hours], "inbound")],
                                  width=360, height=190, label=_("Messages received per hour of the day"),
                                  label_width=44, rtl=rtl,
                                  tooltip_labels=[localise_digits(f"{row['hour']:02d}:00–{row['hour']:02d}:59")
                                                  for row in hours]),
        "keywords": charts.hbar_chart([(row["keyword"], row["count"]) for row in keyword_rows], tone="keyword",
                                      label=_("Top keywords")) if keyword_rows else None,
        "intents": charts.hbar_chart([(_intent_name(row["intent"]), row["count"]) for row in intent_rows],
                                     tones=["fallback" if row["intent"] == "none" else "intent" for row in intent_rows],
                                     value_labels=[f"{format_number(row['count'])} · {format_percent(row['share'], 0)}"
                                                   for row in intent_rows],
                                     label=_("What customers ask")) if intent_rows else None,
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
        {"label": _("Received"), "value": format_number(inbound), "tone": "inbound",
         "sub": _received_sub(inbound, days),
         "spark": charts.sparkline(volume["inbound"], tone="inbound", label=_("Messages received per day"))},
        {"label": _("Sent"), "value": format_number(outbound), "tone": "outbound",
         "sub": _("bot, operators, broadcasts"),
         "spark": charts.sparkline(volume["outbound"], tone="outbound", label=_("Messages sent per day"))},
        {"label": _("Customers"), "value": format_number(contacts.get("total_active", 0)), "tone": "primary",
         "sub": _("%(new)s new · %(returning)s returning", new=format_number(contacts.get("new", 0)),
                  returning=format_number(contacts.get("returning", 0)))},
        {"label": _("Negative"), "value": format_percent(negative / scored if scored else None), "tone": "negative",
         "sub": _("%(count)s of %(total)s messages", count=format_number(negative), total=format_number(scored))},
        {"label": _("Not understood"), "value": format_percent(fallback), "tone": "fallback",
         "sub": _("the bot had no answer")},
        {"label": _("First reply"), "value": format_duration(first_reply.get("median_seconds")), "tone": "primary",
         "sub": _("median of %(count)s replies", count=format_number(first_reply.get("samples", 0)))},
    ]


def _received_sub(inbound: int, days: int) -> str:
    """'12.5 a day on average'; a quiet range says '3 in 30 days', an empty one says so (never '0 a day')."""
    if not inbound:
        return _("none in this period")
    per_day = round(inbound / max(days, 1), 1)
    if per_day < 1:
        return _("%(count)s in %(days)s days", count=format_number(inbound), days=format_number(days))
    return _("%(count)s a day on average", count=format_number(per_day))


def _funnel(row: dict) -> dict[str, Any]:
    """A campaign's funnel: sent as a share of recipients; delivered, read, replied as shares of sent."""
    recipients, sent = row.get("recipients", 0), row.get("sent", 0)
    steps = [(_("Recipients"), recipients), (_("Sent"), sent), (_("Delivered"), row.get("delivered", 0)),
             (_("Read"), row.get("read", 0)), (_("Replied"), row.get("replied", 0))]
    bases = [None, recipients, sent, sent, sent]
    shown = [format_number(value) if base is None else f"{format_number(value)} · "
             f"{format_percent(value / base if base else None, 0)}"
             for (_step, value), base in zip(steps, bases, strict=True)]
    scheduled, completed = row.get("scheduled_at"), row.get("completed_at")
    return {**row, "scheduled": datetime.fromisoformat(scheduled) if scheduled else None,
            "completed": datetime.fromisoformat(completed) if completed else None,
            "chart": charts.hbar_chart(steps, tones=["recipients", "outbound", "delivered", "read", "replied"],
                                       value_labels=shown, maximum=max(recipients, 1),
                                       label=_("Funnel of %(name)s", name=row["name"]))}
