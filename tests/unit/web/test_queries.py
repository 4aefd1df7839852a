"""Paging cursors of the admin API: a forged cursor is a 400 naming `cursor`, never a 500, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from web.api.queries import CursorError, decode_cursor, encode_cursor

AUTH = {"Authorization": "Bearer test-admin-token-value"}  # conftest's test_config
NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC).isoformat()


@pytest.fixture
def contact_id(client) -> int:
    response = client.post("/api/contacts", headers=AUTH, json={"wa_id": "989120000001", "name": "Sara"})
    assert response.status_code == 201
    return response.get_json()["id"]


@pytest.mark.parametrize("row_id", [
    "9" * 30,  # past every integer column: SQLite raised OverflowError (a 500)
    str(2**63), "0", "-5", "+5", " 5", "1_000", "²", "٥",
])
def test_a_forged_messages_cursor_is_a_400(client, contact_id, row_id):
    for kind in ("in", "out"):
        response = client.get(f"/api/contacts/{contact_id}/messages",
                              query_string={"cursor": encode_cursor(NOW, kind, row_id)}, headers=AUTH)
        assert response.status_code == 400, (kind, row_id, response.get_data(as_text=True))
        assert response.get_json()["field"] == "cursor"


@pytest.mark.parametrize("row_id", ["9" * 30, "²", "٥", "0", str(2**31)])
@pytest.mark.parametrize("path", ["/api/contacts", "/api/broadcasts"])
def test_a_forged_list_cursor_is_a_400(client, path, row_id):
    response = client.get(path, query_string={"cursor": encode_cursor(row_id)}, headers=AUTH)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["field"] == "cursor"


@pytest.mark.parametrize("row_id", [1, 2**31, 2**63 - 1])  # both message tables have BigInteger ids
def test_a_messages_cursor_with_any_id_the_tables_can_hold_pages(client, contact_id, row_id):
    for kind in ("in", "out"):
        response = client.get(f"/api/contacts/{contact_id}/messages",
                              query_string={"cursor": encode_cursor(NOW, kind, row_id)}, headers=AUTH)
        assert response.status_code == 200 and response.get_json() == {"items": [], "next_cursor": None}


def test_a_cursor_with_the_wrong_number_of_parts_is_refused():
    with pytest.raises(CursorError):
        decode_cursor(encode_cursor(1, 2), 3)
