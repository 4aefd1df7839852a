"""The contacts pages through Flask's test client: list, search, filters, paging, a contact's page, edits,
opt-out, the CSV import with its preview, and the export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from dashboard_testing import csrf_from, log_in
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from database_models import Contact, ContactTag, ContactUpload, OptOutEvent, ReceivedMessageLog, utcnow
from web.dashboard.contacts_queries import PAGE_SIZE

WINDOWS_CSV = "شماره,نام,برچسب,شهر\n09121110001,علي كريمي,مشتري;vip,تهران\n0912,کوتاه,,\n09121110002,سارا,,شیراز\n"


def add(db: Session, wa_id: str | None, name: str | None, *, tags: tuple[str, ...] = (), **fields) -> Contact:
    contact = Contact(wa_id=wa_id, name=name, attributes=fields.pop("attributes", {}), **fields)
    contact.tags = [ContactTag(tag=tag) for tag in tags]
    db.add(contact)
    db.commit()
    return contact


def listed(client, **params) -> list[str]:
    page = client.get("/dashboard/contacts", query_string=params).get_data(as_text=True)
    return [line.split('data-contact="')[1].split('"')[0] for line in page.splitlines() if "data-contact=" in line]


def post(client, path: str, data: dict | None = None, page: str = "/dashboard/contacts", **kwargs):
    return client.post(path, data={"csrf_token": csrf_from(client, page), **(data or {})}, **kwargs)


def upload(client, content: bytes, filename: str = "contacts.csv"):
    return post(client, "/dashboard/contacts/import", {"file": (io.BytesIO(content), filename)},
                page="/dashboard/contacts/import", content_type="multipart/form-data")


# --- the list -------------------------------------------------------------------------------------

def test_the_list_needs_a_login(client):
    answer = client.get("/dashboard/contacts")
    assert answer.status_code == 302 and "/dashboard/login" in answer.headers["Location"]


def test_search_finds_by_name_number_username_bsuid_and_tag(logged_in, db):
    sara = add(db, "989121234567", "Sara Ahmadi", tags=("vip",))
    ali = add(db, "989350000001", "علي رضايي")  # stored as a webhook gave it: Arabic yeh
    shirin = add(db, None, "Shirin", user_id="IR.7301958846120533", username="shirin.gallery")
    assert listed(logged_in, q="ahmadi") == [str(sara.id)]
    assert listed(logged_in, q="0912 123") == [str(sara.id)]
    assert listed(logged_in, q="۰۹۱۲۱۲۳۴۵۶۷") == [str(sara.id)]  # Persian digits
    assert listed(logged_in, q="علی رضایی") == [str(ali.id)]  # typed with Persian yeh
    assert listed(logged_in, q="@shirin") == [str(shirin.id)]
    assert listed(logged_in, q="IR.7301958846120533") == [str(shirin.id)]
    assert listed(logged_in, q="VIP") == [str(sara.id)]
    assert listed(logged_in, q="nobody") == []


def test_filters_by_tag_opt_out_and_the_24_hour_window(logged_in, db):
    now = utcnow()
    fresh = add(db, "989120000001", "Fresh", tags=("vip",), last_inbound_at=now - timedelta(hours=2))
    stale = add(db, "989120000002", "Stale", tags=("vip",), last_inbound_at=now - timedelta(hours=30))
    stopped = add(db, "989120000003", "Stopped", opted_out=True, opted_out_at=now)
    assert listed(logged_in, tag="vip") == [str(stale.id), str(fresh.id)]
    assert listed(logged_in, window="open") == [str(fresh.id)]
    assert listed(logged_in, opted_out="yes") == [str(stopped.id)]
    assert listed(logged_in, opted_out="no", tag="vip", window="open") == [str(fresh.id)]
    assert len(listed(logged_in, opted_out="nonsense", before="x", tag="")) == 3  # ignored, not a 500


def test_pages_continue_from_the_last_contact_shown(logged_in, db):
    db.add_all([Contact(wa_id=f"98912{i:07d}", name=f"C{i}", attributes={}) for i in range(PAGE_SIZE + 5)])
    db.commit()
    first = logged_in.get("/dashboard/contacts").get_data(as_text=True)
    ids = listed(logged_in)
    assert len(ids) == PAGE_SIZE and f"before={ids[-1]}" in first
    second = listed(logged_in, before=ids[-1])
    assert len(second) == 5 and not set(second) & set(ids)
    assert "55 contacts" in first


def test_the_persian_list_reads_right_to_left_with_persian_digits(persian, db):
    add(db, "989121234567", "سارا", tags=("vip",))
    page = persian.get("/dashboard/contacts").get_data(as_text=True)
    assert '<html lang="fa" dir="rtl">' in page and "مخاطبان" in page and "۱ مخاطب" in page
    assert '<span class="ltr handle">+989121234567</span>' in page  # a number stays left to right


# --- a contact --------------------------------------------------------------------------------------

def test_a_contacts_page_shows_who_they_are_and_their_thread(logged_in, db):
    contact = add(db, "989121234567", "Sara", tags=("vip",), attributes={"city": "Tehran"},
                  user_id="US.13491208655302741918", username="sara.shop")
    db.add(ReceivedMessageLog(wamid="wamid.1", contact_id=contact.id, message_type="text", text="سلام، سفارشم کجاست؟",
                              payload={}, received_at=utcnow()))
    db.commit()
    page = logged_in.get(f"/dashboard/contacts/{contact.id}").get_data(as_text=True)
    for shown in ("Sara", "+989121234567", "@sara.shop", "US.13491208655302741918", "vip", "Tehran",
                  "سلام، سفارشم کجاست؟", "This contact receives broadcasts."):
        assert shown in page
    assert logged_in.get("/dashboard/contacts/999999").status_code == 404
    assert logged_in.get("/dashboard/contacts/99999999999").status_code == 404


def test_editing_name_tags_and_fields(logged_in, db, engine):
    contact = add(db, "989121234567", "Sara", tags=("old",), attributes={"city": "Tehran", "plan": "gold"})
    answer = post(logged_in, f"/dashboard/contacts/{contact.id}", {
        "name": "  سارا احمدي ", "tags": "VIP، مشتری, new",
        "attr_key": ["city", "plan", "size"], "attr_value": ["Shiraz", "", "38"]},
        page=f"/dashboard/contacts/{contact.id}")
    assert answer.status_code == 302
    with Session(engine) as check:
        stored = check.get(Contact, contact.id)
        assert stored.name == "سارا احمدی"  # Arabic yeh became Persian
        assert stored.tag_names == sorted(["vip", "مشتری", "new"])
        assert stored.attributes == {"city": "Shiraz", "size": "38"}  # plan emptied: removed
    assert "Saved." in logged_in.get(f"/dashboard/contacts/{contact.id}").get_data(as_text=True)


@pytest.mark.parametrize(("form", "message"), [
    ({"name": "x" * 300}, "The name is longer than 256 characters."),
    ({"tags": "t" * 70}, "A tag is longer than 64 characters"),
    ({"attr_key": ["1city"], "attr_value": ["x"]}, "1city cannot be a field name"),
    ({"attr_key": ["city", "city"], "attr_value": ["a", "b"]}, "The field city appears twice."),
    ({"attr_key": ["", "x"], "attr_value": ["lonely", "y"]}, "The value lonely needs a field name."),
    ({"attr_key": ["wa_id"], "attr_value": ["1"]}, "wa_id is not a field"),
])
def test_a_refused_edit_says_why_and_changes_nothing(logged_in, db, engine, form, message):
    contact = add(db, "989121234567", "Sara", tags=("old",), attributes={"city": "Tehran"})
    answer = post(logged_in, f"/dashboard/contacts/{contact.id}", {"name": "Sara", "tags": "old", **form},
                  page=f"/dashboard/contacts/{contact.id}")
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    with Session(engine) as check:
        stored = check.get(Contact, contact.id)
        assert (stored.name, stored.tag_names, stored.attributes) == ("Sara", ["old"], {"city": "Tehran"})


def test_a_refused_edit_is_explained_in_persian(persian, db):
    contact = add(db, "989121234567", "Sara")
    answer = post(persian, f"/dashboard/contacts/{contact.id}", {"name": "x" * 300},
                  page=f"/dashboard/contacts/{contact.id}")
    assert answer.status_code == 400 and "نام بیش از ۲۵۶ نویسه است." in answer.get_data(as_text=True)


def test_opting_out_and_back_in(logged_in, db, engine):
    contact = add(db, "989121234567", "Sara")
    path = f"/dashboard/contacts/{contact.id}"
    post(logged_in, f"{path}/opt-out", {"opted_out": "yes", "reason": "asked on the phone"}, page=path)
    with Session(engine) as check:
        stored = check.get(Contact, contact.id)
        assert stored.opted_out and stored.opted_out_at is not None
        assert (stored.opted_out_source, stored.opted_out_reason) == ("operator", "asked on the phone")
        [event] = check.scalars(select(OptOutEvent).where(OptOutEvent.contact_id == contact.id)).all()
        assert (event.opted_out, event.source, event.actor) == (True, "operator", "admin")  # the operator
    page = logged_in.get(path).get_data(as_text=True)
    assert "Opted out:" in page and 'data-opted-out="yes"' in page
    assert "Set by an operator." in page and "asked on the phone" in page
    post(logged_in, f"{path}/opt-out", {"opted_out": "no"}, page=path)
    with Session(engine) as check:
        assert not check.get(Contact, contact.id).opted_out


def test_a_form_without_its_csrf_token_is_refused(logged_in, db, engine):
    contact = add(db, "989121234567", "Sara")
    answer = logged_in.post(f"/dashboard/contacts/{contact.id}/opt-out", data={"opted_out": "yes"})
    assert answer.status_code == 400
    with Session(engine) as check:
        assert not check.get(Contact, contact.id).opted_out


# --- import -------------------------------------------------------------------------------------------

def test_a_windows_1256_file_with_persian_headers_is_previewed_then_imported(persian, engine):
    answer = upload(persian, WINDOWS_CSV.replace("ی", "ي").encode("cp1256"))
    assert answer.status_code == 302
    preview = persian.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Windows-1256" in preview and "علی کریمی" in preview  # Persian letters again
    assert 'data-line="3"' in preview and "سطر ۳" in preview and "شمارهٔ بین‌المللی نیست" in preview
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(Contact)) == 0  # a preview writes nothing
    done = post(persian, answer.headers["Location"], page=answer.headers["Location"])
    assert done.status_code == 302
    listing = persian.get(done.headers["Location"]).get_data(as_text=True)
    assert "۲ تازه" in listing and "۱ رد شد" in listing
    with Session(engine) as check:
        ali = check.scalars(select(Contact).where(Contact.wa_id == "989121110001")).one()
        assert (ali.name, ali.tag_names, ali.attributes) == ("علی کریمی", ["vip", "مشتری"], {"شهر": "تهران"})
        assert check.scalar(select(func.count()).select_from(ContactUpload)) == 0


def test_an_upload_survives_between_workers_but_not_for_another_login(app, logged_in, engine):
    answer = upload(logged_in, WINDOWS_CSV.encode("utf-16"))
    location = answer.headers["Location"]
    other = app.test_client()
    other.set_cookie("lang", "en")
    log_in(other)
    assert other.get(location).status_code == 404
    assert post(other, location, page="/dashboard/contacts").status_code == 404
    assert logged_in.get(location).status_code == 200  # the upload is in the database, not in a worker


def test_an_expired_upload_is_gone(logged_in, engine):
    location = upload(logged_in, WINDOWS_CSV.encode()).headers["Location"]
    with Session(engine) as db:
        db.execute(ContactUpload.__table__.update().values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert "Upload the file again" in logged_in.get(location).get_data(as_text=True)


@pytest.mark.parametrize(("content", "message"), [
    (b"", "Choose a CSV file"),
    (b"name,tags\nSara,vip\n", "needs a header line with a number column"),
    (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00\xb5U\x9e", "is not a CSV that can be read"),
    (b"wa_id\n" + b"989120000000\n" * 200_000, "larger than 2 MB"),
])
def test_an_unusable_upload_is_refused_with_the_reason_and_nothing_stored(logged_in, engine, content, message):
    answer = upload(logged_in, content)
    assert answer.status_code in (400, 413) and message in answer.get_data(as_text=True)
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(ContactUpload)) == 0


def test_discarding_an_upload_imports_nothing(logged_in, engine):
    location = upload(logged_in, WINDOWS_CSV.encode()).headers["Location"]
    assert post(logged_in, f"{location}/discard", page=location).status_code == 302
    with Session(engine) as check:
        assert check.scalar(select(func.count()).select_from(ContactUpload)) == 0
        assert check.scalar(select(func.count()).select_from(Contact)) == 0


# --- export -------------------------------------------------------------------------------------------

def test_the_export_is_the_filtered_list_with_a_bom_and_safe_cells(logged_in, db):
    add(db, "989121234567", "=HYPERLINK(\"http://evil\")", tags=("vip",), attributes={"city": "تهران"})
    add(db, "989121234568", "Other")
    answer = logged_in.get("/dashboard/contacts/export.csv", query_string={"tag": "vip"})
    assert answer.mimetype == "text/csv" and answer.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(answer.data.decode("utf-8-sig"))))
    assert rows == [["wa_id", "user_id", "username", "name", "tags", "city"],
                    ["989121234567", "", "", "'=HYPERLINK(\"http://evil\")", "vip", "تهران"]]
