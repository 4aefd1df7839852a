"""The /webhook endpoint: verification, signatures, bad input, every message type, batches, idempotency."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from conftest import APP_SECRET, VERIFY_TOKEN
from sqlalchemy import func, select

from database_models import Contact, MessageStatusEvent, ReceivedMessageLog, ScheduledMessage
from inbound.sample_payloads import (
    envelope,
    inbound_message,
    messages_change,
    new_wamid,
    status_envelope,
    status_item,
    text_message_envelope,
)
from inbound.signatures import sign_payload


def count(app, model) -> int:
    """Rows of `model` in the app's database, read through a fresh session."""
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def stored_messages(app) -> list[ReceivedMessageLog]:
    """Every stored inbound message, oldest first."""
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return list(session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id)))


# --- GET /webhook: Meta's verification handshake -----------------------------------------


def test_verification_echoes_challenge_with_right_token(client):
    response = client.get(f"/webhook?hub.mode=subscribe&hub.verify_token={VERIFY_TOKEN}&hub.challenge=1158201444")
    assert response.status_code == 200
    assert response.data == b"1158201444"
    assert response.mimetype == "text/plain"


def test_echoed_challenge_is_plain_text_no_browser_may_sniff(client):
    challenge = "<script>alert(1)</script>"  # the caller chooses what is echoed
    response = client.get("/webhook", query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                                    "hub.challenge": challenge})
    assert response.status_code == 200 and response.get_data(as_text=True) == challenge
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "query",
    [
        "hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "hub.mode=unsubscribe&hub.verify_token=" + VERIFY_TOKEN + "&hub.challenge=1",
        "hub.challenge=1",
        "",
    ],
    ids=["wrong-token", "wrong-mode", "no-token", "nothing"],
)
def test_verification_refused(client, query):
    response = client.get("/webhook?" + query)
    assert response.status_code == 403
    assert b"1" not in response.data


# --- Signatures -------------------------------------------------------------------------


def test_valid_signature_stores_message(app, post_webhook):
    payload = text_message_envelope("989121111111", "سلام", name="Sara")
    response = post_webhook(payload)
    assert response.status_code == 200
    [message] = stored_messages(app)
    assert message.text == "سلام"
    assert message.message_type == "text"
    assert message.wamid == payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


def test_missing_signature_is_401_and_stores_nothing(app, post_webhook):
    response = post_webhook(text_message_envelope("989121111111", "hi"), signature="")
    assert response.status_code == 401
    assert count(app, ReceivedMessageLog) == 0
    assert count(app, Contact) == 0


def _body() -> bytes:
    return json.dumps(text_message_envelope("989121111111", "hi")).encode()


@pytest.mark.parametrize(
    "make_signature",
    [
        lambda body: "sha256=" + "0" * 64,
        lambda body: sign_payload(body, APP_SECRET)[:-8],
        lambda body: sign_payload(body, APP_SECRET).replace("sha256=", "sha1="),
        lambda body: sign_payload(body, APP_SECRET).removeprefix("sha256="),
        lambda body: sign_payload(body, "another-apps-secret"),
        lambda body: sign_payload(body + b" ", APP_SECRET),
        lambda body: "sha256=not-hex-at-all-ünïcode",
    ],
    ids=["wrong", "truncated", "wrong-prefix", "no-prefix", "other-secret", "body-changed-after-signing", "garbage"],
)
def test_bad_signature_is_403_and_stores_nothing(app, post_webhook, make_signature):
    body = _body()
    response = post_webhook(body, signature=make_signature(body))
    assert response.status_code == 403
    assert count(app, ReceivedMessageLog) == 0
    assert count(app, Contact) == 0


# --- Bad bodies --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{", b"\xff\xfe\x00garbage", b"[" * 100000 + b"]" * 100000, b""],
    ids=["text", "truncated", "invalid-utf8", "deep-nesting", "empty"],
)
def test_body_that_is_not_json_is_400(app, post_webhook, body):
    response = post_webhook(body)
    assert response.status_code == 400
    assert response.is_json and "error" in response.get_json()
    assert count(app, ReceivedMessageLog) == 0


