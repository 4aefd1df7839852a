"""Enrichment: what is stored per message, once; batches committed; restartable; concurrent runs split the work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import clean_tables
from sqlalchemy import select

from database_models import Contact, ReceivedMessageLog
from database_setup import create_session_factory
from language.enrichment import EMPTY, enrich_batch, enrich_pending, enrich_text, resolve_rules


@pytest.fixture(scope="module")
def rules():
    return resolve_rules(None)


@pytest.fixture
def committed(engine):
    """A session factory on the test database; every row is deleted afterwards."""
    yield create_session_factory(engine)
    clean_tables(engine)


def store(session_factory, texts, *, message_type="text", intent=None) -> list[int]:
    with session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989120005555")).first()
        if contact is None:
            contact = Contact(wa_id="989120005555", name="Ali", attributes={})
            session.add(contact)
            session.flush()
        start = session.scalar(select(ReceivedMessageLog.id).order_by(ReceivedMessageLog.id.desc()).limit(1)) or 0
        messages = [ReceivedMessageLog(wamid=f"wamid.enrich{start + number}", contact_id=contact.id,
                                       message_type=message_type, text=text, payload={}, intent=intent,
                                       received_at=datetime(2026, 11, 20, tzinfo=UTC) + timedelta(minutes=number))
                    for number, text in enumerate(texts)]
        session.add_all(messages)
        session.commit()
        return [message.id for message in messages]


def stored(session_factory) -> list[ReceivedMessageLog]:
    with session_factory() as session:
        return list(session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id)))


def test_enrich_text_stores_unique_lemmas_sentiment_and_intent(rules):
    found = enrich_text("سفارش سفارشم رو لغو کنید، خیلی بد بود", "text", rules)
    assert found.keywords[:2] == ["سفارش", "لغو"] and found.keywords.count("سفارش") == 1
    assert found.sentiment == "negative" and found.sentiment_score < 0
    assert found.normalized_text == "سفارش سفارشم رو لغو کنید, خیلی بد بود"
    assert found.intent is not None and found.intent_confidence is not None


def test_enrich_text_classifies_only_what_the_chatbot_would(rules):
    assert enrich_text("سفارشم کجاست؟", "text", rules, classify=False).intent is None
    caption = enrich_text("عکس کفش، قیمتش چنده؟", "image", rules)
    assert caption.intent is None and "کفش" in caption.keywords
    assert enrich_text("👍", "reaction", rules).sentiment == "positive"
    assert enrich_text("Tehran, Valiasr St.", "location", rules) == EMPTY
    assert enrich_text(None, "text", rules) == EMPTY


def test_enrich_batch_takes_the_oldest_and_keeps_the_chatbots_intent(session, make_contact, rules):
    contact = make_contact()
    for number, (text, intent) in enumerate([("ممنون عالی بود", None), ("قیمت کفش چنده", "order_status"),
                                             ("hello", None)]):
        session.add(ReceivedMessageLog(wamid=f"wamid.batch{number}", contact_id=contact.id, message_type="text",
                                       text=text, payload={}, intent=intent, intent_confidence=0.5 if intent else None))
    session.flush()
    assert enrich_batch(session, rules, batch_size=2) == 2
    session.expire_all()
    first, second, third = session.scalars(select(ReceivedMessageLog).order_by(ReceivedMessageLog.id)).all()
    assert first.enriched_at is not None and first.intent == "thanks" and first.sentiment == "positive"
    assert second.intent == "order_status" and second.intent_confidence == 0.5  # the chatbot's decision stays
    assert second.keywords == ["قیمت", "کفش"]
    assert third.enriched_at is None
    assert enrich_batch(session, rules, batch_size=2) == 1
    assert enrich_batch(session, rules, batch_size=2) == 0


def test_enrich_pending_commits_batches_and_a_rerun_does_nothing(committed, rules):
    store(committed, [f"سفارش شماره {number} کی میرسه؟" for number in range(7)])
    assert enrich_pending(committed, batch_size=3, rules=rules) == 7
    messages = stored(committed)
    assert all(message.enriched_at is not None and message.keywords == ["سفارش", "شماره", "میرسه"]
               for message in messages)
    assert enrich_pending(committed, batch_size=3, rules=rules) == 0
    assert [message.enriched_at for message in stored(committed)] == [message.enriched_at for message in messages]


def test_enrich_pending_stops_at_its_time_budget_and_the_next_run_continues(committed, rules):
    store(committed, ["ممنون"] * 10)
    ticks = iter(range(100))
    # The clock advances one second per reading: the budget of 1.5 s allows two batches.
    assert enrich_pending(committed, batch_size=3, time_budget=1.5, rules=rules, clock=lambda: next(ticks)) == 6
    assert sum(message.enriched_at is None for message in stored(committed)) == 4
    assert enrich_pending(committed, batch_size=3, rules=rules) == 4
    assert all(message.sentiment == "positive" for message in stored(committed))


def test_a_message_that_breaks_the_analysis_is_stored_empty_and_does_not_block_the_rest(committed, rules):
    class BreaksOnOneText:
        def recognize_intent(self, text):
            if text == "boom":
                raise RuntimeError("analysis bug")
            return rules.recognize_intent(text)

    store(committed, ["سلام", "boom", "ممنون"])
    assert enrich_pending(committed, batch_size=10, rules=BreaksOnOneText()) == 3
    greeting, broken, thanks = stored(committed)
    assert broken.enriched_at is not None and broken.sentiment is None and broken.keywords == []
    assert greeting.intent == "greeting" and thanks.sentiment == "positive"


def test_two_concurrent_runs_enrich_different_rows(committed, rules, database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writers: a second run waits for the first instead of skipping its rows")
    store(committed, ["ممنون"] * 6)
    with committed() as first, committed() as second:
        assert enrich_batch(first, rules, batch_size=4) == 4  # rows locked until `first` commits
        assert enrich_batch(second, rules, batch_size=4) == 2
        first.commit()
        second.commit()
    assert all(message.enriched_at is not None for message in stored(committed))
