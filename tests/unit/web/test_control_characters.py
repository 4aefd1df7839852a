"""A NUL or another control character typed or pasted into any dashboard search, filter or form
is an ordinary answer, never a 500 (PostgreSQL refuses a NUL in a query parameter): a NUL is a
clear 400 in the interface language that changes nothing, other control characters are searched for."""

from __future__ import annotations

import pytest

PAGES = ["/dashboard", "/dashboard/audit", "/dashboard/campaigns", "/dashboard/contacts",
         "/dashboard/contacts/export.csv", "/dashboard/inbox", "/dashboard/inbox/activity", "/dashboard/orders",
         "/dashboard/replies", "/dashboard/templates", "/dashboard/users", "/dashboard/webhooks"]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("value", ["\x00", "a\x00b", "\x1b[31m", "%00"])
def test_every_page_takes_a_control_character_in_its_query_without_a_server_error(logged_in, page, value):
    for name in ("q", "status", "show", "from", "to", "tag", "page", "before", "segment"):
        answer = logged_in.get(page, query_string={name: value})
        assert answer.status_code < 500, (page, name, answer.status_code)


def test_a_nul_in_a_form_is_refused_in_persian_and_changes_nothing(persian, db):
    from dashboard_testing import csrf_from

    from database_models import Contact

    contact = Contact(wa_id="989121110090", name="سارا", attributes={})
    db.add(contact)
    db.commit()
    token = csrf_from(persian, f"/dashboard/contacts/{contact.id}")
    answer = persian.post(f"/dashboard/contacts/{contact.id}", data={"csrf_token": token, "name": "سا\x00را"})
    assert answer.status_code == 400 and "NUL" in answer.get_data(as_text=True)
    assert "دوباره بفرستید" in answer.get_data(as_text=True)
    db.expire_all()
    assert db.get(Contact, contact.id).name == "سارا"
