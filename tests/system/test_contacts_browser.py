"""The contacts pages in a real browser: gunicorn (two workers) serving the app, headless Chromium driving it.

In Persian, then once in English, an operator uploads the CSV Excel writes on a Persian Windows
(Windows-1256, Persian headers, Arabic ي/ك in the names), reads the preview and its rejected
lines, imports it, finds a contact by searching and edits it. The preview and the commit may be
served by different workers: the upload waits in the database. Screenshots go to test-output/
(git-ignored); with UPDATE_DOCS_SCREENSHOTS=1 the Persian run refreshes docs/contacts-*.png at
1366×900 and 390×844.
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
from sqlalchemy import select
from sqlalchemy.orm import Session

from database_models import Contact, ContactTag, ReceivedMessageLog, ScheduledMessage, utcnow
from database_setup import create_engine_for

# What Excel's plain "CSV" writes on a Persian Windows: Windows-1256, which has no Persian ی.
EXCEL_CSV = ("شماره,نام,برچسب,شهر\n"
             "09121110001,علی کریمی,مشتری;vip,تهران\n"
             "0912,کوتاه,,\n"
             "09121110002,سارا کاظمی,مشتری,شیراز\n"
             "نامعلوم,بی‌شماره,,\n"
             "09350000001,مریم احمدی,,اصفهان\n").replace("ی", "ي")
TEXT = {
    "fa": {"rejected": "شمارهٔ بین‌المللی نیست", "done": "درون‌ریزی انجام شد: ۲ تازه، ۱ به‌روز شد",
           "saved": "ذخیره شد.", "line": "سطر ۳", "opted_out": "لغو شد"},
    "en": {"rejected": "Not an international number", "done": "Import done: 2 created, 1 updated",
           "saved": "Saved.", "line": "Line 3", "opted_out": "Opted out:"},
}


def _seed(session: Session) -> None:
    """A shop's few contacts: Maryam (in the file too) wrote today and got an answer."""
    now = utcnow()
    maryam = Contact(wa_id="989350000001", name="Maryam", attributes={"size": "38"}, tags=[ContactTag(tag="yalda")],
                     last_inbound_at=now - timedelta(hours=1), first_inbound_at=now - timedelta(days=40))
    session.add_all([maryam, *(Contact(wa_id=f"98912400{i:04d}", name=name, attributes={})
                               for i, name in enumerate(["رضا نوری", "Omid Karimi", "ندا حسینی", "لیلا قاسمی"]))])
    session.flush()
    session.add(ReceivedMessageLog(wamid="wamid.seed.1", contact_id=maryam.id, message_type="text",
                                   text="سلام، سایز ۳۸ این مانتو موجوده؟", payload={},
                                   received_at=now - timedelta(hours=1)))
    session.add(ScheduledMessage(contact_id=maryam.id, kind="reply", body="بله، موجود است 🌷", status="read",
                                 scheduled_at=now - timedelta(minutes=58), sent_at=now - timedelta(minutes=58)))


