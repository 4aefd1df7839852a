"""Operator accounts in a real browser: an admin adds an agent, the agent works within their role and logs out.

gunicorn (two workers) serves the app on its own SQLite file seeded with one admin and a few
contacts; headless Chromium, in Persian as a first visit sees it, drives the users page, the
login form and the audit page. After the agent logs out, a copy of their cookie taken before
is refused by whichever worker answers. Screenshots of the users and audit pages (desktop
1366 and phone 390 wide) go to test-output/, and with UPDATE_DOCS_SCREENSHOTS=1 to docs/.
"""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from browser_testing import (
    BROWSER_ADMIN,
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

from database_models import Contact, ReceivedMessageLog, utcnow
from database_setup import create_engine_for

AGENT = ("sara", "sara-agent-password")


@pytest.fixture
def served(tmp_path):
    """gunicorn with two workers on a SQLite file seeded with an admin and a customer; yields the base URL."""
    yield from _serve(tmp_path, with_admin=True)


@pytest.fixture
def fresh(tmp_path):
    """The same on a freshly migrated database: no operator yet."""
    yield from _serve(tmp_path, with_admin=False)


def _serve(tmp_path, with_admin: bool):
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'users.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        if with_admin:
            seed_admin(session)
        now = utcnow()
        contact = Contact(wa_id="989350000001", name="مریم کاظمی", attributes={}, last_inbound_at=now,
                          first_inbound_at=now - timedelta(days=3))
        session.add(contact)
        session.flush()
        session.add(ReceivedMessageLog(wamid="wamid.users.1", contact_id=contact.id, message_type="text",
                                       text="سلام، سفارشم کجاست؟", payload={}, received_at=now))
        session.commit()
    engine.dispose()
    env = app_env(database_url)
    with gunicorn(env, tmp_path / "gunicorn.log", ROOT) as base:
        yield base


@pytest.fixture
def browser(tmp_path):
    yield from chromium(tmp_path / "chromium-profile", "fa")


def _log_out(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "form.logout button").click()
    page_ready(driver, "the login page after logout", lambda: "/dashboard/login" in driver.current_url)


def test_an_admin_adds_an_agent_who_is_refused_admin_pages_and_whose_old_cookie_dies(served, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.select import Select

    base, find, find_all = served, browser.find_element, browser.find_elements
    browser.get(f"{base}/dashboard/users")
    page_ready(browser, "the login form", lambda: bool(find_all(By.ID, "username")))
    assert page_direction(browser) == "rtl"
    submit_login(browser)
    page_ready(browser, "the users page after login", lambda: browser.current_url.endswith("/dashboard/users"))
    assert [row.get_attribute("data-operator") for row in find_all(By.CSS_SELECTOR, "tr[data-operator]")] == ["admin"]

    form = find(By.ID, "new-operator")
    form.find_element(By.NAME, "username").send_keys(AGENT[0])
    form.find_element(By.NAME, "display_name").send_keys("سارا کریمی")
    Select(form.find_element(By.NAME, "role")).select_by_value("agent")
    form.find_element(By.NAME, "password").send_keys(AGENT[1])
    form.find_element(By.NAME, "password_again").send_keys(AGENT[1])
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    page_ready(browser, "the new agent in the list",
               lambda: bool(find_all(By.CSS_SELECTOR, 'tr[data-operator="sara"]')))
    assert "sara اکنون می‌تواند وارد شود." in find(By.CLASS_NAME, "flashes").text
    assert "کارشناس" in find(By.CSS_SELECTOR, 'tr[data-operator="sara"]').text
    both_widths(browser, "dashboard-users", no_overflow=True)
    _log_out(browser)

    submit_login(browser, *AGENT)
    page_ready(browser, "the agent's overview", lambda: browser.current_url.endswith("/dashboard"))
    nav = find(By.CSS_SELECTOR, "nav.nav").text
    assert "صندوق" in nav and "مخاطبان" in nav and "کاربران" not in nav and "کمپین‌ها" not in nav
    assert "سارا کریمی" in find(By.CSS_SELECTOR, "[data-operator-name]").text
    browser.get(f"{base}/dashboard/users")
    page_ready(browser, "the refusal", lambda: "فقط مدیر می‌تواند این صفحه را باز کند" in find(By.TAG_NAME, "body").text)
    browser.get(f"{base}/dashboard/contacts")
    page_ready(browser, "the contacts", lambda: bool(find_all(By.CSS_SELECTOR, "tr[data-contact]")))
    copied = browser.get_cookie("session")["value"]
    with httpx.Client(base_url=base, cookies={"session": copied}, timeout=5) as thief:
        assert thief.get("/dashboard/contacts").status_code == 200  # a copy works while the login is open
        _log_out(browser)
        for _ in range(4):  # whichever of the two workers answers
            answer = thief.get("/dashboard/contacts")
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/dashboard/login")

    submit_login(browser, *BROWSER_ADMIN)
    page_ready(browser, "the admin's overview", lambda: browser.current_url.endswith("/dashboard"))
    browser.get(f"{base}/dashboard/audit")
    page_ready(browser, "the audit page", lambda: bool(find_all(By.CSS_SELECTOR, "tr[data-action]")))
    rows = [(row.get_attribute("data-action"), row.text) for row in find_all(By.CSS_SELECTOR, "tr[data-action]")]
    assert [action for action, _ in rows] == ["login.succeeded", "logout", "login.succeeded", "logout",
                                              "operator.created", "login.succeeded"]
    assert "سارا کریمی" in rows[1][1] and "خارج شد" in rows[1][1]
    assert "اپراتور ساخت" in rows[4][1] and "admin" in rows[4][1] and "سارا کریمی" in rows[4][1]
    year = find(By.CSS_SELECTOR, "tr[data-action] time").text
    assert any(digit in year for digit in "۰۱۲۳۴۵۶۷۸۹") and "140" not in year  # Jalali, Persian digits
    both_widths(browser, "dashboard-audit", no_overflow=True)


def test_a_fresh_install_shows_the_command_that_creates_the_first_admin(fresh, browser):
    from selenium.webdriver.common.by import By

    browser.get(f"{fresh}/dashboard")
    page_ready(browser, "the login page", lambda: bool(browser.find_elements(By.CSS_SELECTOR, "[data-first-run]")))
    box = browser.find_element(By.CSS_SELECTOR, "[data-first-run]")
    assert "flask --app webhook_handler users create admin --role admin" in box.text
    assert "هنوز کسی نمی‌تواند وارد شود" in box.text
    both_widths(browser, "dashboard-first-run", no_overflow=True)
