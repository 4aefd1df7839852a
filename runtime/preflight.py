"""Would a gunicorn worker start? gunicorn.conf.py runs this in a child process before starting and before every reload.

It loads `.env`, reads the settings, loads the chatbot rules and builds the app exactly as a
worker does (`create_app()`), then closes it; nothing touches the database. On success it
exits 0 silently. Otherwise it prints one line on stderr saying why, and exits 2:

    configuration error: WHATSAPP_APP_SECRET is required when APP_ENV=production (set it or …)
    chatbot rules error: rules/chatbot_rules.yaml:239: pricing.responses must be a non-empty list
    orders rules error: rules/orders.yaml: needs_person: not in statuses: ['lost']
    the application cannot start: ImportError: cannot import name 'x' from 'config'

Running it in its own process keeps the application's modules out of gunicorn's master, so
the workers of a reload import the new code. It also tidies the Prometheus directory
(metrics.compact_dead_process_files) while no worker of this server runs yet.
"""

from __future__ import annotations

import os
import sys

EXIT_OK, EXIT_CANNOT_START = 0, 2


def check() -> str | None:
    """None when the app builds; otherwise the one-line reason."""
    from runtime.process_environment import load_environment

    load_environment()
    # This process must not leave metric files of its own behind: it is not a worker.
    metrics_directory = os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    try:
        from config import ConfigError
        from language.intent_rules import RulesError
        from orders.rules import OrderRulesError
        from webhook_handler import create_app
    except Exception as error:  # a release that does not import: say which module and name
        return f"the application cannot start: {type(error).__name__}: {error}"
    try:
        app = create_app()
    except ConfigError as error:
        return f"configuration error: {error}"
    except RulesError as error:
        return f"chatbot rules error: {error}"
    except OrderRulesError as error:
        return f"orders rules error: {error}"
    except Exception as error:
        return f"the application cannot start: {type(error).__name__}: {error}"
    app.extensions["whatsapp_platform"].close()
    if metrics_directory:
        from runtime.metrics import compact_dead_process_files

        compact_dead_process_files(metrics_directory)
    return None


def main() -> int:
    """Print the reason on stderr and exit 2 when the app cannot start."""
    problem = check()
    if problem:
        print(problem.replace("\n", " "), file=sys.stderr)
        return EXIT_CANNOT_START
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
