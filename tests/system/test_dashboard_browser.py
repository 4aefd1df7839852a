"""The dashboard in a real browser: gunicorn serving the app, headless Chromium driving it.

The app runs as production does (gunicorn, two workers, its own SQLite file) and sends
through pywa to the fake Graph API. The database is seeded with a realistic month of a
small shop's traffic; the test logs in, reads the figures off the charts and tables,
answers a customer waiting in the handoff inbox and watches the reply reach the Graph
API, then saves screenshots (test-output/, git-ignored). It runs in Persian, as a first visit
from a Persian browser sees it (right to left, Jalali dates, Persian digits), and once in English.
With UPDATE_DOCS_SCREENSHOTS=1 the Persian run also refreshes docs/dashboard*.png: login,
overview, inbox and thread at 1366×900 and 390×844.
"""

from __future__ import annotations

import base64
import os
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from browser_testing import app_env, chromium, page_direction, page_ready, seed_admin, submit_login, tools_or_skip
from conftest import ROOT, run_migrations, wait_until
from sqlalchemy.orm import Session

from database_models import (
    STATE_HANDOFF,
    Broadcast,
    Contact,
    ConversationState,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)
from database_setup import create_engine_for
from language.jalali import jalali, persian_number

PERSIAN_NAMES = (["سارا", "رضا", "مریم", "علی", "ندا", "زهرا", "محمد", "لیلا", "امیر", "فاطمه", "حمید", "نرگس"],
                 ["محمدی", "کریمی", "احمدی", "رضایی", "حسینی", "کاظمی", "موسوی", "جعفری", "نوری", "قاسمی"])
LATIN_NAMES = (["Sara", "Reza", "Maryam", "Ali", "Neda", "Omid", "Parisa", "Kian"],
               ["Karimi", "Ahmadi", "Hosseini", "Moradi", "Sadeghi"])
# (text, sentiment, score, intent, keywords, weight): what a clothing shop's customers write.
SAMPLES = [
    ("سلام، سفارشم کجاست؟", "neutral", 0.0, "order_status", ["سفارش"], 14),
    ("سفارش ۴۵۲۱ هنوز نرسیده", "negative", -0.35, "order_status", ["سفارش", "نرسیده"], 6),
    ("قیمت این کفش چنده؟", "neutral", 0.05, "pricing", ["قیمت", "کفش"], 11),
    ("تخفیف یلدا تا کی هست؟", "neutral", 0.1, "pricing", ["تخفیف", "یلدا"], 8),
    ("ممنون، خیلی عالی بود", "positive", 0.85, "thanks", ["ممنون", "عالی"], 9),
    ("کیفیت پارچه عالیه، مرسی", "positive", 0.7, "thanks", ["کیفیت", "پارچه", "عالی"], 5),
    ("Where is my order? It's been a week", "negative", -0.3, "order_status", ["order", "week"], 3),
    ("Thanks, great service!", "positive", 0.8, "thanks", ["great", "service"], 3),
    ("ساعت کاری فروشگاه چنده؟", "neutral", 0.0, "business_hours", ["ساعت", "فروشگاه"], 6),
    ("سلام وقت بخیر", "positive", 0.3, "greeting", [], 10),
    ("رنگ آبی سایز ۳۸ موجوده؟", "neutral", 0.0, "none", ["رنگ", "سایز", "موجود"], 5),
    ("می‌خوام با پشتیبانی صحبت کنم", "neutral", -0.1, "human_agent", ["پشتیبانی"], 2),
    ("چرا هزینه ارسال انقدر زیاده؟", "negative", -0.45, "pricing", ["هزینه", "ارسال"], 3),
    ("بسته‌ام خراب رسید، خیلی ناراحتم", "negative", -0.78, "none", ["بسته", "خراب"], 2),
    ("ارسال خیلی دیر شد، اصلا راضی نیستم", "negative", -0.76, "none", ["ارسال", "دیر", "راضی"], 2),
    ("سه بار زنگ زدم کسی جواب نداد", "negative", -0.74, "none", ["زنگ", "جواب"], 1),
    ("سایز اشتباه فرستادید، می‌خوام پس بدم", "negative", -0.7, "none", ["سایز", "اشتباه"], 1),
    ("The shoes arrived damaged, very disappointed", "negative", -0.77, "none", ["shoes", "damaged"], 1),
    ("کیفیتش اصلا خوب نبود", "negative", -0.72, "none", ["کیفیت"], 1),
    ("رنگش با عکس سایت فرق داره، ناامید شدم", "negative", -0.75, "none", ["رنگ", "عکس"], 1),
    ("Worst delivery ever, two weeks late!", "negative", -0.8, "none", ["delivery", "late"], 1),
    ("پول رو پرداخت کردم ولی سفارش ثبت نشده!", "negative", -0.77, "order_status", ["پرداخت", "سفارش"], 1),
]
BOT_REPLIES = {
    "order_status": "برای پیگیری سفارش، شماره سفارش را بفرستید.",
    "pricing": "قیمت‌ها در کاتالوگ ما هست: shop.example/catalog",
    "thanks": "خواهش می‌کنم، خوشحالیم که راضی بودید",
    "business_hours": "شنبه تا چهارشنبه ۹ تا ۱۸ در خدمتیم.",
    "greeting": "سلام! چطور می‌تونم کمک کنم؟",
    "none": "متوجه نشدم؛ لطفاً کمی بیشتر توضیح بدید.",
    "human_agent": "الان به همکارم وصلتون می‌کنم.",
}


