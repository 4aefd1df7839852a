"""CPU time per message of the chatbot's language work: intent classification and the reply's tone.

    python bench/language_cost.py [--rounds 3] [--data 'tests/data/intents_dev*.tsv'] [--rules FILE]

Classifies every distinct message of the development intent sets (tests/data/intents_dev*.tsv;
never the frozen set, which only the final evaluation reads) with the shipped rules file and
prints the CPU time per message (process time, so other jobs on a shared machine do not
count), beside the issue's budget of 1 ms; then the same for the sentiment that picks a reply's
tone. The figure that counts is the first round: each text seen once, as a worker sees a new
customer's message. Later rounds (`--rounds 3`) classify the same texts again and come out
cheaper (the processor's caches and the interpreter's are warm), so they are printed apart,
never averaged in. A figure, not a test: the suite never times itself.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config import Config  # noqa: E402
from language import nlp  # noqa: E402
from language.intent_evaluation import read_labelled_messages  # noqa: E402
from language.intent_matcher import _token_ngrams  # noqa: E402
from language.intent_model import _token_features  # noqa: E402
from language.rules_loader import load_rules  # noqa: E402
from language.sentiment import analyze_sentiment  # noqa: E402

BUDGET_MS = 1.0
DEVELOPMENT_SETS = "tests/data/intents_dev*.tsv"


def per_message_ms(work, texts: list[str]) -> float:
    """CPU milliseconds per text for one pass of `work` over `texts`."""
    started = time.process_time()
    for text in texts:
        work(text)
    return (time.process_time() - started) * 1000 / len(texts)


def distinct_texts(pattern: str) -> list[str]:
    """Every text of the labelled files matching `pattern` (relative to the repository), once."""
    paths = sorted(ROOT.glob(pattern))
    if any("frozen" in path.name for path in paths):
        raise SystemExit("the frozen sets are for the final evaluation only")
    texts = [text for path in paths for text, _ in read_labelled_messages(path)]
    return list(dict.fromkeys(texts))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=1, help="passes over the texts; the first is reported")
    parser.add_argument("--data", default=DEVELOPMENT_SETS, help="glob of labelled files")
    parser.add_argument("--rules", default=Config().chatbot_rules_path, help="the rules file (default: shipped)")
    arguments = parser.parse_args()
    texts = distinct_texts(arguments.data)
    if not texts:
        raise SystemExit(f"no labelled messages match {arguments.data}")
    rules = load_rules(arguments.rules)
    rules.recognize_intent("warm up")  # the first call imports and builds lazily
    analyze_sentiment("warm up")
    # Training read these very texts (rules/intent_training.tsv): forget their tokens' features, lemmas
    # and normal forms, so the first round meets every word as a worker meets a new customer's.
    for cache in (_token_features, _token_ngrams, nlp.lemma, nlp.normalize):
        cache.cache_clear()
    print(f"{len(texts)} distinct messages; load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    for round_number in range(1, max(1, arguments.rounds) + 1):
        intent = per_message_ms(rules.recognize_intent, texts)
        tone = per_message_ms(analyze_sentiment, texts)
        label = "first round (each text new)" if round_number == 1 else f"round {round_number} (repeated texts)"
        print(f"{label}: intent {intent:.3f} ms, tone (sentiment) {tone:.3f} ms, together "
              f"{intent + tone:.3f} ms = {(intent + tone) / BUDGET_MS:.2f} of the {BUDGET_MS:g} ms budget")


if __name__ == "__main__":
    main()
