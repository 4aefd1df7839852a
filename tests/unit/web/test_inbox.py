"""The team inbox through Flask's test client: every conversation with filters and search, taking and
assigning, notes, the operator on the bubble, saved replies with placeholders, and the live updates.

The operator of a request is whoever logged in: `acting(operator)` logs the client in again as
that operator through the login form, so the tests are an admin or an agent as the dashboard sees them.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from dashboard_testing import log_in, operator_id, post_form
from sqlalchemy import select

from accounts.operators import create_operator
from database_models import (
    STATE_BOT,
    STATE_HANDOFF,
    AuditEvent,
    Contact,
    ConversationNote,
    ConversationState,
    Operator,
    ReceivedMessageLog,
    SavedReply,
    ScheduledMessage,
    utcnow,
)
from inbound.sample_payloads import text_message_envelope
from web.dashboard.inbox_list import PAGE_SIZE
from web.dashboard.inbox_pages import MAX_UPDATE_ITEMS
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

# --- helpers ------------------------------------------------------------------------------------


def add_contact(db, wa_id, name, *, inbound_ago=None, username=None, user_id=None, **fields) -> Contact:
    contact = Contact(wa_id=wa_id, name=name, username=username, user_id=user_id, attributes=fields.pop("attributes",
                                                                                                        {}))
    if inbound_ago is not None:
        contact.last_inbound_at = contact.first_inbound_at = utcnow() - inbound_ago
    db.add(contact)
    db.commit()
    return contact


def say(db, contact, text, ago=timedelta(minutes=1), sentiment=None) -> ReceivedMessageLog:
    at = utcnow() - ago
    message = ReceivedMessageLog(wamid=f"wamid.{contact.id}.{at.timestamp()}.{len(text)}", contact_id=contact.id,
                                 message_type="text", text=text, payload={}, wa_timestamp=at, received_at=at,
                                 sentiment=sentiment)
    db.add(message)
    contact.last_inbound_at = max(contact.last_inbound_at or at, at)
    db.commit()
    return message


def hand_off(db, contact, ago=timedelta(minutes=5), assigned=None) -> None:
    since = utcnow() - ago
    db.add(ConversationState(contact_id=contact.id, state=STATE_HANDOFF, handoff_since=since,
                             expires_at=since + timedelta(hours=24), assigned_operator_id=assigned))
    db.commit()


OPERATOR_PASSWORD = "inbox-test-password"


def add_operator(db, username, role="agent", display_name=None, disabled_at=None) -> Operator:
    """An operator as `flask … users create` makes one (disabled afterwards when `disabled_at`)."""
    operator = create_operator(db, username, OPERATOR_PASSWORD, role, display_name)
    operator.disabled_at = disabled_at
    db.commit()
    return operator


def listed(client, query="") -> list[int]:
    html = client.get(f"/dashboard/inbox{query}").get_data(as_text=True)
    return [int(found) for found in re.findall(r'data-contact="(\d+)"', html)]


def state_of(db, contact) -> ConversationState | None:
    """The contact's conversation state as stored now (the read transaction ended: see conftest's `db`)."""
    state = db.get(ConversationState, contact.id, populate_existing=True)
    db.commit()
    return state


def rows(db, query) -> list:
    found = db.scalars(query.execution_options(populate_existing=True)).all()
    db.commit()
    return found


def actions(db) -> list[tuple]:
    """The audit trail's inbox actions (the tests' own logins and logouts left out)."""
    db.commit()
    return [(event.action, event.operator_id, event.subject_id)
            for event in rows(db, select(AuditEvent).order_by(AuditEvent.id))
            if not event.action.startswith(("login.", "logout"))]


@pytest.fixture
def acting(logged_in):
    """`acting(operator)`: the `logged_in` client logs in again as `operator`."""
    return _acting_as(logged_in)


def log_out(client) -> None:
    assert post_form(client, "/dashboard/logout", page="/dashboard").status_code == 302


def _acting_as(client):
    def act(operator: Operator) -> None:
        log_out(client)
        assert log_in(client, OPERATOR_PASSWORD, operator.username).status_code == 302

    return act


@pytest.fixture
def graph_client(test_config, fake_graph, engine, db):
    """A logged-in client of an app sending through pywa to the fake Graph API, with `acting` of its own."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    app = create_app(test_config, sender=sender)
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert log_in(client).status_code == 302
    client.act = _acting_as(client)
    yield client
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


