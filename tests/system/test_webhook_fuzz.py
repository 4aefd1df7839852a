"""Property-based fuzzing of POST /webhook: generated and mutated envelopes, always correctly signed.

Whatever arrives, the answer is 200, 400 or 413 — never a 5xx — and the write is all or
nothing: a 400/413 stores nothing, a 200 stores exactly the valid items. "Valid" is
inbound/ingestion.py's rule, restated independently here (`expected_rows`):

- the body is JSON (in UTF-8/16/32, lone surrogates allowed as Python's json allows them)
  and an object with "object": "whatsapp_business_account" and a list "entry"; otherwise 400;
- items are read from every entry that is an object with a list "changes", from every
  change that is an object with an object "value"; its "field" decides the kind;
- a text value is "clean" once NUL characters are dropped and lone surrogates become "?";
  a non-string or a value that is empty once clean does not count;
- a message: an object in `value.messages` of a "messages" change, with a clean "id" of
  1–128 characters and a clean "from" of 1–32; it is stored under its clean id, its
  sender becomes a contact;
- a status: an object in `value.statuses` of a "messages" change, with a clean "id" of
  1–128 characters and a clean "status"; stored as (id, status with "played" read as
  "read", cut to 16 characters); an error code 131050 (an int) with a clean recipient_id
  also creates/opts out that contact;
- a preference: an object in `value.user_preferences` of a "user_preferences" change, with
  a clean "wa_id" of 1–32 characters (a longer one names no phone number: the item is ignored,
  as inbound/preferences.py does), a "value" of "stop" or "resume" and a category that is absent
  or "marketing_messages": its contact is created or updated.

(NaN and Infinity, which Python's json reads but JSON does not have, are stored as null
inside a valid message's payload; they do not make an item invalid.)

Runs are derandomized (no example database), so CI sees the same examples every time.
"""

from __future__ import annotations

import json
import string
from typing import Any

import pytest
from conftest import APP_SECRET, clean_tables
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from database_models import Base, Contact, MessageStatusEvent, ReceivedMessageLog
from inbound.signatures import sign_payload

MAX_BODY = 3 * 1024 * 1024  # Config.max_webhook_bytes' default, which the test app uses

# --- the oracle ------------------------------------------------------------------------


def clean(value: Any) -> str | None:
    """A text value as ingestion keeps it, or None when it does not count."""
    if not isinstance(value, str):
        return None
    kept = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return kept or None


