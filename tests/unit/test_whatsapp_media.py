"""The sender's media and template-list calls against the fake Graph API over real HTTP (no mocks of pywa or httpx)."""

from __future__ import annotations

import pytest
from conftest import free_port
from template_testing import graph_sender

from whatsapp_service import DryRunSender, GraphApiError, WhatsAppService

BSUID = "US.ab12CD34ef"  # letters: pywa would not address it; our own request does


@pytest.fixture
def service(fake_graph):
    sender = graph_sender(fake_graph)
    yield sender
    sender.close()


def test_an_upload_returns_the_media_id_and_the_image_goes_out_by_it(service, fake_graph):
    uploaded = service.upload_media(b"\x89PNG\r\n\x1a\nrest", "image/png", "photo.png")
    assert uploaded.ok and uploaded.wamid.isdigit()
    [upload] = fake_graph.uploads()
    assert upload | {"sha256": ""} == {"id": uploaded.wamid, "phone_number_id": service.phone_number_id,
                                       "filename": "photo.png", "mime_type": "image/png", "size": 12, "sha256": ""}
    sent = service.send_media("989120000001", {"type": "image", "id": uploaded.wamid, "caption": "سلام"})
    assert sent.ok and sent.wamid.startswith("wamid.")
    [message] = fake_graph.messages()
    assert (message["type"], message["media"], message["addressed_by"]) == (
        "image", {"id": uploaded.wamid, "caption": "سلام"}, "to")


def test_media_to_a_bsuid_pywa_cannot_address_goes_by_our_own_request(service, fake_graph):
    result = service.send_media(BSUID, {"type": "document", "link": "https://x.example/a.pdf", "filename": "a.pdf",
                                        "caption": "invoice"})
    assert result.ok
    [message] = fake_graph.messages()
    assert (message["to"], message["addressed_by"], message["media"]) == (
        BSUID, "recipient", {"link": "https://x.example/a.pdf", "filename": "a.pdf", "caption": "invoice"})


def test_an_unknown_media_id_is_a_permanent_failure_with_metas_code(service, fake_graph):
    result = service.send_media("989120000001", {"type": "image", "id": "12345"})
    assert (result.ok, result.error_code, result.retryable) == (False, 100, False)
    assert fake_graph.messages() == []


def test_a_failed_upload_is_classified_like_a_send(service, fake_graph):
    fake_graph.fail_next(1, status=503)
    result = service.upload_media(b"%PDF-1.4", "application/pdf", "a.pdf")
    assert (result.ok, result.error_code, result.retryable) == (False, 131016, True)
    assert fake_graph.uploads() == []


def test_a_template_with_header_and_button_parameters_sends_them_as_components(service, fake_graph):
    result = service.send_template("989120000001", "spring_sale", "fa", ["سارا"],
                                   extra={"header": ["نوروز"], "buttons": [{"index": 0, "params": ["t-1"]}]})
    assert result.ok
    [message] = fake_graph.messages()
    assert message["template"]["body_parameters"] == ["سارا"]
    assert message["template_components"] == [
        {"type": "header", "parameters": [{"type": "text", "text": "نوروز"}]},
        {"type": "body", "parameters": [{"type": "text", "text": "سارا"}]},
        {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "t-1"}]}]


def test_templates_are_listed_across_pages_and_a_dead_api_is_a_clear_error(service, fake_graph):
    assert len(service.list_templates("555")) == 5
    down = WhatsAppService("t", "1", base_url=f"http://127.0.0.1:{free_port()}", read_timeout=1.0, connect_timeout=1.0)
    with pytest.raises(GraphApiError, match="connection error"):
        down.list_templates("555")
    down.close()


def test_the_dry_run_sender_records_media_and_pretends_to_upload():
    sender = DryRunSender()
    uploaded = sender.upload_media(b"x", "image/png", "a.png")
    assert uploaded.ok and uploaded.dry_run and uploaded.wamid.startswith("dryrun-media-")
    assert sender.send_media("989120000001", {"type": "image", "id": uploaded.wamid}).ok
    assert sender.sent[0]["kind"] == "image" and sender.sent[0]["media"] == {"type": "image", "id": uploaded.wamid}
