"""Building, scheduling and reading a campaign in a real browser, in Persian (and once in English).

gunicorn serves the app on its own SQLite file and sends through pywa to the fake Graph API;
headless Chromium drives the builder: a text for customers inside the 24-hour window and a
template for the others, the estimate and the preview, a Jalali send time typed in Persian
digits. The campaign is then sent the way operators run it, by the cron script
`run_broadcast_processor.py`, and its page is read back with the funnel. Screenshots go to
test-output/ (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 also to docs/campaigns-*.png.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from browser_testing import (
    app_env,
    both_widths,
    chromium,
    gunicorn,
    page_direction,
    page_ready,
    seed_admin,
    submit_login,
    tools_or_skip,
)
from conftest import ROOT, run_migrations
from sqlalchemy.orm import Session

from database_models import Broadcast, Contact, ContactTag, ScheduledMessage, utcnow
from database_setup import create_engine_for
from language.jalali import jalali_numeric, persian_digits, persian_number

ZONE = ZoneInfo("Asia/Tehran")
# (name, wa_id or BSUID, hours since the last message or None, opted out, tags)
CUSTOMERS = [("سارا محمدی", "989121110001", 2, False, ("vip",)), ("رضا کریمی", "989121110002", 5, False, ("vip",)),
             ("مریم احمدی", "989121110003", 20, False, ()), ("Kian Moradi", "989121110004", 1, False, ("vip",)),
             ("علی رضایی", "989121110005", 30, False, ("vip",)), ("ندا حسینی", "989121110006", 72, False, ()),
             ("لیلا نوری", "989121110007", None, False, ()), ("امیر کاظمی", "989121110008", 200, False, ()),
             ("زهرا قاسمی", "989121110009", 3, True, ()), ("حمید جعفری", "989121110010", 90, True, ()),
             ("نرگس موسوی", "US.13491208655302741918", 4, False, ("vip",))]
IN_WINDOW, OUTSIDE, OPTED_OUT = 5, 4, 2


def seed(session: Session) -> None:
    now = utcnow()
    contacts = []
    for name, address, hours, opted_out, tags in CUSTOMERS:
        bsuid = address.startswith("US.")
        contact = Contact(wa_id=None if bsuid else address, user_id=address if bsuid else None, name=name,
                          attributes={"city": "تهران"}, opted_out=opted_out,
                          last_inbound_at=now - timedelta(hours=hours) if hours is not None else None)
        contact.tags = [ContactTag(tag=tag) for tag in tags]
        session.add(contact)
        contacts.append(contact)
    session.flush()
    for days, name, statuses in ((9, "حراج پاییزه", ["read"] * 6 + ["delivered"] * 2 + ["failed"]),
                                 (3, "New autumn collection", ["read"] * 3 + ["sent"] * 4 + ["skipped"] * 2)):
        at = now - timedelta(days=days)
        campaign = Broadcast(name=name, body=None, template_name="autumn_sale", template_language="fa",
                             audience={"kind": "all"}, scheduled_at=at, status="completed", completed_at=at,
                             recipient_count=len(statuses))
        session.add(campaign)
        session.flush()
        for contact, status in zip(contacts, statuses, strict=False):
            session.add(ScheduledMessage(
                contact_id=contact.id, broadcast_id=campaign.id, kind="broadcast", template_name="autumn_sale",
                template_language="fa", scheduled_at=at, status=status,
                sent_at=at if status in ("read", "delivered", "sent") else None,
                last_error_code=131026 if status == "failed" else None,
                last_error_title="Message Undeliverable" if status == "failed" else
                "outside the 24-hour window and no template" if status == "skipped" else None))


@pytest.fixture
def served(tmp_path, fake_graph):
    """gunicorn on a seeded SQLite file; yields (base_url, the environment the cron script runs with)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'campaigns.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        seed(session)
        seed_admin(session)
        session.commit()
    engine.dispose()
    env = app_env(database_url, fake_graph)
    with gunicorn(env, tmp_path / "gunicorn.log", ROOT) as base:
        yield base, env


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through the system chromedriver (tests/support/browser_testing.py)."""
    yield from chromium(tmp_path / "chromium-profile")


def log_in(driver, base: str, language: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/dashboard/language/{language}?next=/dashboard/login")
    driver.find_element(By.ID, "username")  # the login form is there
    submit_login(driver)
    page_ready(driver, "the overview after login", lambda: driver.current_url.endswith("/dashboard"))


def build_and_estimate(driver, base: str, name: str, send_at: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/dashboard/campaigns")
    driver.find_element(By.CSS_SELECTOR, '.page-head a[href$="/dashboard/campaigns/new"]').click()
    page_ready(driver, "the campaign builder", lambda: bool(driver.find_elements(By.ID, "name")))
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "body").send_keys("سلام {first_name|دوست عزیز}، حراج یلدا در {city} شروع شد: ۳۰٪ تخفیف")
    driver.find_element(By.ID, "template_name").send_keys("yalda_sale")
    driver.find_element(By.ID, "params").send_keys("name|مشتری عزیز")
    driver.find_element(By.CSS_SELECTOR, 'input[name="when"][value="at"]').click()
    driver.find_element(By.ID, "send_at").send_keys(send_at)
    driver.find_element(By.ID, "estimate-button").click()
    page_ready(driver, "the estimate", lambda: driver.find_elements(By.ID, "estimate"))


def figures(driver) -> dict[str, str]:
    from selenium.webdriver.common.by import By

    return {element.get_attribute("data-route"): element.find_element(By.TAG_NAME, "dd").text
            for element in driver.find_elements(By.CSS_SELECTOR, ".estimate-figures > div")}


def run_cron_script(env: dict[str, str]) -> None:
    """What cron runs every minute (README, "Operations")."""
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-2000:]


def funnel(driver) -> dict[str, int]:
    from selenium.webdriver.common.by import By

    return {row.get_attribute("data-stage"): int(row.find_element(By.CLASS_NAME, "hbar-value")
                                                 .get_attribute("data-count"))
            for row in driver.find_elements(By.CSS_SELECTOR, "#funnel .hbar-row")}


def test_a_persian_operator_builds_schedules_sends_and_reads_a_campaign(served, browser, fake_graph):
    from selenium.webdriver.common.by import By

    base, env = served
    log_in(browser, base, "fa")
    browser.get(f"{base}/dashboard/campaigns")
    assert page_direction(browser) == "rtl"
    assert "حراج پاییزه" in browser.find_element(By.CSS_SELECTOR, "table.campaigns-table").text
    both_widths(browser, "campaigns-list")

    # This very minute, in Jalali with Persian digits: due as soon as it is scheduled.
    send_at = persian_digits(jalali_numeric(utcnow(), ZONE))
    build_and_estimate(browser, base, "حراج شب یلدا", send_at)
    assert figures(browser) == {"text": persian_number(IN_WINDOW), "template": persian_number(OUTSIDE),
                                "skipped": persian_number(OPTED_OUT)}
    previews = browser.find_elements(By.CSS_SELECTOR, "#preview .preview")
    assert len(previews) == 3
    assert "سلام سارا، حراج یلدا در تهران شروع شد" in previews[0].text
    assert previews[2].get_attribute("data-route") == "template" and "علی رضایی" in previews[2].text
    both_widths(browser, "campaigns-builder")

    browser.find_element(By.ID, "schedule-button").click()
    page_ready(browser, "the new campaign\'s page", lambda: "/dashboard/campaigns/3" in browser.current_url)
    assert "کمپین برای ۹ گیرنده زمان‌بندی شد." in browser.find_element(By.CLASS_NAME, "flashes").text

    run_cron_script(env)
    sent = Counter(message["type"] for message in fake_graph.messages())
    assert sent == {"text": IN_WINDOW, "template": OUTSIDE}
    texts = {message["to"]: message["text"] for message in fake_graph.messages() if message["type"] == "text"}
    assert texts["989121110001"].startswith("سلام سارا،")

    browser.refresh()
    assert funnel(browser) == {"queued": 9, "sent": 9, "delivered": 0, "read": 0, "replied": 0, "failed": 0,
                               "skipped": 0}
    assert browser.find_element(By.CSS_SELECTOR, ".page-head .campaign-status").get_attribute("data-status") == \
        "completed"
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.recipients-table tbody tr")) == 9
    assert "پایان‌یافته" in browser.find_element(By.CSS_SELECTOR, ".page-head").text
    both_widths(browser, "campaigns-page")


def test_the_same_path_in_english(served, browser, fake_graph):
    from selenium.webdriver.common.by import By

    base, env = served
    log_in(browser, base, "en")
    this_minute = utcnow().astimezone(ZONE).strftime("%Y-%m-%dT%H:%M")  # ISO this time: due at once
    build_and_estimate(browser, base, "Yalda night sale", this_minute)
    assert figures(browser) == {"text": str(IN_WINDOW), "template": str(OUTSIDE), "skipped": str(OPTED_OUT)}
    assert "Opted out" in browser.find_element(By.ID, "estimate").text
    browser.find_element(By.ID, "schedule-button").click()
    page_ready(browser, "the new campaign\'s page", lambda: "/dashboard/campaigns/3" in browser.current_url)
    assert "Campaign scheduled for 9 recipients." in browser.find_element(By.CLASS_NAME, "flashes").text
    run_cron_script(env)
    assert len(fake_graph.messages()) == IN_WINDOW + OUTSIDE
    browser.refresh()
    assert funnel(browser)["sent"] == 9 and "Completed" in browser.find_element(By.CSS_SELECTOR, ".page-head").text