@dataclass
class Seeded:
    """What the seed wrote, so the test can check the page shows exactly that."""

    inbound: int = 0
    sentiment: Counter = field(default_factory=Counter)
    keywords: Counter = field(default_factory=Counter)
    broadcasts: dict[str, int] = field(default_factory=dict)  # name -> recipients
    most_negative_text: str = ""
    waiting: list[tuple[str, str, bool]] = field(default_factory=list)  # (name, wa_id, window open), oldest first


def seed_shop(session: Session, now: datetime, days: int = 28, seed: int = 7) -> Seeded:
    """A month of a small shop: ~150 contacts, ~1,200 messages, three campaigns, three handoffs."""
    rng = random.Random(seed)
    figures = Seeded()
    contacts = []
    for i in range(150):
        first, last = LATIN_NAMES if i % 4 == 3 else PERSIAN_NAMES
        name = f"{first[(i * 5) % len(first)]} {last[(i * 7) % len(last)]}"
        contact = Contact(wa_id=f"98912{4000000 + i * 7919:07d}", name=name, attributes={},
                          opted_out=(i % 37 == 36), created_at=now - timedelta(days=90))
        session.add(contact)
        contacts.append(contact)
    session.flush()
    chatty = contacts[:70]
    for contact in chatty[::2]:  # half of them were customers before this month
        contact.first_inbound_at = now - timedelta(days=rng.randint(40, 400))
    serial = 0
    for day in range(days, 0, -1):
        # Late deliveries during the sale make the last weeks grumpier.
        grumpiness = 1 + 1.5 * max(0, (days - day) - days / 2) / (days / 2)
        weights = [sample[5] * (grumpiness if sample[1] == "negative" else 1) for sample in SAMPLES]
        # Busier towards the end of the month (the Yalda sale) and on weekends (Fri/Sat in Iran).
        when = now - timedelta(days=day)
        count = 18 + (days - day) // 2 + (10 if when.weekday() in (4, 5) else 0) + rng.randint(-4, 6)
        for _ in range(count):
            hour = rng.choices(range(24), weights=[1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 6, 6, 7, 8, 9, 10, 11, 10,
                                                   8, 5, 2])[0]
            at = (when.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(hours=hour - 3.5,
                                                                                       minutes=rng.randint(0, 59)))
            at = min(at, now - timedelta(days=1))
            text, mood, score, intent, keywords, _ = rng.choices(SAMPLES, weights=weights)[0]
            contact = rng.choice(chatty)
            serial += 1
            message = ReceivedMessageLog(
                wamid=f"wamid.seed.{serial}", contact_id=contact.id, message_type="text", text=text,
                payload={"type": "text", "text": {"body": text}}, wa_timestamp=at, received_at=at,
                normalized_text=text, keywords=keywords, sentiment=mood,
                sentiment_score=round(max(-1.0, min(1.0, score + rng.uniform(-0.2, 0.2))), 4) if score else 0.0,
                intent=intent, intent_confidence=0.9 if intent != "none" else 0.2, enriched_at=at)
            session.add(message)
            _seen(contact, at)
            figures.inbound += 1
            figures.sentiment[mood] += 1
            figures.keywords.update(keywords)
            if intent != "human_agent":
                session.add(_bot_reply(contact.id, BOT_REPLIES[intent], at, rng))
    session.flush()
    _seed_campaigns(session, contacts, now, rng, figures)
    _seed_handoffs(session, contacts, now, figures)
    session.flush()
    most_negative = min(session.query(ReceivedMessageLog).filter(ReceivedMessageLog.sentiment == "negative"),
                        key=lambda m: m.sentiment_score)
    figures.most_negative_text = most_negative.text
    return figures


