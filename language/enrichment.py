"""Message enrichment: normalised text, keywords, sentiment and (when missing) intent, stored once per message.

Reports (`analytics_service`) only aggregate these columns; NLP runs here, once per row.
The cron entry calls `enrich_pending` after the processor and `flask analytics backfill`
calls the same function for history. Rows are picked by `enriched_at IS NULL` in id order
(index `(enriched_at, id)`; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two runs split
the work), and every batch commits on its own: a crash or an exhausted time budget loses
at most one batch, and the next run continues where this one stopped. A second run finds
nothing to do. The chatbot stores intents at ingestion; rows without one (replayed
backlog, history from before the chatbot) are classified here with the same rules.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import JSON, bindparam, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from config import Config
from database_models import ReceivedMessageLog, utcnow
from language import nlp
from language.intent_rules import RuleSet
from language.rules_loader import load_rules
from language.sentiment import analyze_sentiment

logger = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 500
# What the chatbot classifies; other types carry no request to understand.
INTENT_TYPES = frozenset({"text", "interactive", "button"})
# Types whose text the customer wrote (captions, button titles, reaction emoji). Locations,
# contact cards and file names would only pollute keywords and sentiment.
CUSTOMER_TEXT_TYPES = INTENT_TYPES | {"image", "video", "reaction"}
# Very long pastes: keywords and sentiment of the start are representative and bounded in cost.
MAXIMUM_CHARACTERS = 4000


@dataclass(frozen=True)
class Enrichment:
    """What enrichment stores for one message."""

    normalized_text: str | None
    keywords: list[str]
    sentiment: str | None
    sentiment_score: float | None
    intent: str | None
    intent_confidence: float | None


EMPTY = Enrichment(None, [], None, None, None, None)


def enrich_text(text: str | None, message_type: str, rules: RuleSet | None, classify: bool = True) -> Enrichment:
    """The stored analysis of one message: unique keywords in order, sentiment, and intent when `classify`."""
    if not text or message_type not in CUSTOMER_TEXT_TYPES:
        return EMPTY
    text = text[:MAXIMUM_CHARACTERS]
    normalized = nlp.normalize(text)
    # One message mentioning "order" three times is one customer asking about orders.
    keywords = list(dict.fromkeys(nlp.keywords(text)))
    result = analyze_sentiment(text)
    intent = confidence = None
    if classify and rules is not None and message_type in INTENT_TYPES:
        match = rules.recognize_intent(text)
        intent, confidence = match.intent, round(match.confidence, 4)
    return Enrichment(normalized or None, keywords, result.label, result.score, intent, confidence)


def resolve_rules(rules: RuleSet | str | Path | None) -> RuleSet:
    """A RuleSet as given, loaded from a path, or (None) from the default rules file."""
    if rules is None:
        return load_rules(Config().chatbot_rules_path)
    return load_rules(rules) if isinstance(rules, str | Path) else rules


def enrich_batch(session: Session, rules: RuleSet | None, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """Enrich up to `batch_size` un-enriched messages (oldest first) and flush; returns how many."""
    table = ReceivedMessageLog.__table__
    rows = session.execute(
        select(table.c.id, table.c.message_type, table.c.text, table.c.intent)
        # Ordering by the whole index (enriched_at is NULL throughout) makes PostgreSQL read the
        # (enriched_at, id) index; ordered by id alone it walks the primary key past every enriched row.
        .where(table.c.enriched_at.is_(None)).order_by(table.c.enriched_at, table.c.id).limit(batch_size)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite serialises writers anyway
    ).all()
    if not rows:
        return 0
    now = utcnow()
    parameters = []
    for message_id, message_type, text, intent in rows:
        try:
            found = enrich_text(text, message_type, rules, classify=intent is None)
        except Exception:  # a per-row job boundary: one odd text must not block every later row
            logger.exception("enrichment failed; stored empty", extra={"event": "enrichment.error",
                                                                      "message_id": message_id})
            found = EMPTY
        parameters.append({
            "row_id": message_id, "new_normalized_text": found.normalized_text, "new_keywords": found.keywords,
            "new_sentiment": found.sentiment, "new_sentiment_score": found.sentiment_score,
            "new_intent": found.intent, "new_intent_confidence": found.intent_confidence, "new_enriched_at": now,
        })
    statement = (
        update(table).where(table.c.id == bindparam("row_id"))
        .values(
            normalized_text=bindparam("new_normalized_text"),
            keywords=bindparam("new_keywords", type_=JSON),
            sentiment=bindparam("new_sentiment"),
            sentiment_score=bindparam("new_sentiment_score"),
            # The chatbot's own decision at ingestion wins over a later classification.
            intent=func.coalesce(table.c.intent, bindparam("new_intent")),
            intent_confidence=func.coalesce(table.c.intent_confidence, bindparam("new_intent_confidence")),
            enriched_at=bindparam("new_enriched_at", type_=table.c.enriched_at.type),
        )
    )
    session.execute(statement, parameters)
    return len(rows)


def enrich_pending(session_factory: sessionmaker[Session], batch_size: int = DEFAULT_BATCH_SIZE,
                   time_budget: float | None = None, *, rules: RuleSet | str | Path | None = None,
                   clock: Callable[[], float] = time.monotonic) -> int:
    """Enrich every un-enriched message, one committed batch at a time, until done or out of time; returns how many."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = clock()
    ruleset = resolve_rules(rules)
    total = batches = 0
    while True:
        with session_factory() as session:
            count = enrich_batch(session, ruleset, batch_size)
            session.commit()
        total += count
        batches += 1 if count else 0
        if count < batch_size or (time_budget is not None and clock() - started >= time_budget):
            break
    if total:
        logger.info("messages enriched", extra={"event": "enrichment.done", "count": total, "batches": batches,
                                                "seconds": round(clock() - started, 3)})
    return total
