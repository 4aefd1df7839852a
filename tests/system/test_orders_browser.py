"""The orders pages in a real browser: gunicorn (two workers) serving the app, headless Chromium driving it.

In Persian, then once in English, an operator uploads the orders CSV Excel writes on a Persian
Windows (Windows-1256, Arabic ي/ك in the items, a Jalali delivery date, one line with an unknown
status), reads the preview, imports it, finds an order by its tracking code, and sees the
customer's orders on their page and beside their conversation in the inbox. Screenshots go to
test-output/ (git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 the Persian run refreshes
docs/orders-*.png at 1366×900 and 390×844.
"""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from browser_testing import (
    app_env,
    chromium,
    gunicorn,
    page_direction,
    page_ready,
    seed_admin,
    submit_login,
    tools_or_skip,
    viewport_shots,
)
from conftest import ROOT, run_migrations
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import (
    STATE_HANDOFF,
    Contact,
    ConversationState,
    Order,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)
from database_setup import create_engine_for

# What Excel's plain "CSV" writes on a Persian Windows: Windows-1256, which has no Persian ی.
EXCEL_CSV = ("number,wa_id,status,tracking_code,carrier,expected_at,items\n"
             "14051,09121110001,shipped,RR123456789IR,iran_post,1405/09/20,2 ماگ سرامیکی، 1 چای سبز\n"
             "14052,09121110002,packed,,,1405/09/22,مانتو کتان سایز 38\n"
             "14053,09121110003,lost,,,,\n"
             "14054,09121110004,delivered,TPX-558812,tipax,,کتاب «بوف کور»\n"
             "14055,09121110001,paid,,,,شال ابریشمی\n").replace("ی", "ي")
TEXT = {
    "fa": {"rejected": "وضعیت ناشناخته lost", "line": "سطر ۴", "done": "درون‌ریزی انجام شد: ۴ سفارش تازه",
           "shipped": "ارسال شده", "date": "۲۰ آذر ۱۴۰۵", "created": "۴"},
    "en": {"rejected": "Unknown status lost", "line": "Line 4", "done": "Import done: 4 created",
           "shipped": "shipped", "date": "Dec 2026", "created": "4"},
}


def _seed(session: Session) -> None:
    """Ali asked where his order is and was handed to a person; two older orders of other customers."""
    now = utcnow()
    ali = Contact(wa_id="989121110001", name="علی کریمی", attributes={}, last_inbound_at=now - timedelta(minutes=20),
                  first_inbound_at=now - timedelta(days=30))
    sara = Contact(wa_id="989121110002", name="سارا کاظمی", attributes={})
    neda = Contact(wa_id="989124000003", name="ندا حسینی", attributes={})
    session.add_all([ali, sara, neda])
    session.flush()
    session.add(ReceivedMessageLog(wamid="wamid.seed.1", contact_id=ali.id, message_type="text",
                                   text="سلام، سفارش ۱۴۰۵۱ کی میرسه؟ هنوز به دستم نرسیده", payload={},
                                   received_at=now - timedelta(minutes=20)))
    session.add(ScheduledMessage(contact_id=ali.id, kind="reply", status="read", scheduled_at=now, sent_at=now,
                                 body="متأسفیم 🙏 گفتگو را به همکارانمان سپردیم تا بررسی کنند."))
    session.add(ConversationState(contact_id=ali.id, state=STATE_HANDOFF, handoff_since=now - timedelta(minutes=19),
                                  expires_at=now + timedelta(hours=24)))
    session.add_all([Order(number="13990", contact_id=neda.id, status="delivered", carrier="chapar",
                           tracking_code="CH-77120", updated_at=now - timedelta(days=6)),
                     Order(number="13991", contact_id=sara.id, status="returned", items="کفش ورزشی سایز ۴۰",
                           updated_at=now - timedelta(days=3))])


@pytest.fixture
def served(tmp_path):
    """gunicorn with two workers on a seeded SQLite file; yields (base_url, database_url)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'orders.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        _seed(session)
        seed_admin(session)
        session.commit()
    engine.dispose()
    env = app_env(database_url)
    with gunicorn(env, tmp_path / "gunicorn.log", ROOT) as base:
        yield base, database_url


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium through the system chromedriver (tests/support/browser_testing.py)."""
    yield from chromium(tmp_path / "chromium-profile")


