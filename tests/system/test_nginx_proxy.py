"""nginx in front of gunicorn with the very deploy/nginx.conf operators install, and the app's side of it.

The stack (module-scoped, once per database backend): a throwaway self-signed certificate
made with the openssl CLI, gunicorn serving create_app() with TRUSTED_PROXY_HOPS=1, and
nginx run as a foreground process in a temporary prefix with a minimal main configuration
that includes the site file rendered by `render_site()` (only `# deploy-value:` lines change).
Clients connect from 127.0.0.2, so the address the app logs can only be the client's.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import APP_SECRET, GUNICORN_COMMAND, ROOT, VERIFY_TOKEN, clean_tables, free_port
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from database_models import MessageStatusEvent, ReceivedMessageLog
from inbound.sample_payloads import new_wamid, status_envelope, status_item, text_message_envelope
from inbound.signatures import sign_payload
from webhook_handler import create_app

SITE_FILE = ROOT / "deploy" / "nginx.conf"
CLIENT_ADDRESS = "127.0.0.2"  # any 127/8 address reaches loopback; nginx and gunicorn see different peers
ADMIN_CLIENT_ADDRESS = "127.0.0.3"  # its own rate-limit bucket
WEBHOOK_LIMIT = 3 * 1024 * 1024  # MAX_WEBHOOK_BYTES and client_max_body_size 3m
MARKED_LINE = re.compile(r"^(?P<head>\s*\S+\s+)(?P<value>[^;]*)(?P<tail>;\s*#\s*deploy-value:\s*(?P<name>\w+).*)$")
# Production uses Debian's /etc/nginx/nginx.conf; this is the least a site file needs around it.
MAIN_CONF = """\
{user}
worker_processes 1;
events {{ worker_connections 512; }}
http {{
    default_type application/octet-stream;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    include site.conf;
}}
"""


def render_site(text: str, values: dict[str, str | None]) -> str:
    """The site file with each `# deploy-value: NAME` line's value replaced (None: the line is dropped)."""
    used: set[str] = set()
    lines = []
    for line in text.splitlines():
        match = MARKED_LINE.match(line)
        if match and match["name"] in values:
            used.add(match["name"])
            value = values[match["name"]]
            if value is None:
                continue
            line = f"{match['head']}{value}{match['tail']}"
        lines.append(line)
    if set(values) - used:
        raise ValueError(f"no `# deploy-value:` line for {sorted(set(values) - used)}")
    return "\n".join(lines) + "\n"


def required_tool(name: str) -> str:
    """The path of a CLI tool; skipped visibly when missing, a failure under CI=true."""
    path = shutil.which(name) or next((p for p in (f"/usr/sbin/{name}", f"/usr/bin/{name}") if os.path.exists(p)), None)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it: apt-get install {name})"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path



def wait_until(condition: Callable[[], Any], what: str, seconds: float = 30.0) -> Any:
    """Poll `condition` until it returns something truthy; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            result = condition()
        except (httpx.HTTPError, OSError):
            result = None
        if result:
            return result
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def json_lines(path: Path) -> list[dict[str, Any]]:
    """The JSON objects among the lines of a log file."""
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return entries


class Stack:
    """The running nginx + gunicorn pair and where their files are."""

    def __init__(self, directory: Path, database_url: str) -> None:
        self.directory = directory
        self.database_url = database_url
        self.app_port, self.http_port, self.https_port = free_port(), free_port(), free_port()
        self.certificate = directory / "cert.pem"
        self.access_log = directory / "logs" / "access.log"
        self.error_log = directory / "logs" / "error.log"
        self.app_log = directory / "logs" / "app.log"
        self.acme_root = directory / "acme"
        self.processes: list[subprocess.Popen] = []

    @property
    def https(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    def client(self, source: str = CLIENT_ADDRESS, **options: Any) -> httpx.Client:
        """An HTTPS client verifying the test certificate, connecting from `source`."""
        context = ssl.create_default_context(cafile=str(self.certificate))
        transport = httpx.HTTPTransport(verify=context, local_address=source)
        return httpx.Client(base_url=self.https, transport=transport, timeout=15, **options)

    def stored(self, model: type, wamids: list[str]) -> set[str]:
        """Which of `wamids` are in `model`'s table."""
        engine = create_engine(self.database_url)
        try:
            with Session(engine) as session:
                return set(session.scalars(select(model.wamid).where(model.wamid.in_(wamids))))
        finally:
            engine.dispose()

    def app_request_lines(self) -> list[dict[str, Any]]:
        """The app's `http.request` log lines."""
        return [e for e in json_lines(self.app_log) if e.get("event") == "http.request"]


