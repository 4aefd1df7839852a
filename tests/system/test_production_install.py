"""The install of docs/operations.md section 3, run literally in a scratch place: the unit's ExecStart with its
EnvironmentFile, the cron line under `env -i`, `/metrics` across processes, and `systemctl reload` (SIGHUP).

No systemd runs here, so the test does what systemd would: it reads `deploy/whatsapp-platform.service`,
starts its ExecStart in its WorkingDirectory with exactly the variables of the EnvironmentFile
(`deploy/whatsapp-platform.env.example` with the secrets' files filled in), and sends ExecReload's
SIGHUP to the master. `/opt/whatsapp-platform`, `/etc/whatsapp-platform` and `/run/whatsapp-platform`
become directories under the test's temporary directory; nothing else in any command changes.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID, ROOT, free_port, run_migrations, wait_until
from deployment import (
    CRON_LINE,
    INSTALL_DIR,
    clean_environment,
    exec_start_command,
    install_copy,
    json_lines,
    read_env_file,
    unit_directives,
)
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from database_models import Contact, utcnow
from database_setup import create_engine_for, create_session_factory
from inbound.sample_payloads import text_message_envelope
from inbound.signatures import sign_payload
from scheduler import Scheduler

UNIT = ROOT / "deploy" / "whatsapp-platform.service"
ENV_EXAMPLE = ROOT / "deploy" / "whatsapp-platform.env.example"
FIRST_SECRET = "first-app-secret-value-0123456789abcdef"
SECOND_SECRET = "second-app-secret-value-0123456789abcdef"


@dataclass
class Install:
    """The scratch host: its directories, settings file and the running gunicorn (once started)."""

    root: Path
    code: Path
    etc: Path
    run: Path
    database_url: str
    port: int
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "journal.log"

    def write_secret(self, name: str, value: str) -> None:
        """docs/operations.md's write_secret: the new value replaces the file atomically."""
        staging = self.etc / "secrets" / f"{name}.new"
        staging.write_text(value)
        staging.replace(self.etc / "secrets" / name)

    def paths(self, text: str) -> str:
        return (text.replace(INSTALL_DIR, str(self.code)).replace("/etc/whatsapp-platform", str(self.etc))
                .replace("/run/whatsapp-platform", str(self.run)))

    def start(self) -> None:
        """`systemctl start`: ExecStart in WorkingDirectory with the EnvironmentFile's variables only."""
        directives = unit_directives(UNIT.read_text())
        assert "ExecStartPre" not in directives  # nothing empties the metrics directory any more
        command = exec_start_command(UNIT.read_text(), {INSTALL_DIR: str(self.code),
                                                        "/run/whatsapp-platform": str(self.run)})
        environment = clean_environment(**read_env_file(Path(self.paths(directives["EnvironmentFile"]))))
        with open(self.log, "ab") as journal:
            self.process = subprocess.Popen(command, cwd=self.paths(directives["WorkingDirectory"]), env=environment,
                                            stdout=journal, stderr=subprocess.STDOUT)
        wait_until(self.healthy, "the unit's gunicorn to answer /healthz", timeout=90)

    def healthy(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited:\n{self.log.read_text()[-3000:]}"
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def reload(self) -> None:
        """ExecReload: `/bin/kill -s HUP $MAINPID`."""
        subprocess.run(["/bin/kill", "-s", "HUP", str(self.process.pid)], check=True)

    def journal(self) -> list[dict]:
        return json_lines(self.log.read_text(encoding="utf-8"))

    def post_webhook(self, secret: str, number: str) -> int:
        body = json.dumps(text_message_envelope(number, "hi")).encode()
        headers = {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, secret)}
        return httpx.post(f"{self.url}/webhook", content=body, headers=headers, timeout=10).status_code

    def metrics(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text) for sample in family.samples}


@pytest.fixture
def install(tmp_path, fake_graph):
    """Section 3 on a scratch host: code, settings file, secrets, schema, the `.env` symlink, /run's directory."""
    code = install_copy(tmp_path / "opt" / "whatsapp-platform")
    etc = tmp_path / "etc" / "whatsapp-platform"
    (etc / "secrets").mkdir(parents=True)
    run = tmp_path / "run" / "whatsapp-platform"
    run.mkdir(parents=True)  # systemd-tmpfiles / RuntimeDirectory=
    database_url = f"sqlite:///{tmp_path / 'whatsapp.db'}"
    port = free_port()
    installed = Install(tmp_path, code, etc, run, database_url, port)
    for name, value in {"database_url": database_url, "flask_secret_key": "flask-secret-key-" + "k" * 32,
                        "admin_api_token": "admin-api-token-" + "a" * 32, "whatsapp_verify_token": "verify-" + "v" * 32,
                        "whatsapp_app_secret": FIRST_SECRET, "whatsapp_api_token": GRAPH_TOKEN}.items():
        installed.write_secret(name, value)
    settings = installed.paths(ENV_EXAMPLE.read_text())
    settings = settings.replace("WHATSAPP_PHONE_NUMBER_ID=\n", f"WHATSAPP_PHONE_NUMBER_ID={PHONE_NUMBER_ID}\n")
    settings = settings.replace("GUNICORN_BIND=127.0.0.1:8000", f"GUNICORN_BIND=127.0.0.1:{port}")
    settings = settings.replace("WEB_CONCURRENCY=4", "WEB_CONCURRENCY=2")
    settings += f"WHATSAPP_API_BASE_URL={fake_graph.url}\nTRUSTED_PROXY_HOPS=0\n"  # no nginx in front here
    (etc / "whatsapp-platform.env").write_text(settings)
    (code / ".env").symlink_to(etc / "whatsapp-platform.env")
    run_migrations(database_url)
    yield installed
    if installed.process is not None and installed.process.poll() is None:
        installed.process.terminate()
        installed.process.wait(timeout=30)


