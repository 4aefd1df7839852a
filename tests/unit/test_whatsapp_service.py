"""Tests for whatsapp_service against the fake Graph API over real HTTP (no mocks of httpx or pywa)."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fake_graph_api import META_ERRORS, FakeGraphAPI

from whatsapp_service import (
    DEFAULT_API_VERSION,
    MARKETING_OPT_OUT,
    OUTSIDE_WINDOW,
    RATE_LIMITED,
    DryRunSender,
    SendResult,
    WhatsAppService,
    build_sender,
    classify_error,
)

TOKEN = "test-token"
PHONE_ID = "106540352242922"
CUSTOMER = "989121234567"


@pytest.fixture
def fake_graph():
    """A started fake Graph API accepting TOKEN, stopped after the test."""
    with FakeGraphAPI(token=TOKEN, port=0) as fake:
        yield fake


@pytest.fixture
def service(fake_graph):
    """A WhatsAppService pointed at the fake."""
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake_graph.url, read_timeout=2.0)
    yield sender
    sender.close()


def closed_port() -> int:
    """A local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- sending -----------------------------------------------------------------------


def test_send_text_returns_the_wamid_the_api_issued_and_sends_metas_shape(service, fake_graph):
    result = service.send_text(CUSTOMER, "سلام! Hello")

    assert result.ok and not result.dry_run and result.http_status == 200
    [received] = fake_graph.messages()
    assert result.wamid == received["wamid"]
    assert received["to"] == CUSTOMER and received["type"] == "text" and received["text"] == "سلام! Hello"
    assert received["payload"]["messaging_product"] == "whatsapp"
    assert received["payload"]["text"] == {"body": "سلام! Hello", "preview_url": False}
    assert "context" not in received["payload"]


def test_reply_to_quotes_the_inbound_message(service, fake_graph):
    assert service.send_text(CUSTOMER, "answer", reply_to="wamid.INBOUND1").ok

    [received] = fake_graph.messages()
    assert received["reply_to"] == "wamid.INBOUND1"
    assert received["payload"]["context"] == {"message_id": "wamid.INBOUND1"}


def test_buttons_become_quick_replies_with_titles_cut_to_20_chars(service, fake_graph):
    labels = ["Yes", "Talk to a human operator", "منو"]

    assert service.send_text(CUSTOMER, "Pick one", buttons=labels).ok

    [received] = fake_graph.messages()
    interactive = received["payload"]["interactive"]
    assert received["type"] == "interactive" and interactive["type"] == "button"
    assert interactive["body"] == {"text": "Pick one"}
    assert [b["type"] for b in interactive["action"]["buttons"]] == ["reply"] * 3
    assert received["buttons"] == [
        {"id": "Yes", "title": "Yes"},
        {"id": "Talk to a human operator", "title": "Talk to a human ope…"},
        {"id": "منو", "title": "منو"},
    ]
    assert all(len(b["title"]) <= 20 for b in received["buttons"])


@pytest.mark.parametrize(
    "buttons",
    [["a", "b", "c", "d"], ["ok", "  "], ["A very long label number 1", "A very long label number 2"]],
    ids=["more-than-3", "empty-label", "titles-collide-after-cut"],
)
def test_invalid_buttons_fail_permanently_without_a_request(service, fake_graph, buttons):
    result = service.send_text(CUSTOMER, "Pick one", buttons=buttons)

    assert not result.ok and not result.retryable and result.error_code is None
    assert fake_graph.stats()["total"] == 0


@pytest.mark.parametrize("language", ["fa", "en_US"])
def test_template_carries_name_language_and_body_parameters(service, fake_graph, language):
    result = service.send_template(CUSTOMER, "order_ready", language, ["Sara", "1402/07/01", 3])

    assert result.ok
    [received] = fake_graph.messages()
    assert result.wamid == received["wamid"]
    assert received["template"] == {
        "name": "order_ready",
        "language": language,
        "body_parameters": ["Sara", "1402/07/01", "3"],
    }
    assert received["payload"]["template"]["components"] == [
        {
            "type": "BODY",
            "parameters": [
                {"type": "text", "text": "Sara"},
                {"type": "text", "text": "1402/07/01"},
                {"type": "text", "text": "3"},
            ],
        }
    ]


def test_template_without_parameters_has_no_components(service, fake_graph):
    assert service.send_template(CUSTOMER, "hello_world", "en_US").ok

    [received] = fake_graph.messages()
    assert received["payload"]["template"] == {"name": "hello_world", "language": {"code": "en_US"}}