def _seen(contact: Contact, at: datetime) -> None:
    contact.first_inbound_at = min(contact.first_inbound_at or at, at)
    contact.last_inbound_at = max(contact.last_inbound_at or at, at)


def _bot_reply(contact_id: int, body: str, at: datetime, rng: random.Random, kind: str = "reply") -> ScheduledMessage:
    sent = at + timedelta(seconds=rng.randint(2, 9))
    status = rng.choices(["read", "delivered", "sent"], weights=[70, 22, 8])[0]
    return ScheduledMessage(
        contact_id=contact_id, kind=kind, body=body, scheduled_at=at, status=status, attempts=1, sent_at=sent,
        wamid=f"wamid.out.{rng.getrandbits(64):x}", delivered_at=sent + timedelta(seconds=3)
        if status != "sent" else None, read_at=sent + timedelta(minutes=2) if status == "read" else None)


def _seed_campaigns(session: Session, contacts: list[Contact], now: datetime, rng: random.Random,
                    figures: Seeded) -> None:
    campaigns = [("حراج شب یلدا", 12, 140, None), ("New autumn collection", 6, 120, "autumn_collection"),
                 ("نظرسنجی خرید", 2, 90, "purchase_survey")]
    for name, days_ago, size, template in campaigns:
        at = (now - timedelta(days=days_ago)).replace(hour=7, minute=30, second=0, microsecond=0)
        audience = [c for c in contacts if not c.opted_out][:size]
        broadcast = Broadcast(name=name, body=None if template else "یلدا مبارک! ۳۰٪ تخفیف تا آخر هفته",
                              template_name=template, template_language="fa" if template else None,
                              audience={"all": True}, scheduled_at=at, status="scheduled",
                              recipient_count=len(audience))
        session.add(broadcast)
        session.flush()
        figures.broadcasts[name] = len(audience)
        for contact in audience:
            status = rng.choices(["read", "delivered", "sent", "failed"], weights=[58, 27, 9, 6])[0]
            sent = at + timedelta(seconds=rng.randint(1, 90))
            failed = status == "failed"
            code = rng.choice([131026, 131026, 131049]) if failed else None
            session.add(ScheduledMessage(
                contact_id=contact.id, broadcast_id=broadcast.id, kind="broadcast", body=broadcast.body,
                template_name=template, template_language=broadcast.template_language, scheduled_at=at,
                status=status, attempts=1, sent_at=None if failed else sent, failed_at=sent if failed else None,
                wamid=f"wamid.bc.{broadcast.id}.{contact.id}", last_error_code=code,
                last_error_title={131026: "Message Undeliverable", 131049: "Healthy ecosystem engagement"}.get(code),
                delivered_at=sent + timedelta(seconds=5) if status in ("read", "delivered") else None,
                read_at=sent + timedelta(minutes=rng.randint(1, 600)) if status == "read" else None))


