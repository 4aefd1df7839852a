"""`.env` loading: the real environment wins; values taken from the file follow the file (reloads, worker tasks)."""

from __future__ import annotations

from runtime.process_environment import DOTENV_KEYS_VARIABLE, ensure_metrics_directory, load_environment


def test_the_real_environment_wins_and_file_values_follow_the_file(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text('GUNICORN_BIND=127.0.0.1:9000\nWEB_CONCURRENCY=3\n'
                        'BUSINESS_HOURS="sat-wed 09:00-18:00; thu 09:00-13:00"\n')
    environ = {"GUNICORN_BIND": "0.0.0.0:8000", "PATH": "/usr/bin"}

    assert load_environment(env_file, environ) == ["BUSINESS_HOURS", "WEB_CONCURRENCY"]
    assert environ["GUNICORN_BIND"] == "0.0.0.0:8000"  # set by the real environment (compose, systemd): kept
    assert environ["WEB_CONCURRENCY"] == "3"
    assert environ["BUSINESS_HOURS"] == "sat-wed 09:00-18:00; thu 09:00-13:00"

    # The file changes, then the process reads it again (SIGHUP, the next task): values it took follow the file.
    env_file.write_text("WEB_CONCURRENCY=5\nLOG_LEVEL=DEBUG\n")
    load_environment(env_file, environ)
    assert environ["WEB_CONCURRENCY"] == "5" and environ["LOG_LEVEL"] == "DEBUG"
    assert "BUSINESS_HOURS" not in environ  # no longer in the file
    assert environ["GUNICORN_BIND"] == "0.0.0.0:8000"

    env_file.unlink()
    load_environment(env_file, environ)
    assert environ == {"GUNICORN_BIND": "0.0.0.0:8000", "PATH": "/usr/bin"}
    assert DOTENV_KEYS_VARIABLE not in environ


def test_a_missing_metrics_directory_is_created(tmp_path):
    directory = tmp_path / "run" / "metrics"
    ensure_metrics_directory({"PROMETHEUS_MULTIPROC_DIR": str(directory)})
    assert directory.is_dir()
    ensure_metrics_directory({})  # unset: nothing to do
