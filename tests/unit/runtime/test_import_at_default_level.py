"""Contact import the way users run it, at the default log level (INFO).

`contacts import`, `broadcast create --numbers FILE.csv` and `POST /api/contacts/import` all
crashed with `KeyError: "Attempt to overwrite 'created' in LogRecord"` at INFO while the suite
ran at WARNING. Here the commands run through the virtualenv's `flask` script in a subprocess
with LOG_LEVEL empty (the default), and each test also checks that the import's INFO line was written,
so it cannot pass by running at a quieter level.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, clean_tables
from sqlalchemy import func, select

from database_models import Broadcast, Contact, ScheduledMessage
from webhook_handler import create_app

SAMPLE = ROOT / "tests" / "data" / "contacts_sample.csv"
FLASK = Path(sys.executable).parent / "flask"


def run_flask(database_url: str, *args: str) -> subprocess.CompletedProcess:
    """`.venv/bin/flask --app webhook_handler ARGS` in the repository, with the default log level."""
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("WHATSAPP_", "SQLALCHEMY_", "FLASK_", "ADMIN_"))}
    # LOG_LEVEL="" is the default level for load_config, and a variable that is set keeps a
    # developer's own .env (read by flask and by create_app, never overriding) from choosing it.
    env.update(SQLALCHEMY_DATABASE_URL=database_url, APP_ENV="development", LOG_LEVEL="", FLASK_SKIP_DOTENV="1")
    return subprocess.run([str(FLASK), "--app", "webhook_handler", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def log_events(stream: str) -> list[dict]:
    """The JSON log lines of a command's output (its human lines skipped)."""
    return [json.loads(line) for line in stream.splitlines() if line.startswith("{")]


def import_line(result: subprocess.CompletedProcess) -> dict:
    [line] = [entry for entry in log_events(result.stderr) + log_events(result.stdout)
              if entry.get("event") == "contacts.import"]
    return line


def test_contacts_import_through_the_flask_script(database_url, factory):
    result = run_flask(database_url, "contacts", "import", str(SAMPLE))

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert "5 created, 0 updated, 0 unchanged, 4 rejected" in result.stdout
    line = import_line(result)
    assert line["level"] == "INFO" and line["contacts_created"] == 5 and line["contacts_rejected"] == 4
    with factory() as session:
        assert session.scalar(select(func.count()).select_from(Contact)) == 5


def test_broadcast_create_from_a_contacts_csv_through_the_flask_script(database_url, factory):
    result = run_flask(database_url, "broadcast", "create", "--name", "Nowruz", "--text", "نوروز مبارک {name|}",
                       "--numbers", str(SAMPLE), "--at", "2030-03-20 09:00")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr and "KeyError" not in result.stderr
    assert import_line(result)["contacts_created"] == 5
    with factory() as session:
        [broadcast] = session.scalars(select(Broadcast)).all()
        assert broadcast.name == "Nowruz"
        assert session.scalar(select(func.count()).select_from(ScheduledMessage)) == 5


def test_api_import_answers_200_at_info(test_config, engine, caplog):
    app = create_app(test_config.replace(log_level="INFO"))
    try:
        response = app.test_client().post(
            "/api/contacts/import", data=SAMPLE.read_bytes(),
            headers={"Authorization": f"Bearer {test_config.admin_api_token}", "Content-Type": "text/csv"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["created"] == 5
        [record] = [record for record in caplog.records if getattr(record, "event", None) == "contacts.import"]
        assert record.levelname == "INFO" and record.contacts_created == 5
    finally:
        app.extensions["whatsapp_platform"].close()
        clean_tables(engine)
