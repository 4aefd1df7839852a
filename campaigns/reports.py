"""What happened to a campaign: counts by status, failures by Meta's code, skips by reason, replies.

Every figure is one aggregate query over `scheduled_messages` filtered by broadcast id
(index `(broadcast_id, status)`); replies join `received_messages` on
`(contact_id, received_at)`. Status webhooks move rows forward, so a report read later
shows delivered and read where an earlier one showed sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import exists, false, func, select
from sqlalchemy.orm import Session

from database_models import (
    DIRECTION_IN,
    FAILED,
    QUEUE_STATUSES,
    SKIPPED,
    UNKNOWN,
    Broadcast,
    Contact,
    ReceivedMessageLog,
    ScheduledMessage,
)

UNKNOWN_LISTED = 50
# A reply is a customer's live message: not the business's own app echoes (direction 'out') nor
# history imported by a coexistence sync, which the thread keeps but the customer did not just send.
LIVE_REPLY = (ReceivedMessageLog.direction == DIRECTION_IN, ReceivedMessageLog.imported == false())


@dataclass
class BroadcastReport:
    """One campaign's delivery report."""

    broadcast_id: int
    name: str
    status: str
    scheduled_at: datetime
    recipients: int
    exclusions: dict[str, int]
    counts: dict[str, int]
    completed_at: datetime | None = None
    failed_by_code: dict[str, dict[str, Any]] = field(default_factory=dict)
    skipped_by_reason: dict[str, int] = field(default_factory=dict)
    replied: int = 0
    unconfirmed: int = 0
    resent_unconfirmed: int = 0
    unknown_recipients: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict."""
        data = dict(vars(self))
        data["scheduled_at"] = self.scheduled_at.isoformat()
        data["completed_at"] = self.completed_at.isoformat() if self.completed_at else None
        return data


def _status_counts(session: Session, broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {broadcast_id: dict.fromkeys(QUEUE_STATUSES, 0)
                                         for broadcast_id in broadcast_ids}
    rows = session.execute(
        select(ScheduledMessage.broadcast_id, ScheduledMessage.status, func.count())
        .where(ScheduledMessage.broadcast_id.in_(broadcast_ids))
        .group_by(ScheduledMessage.broadcast_id, ScheduledMessage.status)
    )
    for broadcast_id, status, count in rows:
        counts[broadcast_id][status] = count
    return counts


def build_report(session: Session, broadcast_id: int) -> BroadcastReport | None:
    """Counts by status (pending … unknown), failures by code, skips by reason, replies; None if no such campaign."""
    broadcast = session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return None
    rows = ScheduledMessage.__table__.c
    of_campaign = rows.broadcast_id == broadcast_id
    failed = {
        str(code): {"title": title, "count": count}
        for code, title, count in session.execute(
            select(rows.last_error_code, func.max(rows.last_error_title), func.count())
            .where(of_campaign, rows.status == FAILED).group_by(rows.last_error_code)
        )
    }
    skipped = dict(session.execute(
        select(rows.last_error_title, func.count()).where(of_campaign, rows.status == SKIPPED)
        .group_by(rows.last_error_title)
    ).all())
    replied = session.execute(
        select(func.count()).where(of_campaign, rows.sent_at.is_not(None), exists().where(
            ReceivedMessageLog.contact_id == rows.contact_id, ReceivedMessageLog.received_at > rows.sent_at,
            *LIVE_REPLY))
    ).scalar_one()
    unconfirmed = dict(session.execute(
        select(rows.status == UNKNOWN, func.count()).where(of_campaign, rows.unconfirmed_sends > 0)
        .group_by(rows.status == UNKNOWN)
    ).all())
    unknown_recipients = list(session.scalars(
        select(Contact.identifier).join(ScheduledMessage, ScheduledMessage.contact_id == Contact.id)
        .where(of_campaign, rows.status == UNKNOWN).order_by(rows.id).limit(UNKNOWN_LISTED)
    ))
    return BroadcastReport(
        broadcast_id=broadcast.id, name=broadcast.name, status=broadcast.status, scheduled_at=broadcast.scheduled_at,
        completed_at=broadcast.completed_at, recipients=broadcast.recipient_count,
        exclusions=dict(broadcast.exclusions or {}),
        counts=_status_counts(session, [broadcast_id])[broadcast_id], failed_by_code=failed,
        skipped_by_reason={str(reason): count for reason, count in skipped.items()}, replied=replied,
        unconfirmed=sum(unconfirmed.values()), resent_unconfirmed=unconfirmed.get(False, 0),
        unknown_recipients=unknown_recipients,
    )


def list_broadcasts(session: Session, limit: int = 50) -> list[tuple[Broadcast, dict[str, int]]]:
    """The latest campaigns with their rows counted by status."""
    broadcasts = list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))
    counts = _status_counts(session, [b.id for b in broadcasts]) if broadcasts else {}
    return [(broadcast, counts[broadcast.id]) for broadcast in broadcasts]
