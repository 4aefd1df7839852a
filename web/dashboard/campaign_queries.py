"""What the campaign pages read: campaigns a page at a time, one campaign's funnel, its recipients, its CSV.

Every query is bounded and walks an index: the list pages over `broadcasts.id`; a campaign's
figures are `campaigns.reports.build_report` (grouped counts over `(broadcast_id, status)`);
its recipients page by keyset over the unique `(broadcast_id, contact_id)` index, so page
200 of a 100,000-recipient campaign costs what page 1 does (bench/campaign_pages.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from analytics.funnels import FUNNEL_STAGES
from campaigns.reports import BroadcastReport
from database_models import QUEUE_STATUSES, UNFINISHED_STATUSES, Broadcast, Contact, ScheduledMessage

CAMPAIGNS_PER_PAGE = 20
RECIPIENTS_PER_PAGE = 50
FUNNEL = ("queued", "sent", "delivered", "read", "replied", "failed", "skipped")
_rows = ScheduledMessage.__table__.c


@dataclass
class CampaignRow:
    """One line of the campaigns list."""

    campaign: Broadcast
    counts: dict[str, int]

    @property
    def settled(self) -> int:
        """Rows with nothing left to send (sent, failed, skipped, cancelled, unknown…)."""
        return sum(count for status, count in self.counts.items() if status not in UNFINISHED_STATUSES)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def progress(self) -> int:
        """Percent of the campaign's rows settled."""
        return round(100 * self.settled / self.total) if self.total else 0


def campaigns_page(session: Session, page: int) -> tuple[list[CampaignRow], bool]:
    """Campaigns newest first, `page` (1-based) of CAMPAIGNS_PER_PAGE; and whether another page follows."""
    campaigns = list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc())
                                     .offset((page - 1) * CAMPAIGNS_PER_PAGE).limit(CAMPAIGNS_PER_PAGE + 1)))
    more = len(campaigns) > CAMPAIGNS_PER_PAGE
    campaigns = campaigns[:CAMPAIGNS_PER_PAGE]
    counts = {campaign.id: dict.fromkeys(QUEUE_STATUSES, 0) for campaign in campaigns}
    if campaigns:
        for broadcast_id, status, count in session.execute(
                select(_rows.broadcast_id, _rows.status, func.count()).where(_rows.broadcast_id.in_(list(counts)))
                .group_by(_rows.broadcast_id, _rows.status)):
            counts[broadcast_id][status] = count
    return [CampaignRow(campaign, counts[campaign.id]) for campaign in campaigns], more


def funnel(report: BroadcastReport) -> dict[str, int]:
    """Queued, sent, delivered, read, replied, failed, skipped: each stage counts every row that passed it."""
    stages = {stage: sum(report.counts.get(status, 0) for status in statuses)
              for stage, statuses in FUNNEL_STAGES.items()}
    return {"queued": sum(report.counts.values()), "sent": stages["sent"], "delivered": stages["delivered"],
            "read": stages["read"], "replied": report.replied, "failed": stages["failed"],
            "skipped": stages["skipped"]}


def _recipients_query(broadcast_id: int, search: str, status: str) -> Any:
    query = (select(_rows.contact_id, _rows.status, _rows.sent_at, _rows.delivered_at, _rows.read_at,
                    _rows.failed_at, _rows.last_error_code, _rows.last_error_title, _rows.template_name,
                    _rows.body, _rows.updated_at, Contact.display_name.label("name"),
                    Contact.handle.label("handle"),
                    Contact.identifier.label("identifier"))
             .join(Contact, Contact.id == _rows.contact_id).where(_rows.broadcast_id == broadcast_id))
    if status in QUEUE_STATUSES:
        query = query.where(_rows.status == status)
    needle = search.strip()
    if needle:
        query = query.where(or_(func.lower(Contact.name).contains(needle.lower(), autoescape=True),
                                func.lower(Contact.profile_name).contains(needle.lower(), autoescape=True),
                                Contact.wa_id.contains(needle.lstrip("+"), autoescape=True),
                                Contact.user_id.contains(needle, autoescape=True),
                                func.lower(Contact.username).contains(needle.lstrip("@").lower(), autoescape=True)))
    return query.order_by(_rows.contact_id)


def recipients_page(session: Session, broadcast_id: int, *, search: str = "", status: str = "",
                    after: int = 0) -> tuple[list[Any], int | None]:
    """RECIPIENTS_PER_PAGE rows after contact id `after`, and the `after` of the next page (None: last page)."""
    query = _recipients_query(broadcast_id, search, status).where(_rows.contact_id > after)
    rows = list(session.execute(query.limit(RECIPIENTS_PER_PAGE + 1)))
    more = len(rows) > RECIPIENTS_PER_PAGE
    rows = rows[:RECIPIENTS_PER_PAGE]
    return rows, (rows[-1].contact_id if more else None)


EXPORT_HEADER = ("contact", "name", "status", "sent_at", "delivered_at", "read_at", "failed_at", "error_code",
                 "error_title", "sent_as")


def export_rows(session: Session, broadcast_id: int, search: str = "", status: str = "") -> Iterator[list[Any]]:
    """Every (filtered) recipient's result as CSV cells: one query, streamed 5,000 rows at a time."""
    query = _recipients_query(broadcast_id, search, status).execution_options(yield_per=5000)
    for row in session.execute(query):
        yield [row.identifier, row.name or "", row.status, _iso(row.sent_at), _iso(row.delivered_at),
               _iso(row.read_at), _iso(row.failed_at), row.last_error_code or "", row.last_error_title or ""]


def _iso(moment: Any) -> str:
    return moment.isoformat() if moment is not None else ""
