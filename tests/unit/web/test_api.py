"""The admin API: authentication, contacts, CSV import, messages, broadcasts and analytics, and its input checks."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from analytics_service import AnalyticsService
from database_models import Contact, ReceivedMessageLog, ScheduledMessage
from webhook_handler import create_app

TOKEN = "test-admin-token-value"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def api_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every /api route, with id 1 for path parameters."""
    calls = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            url = re.sub(r"<[^>]+>", "1", rule.rule)
            calls += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return calls


def stored(app, model) -> int:
    """Rows of `model` as the app sees them."""
    with app.extensions["whatsapp_platform"].session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


def create(client, **body):
    """POST /api/contacts and return the JSON (asserting 201)."""
    response = client.post("/api/contacts", headers=AUTH, json={"wa_id": "989120000001", **body})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


# --- authentication -----------------------------------------------------------------------------

BAD_CREDENTIALS = {
    "no-token": ({}, ""),
    "wrong-token": ({"Authorization": "Bearer wrong-token-value"}, ""),
    "wrong-scheme": ({"Authorization": f"Basic {TOKEN}"}, ""),
    "token-prefix": ({"Authorization": f"Bearer {TOKEN[:-1]}"}, ""),
    "query-string-only": ({}, f"?access_token={TOKEN}"),
    "query-string-with-right-header": (AUTH, f"?token={TOKEN}"),
    "token-value-in-any-parameter": (AUTH, f"?q={TOKEN}"),
}


@pytest.mark.parametrize("case", list(BAD_CREDENTIALS))
def test_every_api_route_refuses_bad_credentials_with_401_and_nothing_else(app, client, case):
    headers, query = BAD_CREDENTIALS[case]
    app.config["ADMIN_API_AUTH_FAILURES_PER_MINUTE"] = 0  # every route at once: no 429 (test_api_throttle)
    calls = api_urls(app)
    assert len(calls) >= 25
    for method, url in calls:
        response = client.open(url + query, method=method, headers=headers, json={"wa_id": "989120000009"})
        assert response.status_code == 401, (method, url)
        assert set(response.get_json()) == {"error", "code"}
        assert response.get_json()["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert stored(app, Contact) == 0


def test_the_right_token_is_accepted_on_every_route(app, client):
    for method, url in api_urls(app):
        response = client.open(url, method=method, headers=AUTH, json={})
        assert response.status_code not in (401, 403, 500), (method, url, response.get_json())


def test_without_a_configured_token_the_api_is_switched_off(test_config, engine):
    from conftest import clean_tables

    app = create_app(test_config.replace(admin_api_token=None))
    client = app.test_client()
    try:
        for method, url in api_urls(app):
            for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"}):
                response = client.open(url, method=method, headers=headers, json={"wa_id": "989120000009"})
                assert response.status_code == 503, (method, url)
                assert "ADMIN_API_TOKEN" in response.get_json()["error"]
        assert stored(app, Contact) == 0
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)


def test_an_unreachable_database_is_503_not_500(test_config, tmp_path):
    app = create_app(test_config.replace(database_url=f"sqlite:///{tmp_path / 'no_schema.db'}"))
    try:
        client = app.test_client()
        for method, url in (("GET", "/api/contacts"), ("POST", "/api/contacts"), ("GET", "/api/broadcasts"),
                            ("GET", "/api/analytics/summary")):
            response = client.open(url, method=method, headers=AUTH, json={"wa_id": "989121234567"})
            assert response.status_code == 503, (method, url)
            assert "database" in response.get_json()["error"]
    finally:
        app.extensions["whatsapp_platform"].close()


# --- contacts: create, read, validation -----------------------------------------------------------

def test_create_contact_normalises_and_stores_it(app, client):
    response = client.post("/api/contacts", headers=AUTH, json={
        "wa_id": "+989121234567", "name": " Sara Ahmadi ", "tags": ["VIP", "tehran", "vip"],
        "attributes": {"city": "تهران", "orders": 3}})
    assert response.status_code == 201
    contact = response.get_json()
    assert response.headers["Location"] == f"/api/contacts/{contact['id']}"
    assert contact["wa_id"] == "989121234567"
    assert contact["name"] == "Sara Ahmadi"
    assert contact["tags"] == ["tehran", "vip"]
    assert contact["attributes"] == {"city": "تهران", "orders": 3}
    assert contact["opted_out"] is False
    assert client.get(f"/api/contacts/{contact['id']}", headers=AUTH).get_json() == contact