# --- the list -----------------------------------------------------------------------------------

def test_every_conversation_is_listed_newest_activity_first_and_broadcasts_alone_are_not(logged_in, db):
    old = add_contact(db, "989120000001", "Old")
    say(db, old, "hello from last week", ago=timedelta(days=7))
    recent = add_contact(db, "989120000002", "Recent")
    say(db, recent, "hi", ago=timedelta(minutes=2))
    waiting = add_contact(db, "989120000003", "Waiting")
    say(db, waiting, "a person please", ago=timedelta(hours=1))
    hand_off(db, waiting, ago=timedelta(minutes=1))
    only_broadcast = add_contact(db, "989120000004", "Broadcast only")
    db.add(ScheduledMessage(contact_id=only_broadcast.id, kind="broadcast", body="sale!", status="sent",
                            sent_at=utcnow()))
    db.commit()
    assert listed(logged_in) == [waiting.id, recent.id, old.id]


def test_the_list_is_paged(logged_in, db):
    contacts = [add_contact(db, f"98912{index:07d}", f"Customer {index}") for index in range(PAGE_SIZE + 3)]
    for minutes, contact in enumerate(contacts):
        say(db, contact, "hi", ago=timedelta(minutes=minutes))
    first, second = listed(logged_in), listed(logged_in, "?page=2")
    assert first == [contact.id for contact in contacts[:PAGE_SIZE]] and second == [c.id for c in contacts[PAGE_SIZE:]]
    assert listed(logged_in, "?page=99") == second  # past the end: the last page
    assert "Page 2 of 2" in logged_in.get("/dashboard/inbox?page=2").get_data(as_text=True)


@pytest.fixture
def scene(db):
    """Six conversations, one of each kind the filters tell apart."""
    me, colleague = add_operator(db, "maryam"), add_operator(db, "reza")
    people = {}
    people["bot_happy"] = add_contact(db, "989120000011", "Happy")
    say(db, people["bot_happy"], "thanks!", ago=timedelta(hours=30), sentiment="positive")
    people["bot_angry"] = add_contact(db, "989120000012", "Angry")
    say(db, people["bot_angry"], "it arrived broken", ago=timedelta(hours=2), sentiment="negative")
    people["was_angry"] = add_contact(db, "989120000013", "Calmer")
    say(db, people["was_angry"], "this is awful", ago=timedelta(hours=3), sentiment="negative")
    say(db, people["was_angry"], "ok thanks, solved", ago=timedelta(hours=1), sentiment="positive")
    people["waiting"] = add_contact(db, "989120000014", "Waiting")
    say(db, people["waiting"], "a person please", ago=timedelta(minutes=30))
    hand_off(db, people["waiting"])
    people["mine"] = add_contact(db, "989120000015", "Mine")
    say(db, people["mine"], "where is my order", ago=timedelta(minutes=20))
    hand_off(db, people["mine"], assigned=me.id)
    people["theirs"] = add_contact(db, "989120000016", "Theirs")
    say(db, people["theirs"], "size 38?", ago=timedelta(minutes=10))
    hand_off(db, people["theirs"], assigned=colleague.id)
    db.get(ConversationState, people["theirs"].id).read_at = utcnow()  # the team has read it
    db.commit()
    return me, {name: contact.id for name, contact in people.items()}


