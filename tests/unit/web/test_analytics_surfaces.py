"""The CLI, the admin API and the dashboard show the same figures for the same data."""

from __future__ import annotations

import json
import re

from dashboard_testing import log_in

from inbound.sample_payloads import text_message_envelope
from language.enrichment import enrich_pending

AUTH = {"Authorization": "Bearer test-admin-token-value"}
TRAFFIC = [
    ("989121110001", "سلام، سفارشم کجاست؟"),
    ("989121110002", "خیلی بد بود، اصلا راضی نیستم"),
    ("989121110002", "the product is broken"),
    ("989121110003", "مرسی، عالی بود 😍"),
    ("989121110004", "رنگ مورد علاقه زرافه چیه"),
]


def test_cli_api_and_dashboard_agree(app, client, runner, post_webhook):
    for number, text in TRAFFIC:
        assert post_webhook(text_message_envelope(number, text, name="Sara")).status_code == 200
    context = app.extensions["whatsapp_platform"]
    enrich_pending(context.session_factory, rules=context.config.chatbot_rules_path)

    cli = runner.invoke(args=["analytics", "report", "--json"])
    assert cli.exit_code == 0, cli.output
    from_cli = json.loads(cli.output)
    from_api = client.get("/api/analytics/summary", headers=AUTH).get_json()
    assert from_cli == from_api

    received = sum(day["inbound"] for day in from_api["messages_per_day"])
    negative = from_api["sentiment"]["counts"]["negative"]
    assert received == len(TRAFFIC)
    assert negative == 2
    assert {"keyword": "سفارش", "count": 1} in from_api["top_keywords"]

    assert log_in(client).status_code == 302
    page = client.get("/dashboard?range=all").get_data(as_text=True)
    shown_received = re.search(r'kpi-label">Received</h2>\s*<div class="kpi-main">\s*<p class="kpi-value">([^<]+)<',
                               page).group(1)
    assert int(shown_received.replace(",", "")) == received
    assert f'data-sentiment="negative">{negative}<' in page
    for row in from_api["intents"]["fallback_examples"]:
        assert row["text"] in page