def test_unknown_template_language_fails_permanently_without_a_request(service, fake_graph):
    result = service.send_template(CUSTOMER, "hello_world", "xx_YY")

    assert not result.ok and not result.retryable and "xx_YY" in result.error_title
    assert fake_graph.stats()["total"] == 0


def test_mark_read_sends_a_read_receipt(service, fake_graph):
    result = service.mark_read("wamid.INBOUND2")

    assert result.ok and result.wamid is None
    assert fake_graph.reads() == ["wamid.INBOUND2"]
    assert fake_graph.counts() == {}


def test_base_url_redirects_every_request_to_the_fake_keeping_the_graph_path(fake_graph):
    with FakeGraphAPI(token=TOKEN) as other_fake:
        sender = WhatsAppService(TOKEN, PHONE_ID, base_url=other_fake.url + "/", api_version="21.0")
        try:
            assert sender.send_text(CUSTOMER, "hi").ok
            assert sender.mark_read("wamid.X").ok
        finally:
            sender.close()
        [received] = other_fake.messages()
        assert received["path"] == f"/v21.0/{PHONE_ID}/messages"
        assert received["phone_number_id"] == PHONE_ID
        assert other_fake.stats()["by_outcome"] == {"accepted": 1, "read": 1}
    assert fake_graph.stats()["total"] == 0


def test_default_api_version_is_in_the_path(service, fake_graph):
    service.send_text(CUSTOMER, "hi")

    assert fake_graph.messages()[0]["path"] == f"/v{DEFAULT_API_VERSION}/{PHONE_ID}/messages"


@pytest.mark.parametrize("base_url", [None, "", "https://graph.facebook.com", "https://graph.facebook.com/"])
def test_no_redirect_for_metas_own_url(base_url):
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=base_url)
    try:
        assert sender.redirected is False
    finally:
        sender.close()


def test_empty_recipient_is_a_permanent_failure_not_an_exception(service, fake_graph):
    result = service.send_text("", "hi")

    assert not result.ok and not result.retryable
    assert fake_graph.stats()["total"] == 0


# --- errors and their classification --------------------------------------------------


def test_wrong_token_is_a_permanent_190(fake_graph):
    sender = WhatsAppService("not-the-token", PHONE_ID, base_url=fake_graph.url)
    try:
        result = sender.send_text(CUSTOMER, "hi")
    finally:
        sender.close()

    assert not result.ok and not result.retryable
    assert (result.error_code, result.http_status) == (190, 401)
    assert fake_graph.counts() == {}
    assert fake_graph.stats()["by_outcome"] == {"unauthorized": 1}


RETRYABLE = [RATE_LIMITED, 131056, 4, 80007, 131000, 131016, 131057]
PERMANENT = [131026, OUTSIDE_WINDOW, 131049, MARKETING_OPT_OUT, 131051, 131048, 368, 190, 132000, 132001, 132015, 100]


@pytest.mark.parametrize(
    ("code", "retryable"), [(code, True) for code in RETRYABLE] + [(code, False) for code in PERMANENT]
)
def test_each_meta_error_code_is_classified(service, fake_graph, code, retryable):
    fake_graph.fail_recipients([CUSTOMER], code)

    result = service.send_template(CUSTOMER, "order_ready", "fa", ["Sara"])

    status, title = META_ERRORS[code]
    assert not result.ok and result.wamid is None
    assert result.retryable is retryable
    assert (result.error_code, result.error_title, result.http_status) == (code, title, status)
    assert result.opted_out is (code == MARKETING_OPT_OUT)
    assert result.outside_window is (code == OUTSIDE_WINDOW)


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [
        (None, None, True),  # no answer: timeout or connection error
        (None, 500, True),
        (None, 502, True),
        (None, 503, True),
        (None, 429, True),
        (None, 400, False),
        (None, 404, False),
        (999999, 400, False),
        (999999, 503, True),
        (132999, 500, False),  # a template error stays permanent whatever the status
        (RATE_LIMITED, 400, True),  # Meta answers throughput errors with HTTP 400
    ],
)
def test_classify_error_table_beyond_the_listed_codes(code, status, retryable):
    assert classify_error(code, status) is retryable


