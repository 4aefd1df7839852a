"""The operator's CLI end to end: contacts import, broadcast create/list/report/pause/resume/cancel/process,
with the real app, the test database and the fake Graph API; status webhooks then update the report."""

from __future__ import annotations

import json

import pytest
from conftest import APP_SECRET, GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables
from sqlalchemy import func, select

from database_models import Broadcast, Contact, ScheduledMessage
from inbound.sample_payloads import status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app

SAMPLE = ROOT / "tests" / "data" / "contacts_sample.csv"


@pytest.fixture
def graph_app(test_config, engine, fake_graph):
    """The app with a real sender pointed at the fake Graph API; tables emptied afterwards."""
    app = create_app(test_config.replace(whatsapp_api_token=GRAPH_TOKEN, whatsapp_phone_number_id=PHONE_NUMBER_ID,
                                         whatsapp_api_base_url=fake_graph.url, processor_time_budget_seconds=10.0))
    app.config["TESTING"] = True
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


@pytest.fixture
def cli(graph_app):
    runner = graph_app.test_cli_runner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(args=list(args), input=input)

    return invoke


def session_of(app):
    return app.extensions["whatsapp_platform"].session_factory()


def created_id(result) -> str:
    """The broadcast id from `broadcast create`'s first line."""
    assert result.exit_code == 0, result.output
    return result.stdout.split()[1]