def start_stack(directory: Path, database_url: str) -> Stack:
    """Certificate, site file, gunicorn and nginx; the caller stops the processes."""
    nginx, openssl = required_tool("nginx"), required_tool("openssl")
    stack = Stack(directory, database_url)
    (directory / "logs").mkdir()
    (directory / "temp").mkdir()
    challenge = stack.acme_root / ".well-known" / "acme-challenge"
    challenge.mkdir(parents=True)
    (challenge / "token-123").write_text("token-123.account-thumbprint")
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(directory / "key.pem"),
            "-out",
            str(stack.certificate),
        ],
        check=True,
        capture_output=True,
    )
    site = render_site(
        SITE_FILE.read_text(),
        {
            "upstream": f"127.0.0.1:{stack.app_port}",
            "http_listen": f"127.0.0.1:{stack.http_port}",
            "http_listen_ipv6": None,
            "https_listen": f"127.0.0.1:{stack.https_port} ssl",
            "https_listen_ipv6": None,
            "server_name": "localhost",
            "access_log": f"{stack.access_log} whatsapp_json",
            "error_log": f"{stack.error_log} warn",
            "acme_root": str(stack.acme_root),
            "https_redirect": f"301 https://$host:{stack.https_port}$request_uri",
            "certificate": str(stack.certificate),
            "certificate_key": str(directory / "key.pem"),
        },
    )
    (directory / "site.conf").write_text(site)
    # As root, nginx's workers would switch to `nobody`, who cannot read pytest's 0700 temp dirs.
    user = "user root;" if os.geteuid() == 0 else ""
    (directory / "nginx-main.conf").write_text(MAIN_CONF.format(user=user))
    nginx_command = [
        nginx,
        "-p",
        f"{directory}/",
        "-c",
        str(directory / "nginx-main.conf"),
        "-g",
        f"daemon off; pid {directory}/nginx.pid; error_log {directory}/logs/nginx-main.log;",
    ]
    check = subprocess.run([*nginx_command, "-t"], capture_output=True, text=True)
    assert check.returncode == 0, f"nginx -t refused the site file:\n{check.stderr}"

    environment = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHATSAPP_", "SQLALCHEMY_", "ADMIN_", "FLASK_", "TRUSTED_", "GUNICORN_"))
    }
    environment.update(
        APP_ENV="production",
        WHATSAPP_APP_SECRET=APP_SECRET,
        WHATSAPP_VERIFY_TOKEN=VERIFY_TOKEN,
        FLASK_SECRET_KEY="nginx-test-secret-key-0123456789abcdef",
        SQLALCHEMY_DATABASE_URL=database_url,
        TRUSTED_PROXY_HOPS="1",
        GUNICORN_BIND=f"127.0.0.1:{stack.app_port}",
        WEB_CONCURRENCY="2",
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    with open(stack.app_log, "wb") as app_output:
        stack.processes.append(
            subprocess.Popen(
                GUNICORN_COMMAND,
                cwd=ROOT,
                env=environment,
                stdout=app_output,
                stderr=subprocess.STDOUT,
            )
        )
    stack.processes.append(subprocess.Popen(nginx_command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT))
    try:
        wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{stack.app_port}/healthz", timeout=2).status_code == 200,
            "gunicorn to answer /healthz",
        )
        with stack.client() as client:
            wait_until(lambda: client.get("/healthz").status_code == 200, "nginx to proxy /healthz over HTTPS")
    except BaseException:
        stop_stack(stack)
        raise
    return stack