@pytest.mark.parametrize(
    "payload",
    [[], {}, {"object": "page", "entry": []}, {"object": "whatsapp_business_account"},
     {"object": "whatsapp_business_account", "entry": "x"}, "string", 42, None],
    ids=["list", "empty-object", "wrong-object", "no-entry", "entry-not-list", "string", "number", "null"],
)
def test_json_that_is_not_an_envelope_is_400(app, post_webhook, payload):
    response = post_webhook(payload)
    assert response.status_code == 400
    assert count(app, ReceivedMessageLog) == 0


def test_huge_body_is_413_and_stores_nothing(app, post_webhook):
    payload = text_message_envelope("989121111111", "x" * (3 * 1024 * 1024 + 10))
    response = post_webhook(payload)
    assert response.status_code == 413
    assert count(app, ReceivedMessageLog) == 0


def test_malformed_items_are_skipped_and_valid_ones_stored(app, post_webhook):
    good = inbound_message("989121111111", "text", {"body": "ok"})
    payload = envelope(messages_change(
        [{"type": "text"}, {"id": 5, "from": []}, "not-a-dict", good, {"from": "98912", "type": "text"}],
        [{"profile": "nope", "wa_id": "989121111111"}],
        statuses=[{"status": "read"}, 7],
    ))
    response = post_webhook(payload)
    assert response.status_code == 200
    assert [m.wamid for m in stored_messages(app)] == [good["id"]]


# --- Message types ----------------------------------------------------------------------

MESSAGE_TYPES = [
    ("text", {"body": "Hello there"}, "Hello there"),
    ("image", {"id": "m1", "mime_type": "image/jpeg", "caption": "عکس محصول"}, "عکس محصول"),
    ("video", {"id": "m2", "mime_type": "video/mp4"}, None),
    ("audio", {"id": "m3", "mime_type": "audio/ogg", "voice": True}, None),
    ("document", {"id": "m4", "filename": "invoice.pdf"}, "invoice.pdf"),
    ("sticker", {"id": "m5", "animated": False}, None),
    ("location", {"latitude": 35.7, "longitude": 51.4, "name": "Tehran shop"}, "Tehran shop"),
    ("button", {"text": "Yes please", "payload": "YES"}, "Yes please"),
    ("reaction", {"message_id": "wamid.X", "emoji": "👍"}, "👍"),
    ("order", {"catalog_id": "1", "text": "two of these", "product_items": []}, "two of these"),
    ("system", {"body": "User changed number", "type": "user_changed_number"}, "User changed number"),
    ("unsupported", None, None),
    ("hologram", {"depth": 3}, None),
]


@pytest.mark.parametrize(("kind", "content", "expected_text"), MESSAGE_TYPES, ids=[m[0] for m in MESSAGE_TYPES])
def test_every_message_type_is_stored(app, post_webhook, kind, content, expected_text):
    message = inbound_message("989121111111", kind, content)
    response = post_webhook(envelope(messages_change([message], [{"profile": {"name": "A"}, "wa_id": "989121111111"}])))
    assert response.status_code == 200
    [stored] = stored_messages(app)
    assert stored.message_type == kind
    assert stored.text == expected_text
    assert stored.payload == message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ({"type": "button_reply", "button_reply": {"id": "b1", "title": "پیگیری سفارش"}}, "پیگیری سفارش"),
        ({"type": "list_reply", "list_reply": {"id": "l1", "title": "Prices", "description": "d"}}, "Prices"),
        ({"type": "nfm_reply", "nfm_reply": {"name": "flow", "body": "Sent", "response_json": "{}"}}, "Sent"),
    ],
    ids=["button-reply", "list-reply", "flow-reply"],
)
def test_interactive_replies_keep_their_title(app, post_webhook, content, expected):
    post_webhook(envelope(messages_change([inbound_message("989121111111", "interactive", content)], [])))
    [stored] = stored_messages(app)
    assert stored.text == expected