def test_creating_a_known_number_is_409_and_changes_nothing(app, client):
    first = create(client, name="Sara")
    response = client.post("/api/contacts", headers=AUTH, json={"wa_id": "+989120000001", "name": "Other"})
    assert response.status_code == 409
    assert str(first["id"]) in response.get_json()["error"]
    assert client.get(f"/api/contacts/{first['id']}", headers=AUTH).get_json()["name"] == "Sara"


BAD_CONTACTS = [
    ({}, "wa_id"),
    ({"wa_id": 989121234567}, "wa_id"),
    ({"wa_id": "abc"}, "wa_id"),
    ({"wa_id": "09121234567"}, "wa_id"),
    ({"wa_id": "98912"}, "wa_id"),
    ({"wa_id": "989121234567", "name": 5}, "name"),
    ({"wa_id": "989121234567", "name": "x" * 257}, "name"),
    ({"wa_id": "989121234567", "name": "a\u0000b"}, "name"),
    ({"wa_id": "989121234567", "tags": "vip"}, "tags"),
    ({"wa_id": "989121234567", "tags": ["x" * 65]}, "tags[0]"),
    ({"wa_id": "989121234567", "tags": ["a;b"]}, "tags[0]"),
    ({"wa_id": "989121234567", "attributes": {"name": "x"}}, "attributes.name"),
    ({"wa_id": "989121234567", "attributes": {"1city": "x"}}, "attributes.1city"),
    ({"wa_id": "989121234567", "attributes": {"city": {"nested": 1}}}, "attributes.city"),
    ({"wa_id": "989121234567", "attributes": {"city": "x" * 1001}}, "attributes.city"),
    ({"wa_id": "989121234567", "colour": "red"}, "colour"),
]


def test_create_contact_refuses_bad_fields_naming_them(app, client):
    for body, field in BAD_CONTACTS:
        response = client.post("/api/contacts", headers=AUTH, json=body)
        assert response.status_code == 400, body
        assert response.get_json()["field"] == field, body
        assert response.get_json()["error"].startswith(field), body
    assert stored(app, Contact) == 0


def test_bodies_that_are_not_a_json_object_are_400(app, client):
    for raw in (b"", b"[]", b"\"text\"", b"null", b"{not json", b"{\"a\": NaN}", b"\xff\xfe", b"[" * 100000,
                b"{\"wa_id\": \"\\ud800\"}"):
        response = client.post("/api/contacts", headers={**AUTH, "Content-Type": "application/json"}, data=raw)
        assert response.status_code == 400, raw[:20]
        assert response.get_json()["field"] in ("body", "wa_id"), raw[:20]
    overflow = b'{"wa_id": "989121234567", "attributes": {"score": 1e400}}'  # json.loads makes it inf
    response = client.post("/api/contacts", headers={**AUTH, "Content-Type": "application/json"}, data=overflow)
    assert response.status_code == 400
    assert response.get_json()["field"] == "attributes.score"
    assert stored(app, Contact) == 0


@pytest.mark.parametrize("contact_id", ["999999", "2147483648", "99999999999999999999"])
def test_unknown_contact_is_404(app, client, contact_id):
    for method, suffix in (("GET", ""), ("PATCH", ""), ("POST", "/opt-out"), ("POST", "/opt-in"),
                           ("GET", "/messages")):
        response = client.open(f"/api/contacts/{contact_id}{suffix}", method=method, headers=AUTH, json={})
        assert response.status_code == 404, (method, suffix)


# --- contacts: list, search, paging ----------------------------------------------------------------

