"""Recording a run's outcomes: one transaction per group, then the statuses that raced the sends.

`MessageProcessor` calls `record_outcomes` for each group of outcomes it has collected;
a row handed back, deferred, retried, skipped or failed is written here, and a send
refused for a marketing opt-out marks its contact opted out.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database_models import SKIPPED, UNKNOWN, Contact
from integrations import events as outbound_webhooks
from outbound.outcomes import Outcome
from runtime.metrics import record_send
from scheduler import Scheduler, SentRecord, stored_statuses
from whatsapp_service import MARKETING_OPT_OUT

logger = logging.getLogger("outbound.processor")  # its lines keep the processor's logger name


def record_outcomes(session_factory: sessionmaker[Session], outcomes: list[Outcome], now: datetime,
                    worker: str) -> None:
    """Commit what became of `outcomes` (claimed by `worker`) in one transaction, then count them."""
    with session_factory() as session:
        scheduler = Scheduler(session)
        scheduler.record_rendered([(o.row_id, *o.rendered) for o in outcomes
                                   if o.rendered is not None and o.action not in ("released", "deferred")])
        scheduler.mark_sent_many([SentRecord(o.row_id, o.result.wamid, o.at or now, o.result.dry_run)
                                  for o in outcomes if o.action == "sent"], worker)
        handed_back = [o.row_id for o in outcomes if o.action == "released"]
        scheduler.release(handed_back, worker_id=worker)
        for outcome in outcomes:
            result = outcome.result
            if outcome.action == "retry":
                scheduler.mark_retry(outcome.row_id, outcome.retry_at, result.error_code, result.error_title,
                                     worker_id=worker)
            elif outcome.action == "deferred":
                scheduler.release([outcome.row_id], worker_id=worker, at=outcome.retry_at)
            elif outcome.action in ("skipped", "unknown"):
                scheduler.mark_failed(outcome.row_id, now, result.error_code if result else None,
                                      outcome.reason, status=SKIPPED if outcome.action == "skipped" else UNKNOWN,
                                      worker_id=worker)
            elif outcome.action == "failed":
                scheduler.mark_failed(outcome.row_id, outcome.at or now, result.error_code, result.error_title,
                                      worker_id=worker)
                if result.error_code == MARKETING_OPT_OUT and outcome.recipient:
                    outbound_webhooks.contacts_opting_out(session, or_(
                        Contact.wa_id == outcome.recipient, Contact.user_id == outcome.recipient), "whatsapp")
                    session.execute(update(Contact).where(or_(Contact.wa_id == outcome.recipient,
                                                             Contact.user_id == outcome.recipient))
                                    .values(opted_out=True, opted_out_at=now))
        session.commit()
    for outcome in outcomes:
        if outcome.action != "released":
            record_send(outcome.action, outcome.result.error_code if outcome.result else None, outcome.seconds)
    sent_at = {o.result.wamid: o.at or now for o in outcomes if o.action == "sent"}
    if sent_at:
        apply_early_statuses(session_factory, sent_at)


def apply_early_statuses(session_factory: sessionmaker[Session], sent_at: dict[str, datetime]) -> None:
    """Apply the statuses that arrived before these sends were recorded (wamid -> sent at)."""
    # After the recording's commit, so a status that raced it is seen (Scheduler.apply_early_statuses).
    # The look-up is one autocommitted SELECT; a transaction only when a status beat the record.
    # The sends are recorded already: a failure here must not stop the run, only be seen.
    try:
        with session_factory() as session:  # no I/O: only to learn the engine
            engine = session.get_bind()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            early = stored_statuses(connection, sent_at)
        if early:
            with session_factory() as session:
                Scheduler(session).apply_stored_statuses(early, sent_at)
                session.commit()
    except SQLAlchemyError:
        logger.exception("statuses that arrived before %d recorded sends were not applied", len(sent_at),
                         extra={"event": "processor.early_status_error"})
