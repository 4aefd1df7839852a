"""A single text stored and answered in two round trips (text_writer, PostgreSQL) against the general path.

The same webhooks — new contacts, known ones with a stored state, a handoff, redeliveries, an
older profile name, a backlog message, texts whose decisions have other effects — posted
through an app with the fast path and one without it must leave the same rows: contacts,
messages with their intents, conversation states and replies (sent once). On SQLite only
the general path exists; the test still checks what both must give.
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from conftest import clean_tables
from sqlalchemy import Engine, select

from database_models import STATE_HANDOFF, Contact, ConversationState, ReceivedMessageLog, ScheduledMessage
from database_setup import create_session_factory
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload
from inbound.text_writer import single_text
from webhook_handler import create_app

NOW = int(time.time())


@pytest.fixture
def tables(engine: Engine):
    yield engine
    clean_tables(engine)


def _app(config: Any, fast: bool) -> Any:
    app = create_app(config.replace(fast_status_webhooks=fast))
    app.extensions["whatsapp_platform"].chatbot.rng = random.Random(17)  # the same variants in both runs
    views: list[str] = []
    app.before_request(lambda: views.append("view"))
    return app, views


def _post(app: Any, secret: str, payload: dict[str, Any]) -> int:
    import json

    body = json.dumps(payload, ensure_ascii=False).encode()
    return app.test_client().post("/webhook", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, secret)}).status_code


def _scenario(engine: Engine, app: Any, secret: str, prefix: str) -> list[int]:
    """Post the scenario's webhooks for contacts `prefix`+n; the statuses answered."""
    phone = [f"{prefix}{n:04d}" for n in range(6)]
    with create_session_factory(engine)() as session:  # a known contact with an operator's name; one in handoff
        known = Contact(wa_id=phone[2], name="Maryam", attributes={})
        handed = Contact(wa_id=phone[3], attributes={})
        session.add_all([known, handed])
        session.flush()
        session.add(ConversationState(contact_id=handed.id, state=STATE_HANDOFF, last_intent="human_agent",
                                      negative_in_a_row=1))
        session.commit()
    first = text_message_envelope(phone[0], "hello there", name="Sara", wamid=f"wamid.{prefix}.1", timestamp=NOW)
    posts = [
        first, first, first,  # a new contact, then two redeliveries: one message, one reply
        text_message_envelope(phone[0], "what time do you open?", name="Sara S", wamid=f"wamid.{prefix}.2",
                              timestamp=NOW + 1),  # the stored state changes, the name is newer
        text_message_envelope(phone[0], "qwzx vbnm", name="Old Name", wamid=f"wamid.{prefix}.3",
                              timestamp=NOW - 5),  # an older profile name is not taken
        text_message_envelope(phone[1], "سلام، قیمت کیف مشکی چنده؟", name="علی", wamid=f"wamid.{prefix}.4",
                              timestamp=NOW),
        text_message_envelope(phone[2], "thanks a lot", name="M", wamid=f"wamid.{prefix}.5", timestamp=NOW),
        text_message_envelope(phone[3], "hello?", wamid=f"wamid.{prefix}.6", timestamp=NOW),  # with a person
        text_message_envelope(phone[4], "hello", wamid=f"wamid.{prefix}.7", timestamp=NOW - 86400 * 3),  # backlog
        text_message_envelope(phone[5], "stop", wamid=f"wamid.{prefix}.8", timestamp=NOW),  # an opt-out
        text_message_envelope(phone[5], "I want to talk to a person", wamid=f"wamid.{prefix}.9", timestamp=NOW),
    ]
    return [_post(app, secret, payload) for payload in posts]


def _rows(engine: Engine, prefix: str) -> dict[str, list[tuple]]:
    """What the scenario stored, with the prefix taken out of identifiers and the ids as wamids."""
    def strip(value: Any) -> Any:
        return value.replace(prefix, "#") if isinstance(value, str) else value

    with create_session_factory(engine)() as session:
        contacts = session.scalars(select(Contact).where(Contact.wa_id.like(f"{prefix}%"))
                                   .order_by(Contact.wa_id)).all()
        ids = {contact.id: strip(contact.wa_id) for contact in contacts}
        messages = session.scalars(select(ReceivedMessageLog).where(ReceivedMessageLog.contact_id.in_(ids))
                                   .order_by(ReceivedMessageLog.wamid)).all()
        wamids = {message.id: strip(message.wamid) for message in messages}
        states = session.scalars(select(ConversationState).where(ConversationState.contact_id.in_(ids))).all()
        queue = session.scalars(select(ScheduledMessage).where(ScheduledMessage.contact_id.in_(ids))).all()
        return {
            "contacts": [(ids[c.id], c.name, c.profile_name, c.profile_name_updated_at, c.last_inbound_at,
                          c.first_inbound_at, c.opted_out, c.opted_out_source, c.user_id, c.username)
                         for c in contacts],
            "messages": [(wamids[m.id], ids[m.contact_id], m.message_type, m.text, m.intent, m.intent_confidence,
                          m.wa_timestamp, m.direction, m.imported, m.group_id, m.event_data,
                          {k: strip(v) for k, v in m.payload.items()}) for m in messages],
            "states": sorted((ids[s.contact_id], s.state, s.last_intent, s.handoff_since is not None,
                              s.expires_at is not None, s.negative_in_a_row, s.language) for s in states),
            "replies": sorted((ids[q.contact_id], wamids[q.in_reply_to_id], q.kind, q.body, q.status, q.attempts,
                               q.dry_run, q.wamid is not None) for q in queue),
        }