def expected_rows(envelope: Any) -> tuple[set[str], set[tuple[str, str]], set[str]] | None:
    """(message wamids, status keys, contact wa_ids) a 200 must store; None when the answer is 400."""
    if not isinstance(envelope, dict) or envelope.get("object") != "whatsapp_business_account":
        return None
    if not isinstance(envelope.get("entry"), list):
        return None
    messages: set[str] = set()
    statuses: set[tuple[str, str]] = set()
    contacts: set[str] = set()
    for entry in envelope["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            continue
        for change in entry["changes"]:
            if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
                continue
            field, value = str(change.get("field") or ""), change["value"]
            if field == "messages":
                for item in objects(value.get("messages")):
                    wamid, sender = clean(item.get("id")), clean(item.get("from"))
                    if wamid and sender and len(wamid) <= 128 and len(sender) <= 32:
                        messages.add(wamid)
                        contacts.add(sender)
                for item in objects(value.get("statuses")):
                    wamid, status = clean(item.get("id")), clean(item.get("status"))
                    if not (wamid and status and len(wamid) <= 128):
                        continue
                    status = "read" if status == "played" else status
                    if (wamid, status[:16]) in statuses:
                        continue  # a repeat inside the batch changes nothing
                    statuses.add((wamid, status[:16]))
                    errors = item.get("errors")
                    code = errors[0].get("code") if isinstance(errors, list) and errors and isinstance(
                        errors[0], dict) else None
                    recipient = clean(item.get("recipient_id"))
                    if isinstance(code, int) and code == 131050 and recipient:
                        contacts.add(recipient[:32])
            elif field == "user_preferences":
                for item in objects(value.get("user_preferences")):
                    wa_id = clean(item.get("wa_id"))
                    if wa_id and len(wa_id) <= 32 and clean(item.get("value")) in ("stop", "resume") and item.get(
                            "category", "marketing_messages") == "marketing_messages":
                        contacts.add(wa_id)
    return messages, statuses, contacts


def objects(value: Any) -> list[dict]:
    """The objects of a JSON list (anything else holds none)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


# --- strategies --------------------------------------------------------------------------

SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
NASTY_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=6), st.text(max_size=6)),
    st.builds(lambda a, s, b: a + s + b, st.text(max_size=6), SURROGATE, st.text(max_size=6)),
    st.just("\x00"),
    st.sampled_from(["", " ", "سلام", "played", "read", "stop", "resume", "131050", "1700000000", "-1", "1e999"]),
    st.integers(20, 300).map(lambda n: "9" * n),  # just past the id and sender limits
)
# Huge strings only where a real message carries text (and as replacements), so most
# bodies stay small: 600 000 Persian letters escaped as ASCII pass the 3 MiB limit (413).
HUGE_TEXT = st.sampled_from([5_000, 60_000, 600_000]).map(lambda n: "ب" * n)
BODY_TEXT = st.one_of(NASTY_TEXT, HUGE_TEXT)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63, max_value=2**80),
    st.integers(max_value=-(2**63), min_value=-(2**80)),
    st.floats(allow_nan=True, allow_infinity=True), NASTY_TEXT,
)
JSON_VALUES = st.recursive(
    SCALARS, lambda children: st.lists(children, max_size=3) | st.dictionaries(NASTY_TEXT, children, max_size=3),
    max_leaves=8,
)


def nested(depth: int, kind: str) -> Any:
    """A value nested `depth` levels deep in lists or objects."""
    value: Any = "bottom"
    for _ in range(depth):
        value = [value] if kind == "list" else {"n": value}
    return value


DEEP = st.builds(nested, st.sampled_from([50, 400, 800]), st.sampled_from(["list", "dict"]))
JUNK = st.one_of(JSON_VALUES, DEEP, HUGE_TEXT)
WAMID = st.one_of(st.from_regex(r"wamid\.HBgM[0-9A-F]{6}", fullmatch=True), st.sampled_from(["wamid.A", "wamid.B"]))
WA_ID = st.one_of(st.from_regex(r"98912[0-9]{7}", fullmatch=True), st.just("989120000001"))
TIMESTAMP = st.one_of(st.integers(1_600_000_000, 1_900_000_000).map(str), st.integers(), st.floats(), NASTY_TEXT)
KINDS = ["text", "image", "interactive", "button", "reaction", "location", "contacts", "order", "system", "audio",
         "unsupported"]


@st.composite
def message_item(draw: st.DrawFn) -> dict[str, Any]:
    """An inbound message of any type, usually well formed."""
    kind = draw(st.sampled_from(KINDS))
    content = {
        "text": {"body": draw(BODY_TEXT)},
        "interactive": {"type": "button_reply", "button_reply": {"id": "b1", "title": draw(NASTY_TEXT)}},
        "contacts": None,
    }.get(kind, {"caption": draw(NASTY_TEXT), "emoji": "👍", "text": draw(NASTY_TEXT), "name": draw(NASTY_TEXT)})
    item = {"from": draw(WA_ID), "id": draw(WAMID), "timestamp": draw(TIMESTAMP), "type": kind}
    if content is not None:
        item[kind] = content
    else:
        item["contacts"] = [{"name": {"formatted_name": draw(NASTY_TEXT)}}]
    return item


@st.composite
def status_item(draw: st.DrawFn) -> dict[str, Any]:
    """A status for one of our sends, sometimes with Meta's error list."""
    item = {"id": draw(WAMID), "status": draw(st.sampled_from(["sent", "delivered", "read", "failed", "played",
                                                                  "deleted", "warning"])),
            "timestamp": draw(TIMESTAMP), "recipient_id": draw(WA_ID)}
    if draw(st.booleans()):
        item["errors"] = [{"code": draw(st.sampled_from([131050, 131026, 131000, 0])), "title": draw(NASTY_TEXT)}]
    return item


@st.composite
def change(draw: st.DrawFn) -> dict[str, Any]:
    """A change of field messages, user_preferences or another kind."""
    field = draw(st.sampled_from(["messages", "messages", "messages", "user_preferences", "account_update"]))
    if field == "user_preferences":
        preferences = [{"wa_id": draw(WA_ID), "value": draw(st.sampled_from(["stop", "resume", "maybe"])),
                        "category": "marketing_messages", "timestamp": 1_700_000_000}
                       for _ in range(draw(st.integers(0, 3)))]
        return {"field": field, "value": {"messaging_product": "whatsapp", "user_preferences": preferences}}
    if field != "messages":
        return {"field": field, "value": {"event": draw(NASTY_TEXT)}}
    messages = draw(st.lists(message_item(), max_size=4))
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "106540352242922"},
        "contacts": [{"profile": {"name": draw(NASTY_TEXT)}, "wa_id": m["from"]} for m in messages],
        "messages": messages,
        "statuses": draw(st.lists(status_item(), max_size=4)),
    }
    return {"field": field, "value": value}