@pytest.mark.parametrize(("status", "code"), [(429, RATE_LIMITED), (500, 131000), (503, 131016)])
def test_http_429_and_5xx_are_retryable_and_only_the_next_n_fail(service, fake_graph, status, code):
    fake_graph.fail_next(2, status=status)

    first, second, third = (service.send_text(CUSTOMER, f"try {n}") for n in range(3))

    for failed in (first, second):
        assert not failed.ok and failed.retryable
        assert (failed.http_status, failed.error_code) == (status, code)
    assert third.ok
    assert fake_graph.counts() == {CUSTOMER: 1}


def test_recipient_error_for_the_first_attempts_only(service, fake_graph):
    fake_graph.fail_recipients([CUSTOMER], RATE_LIMITED, attempts=2)

    results = [service.send_text(CUSTOMER, "hi") for _ in range(3)]

    assert [r.ok for r in results] == [False, False, True]
    assert service.send_text("989120000000", "someone else").ok


def test_timeout_is_retryable_and_raises_nothing(fake_graph):
    fake_graph.timeout_next(1, seconds=2.0)
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake_graph.url, read_timeout=0.3)
    try:
        result = sender.send_text(CUSTOMER, "slow")  # the server answers after 2 s, the sender gives up at 0.3 s
        after = sender.send_text(CUSTOMER, "fast again")
    finally:
        sender.close()

    assert not result.ok and result.retryable
    assert result.error_code is None and result.http_status is None
    assert result.error_title.startswith("timeout")
    assert after.ok


def test_timeout_the_api_accepted_anyway_shows_the_duplicate_risk(fake_graph):
    fake_graph.timeout_next(1, seconds=0.6, accept=True)
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake_graph.url, read_timeout=0.2)
    try:
        assert sender.send_text(CUSTOMER, "same text").retryable
        time.sleep(0.8)  # let the held request finish on the fake's side
        assert sender.send_text(CUSTOMER, "same text").ok
    finally:
        sender.close()

    assert fake_graph.counts() == {CUSTOMER: 2}
    [duplicate] = fake_graph.duplicates()
    assert duplicate["to"] == CUSTOMER and duplicate["count"] == 2


def test_connection_refused_is_retryable():
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=f"http://127.0.0.1:{closed_port()}", connect_timeout=1.0)
    try:
        result = sender.send_text(CUSTOMER, "hi")
    finally:
        sender.close()

    assert not result.ok and result.retryable
    assert result.error_code is None and result.error_title.startswith("connection error")


def test_a_stopped_fake_is_gone_for_kept_alive_connections_too(fake_graph, service):
    assert service.send_text(CUSTOMER, "first").ok  # opens a pooled keep-alive connection

    fake_graph.stop()
    result = service.send_text(CUSTOMER, "second")

    assert not result.ok and result.retryable


# --- concurrency ---------------------------------------------------------------------


def test_200_concurrent_sends_from_20_threads_share_one_service(service, fake_graph):
    fake_graph.set_latency(5)
    recipients = [f"98912{n:07d}" for n in range(200)]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda to: service.send_text(to, f"hello {to}"), recipients))

    assert all(r.ok for r in results)
    assert len({r.wamid for r in results}) == 200
    assert fake_graph.counts() == dict.fromkeys(recipients, 1)
    assert {m["wamid"] for m in fake_graph.messages()} == {r.wamid for r in results}
    assert fake_graph.duplicates() == []
    assert fake_graph.stats()["max_in_flight"] > 1


def test_max_connections_caps_requests_in_flight(fake_graph):
    fake_graph.set_latency(30)
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake_graph.url, max_connections=5)
    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda n: sender.send_text(f"98912{n:07d}", "x"), range(60)))
    finally:
        sender.close()

    assert all(r.ok for r in results)
    assert 1 < fake_graph.stats()["max_in_flight"] <= 5


@pytest.mark.slow
def test_200_threads_at_metas_latency_keep_their_connections_and_throughput(fake_graph):
    """httpcore 1.0.9's shared pool churns connections here and drops to ~120 msg/s (encode/httpcore#1110)."""
    fake_graph.set_latency(200)  # a typical Cloud API round trip
    sender = WhatsAppService(TOKEN, PHONE_ID, base_url=fake_graph.url)
    try:
        with ThreadPoolExecutor(max_workers=200) as pool:
            results = list(pool.map(lambda n: sender.send_text(f"98912{n:07d}", "x"), range(1000)))
    finally:
        sender.close()

    assert [r.error_title for r in results if not r.ok] == []
    # A connection per thread, kept: the shared pool churned them (the throughput is bench/'s to measure).
    assert fake_graph.stats()["connections_opened"] <= 200


