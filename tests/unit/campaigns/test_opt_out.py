"""campaigns.opt_out: every opt-out and opt-in says who made it, why, and is kept in the history.

The functions on their own (ORM, by identifier, set-based), then each real writer through the
app: a customer's STOP/START, a `user_preferences` item (also one naming only a BSUID), Meta's
error 131050 on a status (on PostgreSQL through the one-statement status writer) and the
admin API. On both databases.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from conftest import clean_tables
from sqlalchemy import Engine, select

from campaigns.identity import merge_contacts
from campaigns.opt_out import (
    API,
    CUSTOMER_MESSAGE,
    MARKETING_PREFERENCE,
    META_ERROR,
    meta_error_reason,
    set_choice,
    set_choice_by_identifier,
    set_choice_where,
)
from database_models import Contact, OptOutEvent
from database_setup import create_engine_for
from inbound.sample_payloads import envelope, new_wamid, status_envelope, status_item, text_message_envelope
from inbound.status_writer import StatusWriter

BSUID = "IR.1122334455667788"
TOKEN = "test-admin-token-value"


def history(session, contact_id: int) -> list[tuple]:
    return [tuple(row) for row in session.execute(
        select(OptOutEvent.opted_out, OptOutEvent.source, OptOutEvent.reason, OptOutEvent.actor)
        .where(OptOutEvent.contact_id == contact_id).order_by(OptOutEvent.id))]


def contact_of(app, wa_id: str | None = None, user_id: str | None = None) -> tuple[Contact, list[tuple]]:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        column, value = (Contact.wa_id, wa_id) if wa_id else (Contact.user_id, user_id)
        contact = session.scalars(select(Contact).where(column == value)).one()
        return contact, history(session, contact.id)


# --- the functions -----------------------------------------------------------------------


def test_an_opt_out_records_its_source_reason_and_one_history_row(session, make_contact):
    contact = make_contact()
    at = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert set_choice(contact, True, CUSTOMER_MESSAGE, "لغو", at=at) is True
    session.flush()
    assert (contact.opted_out, contact.opted_out_at, contact.opted_out_source, contact.opted_out_reason) == (
        True, at, CUSTOMER_MESSAGE, "لغو")
    assert set_choice(contact, True, API, "again", actor="someone") is False  # a second STOP changes nothing
    session.flush()
    assert (contact.opted_out_at, contact.opted_out_source) == (at, CUSTOMER_MESSAGE)
    assert history(session, contact.id) == [(True, CUSTOMER_MESSAGE, "لغو", None)]


def test_opting_back_in_clears_the_reason_and_keeps_the_history(session, make_contact):
    contact = make_contact()
    set_choice(contact, True, CUSTOMER_MESSAGE, "STOP")
    set_choice(contact, False, API, None, actor="admin API token")
    session.flush()
    assert (contact.opted_out, contact.opted_out_at, contact.opted_out_source, contact.opted_out_reason) == (
        False, None, None, None)
    assert history(session, contact.id) == [(True, CUSTOMER_MESSAGE, "STOP", None),
                                            (False, API, None, "admin API token")]


def test_an_unknown_source_is_refused_and_nothing_changes(session, make_contact):
    contact = make_contact()
    with pytest.raises(ValueError, match="unknown opt-out source"):
        set_choice(contact, True, "somebody")
    with pytest.raises(ValueError, match="unknown opt-out source"):
        set_choice_where(session, Contact.id == contact.id, True, "somebody")
    session.flush()
    assert contact.opted_out is False
    assert history(session, contact.id) == []


def test_by_identifier_creates_a_bsuid_only_contact_opted_out(session):
    [contact_id] = set_choice_by_identifier(session, True, META_ERROR, user_id=BSUID,
                                            reason=meta_error_reason(131050, "User stopped marketing"))
    contact = session.get(Contact, contact_id)
    assert (contact.wa_id, contact.user_id, contact.opted_out, contact.opted_out_source, contact.opted_out_reason) == (
        None, BSUID, True, META_ERROR, "131050: User stopped marketing")
    assert set_choice_by_identifier(session, True, META_ERROR, user_id=BSUID) == []
    assert set_choice_by_identifier(session, False, MARKETING_PREFERENCE, wa_id="989120000777") == []  # new, opted in
    assert session.scalar(select(Contact.opted_out).where(Contact.wa_id == "989120000777")) is False


def test_set_based_form_changes_only_the_contacts_whose_choice_differs(session, make_contact):
    already, first, second = make_contact(), make_contact(), make_contact()
    set_choice(already, True, CUSTOMER_MESSAGE, "STOP")
    session.flush()
    changed = set_choice_where(session, Contact.id.in_([already.id, first.id, second.id]), True, META_ERROR,
                               reason="131050")
    assert sorted(changed) == sorted([first.id, second.id])
    assert first.opted_out is True and first.opted_out_source == META_ERROR  # loaded objects see the change
    assert already.opted_out_source == CUSTOMER_MESSAGE
    assert [len(history(session, c.id)) for c in (already, first, second)] == [1, 1, 1]


def test_a_merge_keeps_both_histories_and_the_opt_out(session, make_contact):
    survivor, duplicate = make_contact(), make_contact(user_id=BSUID)
    set_choice(duplicate, True, CUSTOMER_MESSAGE, "stop sending")
    session.flush()
    merge_contacts(session, survivor.id, duplicate.id)
    session.expire_all()
    kept = session.get(Contact, survivor.id)
    assert (kept.opted_out, kept.opted_out_source, kept.opted_out_reason) == (True, CUSTOMER_MESSAGE, "stop sending")
    assert history(session, survivor.id) == [(True, CUSTOMER_MESSAGE, "stop sending", None)]


# --- the writers, through the app ---------------------------------------------------------


def test_a_customer_writing_stop_and_start_is_recorded_with_their_words(app, post_webhook):
    assert post_webhook(text_message_envelope("989121230001", "STOP")).status_code == 200
    contact, events = contact_of(app, "989121230001")
    assert (contact.opted_out, contact.opted_out_source, contact.opted_out_reason) == (True, CUSTOMER_MESSAGE, "STOP")
    assert post_webhook(text_message_envelope("989121230001", "START")).status_code == 200
    contact, events = contact_of(app, "989121230001")
    assert contact.opted_out is False
    assert events == [(True, CUSTOMER_MESSAGE, "STOP", None), (False, CUSTOMER_MESSAGE, "START", None)]


def preferences(*items: dict) -> dict:
    return envelope({"field": "user_preferences", "value": {"messaging_product": "whatsapp",
                                                           "user_preferences": list(items)}})


def test_a_marketing_preference_is_recorded_with_metas_detail(app, post_webhook):
    stop = {"wa_id": "989121230002", "category": "marketing_messages", "value": "stop",
            "detail": "User requested to stop marketing messages", "timestamp": str(int(time.time()) - 60)}
    assert post_webhook(preferences(stop)).status_code == 200
    contact, events = contact_of(app, "989121230002")
    assert (contact.opted_out, contact.opted_out_source) == (True, MARKETING_PREFERENCE)
    assert events == [(True, MARKETING_PREFERENCE, "stop: User requested to stop marketing messages", None)]


def test_a_preference_naming_only_a_bsuid_is_applied_to_that_contact(app, post_webhook):
    now = int(time.time())
    assert post_webhook(text_message_envelope(None, "سلام", user_id=BSUID)).status_code == 200
    stop = {"user_id": BSUID, "category": "marketing_messages", "value": "stop", "timestamp": str(now - 60)}
    assert post_webhook(preferences(stop)).status_code == 200
    assert post_webhook(preferences(stop)).status_code == 200  # a replay changes nothing
    contact, events = contact_of(app, user_id=BSUID)
    assert (contact.wa_id, contact.opted_out, contact.opted_out_source) == (None, True, MARKETING_PREFERENCE)
    assert events == [(True, MARKETING_PREFERENCE, "stop", None)]
    older_resume = {"user_id": BSUID, "category": "marketing_messages", "value": "resume", "timestamp": str(now - 120)}
    assert post_webhook(preferences(older_resume)).status_code == 200
    assert contact_of(app, user_id=BSUID)[0].opted_out is True  # older than the stop: not applied
    resume = {"user_id": BSUID, "category": "marketing_messages", "value": "resume", "timestamp": str(now)}
    assert post_webhook(preferences(resume)).status_code == 200
    assert contact_of(app, user_id=BSUID)[0].opted_out is False


def test_error_131050_on_a_status_opts_out_as_a_meta_error_once(app, post_webhook):
    failed = status_item(new_wamid(), "failed", "989121230003", error_code=131050,
                         error_title="Message failed to send because user has stopped marketing messages")
    assert post_webhook(status_envelope(failed)).status_code == 200
    again = failed | {"id": new_wamid()}
    assert post_webhook(status_envelope(again)).status_code == 200
    contact, events = contact_of(app, "989121230003")
    reason = "131050: Message failed to send because user has stopped marketing messages"
    assert (contact.opted_out, contact.opted_out_source, contact.opted_out_reason) == (True, META_ERROR, reason)
    assert events == [(True, META_ERROR, reason, None)]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_the_status_writer_writes_the_same_opt_outs_as_the_general_path(engine: Engine, database_url):
    writer = StatusWriter(create_engine_for(database_url, isolation_level="AUTOCOMMIT"))
    try:
        from inbound.ingestion import status_only_items

        items = status_only_items(status_envelope(
            status_item(new_wamid(), "failed", "989121230004", error_code=131050, error_title="Stopped"),
            status_item(new_wamid(), "failed", "989121230004", error_code=131050, error_title="Stopped"),
            {**status_item(new_wamid(), "failed", "", error_code=131050, error_title="Stopped"), "recipient_id": None,
             "recipient_user_id": BSUID}))
        writer.write(items)
        writer.write(items)  # a retried delivery
        with engine.connect() as connection:
            rows = connection.execute(select(Contact.wa_id, Contact.user_id, Contact.opted_out_source,
                                             Contact.opted_out_reason).order_by(Contact.id)).all()
            events = connection.execute(select(OptOutEvent.source, OptOutEvent.reason)).all()
        assert [tuple(row) for row in rows] == [("989121230004", None, META_ERROR, "131050: Stopped"),
                                                (None, BSUID, META_ERROR, "131050: Stopped")]
        assert sorted(events) == [(META_ERROR, "131050: Stopped")] * 2
    finally:
        writer.engine.dispose()
        clean_tables(engine)


def test_the_admin_api_records_its_actor(app, client, post_webhook):
    assert post_webhook(text_message_envelope("989121230005", "سلام")).status_code == 200
    contact, _ = contact_of(app, "989121230005")
    headers = {"Authorization": f"Bearer {TOKEN}"}
    answer = client.post(f"/api/contacts/{contact.id}/opt-out", headers=headers)
    assert answer.status_code == 200
    assert (answer.json["opted_out"], answer.json["opted_out_source"]) == (True, API)
    client.post(f"/api/contacts/{contact.id}/opt-out", headers=headers)  # twice: one event
    assert client.post(f"/api/contacts/{contact.id}/opt-in", headers=headers).json["opted_out_source"] is None
    assert contact_of(app, "989121230005")[1] == [(True, API, None, "admin API token"),
                                                 (False, API, None, "admin API token")]
