"""What the order conversation adds to the chatbot's work per message (a benchmark, not a test).

    python bench/orders_conversation.py [--repeat 5]

Every live text message now also passes `order_references` (one regular expression); only a
message with an order-like number, or the order_status intent, costs a query. Over the labelled
messages of tests/data/intents_*.tsv it prints the time of classifying each message
(`recognize_intent`, what the chatbot did before) and of `order_references`, and their ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from language.rules_loader import load_rules  # noqa: E402
from orders.conversation import order_references  # noqa: E402


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    texts = [line.split("\t")[0] for path in sorted((ROOT / "tests" / "data").glob("intents_*.tsv"))
             for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    rules = load_rules(ROOT / "rules" / "chatbot_rules.yaml")
    classify = best_of(repeat, lambda: [rules.recognize_intent(text) for text in texts])
    references = best_of(repeat, lambda: [order_references(text) for text in texts])
    with_numbers = sum(1 for text in texts if order_references(text))
    print(f"{len(texts)} messages, {with_numbers} with an order-like number (these cost one query)")
    print(f"classify: {classify / len(texts) * 1e6:.1f} µs/message; order_references: "
          f"{references / len(texts) * 1e6:.2f} µs/message; ratio {references / classify:.4f}")


if __name__ == "__main__":
    main()