def test_contacts_message_text_lists_names(app, post_webhook):
    message = inbound_message("989121111111", "contacts", None)
    message["contacts"] = [{"name": {"formatted_name": "Ali Rezaei"}}, {"name": {"formatted_name": "Mina"}}]
    post_webhook(envelope(messages_change([message], [])))
    assert stored_messages(app)[0].text == "Ali Rezaei, Mina"


# --- Contacts ----------------------------------------------------------------------------


def test_contact_is_upserted_with_profile_name_and_last_inbound(app, post_webhook):
    post_webhook(text_message_envelope("989122222222", "one", name="Old Name", timestamp=1_700_000_000))
    post_webhook(text_message_envelope("989122222222", "two", name="New Name", timestamp=1_700_000_500))
    post_webhook(text_message_envelope("989122222222", "late", name=None, timestamp=1_699_999_000))
    with app.extensions["whatsapp_platform"].session_factory() as session:
        [contact] = session.scalars(select(Contact)).all()
    assert contact.profile_name == "New Name"
    assert contact.name is None  # the operator's name: the webhook never writes it
    assert contact.last_inbound_at == datetime.fromtimestamp(1_700_000_500, UTC)
    assert contact.first_inbound_at == datetime.fromtimestamp(1_700_000_000, UTC)


# --- Batches -----------------------------------------------------------------------------


def test_batched_payload_stores_every_entry_change_and_item(app, post_webhook):
    first = [inbound_message(f"98912000000{i}", "text", {"body": f"m{i}"}) for i in range(3)]
    second = [inbound_message("989120000009", "image", {"id": "x"})]
    statuses = [status_item(new_wamid(), "delivered", "989120000001") for _ in range(2)]
    payload = {
        "object": "whatsapp_business_account",
        "entry": [
            {"id": "1", "changes": [messages_change(first, []), messages_change([], None, statuses)]},
            {"id": "2", "changes": [messages_change(second, [])]},
        ],
    }
    assert post_webhook(payload).status_code == 200
    assert len(stored_messages(app)) == 4
    assert count(app, MessageStatusEvent) == 2
    assert count(app, Contact) == 4


# --- Idempotency ----------------------------------------------------------------------------


def test_same_webhook_three_times_stores_once(app, post_webhook):
    payload = text_message_envelope("989123333333", "سلام")
    for _ in range(3):
        assert post_webhook(payload).status_code == 200
    assert count(app, ReceivedMessageLog) == 1
    assert count(app, Contact) == 1