@pytest.mark.parametrize(("show", "expected"), [
    ("waiting", ["waiting", "mine", "theirs"]),  # the longest-waiting first
    ("mine", ["mine"]),
    ("unassigned", ["waiting"]),
    ("bot", ["was_angry", "bot_angry", "bot_happy"]),
    ("unread", ["mine", "waiting", "was_angry", "bot_angry", "bot_happy"]),
    ("negative", ["bot_angry"]),  # the last message counts: "Calmer" is not negative any more
    ("window", ["theirs", "mine", "waiting", "was_angry", "bot_angry"]),
])
def test_each_filter_shows_its_conversations(logged_in, acting, scene, show, expected):
    me, ids = scene
    acting(me)
    found = listed(logged_in, f"?show={show}")
    if show == "waiting":
        assert sorted(found) == sorted(ids[name] for name in expected)
    else:
        assert found == [ids[name] for name in expected]


def test_an_unknown_filter_or_page_shows_everything_not_an_error(logged_in, scene):
    answer = logged_in.get("/dashboard/inbox?show=%3Cscript%3E&page=-3")
    assert answer.status_code == 200 and len(re.findall(r'data-contact="', answer.get_data(as_text=True))) == 6


@pytest.mark.parametrize(("query", "who"), [
    ("سارا", "sara"), ("ساراﻱ", None), ("0912 000 0021", "sara"), ("۰۹۱۲۰۰۰۰۰۲۱", "sara"), ("+98 912 000 0022", "kian"),
    ("@kian_shop", "kian"), ("US.1234567890", "hidden"), ("BROKEN", "hidden"), ("زیپ کیف", "sara"),
    ("100%", None), ("_", "kian"), ("a_s", None),  # LIKE wildcards are plain characters
])
def test_search_finds_names_numbers_usernames_bsuids_and_message_text(logged_in, db, query, who):
    people = {"sara": add_contact(db, "989120000021", "سارا کریمی"),
              "kian": add_contact(db, "989120000022", "Kian", username="kian_shop"),
              "hidden": add_contact(db, None, None, user_id="US.1234567890")}
    say(db, people["sara"], "زیپ کیف خراب است")
    say(db, people["kian"], "hello")
    say(db, people["hidden"], "The box was broken")
    from urllib.parse import quote
    assert listed(logged_in, f"?q={quote(query)}") == ([people[who].id] if who else [])


# --- taking, assigning, handing back -------------------------------------------------------------

def test_an_agent_takes_a_conversation_from_the_bot_and_the_bot_stays_silent(logged_in, acting, db, post_webhook):
    agent = add_operator(db, "maryam", display_name="Maryam")
    contact = add_contact(db, "989120000031", "Sara")
    say(db, contact, "سلام")
    acting(agent)
    answer = post_form(logged_in, f"/dashboard/inbox/{contact.id}/take")
    assert answer.status_code == 302
    state = state_of(db, contact)
    assert (state.state, state.assigned_operator_id, state.taken_by_operator_id, state.expires_at) == \
        (STATE_HANDOFF, agent.id, agent.id, None)
    assert ("conversation.taken", agent.id, str(contact.id)) in actions(db)
    page = logged_in.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert "Assigned to Maryam" in page and "Hand back to the bot" in page
    assert f'data-contact="{contact.id}"' in logged_in.get("/dashboard/inbox?show=mine").get_data(as_text=True)

    assert post_webhook(text_message_envelope(contact.wa_id, "قیمت کفش چنده؟", name="Sara")).status_code == 200
    assert rows(db, select(ScheduledMessage).where(ScheduledMessage.contact_id == contact.id)) == []


