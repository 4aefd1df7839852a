"""`flask --app webhook_handler orders …`: importing the shop's orders from a CSV file."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from orders.records import OrderError, import_orders_csv
from orders.rules import OrderRulesError, order_rules
from runtime.context import platform

orders_group = AppGroup("orders", help="The shop's orders: what the chatbot answers \"where is my order?\" from.")


@orders_group.command("import")
@click.argument("csv_file", type=click.File("rb"))
def import_command(csv_file) -> None:
    """Import orders from CSV: number,wa_id,status,tracking_code[,carrier,expected_at,items].

    Any spreadsheet encoding (UTF-8, UTF-16, Windows-1256); expected_at in Jalali (1405/09/20)
    or ISO. Bad lines are listed with their line number; the others are imported.
    """
    context = platform()
    try:
        rules = order_rules(context.config)
    except OrderRulesError as error:
        raise click.ClickException(str(error)) from None
    with context.session_factory() as session:
        try:
            report = import_orders_csv(session, csv_file.read(), rules, context.config.zone)
        except OrderError as error:
            raise click.ClickException(str(error)) from None
        session.commit()
    for line, reason in report.errors:
        click.echo(f"line {line}: {reason}", err=True)
    click.echo(f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
               f"{len(report.errors)} rejected, {report.notified} notifications queued")
