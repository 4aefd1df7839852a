"""The team inbox in a real browser: gunicorn (two workers) serving the app, headless Chromium driving it.

In Persian, an operator keeps a saved reply, finds the customer who complained through the
"negative" filter, takes the conversation from the bot, answers with the saved reply (its
{first_name} filled in for the customer, at the fake Graph API), adds a note for the team, and
sees the customer's next message, posted as a signed webhook to the running gunicorn, appear in
the open thread without a reload, while the bot stays silent. On a phone (390 px) the thread opens
with the newest message and the reply box in view; a new customer's first message tops the open
list without a reload. Screenshots go to test-output/ (git-ignored);
with UPDATE_DOCS_SCREENSHOTS=1 they refresh docs/inbox-*.png at 1366×900 and 390×844.
"""

from __future__ import annotations

import json
import os
import urllib.request
from datetime import timedelta

import pytest
from browser_testing import (
    app_env,
    chromium,
    gunicorn,
    page_ready,
    seed_admin,
    submit_login,
    tools_or_skip,
    viewport_shots,
)
from conftest import ROOT, run_migrations, wait_until
from sqlalchemy.orm import Session

from database_models import Contact, ReceivedMessageLog, ScheduledMessage, utcnow
from database_setup import create_engine_for
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload

AGENT = ("maryam", "maryam-browser-password")  # the agent who works the inbox here
APP_SECRET = "browser-app-secret"
COMPLAINT = "بسته‌ام خراب رسید، خیلی ناراحتم"
CHATS = [("رضا نوری", "قیمت این کفش چنده؟", "neutral"), ("Omid Karimi", "Thanks, great service!", "positive"),
         ("ندا حسینی", "سلام وقت بخیر", "positive"), ("لیلا قاسمی", "رنگ آبی سایز ۳۸ موجوده؟", "neutral"),
         ("امیر کاظمی", "ساعت کاری فروشگاه چنده؟", "neutral")]
SAVED = "{first_name|مشتری} عزیز، از این اتفاق متأسفیم. بستهٔ تازه امروز برایتان ارسال می‌شود."


def _seed(session: Session) -> Contact:
    """Six customers chatting with the bot; Sara complained ten minutes ago."""
    now = utcnow()
    people = []
    for index, (name, text, mood) in enumerate([*CHATS, ("سارا کریمی", COMPLAINT, "negative")]):
        at = now - timedelta(minutes=60 - index * 10)
        contact = Contact(wa_id=f"98912500{index:04d}", name=name, attributes={}, last_inbound_at=at,
                          first_inbound_at=at)
        session.add(contact)
        session.flush()
        session.add(ReceivedMessageLog(wamid=f"wamid.seed.{index}", contact_id=contact.id, message_type="text",
                                       text=text, payload={}, wa_timestamp=at, received_at=at, sentiment=mood))
        session.add(ScheduledMessage(contact_id=contact.id, kind="reply", body="سلام! چطور می‌تونم کمک کنم؟",
                                     status="read", scheduled_at=at, sent_at=at + timedelta(seconds=3)))
        people.append(contact)
    return people[-1]


def _seed_synced_templates(session: Session) -> None:
    """The fake Graph API's templates as an admin's earlier `templates sync` stored them."""
    from fake_graph_api import DEFAULT_TEMPLATES

    from campaigns.message_templates import parameters_of
    from database_models import MessageTemplate

    for template in DEFAULT_TEMPLATES:
        session.add(MessageTemplate(name=template["name"], language=template["language"],
                                    category=template["category"], status=template["status"], meta_id=template["id"],
                                    components=template["components"],
                                    parameters=parameters_of(template["components"])))


