"""Deployment checks for operators: `flask --app webhook_handler smoke`, the first thing to run against a number.

`smoke` sends one real message (a text, or an approved template) with the configured
credentials straight through the platform's sender, prints the wamid Meta issued, then
waits for Meta's status webhooks for that wamid to reach the running app: it polls
`message_status_events` in the database that app writes to (the same
SQLALCHEMY_DATABASE_URL). It writes no contact and no queue row, so the test phone never
joins a broadcast audience. Without WHATSAPP_API_TOKEN or WHATSAPP_PHONE_NUMBER_ID it
sends nothing and exits non-zero.

It reads the database before it sends: with the database unreachable or without its schema
it says so in one line and sends nothing (the status it waits for could never be seen).

Exit codes: 0 delivered or read (or sent, with --wait 0); 1 nothing sent (no credentials,
database unreadable, the API refused), or a `failed` status; 3 sent but no delivery status
within --wait seconds.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

import click
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database_models import DELIVERED, FAILED, READ, MessageStatusEvent
from runtime.context import platform

POLL_SECONDS = 0.5
DELIVERY_STATUSES = frozenset({DELIVERED, READ})
# What an operator should do about the errors a first smoke test usually meets.
HINTS = {
    190: "the access token is invalid or expired: create a system-user token (docs/operations.md)",
    131030: "a test number only sends to numbers on its allowed list (WhatsApp > API setup > To)",
    131047: "more than 24 hours since this phone last wrote to the business: send it a message first, "
    "or use --template hello_world --language en_US",
    131026: "the number cannot receive the message (not on WhatsApp, or an old app version)",
    132001: "no approved template with that name in that language",
}
PHONE_NUMBER = re.compile(r"\d{8,15}")


class NoStatusInTime(click.ClickException):
    """The message was accepted but no delivery status arrived before the deadline."""

    exit_code = 3


def _hint(code: int | None) -> str:
    return f" ({HINTS[code]})" if code in HINTS else ""


def wait_for_statuses(
    session_factory: sessionmaker[Session], wamid: str, seconds: float, report: Callable[[MessageStatusEvent], None]
) -> set[str]:
    """Report each status stored for `wamid` until delivered, read or failed, or `seconds` pass; the statuses seen."""
    seen: set[str] = set()
    deadline = time.monotonic() + seconds
    while True:
        with session_factory() as session:
            events = session.scalars(
                select(MessageStatusEvent).where(MessageStatusEvent.wamid == wamid).order_by(MessageStatusEvent.id)
            ).all()
        for event in events:
            if event.status not in seen:
                seen.add(event.status)
                report(event)
        if seen & (DELIVERY_STATUSES | {FAILED}) or time.monotonic() >= deadline:
            return seen
        time.sleep(POLL_SECONDS)


def _print_status(event: MessageStatusEvent) -> None:
    line = f"status: {event.status}"
    if event.wa_timestamp is not None:
        line += f" at {event.wa_timestamp:%Y-%m-%d %H:%M:%S} UTC"
    if event.error_code is not None or event.error_title:
        line += f", error {event.error_code}: {event.error_title}{_hint(event.error_code)}"
    click.echo(line)


def check_database(session_factory: sessionmaker[Session]) -> None:
    """Read the table the smoke test waits on; a one-line ClickException (nothing sent yet) when that fails."""
    try:
        with session_factory() as session:
            session.execute(select(MessageStatusEvent.id).limit(1)).all()
    except SQLAlchemyError as error:
        url = session_factory.kw["bind"].url.render_as_string(hide_password=True)
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot read the database {url} ({reason}): nothing was sent. The smoke test waits for the status "
            "webhooks in the database the app writes to: check SQLALCHEMY_DATABASE_URL, that the database runs, and "
            "that `alembic upgrade head` has created the schema."
        ) from None


@click.command("smoke")
@with_appcontext
@click.option("--to", "recipient", required=True, help="The test phone, in international form, e.g. 989121234567.")
@click.option("--text", "message_text", default=None, help="The text to send (default: a dated smoke-test line).")
@click.option("--template", default=None, help="Send this approved template instead of a text, e.g. hello_world.")
@click.option("--language", default="en_US", show_default=True, help="The template's language code.")
@click.option(
    "--wait",
    "wait_seconds",
    default=60,
    show_default=True,
    type=click.IntRange(min=0),
    help="Seconds to wait for the delivery status webhook; 0 does not wait.",
)
def smoke_command(
    recipient: str, message_text: str | None, template: str | None, language: str, wait_seconds: int
) -> None:
    """Send one real message with the configured credentials and wait for its delivery status."""
    context = platform()
    config = context.config
    missing = [
        name
        for name, value in (
            ("WHATSAPP_API_TOKEN", config.whatsapp_api_token),
            ("WHATSAPP_PHONE_NUMBER_ID", config.whatsapp_phone_number_id),
        )
        if not value
    ]
    if missing:
        raise click.ClickException(
            f"{' and '.join(missing)} not set: nothing was sent. The smoke test sends a real message with the "
            "configured credentials; set them (docs/operations.md) and run it again."
        )
    to = re.sub(r"[\s+()-]", "", recipient)
    if not PHONE_NUMBER.fullmatch(to):
        raise click.BadParameter(f"{recipient!r} is not a phone number in international form", param_hint="--to")
    check_database(context.session_factory)
    if template:
        kind = f"template {template} ({language})"
        result = context.sender.send_template(to, template, language)
    else:
        kind = "text"
        result = context.sender.send_text(
            to, message_text or f"WhatsApp platform smoke test, {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
    if not result.ok:
        raise click.ClickException(
            f"the Graph API refused the {kind}: code {result.error_code}, HTTP {result.http_status}: "
            f"{result.error_title}{_hint(result.error_code)}"
        )
    if result.dry_run or not result.wamid:
        raise click.ClickException("the sender is a dry run: nothing was sent")
    click.echo(f"sent {kind} to {to}: {result.wamid}")
    if wait_seconds == 0:
        return
    click.echo(f"waiting up to {wait_seconds} s for its status webhooks to reach the app…")
    seen = wait_for_statuses(context.session_factory, result.wamid, wait_seconds, _print_status)
    if FAILED in seen:
        raise click.ClickException("Meta reported the message as failed (see the status above)")
    if seen & DELIVERY_STATUSES:
        click.echo("smoke test passed: sent, and the delivery status reached the app")
        return
    if seen:
        raise NoStatusInTime(
            f"status webhooks reach the app ({', '.join(sorted(seen))}) but no delivery within {wait_seconds} s: "
            "is the phone online?"
        )
    raise NoStatusInTime(
        f"no status webhook for {result.wamid} within {wait_seconds} s: check that Meta reaches "
        "https://YOUR-HOST/webhook (callback URL verified, subscribed to `messages`) and that this command uses "
        "the running app's database"
    )
