"""`flask --app webhook_handler analytics …`: the report, sentiment tools and the enrichment backfill.

`report` prints the analytics summary as tables (or the contract's JSON with --json);
`sentiment` and `evaluate-sentiment` try and measure the sentiment rules; `backfill`
(also `enrich`) runs the same enrichment function as the cron job.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import IO, Any

import click
from flask.cli import AppGroup

from analytics_service import AnalyticsError, AnalyticsService
from language.enrichment import DEFAULT_BATCH_SIZE, enrich_pending
from runtime.context import platform

analytics_group = AppGroup("analytics", help="Reports over stored messages, sentiment tools, enrichment.")

DAILY_ROWS_LIMIT = 62  # longer ranges are printed per month


@analytics_group.command("report")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), help="First local day (default: the first stored).")
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), help="Last local day, inclusive (default: the last).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
def report(start: datetime | None, end: datetime | None, as_json: bool) -> None:
    """Volumes, contacts, keywords, sentiment, intents, broadcasts and first-reply time for a range."""
    context = platform()
    with context.session_factory() as session:
        try:
            summary = AnalyticsService(session, context.config.timezone).summary(
                start.date() if start else None, end.date() if end else None)
        except AnalyticsError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        click.echo(format_summary(summary, context.config.zone))


@analytics_group.command("sentiment")
@click.argument("messages", type=click.File("r", encoding="utf-8"), default="-")
def sentiment_command(messages: IO[str]) -> None:
    """Read one message per line (stdin by default); print one JSON object per line (text, sentiment, score)."""
    from language.sentiment import analyze_sentiment

    for line in messages:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        result = analyze_sentiment(text)
        click.echo(json.dumps({"text": text, "sentiment": result.label, "score": result.score,
                               "matched": list(result.matched)}, ensure_ascii=False))


@analytics_group.command("evaluate-sentiment")
@click.argument("tsv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--errors", "max_errors", default=10, show_default=True, help="Misclassified rows to list.")
def evaluate_sentiment(tsv_file: str, max_errors: int) -> None:
    """Per-class precision, recall and F1, macro-F1 and the confusion matrix on a text<TAB>label file."""
    from language.sentiment_evaluation import evaluate, format_evaluation, read_labelled_tsv

    try:
        rows = read_labelled_tsv(tsv_file)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(format_evaluation(evaluate(rows), max_errors=max_errors))


@analytics_group.command("backfill")
@click.option("--batch-size", default=DEFAULT_BATCH_SIZE, show_default=True, type=click.IntRange(min=1),
              help="Messages per committed batch.")
@click.option("--time-budget", type=click.FloatRange(min=0), help="Stop after this many seconds (default: finish).")
def backfill(batch_size: int, time_budget: float | None) -> None:
    """Enrich every stored message not enriched yet (keywords, sentiment, missing intents); safe to rerun."""
    context = platform()
    rules = context.chatbot.rules if context.chatbot is not None else context.config.chatbot_rules_path
    count = enrich_pending(context.session_factory, batch_size, time_budget, rules=rules)
    click.echo(f"enriched {count} messages")


analytics_group.add_command(backfill, "enrich")


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {rest} s" if minutes else f"{rest} s"


def _daily_or_monthly(days: list[dict[str, Any]]) -> tuple[str, list[tuple[str, int, int]]]:
    if len(days) <= DAILY_ROWS_LIMIT:
        return "day", [(day["date"], day["inbound"], day["outbound"]) for day in days]
    months: dict[str, list[int]] = {}
    for day in days:
        totals = months.setdefault(day["date"][:7], [0, 0])
        totals[0] += day["inbound"]
        totals[1] += day["outbound"]
    return "month", [(month, inbound, outbound) for month, (inbound, outbound) in months.items()]


def format_summary(summary: dict[str, Any], zone: Any) -> str:
    """The summary as plain-text tables for a terminal."""
    span = summary["range"]
    lines = [f"Analytics {span['from'] or 'first'} … {span['to'] or 'last'} ({span['timezone']})", ""]
    unit, rows = _daily_or_monthly(summary["messages_per_day"])
    lines.append(f"{'Messages per ' + unit:<24}{'in':>8}{'out':>8}")
    lines += [f"{label:<24}{inbound:>8}{outbound:>8}" for label, inbound, outbound in rows] or ["  (no messages)"]
    busy = sorted((hour for hour in summary["messages_per_hour"] if hour["inbound"]), key=lambda h: -h["inbound"])
    lines.append("Busiest hours (in): " + (", ".join(f"{h['hour']:02d}:00 ({h['inbound']})" for h in busy[:5]) or "—"))
    lines.append("By type: " + (", ".join(f"{t['message_type']} {t['count']}" for t in summary["messages_by_type"])
                                or "—"))
    contacts = summary["contacts"]
    lines += [f"Contacts: {contacts['new']} new, {contacts['returning']} returning, {contacts['total_active']} active",
              "", f"{'Top keywords':<24}{'messages':>8}"]
    lines += [f"{k['keyword']:<24}{k['count']:>8}" for k in summary["top_keywords"]] or ["  (none enriched yet)"]
    sentiment = summary["sentiment"]
    lines += ["", "Sentiment: " + ", ".join(f"{label} {count} ({_percent(sentiment['shares'][label])})"
                                            for label, count in sentiment["counts"].items())]
    if sentiment["most_negative"]:
        lines.append("Most negative (follow up):")
    for message in sentiment["most_negative"]:
        at = datetime.fromisoformat(message["received_at"]).astimezone(zone)
        lines.append(f"  {message['score']:>6.2f}  {at:%Y-%m-%d %H:%M}  {message['wa_id']} {message['name'] or ''}: "
                     f"{(message['text'] or '')[:80]}")
    intents = summary["intents"]
    lines += ["", f"{'Intent':<24}{'messages':>8}{'share':>8}    fallback rate {_percent(intents['fallback_rate'])}"]
    lines += [f"{i['intent']:<24}{i['count']:>8}{_percent(i['share']):>8}" for i in intents["distribution"]]
    if intents["fallback_examples"]:
        lines.append("Not understood (add phrases for these to the chatbot rules):")
        lines += [f"  {example['count']:>5} × {example['text'][:100]}" for example in intents["fallback_examples"]]
    lines += ["", f"{'Broadcast':<28}{'sent':>7}{'deliv.':>8}{'read':>7}{'replied':>8}{'failed':>7}  failed by code"]
    for campaign in summary["broadcasts"]:
        codes = ", ".join(f"{code}: {count}" for code, count in campaign["failed_by_code"].items()) or "—"
        rates = campaign["rates"]
        lines.append(f"{('#' + str(campaign['id']) + ' ' + campaign['name'])[:27]:<28}{campaign['sent']:>7}"
                     f"{_percent(rates['delivered']):>8}{_percent(rates['read']):>7}{_percent(rates['replied']):>8}"
                     f"{campaign['failed']:>7}  {codes}")
    if not summary["broadcasts"]:
        lines.append("  (no broadcasts in this range)")
    reply = summary["first_reply"]
    lines += ["", f"Median first reply: {_duration(reply['median_seconds'])} ({reply['samples']} answered messages)"]
    return "\n".join(lines)

