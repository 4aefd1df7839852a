"""The lines gunicorn's `when_ready` hook prints once: where the app listens and how to open the dashboard.

A fresh `make run` must tell a new user the webhook and dashboard URLs and how to log in: people
log in with an operator account, so while the database holds none the lines give the command
that creates the first admin. Built from the listeners gunicorn actually bound (so a port 0 or a
`GUNICORN_BIND` from `.env` shows the real address), the loaded settings and a count of the
operators (skipped when the database cannot be read). The admin API's token is printed only
when it is the development stand-in; a token the operator chose is never shown.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from config import DEVELOPMENT_DEFAULTS, Config

# Run from the project folder: the virtualenv's flask, as `make run` and the production install lay it out.
FIRST_ADMIN_COMMAND = ".venv/bin/flask --app webhook_handler users create admin --role admin"

# A wildcard bind accepts connections on every address, but a browser cannot open it: show loopback.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}


def browsable(listener: str) -> str:
    """A URL a browser on this machine can open for one gunicorn listener ('http://0.0.0.0:8000' -> 127.0.0.1)."""
    match = re.fullmatch(r"(https?)://(\[[^\]]*\]|[^:/]+):(\d+)", listener)
    if not match:
        return listener  # e.g. unix:/run/app.sock, reached through a proxy
    scheme, host, port = match.groups()
    return f"{scheme}://{_WILDCARDS.get(host, host)}:{port}"


def startup_lines(listeners: Iterable[str], config: Config, operators: int | None = None) -> list[str]:
    """What to print when the server is ready to accept requests (`operators`: how many exist, None: unknown)."""
    bases = [browsable(str(listener)) for listener in listeners]
    lines = ["WhatsApp platform ready:"]
    for base in bases:
        if base.startswith("unix:"):
            lines.append(f"  listening on {base} (reach it through your proxy)")
            continue
        lines.append(f"  webhook:   {base}/webhook")
        lines.append(f"  dashboard: {base}/dashboard")
    if operators == 0:
        lines.append("  nobody can log in yet: create the first admin (it asks for a password) with")
        lines.append(f"    {FIRST_ADMIN_COMMAND}")
    else:
        lines.append("  log in with your operator account (users create NAME --role admin|agent adds one)")
    token = config.admin_api_token
    if not token:
        lines.append("  the admin API is switched off: set ADMIN_API_TOKEN to open it")
    elif "ADMIN_API_TOKEN" in config.used_development_defaults and token == DEVELOPMENT_DEFAULTS["ADMIN_API_TOKEN"]:
        lines.append(f"  admin API (machines): the development token {token}")
        lines.append("  (set ADMIN_API_TOKEN to choose your own; production requires one)")
    else:
        lines.append("  admin API (machines): your ADMIN_API_TOKEN")
    return lines


def operator_count(config: Config) -> int | None:
    """How many operator accounts the database holds; None when it cannot be read (not migrated, unreachable)."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import SQLAlchemyError

    from database_models import Operator
    from database_setup import create_engine_for

    try:
        engine = create_engine_for(config.database_url)
    except (SQLAlchemyError, ValueError):
        return None
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(Operator))
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def main(listeners: list[str]) -> int:
    """Print the start-up lines for `listeners` (one JSON line in production); gunicorn's when_ready runs this."""
    from runtime.process_environment import load_environment

    load_environment()
    from config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError:  # the preflight check has refused to start already, with the reason
        return 0
    lines = startup_lines(listeners, config, operator_count(config))
    if config.is_production:  # production logs are read by machines: one JSON line, like every other line
        import logging

        from runtime.app_logging import configure_logging

        configure_logging(config.log_level)
        logging.getLogger(__name__).info("%s", "; ".join(line.strip() for line in lines),
                                         extra={"event": "server.ready", "listeners": listeners})
    else:
        print("\n".join(lines), flush=True)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
