"""`flask --app webhook_handler users …`: the dashboard's operator accounts from the command line.

`create` is the first-run path (the login page and the README name it): nobody can log in to
the dashboard until an admin exists. A password is never an argument (it would stay in the
shell history and in `ps`): it is asked twice at a terminal, or read as one line from standard
input when piped (`printf '%s\n' "$PASSWORD" | flask … users create ana --role agent`).
Every change is recorded in the audit trail with no operator (the command line), like the
dashboard's own changes are with theirs.
"""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from accounts.operators import (
    AccountError,
    create_operator,
    disable_operator,
    enable_operator,
    find_operator,
    list_operators,
    set_password,
)
from database_models import ROLES, AuditEvent, Operator, utcnow
from runtime.context import platform


@click.group("users", cls=AppGroup)
def users_group() -> None:
    """Operator accounts of the dashboard: create, list, disable, enable, reset a password."""


def _read_password() -> str:
    """The new password: prompted twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    return sys.stdin.readline().rstrip("\r\n")


def _record(db: Session, action: str, operator: Operator, **detail: object) -> None:
    db.add(AuditEvent(at=utcnow(), operator_id=None, action=action, subject_type="operator",
                      subject_id=str(operator.id), detail={"via": "cli", **detail}))


def _existing(db: Session, username: str) -> Operator:
    operator = find_operator(db, username)
    if operator is None:
        raise click.ClickException(f"no operator named {username!r} (users list shows them)")
    return operator


@users_group.command("create")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="admin: everything; agent: inbox and contacts.")
@click.option("--display-name", default=None, help="The name shown in the dashboard (default: the username).")
def users_create(username: str, role: str, display_name: str | None) -> None:
    """Create an operator who logs in to the dashboard with USERNAME and a password."""
    password = _read_password()
    with platform().session_factory() as db:
        try:
            operator = create_operator(db, username, password, role, display_name)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        _record(db, "operator.created", operator, role=role)
        db.commit()
        click.echo(f"created {operator.role} {operator.username}: log in at /dashboard/login")


@users_group.command("list")
def users_list() -> None:
    """Every operator: username, role, active or disabled, display name."""
    with platform().session_factory() as db:
        operators = list_operators(db)
    if not operators:
        click.echo("no operators yet: flask --app webhook_handler users create USERNAME --role admin")
        return
    for operator in operators:
        state = f"disabled {operator.disabled_at:%Y-%m-%d %H:%M} UTC" if operator.disabled_at else "active"
        click.echo(f"{operator.username}\t{operator.role}\t{state}\t{operator.display_name or ''}".rstrip())


@users_group.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Disable an operator: their logins end at once and they cannot log in again."""
    with platform().session_factory() as db:
        operator = _existing(db, username)
        try:
            disable_operator(db, operator)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        _record(db, "operator.disabled", operator)
        db.commit()
    click.echo(f"disabled {operator.username}; their sessions are ended")


@users_group.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Let a disabled operator log in again."""
    with platform().session_factory() as db:
        operator = _existing(db, username)
        try:
            enable_operator(db, operator)
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        _record(db, "operator.enabled", operator)
        db.commit()
    click.echo(f"enabled {operator.username}")


@users_group.command("reset-password")
@click.argument("username")
def users_reset_password(username: str) -> None:
    """Give an operator a new password (read like `create`'s); their logins end at once."""
    with platform().session_factory() as db:
        operator = _existing(db, username)
        try:
            set_password(db, operator, _read_password())
        except AccountError as error:
            raise click.ClickException(str(error)) from None
        _record(db, "operator.password_reset", operator)
        db.commit()
    click.echo(f"new password set for {operator.username}; their sessions are ended")