def test_single_text_is_only_a_plain_text_from_a_phone_number():
    assert single_text(text_message_envelope("989121110000", "hi")).wamid
    assert single_text(text_message_envelope(None, "hi", user_id="US.1234567890")) is None  # a BSUID: may merge
    assert single_text(text_message_envelope("989121110000", "hi", user_id="US.1234567890")) is None
    assert single_text({"object": "page"}) is None  # the view answers it 400
    two = text_message_envelope("989121110000", "hi")
    two["entry"].append(two["entry"][0])
    assert single_text(two) is None


def test_the_fast_path_and_the_general_path_leave_the_same_rows(database_url, test_config, tables):
    paths = [(True, "9891270"), (False, "9891280")] if database_url.startswith("postgresql") else [(False, "9891280")]
    stored, seen = {}, {}
    for fast, prefix in paths:
        app, views = _app(test_config, fast)
        try:
            assert _scenario(tables, app, test_config.whatsapp_app_secret, prefix) == [200] * 11
        finally:
            app.extensions["whatsapp_platform"].close()
        stored[fast], seen[fast] = _rows(tables, prefix), views
    rows = stored[False]
    # What both paths must give: one message per wamid, one reply per answered message, sent once.
    assert len(rows["messages"]) == 9 and len(rows["contacts"]) == 6
    replied = [reply[1] for reply in rows["replies"]]
    assert sorted(replied) == sorted(set(replied)) and "wamid.#.1" in replied and "wamid.#.6" not in replied
    assert "wamid.#.7" not in replied  # three days old: a replayed backlog gets no reply
    # Sent at once, or (a second reply to one contact within the pacing gap) left for the processor.
    assert {reply[4] for reply in rows["replies"] if reply[1] in ("wamid.#.1", "wamid.#.4")} == {"sent"}
    assert [c[2] for c in rows["contacts"]][:1] == ["Sara S"]  # the older "Old Name" did not replace it
    assert [state[1:3] for state in rows["states"] if state[0] == "#0003"] == [(STATE_HANDOFF, "human_agent")]
    assert not any(state[0] == "#0004" for state in rows["states"])  # the backlog text read no state
    assert [c[6] for c in rows["contacts"] if c[0] == "#0005"] == [True]
    if True in stored:
        assert stored[True] == rows
        # Only the opt-out and the request for a person (effects beyond the state) reached the view.
        assert len(seen[True]) == 2 and len(seen[False]) == 11


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)  # the fast path is PostgreSQL's
def test_a_failure_inside_the_fast_path_leaves_nothing_and_the_general_path_answers(test_config, tables,
                                                                                    monkeypatch):
    app, views = _app(test_config, True)
    platform = app.extensions["whatsapp_platform"]
    secret = test_config.whatsapp_app_secret
    try:
        def broken(*_: Any) -> Any:
            raise RuntimeError("a bug in the decision")

        monkeypatch.setattr(platform.chatbot, "decide_alone", broken)  # after the first statement, mid-transaction
        assert _post(app, secret, text_message_envelope("989127300001", "hello", wamid="wamid.BROKEN.1")) == 200
        assert views == ["view"]  # stored and answered by the general path
        monkeypatch.undo()
        for n in range(3):  # the pool hands out no connection left inside the failed transaction
            assert _post(app, secret, text_message_envelope(f"98912730001{n}", "hello", wamid=f"wamid.OK.{n}")) == 200
        assert views == ["view"]
    finally:
        platform.close()
    rows = _rows(tables, "9891273")
    assert [message[0] for message in rows["messages"]] == ["wamid.BROKEN.1", "wamid.OK.0", "wamid.OK.1",
                                                            "wamid.OK.2"]
    assert sorted(reply[1] for reply in rows["replies"]) == [message[0] for message in rows["messages"]]