@pytest.fixture
def five_contacts(client):
    """Five contacts (oldest first): two tagged vip, one opted out."""
    people = [("989121110001", "Sara Ahmadi", ["vip"]), ("989121110002", "Reza Karimi", []),
              ("447700900003", "John Smith", ["vip", "uk"]), ("989121110004", "سارا محمدی", []),
              ("989121110005", None, [])]
    made = [create(client, wa_id=number, name=name, tags=tags) if name else create(client, wa_id=number, tags=tags)
            for number, name, tags in people]
    client.post(f"/api/contacts/{made[1]['id']}/opt-out", headers=AUTH)
    return made


def listed(client, query: str = "") -> list[str]:
    response = client.get("/api/contacts" + query, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    return [item["wa_id"] for item in response.get_json()["items"]]


def test_list_is_newest_first_with_search_tag_and_opt_out_filters(client, five_contacts):
    assert listed(client) == ["989121110005", "989121110004", "447700900003", "989121110002", "989121110001"]
    assert listed(client, "?q=SARA") == ["989121110001"]
    assert listed(client, "?q=سارا") == ["989121110004"]
    assert listed(client, "?q=ahmadi") == ["989121110001"]
    assert listed(client, "?q=7700") == ["447700900003"]
    assert listed(client, "?q=0912-111-0004") == ["989121110004"]
    assert listed(client, "?q=۰۹۱۲۱۱۱۰۰۰۴") == ["989121110004"]
    assert listed(client, "?q=%25") == []  # LIKE wildcards are literal
    assert listed(client, "?tag=VIP") == ["447700900003", "989121110001"]
    assert listed(client, "?tag=vip&q=john") == ["447700900003"]
    assert listed(client, "?opted_out=true") == ["989121110002"]
    assert len(listed(client, "?opted_out=false")) == 4


def test_paging_walks_every_contact_once_and_ends_with_a_null_cursor(client, five_contacts):
    seen, cursor, pages = [], None, 0
    while True:
        response = client.get("/api/contacts?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=AUTH)
        page = response.get_json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted((c["id"] for c in five_contacts), reverse=True)


BAD_LIST_QUERIES = [
    ("?limit=201", "limit"), ("?limit=0", "limit"), ("?limit=-1", "limit"), ("?limit=abc", "limit"),
    ("?limit=1.5", "limit"), ("?limit=99999999999999999999999", "limit"), ("?limit=2&limit=3", "limit"),
    ("?cursor=bm9wZQ", "cursor"), ("?cursor=!!", "cursor"), ("?cursor=", "cursor"),
    ("?opted_out=yes", "opted_out"), ("?q=" + "x" * 101, "q"), ("?q=a%00b", "q"), ("?tag=%01", "tag"),
    ("?page=2", "page"),
]


def test_list_refuses_bad_query_parameters_naming_them(client):
    for query, field in BAD_LIST_QUERIES:
        response = client.get("/api/contacts" + query, headers=AUTH)
        assert response.status_code == 400, query
        assert response.get_json()["field"] == field, query


def test_limit_of_200_is_allowed(client, five_contacts):
    assert len(listed(client, "?limit=200")) == 5


# --- contacts: update, opt out / in ---------------------------------------------------------------

def test_patch_replaces_adds_and_removes_tags_and_merges_attributes(client):
    contact = create(client, name="Sara", tags=["old", "vip"], attributes={"city": "Tehran", "plan": "gold"})
    url = f"/api/contacts/{contact['id']}"
    changed = client.patch(url, headers=AUTH, json={"add_tags": ["New"], "remove_tags": ["old"],
                                                    "attributes": {"plan": None, "orders": 4}}).get_json()
    assert changed["tags"] == ["new", "vip"]
    assert changed["attributes"] == {"city": "Tehran", "orders": 4}
    assert changed["name"] == "Sara"
    replaced = client.patch(url, headers=AUTH, json={"tags": ["a", "b"], "name": None}).get_json()
    assert replaced["tags"] == ["a", "b"]
    assert replaced["name"] is None
    assert client.get(url, headers=AUTH).get_json() == replaced
    assert client.patch(url, headers=AUTH, json={}).get_json()["tags"] == ["a", "b"]


@pytest.mark.parametrize(("body", "field"), [
    ({"tags": None}, "tags"), ({"add_tags": [1]}, "add_tags[0]"), ({"attributes": []}, "attributes"),
    ({"attributes": {"wa_id": "1"}}, "attributes.wa_id"), ({"wa_id": "989121234567"}, "wa_id"),
    ({"name": "x" * 257}, "name"), ({"tags": ["t"] * 51}, "tags"),
])
def test_patch_refuses_bad_fields(client, body, field):
    contact = create(client, tags=["keep"])
    response = client.patch(f"/api/contacts/{contact['id']}", headers=AUTH, json=body)
    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert client.get(f"/api/contacts/{contact['id']}", headers=AUTH).get_json()["tags"] == ["keep"]


def test_patch_adding_and_removing_the_same_tag_is_400(client):
    contact = create(client, tags=["x"])
    response = client.patch(f"/api/contacts/{contact['id']}", headers=AUTH,
                            json={"add_tags": ["vip"], "remove_tags": ["VIP"]})
    assert response.status_code == 400
    assert "vip" in response.get_json()["error"]


def test_opt_out_and_in_toggle_and_are_idempotent(client):
    contact = create(client)
    url = f"/api/contacts/{contact['id']}"
    out = client.post(url + "/opt-out", headers=AUTH).get_json()
    assert out["opted_out"] is True and out["opted_out_at"] is not None
    assert client.post(url + "/opt-out", headers=AUTH).get_json()["opted_out_at"] == out["opted_out_at"]
    back = client.post(url + "/opt-in", headers=AUTH).get_json()
    assert back["opted_out"] is False and back["opted_out_at"] is None


# --- CSV import ------------------------------------------------------------------------------------

CSV = ("wa_id,name,tags,city\n"
       "+98 912 111 2222,Sara,vip;tehran,Tehran\n"
       "not-a-number,Bad,,\n"
       "00447700900123,John,uk,London\n"
       ",Empty,,\n"
       "09121112222,Dup,,\n")


def import_csv(client, data: bytes | str, content_type: str = "text/csv"):
    return client.post("/api/contacts/import", headers={**AUTH, "Content-Type": content_type},
                       data=data.encode() if isinstance(data, str) else data)


def test_csv_import_reports_each_bad_line_and_imports_the_good_ones(app, client):
    response = import_csv(client, CSV)
    assert response.status_code == 200
    report = response.get_json()
    assert (report["created"], report["updated"], report["unchanged"], report["rejected"]) == (2, 0, 0, 3)
    assert [error["line"] for error in report["errors"]] == [3, 5, 6]
    assert "not a phone number" in report["errors"][0]["error"]
    assert "line 2" in report["errors"][2]["error"]
    assert report["errors_truncated"] is False
    assert listed(client, "?tag=vip") == ["989121112222"]
    [sara] = client.get("/api/contacts?q=sara", headers=AUTH).get_json()["items"]
    assert sara["attributes"] == {"city": "Tehran"}
    again = import_csv(client, CSV).get_json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)


@pytest.mark.parametrize(("data", "content_type", "status"), [
    ("wa_id,name\n989121112222,A\n", "application/json", 415),
    ("wa_id,name\n989121112222,A\n", "multipart/form-data", 415),
    ("name,tags\nSara,vip\n", "text/csv", 400),
    ("", "text/csv", 400),
    ("wa_id,name\n989121112222,A\n".encode("utf-16-le"), "text/csv", 400),  # UTF-16 without its BOM
    ("wa_id,1bad\n989121112222,x\n", "text/csv", 400),
])
def test_csv_import_refuses_unusable_files_whole(app, client, data, content_type, status):
    response = import_csv(client, data, content_type)
    assert response.status_code == status
    assert stored(app, Contact) == 0


def test_csv_import_past_the_size_limit_is_413(app, client):
    context = app.extensions["whatsapp_platform"]
    context.config = context.config.replace(admin_csv_max_bytes=100)
    response = import_csv(client, "wa_id,name\n" + "".join(f"98912{i:07d},Name\n" for i in range(20)))
    assert response.status_code == 413
    assert stored(app, Contact) == 0


def test_csv_import_may_be_larger_than_a_webhook(app, client):
    rows = "".join(f"98912{i:07d},Customer number {i},tag{i % 7},{'Tehran district ' + str(i % 22):<40}\n"
                   for i in range(15000))
    data = "wa_id,name,tags,city\n" + rows
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024  # a webhook limit below ADMIN_CSV_MAX_BYTES (the default is 3 MiB)
    assert len(data.encode()) > app.config["MAX_CONTENT_LENGTH"]
    report = import_csv(client, data).get_json()
    assert report["created"] == 15000


# --- a contact's messages ---------------------------------------------------------------------------

def test_messages_are_inbound_and_outbound_newest_first_and_paged_without_gaps(app, client):
    contact = create(client)
    other = create(client, wa_id="989120000002")
    base = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with app.extensions["whatsapp_platform"].session_factory() as session:
        for minute, text in ((0, "salam"), (2, "order?"), (5, "thanks"), (5, "tie")):
            session.add(ReceivedMessageLog(wamid=f"wamid.in{minute}{text}", contact_id=contact["id"],
                                           message_type="text", text=text, payload={},
                                           received_at=base + timedelta(minutes=minute)))
        for minute, body in ((1, "hello"), (5, "answer"), (7, "promo")):
            session.add(ScheduledMessage(contact_id=contact["id"], body=body, kind="reply", status="sent",
                                         created_at=base + timedelta(minutes=minute)))
        session.add(ReceivedMessageLog(wamid="wamid.other", contact_id=other["id"], message_type="text",
                                       text="not mine", payload={}, received_at=base))
        session.commit()
    url = f"/api/contacts/{contact['id']}/messages"
    everything = client.get(url, headers=AUTH).get_json()
    assert [m["text"] for m in everything["items"]] == ["promo", "answer", "tie", "thanks", "order?", "hello",
                                                        "salam"]
    assert [m["direction"] for m in everything["items"]][:3] == ["outbound", "outbound", "inbound"]
    assert everything["next_cursor"] is None
    paged, cursor = [], None
    while True:
        page = client.get(url + "?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=AUTH).get_json()
        paged += [m["text"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert paged == [m["text"] for m in everything["items"]]


def test_messages_cursor_of_another_kind_is_400(client):
    contact = create(client)
    response = client.get(f"/api/contacts/{contact['id']}/messages?cursor=MTIz", headers=AUTH)
    assert response.status_code == 400
    assert response.get_json()["field"] == "cursor"


# --- broadcasts ------------------------------------------------------------------------------------

def test_broadcast_lifecycle_through_the_api(app, client):
    for number, tags in (("989121110001", ["vip"]), ("989121110002", ["vip"]), ("989121110003", [])):
        create(client, wa_id=number, name="Sara", tags=tags)
    [opted_out] = [c for c in client.get("/api/contacts?q=989121110002", headers=AUTH).get_json()["items"]]
    client.post(f"/api/contacts/{opted_out['id']}/opt-out", headers=AUTH)
    send_at = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    response = client.post("/api/broadcasts", headers=AUTH, json={
        "name": "Yalda", "text": "Hi {first_name|friend}", "audience": {"tags": ["VIP"]}, "send_at": send_at})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["recipients"] == 1
    assert created["excluded"]["opted_out"] == 1
    url = f"/api/broadcasts/{created['id']}"
    assert response.headers["Location"] == url
    detail = client.get(url, headers=AUTH).get_json()
    assert detail["name"] == "Yalda" and detail["text"] == "Hi {first_name|friend}"
    assert detail["counts"]["pending"] == 1 and detail["report"]["counts"]["pending"] == 1
    assert detail["audience"] == {"kind": "tags", "tags": ["vip"], "match": "any"}
    paused = client.post(url + "/pause", headers=AUTH).get_json()
    assert paused == {"id": created["id"], "status": "paused", "changed": 1}
    assert client.get(url, headers=AUTH).get_json()["counts"]["paused"] == 1
    assert client.post(url + "/resume", headers=AUTH).get_json() == {"id": created["id"], "status": "scheduled",
                                                                      "changed": 1}
    assert client.post(url + "/cancel", headers=AUTH).get_json() == {"id": created["id"], "status": "cancelled",
                                                                      "changed": 1}
    for action in ("pause", "resume"):
        refused = client.post(f"{url}/{action}", headers=AUTH)
        assert refused.status_code == 409
        assert "cancelled" in refused.get_json()["error"]
    listing = client.get("/api/broadcasts", headers=AUTH).get_json()
    assert [item["id"] for item in listing["items"]] == [created["id"]]
    assert listing["items"][0]["counts"]["cancelled"] == 1


def test_broadcast_to_numbers_and_with_a_template(app, client):
    response = client.post("/api/broadcasts", headers=AUTH, json={
        "name": "Numbers", "template": {"name": "promo_1", "language": "fa", "params": ["name|مشتری"]},
        "audience": {"numbers": ["+989121110001", "989121110001", "447700900123"]}})
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["recipients"] == 2
    assert created["contacts_created"] == 2
    assert created["excluded"]["duplicate"] == 1
    detail = client.get(f"/api/broadcasts/{created['id']}", headers=AUTH).get_json()
    assert detail["template"] == {"name": "promo_1", "language": "fa", "params": ["name|مشتری"]}


def test_broadcast_list_pages(client):
    create(client)
    ids = [client.post("/api/broadcasts", headers=AUTH, json={"name": f"B{i}", "text": "Hi",
                                                             "audience": {"all": True}}).get_json()["id"]
           for i in range(3)]
    first = client.get("/api/broadcasts?limit=2", headers=AUTH).get_json()
    second = client.get(f"/api/broadcasts?limit=2&cursor={first['next_cursor']}", headers=AUTH).get_json()
    assert [b["id"] for b in first["items"] + second["items"]] == ids[::-1]
    assert second["next_cursor"] is None


BAD_BROADCASTS = [
    ({"name": "X", "audience": {"all": True}}, 400, "body"),  # "text or template": the body as a whole
    ({"name": "", "text": "Hi", "audience": {"all": True}}, 400, "name"),
    ({"name": "X" * 201, "text": "Hi", "audience": {"all": True}}, 400, "name"),
    ({"name": "X", "text": "x" * 4097, "audience": {"all": True}}, 400, "text"),
    ({"name": "X", "text": "Hi"}, 400, "audience"),
    ({"name": "X", "text": "Hi", "audience": {}}, 400, "audience"),
    ({"name": "X", "text": "Hi", "audience": {"all": True, "tags": ["vip"]}}, 400, "audience"),
    ({"name": "X", "text": "Hi", "audience": {"all": False}}, 400, "audience.all"),
    ({"name": "X", "text": "Hi", "audience": {"tags": []}}, 400, "audience.tags"),
    ({"name": "X", "text": "Hi", "audience": {"all": True, "match": "all"}}, 400, "audience.match"),
    ({"name": "X", "text": "Hi", "audience": {"numbers": ["12"]}}, 400, "audience.numbers[0]"),
    ({"name": "X", "text": "Hi", "audience": {"all": True}, "send_at": "tomorrow"}, 400, "send_at"),
    ({"name": "X", "text": "Hi", "audience": {"all": True}, "send_at": "2026-02-30T10:00"}, 400, "send_at"),
    ({"name": "X", "text": "Hi", "audience": {"all": True}, "send_at": "0001-01-01T00:00"}, 400, "send_at"),
    ({"name": "X", "template": {"name": "t", "language": "Farsi"}, "audience": {"all": True}}, 400,
     "template.language"),
    ({"name": "X", "template": {"name": "t"}, "audience": {"all": True}}, 400, "template.language"),
    ({"name": "X", "text": "Hi", "audience": {"all": True}, "priority": 1}, 400, "priority"),
]


def test_broadcast_create_refuses_bad_fields_naming_them(app, client):
    create(client)
    for body, status, field in BAD_BROADCASTS:
        response = client.post("/api/broadcasts", headers=AUTH, json=body)
        assert response.status_code == status, (body, response.get_json())
        assert response.get_json()["field"] == field, body
    assert client.get("/api/broadcasts", headers=AUTH).get_json()["items"] == []


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "X", "text": "Hi {nmae}", "audience": {"all": True}}, "unknown placeholder"),
    ({"name": "X", "text": "Hi {name", "audience": {"all": True}}, "unmatched"),
    ({"name": "X", "text": "Hi", "audience": {"tags": ["nobody"]}}, "no eligible recipients"),
    ({"name": "X", "text": "Hi", "audience": {"all": True}, "send_at": "2020-01-01T10:00"}, "in the past"),
])
def test_broadcasts_the_service_refuses_are_400_with_its_reason(app, client, body, message):
    create(client)
    response = client.post("/api/broadcasts", headers=AUTH, json=body)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert client.get("/api/broadcasts", headers=AUTH).get_json()["items"] == []


