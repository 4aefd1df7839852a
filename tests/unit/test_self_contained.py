"""The repository is self-contained: no tracked file points at a path outside it.

A fresh clone in an empty directory failed `make test` because seven tests read
the team's NLP sets in a folder beside the repository, and the README sent users there. This reads every tracked
text file for the ways such a path was written; the labelled sets now live in tests/data/.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Tests find the repository through conftest's ROOT; counting parents of a test file is how paths escaped it.
OUTSIDE = re.compile(r"\.\./shared\b|\bshared/(nlp|DESIGN\.md|STYLE\.md)|/work/|parents\[[2-9]\]|ROOT\.parent\b")


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True).stdout
    files = [ROOT / name for name in listed.split("\0") if name]
    return [path for path in files if path.is_file() and b"\0" not in path.read_bytes()[:4096]]


def test_no_tracked_file_points_outside_the_repository():
    files = tracked_text_files()
    assert ROOT / "README.md" in files and ROOT / "tests" / "conftest.py" in files
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
             for path in files if path != Path(__file__).resolve()
             for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert found == []


def test_the_evaluation_sets_are_in_the_repository():
    for name in ("intents_heldout.tsv", "sentiment_eval.tsv", "sentiment_heldout.tsv"):
        path = ROOT / "tests" / "data" / name
        assert path.is_file() and len(path.read_text(encoding="utf-8").splitlines()) > 50, name
