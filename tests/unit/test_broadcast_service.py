"""Campaigns: personalisation, placeholder validation, audiences, exclusions, send times, bulk scheduling,
pause/resume/cancel and the report."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event, func, insert, select, update

from broadcast_service import (
    Audience,
    BroadcastError,
    TemplateSpec,
    audience_from_csv,
    broadcast_report,
    cancel_broadcast,
    pause_broadcast,
    resume_broadcast,
    schedule_broadcast,
)
from campaigns.personalisation import PlaceholderError, UnknownPlaceholderError, contact_fields, render_message
from database_models import Broadcast, Contact, ReceivedMessageLog, ScheduledMessage, utcnow
from scheduler import Scheduler

SARA = contact_fields("989121111111", "Sara Ahmadi", {"city": "تهران", "order_id": 1042})


# --- personalisation ------------------------------------------------------------------

@pytest.mark.parametrize(("template", "expected"), [
    ("Hello {name}", "Hello Sara Ahmadi"),
    ("سلام {first_name} جان 🌷", "سلام Sara جان 🌷"),
    ("{wa_id}", "989121111111"),
    ("Your order #{order_id} ships to {city}", "Your order #1042 ships to تهران"),
    ("{ name }", "Sara Ahmadi"),
    ("{nickname|مشتری عزیز}، سلام!", "مشتری عزیز، سلام!"),
    ("{name|unused}", "Sara Ahmadi"),
    ("{{name}} is literal, {name} is not", "{name} is literal, Sara Ahmadi is not"),
    ("emoji 👋🏽 and ZWNJ می‌خواهم stay", "emoji 👋🏽 and ZWNJ می‌خواهم stay"),
])
def test_placeholders_render_from_contact_fields(template, expected):
    assert render_message(template, SARA | {"nickname": ""}) == expected


def test_a_missing_value_uses_the_fallback_or_is_counted():
    fields = contact_fields("989120000000", None, {})
    missing: dict[str, int] = {}
    assert render_message("سلام {name|مشتری عزیز}! {first_name}.", fields, missing) == "سلام مشتری عزیز! ."
    assert missing == {"first_name": 1}


def test_values_are_inserted_verbatim_and_never_rendered_again():
    fields = contact_fields("989120000000", "{wa_id} {{x}} %s {0}", {"note": "{name.__class__}"})
    assert render_message("{name} / {note}", fields) == "{wa_id} {{x}} %s {0} / {name.__class__}"


@pytest.mark.parametrize("template", [
    "{name.__class__}", "{name!r}", "{name:>30}", "{0}", "{}", "{__import__('os').system('id')}",
    "{name[0]}",
])
def test_anything_but_a_field_name_is_refused_not_evaluated(template):
    with pytest.raises(PlaceholderError, match="invalid placeholder"):
        render_message(template, SARA)


@pytest.mark.parametrize("template", ["Hi {name", "Hi name}", "{{name}", "{ {name} }", ":-{"])
def test_a_lone_brace_is_refused_as_a_typo(template):
    with pytest.raises(PlaceholderError, match="unmatched"):
        render_message(template, SARA)


# --- validation when a campaign is created ----------------------------------------------

def test_unknown_placeholders_refuse_the_campaign_listing_every_one(session, make_contact):
    make_contact(attributes={"city": "Tehran"})
    with pytest.raises(UnknownPlaceholderError) as refused:
        schedule_broadcast(session, name="typo", audience=Audience.everyone(),
                           body="Hi {nmae}, in {city} and {ctiy}", template=TemplateSpec("t", "fa", ("fullname",)))
    assert refused.value.names == ["ctiy", "fullname", "nmae"]
    assert "{ctiy}, {fullname}, {nmae}" in str(refused.value) and "city" in str(refused.value)
    assert session.scalar(select(func.count()).select_from(Broadcast)) == 0
    assert session.scalar(select(func.count()).select_from(ScheduledMessage)) == 0


@pytest.mark.parametrize(("changes", "message"), [
    ({"name": " "}, "a name"),
    ({"body": None}, "a text body or a template"),
    ({"body": "x" * 4097}, "longer than 4096"),
    ({"template": TemplateSpec("sale", "Farsi")}, "not a code"),
])
def test_incomplete_campaigns_are_refused(session, make_contact, changes, message):
    make_contact()
    arguments = {"name": "campaign", "audience": Audience.everyone(), "body": "hello"} | changes
    with pytest.raises(BroadcastError, match=message):
        schedule_broadcast(session, **arguments)


# --- audiences and exclusions ---------------------------------------------------------

def rows_of(session, broadcast_id) -> dict[str, ScheduledMessage]:
    rows = session.execute(select(Contact.wa_id, ScheduledMessage).join(Contact)
                           .where(ScheduledMessage.broadcast_id == broadcast_id)).all()
    return dict(rows)


def test_everyone_gets_one_personalised_row_and_opted_out_contacts_are_excluded(session, make_contact):
    make_contact("989120000001", "Zahra Karimi", attributes={"city": "Shiraz"})
    make_contact("989120000002", None)
    make_contact("989120000003", "Opted Out", opted_out=True)

    report = schedule_broadcast(session, name="Nowruz", audience=Audience.everyone(),
                                body="سلام {first_name|دوست عزیز} از {city|ایران} 🌷",
                                template=TemplateSpec("nowruz_sale", "fa", ("name|مشتری", "city|ایران")))

    assert report.recipients == 2 and report.excluded == {"opted_out": 1, "duplicate": 0, "invalid_number": 0}
    rows = rows_of(session, report.broadcast_id)
    assert set(rows) == {"989120000001", "989120000002"}
    assert rows["989120000001"].body == "سلام Zahra از Shiraz 🌷"
    assert rows["989120000002"].body == "سلام دوست عزیز از ایران 🌷"
    assert rows["989120000001"].template_params == ["Zahra Karimi", "Shiraz"]
    assert rows["989120000002"].template_params == ["مشتری", "ایران"]
    assert {row.status for row in rows.values()} == {"pending"}
    broadcast = session.get(Broadcast, report.broadcast_id)
    assert broadcast.recipient_count == 2 and broadcast.exclusions["opted_out"] == 1


def test_tag_audiences_match_any_or_all_tags(session, make_contact):
    make_contact("989120000001", tags=("vip", "tehran"))
    make_contact("989120000002", tags=("vip",))
    make_contact("989120000003", tags=("tehran",))
    make_contact("989120000004")

    any_tag = schedule_broadcast(session, name="any", audience=Audience.with_tags(["VIP", "tehran"]), body="hi")
    all_tags = schedule_broadcast(session, name="all", audience=Audience.with_tags(["vip", "tehran"], match_all=True),
                                  body="hi")

    assert set(rows_of(session, any_tag.broadcast_id)) == {"989120000001", "989120000002", "989120000003"}
    assert set(rows_of(session, all_tags.broadcast_id)) == {"989120000001"}


def test_a_list_of_numbers_is_normalised_deduplicated_and_new_numbers_become_contacts(session, make_contact):
    make_contact("989120000001", "Known")
    make_contact("989120000009", "Stopped", opted_out=True)
    numbers = ["+98 912 000 0001", "09120000001", "۰۹۱۲۰۰۰۰۰۰۲", "00989120000009", "not a number", "12"]

    report = schedule_broadcast(session, name="list", audience=Audience.of_numbers(numbers), body="Hi {name|there}")

    assert report.recipients == 2 and report.contacts_created == 1
    assert report.excluded == {"opted_out": 1, "duplicate": 1, "invalid_number": 2}
    rows = rows_of(session, report.broadcast_id)
    assert {wa_id: row.body for wa_id, row in rows.items()} == {"989120000001": "Hi Known",
                                                              "989120000002": "Hi there"}


def test_a_csv_import_is_an_audience_of_exactly_its_valid_rows(session, make_contact):
    make_contact("989120000005", "Not in the file")
    csv_file = io.BytesIO(b"wa_id,name,tags,city\n09120000001,Ali,new,Tabriz\nbad,X,,\n09120000002,Sara,,\n"
                          b"+989120000001,Ali,,\n")
    audience, imported = audience_from_csv(session, csv_file)

    report = schedule_broadcast(session, name="csv", audience=audience, body="{name} in {city|Iran}")

    assert imported.errors == [(3, "not a phone number: 'bad'"), (5, "989120000001 already appears on line 2")]
    assert report.recipients == 2 and report.excluded["duplicate"] == 1
    assert {w: r.body for w, r in rows_of(session, report.broadcast_id).items()} == {
        "989120000001": "Ali in Tabriz", "989120000002": "Sara in Iran"}


def test_an_audience_with_nobody_eligible_is_refused(session, make_contact):
    make_contact(opted_out=True)
    with pytest.raises(BroadcastError, match="no eligible recipients .*1 opted out"):
        schedule_broadcast(session, name="nobody", audience=Audience.everyone(), body="hi")


# --- send time ------------------------------------------------------------------------

@freeze_time("2026-03-20 08:00:00")
def test_send_times_naive_in_the_business_timezone_aware_as_given_none_now(session, make_contact):
    make_contact()
    naive = schedule_broadcast(session, name="a", audience=Audience.everyone(), body="x",
                               send_at=datetime(2026, 3, 21, 9, 0), timezone="Asia/Tehran")
    aware = schedule_broadcast(session, name="b", audience=Audience.everyone(), body="x",
                               send_at=datetime(2026, 3, 21, 9, 0, tzinfo=UTC))
    now = schedule_broadcast(session, name="c", audience=Audience.everyone(), body="x")
    assert naive.scheduled_at == datetime(2026, 3, 21, 5, 30, tzinfo=UTC)  # Tehran is UTC+03:30
    assert aware.scheduled_at == datetime(2026, 3, 21, 9, 0, tzinfo=UTC)
    assert now.scheduled_at == datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
    due = Scheduler(session).get_pending_messages(utcnow())
    assert [row.broadcast_id for row in due] == [now.broadcast_id]
    with pytest.raises(BroadcastError, match="in the past"):
        schedule_broadcast(session, name="d", audience=Audience.everyone(), body="x",
                           send_at=datetime(2026, 3, 20, 7, 0, tzinfo=UTC))


# --- bulk -------------------------------------------------------------------------------

def test_thousands_of_recipients_are_scheduled_with_a_handful_of_statements(session, engine):
    now = utcnow()
    session.execute(insert(Contact.__table__), [
        {"wa_id": f"98935{i:07d}", "name": f"Customer {i}", "attributes": {"tier": "gold"}, "opted_out": i % 10 == 0,
         "created_at": now, "updated_at": now} for i in range(3000)])
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        report = schedule_broadcast(session, name="bulk", audience=Audience.everyone(), body="Hi {first_name} ({tier})")
    finally:
        event.remove(engine, "before_cursor_execute", count)

    assert report.recipients == 2700 and report.excluded["opted_out"] == 300
    assert len(statements) < 20  # set-based: not a statement per recipient
    assert session.scalar(select(func.count()).where(ScheduledMessage.broadcast_id == report.broadcast_id)) == 2700


# --- pause, resume, cancel, report ------------------------------------------------------

def test_pause_resume_and_cancel_move_only_unclaimed_rows(session, make_contact):
    for _ in range(4):
        make_contact()
    report = schedule_broadcast(session, name="p", audience=Audience.everyone(), body="x")
    [claimed] = Scheduler(session).claim_due_messages(utcnow(), 1, "worker-1", 60)

    assert pause_broadcast(session, report.broadcast_id) == 3
    assert Scheduler(session).claim_due_messages(utcnow(), 10, "worker-2", 60) == []
    assert resume_broadcast(session, report.broadcast_id) == 3
    assert cancel_broadcast(session, report.broadcast_id) == 3
    statuses = {row.id: row.status for row in rows_of(session, report.broadcast_id).values()}
    assert statuses.pop(claimed.id) == "sending" and set(statuses.values()) == {"cancelled"}
    with pytest.raises(BroadcastError, match="cancelled"):
        resume_broadcast(session, report.broadcast_id)


def test_the_report_counts_every_status_failures_by_code_skips_and_replies(session, make_contact):
    contacts = [make_contact() for _ in range(7)]
    report = schedule_broadcast(session, name="r", audience=Audience.everyone(), body="x")
    rows = sorted(rows_of(session, report.broadcast_id).values(), key=lambda row: row.id)
    sent_at = utcnow() - timedelta(hours=1)
    changes = [
        {"status": "sent", "sent_at": sent_at},
        {"status": "delivered", "sent_at": sent_at},
        {"status": "read", "sent_at": sent_at},
        {"status": "failed", "last_error_code": 131026, "last_error_title": "Message Undeliverable"},
        {"status": "skipped", "last_error_title": "contact opted out"},
        {"status": "unknown", "unconfirmed_sends": 1},
    ]
    for row, values in zip(rows, changes, strict=False):
        session.execute(update(ScheduledMessage).where(ScheduledMessage.id == row.id).values(**values))
    session.add(ReceivedMessageLog(wamid="wamid.REPLY1", contact_id=contacts[2].id, message_type="text",
                                   text="thanks", payload={}, received_at=utcnow()))
    session.add(ReceivedMessageLog(wamid="wamid.BEFORE", contact_id=contacts[1].id, message_type="text",
                                   text="old", payload={}, received_at=sent_at - timedelta(minutes=1)))
    session.flush()

    result = broadcast_report(session, report.broadcast_id)

    assert {k: v for k, v in result.counts.items() if v} == {
        "sent": 1, "delivered": 1, "read": 1, "failed": 1, "skipped": 1, "unknown": 1, "pending": 1}
    assert result.failed_by_code == {"131026": {"title": "Message Undeliverable", "count": 1}}
    assert result.skipped_by_reason == {"contact opted out": 1}
    assert result.replied == 1 and result.unconfirmed == 1 and result.resent_unconfirmed == 0
    assert result.unknown_recipients == [contacts[5].wa_id]
    with pytest.raises(BroadcastError, match="no broadcast"):
        broadcast_report(session, 10**6)
