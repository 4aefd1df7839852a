"""`flask --app webhook_handler templates …`: sync the business account's templates from Meta, and list them."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from campaigns.message_templates import TemplateSyncError, list_synced, parameter_total, sync_templates
from runtime.context import platform

templates_group = AppGroup("templates", help="The WhatsApp Business Account's message templates.")


@templates_group.command("sync")
def sync_command() -> None:
    """Fetch every template of WHATSAPP_BUSINESS_ACCOUNT_ID from the Graph API and store it."""
    context = platform()
    with context.session_factory() as session:
        try:
            summary = sync_templates(session, context.sender, context.config.whatsapp_business_account_id)
        except TemplateSyncError as error:
            raise click.ClickException(f"{error}; nothing was changed") from None
        session.commit()
    click.echo(f"{summary.fetched} templates fetched: {summary.added} new, {summary.updated} updated")


@templates_group.command("list")
@click.option("--status", help="Only this status, e.g. APPROVED.")
@click.option("--language", help="Only this language code, e.g. fa.")
def list_command(status: str | None, language: str | None) -> None:
    """One line per synced template: name, language, status, category, parameters needed."""
    with platform().session_factory() as session:
        templates = list_synced(session, status=status, language=language)
        for template in templates:
            needs = template.parameters or {}
            buttons = sum(b["count"] for b in needs.get("buttons", []))
            click.echo(f"{template.name}\t{template.language}\t{template.status}\t{template.category or '-'}\t"
                       f"{parameter_total(template)} parameters (header {needs.get('header', 0)}, "
                       f"body {needs.get('body', 0)}, buttons {buttons})")
    if not templates:
        click.echo("no templates synced yet: run `flask --app webhook_handler templates sync`", err=True)