# --- dry run and build_sender --------------------------------------------------------


def test_dry_run_records_every_send_and_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the dry-run sender opened a connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    sender = DryRunSender()

    text = sender.send_text(CUSTOMER, "hi", reply_to="wamid.A", buttons=["Yes"])
    template = sender.send_template(CUSTOMER, "order_ready", "fa", ["Sara"])
    read = sender.mark_read("wamid.B")
    sender.close()

    assert all(r.ok and r.dry_run for r in (text, template, read))
    assert text.wamid.startswith("dryrun.") and text.wamid != template.wamid
    assert sender.sent == [
        {"kind": "text", "to": CUSTOMER, "wamid": text.wamid, "body": "hi", "reply_to": "wamid.A", "buttons": ["Yes"]},
        {
            "kind": "template",
            "to": CUSTOMER,
            "wamid": template.wamid,
            "name": "order_ready",
            "language": "fa",
            "body_parameters": ["Sara"],
        },
        {"kind": "read", "to": None, "message_id": "wamid.B"},
    ]


def test_dry_run_is_thread_safe_and_ids_are_unique():
    sender = DryRunSender()

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(lambda n: sender.send_text(f"98912{n:07d}", "x"), range(1000)))

    assert len(sender.sent) == 1000
    assert len({r.wamid for r in results}) == 1000


def test_dry_run_logs_no_message_body_at_info(caplog):
    caplog.set_level("INFO", logger="whatsapp_service")

    DryRunSender().send_text(CUSTOMER, "a secret discount code")

    assert CUSTOMER in caplog.text and "secret" not in caplog.text


@pytest.mark.parametrize("token", [None, ""])
def test_build_sender_without_token_is_a_dry_run(token):
    assert isinstance(build_sender(token, None, None), DryRunSender)


def test_build_sender_with_token_sends_for_real_with_the_given_timeouts(fake_graph):
    fake_graph.timeout_next(1, seconds=2.0)
    sender = build_sender(TOKEN, PHONE_ID, fake_graph.url, read_timeout=0.3)
    try:
        assert isinstance(sender, WhatsAppService)
        assert sender.send_text(CUSTOMER, "held").error_title.startswith("timeout")
        assert sender.send_text(CUSTOMER, "hi").ok
    finally:
        sender.close()


def test_build_sender_with_token_but_no_phone_id_names_the_setting():
    with pytest.raises(ValueError, match="WHATSAPP_PHONE_NUMBER_ID"):
        build_sender(TOKEN, None, None)


def test_send_result_constructors():
    assert SendResult.success("wamid.1") == SendResult(True, "wamid.1", None, None, False, 200)
    failure = SendResult.failure(MARKETING_OPT_OUT, "x" * 500, 400)
    assert failure.opted_out and not failure.retryable and len(failure.error_title) == 200
    assert SendResult.failure(None, "timeout").retryable


# --- the fake itself, through its HTTP control API -----------------------------------


def control(fake: FakeGraphAPI, name: str, **arguments: object) -> httpx.Response:
    """Call the fake's control API the way another process would."""
    if arguments or name == "reset":
        return httpx.post(f"{fake.url}/_control/{name}", json=arguments)
    return httpx.get(f"{fake.url}/_control/{name}")


def test_control_api_reports_counts_messages_stats_and_duplicates(service, fake_graph):
    service.send_text(CUSTOMER, "one")
    service.send_text(CUSTOMER, "one")
    service.send_text("989120000001", "two")
    service.mark_read("wamid.R")

    assert control(fake_graph, "health").json() == {"ok": True}
    assert control(fake_graph, "counts").json() == {CUSTOMER: 2, "989120000001": 1}
    messages = control(fake_graph, "messages").json()
    assert [(m["to"], m["text"]) for m in messages] == [(CUSTOMER, "one"), (CUSTOMER, "one"), ("989120000001", "two")]
    assert all(m["wamid"].startswith("wamid.") and m["timestamp"] > 0 for m in messages)
    assert control(fake_graph, "reads").json() == ["wamid.R"]
    assert control(fake_graph, "stats").json() == {
        "total": 4,
        "by_outcome": {"accepted": 3, "read": 1},
        "max_in_flight": 1,
        "connections_opened": 1,  # the service kept its connection alive
    }
    [duplicate] = control(fake_graph, "duplicates").json()
    assert (duplicate["to"], duplicate["text"], duplicate["count"]) == (CUSTOMER, "one", 2)

    assert control(fake_graph, "reset").json() == {"ok": True}
    assert control(fake_graph, "counts").json() == {}
    assert control(fake_graph, "stats").json()["total"] == 0