def test_same_webhook_concurrently_stores_once(app):
    payload = envelope(messages_change(
        [inbound_message("989124444444", "text", {"body": "hi"})],
        [{"profile": {"name": "C"}, "wa_id": "989124444444"}],
        statuses=[status_item(new_wamid(), "sent", "989124444444")],
    ))
    body = json.dumps(payload).encode()
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    results: list[int] = []
    barrier = threading.Barrier(6)

    def deliver() -> None:
        client = app.test_client()
        barrier.wait()
        results.append(client.post("/webhook", data=body, headers=headers).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 6
    assert count(app, ReceivedMessageLog) == 1
    assert count(app, MessageStatusEvent) == 1
    assert count(app, Contact) == 1


# --- Statuses ---------------------------------------------------------------------------


def _queued_send(app, wamid: str, wa_id: str = "989125555555") -> int:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        contact = Contact(wa_id=wa_id, attributes={})
        row = ScheduledMessage(contact=contact, body="hello", status="sent", wamid=wamid)
        session.add(row)
        session.commit()
        return row.id


def _row(app, row_id: int) -> ScheduledMessage:
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.get(ScheduledMessage, row_id)


def test_statuses_move_forward_and_never_back(app, post_webhook):
    wamid = new_wamid()
    row_id = _queued_send(app, wamid)
    post_webhook(status_envelope(status_item(wamid, "read", "989125555555", timestamp=1_700_000_100)))
    post_webhook(status_envelope(status_item(wamid, "delivered", "989125555555", timestamp=1_700_000_050)))
    row = _row(app, row_id)
    assert row.status == "read"
    assert row.read_at == datetime.fromtimestamp(1_700_000_100, UTC)
    assert row.delivered_at == datetime.fromtimestamp(1_700_000_050, UTC)
    assert count(app, MessageStatusEvent) == 2


def test_failed_status_records_error(app, post_webhook):
    wamid = new_wamid()
    row_id = _queued_send(app, wamid)
    failed = status_item(wamid, "failed", "989125555555", error_code=131026, error_title="Undeliverable")
    post_webhook(status_envelope(failed))
    row = _row(app, row_id)
    assert (row.status, row.last_error_code, row.last_error_title) == ("failed", 131026, "Undeliverable")
    assert row.failed_at is not None


def test_failed_after_delivered_keeps_delivered(app, post_webhook):
    wamid = new_wamid()
    row_id = _queued_send(app, wamid)
    post_webhook(status_envelope(status_item(wamid, "delivered", "989125555555")))
    post_webhook(status_envelope(status_item(wamid, "failed", "989125555555", error_code=131000)))
    assert _row(app, row_id).status == "delivered"


def test_played_counts_as_read(app, post_webhook):
    wamid = new_wamid()
    row_id = _queued_send(app, wamid)
    post_webhook(status_envelope(status_item(wamid, "played", "989125555555")))
    assert _row(app, row_id).status == "read"


def test_status_for_unknown_wamid_is_recorded(app, post_webhook):
    wamid = new_wamid()
    assert post_webhook(status_envelope(status_item(wamid, "delivered", "989120000000"))).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        event = session.scalars(select(MessageStatusEvent)).one()
    assert (event.wamid, event.status) == (wamid, "delivered")


def test_marketing_opt_out_error_marks_contact(app, post_webhook):
    wamid = new_wamid()
    _queued_send(app, wamid, wa_id="989126666666")
    post_webhook(status_envelope(status_item(wamid, "failed", "989126666666", error_code=131050)))
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Contact.opted_out)).one() is True


# --- Other fields -----------------------------------------------------------------------


def test_user_preferences_stop_and_resume(app, post_webhook):
    def preference(value: str) -> dict:
        return envelope({"field": "user_preferences", "value": {"messaging_product": "whatsapp", "user_preferences": [
            {"wa_id": "989127777777", "detail": "x", "category": "marketing_messages", "value": value,
             "timestamp": 1_700_000_000}]}})

    assert post_webhook(preference("stop")).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Contact.opted_out)).one() is True
    post_webhook(preference("resume"))
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Contact.opted_out)).one() is False


@pytest.mark.parametrize(
    "field", ["message_template_status_update", "account_update", "smb_message_echoes", "new_field"]
)
def test_other_fields_are_accepted(app, post_webhook, field):
    response = post_webhook(envelope({"field": field, "value": {"event": "APPROVED", "message_template_id": 1}}))
    assert response.status_code == 200
    assert count(app, ReceivedMessageLog) == 0


# --- Database failures ------------------------------------------------------------------


def test_database_down_answers_503_never_200(app, post_webhook, monkeypatch):
    platform = app.extensions["whatsapp_platform"]
    from database_setup import create_engine_for, create_session_factory

    dead = create_engine_for("postgresql+psycopg2://nobody@127.0.0.1:1/none")
    monkeypatch.setattr(platform, "engine", dead)
    monkeypatch.setattr(platform, "session_factory", create_session_factory(dead))
    for writer in (platform.status_writer, platform.text_writer):  # PostgreSQL's one- and two-statement paths
        if writer is not None:
            monkeypatch.setattr(writer, "engine", dead)
    response = post_webhook(text_message_envelope("989128888888", "hello"))
    assert response.status_code == 503
    assert client_health(app) == 503


def client_health(app) -> int:
    return app.test_client().get("/healthz").status_code


def test_health_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