def _seed_handoffs(session: Session, contacts: list[Contact], now: datetime, figures: Seeded) -> None:
    """Three customers waiting for a person: one past the 24-hour window."""
    scenes = [
        (contacts[1], timedelta(hours=27), ["سلام، ۳ روزه منتظر بازپرداخت هستم", "لطفاً با یک نفر صحبت کنم"]),
        (contacts[0], timedelta(hours=3, minutes=10),
         ["سفارشم دو هفته است نرسیده و کسی جواب نمیده", "می‌خوام با یک آدم صحبت کنم"]),
        (contacts[2], timedelta(minutes=18), ["سلام، can I change the size of order 4521?", "با پشتیبانی وصلم کنید"]),
    ]
    for contact, ago, texts in scenes:
        start = now - ago
        for offset, text in enumerate(texts):
            at = start + timedelta(minutes=offset * 2)
            session.add(ReceivedMessageLog(
                wamid=f"wamid.handoff.{contact.id}.{offset}", contact_id=contact.id, message_type="text",
                text=text, payload={}, wa_timestamp=at, received_at=at))
            _seen(contact, at)
            figures.inbound += 1
        handed = start + timedelta(minutes=2 * (len(texts) - 1))
        session.add(_bot_reply(contact.id, BOT_REPLIES["human_agent"], handed, random.Random(contact.id)))
        session.add(ConversationState(contact_id=contact.id, state=STATE_HANDOFF, last_intent="human_agent",
                                      handoff_since=handed, expires_at=handed + timedelta(hours=24)))
        figures.waiting.append((contact.name, contact.wa_id, ago < timedelta(hours=24)))


# --- the browser run ----------------------------------------------------------------------------


@pytest.fixture
def served(tmp_path, fake_graph):
    """gunicorn serving the seeded app on a free port; yields (base_url, Seeded)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'dashboard.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        figures = seed_shop(session, utcnow())
        seed_admin(session)
        session.commit()
    engine.dispose()
    env = app_env(database_url, fake_graph)
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
                                "webhook_handler:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://{env['GUNICORN_BIND']}"
    try:
        _wait_for(base, process, tmp_path / "gunicorn.log")
        yield base, figures
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_for(base: str, process: subprocess.Popen, log_path: Path) -> None:
    import urllib.request

    deadline = time.monotonic() + 120  # generous: a shared, loaded machine boots two workers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited: {log_path.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within 120 s: {log_path.read_text()[-2000:]}")


@pytest.fixture
def browser(tmp_path, request):
    """Headless Chromium (tests/support/browser_testing.py) in a language: the browser's own (`--lang`
    and Accept-Language), as an operator's browser sends it: Persian unless the test asks for English
    (`@pytest.mark.parametrize("browser", ["en"], indirect=True)`).
    """
    yield from chromium(tmp_path / "chromium-profile", getattr(request, "param", "fa"))


def _screenshot(driver, path: Path, width: int, full_height: bool = True, height: int = 900) -> None:
    """A PNG at `width` CSS pixels: the whole page, or the `height`-pixel viewport as it is scrolled."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    if full_height:
        page_height = driver.execute_script("return document.documentElement.scrollHeight")
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": page_height, "scale": 1}})
    else:
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png"})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


@dataclass(frozen=True)
class Words:
    """What the page says in one language, as the test reads it."""

    received: str
    operator: str
    handed_back: str
    direction: str

    def number(self, value: int) -> str:
        return persian_number(value) if self.direction == "rtl" else f"{value:,}"


WORDS = {"fa": Words("دریافتی", "اپراتور", "به ربات برگردانده شد", "rtl"),
         "en": Words("received", "operator", "the bot answers this customer again", "ltr")}
SIZES = {"": (1366, 900), "-phone": (390, 844)}


def _docs_shots(browser, page: str, output: Path, docs: bool) -> None:
    """The page at both sizes into test-output/ (and docs/ when asked): docs/dashboard-<page>[-phone].png."""
    for suffix, (width, height) in SIZES.items():
        name = f"dashboard{'' if page == 'overview' else '-' + page}{suffix}.png"
        _screenshot(browser, output / name, width, full_height=False, height=height)
        if docs:
            shutil.copy(output / name, ROOT / "docs" / name)


