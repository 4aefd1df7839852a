"""The dashboard and handoff inbox through Flask's test client: login, CSRF, pages, operator actions."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, clean_tables
from dashboard_testing import ADMIN_PASSWORD, ADMIN_TOKEN, csrf_from, log_in, post_form
from freezegun import freeze_time
from sqlalchemy import select
from sqlalchemy.orm import Session

from database_models import (
    STATE_BOT,
    STATE_HANDOFF,
    Contact,
    ConversationState,
    DashboardSession,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)
from web.dashboard import inbox
from web.dashboard.inbox_list import InboxFilter, inbox_page
from webhook_handler import create_app
from whatsapp_service import WhatsAppService

# --- helpers ------------------------------------------------------------------------------------

def add_contact(db: Session, wa_id: str, name: str | None, *, last_inbound_ago: timedelta | None = None,
                handoff_ago: timedelta | None = None) -> Contact:
    now = utcnow()
    contact = Contact(wa_id=wa_id, name=name, attributes={})
    if last_inbound_ago is not None:
        contact.last_inbound_at = contact.first_inbound_at = now - last_inbound_ago
    db.add(contact)
    db.flush()
    if handoff_ago is not None:
        db.add(ConversationState(contact_id=contact.id, state=STATE_HANDOFF, last_intent="human_agent",
                                 handoff_since=now - handoff_ago, expires_at=now - handoff_ago + timedelta(hours=24)))
    db.commit()
    return contact


def add_inbound(db: Session, contact: Contact, text: str, ago: timedelta, **enrichment) -> ReceivedMessageLog:
    at = utcnow() - ago
    message = ReceivedMessageLog(wamid=f"wamid.{contact.id}.{at.timestamp()}.{len(text)}", contact_id=contact.id,
                                 message_type="text", text=text, payload={}, wa_timestamp=at, received_at=at,
                                 **enrichment)
    db.add(message)
    db.commit()
    return message


# --- login, session, CSRF -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/dashboard", "/dashboard/inbox", "/dashboard/inbox/1", "/dashboard?range=7"])
def test_every_page_needs_a_login(client, path):
    answer = client.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/dashboard/login?next=")
    assert "/dashboard" in answer.headers["Location"]


def test_the_right_password_opens_a_session_in_an_httponly_samesite_cookie(client):
    answer = log_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/dashboard").status_code == 200


def test_a_wrong_password_is_refused(client):
    answer = log_in(client, "not-the-password")
    assert answer.status_code == 401
    assert "That username and password do not match." in answer.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_login_returns_to_the_page_asked_for_but_never_to_another_site(client):
    log_in(client)
    client.post("/dashboard/logout", data={"csrf_token": csrf_from(client, "/dashboard")})
    answer = client.post("/dashboard/login", data={"csrf_token": csrf_from(client), "username": "admin",
                                                   "password": ADMIN_PASSWORD, "next": "/dashboard/inbox"})
    assert answer.headers["Location"] == "/dashboard/inbox"
    for target in ("https://evil.example/dashboard", "//evil.example/dashboard", "/webhook"):
        client.post("/dashboard/logout", data={"csrf_token": csrf_from(client, "/dashboard")})
        answer = client.post("/dashboard/login", data={"csrf_token": csrf_from(client), "username": "admin",
                                                       "password": ADMIN_PASSWORD, "next": target})
        assert answer.headers["Location"] == "/dashboard", target


def test_the_admin_token_logs_nobody_in_to_the_dashboard(client):
    client.get("/dashboard/login")
    for fields in ({"token": ADMIN_TOKEN}, {"username": "admin", "password": ADMIN_TOKEN}):
        answer = client.post("/dashboard/login", data={"csrf_token": csrf_from(client), **fields})
        assert answer.status_code == 401
    assert client.get("/dashboard").status_code == 302


def test_without_admin_token_people_still_log_in(test_config, engine):
    app = create_app(test_config.replace(admin_api_token=None))
    try:
        client = app.test_client()
        assert client.get("/dashboard/login").status_code == 200
        assert log_in(client).status_code == 302
        assert client.get("/dashboard").status_code == 200
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


def test_failed_logins_are_throttled_per_client_address(client, app):
    for _ in range(5):
        assert log_in(client, "guess").status_code == 401
    throttled = log_in(client)
    assert throttled.status_code == 429
    assert "Too many failed attempts" in throttled.get_data(as_text=True)
    fresh_cookies = app.test_client()  # dropping the cookie does not help from the same address
    assert log_in(fresh_cookies).status_code == 429
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert log_in(elsewhere, username="nobody").status_code == 401  # another address may try
    assert log_in(elsewhere).status_code == 429  # but not the account guessed at: it is throttled everywhere


def test_failed_logins_counted_in_the_session_follow_the_browser_to_any_worker(client, app):
    """A second app process (another gunicorn worker) sees the failures through the signed cookie."""
    for _ in range(5):
        log_in(client, "guess")
    other_worker = create_app(app.extensions["whatsapp_platform"].config)
    try:
        worker_client = other_worker.test_client()
        worker_client.set_cookie("session", client.get_cookie("session").value)
        answer = worker_client.post("/dashboard/login", data={"csrf_token": csrf_from(worker_client),
                                                              "username": "someone", "password": "whatever"})
        assert answer.status_code == 429
    finally:
        other_worker.extensions["whatsapp_platform"].close()


def test_a_session_ends_after_twelve_hours(client):
    with freeze_time(utcnow()) as clock:
        log_in(client)
        assert client.get("/dashboard").status_code == 200
        clock.tick(timedelta(hours=12, minutes=1))
        assert client.get("/dashboard").status_code == 302


def test_rotating_the_session_key_logs_everyone_out(logged_in, test_config, engine):
    rotated = create_app(test_config.replace(flask_secret_key="a-new-flask-secret-key"))
    try:
        client = rotated.test_client()
        client.set_cookie("session", logged_in.get_cookie("session").value)
        assert client.get("/dashboard").status_code == 302
    finally:
        rotated.extensions["whatsapp_platform"].close()


def test_logout_is_a_post_with_csrf_and_ends_the_session(logged_in):
    assert logged_in.get("/dashboard/logout").status_code == 405
    answer = post_form(logged_in, "/dashboard/logout", page="/dashboard")
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/login"
    assert logged_in.get("/dashboard").status_code == 302


def test_logout_ends_the_session_for_every_copy_of_its_cookie(logged_in, app):
    copied = logged_in.get_cookie("session").value  # e.g. taken from a shared computer or a proxy log
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/dashboard").status_code == 200  # the copy works while the session is open
    assert post_form(logged_in, "/dashboard/logout", page="/dashboard").status_code == 302
    answer = thief.get("/dashboard")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/dashboard/login")
    assert thief.get("/dashboard/inbox").status_code == 302


def test_logging_in_again_after_logout_opens_a_new_session(logged_in, app):
    post_form(logged_in, "/dashboard/logout", page="/dashboard")
    assert log_in(logged_in).status_code == 302
    assert logged_in.get("/dashboard").status_code == 200


def test_sessions_are_kept_server_side_hashed_and_expired_ones_are_cleared(logged_in, app, db):
    with freeze_time(utcnow() - timedelta(days=3)):
        assert log_in(app.test_client()).status_code == 302  # a login long expired
    log_in(app.test_client())  # the next login clears it
    records = db.scalars(select(DashboardSession)).all()
    db.commit()
    assert len(records) == 2 and all(record.revoked_at is None and record.expires_at > utcnow() for record in records)
    cookie = app.session_interface.get_signing_serializer(app).loads(logged_in.get_cookie("session").value)
    session_id = cookie["dashboard_session"]
    assert hashlib.sha256(session_id.encode()).hexdigest() in {record.id for record in records}
    assert session_id not in {record.id for record in records}


@pytest.mark.parametrize("target", ["/dashboard\r\nSet-Cookie: stolen=1", "/dashboard\nX: y", "/dashboard\x00"])
def test_a_control_character_in_next_is_a_400_not_a_500(client, app, target):
    assert client.get("/dashboard/login", query_string={"next": target}).status_code == 400
    answer = client.post("/dashboard/login", data={"csrf_token": csrf_from(client), "username": "admin",
                                                   "password": ADMIN_PASSWORD, "next": target})
    assert answer.status_code == 400
    assert "not valid" in answer.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302  # nothing was opened
    assert log_in(client).status_code == 302
    assert client.get("/dashboard/login", query_string={"next": target}).status_code == 400  # logged in, too


@pytest.mark.parametrize("contact_id", ["9" * 30, str(2**31), "0"])
def test_a_contact_id_past_the_column_is_a_404_not_a_500(logged_in, contact_id):
    assert logged_in.get(f"/dashboard/inbox/{contact_id}").status_code == 404
    for action in ("reply", "template", "release"):
        answer = post_form(logged_in, f"/dashboard/inbox/{contact_id}/{action}", {"body": "hi"})
        assert answer.status_code == 404, action


def test_the_site_root_leads_to_the_dashboard(client):
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard"
    assert client.head("/").status_code == 302


def test_a_fresh_development_app_says_how_to_create_the_first_admin(engine, database_url):
    from config import DEVELOPMENT_DEFAULTS, load_config

    app = create_app(load_config({"SQLALCHEMY_DATABASE_URL": database_url}))
    try:
        client = app.test_client()
        page = client.get("/dashboard/login")
        text = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "flask --app webhook_handler users create admin --role admin" in text
        assert "هنوز کسی نمی‌تواند وارد شود" in text  # Persian first
        assert DEVELOPMENT_DEFAULTS["ADMIN_API_TOKEN"] not in text
        assert log_in(client, "wrong").status_code == 401
        assert log_in(client).status_code == 302  # the test admin exists now
        assert client.get("/dashboard").status_code == 200
        client.post("/dashboard/logout", data={"csrf_token": csrf_from(client, "/dashboard")})
        assert "users create admin" not in client.get("/dashboard/login").get_data(as_text=True)
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


@pytest.mark.parametrize("path", ["/dashboard/login", "/dashboard/logout", "/dashboard/inbox/1/reply",
                                  "/dashboard/inbox/1/template", "/dashboard/inbox/1/release"])
@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_every_post_needs_the_sessions_csrf_token(logged_in, db, path, token):
    contact = add_contact(db, "989121110000", "Sara", last_inbound_ago=timedelta(hours=1),
                          handoff_ago=timedelta(hours=1))
    path = path.replace("/1/", f"/{contact.id}/")
    csrf_from(logged_in, "/dashboard/inbox")  # the session has a token; the form just does not carry it
    data = {"username": "admin", "password": ADMIN_PASSWORD, "body": "hi", "template_name": "hello", "language": "en"}
    if token is not None:
        data["csrf_token"] = token
    answer = logged_in.post(path, data=data)
    assert answer.status_code == 400
    assert "Reload the page" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.scalars(select(ScheduledMessage)).all() == []
    assert db.get(ConversationState, contact.id).state == STATE_HANDOFF
    db.commit()  # ends the read transaction (see `db`)
    assert logged_in.get("/dashboard").status_code == 200  # still logged in: logout did not happen


def test_pages_forbid_scripts_framing_and_caching(logged_in):
    headers = logged_in.get("/dashboard").headers
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"


# --- the handoff inbox --------------------------------------------------------------------------

def test_inbox_lists_handoffs_oldest_first_with_wait_and_window(logged_in, db):
    recent = add_contact(db, "989120000001", "Recent", last_inbound_ago=timedelta(minutes=5),
                         handoff_ago=timedelta(minutes=10))
    stale = add_contact(db, "989120000002", "Stale", last_inbound_ago=timedelta(hours=30),
                        handoff_ago=timedelta(hours=30))
    middle = add_contact(db, "989120000003", "مریم", last_inbound_ago=timedelta(hours=2),
                         handoff_ago=timedelta(hours=3))
    with_the_bot = add_contact(db, "989120000004", "With the bot", last_inbound_ago=timedelta(minutes=1))
    add_inbound(db, with_the_bot, "hi", timedelta(minutes=1))
    add_inbound(db, middle, "می‌خوام با یک آدم صحبت کنم", timedelta(hours=2))

    waiting = inbox_page(db, InboxFilter(show="waiting"), None, utcnow()).conversations
    assert [w.contact_id for w in waiting] == [stale.id, middle.id, recent.id]
    assert [w.window_open for w in waiting] == [False, True, True]
    assert waiting[0].handoff_expired and not waiting[1].handoff_expired
    assert timedelta(hours=2, minutes=59) < waiting[1].waited < timedelta(hours=3, minutes=1)
    assert waiting[1].last_text == "می‌خوام با یک آدم صحبت کنم"
    db.commit()  # ends the read transaction (see `db`)

    html = logged_in.get("/dashboard/inbox?show=waiting").get_data(as_text=True)
    order = [int(found) for found in re.findall(r'data-contact="(\d+)"', html)]
    assert order == [stale.id, middle.id, recent.id]
    assert html.count('data-window="closed"') == 1 and html.count('data-window="open"') == 2
    assert f'data-contact="{with_the_bot.id}"' not in html
    assert "waiting <strong>3 h 00 min</strong>" in html or "waiting <strong>2 h 59 min</strong>" in html
    assert '<span class="badge" title="3 waiting for a person">3</span>' in html


def test_empty_inbox_says_nobody_is_waiting(logged_in):
    assert "Nobody is waiting" in logged_in.get("/dashboard/inbox?show=waiting").get_data(as_text=True)


def test_thread_interleaves_inbound_and_outbound_with_delivery_ticks(logged_in, db):
    contact = add_contact(db, "989120000010", "Reza", last_inbound_ago=timedelta(minutes=50),
                          handoff_ago=timedelta(minutes=50))
    now = utcnow()
    add_inbound(db, contact, "first question", timedelta(minutes=90))
    add_inbound(db, contact, "second question", timedelta(minutes=50))

    def out(body, minutes_ago, status, **fields):
        at = now - timedelta(minutes=minutes_ago)
        db.add(ScheduledMessage(contact_id=contact.id, body=body, kind=fields.pop("kind", "reply"), status=status,
                                scheduled_at=at, sent_at=at if status not in ("pending", "failed") else None,
                                **fields))

    out("answer read", 89, "read")
    out("answer delivered", 70, "delivered")
    out("answer sent", 49, "sent")
    out("answer failed", 40, "failed", last_error_code=131026, last_error_title="Message Undeliverable")
    out("answer waiting", 1, "pending", kind="operator")
    db.commit()

    items = inbox.thread(db, contact.id)
    assert [(item.direction, item.text) for item in items] == [
        ("in", "first question"), ("out", "answer read"), ("out", "answer delivered"), ("in", "second question"),
        ("out", "answer sent"), ("out", "answer failed"), ("out", "answer waiting")]
    db.commit()  # ends the read transaction (see `db`)
    html = logged_in.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    positions = [html.index(text) for text in ("first question", "answer read", "answer delivered",
                                               "second question", "answer sent", "answer failed", "answer waiting")]
    assert positions == sorted(positions)
    assert 'data-status="read" title="Read" aria-label="Read">✓✓' in html
    assert 'data-status="delivered" title="Delivered" aria-label="Delivered">✓✓' in html
    assert 'data-status="sent" title="Sent, not delivered yet" aria-label="Sent, not delivered yet">✓<' in html
    assert 'data-status="failed"' in html and "(131026) Message Undeliverable" in html
    assert 'data-status="pending" title="Waiting to be sent"' in html and "Operator" in html


def test_unknown_contact_is_a_404_page(logged_in):
    answer = logged_in.get("/dashboard/inbox/999999")
    assert answer.status_code == 404 and "no such contact" in answer.get_data(as_text=True)


@pytest.fixture
def graph_app(test_config, fake_graph, engine):
    """The app sending through pywa to the fake Graph API, logged in."""
    sender = WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake_graph.url, read_timeout=2.0)
    app = create_app(test_config, sender=sender)
    client = app.test_client()
    client.set_cookie("lang", "en")
    assert log_in(client).status_code == 302
    yield client
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def test_a_reply_inside_the_window_is_queued_and_sent(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000020", "Sara", last_inbound_ago=timedelta(hours=23),
                          handoff_ago=timedelta(hours=23))
    answer = post_form(graph_app, f"/dashboard/inbox/{contact.id}/reply", {"body": "  سلام، بررسی می‌کنم  "})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/dashboard/inbox/{contact.id}#latest")
    [row] = db.scalars(select(ScheduledMessage)).all()
    assert (row.kind, row.body, row.status) == ("operator", "سلام، بررسی می‌کنم", "sent")
    assert fake_graph.counts() == {contact.wa_id: 1}
    assert fake_graph.messages()[0]["text"] == "سلام، بررسی می‌کنم"
    db.commit()  # ends the read transaction (see `db`)
    page = graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Reply sent." in page and "سلام، بررسی می‌کنم" in page
    assert db.get(ConversationState, contact.id).state == STATE_HANDOFF  # still with a person


def test_free_text_outside_the_window_is_refused_and_nothing_is_queued(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000021", "Reza", last_inbound_ago=timedelta(hours=25),
                          handoff_ago=timedelta(hours=25))
    answer = post_form(graph_app, f"/dashboard/inbox/{contact.id}/reply", {"body": "hello?"})
    page = graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert "24-hour window is closed" in page
    assert 'name="template_name"' in page and 'name="body"' not in page
    assert db.scalars(select(ScheduledMessage)).all() == []
    assert fake_graph.counts() == {}


def test_an_empty_reply_is_refused(graph_app, db):
    contact = add_contact(db, "989120000022", "Ali", last_inbound_ago=timedelta(hours=1),
                          handoff_ago=timedelta(hours=1))
    answer = post_form(graph_app, f"/dashboard/inbox/{contact.id}/reply", {"body": "   "})
    assert "Write a message first." in graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert db.scalars(select(ScheduledMessage)).all() == []


def test_a_template_reply_goes_out_after_the_window_closed(graph_app, fake_graph, db):
    contact = add_contact(db, "989120000023", "Neda", last_inbound_ago=timedelta(hours=30),
                          handoff_ago=timedelta(hours=30))
    answer = post_form(graph_app, f"/dashboard/inbox/{contact.id}/template",
                       {"template_name": "order_update", "language": "fa", "params": "نِدا\r\n4521\r\n\r\n"})
    assert answer.status_code == 302
    [row] = db.scalars(select(ScheduledMessage)).all()
    assert (row.kind, row.template_name, row.template_language, row.template_params, row.body) == \
        ("operator", "order_update", "fa", ["نِدا", "4521"], None)
    [sent] = fake_graph.messages()
    assert sent["to"] == contact.wa_id and sent["type"] == "template"
    db.commit()  # ends the read transaction (see `db`)
    page = graph_app.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Template sent." in page and "order_update (fa): نِدا, 4521" in page


def test_release_hands_the_conversation_back_to_the_bot(logged_in, db):
    contact = add_contact(db, "989120000030", "Omid", last_inbound_ago=timedelta(hours=1),
                          handoff_ago=timedelta(hours=1))
    answer = post_form(logged_in, f"/dashboard/inbox/{contact.id}/release")
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/inbox?show=waiting"
    db.expire_all()
    assert db.get(ConversationState, contact.id).state == STATE_BOT
    db.commit()  # ends the read transaction (see `db`)
    page = logged_in.get("/dashboard/inbox?show=waiting").get_data(as_text=True)
    assert "the bot answers this customer again" in page and f'data-contact="{contact.id}"' not in page
    again = post_form(logged_in, f"/dashboard/inbox/{contact.id}/release")
    assert "was not waiting for a person" in logged_in.get(again.headers["Location"]).get_data(as_text=True)


def test_customer_text_is_escaped_everywhere_and_persian_survives(logged_in, db):
    contact = add_contact(db, "989120000040", '<img src=x onerror="alert(1)">', last_inbound_ago=timedelta(hours=1),
                          handoff_ago=timedelta(hours=1))
    add_inbound(db, contact, "<script>alert('x')</script> سفارشم کجاست؟", timedelta(hours=1), sentiment="negative",
                sentiment_score=-0.9, intent="none", normalized_text="<script>", keywords=["<b>bold</b>"],
                enriched_at=utcnow())
    for path in ("/dashboard/inbox", f"/dashboard/inbox/{contact.id}", "/dashboard"):
        html = logged_in.get(path).get_data(as_text=True)
        assert "<script>" not in html and "<img src=x" not in html and "<b>bold" not in html, path
        assert "&lt;script&gt;" in html or "&lt;img src=x" in html, path
    thread = logged_in.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert 'dir="auto">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; سفارشم کجاست؟</p>' in thread


# --- the analytics page -------------------------------------------------------------------------

def kpi(html: str, label: str) -> str:
    match = re.search(rf'kpi-label">{label}</h2>\s*<div class="kpi-main">\s*<p class="kpi-value">([^<]+)</p>', html)
    assert match, f"no KPI {label}"
    return match.group(1)


def test_overview_shows_the_figures_of_the_chosen_range(logged_in, db):
    sara = add_contact(db, "989120000050", "سارا", last_inbound_ago=timedelta(days=1))
    for days_ago, text, mood, score in ((1, "عالی بود ممنون", "positive", 0.8), (1, "قیمت چنده؟", "neutral", 0.0),
                                        (2, "خیلی دیر رسید", "negative", -0.7), (20, "old news", "neutral", 0.0)):
        add_inbound(db, sara, text, timedelta(days=days_ago), sentiment=mood, sentiment_score=score,
                    intent="none" if mood == "negative" else "pricing", keywords=["سفارش"],
                    normalized_text=text, enriched_at=utcnow())
    default = logged_in.get("/dashboard").get_data(as_text=True)
    assert kpi(default, "Received") == "4"
    assert 'data-sentiment="negative">1<' in default and "خیلی دیر رسید" in default
    assert "سفارش" in default and "No broadcasts in this period." in default

    today = utcnow().astimezone(logged_in.application.extensions["whatsapp_platform"].config.zone).date()
    start = (today - timedelta(days=7)).isoformat()
    week = logged_in.get(f"/dashboard?from={start}&to={today.isoformat()}").get_data(as_text=True)
    assert kpi(week, "Received") == "3"
    assert f'name="from" value="{start}"' in week
    last_week = logged_in.get("/dashboard?range=7").get_data(as_text=True)
    assert kpi(last_week, "Received") == "3" and 'class="chip active" href="/dashboard?range=7"' in last_week
    everything = logged_in.get("/dashboard?range=all").get_data(as_text=True)
    assert kpi(everything, "Received") == "4" and "Everything stored" in everything


def test_a_bad_range_is_explained_not_a_500(logged_in):
    answer = logged_in.get("/dashboard?from=yesterday&to=0001-01-01")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert "is not a date" in html and "must be between" in html
    swapped = logged_in.get("/dashboard?from=2026-02-10&to=2026-02-01").get_data(as_text=True)
    assert "swapped" in swapped and 'name="from" value="2026-02-01"' in swapped


def test_an_empty_database_shows_empty_states(logged_in):
    html = logged_in.get("/dashboard").get_data(as_text=True)
    assert "No messages in this period." in html and "No scored messages yet." in html
    assert "No keywords in this period." in html and "No negative messages in this period." in html
    assert kpi(html, "Received") == "0" and kpi(html, "First reply") == "–"


def test_an_empty_range_does_not_say_zero_a_day_on_average(logged_in):
    html = logged_in.get("/dashboard").get_data(as_text=True)
    assert "none in this period" in html and "0 a day on average" not in html


# --- in Persian (the default) -------------------------------------------------------------------

NOW = "2026-12-06 08:00:00"  # UTC: Sunday 15 Azar 1405, 11:30 in Tehran


@pytest.fixture
def persian(persian_client):
    """A Persian operator, logged in at NOW (tests stay inside `freeze_time(NOW)`)."""
    with freeze_time(NOW):
        assert log_in(persian_client).status_code == 302
    return persian_client


def test_a_persian_thread_reads_right_to_left_in_jalali_with_persian_digits(persian, db):
    with freeze_time(NOW):
        contact = add_contact(db, "989121234567", "Sara Karimi", last_inbound_ago=timedelta(minutes=30),
                              handoff_ago=timedelta(minutes=30))
        add_inbound(db, contact, "سلام، سفارشم کجاست؟", timedelta(minutes=30))
        html = persian.get(f"/dashboard/inbox/{contact.id}").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in html
    assert '<li class="day-sep"><span>یک‌شنبه ۱۵ آذر ۱۴۰۵</span></li>' in html
    assert ">۱۱:۰۰</time>" in html  # 07:30 UTC in Tehran
    assert "پنجره تا ۱۶ آذر ۱۴۰۵، ۱۱:۰۰ باز است" in html and "با اپراتور" in html
    assert '<bdi>Sara Karimi</bdi> <bdi class="muted small handle" dir="ltr">+98 912 123 4567</bdi>' in html
    assert "Window" not in html and ">Send<" not in html and "Hand back" not in html


def test_the_persian_inbox_counts_and_waits_in_persian(persian, db):
    with freeze_time(NOW):
        add_contact(db, "989120000001", "مریم", last_inbound_ago=timedelta(hours=3), handoff_ago=timedelta(hours=3))
        html = persian.get("/dashboard/inbox").get_data(as_text=True)
    assert "در انتظار: <strong>۳ ساعت</strong>" in html and "پنجره باز · ۲۱ ساعت مانده" in html
    assert '<span class="badge" title="۱ نفر منتظر پاسخ اپراتور">۱</span>' in html


def test_the_persian_overview_reads_and_shows_jalali_dates(persian, db):
    with freeze_time(NOW):
        sara = add_contact(db, "989120000050", "سارا", last_inbound_ago=timedelta(days=1))
        add_inbound(db, sara, "عالی بود ممنون", timedelta(days=1), sentiment="positive", sentiment_score=0.8,
                    intent="thanks", keywords=["عالی"], normalized_text="عالی بود ممنون", enriched_at=utcnow())
        jalali = persian.get("/dashboard?from=۱۴۰۵/۰۹/۰۱&to=1405/09/30").get_data(as_text=True)
        iso = persian.get("/dashboard?from=2026-11-22&to=2026-12-21").get_data(as_text=True)
        empty = persian.get("/dashboard?from=1405/09/16&to=1405/09/30").get_data(as_text=True)
    for html in (jalali, iso):
        assert 'name="from" value="۱۴۰۵/۰۹/۰۱"' in html and 'name="to" value="۱۴۰۵/۰۹/۳۰"' in html
        assert "۱ آذر ۱۴۰۵" in html and "۳۰ آذر ۱۴۰۵" in html
        assert kpi(html, "دریافتی") == "۱" and kpi(html, "منفی") == "۰٪"
    assert "۱ پیام در ۳۰ روز" in jalali and "تشکر" in jalali  # not "۰ a day on average"; the intent translated
    assert 'direction="rtl"' in jalali and ">۱۶ آذر</text>" in jalali  # the chart's day labels, mirrored
    axis = re.findall(r'text-anchor="end" dominant-baseline="middle">([^<]+)<', jalali.split('id="sentiment"')[0])
    assert set(axis) == {"۰", "۱"}  # one message: whole-number ticks, not 0.25, 0.5 …
    assert kpi(empty, "دریافتی") == "۰" and "در این بازه پیامی نیامده" in empty


def test_a_bad_date_is_explained_in_persian(persian):
    with freeze_time(NOW):
        html = persian.get("/dashboard?from=فردا&to=1405/13/01").get_data(as_text=True)
    assert "«فردا» تاریخ نیست (از)" in html and "«1405/13/01» تاریخ نیست (تا)" in html


def test_errors_are_explained_in_persian(persian):
    with freeze_time(NOW):
        missing = persian.get("/dashboard/inbox/999999")
        forged = persian.post("/dashboard/logout", data={"csrf_token": "forged"})
    assert missing.status_code == 404 and "چنین مخاطبی وجود ندارد." in missing.get_data(as_text=True)
    assert "<h1>پیدا نشد</h1>" in missing.get_data(as_text=True)
    assert forged.status_code == 400 and "صفحه را دوباره بارگذاری کنید" in forged.get_data(as_text=True)


def test_throttled_logins_are_explained_in_persian(persian_client):
    for _ in range(5):
        assert log_in(persian_client, "guess").status_code == 401
    throttled = log_in(persian_client)
    assert throttled.status_code == 429
    assert "تلاش‌های ناموفق زیاد بود. ۱۵ دقیقهٔ دیگر دوباره امتحان کنید." in throttled.get_data(as_text=True)
    assert "نام کاربری و گذرواژه با هم نمی‌خوانند" not in throttled.get_data(as_text=True)


def test_the_fonts_are_served_from_the_app_and_allowed_by_the_policy(logged_in):
    policy = logged_in.get("/dashboard").headers["Content-Security-Policy"]
    assert "font-src 'self'" in policy
    css = logged_in.get("/static/dashboard.css").get_data(as_text=True)
    fonts = re.findall(r'url\("fonts/([^"]+\.woff2)"\)', css)
    assert fonts
    for font in fonts:
        assert logged_in.get(f"/static/fonts/{font}").status_code == 200, font
    assert "Vazirmatn" in css and logged_in.get("/static/fonts/OFL.txt").status_code == 200