def test_an_admin_assigns_to_an_active_operator_and_an_agent_may_not(logged_in, acting, db):
    admin, agent = add_operator(db, "boss", role="admin"), add_operator(db, "maryam", display_name="Maryam")
    gone = add_operator(db, "left", disabled_at=utcnow())
    contact = add_contact(db, "989120000032", "Sara")
    say(db, contact, "hi")
    acting(agent)
    refused = post_form(logged_in, f"/dashboard/inbox/{contact.id}/assign", {"operator_id": str(agent.id)})
    assert refused.status_code == 403 and state_of(db, contact) is None
    acting(admin)
    page = logged_in.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert f'<option value="{agent.id}">Maryam</option>' in page and ">left<" not in page
    for bad in (str(gone.id), "999999", "abc", "99999999999"):
        answer = post_form(logged_in, f"/dashboard/inbox/{contact.id}/assign", {"operator_id": bad})
        assert "Choose an active operator." in logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    assert state_of(db, contact).assigned_operator_id is None
    post_form(logged_in, f"/dashboard/inbox/{contact.id}/assign", {"operator_id": str(agent.id)})
    state = state_of(db, contact)
    assert (state.state, state.assigned_operator_id) == (STATE_HANDOFF, agent.id)
    assert ("conversation.assigned", admin.id, str(contact.id)) in actions(db)
    assert "With Maryam" in logged_in.get("/dashboard/inbox").get_data(as_text=True)


def test_handing_back_clears_the_assignee_and_the_next_bot_handoff_lands_unassigned(logged_in, acting, db,
                                                                                    post_webhook):
    agent = add_operator(db, "maryam")
    contact = add_contact(db, "989120000033", "Sara")
    say(db, contact, "hi")
    acting(agent)
    post_form(logged_in, f"/dashboard/inbox/{contact.id}/take")
    answer = post_form(logged_in, f"/dashboard/inbox/{contact.id}/release")
    assert answer.headers["Location"] == "/dashboard/inbox?show=waiting"
    state = state_of(db, contact)
    assert (state.state, state.assigned_operator_id, state.taken_by_operator_id) == (STATE_BOT, None, None)
    assert [action for action, *_ in actions(db)] == ["conversation.taken", "conversation.released"]

    post_webhook(text_message_envelope(contact.wa_id, "I want to talk to a real person please", name="Sara"))
    state = state_of(db, contact)
    assert (state.state, state.assigned_operator_id) == (STATE_HANDOFF, None)
    assert f'data-contact="{contact.id}"' in logged_in.get("/dashboard/inbox?show=unassigned").get_data(as_text=True)


# --- notes, the operator on the bubble, the read marker -------------------------------------------

def test_a_note_is_shown_in_the_thread_for_the_team_and_never_sent(graph_client, fake_graph, db):
    agent = add_operator(db, "maryam", display_name="Maryam")
    contact = add_contact(db, "989120000041", "Sara", inbound_ago=timedelta(minutes=5))
    say(db, contact, "first", ago=timedelta(minutes=5))
    graph_client.act(agent)
    post_form(graph_client, f"/dashboard/inbox/{contact.id}/notes", {"note": "  customer is a VIP <b>  "})
    say(db, contact, "second", ago=timedelta(seconds=0))
    [note] = rows(db, select(ConversationNote))
    assert (note.body, note.operator_id) == ("customer is a VIP <b>", agent.id)
    assert fake_graph.messages() == [] and rows(db, select(ScheduledMessage)) == []
    assert ("note.added", agent.id, str(contact.id)) in actions(db)
    page = graph_client.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert page.index("first") < page.index("customer is a VIP &lt;b&gt;") < page.index("second")
    assert 'data-kind="note">Team note · <bdi data-operator>Maryam</bdi>' in page
    empty = post_form(graph_client, f"/dashboard/inbox/{contact.id}/notes", {"note": "   "})
    assert "Write the note first." in graph_client.get(empty.headers["Location"]).get_data(as_text=True)
    assert len(rows(db, select(ConversationNote))) == 1


def test_an_operators_reply_shows_who_sent_it_and_is_recorded(graph_client, fake_graph, db):
    agent = add_operator(db, "maryam", display_name="Maryam")
    contact = add_contact(db, "989120000042", "Sara", inbound_ago=timedelta(minutes=5))
    say(db, contact, "hello?")
    graph_client.act(agent)
    post_form(graph_client, f"/dashboard/inbox/{contact.id}/reply", {"body": "Hi, Maryam here"})
    [row] = rows(db, select(ScheduledMessage))
    assert (row.kind, row.operator_id, row.status) == ("operator", agent.id, "sent")
    assert ("message.sent", agent.id, str(contact.id)) in actions(db)
    page = graph_client.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert 'data-kind="operator">Operator · <bdi data-operator>Maryam</bdi>' in page
    log_out(graph_client)
    assert log_in(graph_client).status_code == 302  # back as the test admin, who has no display name
    post_form(graph_client, f"/dashboard/inbox/{contact.id}/reply", {"body": "Second"})
    admin_id = operator_id(graph_client.application, "admin")
    assert rows(db, select(ScheduledMessage.operator_id).order_by(ScheduledMessage.id)) == [agent.id, admin_id]
    page = graph_client.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert 'data-kind="operator">Operator · <bdi data-operator>admin</bdi>' in page


