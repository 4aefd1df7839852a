"""The trained models on disk (language/model_cache.py): read back only when nothing they were trained
from has changed, and only from files nobody else could have written."""

from __future__ import annotations

import logging
import os
import pickle
import subprocess
import sys

import pytest
from conftest import ROOT

from language import model_cache


@pytest.fixture(autouse=True)
def _every_model_is_kept(monkeypatch):
    monkeypatch.setattr(model_cache, "WORTH_KEEPING", 0.0)


def _counting_trainer(calls: list[str], value: object):
    def train() -> object:
        calls.append("trained")
        return value
    return train


def test_the_second_process_reads_what_the_first_trained_and_a_change_trains_again(tmp_path):
    calls: list[str] = []
    first = model_cache.trained("demo", b"rules v1", _counting_trainer(calls, {"weights": [1.5, 2.5]}), tmp_path)
    again = model_cache.trained("demo", b"rules v1", _counting_trainer(calls, "never used"), tmp_path)
    changed = model_cache.trained("demo", b"rules v2", _counting_trainer(calls, {"weights": [9.0]}), tmp_path)
    assert first == again == {"weights": [1.5, 2.5]} and changed == {"weights": [9.0]}
    assert calls == ["trained", "trained"]
    assert len(list(tmp_path.glob("demo-*.pickle"))) == 2
    assert not list(tmp_path.glob(".writing-*"))  # written through a temporary file, renamed into place


def test_only_the_newest_files_of_a_model_are_kept(tmp_path):
    for version in range(model_cache.KEPT_PER_NAME + 3):
        model_cache.trained("demo", f"rules v{version}".encode(), lambda version=version: version, tmp_path)
    assert len(list(tmp_path.glob("demo-*.pickle"))) == model_cache.KEPT_PER_NAME


def test_a_file_others_may_write_is_never_read(tmp_path, caplog):
    model_cache.trained("demo", b"rules", lambda: "honest", tmp_path)
    (written,) = tmp_path.glob("demo-*.pickle")
    written.write_bytes(pickle.dumps("planted by someone else"))
    written.chmod(0o666)
    calls: list[str] = []
    with caplog.at_level(logging.WARNING, logger="language.model_cache"):
        value = model_cache.trained("demo", b"rules", _counting_trainer(calls, "trained again"), tmp_path)
    assert value == "trained again" and calls == ["trained"]
    assert any(record.getMessage() == "model_cache.ignored" for record in caplog.records)


def test_a_folder_others_may_write_is_never_read(tmp_path):
    folder = tmp_path / "cache"
    model_cache.trained("demo", b"rules", lambda: "honest", folder)
    folder.chmod(0o777)
    calls: list[str] = []
    assert model_cache.trained("demo", b"rules", _counting_trainer(calls, "trained again"), folder) == "trained again"
    assert calls == ["trained"]


def test_a_truncated_file_is_trained_again_and_replaced(tmp_path):
    model_cache.trained("demo", b"rules", lambda: list(range(1000)), tmp_path)
    (written,) = tmp_path.glob("demo-*.pickle")
    written.write_bytes(written.read_bytes()[:100])
    assert model_cache.trained("demo", b"rules", lambda: list(range(1000)), tmp_path) == list(range(1000))
    assert model_cache.trained("demo", b"rules", lambda: "not trained again", tmp_path) == list(range(1000))


def test_a_cache_that_cannot_be_written_still_gives_the_model(tmp_path):
    in_the_way = tmp_path / "a-file-not-a-folder"
    in_the_way.write_text("")
    assert model_cache.trained("demo", b"rules", lambda: "trained", in_the_way / "cache") == "trained"


READ_ONLY_PROBE = """
import sys
from pathlib import Path
from language import intent_rules, model_cache, rules_loader, sentiment_model
model_cache.CACHE_DIR = Path(sys.argv[1])
if sys.argv[2] == "must-read":
    def refuse(*args, **kwargs):
        raise AssertionError("trained although the cache holds this model")
    intent_rules._build = refuse
    sentiment_model.SentimentModel.__init__ = refuse
rules = rules_loader.load_rules("rules/chatbot_rules.yaml")
rules.prepare()
model = sentiment_model.cached_model()
for text in ("ghymt chnd", "سلام، بسته‌ام کی میرسه؟", "did you get my message?", "خیلی بد بود، پشیمونم"):
    print(rules.recognize_intent(text), model.predict(text.split()))
"""


def test_a_worker_reads_both_models_another_process_trained_and_answers_the_same(tmp_path):
    def run(mode: str) -> str:
        result = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE, str(tmp_path), mode], cwd=ROOT, text=True,
                                capture_output=True, timeout=180, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert result.returncode == 0, result.stderr[-2000:]
        return result.stdout

    trained = run("may-train")
    assert sorted(path.name.split("-")[0] for path in tmp_path.glob("*.pickle")) == ["intents", "sentiment"]
    assert run("must-read") == trained
