"""The processor against the fake Graph API over real HTTP: exactly-once sends, the 24-hour rule,
retries with backoff, permanent failures, rate limits, pacing and parallel processors."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from broadcast_testing import fake_sender, processor_config, rows_by_status, seed_broadcast
from freezegun import freeze_time
from sqlalchemy import select, update

from database_models import Contact, ScheduledMessage, utcnow
from database_setup import create_engine_for, create_session_factory
from outbound.pacing import PAIR_RATE_BURST, PAIR_RATE_INTERVAL
from outbound.processor import MessageProcessor, RateLimiter, backoff_delay
from scheduler import Scheduler
from whatsapp_service import DryRunSender


def make_processor(factory, sender, database_url, **config_changes) -> MessageProcessor:
    options = {key: config_changes.pop(key) for key in ("retry_base_seconds", "retry_max_seconds", "clock")
               if key in config_changes}
    return MessageProcessor(factory, sender, processor_config(database_url, **config_changes), **options)


def all_rows(factory) -> list[ScheduledMessage]:
    with factory() as session:
        return list(session.scalars(select(ScheduledMessage).order_by(ScheduledMessage.id)))


def test_every_due_row_is_sent_once_with_its_wamid_and_time_recorded(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 120)
    future = seed_broadcast(factory, 5, prefix="98935", scheduled_at=utcnow() + timedelta(hours=2))

    summary = make_processor(factory, sender, database_url).process_due(time_budget=20)

    assert summary.sent == 120 and summary.failed == 0
    # The main thread's share of the run, claiming and recording, is in the summary the cron entry logs.
    assert 0 < summary.claim_seconds + summary.record_seconds <= summary.seconds
    assert {"claim_seconds", "record_seconds"} <= summary.as_dict().keys()
    counts = fake_graph.counts()
    assert len(counts) == 120 and set(counts.values()) == {1}
    accepted = {m["wamid"]: m for m in fake_graph.messages()}
    for row in all_rows(factory):
        if row.broadcast_id == future:
            assert row.status == "pending" and row.wamid is None
            continue
        assert row.status == "sent" and row.wamid in accepted and row.sent_at is not None
        assert accepted[row.wamid]["text"] == row.body  # personalised body, Persian and emoji intact
        assert row.claimed_by is not None and row.lease_expires_at is None and row.attempts == 1


@freeze_time("2026-03-01 10:00:00", tick=True)
def test_the_24_hour_rule_picks_text_inside_the_window_and_the_template_outside(factory, sender, fake_graph,
                                                                                 database_url):
    inside = seed_broadcast(factory, 2, prefix="98911", template="spring_sale")
    outside = seed_broadcast(factory, 2, prefix="98922", template="spring_sale", in_window=False)
    no_template = seed_broadcast(factory, 2, prefix="98933", in_window=False)
    with factory() as session:  # 23h59m ago is still inside; 24h01m ago is outside
        session.execute(update(Contact).where(Contact.wa_id == "989110000000")
                        .values(last_inbound_at=utcnow() - timedelta(hours=23, minutes=59)))
        session.execute(update(Contact).where(Contact.wa_id == "989220000000")
                        .values(last_inbound_at=utcnow() - timedelta(hours=24, minutes=1)))
        session.commit()

    make_processor(factory, sender, database_url).process_due(time_budget=20)

    kinds = {m["to"]: m["type"] for m in fake_graph.messages()}
    rows = all_rows(factory)
    for row in rows:
        if row.broadcast_id == inside:
            assert row.status == "sent"
        elif row.broadcast_id == outside:
            assert row.status == "sent"
        else:
            assert row.broadcast_id == no_template
            assert row.status == "skipped" and row.last_error_title == "outside the 24-hour window and no template"
    assert set(kinds.values()) <= {"text", "template"}
    assert [kinds[w] for w in ("989110000000", "989110000001")] == ["text", "text"]
    assert [kinds[w] for w in ("989220000000", "989220000001")] == ["template", "template"]
    assert not any(w.startswith("98933") for w in kinds)
    template = next(m for m in fake_graph.messages() if m["to"] == "989220000000")["template"]
    assert template == {"name": "spring_sale", "language": "en_US", "body_parameters": ["989220000000"]}


def test_a_131047_answer_falls_back_to_the_template_or_skips(factory, sender, fake_graph, database_url):
    with_template = seed_broadcast(factory, 1, prefix="98911", template="spring_sale")
    seed_broadcast(factory, 1, prefix="98922")
    fake_graph.fail_recipients(["989110000000"], 131047, attempts=1)
    fake_graph.fail_recipients(["989220000000"], 131047)

    make_processor(factory, sender, database_url).process_due(time_budget=20)

    [accepted] = fake_graph.messages()
    assert accepted["to"] == "989110000000" and accepted["type"] == "template"
    by_campaign = {row.broadcast_id: row for row in all_rows(factory)}
    assert by_campaign[with_template].status == "sent" and by_campaign[with_template].wamid == accepted["wamid"]
    skipped = next(row for b, row in by_campaign.items() if b != with_template)
    assert skipped.status == "skipped" and skipped.last_error_code == 131047
    assert fake_graph.stats()["total"] == 3  # text + template, and the one text: nothing retried


def test_transient_errors_on_30_percent_of_requests_still_end_with_everything_sent_once(
        factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 150)
    fake_graph.fail_random(0.3, status=503, seed=7)

    summary = make_processor(factory, sender, database_url, send_max_attempts=15, retry_base_seconds=0.02,
                             retry_max_seconds=0.2).process_due(time_budget=30)

    assert summary.retried > 20
    counts = fake_graph.counts()
    assert len(counts) == 150 and set(counts.values()) == {1}
    assert fake_graph.duplicates() == []
    assert rows_by_status(factory) == {"sent": 150}
    assert max(row.attempts for row in all_rows(factory)) > 1


def test_permanent_errors_fail_with_metas_code_and_title_and_are_never_retried(factory, sender, fake_graph,
                                                                                database_url):
    seed_broadcast(factory, 3)
    fake_graph.fail_recipients(["989120000001"], 131026)
    fake_graph.fail_recipients(["989120000002"], 131050)
    processor = make_processor(factory, sender, database_url, retry_base_seconds=0.01)

    processor.process_due(time_budget=10)
    processor.process_due(time_budget=10)
    processor.process_due(now=utcnow() + timedelta(days=1), time_budget=10)

    assert fake_graph.stats()["by_outcome"] == {"accepted": 1, "recipient_error": 2}
    rows = {row.contact_id: row for row in all_rows(factory)}
    with factory() as session:
        contacts = {c.wa_id: c for c in session.scalars(select(Contact))}
    undeliverable = rows[contacts["989120000001"].id]
    assert undeliverable.status == "failed" and undeliverable.last_error_code == 131026
    assert undeliverable.last_error_title == "Message Undeliverable" and undeliverable.failed_at is not None
    assert rows[contacts["989120000002"].id].last_error_code == 131050
    assert contacts["989120000002"].opted_out  # Meta says the user stopped marketing messages


def test_retryable_errors_back_off_exponentially_and_fail_after_the_last_attempt(factory, sender, fake_graph,
                                                                                   database_url):
    seed_broadcast(factory, 1)
    fake_graph.fail_recipients(["989120000000"], 131000)
    start = utcnow()
    with freeze_time(start) as frozen:
        processor = make_processor(factory, sender, database_url, send_max_attempts=3)
        delays = []
        for _attempt in range(3):
            processor.process_due(now=utcnow(), time_budget=10)
            [row] = all_rows(factory)
            if row.status != "pending":
                break
            delays.append((row.scheduled_at - utcnow()).total_seconds())
            frozen.move_to(row.scheduled_at)
    assert row.status == "failed" and row.attempts == 3 and row.last_error_code == 131000
    assert 2.5 <= delays[0] <= 5.0 and 5.0 <= delays[1] <= 10.0  # base 5 s, doubling, jitter in the upper half
    assert fake_graph.stats()["total"] == 3


def test_backoff_delay_doubles_with_jitter_and_is_capped():
    import random

    rng = random.Random(1)
    for attempt, ceiling in ((1, 5), (2, 10), (3, 20), (4, 40), (12, 900)):
        samples = [backoff_delay(attempt, rng) for _ in range(200)]
        assert ceiling / 2 <= min(samples) and max(samples) <= ceiling
        assert len(set(samples)) > 150  # jittered, so retries of a batch spread out


def test_the_message_rate_stays_under_whatsapp_max_mps(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 60)
    started = time.monotonic()
    summary = make_processor(factory, sender, database_url, whatsapp_max_mps=40).process_due(time_budget=20)
    elapsed = time.monotonic() - started
    assert summary.sent == 60
    stamps = sorted(m["timestamp"] for m in fake_graph.messages())
    span = stamps[-1] - stamps[0]
    # Arrival times carry the loaded machine's scheduling jitter: allow one message of it, never a burst.
    # (How close to the rate a run gets is the benchmarks' figure: a loaded machine only makes it slower.)
    assert (len(stamps) - 2) / span <= 42 and elapsed >= 1.4


def test_a_130429_answer_slows_the_processor_down():
    limiter = RateLimiter(100)
    limiter.slow_down()
    assert limiter.rate == 50
    started = time.monotonic()
    limiter.acquire()
    assert time.monotonic() - started >= 0.9  # a pause before the next send


def test_130429_from_the_api_halves_the_rate_and_the_row_is_retried(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 20)
    fake_graph.fail_next(1, status=429)
    processor = make_processor(factory, sender, database_url, whatsapp_max_mps=200, retry_base_seconds=0.05)

    summary = processor.process_due(time_budget=20)

    assert processor.limiter.rate < 200 and summary.retried == 1
    assert rows_by_status(factory) == {"sent": 20} and set(fake_graph.counts().values()) == {1}


def test_a_short_burst_to_one_recipient_goes_and_the_next_message_waits_its_turn(factory, sender, fake_graph,
                                                                                   database_url):
    seed_broadcast(factory, 1)
    with factory() as session:
        contact = session.scalars(select(Contact)).one()
        for number in range(PAIR_RATE_BURST):  # the broadcast and these: one more than the burst
            Scheduler(session).add(contact.id, body=f"reply {number}, same recipient", kind="reply")
        session.commit()
    processor = make_processor(factory, sender, database_url)

    summary = processor.process_due(now=utcnow(), time_budget=10)

    assert summary.sent == PAIR_RATE_BURST and summary.deferred == 1
    first_sent = min(row.sent_at for row in all_rows(factory) if row.status == "sent")
    [held] = [row for row in all_rows(factory) if row.status == "pending"]
    # The pacer counts the interval from the moment it booked the first send; sent_at is stamped after the
    # API's answer, which on a loaded machine came 0.4 s later (CI: 5.63 s). Not sent at once is what counts.
    assert held.attempts == 0 and (held.scheduled_at - first_sent).total_seconds() >= PAIR_RATE_INTERVAL - 1.0
    # Another run, which has nothing in memory, finds the earlier sends in the database and waits too.
    with factory() as session:
        session.execute(update(ScheduledMessage).where(ScheduledMessage.id == held.id).values(scheduled_at=utcnow()))
        session.commit()
    fresh = make_processor(factory, sender, database_url)
    assert fresh.process_due(now=utcnow(), time_budget=10).deferred == 1
    after_interval = make_processor(factory, sender, database_url, clock=lambda: utcnow() + timedelta(seconds=7))
    assert after_interval.process_due(now=utcnow() + timedelta(seconds=7), time_budget=10).sent == 1
    assert fake_graph.counts() == {contact.wa_id: PAIR_RATE_BURST + 1}


def test_opted_out_contacts_are_skipped_at_send_time(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 2)
    with factory() as session:
        session.execute(update(Contact).where(Contact.wa_id == "989120000001").values(opted_out=True))
        session.commit()
    make_processor(factory, sender, database_url).process_due(time_budget=10)
    assert list(fake_graph.counts()) == ["989120000000"]
    assert sorted(row.status for row in all_rows(factory)) == ["sent", "skipped"]


def test_rows_near_the_end_of_their_lease_are_handed_back_not_sent(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 10)
    processor = make_processor(factory, sender, database_url, whatsapp_max_mps=5, send_lease_seconds=2)

    summary = processor.process_due(time_budget=30)

    assert summary.released > 0  # up to 7 queued at 5/s: the last would start after lease - margin (1 s)
    assert set(fake_graph.counts().values()) == {1} and len(fake_graph.counts()) == 10
    assert rows_by_status(factory) == {"sent": 10}
    assert max(row.attempts for row in all_rows(factory)) == 1  # handing back is not an attempt


def test_dry_run_sends_are_recorded_as_such(factory, database_url):
    seed_broadcast(factory, 3)
    dry = DryRunSender()
    MessageProcessor(factory, dry, processor_config(database_url)).process_due(time_budget=10)
    assert len(dry.sent) == 3
    assert all(row.status == "sent" and row.dry_run and row.wamid.startswith("dryrun.") for row in all_rows(factory))


def test_send_now_sends_only_the_given_rows(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 3)
    ids = [row.id for row in all_rows(factory)]
    summary = make_processor(factory, sender, database_url).send_now([ids[1]])
    assert summary.sent == 1 and list(fake_graph.counts()) == ["989120000001"]
    assert [row.status for row in all_rows(factory)] == ["pending", "sent", "pending"]


def test_two_processors_in_parallel_send_every_message_exactly_once(engine, factory, fake_graph, database_url):
    seed_broadcast(factory, 400)
    summaries, errors = [], []
    start = threading.Barrier(2)

    def run() -> None:
        own_engine = create_engine_for(database_url)  # separate connections, as two hosts would have
        sender = fake_sender(fake_graph)
        try:
            processor = MessageProcessor(create_session_factory(own_engine), sender,
                                         processor_config(database_url, processor_batch_size=20), concurrency=20)
            start.wait()
            summaries.append(processor.process_due(time_budget=30))
        except Exception as error:  # reported below, with the thread's traceback lost otherwise
            errors.append(error)
        finally:
            sender.close()
            own_engine.dispose()

    fake_graph.set_latency(20)
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(s.sent for s in summaries) == 400 and all(s.sent > 0 for s in summaries)
    counts = fake_graph.counts()
    assert len(counts) == 400 and set(counts.values()) == {1}
    assert rows_by_status(factory) == {"sent": 400}
    assert len({row.claimed_by for row in all_rows(factory)}) == 2


class StatusBeatsTheRecord:
    """The real sender; as soon as Meta accepts a message, its `delivered` webhook is stored
    through ingestion — before the processor has recorded the send (it records in batches)."""

    def __init__(self, sender, factory) -> None:
        self.sender, self.factory = sender, factory

    def send_text(self, to: str, *args, **kwargs):
        from inbound.ingestion import Ingestor
        from inbound.sample_payloads import status_envelope, status_item

        result = self.sender.send_text(to, *args, **kwargs)
        if result.ok:
            with self.factory() as session:
                Ingestor(session).ingest(status_envelope(status_item(result.wamid, "delivered", to)))
                session.commit()
        return result

    def __getattr__(self, name: str):
        return getattr(self.sender, name)


def test_statuses_stored_before_the_send_was_recorded_still_move_the_rows(factory, sender, fake_graph, database_url):
    seed_broadcast(factory, 30)
    summary = make_processor(factory, StatusBeatsTheRecord(sender, factory), database_url).process_due(time_budget=20)
    assert summary.sent == 30
    rows = all_rows(factory)
    assert {row.status for row in rows} == {"delivered"} and all(row.delivered_at for row in rows)