ENVELOPES = st.builds(
    lambda entries: {"object": "whatsapp_business_account", "entry": entries},
    st.lists(st.builds(lambda changes: {"id": "102290129340398", "changes": changes},
                       st.lists(change(), min_size=1, max_size=3)), min_size=1, max_size=2),
)


def paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value inside `value` (the root is ())."""
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, prefix + (index,))
    return found


def flip_number(value: Any) -> Any:
    """Numbers as strings and numeric strings as numbers."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            return value
    return value


@st.composite
def mutated_envelope(draw: st.DrawFn) -> Any:
    """A well-formed envelope with a few random mutations applied at random places."""
    envelope = draw(ENVELOPES)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(envelope)))
        operation = draw(st.sampled_from(["delete", "replace", "flip", "unknown_field", "wrap", "duplicate"]))
        if path == ():
            envelope = draw(JUNK) if operation == "replace" else envelope
            continue
        parent = envelope
        for step in path[:-1]:
            parent = parent[step]
        key = path[-1]
        if operation == "delete":
            del parent[key]
        elif operation == "replace":
            parent[key] = draw(JUNK)
        elif operation == "flip":
            parent[key] = flip_number(parent[key])
        elif operation == "unknown_field" and isinstance(parent[key], dict):
            parent[key][draw(NASTY_TEXT)] = draw(JUNK)
        elif operation == "wrap":
            parent[key] = [parent[key]]
        elif operation == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[key])))
    return envelope


