"""A NUL or another control character typed or pasted into any dashboard search or filter is an
ordinary answer, never a 500 (PostgreSQL refuses a NUL in a query parameter)."""

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

