"""Filter a newly written labelled set before its first score (tests/data/README.md).

    .venv/bin/python tests/support/filter_new_set.py NEW.tsv tests/data/intents_devN.tsv

Drops every sentence whose normalised words equal a rule example, an out-of-scope example, a
sentence of any labelled file in tests/data (the frozen and blind ones included, compared without
printing them), a line of the opt-out sets, or an earlier sentence of the same set. Prints counts
only, so a writer's set can be filtered without anyone reading what it shares with the held-out
files. The first line (the header) is kept as it is.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the repository's ROOT is conftest's

from conftest import ROOT  # noqa: E402

sys.path.insert(0, str(ROOT))

from language.nlp import tokenize  # noqa: E402
from language.rules_loader import load_rules  # noqa: E402

DATA = ROOT / "tests" / "data"


def normalised(text: str) -> str:
    return " ".join(tokenize(text))


def is_header(line: str) -> bool:
    """Whether a file's first line names its columns (`text<TAB>intent`) instead of holding a message."""
    return line.split("\t")[0].strip().lower() == "text"


def known_sentences(target: Path) -> set[str]:
    """Every rule example, out-of-scope example and labelled sentence already in the repository, `target` aside."""
    rules = load_rules(ROOT / "rules" / "chatbot_rules.yaml")
    known = {normalised(example) for intent in rules.intents.values() for example in intent.examples}
    known |= {normalised(example) for example in rules.out_of_scope}
    for path in DATA.glob("*.tsv"):
        if path.resolve() == target.resolve():
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        for line in lines[1:] if lines and is_header(lines[0]) else lines:
            known.add(normalised(line.split("\t")[0]))
    for path in DATA.glob("opt_out_*.txt"):
        known |= {normalised(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
    return known


def main(source: Path, target: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines()
    header = lines[:1] if lines and is_header(lines[0]) else []
    known, seen, kept = known_sentences(target), set(), list(header)
    for line in lines[len(header):]:
        key = normalised(line.split("\t")[0])
        if key not in known and key not in seen:
            seen.add(key)
            kept.append(line)
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    read = len(lines) - len(header)
    print(f"{source.name}: {read} read, {len(lines) - len(kept)} dropped, {len(kept) - len(header)} kept")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(Path(sys.argv[1]), Path(sys.argv[2]))
