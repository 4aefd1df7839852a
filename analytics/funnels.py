"""Each campaign's delivery funnel: how many of its rows reached each stage, failures by code, replies.

A row's status counts towards every stage it has passed (`FUNNEL_STAGES`); a campaign row
counts as replied when its contact wrote back after the send. Rates are over "sent".
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

import database_models as models
from analytics.scope import CAMPAIGNS, LIVE_INBOUND, MESSAGES, QUEUE, Window, instant, ratio

BROADCASTS_LISTED = 50
RATES = ("delivered", "read", "replied", "failed")  # each over "sent"
# A campaign row's status counts towards every stage it has passed.
FUNNEL_STAGES = {
    "sent": (models.SENT, models.DELIVERED, models.READ), "delivered": (models.DELIVERED, models.READ),
    "read": (models.READ,), "failed": (models.FAILED,), "skipped": (models.SKIPPED,), "unknown": (models.UNKNOWN,),
    "pending": (models.PENDING, models.SENDING, models.PAUSED),
}


def campaign_funnels(session: Session, window: Window) -> list[dict[str, Any]]:
    """The latest campaigns scheduled in `window`: each one's funnel, failures by error code and rates."""
    campaigns = session.execute(
        select(CAMPAIGNS.id, CAMPAIGNS.name, CAMPAIGNS.status, CAMPAIGNS.scheduled_at, CAMPAIGNS.completed_at,
               CAMPAIGNS.recipient_count)
        .where(*window.where(CAMPAIGNS.scheduled_at))
        .order_by(CAMPAIGNS.scheduled_at.desc(), CAMPAIGNS.id.desc()).limit(BROADCASTS_LISTED)).all()
    ids = [row.id for row in campaigns]
    if not ids:
        return []
    of_campaigns = QUEUE.broadcast_id.in_(ids)
    statuses: dict[int, dict[str, int]] = {broadcast_id: {} for broadcast_id in ids}
    for broadcast_id, status, number in session.execute(
            select(QUEUE.broadcast_id, QUEUE.status, func.count()).where(of_campaigns)
            .group_by(QUEUE.broadcast_id, QUEUE.status)):
        statuses[broadcast_id][status] = number
    failed_by_code: dict[int, dict[str, int]] = {broadcast_id: {} for broadcast_id in ids}
    for broadcast_id, code, number in session.execute(
            select(QUEUE.broadcast_id, QUEUE.last_error_code, func.count())
            .where(of_campaigns, QUEUE.status == models.FAILED)
            .group_by(QUEUE.broadcast_id, QUEUE.last_error_code).order_by(QUEUE.broadcast_id, func.count().desc())):
        failed_by_code[broadcast_id][str(code) if code is not None else "unknown"] = number
    wrote_back = exists().where(MESSAGES.contact_id == QUEUE.contact_id, MESSAGES.received_at > QUEUE.sent_at,
                                *LIVE_INBOUND)
    replied = dict(session.execute(
        select(QUEUE.broadcast_id, func.count()).where(of_campaigns, QUEUE.sent_at.is_not(None), wrote_back)
        .group_by(QUEUE.broadcast_id)).all())
    funnels = []
    for campaign in campaigns:
        counts = statuses[campaign.id]
        funnel = {stage: sum(counts.get(status, 0) for status in stage_statuses)
                  for stage, stage_statuses in FUNNEL_STAGES.items()}
        funnel["replied"] = replied.get(campaign.id, 0)
        funnels.append({
            "id": campaign.id, "name": campaign.name, "status": campaign.status,
            "scheduled_at": instant(campaign.scheduled_at),
            "completed_at": instant(campaign.completed_at),
            "recipients": campaign.recipient_count,
            **funnel, "failed_by_code": failed_by_code[campaign.id],
            "rates": {key: ratio(funnel[key], funnel["sent"]) for key in RATES},
        })
    return funnels
