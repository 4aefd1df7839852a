"""An order's status change told to its customer once, end to end: PUT /api/orders/{number} or an orders
import queues the notification, the real cron script (`run_broadcast_processor.py`, its own process)
sends it to the fake Graph API as the approved template the rules name, and a repeat sends nothing.

The customers never wrote, so they are outside the 24-hour window: only the template can reach them.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import yaml
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, clean_tables

from webhook_handler import create_app

AUTH = {"Authorization": "Bearer test-admin-token-value"}
SHIPPED = {"wa_id": "09121110001", "status": "shipped", "tracking_code": "RR123456789IR", "carrier": "iran_post"}


@pytest.fixture
def shop(test_config, engine, tmp_path):
    """The app with the shipped rules, plus an approved template for the `shipped` notification."""
    (tmp_path / "chatbot_rules.yaml").write_bytes((ROOT / "rules" / "chatbot_rules.yaml").read_bytes())
    rules = yaml.safe_load((ROOT / "rules" / "orders.yaml").read_text(encoding="utf-8"))
    rules["notifications"]["shipped"]["template"] = {"name": "order_shipped", "language": "fa",
                                                     "params": ["number", "tracking_code"]}
    (tmp_path / "orders.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    app = create_app(test_config.replace(chatbot_rules_path=str(tmp_path / "chatbot_rules.yaml")))
    yield app
    app.extensions["whatsapp_platform"].close()
    clean_tables(engine)


def run_cron(database_url: str, fake) -> None:
    """One run of the cron entry, as crontab starts it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("WHATSAPP_", "SQLALCHEMY_"))}
    env.update(SQLALCHEMY_DATABASE_URL=database_url, WHATSAPP_API_TOKEN=GRAPH_TOKEN,
               WHATSAPP_PHONE_NUMBER_ID=PHONE_NUMBER_ID, WHATSAPP_API_BASE_URL=fake.url, APP_ENV="development",
               PROCESSOR_TIME_BUDGET_SECONDS="30")
    finished = subprocess.run([sys.executable, "run_broadcast_processor.py"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr


def templates_sent(fake) -> list[tuple[str, str, list[str]]]:
    return [(message["to"], message["template"]["name"], message["template"]["body_parameters"])
            for message in fake.messages() if message["type"] == "template"]


def test_a_status_change_through_the_api_sends_one_template_and_a_repeat_sends_nothing(shop, fake_graph,
                                                                                      database_url):
    client = shop.test_client()
    assert client.put("/api/orders/1001", json=SHIPPED | {"status": "paid"}, headers=AUTH).status_code == 200
    changed = client.put("/api/orders/1001", json=SHIPPED, headers=AUTH).get_json()
    assert changed["outcome"] == "updated" and changed["notified"] is True
    run_cron(database_url, fake_graph)
    assert templates_sent(fake_graph) == [("989121110001", "order_shipped", ["۱۰۰۱", "RR123456789IR"])]
    assert len(fake_graph.messages()) == 1  # `paid` has no notification: nothing for it

    repeated = client.put("/api/orders/1001", json=SHIPPED, headers=AUTH).get_json()
    assert repeated["outcome"] == "unchanged" and repeated["notified"] is False
    run_cron(database_url, fake_graph)
    assert len(fake_graph.messages()) == 1


def test_a_status_change_through_an_import_sends_one_template_and_importing_again_nothing(shop, fake_graph,
                                                                                         database_url, tmp_path):
    orders = tmp_path / "orders.csv"
    orders.write_text("number,wa_id,status,tracking_code,carrier\n2001,09121110002,shipped,TPX-7,tipax\n"
                      "2002,09121110003,packed,,\n", encoding="utf-8")
    runner = shop.test_cli_runner()
    first = runner.invoke(args=["orders", "import", str(orders)])
    assert first.exit_code == 0 and "1 notifications queued" in first.output, first.output
    run_cron(database_url, fake_graph)
    assert templates_sent(fake_graph) == [("989121110002", "order_shipped", ["۲۰۰۱", "TPX-7"])]

    again = runner.invoke(args=["orders", "import", str(orders)])
    assert "2 unchanged" in again.output and "0 notifications queued" in again.output, again.output
    run_cron(database_url, fake_graph)
    assert len(fake_graph.messages()) == 1