def _rect(browser, element) -> dict:
    return browser.execute_script("return arguments[0].getBoundingClientRect().toJSON()", element)


def _walk_through(base: str, figures: Seeded, browser, fake_graph, output: Path, docs: bool) -> None:
    """Log in, read the overview's figures, answer a waiting customer, hand them back: what an operator does."""
    from selenium.webdriver.common.by import By

    words = WORDS[browser.language]
    zone_today = utcnow().astimezone(ZoneInfo("Asia/Tehran")).date()
    browser.get(f"{base}/dashboard")
    assert "/dashboard/login" in browser.current_url
    assert page_direction(browser) == words.direction
    _docs_shots(browser, "login", output, docs)
    submit_login(browser)
    page_ready(browser, "the overview after login", lambda: browser.current_url.endswith("/dashboard"))
    # The URL changes when the navigation commits, before the page has been parsed: on a
    # loaded machine the KPI cards were read while still empty once (CI, 2026-11-26).
    page_ready(browser, "the overview's KPI cards",
               lambda: words.received in browser.find_element(By.TAG_NAME, "body").text.lower())

    kpis = {card.find_element(By.CLASS_NAME, "kpi-label").text.lower(): card.find_element(By.CLASS_NAME,
                                                                                          "kpi-value").text
            for card in browser.find_elements(By.CLASS_NAME, "kpi")}
    assert kpis[words.received] == words.number(figures.inbound)
    for mood in ("positive", "neutral", "negative"):
        cell = browser.find_element(By.CSS_SELECTOR, f'[data-sentiment="{mood}"]')
        assert cell.text == words.number(figures.sentiment[mood])
    top_keyword = browser.find_element(By.CSS_SELECTOR, "#keywords .hbar-label").text
    assert top_keyword == figures.keywords.most_common(1)[0][0]
    assert browser.find_elements(By.CSS_SELECTOR, "#messages-per-day svg .bar"), "the per-day chart has bars"
    funnels = browser.find_element(By.ID, "broadcasts").text
    for name, recipients in figures.broadcasts.items():
        assert name in funnels and words.number(recipients) in funnels
    assert figures.most_negative_text in browser.find_element(By.ID, "negative").text
    shown_range = browser.find_element(By.CSS_SELECTOR, "[data-range]").text
    if words.direction == "rtl":
        assert jalali(zone_today, time=False) in shown_range  # e.g. «۱۵ آذر ۱۴۰۵»
        assert not any(digit in shown_range for digit in "0123456789"), shown_range
        nav, brand = browser.find_element(By.CSS_SELECTOR, ".nav a"), browser.find_element(By.CLASS_NAME, "brand")
        assert _rect(browser, nav)["left"] > 1366 / 2 and _rect(browser, brand)["left"] > _rect(browser, nav)["left"]
    else:
        assert zone_today.strftime("%d %b %Y") in shown_range
    _screenshot(browser, output / f"dashboard-full-{browser.language}.png", 1366)
    _docs_shots(browser, "overview", output, docs)

    browser.find_element(By.CSS_SELECTOR, '.nav a[href$="/dashboard/inbox"]').click()
    waiting_filter = '.inbox-filters [data-show="waiting"]'
    page_ready(browser, "the inbox", lambda: bool(browser.find_elements(By.CSS_SELECTOR, waiting_filter)))
    browser.find_element(By.CSS_SELECTOR, waiting_filter).click()  # the handoff queue
    page_ready(browser, "the customers waiting for a person", lambda: "show=waiting" in browser.current_url)
    rows = browser.find_elements(By.CLASS_NAME, "inbox-row")
    assert [row.find_element(By.CSS_SELECTOR, ".inbox-name bdi").text for row in rows] == \
        [name for name, _, _ in figures.waiting]
    assert [row.find_element(By.CSS_SELECTOR, ".inbox-name .handle").text for row in rows] == \
        [f"+{wa_id[:2]} {wa_id[2:5]} {wa_id[5:8]} {wa_id[8:]}" for _, wa_id, _ in figures.waiting]
    assert [bool(row.find_elements(By.CSS_SELECTOR, '[data-window="open"]')) for row in rows] == \
        [window_open for _, _, window_open in figures.waiting]
    _docs_shots(browser, "inbox", output, docs)

    name, wa_id, _ = next(waiting for waiting in figures.waiting if waiting[2])
    next(row for row in rows if name in row.text).find_element(By.TAG_NAME, "a").click()
    page_ready(browser, "the conversation", lambda: bool(browser.find_elements(By.ID, "body")))
    browser.find_element(By.ID, "body").send_keys("سلام، من مریم از پشتیبانی هستم. سفارش شما امروز ارسال می‌شود.")
    browser.find_element(By.CSS_SELECTOR, ".reply-form button").click()
    wait_until(lambda: fake_graph.counts().get(wa_id) == 1, "the operator's reply at the Graph API")
    [sent] = [message for message in fake_graph.messages() if message["to"] == wa_id]
    assert sent["type"] == "text" and "از پشتیبانی هستم" in sent["text"]
    # The page was drawn before the send finished, and the row is marked sent just after the Graph API
    # answers: reload until the newest bubble shows it.
    def sent_bubble():
        browser.refresh()
        latest = browser.find_elements(By.CSS_SELECTOR, ".msg-out")[-1]
        return latest if latest.find_elements(By.CSS_SELECTOR, '.ticks[data-status="sent"]') else None
    latest = wait_until(sent_bubble, "the operator's reply marked sent in the thread")
    # textContent: the thread pane may have scrolled the bubble's text out of view (.text reads nothing then).
    latest_text = latest.get_attribute("textContent")
    assert "از پشتیبانی هستم" in latest_text and words.operator in latest_text.lower()
    # textContent: most of the thread is scrolled out of its pane, where .text reads nothing.
    days = [day.get_attribute("textContent") for day in browser.find_elements(By.CSS_SELECTOR, ".day-sep")]
    times = [moment.get_attribute("textContent") for moment in browser.find_elements(By.CSS_SELECTOR, ".msg-meta time")]
    customer = _rect(browser, browser.find_elements(By.CSS_SELECTOR, ".msg-in .bubble")[-1])
    ours = _rect(browser, latest.find_element(By.CLASS_NAME, "bubble"))
    if words.direction == "rtl":
        assert days[-1] == jalali(zone_today, time=False, weekday=True)  # «یک‌شنبه ۱۵ آذر ۱۴۰۵»
        assert all(len(moment) == 5 and moment[2] == ":" and moment.replace(":", "").isdigit()
                   and not moment.isascii() for moment in times), times
        assert customer["right"] > ours["right"] and customer["left"] > ours["left"]  # the customer on the right
    else:
        assert days[-1] == zone_today.strftime("%A %d %B %Y") and all(moment.isascii() for moment in times)
        assert customer["left"] < ours["left"]
    _docs_shots(browser, "thread", output, docs)

    browser.find_element(By.CSS_SELECTOR, 'form[action$="/release"] button').click()
    page_ready(browser, "back in the inbox", lambda: browser.current_url.endswith("/dashboard/inbox?show=waiting"))
    assert words.handed_back in browser.find_element(By.CLASS_NAME, "flashes").text
    assert all(name not in row.text for row in browser.find_elements(By.CLASS_NAME, "inbox-row"))
    assert len(browser.find_elements(By.CLASS_NAME, "inbox-row")) == len(figures.waiting) - 1


def test_a_persian_operator_reads_the_dashboard_right_to_left_and_answers_a_customer(served, browser, fake_graph):
    base, figures = served
    output = ROOT / "test-output"
    output.mkdir(exist_ok=True)
    _walk_through(base, figures, browser, fake_graph, output, os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1")


@pytest.mark.parametrize("browser", ["en"], indirect=True)
def test_an_english_browser_gets_the_same_dashboard_left_to_right(served, browser, fake_graph, tmp_path):
    base, figures = served
    _walk_through(base, figures, browser, fake_graph, tmp_path, docs=False)
