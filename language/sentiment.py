"""Message sentiment from our own lexicon and rules, and its evaluation on labelled data.

No model is involved (none works offline for Persian): `analyze_sentiment` normalises
with `nlp`, splits the message into clauses on punctuation and contrast words, then
scores cues in a fixed order: emoji, idioms from the phrase table, negated verbs
(نرسید، کار نمیکنه، جواب ندادید), then weighted words with intensifiers and negation.
The lexicon lives in `rules/sentiment_lexicon.yaml` so operators can extend it;
`sentiment_lexicon` reads it once per process, on first use (its names are importable from
here as before).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from language.nlp import is_negated_verb, lemma, normalize
from language.sentiment_lexicon import (
    LEXICON_PATH,
    Key,
    Lexicon,
    Verb,
    cached_lexicon,
    lexicon_entries,
    load_lexicon,
    tokens_of,
)

__all__ = ["LABELS", "LEXICON_PATH", "SentimentResult", "analyze_sentiment", "evaluate", "format_evaluation",
           "lexicon_entries", "load_lexicon", "read_labelled_tsv"]

LABELS: tuple[str, ...] = ("positive", "neutral", "negative")

# Tuning constants, chosen on the dev set and the unit tests.
LABEL_THRESHOLD = 0.2  # |score| below this is neutral
BEFORE_CONTRAST_WEIGHT = 0.5  # "thanks, but it broke": the part after "but" decides
AFTER_CONTRAST_WEIGHT = 1.5
# Praise, "but", then a clause without any cue ("looks nice but the fabric is plastic").
UNSAID_COMPLAINT_WEIGHT = -0.6
CONCESSION_WEIGHT = 0.5  # "although it was late, ..."
NEGATED_POSITIVE_FACTOR = -0.8  # "not good" is a bit less than "bad"
NEGATED_NEGATIVE_FACTOR = -0.5  # "not bad" is only mildly positive
QUESTION_POSITIVE_FACTOR = 0.35  # "is it good?" / "کدوم بهتره؟" asks, it does not praise
# A question about a case ("what if it's lost?", "اگه خراب باشه پس میدید؟") asks, it does not complain.
HYPOTHETICAL_NEGATIVE_FACTOR = 0.2
EXCLAMATION_STEP = 0.15  # each "!" (up to three) strengthens the message
# Praise and a complaint with no "but" between them ("thanks, a month of waiting 🙄",
# "great, another wrong item"): the praise is ironic or outweighed, so it counts this much.
MIXED_POSITIVE_FACTOR = 0.1
DURATION_WEIGHT = -0.8  # "یه هفته شد", "two weeks": a count of weeks or months is a wait
_DURATION = re.compile(
    r"(?:\b(?:\d+|یه|یک|دو|سه|چهار|پنج|شش|ده|چند|ye|yek|do|se|chand|a|one|two|three|four|"
    r"several)) (?:هفته|ماه|hafte|mah|week|month)")
MAX_INTENSITY = 2.0
_VERB_NOUN_REACH = 4  # ارزش این پول رو نداشت: the noun may stand four words before its verb
_PERSIAN_SUFFIXES = ("ه", "ست", "است", "م", "ش", "ام", "یم", "مون", "تون", "شون", "ها", "های",
                     "ید", "ین", "ترین")
_FINGLISH_SUFFIXES = ("e", "eh", "ast", "am")
_MIN_STEM = 3  # shorter stems (بد + ید = "give!") are too ambiguous to strip to
_CLAUSE_BREAK = re.compile(r"[,.!?]+")
_THANKS = frozenset(normalize(word) for word in """
مرسی ممنون ممنونم متشکرم سپاس تشکر thanks thank thx merci mersi mamnun mamnoon mrc
""".split())  # nlp.normalize has already mapped ، and ؟


@dataclass(frozen=True)
class SentimentResult:
    """Label (positive/neutral/negative), score in [-1, 1] and the cues that produced it."""

    label: str
    score: float
    matched: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Cue:
    start: int
    end: int
    weight: float
    kind: str  # emoji, phrase, verb, word or service


def _variants(token: str) -> list[str]:
    """The token, then the stems its colloquial suffixes may hide (عالیه → عالی)."""
    suffixes = _FINGLISH_SUFFIXES if token.isascii() else _PERSIAN_SUFFIXES
    variants = [token] + [token[: -len(suffix)] for suffix in suffixes
                          if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM]
    if token.endswith("ست") and not token.isascii():
        variants.append(token[:-2] + "ه")  # فوق‌العاده + ست is written فوق‌العادست
    return variants


def _match(tokens: Sequence[str], start: int, table: dict[Key, float], taken: set[int]) -> tuple[int, float] | None:
    """Longest entry of `table` at `start` as (length, weight); its last token may carry a suffix."""
    for length in range(min(4, len(tokens) - start), 0, -1):
        if taken.isdisjoint(range(start, start + length)):
            head = tuple(tokens[start:start + length - 1])
            for last in _variants(tokens[start + length - 1]):
                if head + (last,) in table:
                    return length, table[head + (last,)]
    return None


def _negated_verb(token: str, lexicon: Lexicon) -> Verb | None:
    """The verb when `token` is ن/نمی + a listed form; words merely starting with ن are not."""
    for prefix in sorted(lexicon.sets["verb_prefixes"], key=len, reverse=True):
        if token.startswith(prefix) and token[len(prefix):] in lexicon.verb_forms:
            return lexicon.verb_forms[token[len(prefix):]]
    return None


def _is_negated(tokens: Sequence[str], start: int, end: int, lexicon: Lexicon, taken: set[int]) -> bool:
    """English-style negator up to three tokens before, or a Persian negated copula after."""
    if any(tokens[i] in lexicon.sets["negators"] and i not in taken for i in range(max(0, start - 3), start)):
        return True
    for token in tokens[end:end + 3]:
        if token in lexicon.sets["negated_copulas"]:
            return True
        if token not in lexicon.sets["copula_fillers"]:
            return False
    return False


def _intensity(tokens: Sequence[str], start: int, lexicon: Lexicon) -> float:
    factor = 1.0
    for token in tokens[max(0, start - 2):start]:
        factor *= next((lexicon.intensifiers[form] for form in _variants(token) if form in lexicon.intensifiers), 1.0)
    return min(factor, MAX_INTENSITY)


def _find_cues(tokens: Sequence[str], lexicon: Lexicon) -> tuple[list[_Cue], set[int]]:
    cues: list[_Cue] = []
    taken: set[int] = set()

    def take(start: int, end: int, weight: float, kind: str) -> None:
        cues.append(_Cue(start, end, weight, kind))
        taken.update(range(start, end))

    for index, token in enumerate(tokens):
        if token in lexicon.emoji:
            take(index, index + 1, lexicon.emoji[token], "emoji")
    index = 0
    while index < len(tokens):  # idioms first: دستتون درد نکنه is thanks, not a negation
        found = _match(tokens, index, lexicon.phrases, taken)
        if found:
            take(index, index + found[0], found[1], "phrase")
        elif (index + 2 < len(tokens) and tokens[index + 1] in lexicon.intensifiers
              and taken.isdisjoint(range(index, index + 3))):
            # An intensifier inside an idiom: کیفیتش خیلی پایینه is کیفیتش پایین, said harder.
            skipped = _match([tokens[index], *tokens[index + 2:index + 5]], 0, lexicon.phrases, set())
            if skipped and skipped[0] >= 2 and taken.isdisjoint(range(index, index + skipped[0] + 1)):
                found = (skipped[0] + 1, skipped[1] * lexicon.intensifiers[tokens[index + 1]])
                take(index, index + found[0], found[1], "phrase")
        index += found[0] if found else 1
    for index, token in enumerate(tokens):
        verb = None if index in taken else _negated_verb(token, lexicon)
        if verb is not None:
            start, weight = index, verb.weight
            before = next((i for i in range(index - 1, max(-1, index - _VERB_NOUN_REACH - 1), -1)
                           if tokens[i] in verb.nouns and i not in taken), None)
            if before is not None:
                start, weight = before, verb.nouns[tokens[before]]
            if weight:
                take(start, index + 1, weight, "verb")
    index, services = 0, lexicon.sets["service_terms"]
    while index < len(tokens):
        found = _match(tokens, index, lexicon.words, taken)
        if found and not (index and tokens[index - 1] in lexicon.context_blocked.get(tokens[index], ())):
            take(index, index + found[0], found[1], "word")
        elif (index not in taken and {tokens[index], lemma(tokens[index])} & services
              and _is_negated(tokens, index, index + 1, lexicon, taken)):
            take(index, index + 1, lexicon.service_weight, "service")  # doesn't work, no reply
        index += found[0] if found else 1
    return cues, taken


def _score_clause(tokens: list[str], lexicon: Lexicon, question: bool,
                  positive_factor: float = 1.0, hypothetical: bool = False) -> tuple[float, list[str], set[int]]:
    """Score one clause: (total, matched cues, signs of its cues as +1/-1)."""
    cues, taken = _find_cues(tokens, lexicon)
    boost = max([weight for key, weight in lexicon.negation_intensifiers.items()
                 if any(tuple(tokens[i:i + len(key)]) == key for i in range(len(tokens)))], default=1.0)
    total, matched, signs = 0.0, [], set()
    for cue in cues:
        weight, surface = cue.weight, " ".join(tokens[cue.start:cue.end])
        if cue.kind == "word" and _is_negated(tokens, cue.start, cue.end, lexicon, taken):
            weight *= (NEGATED_POSITIVE_FACTOR if weight > 0 else NEGATED_NEGATIVE_FACTOR) * boost
            surface = f"not({surface})"
        if cue.kind != "emoji":
            weight *= _intensity(tokens, cue.start, lexicon)
            weight *= QUESTION_POSITIVE_FACTOR if question and weight > 0 else 1.0
            weight *= HYPOTHETICAL_NEGATIVE_FACTOR if hypothetical and weight < 0 else 1.0
        weight *= positive_factor if weight > 0 else 1.0
        signs.update([1 if weight > 0 else -1] if weight else [])
        total += weight
        matched.append(f"{surface}{weight:+.2f}")
    sets = lexicon.sets
    complaint = sets["negated_copulas"] | sets["waiting_cues"] | sets["negators"]
    if not sets["still_markers"].isdisjoint(tokens) and any(
            token in complaint or is_negated_verb(token) or _negated_verb(token, lexicon) for token in tokens):
        total += lexicon.still_weight  # هنوز نرسیده، still not, سه روزه منتظرم
        matched.append(f"delay-complaint{lexicon.still_weight:+.2f}")
        signs.add(-1)
    elif not question and _DURATION.search(" ".join(tokens)):
        total += DURATION_WEIGHT
        matched.append(f"delay-duration{DURATION_WEIGHT:+.2f}")
        signs.add(-1)
    return total, matched, signs


def _clauses(text: str, lexicon: Lexicon) -> list[tuple[list[str], float]]:
    """Split into (tokens, weight) clauses on punctuation, contrast and concession words."""
    segments: list[tuple[list[str], int, bool]] = []  # tokens, contrasts before it, conceded
    stage = 0
    for line in text.splitlines():  # normalize() would turn line breaks into spaces
        for piece in _CLAUSE_BREAK.split(normalize(line)):
            tokens, current, conceded, index = tokens_of(piece, normalized=True), [], False, 0
            while index < len(tokens):
                marker = next((m for m in lexicon.concession if tuple(tokens[index:index + len(m)]) == m), None)
                if marker or tokens[index] in lexicon.sets["contrast"]:
                    segments.append((current, stage, conceded))
                    current, conceded, stage = [], marker is not None, stage + (marker is None)
                    index += len(marker) if marker else 1
                else:
                    current.append(tokens[index])
                    index += 1
            segments.append((current, stage, conceded))
    clauses = []
    for tokens, clause_stage, conceded in filter(lambda segment: segment[0], segments):
        weight = 1.0
        if stage:
            weight = AFTER_CONTRAST_WEIGHT if clause_stage == stage else BEFORE_CONTRAST_WEIGHT
        clauses.append((tokens, weight * (CONCESSION_WEIGHT if conceded else 1.0)))
    return clauses


def analyze_sentiment(text: str) -> SentimentResult:
    """Return the sentiment of one customer message."""
    lexicon, normalized = cached_lexicon(), normalize(text)
    question = "?" in normalized
    clauses = _clauses(text, lexicon)
    # "if it gets lost, do I get a refund?": the whole question is about a case.
    hypothetical = question and any(not lexicon.sets["conditionals"].isdisjoint(tokens) for tokens, _ in clauses)
    positive_factor = 1.0
    if all(weight == 1.0 for _, weight in clauses):  # no "but", no "although"
        signs = set().union(*(_score_clause(tokens, lexicon, question)[2]
                              for tokens, _ in clauses))
        if signs == {1, -1}:
            positive_factor = MIXED_POSITIVE_FACTOR
    total, matched = 0.0, []
    before_contrast = after_contrast = 0.0
    for tokens, weight in clauses:
        clause_total, clause_matched, _ = _score_clause(tokens, lexicon, question, positive_factor, hypothetical)
        total += weight * clause_total
        matched.extend(clause_matched)
        if weight == BEFORE_CONTRAST_WEIGHT:
            # Thanks before "but" is politeness ("thanks, but I already got it"), not praise.
            before_contrast += -math.inf if _THANKS.intersection(tokens) else clause_total
        elif weight == AFTER_CONTRAST_WEIGHT:
            after_contrast += clause_total if clause_matched else math.nan
    if before_contrast > 0 and math.isnan(after_contrast) and not question:
        # "ظاهرش خوبه اما جنسش پلاستیکیه": praise, then "but" and a plain fact is a complaint.
        total = UNSAID_COMPLAINT_WEIGHT
        matched.append(f"praise-but{UNSAID_COMPLAINT_WEIGHT:+.2f}")
    total *= 1 + EXCLAMATION_STEP * min(normalized.count("!"), 3)
    score = round(math.tanh(total / 2), 4)
    label = "positive" if score >= LABEL_THRESHOLD else "negative" if score <= -LABEL_THRESHOLD else "neutral"
    return SentimentResult(label, score, tuple(matched))


def read_labelled_tsv(path: str | Path) -> list[tuple[str, str]]:
    """Read `text<TAB>label` rows (an optional header line is skipped)."""
    rows: list[tuple[str, str]] = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        text, separator, label = line.rpartition("\t")
        label = label.strip().lower()
        if not line.strip() or (number == 1 and label not in LABELS):
            continue
        if not separator or label not in LABELS:
            raise ValueError(f"{path}:{number}: expected text<TAB>{'|'.join(LABELS)}")
        rows.append((text, label))
    return rows


def evaluate(rows: Iterable[tuple[str, str]]) -> dict:
    """Score `analyze_sentiment` on (text, gold label) rows: per-class P/R/F1, macro-F1, confusion."""
    confusion = {gold: dict.fromkeys(LABELS, 0) for gold in LABELS}
    errors: list[tuple[str, str, str]] = []
    for text, gold in rows:
        if gold not in LABELS:
            raise ValueError(f"unknown label {gold!r} for {text!r}")
        predicted = analyze_sentiment(text).label
        confusion[gold][predicted] += 1
        if predicted != gold:
            errors.append((text, gold, predicted))
    per_class: dict[str, dict[str, float]] = {}
    for label in LABELS:
        hits, support = confusion[label][label], sum(confusion[label].values())
        predicted_count = sum(confusion[gold][label] for gold in LABELS)
        precision = hits / predicted_count if predicted_count else 0.0
        recall = hits / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    # A class absent from both gold and predictions says nothing; averaging its 0 would punish.
    present = [label for label in LABELS if any(confusion[label].values())
               or any(confusion[gold][label] for gold in LABELS)]
    count = sum(sum(row.values()) for row in confusion.values())
    return {
        "labels": list(LABELS),
        "per_class": per_class,
        "macro_f1": sum(per_class[label]["f1"] for label in present) / len(present) if present else 0.0,
        "accuracy": sum(confusion[label][label] for label in LABELS) / count if count else 0.0,
        "count": count,
        "confusion": [[confusion[gold][predicted] for predicted in LABELS] for gold in LABELS],
        "errors": errors,
    }


def format_evaluation(result: dict, max_errors: int = 10) -> str:
    """Render an `evaluate` result as a plain-text table, with the first misclassified rows."""
    labels = result["labels"]
    lines = [f"{'label':<10}{'precision':>10}{'recall':>8}{'f1':>8}{'support':>9}"]
    for label in labels:
        row = result["per_class"][label]
        lines.append(f"{label:<10}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['f1']:>8.3f}{row['support']:>9}")
    lines += [f"macro-F1 {result['macro_f1']:.3f}   accuracy {result['accuracy']:.3f}   messages {result['count']}",
              "", "confusion (rows: gold, columns: predicted)", " " * 10 + "".join(f"{x:>10}" for x in labels)]
    for gold, counts in zip(labels, result["confusion"], strict=True):
        lines.append(f"{gold:<10}" + "".join(f"{count:>10}" for count in counts))
    if result["errors"] and max_errors > 0:
        lines += ["", f"misclassified ({len(result['errors'])}, first {max_errors}):"]
        lines += [f"  {gold} -> {predicted}: {text}" for text, gold, predicted in result["errors"][:max_errors]]
    return "\n".join(lines)