@pytest.fixture
def served(tmp_path):
    """gunicorn with two workers on a seeded SQLite file; yields (base_url, database_url)."""
    tools_or_skip()
    database_url = f"sqlite:///{tmp_path / 'contacts.db'}"
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
def test_operator_imports_an_excel_file_then_finds_and_edits_a_contact(served, browser, tmp_path, language):
    from selenium.webdriver.common.by import By

    base, database_url = served
    text = TEXT[language]
    docs = language == "fa" and os.environ.get("UPDATE_DOCS_SCREENSHOTS") == "1"
    find, find_all = browser.find_element, browser.find_elements
    browser.get(f"{base}/dashboard/language/{language}?next=/dashboard/contacts")
    submit_login(browser)
    page_ready(browser, "the contacts list", lambda: browser.current_url.endswith("/dashboard/contacts"))
    assert page_direction(browser) == ("rtl" if language == "fa" else "ltr")
    assert len(find_all(By.CSS_SELECTOR, "tr[data-contact]")) == 5
    viewport_shots(browser, "contacts-list", docs)

    find(By.CSS_SELECTOR, 'a[href$="/dashboard/contacts/import"]').click()
    excel = tmp_path / "مشتریان.csv"
    excel.write_bytes(EXCEL_CSV.encode("cp1256"))
    find(By.ID, "contacts-file").send_keys(str(excel))
    find(By.CSS_SELECTOR, ".upload-form button").click()
    page_ready(browser, "the preview", lambda: bool(find_all(By.ID, "commit-import")))
    errors = {int(item.get_attribute("data-line")): item.text for item in find_all(By.CSS_SELECTOR, ".error-lines li")}
    assert sorted(errors) == [3, 5] and text["rejected"] in errors[3] and text["line"] in errors[3]
    rows = [row.text for row in find_all(By.CSS_SELECTOR, ".preview-table tbody tr")]
    assert len(rows) == 3 and "علی کریمی" in rows[0]  # Persian letters, not the file's Arabic ي
    assert find(By.CSS_SELECTOR, '[data-count="existing"] strong').text == ("۱" if language == "fa" else "1")
    viewport_shots(browser, "contacts-import-preview", docs)

    find(By.ID, "commit-import").click()
    page_ready(browser, "back on the list", lambda: bool(find_all(By.CLASS_NAME, "flashes")))
    assert text["done"] in find(By.CLASS_NAME, "flashes").text

    search = find(By.CSS_SELECTOR, 'input[name="q"]')
    search.send_keys("کریمی")
    search.submit()
    page_ready(browser, "the search's result", lambda: "q=" in browser.current_url)
    names = [cell.text for cell in find_all(By.CSS_SELECTOR, "td.contact-name")]
    assert sorted(names) == ["علی کریمی"]  # Omid Karimi is written in Latin letters
    find(By.CSS_SELECTOR, "td.contact-name a").click()
    page_ready(browser, "the contact's page", lambda: bool(find_all(By.ID, "contact-name")))
    name = find(By.ID, "contact-name")
    name.clear()
    name.send_keys("علی کریمی‌نژاد")
    tags = find(By.ID, "contact-tags")
    tags.clear()
    tags.send_keys("مشتری، طلایی")
    find(By.CSS_SELECTOR, ".attribute-row.new input[name=attr_key]").send_keys("سایز")
    find(By.CSS_SELECTOR, ".attribute-row.new input[name=attr_value]").send_keys("۴۲")
    find(By.CSS_SELECTOR, ".edit-form button[type=submit]").click()
    page_ready(browser, "the saved contact", lambda: bool(find_all(By.CLASS_NAME, "flashes")))
    assert text["saved"] in find(By.CLASS_NAME, "flashes").text
    find(By.CSS_SELECTOR, '.opt-form input[name="reason"]').send_keys("گفت پیام تبلیغاتی نفرستید")
    find(By.CSS_SELECTOR, ".opt-form button").click()
    page_ready(browser, "the opt-out", lambda: text["opted_out"] in find(By.CLASS_NAME, "flashes").text)
    engine = create_engine_for(database_url)
    with Session(engine) as check:
        ali = check.scalars(select(Contact).where(Contact.wa_id == "989121110001")).one()
        assert (ali.name, ali.tag_names, ali.attributes, ali.opted_out) == (
            "علی کریمی‌نژاد", ["طلایی", "مشتری"], {"شهر": "تهران", "سایز": "۴۲"}, True)
        maryam = check.scalars(select(Contact).where(Contact.wa_id == "989350000001")).one()
        assert (maryam.name, maryam.tag_names) == ("مریم احمدی", ["yalda"])  # updated by the file, tags kept
        maryam_id = maryam.id
    engine.dispose()
    browser.get(f"{base}/dashboard/contacts/{maryam_id}")
    page_ready(browser, "Maryam's page", lambda: bool(find_all(By.CSS_SELECTOR, ".contact-thread .msg")))
    viewport_shots(browser, "contacts-contact", docs)