@pytest.fixture
def served(tmp_path, fake_graph):
    """gunicorn with two workers on a seeded SQLite file, sending to the fake Graph API; yields (base, Sara's wa_id)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'inbox.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        sara = _seed(session)
        seed_admin(session)
        seed_admin(session, *AGENT, role="agent")
        _seed_synced_templates(session)
        session.commit()
        wa_id = sara.wa_id
    engine.dispose()
    env = app_env(database_url, fake_graph, WHATSAPP_APP_SECRET=APP_SECRET)
    with gunicorn(env, tmp_path / "gunicorn.log", ROOT) as base:
        yield base, wa_id


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium in Persian (tests/support/browser_testing.py)."""
    yield from chromium(tmp_path / "chromium-profile", "fa")


def _post_webhook(base: str, payload: dict) -> int:
    body = json.dumps(payload, ensure_ascii=False).encode()
    request = urllib.request.Request(f"{base}/webhook", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status


def _in_view(driver, selector: str) -> bool:
    return driver.execute_script(
        "const r = document.querySelector(arguments[0]).getBoundingClientRect();"
        "return r.top >= 0 && r.bottom <= window.innerHeight;", selector)


def test_an_operator_finds_a_complaint_takes_it_from_the_bot_and_answers_with_a_saved_reply(
        served, browser, fake_graph):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, wa_id = served
    docs = os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
    find, find_all = browser.find_element, browser.find_elements
    browser.get(f"{base}/dashboard/replies")
    submit_login(browser, *AGENT)
    page_ready(browser, "the saved replies", lambda: browser.current_url.endswith("/dashboard/replies"))
    find(By.NAME, "shortcut").send_keys("پوزش")
    find(By.NAME, "body").send_keys(SAVED)
    find(By.CSS_SELECTOR, ".reply-editor button").click()
    page_ready(browser, "the reply saved", lambda: "پاسخ آماده افزوده شد" in find(By.CLASS_NAME, "flashes").text)
    assert [item.get_attribute("data-shortcut") for item in find_all(By.CLASS_NAME, "reply-item")] == ["پوزش"]

    find(By.CSS_SELECTOR, '.nav a[href$="/dashboard/inbox"]').click()
    page_ready(browser, "every conversation", lambda: len(find_all(By.CLASS_NAME, "inbox-row")) == 6)
    assert "سارا کریمی" in find_all(By.CLASS_NAME, "inbox-row")[0].text  # the newest first
    find(By.CSS_SELECTOR, '.inbox-filters [data-show="negative"]').click()
    page_ready(browser, "the negative filter", lambda: "show=negative" in browser.current_url)
    [row] = find_all(By.CLASS_NAME, "inbox-row")
    assert "سارا کریمی" in row.text and COMPLAINT in row.text and "منفی" in row.text
    viewport_shots(browser, "inbox-negative", docs)

    find(By.CSS_SELECTOR, ".inbox-row a").click()
    page_ready(browser, "Sara's thread", lambda: bool(find_all(By.CSS_SELECTOR, "form.take")))
    assert find(By.CSS_SELECTOR, "[data-state]").get_attribute("data-state") == "bot"
    # The thread opens at its newest message; the header's buttons sit under the sticky top bar then.
    take = find(By.CSS_SELECTOR, "form.take button")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", take)
    take.click()
    page_ready(browser, "taken from the bot", lambda: bool(find_all(By.CSS_SELECTOR, '[data-state="handoff"]')))
    assert "این گفتگو اکنون با شماست" in find(By.CLASS_NAME, "flashes").text

    Select(find(By.ID, "saved-reply")).select_by_index(1)  # the picker (script) fills the reply box
    assert find(By.ID, "body").get_attribute("value") == SAVED
    find(By.CSS_SELECTOR, ".reply-form button").click()
    wait_until(lambda: fake_graph.counts().get(wa_id) == 1, "the saved reply at the Graph API")
    [sent] = [message for message in fake_graph.messages() if message["to"] == wa_id]
    assert sent["text"] == SAVED.replace("{first_name|مشتری}", "سارا")

    page_ready(browser, "the thread after the reply", lambda: bool(find_all(By.CSS_SELECTOR, "details.note-toggle")))
    find(By.CSS_SELECTOR, "details.note-toggle summary").click()
    find(By.ID, "note").send_keys("مشتری قدیمی است؛ هزینهٔ ارسال را نگیرید.")
    find(By.CSS_SELECTOR, ".note-form button").click()
    page_ready(browser, "the note in the thread", lambda: bool(find_all(By.CSS_SELECTOR, ".msg-note")))
    assert "هزینهٔ ارسال را نگیرید" in find(By.CSS_SELECTOR, ".msg-note").text
    assert fake_graph.counts().get(wa_id) == 1  # a note is never sent

    if not find(By.ID, "send-template").get_attribute("open"):  # folded in the reply box
        find(By.CSS_SELECTOR, "#send-template > summary").click()
    shipped = find(By.CSS_SELECTOR, 'details[data-template="order_shipped"][data-language="fa"]')
    shipped.find_element(By.TAG_NAME, "summary").click()
    shipped.find_element(By.NAME, "param_1").send_keys("سارا")
    shipped.find_element(By.NAME, "param_2").send_keys("۴۵۲۱")
    # The saved reply went a moment ago: within the pair rate's burst (outbound/pacing.py) this goes at once too.
    shipped.find_element(By.CSS_SELECTOR, 'button[value="send"]').click()
    wait_until(lambda: fake_graph.counts().get(wa_id) == 2, "the synced template at the Graph API")
    template = [message for message in fake_graph.messages() if message["to"] == wa_id][-1]["template"]
    assert (template["name"], template["body_parameters"]) == ("order_shipped", ["سارا", "۴۵۲۱"])
    page_ready(browser, "the thread after the template", lambda: bool(find_all(By.CSS_SELECTOR, "details.note-toggle")))

    browser.execute_script("window.stillTheSamePage = true")
    payload = text_message_envelope(wa_id, "ممنون، منتظر می‌مانم", name="Sara")
    assert _post_webhook(base, payload) == 200
    page_ready(browser, "the customer's new message without a reload", lambda: any(
        "منتظر می‌مانم" in bubble.text for bubble in find_all(By.CSS_SELECTOR, ".msg-in")))
    assert browser.execute_script("return window.stillTheSamePage") is True
    assert fake_graph.counts().get(wa_id) == 2  # the bot stayed silent: a person has the conversation

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
    browser.get(browser.current_url.split("#")[0] + "#latest")
    page_ready(browser, "the reply box in view on a phone", lambda: _in_view(browser, "#body"))
    assert _in_view(browser, ".messages > li:last-child")  # and the newest message above it
    viewport_shots(browser, "inbox-thread", docs, ready=lambda: _in_view(browser, "#body"))
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    browser.get(f"{base}/dashboard/inbox")  # the list, too, shows a new conversation without a reload
    page_ready(browser, "every conversation again", lambda: len(find_all(By.CLASS_NAME, "inbox-row")) == 6)
    browser.execute_script("window.stillTheSamePage = true")
    assert _post_webhook(base, text_message_envelope("989125009999", "سلام، یه سؤال داشتم", name="Kian")) == 200
    page_ready(browser, "the new conversation on top", lambda: "Kian" in find_all(By.CLASS_NAME, "inbox-row")[0].text)
    assert browser.execute_script("return window.stillTheSamePage") is True

    # The admin's audit page names the agent for each of those actions.
    browser.find_element(By.CSS_SELECTOR, 'form[action$="/dashboard/logout"] button').click()
    page_ready(browser, "logged out", lambda: "/dashboard/login" in browser.current_url)
    submit_login(browser)
    page_ready(browser, "the overview", lambda: browser.current_url.endswith("/dashboard"))
    browser.get(f"{base}/dashboard/audit")
    page_ready(browser, "the audit page", lambda: bool(find_all(By.CSS_SELECTOR, "tr[data-action]")))
    by_action = {}
    for row in find_all(By.CSS_SELECTOR, "tr[data-action]"):
        by_action.setdefault(row.get_attribute("data-action"), []).append(row.text)
    for action in ("saved_reply.created", "conversation.taken", "message.sent", "note.added", "template.sent"):
        assert any(AGENT[0] in text for text in by_action.get(action, [])), (action, by_action)
