"""Campaigns: audience selection, one personalised queue row per recipient, lifecycle, reports.

Placeholders are checked when a campaign is scheduled, so a typo refuses it (nothing is
written) instead of sending "Hello {nmae}" to everyone. Each recipient's row is written
(multi-row INSERTs) with a preview rendered from the contact as it is then; the
processor renders the campaign's text and template parameters again when it sends, from
the contact's current name and attributes (`message_processor`), so a name corrected or
a profile that arrived in between is used, and the row keeps what was really sent.

Lifecycle: scheduled → sending (the processor claimed a first row) → completed (no row
left pending, sending or paused; `completed_at`), driven by the processor
(`campaign_lifecycle`); paused and cancelled by an operator. `unknown` rows (a crashed send) do not
hold a campaign open: they wait for an operator, and `resend_unknown` reopens it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import IO, Any
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, exists, func, insert, select
from sqlalchemy.orm import Session

from campaigns.contacts import ContactError, ImportReport, import_contacts_csv, normalize_wa_id, parse_tags
from campaigns.lifecycle import complete_finished_campaigns
from campaigns.personalisation import (
    PlaceholderError,
    UnknownPlaceholderError,
    compile_message,
    contact_fields,
    validate_placeholders,
)
from campaigns.reports import BroadcastReport, build_report, list_broadcasts
from database_models import (
    CAMPAIGN_CANCELLED,
    CAMPAIGN_COMPLETED,
    CAMPAIGN_PAUSED,
    CAMPAIGN_SCHEDULED,
    CAMPAIGN_SENDING,
    CANCELLED,
    PAUSED,
    PENDING,
    UNKNOWN,
    Broadcast,
    Contact,
    ContactTag,
    ScheduledMessage,
    utcnow,
)
from outbound.processor import MessageProcessor, ProcessSummary
from scheduler import Scheduler

logger = logging.getLogger(__name__)

__all__ = ["Audience", "BroadcastError", "BroadcastReport", "PlaceholderError", "ScheduleReport", "TemplateSpec",
           "UnknownPlaceholderError", "broadcast_report", "cancel_broadcast", "list_broadcasts", "pause_broadcast",
           "process_pending_broadcasts", "resend_unknown", "resume_broadcast", "schedule_broadcast"]

MAX_TEXT_LENGTH = 4096  # the Cloud API's limit for a text body
PAST_TOLERANCE = timedelta(minutes=5)
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z]{2,4})?$")


class BroadcastError(ValueError):
    """A campaign that cannot be created or changed; the message says why."""


@dataclass(frozen=True)
class TemplateSpec:
    """An approved template: its name, language code and body parameters as `field` or `field|fallback`."""

    name: str
    language: str
    params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Audience:
    """Who a campaign goes to: everyone, contacts with any/all of some tags, or a list of numbers."""

    kind: str
    tags: tuple[str, ...] = ()
    match_all: bool = False
    numbers: tuple[str, ...] = ()

    @classmethod
    def everyone(cls) -> Audience:
        """All contacts."""
        return cls("all")

    @classmethod
    def with_tags(cls, tags: Iterable[str], match_all: bool = False) -> Audience:
        """Contacts having any (or, with `match_all`, all) of `tags`."""
        cleaned = tuple(parse_tags(list(tags)))
        if not cleaned:
            raise BroadcastError("a tag audience needs at least one tag")
        return cls("tags", tags=cleaned, match_all=match_all)

    @classmethod
    def of_numbers(cls, numbers: Iterable[str]) -> Audience:
        """These numbers, in any common notation (contacts are created for new ones)."""
        return cls("numbers", numbers=tuple(str(n) for n in numbers))

    def describe(self) -> dict[str, Any]:
        """A JSON-ready description stored with the campaign."""
        if self.kind == "tags":
            return {"kind": "tags", "tags": list(self.tags), "match": "all" if self.match_all else "any"}
        if self.kind == "numbers":
            return {"kind": "numbers", "count": len(self.numbers)}
        return {"kind": "all"}


@dataclass
class ScheduleReport:
    """What scheduling did: the campaign, its recipients and every kind of exclusion."""

    broadcast_id: int
    scheduled_at: datetime
    recipients: int
    excluded: dict[str, int] = field(default_factory=dict)
    contacts_created: int = 0
    missing_values: dict[str, int] = field(default_factory=dict)


# --- scheduling -----------------------------------------------------------------------

def resolve_send_time(at: datetime | None, timezone: str, now: datetime) -> datetime:
    """`at` in UTC (a naive time is in `timezone`); now when None; refuses the past."""
    if at is None:
        return now
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(timezone))
    at = at.astimezone(UTC)
    if at < now - PAST_TOLERANCE:
        raise BroadcastError(f"send time {at:%Y-%m-%d %H:%M} UTC is in the past; leave it out to send now")
    return at


def schedule_broadcast(session: Session, *, name: str, audience: Audience, body: str | None = None,
                       template: TemplateSpec | None = None, send_at: datetime | None = None,
                       timezone: str = "Asia/Tehran", now: datetime | None = None) -> ScheduleReport:
    """Create a campaign and one queue row per eligible recipient (bulk inserts); the caller commits."""
    now = now or utcnow()
    _check_content(name, body, template)
    validate_placeholders(session, body, template.params if template else ())
    scheduled_at = resolve_send_time(send_at, timezone, now)
    excluded = {"opted_out": 0, "duplicate": 0, "invalid_number": 0}
    contacts_created = 0
    if audience.kind == "numbers":
        wa_ids, contacts_created = _numbers_audience(session, audience.numbers, excluded)
        rows = _contacts_by_wa_id(session, wa_ids)
    else:
        rows = session.execute(_audience_query(audience)).all()
    eligible = [row for row in rows if not row.opted_out]
    excluded["opted_out"] = len(rows) - len(eligible)
    if not eligible:
        raise BroadcastError(f"the audience has no eligible recipients (excluded: {_describe(excluded)})")
    broadcast = Broadcast(name=name.strip(), body=body, template_name=template.name if template else None,
                          template_language=template.language if template else None,
                          template_params=list(template.params) if template else None,
                          audience=audience.describe(), scheduled_at=scheduled_at, status=CAMPAIGN_SCHEDULED,
                          recipient_count=len(eligible), exclusions=excluded)
    session.add(broadcast)
    session.flush()
    missing: dict[str, int] = {}
    Scheduler(session).add_many(_queue_rows(broadcast, eligible, scheduled_at, missing))
    logger.info("broadcast scheduled", extra={"event": "broadcast.scheduled", "broadcast_id": broadcast.id,
                                              "recipients": len(eligible), "excluded": excluded})
    return ScheduleReport(broadcast.id, scheduled_at, len(eligible), excluded, contacts_created, missing)


def audience_from_csv(session: Session, file_obj: IO[str] | IO[bytes]) -> tuple[Audience, ImportReport]:
    """Import a contacts CSV and target exactly its valid rows (repeated lines count as duplicates)."""
    report = import_contacts_csv(session, file_obj)
    return Audience.of_numbers(report.wa_ids + report.duplicates), report


def _check_content(name: str, body: str | None, template: TemplateSpec | None) -> None:
    if not name or not name.strip() or len(name.strip()) > 200:
        raise BroadcastError("a campaign needs a name of 1–200 characters")
    if not (body and body.strip()) and template is None:
        raise BroadcastError("a campaign needs a text body or a template")
    if body is not None and len(body) > MAX_TEXT_LENGTH:
        raise BroadcastError(f"the text is longer than {MAX_TEXT_LENGTH} characters")
    if template is not None:
        if not template.name.strip():
            raise BroadcastError("the template needs a name")
        if not _LANGUAGE.match(template.language or ""):
            raise BroadcastError(f"template language {template.language!r} is not a code like 'fa' or 'en_US'")


def _audience_query(audience: Audience) -> Any:
    query = select(Contact.id, Contact.identifier.label("wa_id"), Contact.display_name.label("name"),
                   Contact.attributes, Contact.opted_out)
    if audience.kind == "tags" and audience.match_all:
        having_all = (select(ContactTag.contact_id).where(ContactTag.tag.in_(audience.tags))
                      .group_by(ContactTag.contact_id)
                      .having(func.count(distinct(ContactTag.tag)) == len(audience.tags)))
        query = query.where(Contact.id.in_(having_all))
    elif audience.kind == "tags":
        query = query.where(exists().where(ContactTag.contact_id == Contact.id, ContactTag.tag.in_(audience.tags)))
    elif audience.kind != "all":
        raise BroadcastError(f"unknown audience kind {audience.kind!r}")
    return query.order_by(Contact.id)


def _numbers_audience(session: Session, numbers: Sequence[str], excluded: dict[str, int]) -> tuple[list[str], int]:
    """Normalised, de-duplicated numbers; contacts are created for new ones."""
    wa_ids: dict[str, None] = {}
    for raw in numbers:
        try:
            wa_id = normalize_wa_id(raw)
        except ContactError:
            excluded["invalid_number"] += 1
            continue
        if wa_id in wa_ids:
            excluded["duplicate"] += 1
        wa_ids[wa_id] = None
    known: set[str] = set()
    ordered = list(wa_ids)
    for start in range(0, len(ordered), 1000):
        chunk = ordered[start:start + 1000]
        known.update(session.scalars(select(Contact.wa_id).where(Contact.wa_id.in_(chunk))))
    new = [wa_id for wa_id in ordered if wa_id not in known]
    if new:
        now = utcnow()
        session.execute(insert(Contact.__table__), [{"wa_id": wa_id, "attributes": {}, "opted_out": False,
                                                     "created_at": now, "updated_at": now} for wa_id in new])
    return ordered, len(new)


def _contacts_by_wa_id(session: Session, wa_ids: Sequence[str]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(wa_ids), 1000):
        chunk = wa_ids[start:start + 1000]
        query = select(Contact.id, Contact.wa_id, Contact.display_name.label("name"), Contact.attributes,
                       Contact.opted_out)
        rows.extend(session.execute(query.where(Contact.wa_id.in_(chunk)).order_by(Contact.id)))
    return rows


def _queue_rows(broadcast: Broadcast, contacts: Sequence[Any], scheduled_at: datetime,
                missing: dict[str, int]) -> Iterator[dict[str, Any]]:
    """One queue row per contact with its preview (rendered again at send time); each text is parsed once."""
    render_body = compile_message(broadcast.body) if broadcast.body else None
    render_params = [compile_message("{" + spec + "}") for spec in broadcast.template_params or []]
    common = {"broadcast_id": broadcast.id, "kind": "broadcast", "scheduled_at": scheduled_at,
              "template_name": broadcast.template_name, "template_language": broadcast.template_language}
    for contact in contacts:
        fields = contact_fields(contact.wa_id, contact.name, contact.attributes)
        yield common | {
            "contact_id": contact.id,
            "body": render_body(fields, missing) if render_body else None,
            "template_params": [render(fields, missing) for render in render_params] or None,
        }


def _describe(excluded: Mapping[str, int]) -> str:
    return ", ".join(f"{count} {kind.replace('_', ' ')}" for kind, count in excluded.items() if count) or "none"


# --- pause, resume, cancel, process -----------------------------------------------------

def _campaign(session: Session, broadcast_id: int) -> Broadcast:
    query = select(Broadcast).where(Broadcast.id == broadcast_id).execution_options(populate_existing=True)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()  # serialise with other pause/resume/cancel calls
    broadcast = session.scalars(query).first()
    if broadcast is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    return broadcast


def pause_broadcast(session: Session, broadcast_id: int) -> int:
    """Hold every unclaimed row of a campaign; returns how many were paused."""
    broadcast = _campaign(session, broadcast_id)
    if broadcast.status in (CAMPAIGN_CANCELLED, CAMPAIGN_COMPLETED):
        raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status}")
    broadcast.status = CAMPAIGN_PAUSED
    session.flush()
    return Scheduler(session).set_status_for_broadcast(broadcast_id, (PENDING,), PAUSED)


def resume_broadcast(session: Session, broadcast_id: int) -> int:
    """Release a paused campaign's rows; returns how many are pending again.

    The campaign is `sending` again if some row already left the queue, else `scheduled`;
    with nothing left to send it is completed at once.
    """
    broadcast = _campaign(session, broadcast_id)
    if broadcast.status in (CAMPAIGN_CANCELLED, CAMPAIGN_COMPLETED):
        raise BroadcastError(f"broadcast {broadcast_id} is {broadcast.status}")
    scheduler = Scheduler(session)
    moved = scheduler.set_status_for_broadcast(broadcast_id, (PAUSED,), PENDING)
    rows = ScheduledMessage.__table__.c
    started = session.execute(select(exists().where(
        rows.broadcast_id == broadcast_id, rows.status.not_in((PENDING, PAUSED, CANCELLED))))).scalar()
    broadcast.status = CAMPAIGN_SENDING if started else CAMPAIGN_SCHEDULED
    session.flush()
    complete_finished_campaigns(session, utcnow(), [broadcast_id])
    session.refresh(broadcast)
    return moved


def cancel_broadcast(session: Session, broadcast_id: int) -> int:
    """Stop every row not yet claimed (pending or paused); returns how many were cancelled."""
    broadcast = _campaign(session, broadcast_id)
    if broadcast.status == CAMPAIGN_COMPLETED:
        raise BroadcastError(f"broadcast {broadcast_id} is completed; nothing is left to cancel")
    broadcast.status = CAMPAIGN_CANCELLED
    session.flush()
    return Scheduler(session).set_status_for_broadcast(broadcast_id, (PENDING, PAUSED), CANCELLED)


def resend_unknown(session: Session, broadcast_id: int) -> int:
    """The operator's decision to send `unknown` rows again (some may arrive twice); returns how many.

    A completed campaign with unknown rows is `sending` again until they are settled.
    """
    broadcast = _campaign(session, broadcast_id)
    if broadcast.status == CAMPAIGN_CANCELLED:
        raise BroadcastError(f"broadcast {broadcast_id} is cancelled")
    target = PAUSED if broadcast.status == CAMPAIGN_PAUSED else PENDING
    moved = Scheduler(session).set_status_for_broadcast(broadcast_id, (UNKNOWN,), target)
    if moved and broadcast.status == CAMPAIGN_COMPLETED:
        broadcast.status, broadcast.completed_at = CAMPAIGN_SENDING, None
        session.flush()
    return moved


def broadcast_report(session: Session, broadcast_id: int) -> BroadcastReport:
    """The campaign's report: counts by status, failures by code, skips by reason, replies, unknowns."""
    report = build_report(session, broadcast_id)
    if report is None:
        raise BroadcastError(f"no broadcast {broadcast_id}")
    return report


def process_pending_broadcasts(processor: MessageProcessor, now: datetime | None = None, limit: int | None = None,
                               *, time_budget: float | None = None) -> ProcessSummary:
    """The cron job's work: claim due rows in batches, render campaign rows for their contacts as they
    are now, send at the configured rate, record every outcome and complete the campaigns that finished.

    Rendering and completion live in `MessageProcessor.process_due`, which every sending
    path shares (cron, `broadcast process`, Celery); this is the campaigns' name for it.
    """
    return processor.process_due(now, limit, time_budget)