def test_control_api_injects_failures(service, fake_graph):
    assert control(fake_graph, "fail_recipients", recipients=[CUSTOMER], code=OUTSIDE_WINDOW).status_code == 200
    assert control(fake_graph, "fail_next", count=1, status=503).status_code == 200

    throttled = service.send_text("989120000001", "a")
    outside = service.send_text(CUSTOMER, "b")

    assert (throttled.http_status, throttled.error_code, throttled.retryable) == (503, 131016, True)
    assert (outside.error_code, outside.retryable) == (OUTSIDE_WINDOW, False)
    assert control(fake_graph, "stats").json()["by_outcome"] == {"failed_next": 1, "recipient_error": 1}


def test_control_api_latency_and_timeouts(service, fake_graph):
    control(fake_graph, "latency", ms=150)
    started = time.monotonic()
    assert service.send_text(CUSTOMER, "slow").ok
    assert time.monotonic() - started >= 0.15

    control(fake_graph, "latency", ms=0)
    control(fake_graph, "timeout_next", count=1, seconds=0.1)
    held = service.send_text(CUSTOMER, "held but the client waits")  # read timeout 2 s > 0.1 s
    assert (held.http_status, held.retryable) == (503, True)


def test_control_api_random_failures_are_seeded(service, fake_graph):
    def pattern() -> list[bool]:
        control(fake_graph, "reset")
        control(fake_graph, "fail_random", probability=0.5, seed=7)
        return [service.send_text(f"98912{n:07d}", "x").ok for n in range(30)]

    first = pattern()
    assert first == pattern()
    assert 0 < first.count(False) < 30

    control(fake_graph, "fail_random", probability=0)
    assert all(service.send_text(CUSTOMER, f"{n}").ok for n in range(5))


def test_control_api_rejects_bad_calls(fake_graph):
    assert control(fake_graph, "fail_next", cuont=1).status_code == 400
    assert control(fake_graph, "nonsense").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        json.dumps({"to": CUSTOMER, "type": "text", "text": {"body": "x"}}).encode(),
        json.dumps({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}).encode(),
        json.dumps({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "fax", "fax": {}}).encode(),
        json.dumps({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {}}).encode(),
        json.dumps({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "template", "template": {}}).encode(),
        json.dumps({"messaging_product": "whatsapp", "status": "read"}).encode(),
        json.dumps(
            {
                "messaging_product": "whatsapp",
                "to": CUSTOMER,
                "type": "interactive",
                "interactive": {"type": "button", "body": {"text": "x"}, "action": {"buttons": [{"type": "reply"}]}},
            }
        ).encode(),
    ],
    ids=[
        "not-json",
        "no-product",
        "no-to",
        "bad-type",
        "no-text-body",
        "template-no-name",
        "read-no-id",
        "button-without-reply",
    ],
)
def test_fake_rejects_malformed_bodies_with_code_100(fake_graph, body):
    response = httpx.post(
        f"{fake_graph.url}/v23.0/{PHONE_ID}/messages",
        content=body,
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == 100
    assert fake_graph.counts() == {}


def test_fake_requires_the_bearer_token_and_the_messages_path(fake_graph):
    body = {"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x"}}
    url = f"{fake_graph.url}/v23.0/{PHONE_ID}/messages"

    missing = httpx.post(url, json=body)
    wrong_path = httpx.post(f"{fake_graph.url}/v23.0/{PHONE_ID}/other", json=body)
    accepted = httpx.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"})

    assert (missing.status_code, missing.json()["error"]["code"]) == (401, 190)
    assert wrong_path.status_code == 404
    assert accepted.status_code == 200
    assert accepted.json()["contacts"] == [{"input": CUSTOMER, "wa_id": CUSTOMER}]
    assert accepted.json()["messages"][0]["id"].startswith("wamid.")


