"""Before a campaign is scheduled: who will get the text, who the template, who nothing and why.

The 24-hour rule lives here, once: the processor (`outbound.processor`) applies `send_route`
to every campaign row when it sends it, and `estimate_audience` applies the same function to
the audience as it stands, at the campaign's send time. A contact whose last message is less
than 24 hours older than the send gets the text (when there is one); anyone else gets the
template (when there is one) or is skipped. Opted-out contacts, invalid and repeated list
entries are left out when the campaign is scheduled (`broadcast_service`), and counted here
by the same functions (`campaigns.recipients`).

The counts for everyone or tags are one aggregate query over `contacts` (grouped by opt-out
and window), so an estimate over 100,000 contacts reads no row into Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.personalisation import contact_fields, personalise
from campaigns.recipients import RECIPIENT_COLUMNS, audience_conditions, known_addresses, list_recipients
from database_models import Contact

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)
TEXT, TEMPLATE = "text", "template"
# Why a recipient gets nothing: the processor writes these reasons on skipped rows.
SKIP_OPTED_OUT = "contact opted out"
SKIP_NO_TEMPLATE = "outside the 24-hour window and no template"
PREVIEWED = 3


def in_service_window(last_inbound_at: datetime | None, at: datetime) -> bool:
    """Whether free text may reach a contact whose last message came at `last_inbound_at`, at time `at`."""
    return last_inbound_at is not None and at - last_inbound_at < CUSTOMER_SERVICE_WINDOW


def send_route(*, opted_out: bool, in_window: bool, has_text: bool, has_template: bool) -> str:
    """TEXT, TEMPLATE, or the reason a campaign row is skipped (SKIP_OPTED_OUT, SKIP_NO_TEMPLATE)."""
    if opted_out:
        return SKIP_OPTED_OUT
    if has_text and in_window:
        return TEXT
    return TEMPLATE if has_template else SKIP_NO_TEMPLATE


@dataclass
class Estimate:
    """What scheduling a campaign now would do, and what sending it at `send_at` would then do."""

    send_at: datetime
    text: int = 0  # inside the 24-hour window: the text
    template: int = 0  # outside it (or no text): the template
    skipped: dict[str, int] = field(default_factory=dict)  # opted_out, no_template, invalid_number, duplicate
    new_contacts: int = 0  # list entries no contact has yet (created when scheduled)

    @property
    def recipients(self) -> int:
        """Queue rows scheduling writes: everyone not opted out, not invalid, not repeated."""
        return self.text + self.template + self.skipped.get("no_template", 0)

    @property
    def skipped_total(self) -> int:
        """Everyone in the audience who will get nothing."""
        return sum(self.skipped.values())


def _add(estimate: Estimate, opted_out: bool, in_window: bool, count: int, has_text: bool, has_template: bool) -> None:
    route = send_route(opted_out=opted_out, in_window=in_window, has_text=has_text, has_template=has_template)
    key = {TEXT: "text", TEMPLATE: "template"}.get(route)
    if key:
        setattr(estimate, key, getattr(estimate, key) + count)
    else:
        reason = "opted_out" if route == SKIP_OPTED_OUT else "no_template"
        estimate.skipped[reason] = estimate.skipped.get(reason, 0) + count


def estimate_audience(session: Session, *, kind: str, tags: Sequence[str] = (), match_all: bool = False,
                      addresses: Sequence[str] = (), excluded: Mapping[str, int] | None = None,
                      send_at: datetime, has_text: bool, has_template: bool) -> Estimate:
    """Count an audience by route at `send_at`; `addresses` and `excluded` come from `recipients.normalise_list`."""
    estimate = Estimate(send_at=send_at, skipped={key: count for key, count in (excluded or {}).items() if count})
    window_open = case((Contact.last_inbound_at > send_at - CUSTOMER_SERVICE_WINDOW, True), else_=False)
    if kind == "numbers":
        skipped = estimate.skipped
        rows = list_recipients(session, addresses, skipped, (Contact.id, Contact.opted_out, Contact.last_inbound_at))
        for _, opted_out, last_inbound_at in rows:
            _add(estimate, opted_out, in_service_window(last_inbound_at, send_at), 1, has_text, has_template)
        estimate.new_contacts = len(addresses) - len(known_addresses(session, addresses))
        _add(estimate, False, False, estimate.new_contacts, has_text, has_template)
        return estimate
    counts = session.execute(select(Contact.opted_out, window_open, func.count())
                             .where(*audience_conditions(kind, tags, match_all))
                             .group_by(Contact.opted_out, window_open))
    for opted_out, in_window, count in counts:
        _add(estimate, bool(opted_out), bool(in_window), count, has_text, has_template)
    return estimate


def preview_recipients(session: Session, *, kind: str, tags: Sequence[str] = (), match_all: bool = False,
                       addresses: Sequence[str] = (), body: str | None, params: Sequence[str] = (),
                       send_at: datetime, has_template: bool, limit: int = PREVIEWED) -> list[dict[str, Any]]:
    """The message a few real recipients would get, rendered as the processor will: some inside the window
    and, when the audience has any, one outside it, so the operator reads both the text and the template."""
    if kind == "numbers":
        rows = [row for row in list_recipients(session, addresses[:limit * 20], {}) if not row.opted_out]
        inside = [row for row in rows if in_service_window(row.last_inbound_at, send_at)][:limit]
        outside = [row for row in rows if not in_service_window(row.last_inbound_at, send_at)][:limit]
    else:
        wanted = (*audience_conditions(kind, tags, match_all), Contact.opted_out.is_(False))
        recent = Contact.last_inbound_at > send_at - CUSTOMER_SERVICE_WINDOW
        query = select(*RECIPIENT_COLUMNS).where(*wanted).order_by(Contact.id).limit(limit)
        inside = list(session.execute(query.where(recent)))
        outside = list(session.execute(query.where(~recent | Contact.last_inbound_at.is_(None))))
    chosen = inside[:limit - 1] + outside[:1] if outside else inside
    chosen += [row for row in inside + outside if row not in chosen][:limit - len(chosen)]
    return [_preview(row, body, params, send_at, has_template) for row in chosen[:limit]]


def _preview(row: Any, body: str | None, params: Sequence[str], send_at: datetime,
             has_template: bool) -> dict[str, Any]:
    in_window = in_service_window(row.last_inbound_at, send_at)
    route = send_route(opted_out=False, in_window=in_window, has_text=bool(body), has_template=has_template)
    text, rendered_params = personalise(body, list(params), contact_fields(row.wa_id, row.name, row.attributes))
    return {"contact_id": row.id, "name": row.name, "address": row.wa_id, "route": route,
            "text": text if route == TEXT else None, "params": rendered_params if route == TEMPLATE else None}
