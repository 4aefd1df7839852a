"""`flask users …`: create (password from standard input, never an argument), list, disable, reset-password."""

from __future__ import annotations

from sqlalchemy import select

from accounts.operators import check_login
from database_models import AuditEvent, Operator


def _operators(app) -> dict[str, Operator]:
    with app.extensions["whatsapp_platform"].session_factory() as db:
        return {operator.username: operator for operator in db.scalars(select(Operator))}


def _can_log_in(app, username: str, password: str) -> bool:
    with app.extensions["whatsapp_platform"].session_factory() as db:
        return check_login(db, username, password) is not None


def test_create_reads_the_password_from_standard_input_and_the_operator_logs_in(app, runner):
    result = runner.invoke(args=["users", "create", "Sara", "--role", "agent", "--display-name", "Sara K."],
                           input="a long password\n")
    assert result.exit_code == 0, result.output
    assert "created agent sara" in result.output and "a long password" not in result.output
    sara = _operators(app)["sara"]
    assert (sara.role, sara.display_name, sara.disabled_at) == ("agent", "Sara K.", None)
    assert _can_log_in(app, "sara", "a long password")
    with app.extensions["whatsapp_platform"].session_factory() as db:
        event = db.scalars(select(AuditEvent)).one()
    assert (event.action, event.subject_id, event.operator_id) == ("operator.created", str(sara.id), None)


def test_create_refuses_clearly_and_writes_nothing(app, runner):
    short = runner.invoke(args=["users", "create", "sara", "--role", "agent"], input="short\n")
    assert short.exit_code == 1 and "shorter than 8 characters" in short.output
    empty = runner.invoke(args=["users", "create", "sara", "--role", "agent"], input="\n")
    assert empty.exit_code == 1 and "password is empty" in empty.output
    role = runner.invoke(args=["users", "create", "sara", "--role", "owner"], input="a long password\n")
    assert role.exit_code == 2 and "'owner' is not one of 'admin', 'agent'" in role.output
    no_role = runner.invoke(args=["users", "create", "sara"], input="a long password\n")
    assert no_role.exit_code == 2 and "--role" in no_role.output
    assert _operators(app) == {}
    assert runner.invoke(args=["users", "create", "sara", "--role", "agent"], input="a long password\n").exit_code == 0
    twice = runner.invoke(args=["users", "create", "SARA", "--role", "admin"], input="another password\n")
    assert twice.exit_code == 1 and "exists already" in twice.output
    assert _operators(app)["sara"].role == "agent"


def test_a_password_is_never_an_argument(runner):
    result = runner.invoke(args=["users", "create", "sara", "--role", "agent", "--password", "a long password"])
    assert result.exit_code == 2 and "No such option" in result.output


def test_list_disable_and_reset_password(app, runner):
    assert "no operators yet: flask --app webhook_handler users create" in runner.invoke(args=["users", "list"]).output
    for name, role in (("boss", "admin"), ("sara", "agent")):
        assert runner.invoke(args=["users", "create", name, "--role", role], input="a long password\n").exit_code == 0
    listed = runner.invoke(args=["users", "list"]).output.splitlines()
    assert listed == ["boss\tadmin\tactive", "sara\tagent\tactive"]

    version = _operators(app)["sara"].session_version
    reset = runner.invoke(args=["users", "reset-password", "sara"], input="the new password\n")
    assert reset.exit_code == 0 and "sessions are ended" in reset.output
    assert _can_log_in(app, "sara", "the new password") and not _can_log_in(app, "sara", "a long password")
    assert _operators(app)["sara"].session_version == version + 1
    assert runner.invoke(args=["users", "reset-password", "sara"], input="short\n").exit_code == 1

    assert runner.invoke(args=["users", "disable", "sara"]).exit_code == 0
    assert _operators(app)["sara"].disabled_at is not None
    assert "sara\tagent\tdisabled" in runner.invoke(args=["users", "list"]).output
    last_admin = runner.invoke(args=["users", "disable", "boss"])
    assert last_admin.exit_code == 1 and "last active admin" in last_admin.output
    missing = runner.invoke(args=["users", "disable", "nobody"])
    assert missing.exit_code == 1 and "no operator named 'nobody'" in missing.output
    assert runner.invoke(args=["users", "enable", "sara"]).exit_code == 0
    assert _operators(app)["sara"].disabled_at is None
    with app.extensions["whatsapp_platform"].session_factory() as db:
        actions = list(db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["operator.created", "operator.created", "operator.password_reset", "operator.disabled",
                       "operator.enabled"]
