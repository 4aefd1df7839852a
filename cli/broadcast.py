"""The operator's commands: `flask --app webhook_handler contacts import …` and `… broadcast create|list|report|…`.

Each command opens one session, calls the service, commits once and prints what
happened; domain errors become a one-line message and a non-zero exit.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import datetime
from typing import IO

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from broadcast_service import (
    Audience,
    BroadcastError,
    PlaceholderError,
    TemplateSpec,
    audience_from_csv,
    broadcast_report,
    cancel_broadcast,
    list_broadcasts,
    pause_broadcast,
    resend_unknown,
    resume_broadcast,
    schedule_broadcast,
)
from campaigns.contacts import ContactError, import_contacts_csv
from language.jalali import MomentError, parse_moment
from run_broadcast_processor import run_processor
from runtime.context import platform

contacts_group = AppGroup("contacts", help="Manage contacts.")
broadcast_group = AppGroup("broadcast", help="Create, watch and control broadcasts.")


def register_broadcast_cli(app: Flask) -> None:
    """Attach the `contacts` and `broadcast` command groups to `app`."""
    app.cli.add_command(contacts_group)
    app.cli.add_command(broadcast_group)


def _local(moment: datetime) -> str:
    zone = platform().config.zone
    return f"{moment.astimezone(zone):%Y-%m-%d %H:%M} {zone.key}"


@contacts_group.command("import")
@click.argument("csv_file", type=click.File("rb"))
def import_contacts(csv_file: IO[bytes]) -> None:
    """Import contacts from CSV: wa_id,name,tags (separated by ; or |) and any other column as an attribute.

    Numbers are normalised to digits only (+, spaces, dashes, parentheses and a leading 00
    are dropped; Persian/Arabic digits become ASCII; a national 0… number, e.g. 0912…,
    gets country code 98). Invalid lines are reported on stderr; valid ones are imported.
    """
    with platform().session_factory() as session:
        try:
            report = import_contacts_csv(session, csv_file)
        except ContactError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected")


def _parse_time(value: str | None) -> datetime | None:
    """`--at`, parsed in the command: Jalali `1405/09/20 10:00` (Persian or Latin digits) or ISO 8601.

    A time without a UTC offset is in TIMEZONE (the app, and so its zone, is loaded once parsing is done).
    """
    if value is None:
        return None
    config = platform().config
    try:
        return parse_moment(value, config.zone)
    except MomentError:
        raise click.BadParameter(f"{value!r}: use e.g. '1405/09/20 10:00' (Jalali) or '2026-12-01 09:30' "
                                 f"({config.timezone} time), or '2026-12-01T09:30+03:30'",
                                 param_hint="'--at'") from None


def _numbers_audience(session: Session, numbers_file: IO[bytes]) -> tuple[Audience, list[tuple[int, str]]]:
    """A plain list (one number per line) or a contacts CSV with a wa_id header, imported first."""
    data = numbers_file.read()
    text = data.decode("utf-8-sig", errors="replace")
    first = next((line for line in text.splitlines() if line.strip()), "")
    if "wa_id" in first.lower():
        audience, report = audience_from_csv(session, io.BytesIO(data))
        return audience, report.errors
    numbers = [line.split(",")[0].strip() for line in text.splitlines()
               if line.strip() and not line.lstrip().startswith("#")]
    return Audience.of_numbers(numbers), []


@broadcast_group.command("create")
@click.option("--name", required=True, help="The campaign's name.")
@click.option("--text", "body", help="Text with placeholders: {name}, {first_name}, {wa_id}, {attr|fallback}.")
@click.option("--template", "template_name", help="An approved template (used outside the 24-hour window).")
@click.option("--language", help="The template's language code, e.g. fa or en_US.")
@click.option("--param", "params", multiple=True, help="A template body parameter: FIELD or FIELD|fallback.")
@click.option("--all", "everyone", is_flag=True, help="Send to every contact.")
@click.option("--tag", "tags", multiple=True, help="Contacts with this tag (repeatable: any of them).")
@click.option("--all-tags", is_flag=True, help="With several --tag: contacts having all of them.")
@click.option("--numbers", "numbers_file", type=click.File("rb"), help="A file of numbers, or a contacts CSV.")
@click.option("--at", "send_at",
              help="Send time: Jalali 1405/09/20 10:00 (Persian or Latin digits) or ISO 8601; without a UTC "
                   "offset it is in the TIMEZONE setting (default Asia/Tehran).")
def create_broadcast(name: str, body: str | None, template_name: str | None, language: str | None,
                     params: tuple[str, ...], everyone: bool, tags: tuple[str, ...], all_tags: bool,
                     numbers_file: IO[bytes] | None, send_at: str | None) -> None:
    """Schedule a broadcast: one personalised message per eligible recipient (due now without --at)."""
    if sum((everyone, bool(tags), numbers_file is not None)) != 1:
        raise click.UsageError("choose one audience: --all, --tag TAG [--tag TAG]... [--all-tags], or --numbers FILE")
    if all_tags and not tags:
        raise click.UsageError("--all-tags needs --tag")
    if not body and not template_name:
        raise click.UsageError("give --text TEXT or --template NAME --language CODE")
    if template_name and not language:
        raise click.UsageError("--template needs --language")
    if params and not template_name:
        raise click.UsageError("--param belongs to --template")
    context = platform()
    send_time = _parse_time(send_at)
    template = TemplateSpec(template_name, language or "", tuple(params)) if template_name else None
    csv_errors: list[tuple[int, str]] = []
    with context.session_factory() as session:
        try:
            if numbers_file is not None:
                audience, csv_errors = _numbers_audience(session, numbers_file)
            else:
                audience = Audience.with_tags(tags, all_tags) if tags else Audience.everyone()
            report = schedule_broadcast(session, name=name, audience=audience, body=body, template=template,
                                        send_at=send_time, timezone=context.config.timezone)
        except (BroadcastError, PlaceholderError, ContactError) as error:
            session.rollback()
            raise click.ClickException(str(error)) from None
        session.commit()
    for line, reason in csv_errors:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"broadcast {report.broadcast_id} scheduled for {_local(report.scheduled_at)}: "
               f"{report.recipients} recipients")
    click.echo("excluded: " + ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in report.excluded.items()))
    if report.contacts_created:
        click.echo(f"new contacts created: {report.contacts_created}")
    for field_name, count in sorted(report.missing_values.items()):
        click.echo(f"warning: {count} recipients have no value for {{{field_name}}} and no fallback", err=True)


def _lifecycle(status: str, completed_at: datetime | None) -> str:
    return f"completed {_local(completed_at)}" if status == "completed" and completed_at else status


@broadcast_group.command("list")
@click.option("--limit", default=50, show_default=True)
def list_command(limit: int) -> None:
    """The latest broadcasts: status (completed with its time), send time, recipients, messages by status."""
    with platform().session_factory() as session:
        rows = list_broadcasts(session, limit)
    if not rows:
        click.echo("no broadcasts")
    for broadcast, counts in rows:
        shown = ", ".join(f"{status} {count}" for status, count in counts.items() if count)
        click.echo(f"{broadcast.id:>5}  {_lifecycle(broadcast.status, broadcast.completed_at):<10} "
                   f"{_local(broadcast.scheduled_at)}  {broadcast.recipient_count:>7} recipients  {broadcast.name}  "
                   f"[{shown}]")


@broadcast_group.command("report")
@click.argument("broadcast_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def report_command(broadcast_id: int, as_json: bool) -> None:
    """Counts by status, failures by error code, skips by reason, replies and unconfirmed sends."""
    with platform().session_factory() as session:
        try:
            report = broadcast_report(session, broadcast_id)
        except BroadcastError as error:
            raise click.ClickException(str(error)) from None
    if as_json:
        click.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return
    click.echo(f"broadcast {report.broadcast_id} {report.name!r} ({_lifecycle(report.status, report.completed_at)}), "
               f"scheduled {_local(report.scheduled_at)}, {report.recipients} recipients")
    exclusions = ", ".join(f"{kind.replace('_', ' ')} {count}" for kind, count in report.exclusions.items())
    click.echo(f"excluded at scheduling: {exclusions}")
    for status, count in report.counts.items():
        click.echo(f"  {status:<10} {count}")
    click.echo(f"  {'replied':<10} {report.replied}")
    for code, failure in report.failed_by_code.items():
        click.echo(f"  failed with {code}: {failure['count']} ({failure['title']})")
    for reason, count in report.skipped_by_reason.items():
        click.echo(f"  skipped: {count} ({reason})")
    if report.unconfirmed:
        click.echo(f"unconfirmed sends (a processor died mid-send): {report.unconfirmed}; resent anyway: "
                   f"{report.resent_unconfirmed} (possible duplicates); still unknown: {report.counts['unknown']}")
    if report.unknown_recipients:
        click.echo("unknown: " + " ".join(report.unknown_recipients))
        click.echo(f"to send them again (accepting duplicates): broadcast resend-unknown {report.broadcast_id}")


def _control(action: str, function: Callable[[Session, int], int], broadcast_id: int) -> None:
    with platform().session_factory() as session:
        try:
            moved = function(session, broadcast_id)
        except BroadcastError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    click.echo(f"broadcast {broadcast_id} {action}: {moved} messages")


@broadcast_group.command("pause")
@click.argument("broadcast_id", type=int)
def pause_command(broadcast_id: int) -> None:
    """Hold a broadcast's unsent messages."""
    _control("paused", pause_broadcast, broadcast_id)