def stop_stack(stack: Stack) -> None:
    """Stop nginx and gunicorn (SIGTERM, then SIGKILL after 20 s)."""
    for process in reversed(stack.processes):
        process.terminate()
    for process in stack.processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def stack(database_url: str, engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """nginx (TLS) → gunicorn → the test database, for this module's tests."""
    running = start_stack(tmp_path_factory.mktemp("nginx"), database_url)
    yield running
    stop_stack(running)
    clean_tables(engine)


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": sign_payload(body, APP_SECRET)}


def padded_envelope(size: int) -> tuple[str, bytes]:
    """A signed-able text envelope of exactly `size` bytes (JSON allows trailing whitespace)."""
    wamid = new_wamid()
    body = json.dumps(text_message_envelope("989120000100", "hello", wamid=wamid)).encode()
    return wamid, body + b" " * (size - len(body))


# --- through nginx -------------------------------------------------------------------------


def test_signed_webhooks_over_https_are_stored(stack):
    wamids = []
    with stack.client() as client:
        for number in range(3):
            wamid = new_wamid()
            body = json.dumps(text_message_envelope(f"98912000020{number}", "سلام", wamid=wamid)).encode()
            response = client.post("/webhook", content=body, headers=signed(body))
            assert (response.status_code, response.text) == (200, "OK")
            assert response.headers["Strict-Transport-Security"] == "max-age=63072000"
            wamids.append(wamid)
    assert stack.stored(ReceivedMessageLog, wamids) == set(wamids)


def test_body_limit_matches_the_app_and_oversized_bodies_stop_at_nginx(stack):
    fitting_wamid, fitting = padded_envelope(WEBHOOK_LIMIT)
    oversized_wamid, oversized = padded_envelope(WEBHOOK_LIMIT + 1)
    with stack.client() as client:
        assert client.post("/webhook", content=fitting, headers=signed(fitting)).status_code == 200
        refused = client.post("/webhook", content=oversized, headers=signed(oversized))
    assert refused.status_code == 413
    assert refused.headers["Content-Type"].startswith("text/html")  # nginx's page; the app answers JSON
    assert stack.stored(ReceivedMessageLog, [fitting_wamid, oversized_wamid]) == {fitting_wamid}
    assert [line for line in stack.app_request_lines() if line["status"] == 413] == []  # never reached gunicorn


def test_the_app_sees_the_client_address_and_https_whatever_the_client_claims(stack):
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    spoofed = {
        "X-Hub-Signature-256": "sha256=" + "0" * 64,
        "X-Forwarded-For": "203.0.113.9",
        "X-Forwarded-Proto": "http",
        "X-Forwarded-Host": "evil.example",
        "X-Request-ID": "chosen-by-client",
    }
    with stack.client() as client:
        response = client.post("/webhook", content=body, headers=spoofed)
    assert response.status_code == 403 and response.json() == {"error": "invalid signature"}
    request_id = response.headers["X-Request-ID"]
    assert request_id and request_id != "chosen-by-client"  # nginx's $request_id, shared with its access log

    app_line = wait_until(
        lambda: next((e for e in stack.app_request_lines() if e["request_id"] == request_id), None),
        "the app's request log line",
    )
    assert (app_line["remote_addr"], app_line["scheme"], app_line["status"]) == (CLIENT_ADDRESS, "https", 403)
    access_line = wait_until(
        lambda: next((e for e in json_lines(stack.access_log) if e["request_id"] == request_id), None),
        "nginx's access log line",
    )
    assert access_line["remote_addr"] == CLIENT_ADDRESS
    assert (access_line["method"], access_line["path"], access_line["status"]) == ("POST", "/webhook", 403)
    assert access_line["upstream_status"] == "403" and access_line["tls"] in ("TLSv1.2", "TLSv1.3")


def test_metrics_is_not_reachable_through_nginx(stack):
    with stack.client() as client:
        for path in (b"/metrics", b"/metrics/", b"/metrics?format=text", b"//metrics", b"/%6Detrics", b"/./metrics"):
            request = client.build_request("GET", "/")
            request.url = request.url.copy_with(raw_path=path)  # sent exactly as written, not normalised by httpx
            response = client.send(request)
            assert response.status_code == 403, path
            assert "whatsapp_" not in response.text


def test_plain_http_redirects_to_https_except_the_acme_challenge(stack):
    plain = f"http://127.0.0.1:{stack.http_port}"
    with httpx.Client(base_url=plain, timeout=10) as client:
        for method in ("GET", "POST"):
            response = client.request(method, "/webhook?hub.mode=subscribe")
            assert response.status_code == 301
            assert response.headers["Location"] == f"{stack.https}/webhook?hub.mode=subscribe"
        challenge = client.get("/.well-known/acme-challenge/token-123")
        assert (challenge.status_code, challenge.text) == (200, "token-123.account-thumbprint")
        assert client.get("/.well-known/acme-challenge/missing").status_code == 404


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_is_1_2_or_newer(stack):
    def handshake(context: ssl.SSLContext) -> tuple[str | None, str | None]:
        with socket.create_connection(("127.0.0.1", stack.https_port), timeout=10) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as tls:
                return tls.version(), tls.cipher()[0]

    modern = ssl.create_default_context(cafile=str(stack.certificate))
    assert handshake(modern)[0] == "TLSv1.3"
    tls12 = ssl.create_default_context(cafile=str(stack.certificate))
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    version, cipher = handshake(tls12)
    assert version == "TLSv1.2" and cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher)
    legacy = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    legacy.check_hostname, legacy.verify_mode = False, ssl.CERT_NONE
    legacy.set_ciphers("ALL:@SECLEVEL=0")  # this client would accept TLS 1.0/1.1: only the server can refuse
    legacy.minimum_version, legacy.maximum_version = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        handshake(legacy)