def test_opening_or_answering_a_thread_marks_it_read_for_the_team(logged_in, db):
    contact = add_contact(db, "989120000043", "Sara")
    say(db, contact, "hi")
    assert listed(logged_in, "?show=unread") == [contact.id]
    logged_in.get(f"/dashboard/inbox/{contact.id}")
    assert listed(logged_in, "?show=unread") == []
    say(db, contact, "anyone there?", ago=timedelta(seconds=-1))
    assert listed(logged_in, "?show=unread") == [contact.id]
    assert 'class="inbox-row unread"' in logged_in.get("/dashboard/inbox").get_data(as_text=True)


# --- saved replies --------------------------------------------------------------------------------

def test_saved_replies_are_added_edited_and_deleted_with_a_record(logged_in, acting, db):
    agent = add_operator(db, "maryam")
    acting(agent)
    answer = post_form(logged_in, "/dashboard/replies", {"shortcut": "/Shipping", "body": "Sent today, {first_name}!"},
                       page="/dashboard/replies")
    assert answer.status_code == 302
    [reply] = rows(db, select(SavedReply))
    assert (reply.shortcut, reply.body, reply.created_by) == ("shipping", "Sent today, {first_name}!", agent.id)
    page = logged_in.get("/dashboard/replies").get_data(as_text=True)
    assert "/shipping" in page and "Sent today, {first_name}!" in page
    post_form(logged_in, f"/dashboard/replies/{reply.id}", {"shortcut": "ship", "body": "On its way"},
              page="/dashboard/replies")
    [changed] = rows(db, select(SavedReply))
    assert (changed.shortcut, changed.body) == ("ship", "On its way")
    post_form(logged_in, f"/dashboard/replies/{reply.id}/delete", page="/dashboard/replies")
    assert rows(db, select(SavedReply)) == []
    assert [(action, operator) for action, operator, _ in actions(db)] == [
        ("saved_reply.created", agent.id), ("saved_reply.updated", agent.id), ("saved_reply.deleted", agent.id)]


@pytest.mark.parametrize(("shortcut", "body", "problem"), [
    ("two words", "text", "one word of letters and digits"),
    ("", "text", "one word of letters and digits"),
    ("x" * 65, "text", "one word of letters and digits"),
    ("ok", "   ", "Write the reply&#39;s text."),
    ("ok", "Hi {name", "A placeholder is written wrongly"),
    ("ok", "Hi {nickname}", "Unknown placeholder: {nickname}. The reply was not saved."),
    ("taken", "text", "The shortcut /taken is taken already."),
])
def test_a_bad_saved_reply_is_explained_and_nothing_changes(logged_in, db, shortcut, body, problem):
    db.add(SavedReply(shortcut="taken", body="already here"))
    db.commit()
    answer = post_form(logged_in, "/dashboard/replies", {"shortcut": shortcut, "body": body}, page="/dashboard/replies")
    assert answer.status_code == 400 and problem in answer.get_data(as_text=True)
    assert rows(db, select(SavedReply.shortcut)) == ["taken"]
    assert actions(db) == []


def test_editing_or_deleting_a_missing_saved_reply_is_a_404(logged_in):
    assert post_form(logged_in, "/dashboard/replies/12345", {"shortcut": "a", "body": "b"},
                     page="/dashboard/replies").status_code == 404
    assert post_form(logged_in, "/dashboard/replies/12345/delete", page="/dashboard/replies").status_code == 404
    assert logged_in.get("/dashboard/replies?edit=12345").status_code == 404


