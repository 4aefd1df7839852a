"""Running the platform the way the documentation tells operators to: its commands, an installation, a clean env.

The command lines here are the ones docs/operations.md, the README, the Makefile, the
systemd unit and docker-compose.yml give; tests/system/test_operations_guide.py checks that those
files still say exactly this, so a test that starts a process with these lines runs what
users run. Console scripts are the ones installed next to the interpreter running the tests
(`.venv/bin/celery`, `.venv/bin/gunicorn`), never `python -m …`, which would hide a
`sys.path` difference (issue 11, item 9).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

from conftest import ROOT
from prometheus_client.multiprocess import MultiProcessCollector

VENV_BIN = Path(sys.executable).parent

# The documented command lines, without the path of the console script they start with.
GUNICORN_ARGS = ["-c", "gunicorn.conf.py", "webhook_handler:create_app()"]
CELERY_WORKER_ARGS = ["-A", "tasks", "worker", "--pool=solo", "--loglevel", "INFO"]
CELERY_BEAT_ARGS = ["-A", "tasks", "beat", "--loglevel", "INFO", "--schedule"]  # + the schedule file
CRON_LINE = ("* * * * * cd /opt/whatsapp-platform && .venv/bin/python run_broadcast_processor.py "
             ">> /var/log/whatsapp-platform/processor.log 2>&1")
# What cron gives a job (Debian's cron: SHELL=/bin/sh, PATH=/usr/bin:/bin, HOME and LOGNAME of the user).
CRON_PATH = "/usr/bin:/bin"
INSTALL_DIR = "/opt/whatsapp-platform"
# Never copied into an installation: what .dockerignore and .gitignore keep out, and the test's own state.
NOT_INSTALLED = (".venv", ".git", ".env", "instance", "secrets", "backups", "__pycache__", ".pytest_cache",
                 ".ruff_cache", "test-output")


def console_script(name: str) -> str:
    """The installed console script `name` (celery, gunicorn, alembic, flask) of this virtualenv."""
    path = VENV_BIN / name
    assert path.exists(), f"{path} is not installed"
    return str(path)


def install_copy(destination: Path) -> Path:
    """A copy of the code at `destination` with `.venv` linked to this virtualenv: an installation like /opt's."""
    shutil.copytree(ROOT, destination, ignore=shutil.ignore_patterns(*NOT_INSTALLED))
    (destination / ".venv").symlink_to(VENV_BIN.parent, target_is_directory=True)
    return destination


def write_env_file(path: Path, settings: dict[str, str]) -> Path:
    """A settings file as operators write it: NAME=value lines, values with spaces in double quotes."""
    lines = [f'{name}="{value}"' if (" " in value or ";" in value) else f"{name}={value}"
             for name, value in settings.items()]
    path.write_text("\n".join(["# written by a test"] + lines) + "\n", encoding="utf-8")
    return path


def read_env_file(path: Path) -> dict[str, str]:
    """The variables systemd's EnvironmentFile= reads from `path` (plain NAME=value lines, optional double quotes)."""
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        name, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        values[name.strip()] = value
    return values


def clean_environment(**values: str) -> dict[str, str]:
    """What `env -i` leaves plus what cron or systemd add: PATH (cron's), HOME, LANG, and `values`."""
    return {"PATH": CRON_PATH, "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8", **values}


def unit_directives(text: str) -> dict[str, str]:
    """The [Service] directives of a systemd unit (continuation lines joined; the last value of a name wins)."""
    directives: dict[str, str] = {}
    logical = text.replace("\\\n", " ")
    for line in logical.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            name, _, value = line.partition("=")
            directives[name.strip()] = " ".join(value.split())
    return directives


def exec_start_command(unit_text: str, replacements: dict[str, str]) -> list[str]:
    """The unit's ExecStart as an argument list, with deployment paths replaced (e.g. /opt/… → a temporary copy)."""
    line = unit_directives(unit_text)["ExecStart"]
    for old, new in replacements.items():
        line = line.replace(old, new)
    return shlex.split(line)


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line of `text` parsed as JSON; fails naming the first line that is not one JSON object."""
    parsed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            raise AssertionError(f"line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(value, dict), f"line {number} is not a JSON object: {line[:300]!r}"
        parsed.append(value)
    return parsed


def multiprocess_samples(directory: Path) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample, sorted labels): value} summed over every process's files in PROMETHEUS_MULTIPROC_DIR `directory`."""
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in MultiProcessCollector(None, path=str(directory)).collect() for sample in family.samples}