@st.composite
def signed_body(draw: st.DrawFn) -> bytes:
    """An envelope (generated or mutated) serialised one of several ways, sometimes corrupted."""
    envelope = draw(st.one_of(ENVELOPES, mutated_envelope(), JUNK))
    encoding = draw(st.sampled_from(["ascii", "utf-8", "raw-surrogates", "utf-16", "invalid-utf-8"]))
    if encoding == "ascii":
        return json.dumps(envelope).encode()
    if encoding == "utf-16":
        return json.dumps(envelope).encode("utf-16")
    body = json.dumps(envelope, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if encoding == "invalid-utf-8":
        position = draw(st.integers(0, len(body)))
        body = body[:position] + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\x80", b"\xed\xa0"])) + body[position:]
    return body


# --- the properties --------------------------------------------------------------------


def stored(app) -> tuple[set[str], set[tuple[str, str]], set[str], int]:
    """(message wamids, status keys, contact wa_ids, rows in every table) as committed."""
    with app.extensions["whatsapp_platform"].session_factory() as session:
        messages = set(session.scalars(select(ReceivedMessageLog.wamid)))
        statuses = {tuple(row) for row in session.execute(select(MessageStatusEvent.wamid, MessageStatusEvent.status))}
        contacts = set(session.scalars(select(Contact.wa_id)))
        total = sum(session.scalar(select(func.count()).select_from(table)) for table in Base.metadata.sorted_tables)
    return messages, statuses, contacts, total


def check_one(app, client, engine, body: bytes) -> None:
    """Post `body` signed; the answer and the stored rows must match the oracle."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}
    clean_tables(engine)
    response = client.post("/webhook", data=body, headers=headers)
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        expected = None
    else:
        expected = expected_rows(parsed)
    messages, statuses, contacts, total = stored(app)
    if len(body) > MAX_BODY:
        assert response.status_code == 413
        assert total == 0
    elif expected is None:
        assert response.status_code == 400, response.get_data(as_text=True)[:300]
        assert total == 0
    else:
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        assert (messages, statuses, contacts) == expected


def fuzz_settings(max_examples: int) -> settings:
    """Reproducible settings: derandomized, no example database, no deadline."""
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large, HealthCheck.large_base_example])


def examples_for(database_url: str, sqlite: int, postgresql: int) -> int:
    """Fewer examples on PostgreSQL, where each costs a few network round trips more."""
    return sqlite if database_url.startswith("sqlite") else postgresql


@pytest.mark.slow
def test_fuzzed_webhooks_never_5xx_and_store_exactly_the_valid_items(app, client, engine, database_url):
    @fuzz_settings(examples_for(database_url, sqlite=800, postgresql=250))
    @given(body=signed_body())
    def run(body: bytes) -> None:
        check_one(app, client, engine, body)

    run()


@pytest.mark.parametrize("text", [
    "\x00", "a\x00b", "\ud800", "x\udfffy", "\ud83d\ude00", "ب" * 5000, "9" * 129,
], ids=["nul", "inner-nul", "lone-high-surrogate", "lone-low-surrogate", "escaped-pair", "long", "past-limit"])
@pytest.mark.parametrize("place", ["id", "from", "body", "name"])
def test_nasty_strings_in_each_place(app, client, engine, text, place):
    message = {"from": "989121234567", "id": "wamid.NASTY", "timestamp": "1700000000", "type": "text",
               "text": {"body": "hello"}}
    contacts = [{"profile": {"name": "N"}, "wa_id": "989121234567"}]
    if place == "body":
        message["text"]["body"] = text
    elif place == "name":
        contacts[0]["profile"]["name"] = text
    else:
        message[place] = text
    value = {"messaging_product": "whatsapp", "contacts": contacts, "messages": [message]}
    envelope = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": value}]}]}
    escaped, raw = json.dumps(envelope), json.dumps(envelope, ensure_ascii=False)
    for body in (escaped.encode(), raw.encode("utf-8", "surrogatepass")):  # \ud800 escaped, then as raw bytes
        check_one(app, client, engine, body)


@pytest.mark.parametrize("value", [True, 2**70, -(2**70), 1.5, float("nan"), float("inf"), "131050", None])
def test_odd_numbers_in_status_errors_and_timestamps(app, client, engine, value):
    status = {"id": "wamid.ODD", "status": "failed", "timestamp": value, "recipient_id": "989121234567",
              "errors": [{"code": value, "title": "odd"}]}
    message = {"from": "989121234567", "id": "wamid.ODD-IN", "timestamp": value, "type": "text",
               "text": {"body": value}}
    envelope = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"messages": [message], "statuses": [status]}}]}]}
    check_one(app, client, engine, json.dumps(envelope).encode())


@pytest.mark.parametrize("depth", [100, 900, 980, 1200])
@pytest.mark.parametrize("kind", ["list", "dict"])
def test_deeply_nested_values_inside_a_message(app, client, engine, depth, kind):
    opening, closing = ("[", "]") if kind == "list" else ('{"n": ', "}")
    deep = opening * depth + '"bottom"' + closing * depth  # written out: json.dumps would recurse here
    body = ('{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", '
            '"value": {"messages": [{"from": "989121234567", "id": "wamid.DEEP", "timestamp": "1700000000", '
            '"type": "text", "text": {"body": "deep"}, "extra": ' + deep + "}]}}]}]}")
    check_one(app, client, engine, body.encode())


def test_every_letter_as_an_unknown_top_level_field(app, client, engine):
    unknown = {letter: nested(5, "dict") for letter in string.ascii_letters}
    envelope = {"object": "whatsapp_business_account", "entry": []} | unknown
    check_one(app, client, engine, json.dumps(envelope).encode())
