"""Contacts: number normalisation, upserts, and the CSV import (bad lines reported, re-import idempotent)."""

from __future__ import annotations

import io

import pytest
from conftest import ROOT
from sqlalchemy import func, select

from campaigns.contacts import (
    ContactError,
    export_contacts_csv,
    import_contacts_csv,
    normalize_address,
    normalize_wa_id,
    parse_contacts_csv,
    parse_tags,
    upsert_contact,
)
from database_models import Contact, ContactTag

SAMPLE = ROOT / "tests" / "data" / "contacts_sample.csv"


@pytest.mark.parametrize(("raw", "expected"), [
    ("989121234567", "989121234567"),
    ("+98 912 123 4567", "989121234567"),
    ("0098-912-123-4567", "989121234567"),
    ("(0912) 123 4567", "989121234567"),  # a national number: 0 → country code 98
    ("09121234567", "989121234567"),
    ("۰۹۱۲۱۲۳۴۵۶۷", "989121234567"),  # Persian digits
    ("٠٩١٢١٢٣٤٥٦٧", "989121234567"),  # Arabic-Indic digits
    ("+1 (415) 555-0100", "14155550100"),
    ("\u202a+44 20 7946 0958\u202c", "442079460958"),  # bidi marks copied from a right-to-left page
])
def test_numbers_are_normalised_to_whatsapps_digits_only_form(raw, expected):
    assert normalize_wa_id(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "+98 912 12x 4567", "12345", "+1234567890123456", "++98912", "0"])
def test_what_cannot_be_an_international_number_is_refused(raw):
    with pytest.raises(ContactError):
        normalize_wa_id(raw)


def test_a_different_default_country_code_applies_to_national_numbers():
    assert normalize_wa_id("07911 123456", default_country_code="44") == "447911123456"


def test_tags_split_on_semicolons_and_bars_trimmed_lowercased_unique():
    assert parse_tags(" VIP; new | vip ||Tehran ") == ["vip", "new", "tehran"]


def test_the_csv_import_reports_bad_lines_and_imports_the_rest(session):
    with SAMPLE.open("rb") as csv_file:
        report = import_contacts_csv(session, csv_file)

    assert (report.created, report.updated, report.unchanged) == (5, 0, 0)
    assert report.errors == [
        (6, "not a phone number: 'not-a-number'"),
        (7, "wa_id is empty"),
        (8, "989120000001 already appears on line 2"),
        (10, "not an international number (8–15 digits): '12345'"),
    ]
    contacts = {c.wa_id: c for c in session.scalars(select(Contact))}
    assert set(contacts) == {"989120000001", "989120000002", "989120000003", "989120000004", "442079460958"}
    sara = contacts["989120000001"]
    assert sara.name == "Sara Ahmadi" and sara.tag_names == ["tehran", "vip"]
    assert sara.attributes == {"city": "Tehran", "plan": "gold"}
    assert contacts["989120000002"].name == "علی رضایی" and contacts["989120000002"].tag_names == ["new", "vip"]
    assert contacts["989120000003"].attributes == {"city": "Shiraz"}
    assert contacts["989120000004"].name is None and contacts["989120000004"].attributes == {}


def test_importing_the_same_file_again_changes_nothing(session):
    with SAMPLE.open("rb") as csv_file:
        import_contacts_csv(session, csv_file)
    before = _snapshot(session)
    with SAMPLE.open("rb") as csv_file:
        again = import_contacts_csv(session, csv_file)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    assert _snapshot(session) == before


def _snapshot(session):
    contacts = session.execute(select(Contact.wa_id, Contact.name, Contact.attributes, Contact.updated_at)
                               .order_by(Contact.wa_id)).all()
    tags = session.execute(select(ContactTag.contact_id, ContactTag.tag).order_by(ContactTag.id)).all()
    return [tuple(row) for row in contacts], [tuple(row) for row in tags]


def test_a_changed_file_updates_names_adds_tags_and_merges_attributes(session, make_contact):
    make_contact("989120000001", "Old Name", tags=("legacy",), attributes={"city": "Karaj", "since": "2019"},
                 opted_out=True)
    report = import_contacts_csv(session, io.StringIO("wa_id,name,tags,city\n09120000001,New Name,vip,Tehran\n"))
    assert (report.created, report.updated) == (0, 1)
    contact = session.scalars(select(Contact).execution_options(populate_existing=True)).one()
    session.refresh(contact)
    assert contact.name == "New Name" and contact.tag_names == ["legacy", "vip"]
    assert contact.attributes == {"city": "Tehran", "since": "2019"}
    assert contact.opted_out  # an import never opts anyone back in


