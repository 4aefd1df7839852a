"""Templates and files in a real browser, in Persian: sync from Meta, send from a thread, pick one in the builder.

gunicorn serves the app on its own SQLite file with WHATSAPP_BUSINESS_ACCOUNT_ID set and sends
through pywa to the fake Graph API, which lists five templates over three pages and takes
uploads. Headless Chromium presses "Sync templates", sends a synced template with its
parameters after a preview from a closed-window thread, sends a PNG from an open one, and picks a
template in the campaign builder. Screenshots (desktop 1366 and phone 390) go to test-output/
(git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 also to docs/templates-*.png.
"""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from browser_testing import (
    app_env,
    both_widths,
    chromium,
    gunicorn,
    page_direction,
    page_ready,
    page_shot,
    seed_admin,
    submit_login,
    tools_or_skip,
)
from conftest import ROOT, run_migrations
from sqlalchemy.orm import Session

from database_models import Contact, ScheduledMessage, utcnow
from database_setup import create_engine_for

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
                       "JRU5ErkJggg==")  # a 1×1 PNG


@pytest.fixture
def served(tmp_path, fake_graph):
    """gunicorn on a SQLite file with two customers: Sara (window closed) and Reza (wrote an hour ago)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'templates.db'}"
    run_migrations(database_url)
    engine = create_engine_for(database_url)
    with Session(engine) as session:
        now = utcnow()
        session.add_all([Contact(wa_id="989121110001", name="سارا محمدی", attributes={},
                                 last_inbound_at=now - timedelta(days=2)),
                         Contact(wa_id="989121110002", name="رضا کریمی", attributes={},
                                 last_inbound_at=now - timedelta(hours=1))])
        seed_admin(session)
        session.commit()
    env = app_env(database_url, fake_graph, WHATSAPP_BUSINESS_ACCOUNT_ID="102290129340398", WEB_CONCURRENCY="1")
    with gunicorn(env, tmp_path / "gunicorn.log", ROOT) as base:
        yield base, engine
    engine.dispose()


@pytest.fixture
def browser(tmp_path):
    yield from chromium(tmp_path / "chromium-profile", "fa")


def test_a_persian_operator_syncs_sends_a_template_and_a_file_and_picks_one_in_the_builder(
        served, browser, fake_graph, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, engine = served
    browser.get(f"{base}/dashboard/login")
    submit_login(browser)
    page_ready(browser, "the overview", lambda: browser.current_url.endswith("/dashboard"))

    browser.find_element(By.CSS_SELECTOR, 'nav.nav a[href$="/dashboard/templates"]').click()
    page_ready(browser, "the templates page", lambda: browser.find_elements(By.ID, "sync-templates"))
    browser.find_element(By.CSS_SELECTOR, "#sync-templates button").click()
    page_ready(browser, "the synced list", lambda: browser.find_elements(By.ID, "templates"))
    assert page_direction(browser) == "rtl"
    assert "۵ قالب همگام شد: ۵ تازه، ۰ به‌روز." in browser.find_element(By.CLASS_NAME, "flashes").text
    assert len(browser.find_elements(By.CSS_SELECTOR, "#templates tbody tr")) == 5
    assert len(fake_graph.template_requests()) == 3
    both_widths(browser, "templates")

    with Session(engine) as session:
        sara, reza = (session.query(Contact).filter_by(wa_id=wa_id).one().id for wa_id in ("989121110001",
                                                                                          "989121110002"))
    browser.get(f"{base}/dashboard/inbox/{sara}")
    if not browser.find_element(By.ID, "send-template").get_attribute("open"):  # folded in the reply box
        browser.find_element(By.CSS_SELECTOR, "#send-template > summary").click()
    shipped = browser.find_element(By.CSS_SELECTOR, 'details[data-template="order_shipped"][data-language="fa"]')
    shipped.find_element(By.TAG_NAME, "summary").click()
    shipped.find_element(By.NAME, "param_1").send_keys("سارا")
    shipped.find_element(By.NAME, "param_2").send_keys("۴۵۲۱")
    shipped.find_element(By.CSS_SELECTOR, 'button[value="preview"]').click()
    page_ready(browser, "the preview", lambda: browser.find_elements(By.ID, "template-preview"))
    assert "سلام سارا، سفارش ۴۵۲۱ ارسال شد." in browser.find_element(By.ID, "template-preview").text
    both_widths(browser, "templates-preview")
    browser.find_element(By.ID, "send-previewed").click()
    page_ready(browser, "the thread again", lambda: "/dashboard/inbox/" in browser.current_url
               and browser.find_elements(By.CLASS_NAME, "flashes"))
    [sent] = fake_graph.messages()
    assert (sent["to"], sent["template"]["name"], sent["template"]["body_parameters"]) == \
        ("989121110001", "order_shipped", ["سارا", "۴۵۲۱"])
    page_shot(browser, "templates-thread.png", 1366)

    image = tmp_path / "رسید.png"
    image.write_bytes(PNG)
    browser.get(f"{base}/dashboard/inbox/{reza}")
    browser.find_element(By.CSS_SELECTOR, "#attach > summary").click()
    browser.find_element(By.CSS_SELECTOR, '#attach input[name="file"]').send_keys(str(image))
    browser.find_element(By.CSS_SELECTOR, '#attach input[name="caption"]').send_keys("رسید پرداخت شما")
    browser.find_element(By.CSS_SELECTOR, "#attach button").click()
    page_ready(browser, "the file sent", lambda: "فایل فرستاده شد." in browser.find_element(
        By.TAG_NAME, "body").text)
    assert [u["mime_type"] for u in fake_graph.uploads()] == ["image/png"]
    assert fake_graph.messages()[-1]["media"] == {"id": fake_graph.uploads()[0]["id"], "caption": "رسید پرداخت شما"}
    page_shot(browser, "templates-attachment-phone.png", 390, 844)

    browser.get(f"{base}/dashboard/campaigns/new")
    browser.find_element(By.ID, "name").send_keys("ارسال سفارش‌ها")
    Select(browser.find_element(By.ID, "template")).select_by_value("order_shipped|fa")
    browser.find_element(By.ID, "estimate-button").click()
    page_ready(browser, "the parameter fields", lambda: browser.find_elements(By.NAME, "param_2"))
    browser.find_element(By.NAME, "param_1").send_keys("name|مشتری عزیز")
    browser.find_element(By.NAME, "param_2").send_keys("wa_id")
    browser.find_element(By.ID, "estimate-button").click()
    page_ready(browser, "the estimate", lambda: browser.find_elements(By.ID, "estimate"))
    assert "سلام سارا محمدی، سفارش 989121110001 ارسال شد." in browser.find_element(By.ID, "preview").text
    both_widths(browser, "templates-builder")
    with Session(engine) as session:
        assert session.query(ScheduledMessage).count() == 2  # the estimate wrote nothing