@broadcast_group.command("resume")
@click.argument("broadcast_id", type=int)
def resume_command(broadcast_id: int) -> None:
    """Let a paused broadcast's messages go again."""
    _control("resumed", resume_broadcast, broadcast_id)


@broadcast_group.command("cancel")
@click.argument("broadcast_id", type=int)
def cancel_command(broadcast_id: int) -> None:
    """Stop every message of a broadcast not yet on its way."""
    _control("cancelled", cancel_broadcast, broadcast_id)


@broadcast_group.command("resend-unknown")
@click.argument("broadcast_id", type=int)
@click.confirmation_option(prompt="Messages in `unknown` may already have arrived; resend them anyway?")
def resend_unknown_command(broadcast_id: int) -> None:
    """Queue a broadcast's `unknown` messages again (a crashed processor may have sent some already)."""
    _control("requeued unknown", resend_unknown, broadcast_id)


@broadcast_group.command("process")
@click.option("--time-budget", type=float, help="Seconds (default PROCESSOR_TIME_BUDGET_SECONDS).")
@click.option("--limit", type=int, help="Claim at most this many messages.")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary as JSON.")
def process_command(time_budget: float | None, limit: int | None, as_json: bool) -> None:
    """Send what is due now (what the cron entry run_broadcast_processor.py does) and say what happened."""
    context = platform()
    code, summary = run_processor(context.config, context.session_factory, lambda: context.processor,
                                  time_budget=time_budget, limit=limit)
    if as_json:
        click.echo(json.dumps(summary.as_dict() if summary else {"claimed": 0}))
    elif summary is None:
        click.echo("nothing sent: " + ("the processor failed (see the log above)" if code else
                                       "nothing is due, or another processor is sending it"))
    else:
        click.echo(summary.describe())
    if code:
        raise SystemExit(code)
