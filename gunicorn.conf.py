"""gunicorn settings for `webhook_handler:create_app()`; every value can be overridden from the environment."""

import multiprocessing
import os
import sys

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
# The app logs JSON itself; gunicorn's access log would only repeat it in another shape.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
# Path without the query string (%(U)s, not %(r)s): Meta's verification request carries
# hub.verify_token there, and no referrer either.
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s "%(a)s" %(M)sms'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse to start with one clear line when a setting or the rules file is wrong."""
    from dotenv import load_dotenv

    from config import ConfigError, load_config
    from language.intent_rules import RulesError
    from language.rules_loader import load_rules

    load_dotenv()
    try:
        load_rules(load_config().chatbot_rules_path)
    except ConfigError as error:
        print(f"configuration error: {error}", file=sys.stderr)
        sys.exit(1)
    except RulesError as error:
        print(f"chatbot rules error: {error}", file=sys.stderr)
        sys.exit(1)
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:  # metric files of a previous run would be summed into this one's
        os.makedirs(directory, exist_ok=True)
        for name in os.listdir(directory):
            if name.endswith(".db"):
                os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    """Drop a dead worker's live gauges from the shared Prometheus files."""
    from runtime.metrics import mark_worker_dead

    mark_worker_dead(worker.pid)


def when_ready(server):
    """Say once, when the server accepts requests, where the app is and how to open the dashboard."""
    from config import ConfigError, load_config
    from runtime.startup_banner import startup_lines

    try:
        config = load_config()
    except ConfigError:  # on_starting has refused to start already
        return
    print("\n".join(startup_lines(server.LISTENERS, config)), file=sys.stderr, flush=True)
