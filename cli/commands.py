"""The `flask --app webhook_handler …` commands operators and developers run."""

from __future__ import annotations

import json
import sys
import time
from urllib.parse import urlsplit, urlunsplit

import click
import httpx
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from cli.analytics import analytics_group
from cli.broadcast import register_broadcast_cli
from cli.ops import smoke_command
from cli.orders import orders_group
from cli.templates import templates_group
from cli.users import users_group
from database_models import Contact, ReceivedMessageLog, ScheduledMessage
from runtime.context import platform


def register_cli(app: Flask) -> None:
    """Attach every command group to `app`."""
    app.cli.add_command(demo_webhook)
    register_broadcast_cli(app)
    app.cli.add_command(chatbot_group)
    app.cli.add_command(analytics_group)
    app.cli.add_command(smoke_command)
    app.cli.add_command(orders_group)
    app.cli.add_command(users_group)
    app.cli.add_command(templates_group)


def _rules():
    from language.rules_loader import load_rules

    return load_rules(platform().config.chatbot_rules_path)


@click.group("chatbot", cls=AppGroup)
def chatbot_group() -> None:
    """Try and measure the chatbot's intent recognition."""


@chatbot_group.command("classify")
def chatbot_classify() -> None:
    """Read one message per line on stdin; print one JSON object per line (text, intent, confidence)."""
    rules = _rules()
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text.strip():
            continue
        match = rules.recognize_intent(text)
        click.echo(json.dumps({"text": text, "intent": match.intent, "confidence": round(match.confidence, 4)},
                              ensure_ascii=False))


@chatbot_group.command("evaluate")
@click.argument("tsv_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--figures-only", is_flag=True,
              help="Confusions as counts, no example messages: for a held-out set nobody may read.")
def chatbot_evaluate(tsv_file: str, figures_only: bool) -> None:
    """Per-intent precision, recall and F1, accuracy and confusions on a text<TAB>intent file."""
    from language.intent_evaluation import evaluate, format_report, read_labelled_messages

    try:
        rows = read_labelled_messages(tsv_file)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    report = evaluate(_rules(), rows)
    click.echo(format_report(report, examples=not figures_only))


@chatbot_group.command("release")
@click.argument("wa_id")
def chatbot_release(wa_id: str) -> None:
    """Hand a conversation in handoff back to the bot."""
    from chatbot_service import release_handoff

    with platform().session_factory() as session:
        contact = session.scalars(select(Contact).where(or_(Contact.wa_id == wa_id, Contact.user_id == wa_id))).first()
        if contact is None:
            raise click.ClickException(f"no contact {wa_id}")
        released = release_handoff(session, contact.id)
        session.commit()
    click.echo("released" if released else "not in handoff")


def webhook_url(target: str) -> str:
    """The webhook URL for `target`: an app's address (its /webhook is added) or a full webhook URL."""
    parts = urlsplit(target if "://" in target else f"http://{target}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise click.BadParameter(f"{target!r} is not an http(s) address, e.g. http://127.0.0.1:8000",
                                 param_hint="--url")
    path = parts.path if parts.path not in ("", "/") else "/webhook"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


@click.command("demo-webhook")
@with_appcontext
@click.option("--url", "target", default="http://127.0.0.1:8000", show_default=True,
              help="The running app (its /webhook is added), or a full webhook URL.")
@click.option("--text", "message_text", default="سلام، سفارشم کجاست؟", show_default=True)
@click.option("--from", "sender", default="989120000001", show_default=True, help="The customer's number.")
@click.option("--name", default="Sara", show_default=True)
def demo_webhook(target: str, message_text: str, sender: str, name: str) -> None:
    """Post one correctly signed sample webhook (an inbound text) to a running app."""
    from inbound.sample_payloads import new_wamid, text_message_envelope
    from inbound.signatures import sign_payload

    url, wamid = webhook_url(target), new_wamid()
    body = json.dumps(text_message_envelope(sender, message_text, name=name, wamid=wamid), ensure_ascii=False).encode()
    secret = platform().config.whatsapp_app_secret
    try:
        response = httpx.post(url, content=body, timeout=10,
                              headers={"Content-Type": "application/json",
                                       "X-Hub-Signature-256": sign_payload(body, secret)})
    except httpx.HTTPError as error:
        raise click.ClickException(f"cannot reach {url}: {error}. Is the app running (make run)?") from None
    click.echo(f"POST {url} -> {response.status_code} {response.text.strip()}")
    if response.status_code != 200:
        raise SystemExit(1)
    try:
        with platform().session_factory() as session:
            stored = session.scalars(select(ReceivedMessageLog).where(ReceivedMessageLog.wamid == wamid)).first()
    except SQLAlchemyError:
        click.echo("stored: cannot read this checkout's database (make migrate creates it); the app answered 200")
        return
    if stored is None:  # the app at `url` keeps another database than this checkout's settings name
        click.echo("stored: not in this checkout's database; the app at that address uses its own")
        return
    click.echo(f"stored: message #{stored.id} from contact #{stored.contact_id}, "
               f"{stored.message_type}: {stored.text}")
    reply = _wait_for_reply(stored.id, seconds=5.0)
    if reply is None:
        click.echo("reply: none (the chatbot stays quiet for this message)")
    else:
        mode = "dry run, nothing sent" if reply.dry_run else f"wamid {reply.wamid}"
        click.echo(f"reply ({stored.intent or 'no intent'}, {reply.status}, {mode}): {reply.body}")


def _wait_for_reply(message_id: int, seconds: float) -> ScheduledMessage | None:
    """The chatbot's reply to `message_id` once the app has tried to send it (bounded wait)."""
    deadline = time.monotonic() + seconds
    while True:
        with platform().session_factory() as session:
            reply = session.scalars(
                select(ScheduledMessage).where(ScheduledMessage.in_reply_to_id == message_id)
            ).first()
        if (reply is not None and reply.status not in ("pending", "sending")) or time.monotonic() > deadline:
            return reply
        time.sleep(0.1)