@pytest.mark.parametrize("suffix", ["", "/pause", "/resume", "/cancel"])
def test_unknown_broadcast_is_404(client, suffix):
    response = client.open(f"/api/broadcasts/424242{suffix}", method="POST" if suffix else "GET", headers=AUTH)
    assert response.status_code == 404


# --- analytics -------------------------------------------------------------------------------------

@pytest.fixture
def some_traffic(client, post_webhook):
    """A few inbound messages through the real webhook (the chatbot queues its replies)."""
    from inbound.sample_payloads import text_message_envelope

    for number, text in (("989121110001", "سلام، سفارشم کجاست؟"), ("989121110002", "hello, price please"),
                         ("989121110001", "thanks a lot")):
        assert post_webhook(text_message_envelope(number, text, name="Sara")).status_code == 200


def test_summary_is_what_the_analytics_service_returns(app, client, some_traffic):
    today = datetime.now(UTC).date()
    for query, start, end in (("", None, None), (f"?from={today - timedelta(days=3)}&to={today + timedelta(days=1)}",
                                                 today - timedelta(days=3), today + timedelta(days=1))):
        response = client.get("/api/analytics/summary" + query, headers=AUTH)
        assert response.status_code == 200
        context = app.extensions["whatsapp_platform"]
        with context.session_factory() as session:
            expected = AnalyticsService(session, context.config.timezone).summary(start, end)
        assert response.get_json() == expected
    assert sum(day["inbound"] for day in response.get_json()["messages_per_day"]) == 3