def post_signed(app, payload) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    response = app.test_client().post("/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)})
    return response.status_code


def test_contacts_import_reports_bad_lines_on_stderr_and_is_idempotent(cli, graph_app):
    first = cli("contacts", "import", str(SAMPLE))
    assert first.exit_code == 0, first.output
    assert "5 created, 0 updated, 0 unchanged, 4 rejected" in first.stdout
    assert "line 6: not a phone number: 'not-a-number'" in first.stderr
    assert "line 8: 989120000001 already appears on line 2" in first.stderr

    again = cli("contacts", "import", str(SAMPLE))
    assert "0 created, 0 updated, 5 unchanged, 4 rejected" in again.stdout
    with session_of(graph_app) as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 5


def test_create_prints_the_id_the_recipients_and_every_exclusion(cli, graph_app, tmp_path):
    cli("contacts", "import", str(SAMPLE))
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("+98 912 000 0001\n09120000001\n۰۹۱۲۰۰۰۰۰۰۲\nnonsense\n# a comment\n\n09120000077\n")

    result = cli("broadcast", "create", "--name", "Yalda", "--text", "شب یلدا مبارک {first_name|دوست عزیز} 🍉",
                 "--numbers", str(numbers), "--at", "2030-12-21 18:00")

    assert result.exit_code == 0, result.output
    assert f"broadcast {created_id(result)} scheduled for 2030-12-21 18:00 Asia/Tehran: 3 recipients" in result.stdout
    assert "excluded: opted out 0, duplicate 1, invalid number 1" in result.stdout
    assert "new contacts created: 1" in result.stdout
    with session_of(graph_app) as session:
        bodies = dict(session.execute(select(Contact.wa_id, ScheduledMessage.body).join(Contact)).all())
        broadcast = session.scalars(select(Broadcast)).one()
    assert bodies == {"989120000001": "شب یلدا مبارک Sara 🍉", "989120000002": "شب یلدا مبارک علی 🍉",
                      "989120000077": "شب یلدا مبارک دوست عزیز 🍉"}
    assert broadcast.scheduled_at.isoformat() == "2030-12-21T14:30:00+00:00"


def test_an_unknown_placeholder_exits_non_zero_naming_it_and_schedules_nothing(cli, graph_app):
    cli("contacts", "import", str(SAMPLE))
    result = cli("broadcast", "create", "--name", "typo", "--text", "Hi {frist_name}, {city}", "--all")
    assert result.exit_code != 0
    assert "unknown placeholder: {frist_name}" in result.output
    with session_of(graph_app) as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 0


@pytest.mark.parametrize(("args", "message"), [
    (["--text", "x"], "choose one audience"),
    (["--text", "x", "--all", "--tag", "vip"], "choose one audience"),
    (["--all"], "give --text TEXT or --template NAME"),
    (["--all", "--template", "sale"], "--template needs --language"),
    (["--all", "--text", "x", "--all-tags"], "--all-tags needs --tag"),
    (["--all", "--text", "x", "--at", "next friday"], "use e.g. '1405/09/20 10:00' (Jalali)"),
])
def test_usage_mistakes_are_explained(cli, args, message):
    result = cli("broadcast", "create", "--name", "n", *args)
    assert result.exit_code == 2 and message in result.output


def test_tag_audiences_and_templates(cli, graph_app):
    cli("contacts", "import", str(SAMPLE))
    any_tag = cli("broadcast", "create", "--name", "any", "--tag", "vip", "--tag", "uk", "--template", "sale",
                  "--language", "fa", "--param", "name|مشتری", "--param", "city|-")
    all_tags = cli("broadcast", "create", "--name", "all", "--tag", "vip", "--tag", "new", "--all-tags",
                   "--text", "hi")
    assert "3 recipients" in any_tag.stdout and "1 recipients" in all_tags.stdout
    with session_of(graph_app) as session:
        params = dict(session.execute(select(Contact.wa_id, ScheduledMessage.template_params).join(Contact)
                                      .where(ScheduledMessage.broadcast_id == int(created_id(any_tag)))).all())
    assert params == {"989120000001": ["Sara Ahmadi", "Tehran"], "989120000002": ["علی رضایی", "-"],
                      "442079460958": ["London Shop", "London"]}


def test_pause_resume_cancel_list_and_report(cli):
    cli("contacts", "import", str(SAMPLE))
    number = created_id(cli("broadcast", "create", "--name", "Later", "--text", "hi {name|there}", "--all",
                            "--at", "2031-01-01 10:00"))
    assert f"broadcast {number} paused: 5 messages" in cli("broadcast", "pause", number).stdout
    assert "paused     5" in cli("broadcast", "report", number).stdout
    assert f"broadcast {number} resumed: 5 messages" in cli("broadcast", "resume", number).stdout
    assert f"broadcast {number} cancelled: 5 messages" in cli("broadcast", "cancel", number).stdout
    listing = cli("broadcast", "list").stdout
    assert "cancelled" in listing and "Later" in listing and "[cancelled 5]" in listing
    missing = cli("broadcast", "report", "999999")
    assert missing.exit_code == 1 and "no broadcast 999999" in missing.output


def test_process_sends_and_status_webhooks_update_the_report(cli, graph_app, fake_graph):
    cli("contacts", "import", str(SAMPLE))
    with session_of(graph_app) as session:  # recent inbound messages: free-form text may go
        session.execute(Contact.__table__.update().values(last_inbound_at=func.now()))
        session.commit()
    number = created_id(cli("broadcast", "create", "--name", "Now", "--text", "Hello {name|friend}", "--all"))

    assert f"{number}  scheduled " in cli("broadcast", "list").stdout

    processed = cli("broadcast", "process")

    assert processed.exit_code == 0, processed.output
    assert processed.stdout.startswith("claimed 5: sent 5, failed 0, skipped 0, unknown 0 in ")
    assert processed.stdout.strip().endswith(f"campaigns completed: 1 (#{number})")
    assert set(fake_graph.counts().values()) == {1} and len(fake_graph.counts()) == 5
    zone = graph_app.extensions["whatsapp_platform"].config.timezone
    listed = next(line for line in cli("broadcast", "list").stdout.splitlines() if line.lstrip().startswith(number))
    assert f"{number}  completed 20" in listed and zone in listed
    assert f"broadcast {number} 'Now' (completed 20" in cli("broadcast", "report", number).stdout
    wamids = {m["to"]: m["wamid"] for m in fake_graph.messages()}
    statuses = [status_item(wamids["989120000001"], "delivered", "989120000001"),
                status_item(wamids["989120000001"], "read", "989120000001"),
                status_item(wamids["989120000002"], "delivered", "989120000002"),
                status_item(wamids["989120000003"], "failed", "989120000003", error_code=131049,
                            error_title="This message was not delivered to maintain healthy ecosystem engagement")]
    assert post_signed(graph_app, status_envelope(*statuses)) == 200
    assert post_signed(graph_app, text_message_envelope("989120000004", "ممنون!")) == 200

    report = json.loads(cli("broadcast", "report", number, "--json").stdout)
    assert {k: v for k, v in report["counts"].items() if v} == {"read": 1, "delivered": 1, "failed": 1, "sent": 2}
    assert report["failed_by_code"]["131049"]["count"] == 1
    assert report["replied"] == 1
    assert report["status"] == "completed" and report["completed_at"].startswith("20")
    assert cli("broadcast", "process", "--json").stdout.strip().endswith('{"claimed": 0}')
    assert cli("broadcast", "process").stdout.startswith("nothing sent: nothing is due")


def test_process_prints_its_json_summary_with_the_json_flag(cli, graph_app):
    cli("contacts", "import", str(SAMPLE))
    number = int(created_id(cli("broadcast", "create", "--name", "J", "--text", "Hello", "--all")))

    summary = json.loads(cli("broadcast", "process", "--json").stdout)

    assert summary["claimed"] == 5 and summary["skipped"] == 5  # no recent message and no template
    assert summary["campaigns_completed"] == [number]


@pytest.mark.parametrize("at", ["1409/09/30 18:00", "۱۴۰۹/۰۹/۳۰ ۱۸:۰۰", "2030-12-21 18:00", "2030-12-21T14:30+00:00"])
def test_the_send_time_reads_jalali_in_either_digits_or_iso(cli, graph_app, at):
    cli("contacts", "import", str(SAMPLE))

    result = cli("broadcast", "create", "--name", "Yalda", "--text", "x", "--all", "--at", at)

    assert result.exit_code == 0, result.output
    with session_of(graph_app) as session:
        assert session.scalars(select(Broadcast)).one().scheduled_at.isoformat() == "2030-12-21T14:30:00+00:00"


@pytest.mark.parametrize("at", ["1403/13/16 10:00", "next friday", "21/12/2030", "1409/09/30 25:00"])
def test_a_date_it_cannot_read_names_both_calendars_and_the_businesss_timezone(cli, graph_app, at):
    zone = graph_app.extensions["whatsapp_platform"].config.timezone

    result = cli("broadcast", "create", "--name", "n", "--all", "--text", "x", "--at", at)

    assert result.exit_code == 2 and f"'2026-12-01 09:30' ({zone} time)" in result.output
    assert "'1405/09/20 10:00' (Jalali)" in result.output and "TIMEZONE" not in result.output
    with session_of(graph_app) as session:
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_unknown_messages_are_listed_and_can_be_resent_on_the_operators_word(cli, graph_app):
    cli("contacts", "import", str(SAMPLE))
    number = created_id(cli("broadcast", "create", "--name", "Crash", "--text", "hi", "--all"))
    with session_of(graph_app) as session:  # what a processor killed mid-send leaves behind
        session.execute(ScheduledMessage.__table__.update().values(status="unknown", unconfirmed_sends=1))
        session.commit()
    report = cli("broadcast", "report", number).stdout
    assert "still unknown: 5" in report and "989120000001" in report
    assert f"broadcast resend-unknown {number}" in report

    assert cli("broadcast", "resend-unknown", number, input="n\n").exit_code == 1
    assert f"broadcast {number} requeued unknown: 5 messages" in cli("broadcast", "resend-unknown", number,
                                                                      "--yes").stdout
    assert "pending    5" in cli("broadcast", "report", number).stdout
