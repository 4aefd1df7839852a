"""gunicorn settings for `webhook_handler:create_app()`; every value can be overridden from the environment.

`.env` beside this file is loaded first (process_environment), so GUNICORN_BIND,
WEB_CONCURRENCY, PROMETHEUS_MULTIPROC_DIR… written there take effect; the real environment
(systemd's EnvironmentFile=, compose, the shell) wins over it.

The master process imports none of the application's modules: a worker forked after a
reload (SIGHUP, `systemctl reload`) imports every module from disk, so it runs the new
code with the new settings, never a mix. Before the first start and before every reload,
`runtime/preflight.py` builds the app once in a child process: if it cannot start (a missing or
empty secret, a malformed rules file, a release that does not import), the start stops
with one JSON line, and a reload is refused with one JSON line while the old workers
keep serving.

Every line gunicorn writes (its error log, and the access log when GUNICORN_ACCESS_LOG is
set) is one JSON object in the app's format (app_logging.JsonFormatter).
"""

import importlib.util
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from gunicorn.glogging import Logger as _GunicornLogger

BASE_DIR = Path(__file__).resolve().parent


def _leaf_module(file_name):
    """One of our leaf modules, loaded under a private name so that workers import the current file themselves."""
    spec = importlib.util.spec_from_file_location(f"_gunicorn_master_{Path(file_name).stem}", BASE_DIR / file_name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_environment = _leaf_module("runtime/process_environment.py")
_environment.load_environment()
_app_logging = _leaf_module("runtime/app_logging.py")

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * multiprocessing.cpu_count() + 1, 8)))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# Meta gives up on a webhook after about 20 s; a request must never outlive that.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "20"))
graceful_timeout = 20
keepalive = 5
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = 100
# gunicornc's socket: one per installation, never the per-user default (~/.gunicorn/gunicorn.ctl)
# that every gunicorn of the same user would share. The systemd unit passes its own path.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(BASE_DIR / "instance" / "gunicorn.ctl")
# The app logs JSON itself; gunicorn's access log would only repeat it in another shape.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
PREFLIGHT_TIMEOUT_SECONDS = 120


class JsonLogger(_GunicornLogger):
    """gunicorn's error and access logs as JSON lines in the app's format."""

    def setup(self, cfg):
        super().setup(cfg)
        formatter = _app_logging.JsonFormatter()
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter)

    def access(self, resp, req, environ, request_time):
        """One JSON line per request; the path without its query (Meta's handshake carries the verify token there)."""
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info("request", extra={
            "event": "http.access", "remote_addr": atoms.get("h"), "method": atoms.get("m"),
            "path": atoms.get("U"), "status": atoms.get("s"), "response_bytes": atoms.get("B"),
            "duration_ms": round(request_time.total_seconds() * 1000, 2),
            "request_id": environ.get("HTTP_X_REQUEST_ID"), "user_agent": atoms.get("a"),
        })


logger_class = JsonLogger


def preflight_problem():
    """None when the app builds with the current code, settings and rules; otherwise why not, in one line."""
    try:
        finished = subprocess.run([sys.executable, "-m", "runtime.preflight"], cwd=BASE_DIR,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                  timeout=PREFLIGHT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        return f"the application did not finish loading within {PREFLIGHT_TIMEOUT_SECONDS} s"
    if finished.returncode == 0:
        return None
    lines = [line for line in finished.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else f"the application check exited with {finished.returncode}"


def on_starting(server):
    """Refuse to start with one clear line when the app cannot start; from then on, refuse reloads the same way."""
    _environment.ensure_metrics_directory()  # every worker writes its metric files there from its first import
    problem = preflight_problem()
    if problem:
        server.log.error(problem, extra={"event": "server.refused"})
        sys.exit(1)
    start_reload = server.reload

    def reload_when_ready():
        problem = preflight_problem()
        if problem:
            server.log.error("reload refused, the running workers keep serving the previous code and settings: %s",
                             problem, extra={"event": "server.reload_refused"})
            return
        start_reload()

    server.reload = reload_when_ready


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared Prometheus files (prometheus-client's mark_process_dead)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for path in Path(directory).glob(f"gauge_live*_{worker.pid}.db"):
            path.unlink(missing_ok=True)


def when_ready(server):
    """Say once, when the server accepts requests, where the app is and how to open the dashboard.

    The lines come from a child process (runtime/startup_banner.py), like the preflight check, so the
    master still imports none of the app's modules.
    """
    listeners = [str(listener) for listener in server.LISTENERS]
    try:
        subprocess.run([sys.executable, "-m", "runtime.startup_banner", *listeners], cwd=BASE_DIR,
                       stdout=sys.stderr, timeout=PREFLIGHT_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:  # the banner is a courtesy: never stop a start for it
        server.log.warning("start-up lines not printed: %s", error, extra={"event": "server.banner_failed"})