@pytest.mark.parametrize("language", ["fa", "en"])
def test_operator_uploads_orders_then_finds_them_by_customer_and_tracking_code(served, browser, tmp_path, language):
    from selenium.webdriver.common.by import By

    base, database_url = served
    text = TEXT[language]
    docs = language == "fa" and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
    find, find_all = browser.find_element, browser.find_elements
    browser.get(f"{base}/dashboard/language/{language}?next=/dashboard/orders")
    submit_login(browser)
    page_ready(browser, "the orders list", lambda: browser.current_url.endswith("/dashboard/orders"))
    assert page_direction(browser) == ("rtl" if language == "fa" else "ltr")
    assert find(By.CSS_SELECTOR, 'nav.nav a[aria-current="page"]').get_attribute("href").endswith("/dashboard/orders")
    assert len(find_all(By.CSS_SELECTOR, "tr[data-order]")) == 2

    find(By.CSS_SELECTOR, 'a[href$="/dashboard/orders/import"]').click()
    page_ready(browser, "the upload form", lambda: bool(find_all(By.ID, "orders-file")))
    excel = tmp_path / "سفارش‌ها.csv"
    excel.write_bytes(EXCEL_CSV.encode("cp1256"))
    find(By.ID, "orders-file").send_keys(str(excel))
    find(By.CSS_SELECTOR, ".upload-form button").click()
    page_ready(browser, "the preview", lambda: bool(find_all(By.ID, "commit-import")))
    errors = {int(item.get_attribute("data-line")): item.text for item in find_all(By.CSS_SELECTOR, ".error-lines li")}
    assert sorted(errors) == [4] and text["rejected"] in errors[4] and text["line"] in errors[4]
    assert find(By.CSS_SELECTOR, '[data-count="created"] strong').text == text["created"]
    rows = [row.text for row in find_all(By.CSS_SELECTOR, ".preview-table tbody tr")]
    assert len(rows) == 4 and "ماگ سرامیکی" in rows[0]  # Persian letters, not the file's Arabic ي
    viewport_shots(browser, "orders-import-preview", docs)
    engine = create_engine_for(database_url)
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Order)) == 2  # the preview wrote nothing

    find(By.ID, "commit-import").click()
    page_ready(browser, "back on the list", lambda: bool(find_all(By.CLASS_NAME, "flashes")))
    assert text["done"] in find(By.CLASS_NAME, "flashes").text
    numbers = [row.get_attribute("data-order") for row in find_all(By.CSS_SELECTOR, "tr[data-order]")]
    assert len(numbers) == 6 and numbers[-2:] == ["13991", "13990"]  # the older ones last
    shipped = find(By.CSS_SELECTOR, 'tr[data-order="14051"]').text
    assert text["shipped"] in shipped and text["date"] in shipped and "RR123456789IR" in shipped
    viewport_shots(browser, "orders-list", docs)

    search = find(By.CSS_SELECTOR, 'input[name="q"]')
    search.send_keys("tpx-5588")
    search.submit()
    page_ready(browser, "the search's result", lambda: "q=" in browser.current_url)
    assert [row.get_attribute("data-order") for row in find_all(By.CSS_SELECTOR, "tr[data-order]")] == ["14054"]

    with Session(engine) as check:
        ali = check.scalars(select(Contact).where(Contact.wa_id == "989121110001")).one().id
    engine.dispose()
    browser.get(f"{base}/dashboard/contacts/{ali}")
    page_ready(browser, "Ali's page", lambda: bool(find_all(By.CSS_SELECTOR, ".orders-panel li")))
    assert [item.get_attribute("data-order") for item in find_all(By.CSS_SELECTOR, ".orders-panel li")] == [
        "14055", "14051"]
    viewport_shots(browser, "orders-contact", docs)
    browser.get(f"{base}/dashboard/inbox/{ali}")
    page_ready(browser, "Ali's conversation", lambda: bool(find_all(By.CSS_SELECTOR, "details.orders-panel")))
    find(By.CSS_SELECTOR, "details.orders-panel summary").click()
    assert "RR123456789IR" in find(By.CSS_SELECTOR, "details.orders-panel").text
    # On a phone the longest status ("Window open · closes 08 Dec 2026, 19:55") wraps inside the header's card
    # (viewport_shots checks every card).
    viewport_shots(browser, "orders-thread", docs)
