"""Where a campaign stands, driven by its queue rows: scheduled → sending → completed.

The claim that takes a campaign's first row moves it to `sending` (`start_campaigns`,
inside the claim's transaction). When no row of it is pending, sending or paused any
more (UNFINISHED_STATUSES; a retry waits in pending) the processor moves it to
`completed` with the time its last row was settled (`complete_finished_campaigns`).
`unknown` rows count as settled: the processor never touches them again, only an
operator's `resend_unknown`, which makes the campaign `sending` again. Paused and
cancelled campaigns keep the operator's status.

Every change is one conditional UPDATE, so two processors racing on one campaign
change it once (PostgreSQL re-checks the condition on the row it waited for; SQLite
runs one writer at a time). The completion check must run after the outcomes it follows
are committed: inside their transaction it could not see another processor's, and each
would leave the campaign open for the other.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, literal, select, update
from sqlalchemy.orm import Session

from database_models import (
    CAMPAIGN_COMPLETED,
    CAMPAIGN_SCHEDULED,
    CAMPAIGN_SENDING,
    UNFINISHED_STATUSES,
    Broadcast,
    ScheduledMessage,
)
from integrations import events as outbound_webhooks

_campaigns = Broadcast.__table__
_rows = ScheduledMessage.__table__
# What the processor may complete: `scheduled` too, for a campaign whose claim could not
# mark it (see start_campaigns) or whose rows all went some other way.
OPEN_STATUSES = (CAMPAIGN_SCHEDULED, CAMPAIGN_SENDING)
# What a claim moves to `sending`: `completed` too, when an operator requeued its unknown rows.
STARTABLE_STATUSES = (CAMPAIGN_SCHEDULED, CAMPAIGN_COMPLETED)


def _unfinished_rows() -> Any:
    """EXISTS a row of the (correlated) campaign that still has a send ahead of it: index `(broadcast_id, status)`."""
    return exists().where(_rows.c.broadcast_id == _campaigns.c.id, _rows.c.status.in_(UNFINISHED_STATUSES))


def _last_settled_at() -> Any:
    """When the (correlated) campaign's last row was settled: sent, failed, or skipped / cancelled / unknown."""
    settled = func.coalesce(_rows.c.sent_at, _rows.c.failed_at, _rows.c.updated_at)
    return select(func.max(settled)).where(_rows.c.broadcast_id == _campaigns.c.id).scalar_subquery()


def start_campaigns(session: Session, campaign_ids: Iterable[int], now: datetime) -> None:
    """Mark these campaigns `sending` (their rows were just claimed), unless paused or cancelled meanwhile."""
    ids = sorted(set(campaign_ids))
    if not ids:
        return
    starting = select(_campaigns.c.id).where(_campaigns.c.id.in_(ids), _campaigns.c.status.in_(STARTABLE_STATUSES))
    if session.get_bind().dialect.name == "postgresql":
        # SKIP LOCKED: the claim already holds queue rows, and pause/cancel lock the campaign
        # before its rows, so waiting here could deadlock. Whoever holds the lock decides
        # the status; a campaign left `scheduled` still completes (OPEN_STATUSES).
        starting = starting.with_for_update(skip_locked=True)
    session.execute(
        update(_campaigns)
        .where(_campaigns.c.id.in_(starting), _campaigns.c.status.in_(STARTABLE_STATUSES))
        .values(status=CAMPAIGN_SENDING, completed_at=None, updated_at=now)
    )


def complete_finished_campaigns(session: Session, now: datetime,
                                campaign_ids: Iterable[int] | None = None) -> list[int]:
    """Move open campaigns with no unfinished row to `completed`; returns their ids.

    One UPDATE for all of them: three index probes per campaign, and the aggregate of the
    completion time only for a campaign that completes. None checks every open campaign.
    """
    settled_at = func.coalesce(_last_settled_at(), literal(now, _campaigns.c.completed_at.type))
    statement = (
        update(_campaigns)
        .where(_campaigns.c.status.in_(OPEN_STATUSES), ~_unfinished_rows())
        .values(status=CAMPAIGN_COMPLETED, completed_at=settled_at, updated_at=now)
        .returning(_campaigns.c.id)
    )
    if campaign_ids is not None:
        ids = sorted(set(campaign_ids))
        if not ids:
            return []
        statement = statement.where(_campaigns.c.id.in_(ids))
    completed = sorted(session.scalars(statement))
    outbound_webhooks.broadcasts_completed(session, completed)
    return completed


def finished_campaign_left_open() -> Any:
    """EXISTS an open campaign with nothing left to send (a run died before completing it)."""
    return exists().where(_campaigns.c.status.in_(OPEN_STATUSES), ~_unfinished_rows())