@pytest.mark.parametrize(("content", "message"), [
    ("name,tags\nSara,vip\n", "wa_id column"),
    ("wa_id,first name\n0912,Sara\n", "cannot be an attribute name"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x9e", "save it as CSV"),  # an .xlsx, not a CSV
    ("شماره,موبایل\n0912,0913\n", "two columns"),
])
def test_an_unusable_file_is_refused_with_a_clear_message(session, content, message):
    stream = io.BytesIO(content) if isinstance(content, bytes) else io.StringIO(content)
    with pytest.raises(ContactError, match=message):
        import_contacts_csv(session, stream)
    assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_a_line_with_too_many_fields_is_reported(session):
    report = import_contacts_csv(session, io.StringIO("wa_id,name\n09120000001,Sara,extra\n09120000002,Ali\n"))
    assert report.errors == [(2, "more fields than header columns")] and report.created == 1


def test_upsert_contact_creates_then_updates(session):
    contact, outcome = upsert_contact(session, "+98 912 000 0009", "Mina", ["vip"], {"city": "Rasht"})
    assert outcome == "created" and contact.wa_id == "989120000009" and contact.tag_names == ["vip"]
    _, outcome = upsert_contact(session, "09120000009", "Mina", ["vip"], {"city": "Rasht"})
    assert outcome == "unchanged"
    contact, outcome = upsert_contact(session, "09120000009", None, ["new"], {"plan": "gold"})
    assert outcome == "updated" and contact.name == "Mina"
    assert contact.attributes == {"city": "Rasht", "plan": "gold"} and contact.tag_names == ["new", "vip"]


# --- customers known by a business-scoped user id (BSUID) -------------------------------------

def test_normalize_address_passes_a_bsuid_and_normalises_a_number():
    assert normalize_address(" US.13491208655302741918 ") == "US.13491208655302741918"
    assert normalize_address("0912 123 4567") == "989121234567"
    with pytest.raises(ContactError):
        normalize_address("us.1349")  # not a BSUID (lower-case country) nor a number


def test_the_export_shows_usernames_and_bsuids_and_imports_back_unchanged(session):
    session.add_all([
        Contact(wa_id="989121234567", name="Sara", attributes={"city": "Tehran"}, tags=[ContactTag(tag="vip")]),
        Contact(user_id="IR.7301958846120533", username="shirin.gallery", name="Shirin",
                attributes={"plan": "gold"}),
    ])
    session.flush()
    exported = export_contacts_csv(session)
    assert exported.splitlines() == [
        "wa_id,user_id,username,name,tags,city,plan",
        "989121234567,,,Sara,vip,Tehran,",
        ",IR.7301958846120533,shirin.gallery,Shirin,,,gold",
    ]
    report = import_contacts_csv(session, io.StringIO(exported))
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 0, 2, [])
    assert session.scalar(select(func.count()).select_from(Contact)) == 2


def test_a_csv_row_may_name_its_contact_by_bsuid(session):
    csv_text = ("wa_id,user_id,name,tags\n"
                ",IR.7301958846120533,Shirin,bags\n"
                ",not-a-bsuid,Nobody,\n"
                ",,Empty,\n")
    report = import_contacts_csv(session, io.StringIO(csv_text))
    assert report.created == 1
    assert [line for line, _ in report.errors] == [3, 4]
    contact = session.scalars(select(Contact).where(Contact.user_id == "IR.7301958846120533")).one()
    assert (contact.wa_id, contact.name, contact.tag_names) == (None, "Shirin", ["bags"])
    again, outcome = upsert_contact(session, "IR.7301958846120533", None, ["vip"], {"plan": "gold"})
    assert (again.id, outcome, again.tag_names, again.attributes) == (contact.id, "updated", ["bags", "vip"],
                                                                     {"plan": "gold"})


# --- what spreadsheets write: encodings, Persian headers, Arabic letters ------------------------------

PERSIAN_CSV = "شماره,نام,برچسب‌ها,شهر\n09121110001,علی کریمی,مشتری;VIP,تهران\n0912,کوتاه,,\n+98 912 111 0002,سارا,,\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1256"])
def test_persian_headers_in_every_encoding_a_spreadsheet_writes(session, encoding):
    # Windows-1256 has no Persian ی: Excel writes the Arabic ي in its place.
    text = PERSIAN_CSV.replace("ی", "ي") if encoding == "cp1256" else PERSIAN_CSV
    report = import_contacts_csv(session, io.BytesIO(text.encode(encoding)))
    assert (report.created, [line for line, _ in report.errors]) == (2, [3])
    ali = session.scalars(select(Contact).where(Contact.wa_id == "989121110001")).one()
    assert (ali.name, ali.tag_names, ali.attributes) == ("علی کریمی", ["vip", "مشتری"], {"شهر": "تهران"})


@pytest.mark.parametrize(("header", "columns"), [
    ("موبايل,اسم,برچسب", ["wa_id", "name", "tags"]),  # Arabic yeh in the header, as cp1256 stores it
    ("تلفن همراه,نام و نام خانوادگی,برچسب ها", ["wa_id", "name", "tags"]),
    ("Phone,Name,Tags,user_id", ["wa_id", "name", "tags", "user_id"]),
    ("شماره موبایل,city", ["wa_id", "city"]),
])
def test_header_variants_are_understood(header, columns):
    parsed = parse_contacts_csv(f"{header}\n".encode())
    assert [column for _, column in parsed.columns] == columns


def test_parsing_writes_nothing_and_says_what_each_bad_line_is(session):
    parsed = parse_contacts_csv(b"wa_id,name\n09120000001,Sara\nabc,X\n09120000001,Again\n,Empty\n")
    assert [row[0] for _, row in parsed.rows] == ["989120000001"]
    assert [(line, error.code, error.params) for line, error in parsed.errors] == [
        (3, "not_a_number", {"value": "abc"}),
        (4, "duplicate", {"address": "989120000001", "line": 2}),
        (5, "number_empty", {}),
    ]
    assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_arabic_yeh_and_kaf_become_persian_in_names_and_tags(session):
    contact, _ = upsert_contact(session, "09120000001", "علي كاظمي", ["مشتري"])
    assert (contact.name, contact.tag_names) == ("علی کاظمی", ["مشتری"])


def test_the_cli_imports_a_windows_1256_file_with_persian_headers(runner, engine, tmp_path):
    from sqlalchemy.orm import Session

    path = tmp_path / "excel.csv"
    path.write_bytes(PERSIAN_CSV.replace("ی", "ي").encode("cp1256"))
    result = runner.invoke(args=["contacts", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 1 rejected" in result.stdout
    assert "line 3: not an international number" in result.stderr
    with Session(engine) as check:
        names = set(check.scalars(select(Contact.name)))
    assert names == {"علی کریمی", "سارا"}