def test_a_saved_reply_is_offered_in_the_thread_and_its_placeholders_are_filled_on_sending(graph_client, fake_graph,
                                                                                           db):
    contact = add_contact(db, "989120000051", "Sara Karimi", inbound_ago=timedelta(minutes=5),
                          attributes={"city": "Shiraz"})
    nameless = add_contact(db, "989120000052", None, inbound_ago=timedelta(minutes=5))
    reply = SavedReply(shortcut="hello", body="Hi {first_name|there}, shipping to {city|your city} is free.")
    db.add(reply)
    db.commit()
    page = graph_client.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert f'<option value="{reply.id}" data-body="Hi {{first_name|there}}, shipping' in page
    prefilled = graph_client.get(f"/dashboard/inbox/{contact.id}?reply={reply.id}").get_data(as_text=True)
    assert ">Hi {first_name|there}, shipping to {city|your city} is free.</textarea>" in prefilled  # without script
    for someone in (contact, nameless):
        post_form(graph_client, f"/dashboard/inbox/{someone.id}/reply", {"body": reply.body})
    assert [message["text"] for message in fake_graph.messages()] == [
        "Hi Sara, shipping to Shiraz is free.", "Hi there, shipping to your city is free."]


@pytest.mark.parametrize(("body", "problem"), [
    ("Hi {nickname}", "Unknown placeholder: {nickname}. Nothing was sent."),
    ("Hi {first_name", "A placeholder is written wrongly"),
    ("{first_name}", "Write a message first."),  # a nameless contact and no fallback: nothing left to send
])
def test_a_reply_with_a_bad_placeholder_is_refused_and_nothing_is_sent(graph_client, fake_graph, db, body, problem):
    contact = add_contact(db, "989120000053", None, inbound_ago=timedelta(minutes=5))
    answer = post_form(graph_client, f"/dashboard/inbox/{contact.id}/reply", {"body": body})
    assert problem in graph_client.get(answer.headers["Location"]).get_data(as_text=True)
    assert rows(db, select(ScheduledMessage)) == [] and fake_graph.messages() == []
    assert actions(db) == []


# --- live updates ---------------------------------------------------------------------------------

def test_the_updates_bring_what_came_after_the_page_and_mark_it_read(logged_in, acting, db):
    agent = add_operator(db, "maryam", display_name="Maryam")
    contact = add_contact(db, "989120000061", "Sara", inbound_ago=timedelta(minutes=5))
    say(db, contact, "first", ago=timedelta(minutes=5))
    page = logged_in.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    cursor = re.search(r'data-cursor="([^"]+)"', page).group(1)
    url = f"/dashboard/inbox/{contact.id}/updates?after={cursor}"
    assert logged_in.get(url).get_json() == {"cursor": cursor, "items": []}

    second = say(db, contact, "<i>second</i>", ago=timedelta(seconds=0))
    acting(agent)
    post_form(logged_in, f"/dashboard/inbox/{contact.id}/notes", {"note": "checking the warehouse"})
    update = logged_in.get(url).get_json()
    assert [item["key"] for item in update["items"]][0] == f"in-{second.id}"
    assert "&lt;i&gt;second&lt;/i&gt;" in update["items"][0]["html"] and "<i>" not in update["items"][0]["html"]
    assert "checking the warehouse" in update["items"][1]["html"] and "Maryam" in update["items"][1]["html"]
    assert logged_in.get(f"/dashboard/inbox/{contact.id}/updates?after={update['cursor']}").get_json()["items"] == []
    assert listed(logged_in, "?show=unread") == []  # the open thread showed it


