"""The guide says what the tests run: command lines, unit files, compose and image files agree with each other.

The process tests (test_celery_workers, test_gunicorn_end_to_end, test_production_install)
start processes with the command lines of tests/support/deployment.py; these checks keep
docs/operations.md, the README, the Makefile, deploy/ and docker-compose.yml saying exactly
those lines. What cannot run here (Docker, systemd itself) is checked by reading the files.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import time
from pathlib import Path

import yaml
from conftest import GUNICORN_COMMAND, ROOT
from deployment import (
    CELERY_BEAT_ARGS,
    CELERY_WORKER_ARGS,
    CRON_LINE,
    GUNICORN_ARGS,
    INSTALL_DIR,
    VENV_BIN,
    unit_directives,
)

GUIDE = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
UNITS = {name: (ROOT / "deploy" / f"{name}.service").read_text(encoding="utf-8")
         for name in ("whatsapp-platform", "whatsapp-celery-worker", "whatsapp-celery-beat")}
JQ_ERRORS = """jq -c 'select(.level == "ERROR")'"""


def exec_start(unit: str) -> list[str]:
    return shlex.split(unit_directives(UNITS[unit])["ExecStart"])


def test_the_celery_units_and_the_guide_run_the_tested_command_lines():
    celery = f"{INSTALL_DIR}/.venv/bin/celery"
    worker = exec_start("whatsapp-celery-worker")
    beat = exec_start("whatsapp-celery-beat")
    assert worker == [celery, *CELERY_WORKER_ARGS]
    assert beat[:-1] == [celery, *CELERY_BEAT_ARGS] and beat[-1].startswith("/run/whatsapp-platform/")
    assert f"ExecStart={shlex.join(worker)}" in GUIDE
    assert f"ExecStart={shlex.join(beat)}" in GUIDE
    assert "python -m celery " not in GUIDE + README  # only ever named as what not to run
    for unit in ("whatsapp-celery-worker", "whatsapp-celery-beat"):
        directives = unit_directives(UNITS[unit])
        assert directives["WorkingDirectory"] == INSTALL_DIR  # the console script finds `tasks` there
        assert directives["EnvironmentFile"] == unit_directives(UNITS["whatsapp-platform"])["EnvironmentFile"]


def test_gunicorn_runs_with_the_same_arguments_everywhere():
    assert GUNICORN_COMMAND == [str(VENV_BIN / "gunicorn"), *GUNICORN_ARGS]  # the tests' command
    unit = exec_start("whatsapp-platform")
    assert unit[0] == f"{INSTALL_DIR}/.venv/bin/gunicorn"
    control_socket = ("--control-socket", "/run/whatsapp-platform/gunicorn.ctl")
    assert [argument for argument in unit[1:] if argument not in control_socket] == GUNICORN_ARGS
    assert "ExecStartPre" not in unit_directives(UNITS["whatsapp-platform"])  # nothing empties the metrics files
    makefile = (ROOT / "Makefile").read_text()
    run_recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    [gunicorn_line] = [line for line in run_recipe.splitlines() if "gunicorn" in line]
    assert shlex.split(gunicorn_line.strip()) == ["$(BIN)/gunicorn", *GUNICORN_ARGS]
    boot = (ROOT / "deploy" / "boot.sh").read_text().strip().splitlines()
    assert shlex.split(boot[-1]) == ["exec", "gunicorn", *GUNICORN_ARGS]


def test_the_cron_line_is_the_one_the_install_test_runs():
    assert CRON_LINE in GUIDE
    assert CRON_LINE.split(" ", 5)[5] in README


def test_the_guides_jq_filter_is_the_one_the_log_test_applies():
    assert f"journalctl -u whatsapp-platform -o cat \\| {JQ_ERRORS}" in GUIDE
    assert f"{JQ_ERRORS} /var/log/whatsapp-platform/processor.log" in GUIDE


def test_compose_runs_the_documented_commands_and_keeps_the_published_port_alive():
    services = COMPOSE["services"]
    assert services["worker"]["command"] == ["celery", *CELERY_WORKER_ARGS]
    assert services["beat"]["command"][:len(CELERY_BEAT_ARGS) + 1] == ["celery", *CELERY_BEAT_ARGS]
    app = services["app"]
    # `environment` wins over `env_file` (Docker's documented precedence): a .env copied from .env.example
    # (GUNICORN_BIND=127.0.0.1:8000) cannot make gunicorn unreachable through the published port.
    assert app["environment"]["GUNICORN_BIND"] == "0.0.0.0:8000"
    assert any(port.endswith(":8000") for port in app["ports"])
    for name in ("app", "cron", "worker"):
        directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert directory in services[name]["tmpfs"]


def test_a_rotation_recreates_every_container_that_mounts_secrets():
    services = COMPOSE["services"]
    holders = {name for name, service in services.items()
               if "secrets" in service or any(key.endswith("_FILE") for key in service.get("environment", {}))}
    holders.discard("db")  # the database's own password is not rotated this way
    recreated = set()
    for command in re.findall(r"`(docker compose [^`]*--force-recreate[^`]*)`", GUIDE):
        recreated |= set(command.split("--force-recreate", 1)[1].split())
    assert holders <= recreated, holders - recreated
    assert {"worker", "beat"} <= holders


def test_the_compose_upgrade_builds_before_it_migrates():
    [upgrade] = [line for line in re.findall(r"`([^`]*alembic upgrade head[^`]*)`", GUIDE) if "docker compose" in line]
    assert upgrade.index("docker compose build") < upgrade.index("alembic upgrade head")
    assert "--build" not in upgrade.split("alembic upgrade head", 1)[0]


def test_the_image_holds_no_secrets_backups_or_test_tools():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {"secrets", "backups", ".env", "instance", "*.dump", ".git", ".venv"} <= ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-r requirements.txt" in dockerfile and "requirements-dev" not in dockerfile
    runtime = (ROOT / "requirements.txt").read_text().lower()
    for tool in ("pytest", "hypothesis", "selenium", "schemathesis", "ruff", "freezegun"):
        assert tool not in runtime


def test_backup_retention_deletes_old_nightly_and_pre_upgrade_dumps(tmp_path):
    [line] = [line for line in GUIDE.splitlines() if line.startswith("15 3 * * * pg_dump")]
    retention = line.split(" && ", 1)[1].replace("/var/backups/whatsapp-platform", str(tmp_path))
    old = time.time() - 20 * 86400
    names = ["whatsapp-2026-01-01.dump", "pre-upgrade-2026-01-01-1200.dump", "whatsapp-today.dump",
             "pre-upgrade-today.dump"]
    for name in names:
        (tmp_path / name).write_bytes(b"dump")
    for name in names[:2]:
        os.utime(tmp_path / name, (old, old))
    subprocess.run(["/bin/sh", "-c", retention.replace("\\%", "%")], check=True)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[2:])


def test_restores_stop_every_writer_and_downgrades_are_explained():
    real_restore = GUIDE.split("**A real restore**", 1)[1].split("## 7.", 1)[0]
    assert "systemctl stop whatsapp-platform whatsapp-celery-worker whatsapp-celery-beat" in real_restore
    assert "crontab -u whatsapp -r" in real_restore
    assert all((ROOT / "deploy" / f"{unit}.service").exists() for unit in UNITS)
    assert "docker compose stop app cron worker beat" in GUIDE
    upgrades = GUIDE.split("## 7. Upgrades", 1)[1].split("## 8.", 1)[0]
    assert "alembic -x allow-data-loss=true downgrade -1" in upgrades and "pre-upgrade dump" in upgrades


def test_the_rotation_table_names_every_process_that_holds_a_secret():
    rotation = GUIDE.split("## 8. Rotating secrets", 1)[1].split("## 9.", 1)[0]
    for process in ("gunicorn", "cron processor", "Celery workers", "Celery beat", "docker compose"):
        assert process in rotation
    assert 'error_code="190"' in rotation


def test_every_documented_file_exists():
    for path in re.findall(r"`(deploy/[\w.-]+)`", GUIDE):
        assert (ROOT / path).exists(), path
    assert Path(ROOT / "runtime/preflight.py").exists() and "runtime/preflight.py" in GUIDE