def around_today() -> str:
    """?from=…&to=… covering the last week and tomorrow."""
    today = datetime.now(UTC).date()
    return f"?from={today - timedelta(days=7)}&to={today + timedelta(days=1)}"


def test_each_section_endpoint_is_that_section_of_the_summary(client, some_traffic):
    summary = client.get("/api/analytics/summary" + around_today(), headers=AUTH).get_json()
    for section in summary:
        if section == "range":
            continue
        response = client.get(f"/api/analytics/{section.replace('_', '-')}" + around_today(), headers=AUTH)
        assert response.status_code == 200, section
        assert response.get_json() == summary[section], section


BAD_RANGES = [
    ("?from=2026-13-01", "from"), ("?from=2026-02-30", "from"), ("?to=20260101", "to"), ("?from=today", "from"),
    ("?from=2026-05-02&to=2026-05-01", "to"), ("?from=1900-01-01", "from"), ("?to=9999-12-31", "to"),
    ("?from=2000-01-01&to=2100-01-01", "to"), ("?since=2026-01-01", "since"),
]


def test_analytics_refuses_bad_dates_naming_the_parameter(client):
    for query, field in BAD_RANGES:
        for path in ("/api/analytics/summary", "/api/analytics/messages-per-day"):
            response = client.get(path + query, headers=AUTH)
            assert response.status_code == 400, (path, query)
            assert response.get_json()["field"] == field, (path, query)


def test_a_single_day_range_is_allowed(client):
    response = client.get(f"/api/analytics/summary?from={date(2026, 11, 20)}&to=2026-11-20", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json()["range"]["from"] == "2026-11-20"


def test_summary_is_the_same_json_as_the_cli_report(client, runner, some_traffic):
    api = client.get("/api/analytics/summary" + around_today(), headers=AUTH).get_json()
    start, end = api["range"]["from"], api["range"]["to"]
    result = runner.invoke(args=["analytics", "report", "--json", "--from", start, "--to", end])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api