def test_verification_handshake_keeps_the_verify_token_out_of_every_log(stack):
    with stack.client() as client:
        query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
        response = client.get("/webhook", params=query)
        assert (response.status_code, response.text) == (200, "1158201444")
        assert client.get("/webhook", params=query | {"hub.verify_token": "wrong"}).status_code == 403
    wait_until(
        lambda: sum('"path":"/webhook"' in line for line in stack.access_log.read_text().splitlines()) >= 2,
        "the handshake in nginx's access log",
    )
    for log in (stack.access_log, stack.error_log, stack.app_log):
        if log.exists():
            assert VERIFY_TOKEN not in log.read_text(errors="replace"), log.name
    assert all(entry["path"] == entry["path"].split("?")[0] for entry in json_lines(stack.access_log))


def test_webhook_bursts_pass_while_admin_paths_are_rate_limited(stack):
    wamids = [new_wamid() for _ in range(120)]
    with stack.client() as client:
        for wamid in wamids:
            body = json.dumps(status_envelope(status_item(wamid, "delivered", "989120000300"))).encode()
            assert client.post("/webhook", content=body, headers=signed(body)).status_code == 200
    assert stack.stored(MessageStatusEvent, wamids) == set(wamids)

    with stack.client(source=ADMIN_CLIENT_ADDRESS) as client:
        codes = [client.get("/api/contacts" if n % 2 else "/dashboard").status_code for n in range(80)]
    assert 429 not in codes[:20]  # the burst allowance: a page with its requests always loads
    assert 429 in codes  # 80 requests at 5 r/s would need 12 s to pass unrefused


# --- the app's side: TRUSTED_PROXY_HOPS ---------------------------------------------------


def _logged_request(test_config, monkeypatch, caplog, hops: str | None, headers: dict[str, str]) -> dict[str, Any]:
    caplog.set_level("INFO", logger="webhook_handler")
    app = create_app(test_config.replace(trusted_proxy_hops=int(hops or 0)))
    try:
        response = app.test_client().post(
            "/webhook",
            data=b"{}",
            environ_base={"REMOTE_ADDR": "10.0.0.7"},
            headers={"X-Hub-Signature-256": "sha256=00", **headers},
        )
    finally:
        app.extensions["whatsapp_platform"].close()
    assert response.status_code == 403
    [record] = [r for r in caplog.records if getattr(r, "event", None) == "http.request"]
    return {"remote_addr": record.remote_addr, "scheme": record.scheme}


def test_without_trusted_proxies_forwarded_headers_are_ignored(test_config, monkeypatch, caplog):
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _logged_request(test_config, monkeypatch, caplog, None, forwarded) == {
        "remote_addr": "10.0.0.7",
        "scheme": "http",
    }


def test_one_trusted_hop_takes_only_the_last_forwarded_entry(test_config, monkeypatch, caplog):
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.9", "X-Forwarded-Proto": "http, https"}
    assert _logged_request(test_config, monkeypatch, caplog, "1", forwarded) == {
        "remote_addr": "203.0.113.9",
        "scheme": "https",
    }
