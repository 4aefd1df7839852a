"""The interface language: every string translated, Persian first, English by choice, RTL in Persian."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from conftest import ROOT

from web.i18n import TRANSLATIONS, stale_catalogues

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def extracted_messages() -> set[str]:
    """Every `_()`/`gettext`/`ngettext` source string in templates/ and web/, as pybabel extracts them."""
    methods = [("templates/**.html", "jinja2"), ("web/**.py", "python")]
    found = set()
    for _path, _line, message, _comments, _context in extract_from_dir(str(ROOT), methods):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def persian_catalogue():
    with open(TRANSLATIONS / "fa" / "LC_MESSAGES" / "messages.po", "rb") as source:
        return read_po(source)


def test_every_interface_string_has_a_persian_translation_with_the_same_placeholders():
    catalogue = persian_catalogue()
    missing, broken = [], []
    for source in sorted(extracted_messages()):
        entry = catalogue.get(source)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not all(strings):
            missing.append(source)
            continue
        expected = set(PLACEHOLDER.findall(source))
        broken += [source for string in strings if set(PLACEHOLDER.findall(string)) != expected]
    assert missing == [], "translate these in translations/fa/LC_MESSAGES/messages.po"
    assert broken == [], "these translations lose or invent a %(name)s placeholder"


def test_the_catalogue_holds_no_entry_the_interface_no_longer_uses():
    used = extracted_messages()
    assert sorted(entry.id if isinstance(entry.id, str) else entry.id[0]
                  for entry in persian_catalogue() if entry.id and
                  (entry.id if isinstance(entry.id, str) else entry.id[0]) not in used) == []


def test_the_compiled_catalogue_is_current():
    assert stale_catalogues() == [], "run make install (it compiles the catalogues)"


def test_a_first_visit_reads_persian_right_to_left(persian_client):
    page = persian_client.get("/dashboard/login").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page
    assert "ورود" in page and "Log in" not in page


def test_the_browser_language_decides_until_the_operator_chooses(persian_client):
    english = persian_client.get("/dashboard/login", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert '<html lang="en" dir="ltr">' in english.get_data(as_text=True)
    persian = persian_client.get("/dashboard/login", headers={"Accept-Language": "fa-IR,fa;q=0.9,en;q=0.5"})
    assert '<html lang="fa" dir="rtl">' in persian.get_data(as_text=True)


def test_the_switch_remembers_the_choice_and_goes_back(persian_client):
    switched = persian_client.get("/dashboard/language/en?next=/dashboard/login")
    assert switched.status_code == 302 and switched.headers["Location"] == "/dashboard/login"
    assert "lang=en" in switched.headers["Set-Cookie"] and "HttpOnly" in switched.headers["Set-Cookie"]
    page = persian_client.get("/dashboard/login", headers={"Accept-Language": "fa"}).get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in page and "Log in" in page


def test_the_switch_refuses_unknown_languages_and_foreign_destinations(persian_client):
    assert persian_client.get("/dashboard/language/de").status_code == 404
    away = persian_client.get("/dashboard/language/fa?next=https://evil.example/")
    assert away.status_code == 302 and away.headers["Location"] == "/dashboard"
    assert persian_client.get("/dashboard/language/fa?next=/dashboard%0d%0aX:1").status_code == 400


def test_no_source_string_is_translated_twice():
    # Branches append entries by hand and the .po merges by union: a string two pages share must keep one entry.
    text = (TRANSLATIONS / "fa" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    sources = re.findall(r'^msgid "(.+)"$', text, re.MULTILINE)
    assert sorted({source for source in sources if sources.count(source) > 1}) == []


def test_an_address_no_dashboard_page_has_gets_the_dashboard_error_page_in_persian(persian_client):
    answer = persian_client.get("/dashboard/no-such-page")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404 and answer.mimetype == "text/html"
    assert '<html lang="fa" dir="rtl">' in page and 'data-error="404"' in page
    assert persian_client.get("/api/no-such-thing").mimetype == "application/json"  # machines keep JSON