def fake_metric_file(directory: Path, pid: int, value: float) -> None:
    """A counter file as prometheus-client writes it for process `pid`: claimed_messages = `value`."""
    metric = MmapedDict(str(directory / f"counter_{pid}.db"))
    metric.write_value(mmap_key("whatsapp_processor_claimed_messages", "whatsapp_processor_claimed_messages_total",
                                [], [], "Queue rows claimed by the processor."), value, 0.0)
    metric.close()


def exited_process_id() -> int:
    """The id of a process that has exited (and been reaped)."""
    process = subprocess.Popen(["true"])
    process.wait()
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)
    return process.pid


def test_cron_runs_and_live_processes_are_counted_in_metrics_and_a_restart_deletes_none_of_them(install):
    claimed = ("whatsapp_processor_claimed_messages_total", ())
    # Files left by processes: one still running (this test process), one long gone.
    exited = exited_process_id()
    fake_metric_file(install.run, os.getpid(), 5)
    fake_metric_file(install.run, exited, 7)
    install.start()
    assert (install.run / f"counter_{os.getpid()}.db").exists()  # a running process's file stays
    assert not (install.run / f"counter_{exited}.db").exists()  # an exited one's is folded into the archive
    assert install.metrics()[claimed] == 12

    engine = create_engine_for(install.database_url)
    factory = create_session_factory(engine)
    with factory() as session:
        for index in range(3):
            contact = Contact(wa_id=f"98912555000{index}", attributes={})
            session.add(contact)
            session.flush()
            Scheduler(session).add(contact.id, body="hello", kind="reply", scheduled_at=utcnow() - timedelta(seconds=1))
        session.commit()
    engine.dispose()
    # The crontab line, as cron runs it: /bin/sh, cron's PATH, nothing else in the environment.
    log_directory = install.root / "var" / "log" / "whatsapp-platform"
    log_directory.mkdir(parents=True)
    command = CRON_LINE.split(" ", 5)[5].replace(INSTALL_DIR, str(install.code)).replace(
        "/var/log/whatsapp-platform", str(log_directory))
    for _ in range(2):  # the second run finds nothing due
        finished = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={install.root}", "/bin/sh", "-c",
                                   command], capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, (log_directory / "processor.log").read_text()[-3000:]
    json_lines((log_directory / "processor.log").read_text())  # one JSON object per line
    values = install.metrics()
    assert values[claimed] == 12 + 3
    assert values[("whatsapp_processor_runs_total", (("result", "done"),))] == 1
    assert values[("whatsapp_processor_runs_total", (("result", "idle"),))] == 1
    assert values[("whatsapp_messages_sent_total", (("error_code", "none"), ("status", "sent")))] == 3
    # The flask CLI (README: from .venv/bin, in the code directory) loads the same .env first: its run counts too.
    finished = subprocess.run(["env", "-i", "PATH=/usr/bin:/bin", f"HOME={install.root}", "/bin/sh", "-c",
                               f"cd {install.code} && .venv/bin/flask --app webhook_handler broadcast process"],
                              capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr[-3000:]
    assert install.metrics()[("whatsapp_processor_runs_total", (("result", "idle"),))] == 2

    # A restart of gunicorn (systemctl restart) keeps every count.
    install.process.terminate()
    install.process.wait(timeout=30)
    install.start()
    assert install.metrics()[claimed] == 15
    assert len(list(install.run.glob("counter_*.db"))) <= 2 + 2 + 1  # archive, this process, two workers: no pile


def test_a_reload_with_a_broken_secret_keeps_the_old_workers_and_a_good_one_applies_new_code(install):
    install.start()
    assert install.post_webhook(FIRST_SECRET, "989125550001") == 200

    install.write_secret("whatsapp_app_secret", "")  # a rotation gone wrong: an empty value pasted
    install.reload()
    wait_until(lambda: any(line.get("event") == "server.reload_refused" for line in install.journal()),
               "the reload to be refused in the log", timeout=60)
    [refused] = [line for line in install.journal() if line.get("event") == "server.reload_refused"]
    assert refused["level"] == "ERROR" and "WHATSAPP_APP_SECRET" in refused["message"]
    assert httpx.get(f"{install.url}/healthz", timeout=5).status_code == 200
    assert install.post_webhook(FIRST_SECRET, "989125550002") == 200  # the old workers still serve

    # A release that changes two modules at once, and the secret written correctly this time.
    config_module = install.code / "config.py"
    config_module.write_text(config_module.read_text() + '\nRELEASE = "next"\n')
    handler = install.code / "webhook_handler.py"
    source = handler.read_text()
    assert 'json.dumps({"status": "ok"})' in source
    handler.write_text(source.replace('json.dumps({"status": "ok"})',
                                      'json.dumps({"status": "ok", "release": __import__("config").RELEASE})'))
    install.write_secret("whatsapp_app_secret", SECOND_SECRET)
    install.reload()

    def new_release() -> bool:
        # New sync workers accept once they have imported the app: until then requests wait in the listen backlog.
        try:
            response = httpx.get(f"{install.url}/healthz", timeout=5)
        except httpx.TimeoutException:
            return False
        return response.status_code == 200 and response.json().get("release") == "next"

    wait_until(new_release, "the new workers to serve the new code with the new config", timeout=60)
    assert install.post_webhook(SECOND_SECRET, "989125550003") == 200
    assert install.post_webhook(FIRST_SECRET, "989125550004") == 403
    assert install.process.poll() is None