def test_a_burst_of_messages_comes_in_pages_of_updates_and_none_is_skipped(logged_in, db):
    contact = add_contact(db, "989120000066", "Sara")
    first = say(db, contact, "before the page", ago=timedelta(minutes=10))
    burst = [say(db, contact, f"message {number}", ago=timedelta(minutes=5) - timedelta(seconds=number))
             for number in range(MAX_UPDATE_ITEMS + 10)]
    cursor, seen = f"{first.id}.0.0", []
    while True:
        update = logged_in.get(f"/dashboard/inbox/{contact.id}/updates?after={cursor}").get_json()
        if not update["items"]:
            break
        assert len(update["items"]) <= MAX_UPDATE_ITEMS
        seen += [item["key"] for item in update["items"]]
        cursor = update["cursor"]
    assert seen == [f"in-{message.id}" for message in burst]


@pytest.mark.parametrize("after", ["", "1.2", "a.b.c", "1.2.3.4", "-1.0.0", "9" * 30 + ".0.0"])
def test_a_bad_cursor_is_a_400_with_a_reason(logged_in, db, after):
    contact = add_contact(db, "989120000062", "Sara")
    answer = logged_in.get(f"/dashboard/inbox/{contact.id}/updates?after={after}")
    assert answer.status_code == 400 and "cursor" in answer.get_json()["error"]


def test_updates_of_an_unknown_contact_are_a_404(logged_in):
    assert logged_in.get("/dashboard/inbox/424242/updates?after=0.0.0").status_code == 404


def test_the_list_refresh_sees_a_new_message(logged_in, db):
    contact = add_contact(db, "989120000063", "Sara")
    before = logged_in.get("/dashboard/inbox/activity").get_json()["activity"]
    page = logged_in.get("/dashboard/inbox").get_data(as_text=True)
    assert f'data-seen="{before}"' in page
    say(db, contact, "new")
    assert logged_in.get("/dashboard/inbox/activity").get_json()["activity"] != before


def test_the_inbox_script_is_served_and_the_only_script_allowed_is_the_apps(logged_in, db):
    contact = add_contact(db, "989120000064", "Sara")
    answer = logged_in.get(f"/dashboard/inbox/{contact.id}")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "connect-src 'self'" in policy and "unsafe-inline" not in policy
    assert '<script src="/static/inbox.js" defer></script>' in answer.get_data(as_text=True)
    assert "followThread" in logged_in.get("/static/inbox.js").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/take", "/assign", "/notes", "/release"])
def test_every_action_needs_the_csrf_token(logged_in, db, path):
    contact = add_contact(db, "989120000065", "Sara")
    answer = logged_in.post(f"/dashboard/inbox/{contact.id}{path}", data={"note": "x", "operator_id": ""})
    assert answer.status_code == 400
    assert state_of(db, contact) is None and actions(db) == []


@pytest.mark.parametrize("query", ["%00", "a%00b", "%F0%9F%98%80", "x" * 300, "%25%5F%5C"])
def test_an_odd_search_is_answered_not_a_500(logged_in, db, query):
    contact = add_contact(db, "989120000067", "Sara")
    say(db, contact, "hi")
    assert logged_in.get(f"/dashboard/inbox?q={query}").status_code == 200


@pytest.mark.parametrize(("path", "field", "page"), [
    ("/dashboard/inbox/{id}/notes", "note", "/dashboard/inbox"),
    ("/dashboard/inbox/{id}/reply", "body", "/dashboard/inbox"),
    ("/dashboard/replies", "body", "/dashboard/replies"), ("/dashboard/replies", "shortcut", "/dashboard/replies"),
])
def test_a_nul_character_in_a_form_is_refused_not_a_500(logged_in, db, path, field, page):
    contact = add_contact(db, "989120000068", "Sara", inbound_ago=timedelta(minutes=1))
    data = {"note": "ok", "body": "ok", "shortcut": "ok", field: "bad\x00text"}
    answer = post_form(logged_in, path.format(id=contact.id), data, page=page)
    shown = answer.get_data(as_text=True) if answer.status_code == 400 else \
        logged_in.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The text holds a control character." in shown
    assert rows(db, select(ConversationNote)) == [] and rows(db, select(SavedReply)) == []
    assert rows(db, select(ScheduledMessage)) == []