def test_fake_keeps_connections_alive(fake_graph):
    body = json.dumps({"messaging_product": "whatsapp", "to": CUSTOMER, "type": "text", "text": {"body": "x"}})
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", fake_graph.port, timeout=5)
    try:
        connection.request("POST", f"/v23.0/{PHONE_ID}/messages", body=body, headers=headers)
        first = connection.getresponse()
        first.read()
        local_port = connection.sock.getsockname()[1]
        connection.request("POST", f"/v23.0/{PHONE_ID}/messages", body=body, headers=headers)
        second = connection.getresponse()
        second.read()
        assert connection.sock.getsockname()[1] == local_port  # same socket, not a reconnect
    finally:
        connection.close()

    assert (first.status, second.status) == (200, 200)
    assert first.getheader("Content-Length") is not None


def test_fake_serves_many_clients_at_once(fake_graph):
    fake_graph.set_latency(50)
    errors: list[BaseException] = []
    client = httpx.Client(limits=httpx.Limits(max_connections=100), headers={"Authorization": f"Bearer {TOKEN}"})

    def post(n: int) -> None:
        try:
            body = {"messaging_product": "whatsapp", "to": f"98912{n:07d}", "type": "text", "text": {"body": "x"}}
            response = client.post(f"{fake_graph.url}/v23.0/{PHONE_ID}/messages", json=body)
            assert response.status_code == 200
        except BaseException as exc:  # collected so the main thread fails the test
            errors.append(exc)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(100)]
    with client:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert errors == []
    assert len(fake_graph.counts()) == 100
    assert fake_graph.stats()["max_in_flight"] > 10  # served in parallel, not one after another


# --- business-scoped user ids (BSUIDs) -------------------------------------------------------

@pytest.mark.parametrize("user_id", ["US.13491208655302741918", "US.ENT.11815799212886844830", "DE.Zk3vQ81LmA90pX2"],
                         ids=["digits-pywa", "parent-pywa", "letters-own-request"])
def test_a_bsuid_is_addressed_as_recipient_never_as_to(service, fake_graph, user_id):
    text = service.send_text(user_id, "سلام", reply_to="wamid.IN")
    buttons = service.send_text(user_id, "کدوم؟", buttons=["بله", "نه"])
    template = service.send_template(user_id, "order_update", "fa", ["Shirin"])
    assert text.ok and buttons.ok and template.ok, (text, buttons, template)
    sent = fake_graph.messages()
    assert [(m["to"], m["addressed_by"], m["type"]) for m in sent] == [
        (user_id, "recipient", "text"), (user_id, "recipient", "interactive"), (user_id, "recipient", "template")]
    assert all("to" not in m["payload"] and m["payload"]["recipient_type"] == "individual" for m in sent)
    assert sent[0]["reply_to"] == "wamid.IN"
    assert [b["title"] for b in sent[1]["buttons"]] == ["بله", "نه"]
    assert sent[2]["template"] == {"name": "order_update", "language": "fa", "body_parameters": ["Shirin"]}
    assert [text.wamid, buttons.wamid, template.wamid] == [m["wamid"] for m in sent]


def test_a_phone_number_is_still_sent_as_to(service, fake_graph):
    assert service.send_text(CUSTOMER, "hello").ok
    [sent] = fake_graph.messages()
    assert (sent["addressed_by"], sent["payload"]["to"]) == ("to", CUSTOMER)
    assert "recipient" not in sent["payload"]


def test_errors_for_a_bsuid_sent_by_our_own_request_are_classified_like_pywas(service, fake_graph):
    fake_graph.fail_recipients(["DE.Zk3vQ81LmA90pX2"], MARKETING_OPT_OUT)
    fake_graph.fail_next(1, status=503)
    transient = service.send_text("DE.Zk3vQ81LmA90pX2", "hello")
    permanent = service.send_text("DE.Zk3vQ81LmA90pX2", "hello")
    assert (transient.ok, transient.retryable, transient.http_status) == (False, True, 503)
    assert (permanent.error_code, permanent.retryable, permanent.opted_out) == (MARKETING_OPT_OUT, False, True)


def test_the_fake_refuses_a_recipient_that_is_not_a_bsuid(fake_graph):
    body = {"messaging_product": "whatsapp", "recipient": "989121234567", "type": "text", "text": {"body": "x"}}
    answer = httpx.post(f"{fake_graph.url}/v{DEFAULT_API_VERSION}/{PHONE_ID}/messages", json=body,
                        headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == 100
    assert fake_graph.messages() == []
