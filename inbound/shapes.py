"""Webhook shapes beyond a customer's live one-to-one message, and what each one changes.

`ingestion.Ingestor` calls in here for:
- coexistence echoes (`smb_message_echoes`: what the business sent from the WhatsApp Business
  app) and history sync (`history`): stored as messages of the customer's thread, direction
  "out" for the business's side, history flagged `imported`; neither is answered by the bot;
- edits and revokes (`edit` / `revoke`, in `messages` or in echoes): one `message_revisions` row
  each, keyed by the item's own wamid; the original message gets the newest text (the older
  versions stay in the revisions) or is marked deleted. An edit that arrives before its
  original waits, and is applied when the original is stored;
- non-text events (flow submissions, call-permission replies, payment methods, errored or
  unsupported messages, orders): read by `inbound.events` (re-exported here), their order lines
  stored here in `order_items`; the chatbot answers them only as the rules file's `events:` says;
- marketing preferences (`user_preferences`): `inbound.preferences`, through `ShapeWriter`.

Nothing here commits; every write is idempotent on a unique key, so a replay changes nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, insert, select, text, update
from sqlalchemy.orm import Session

from database_models import (
    DIRECTION_IN,
    DIRECTION_OUT,
    MessageRevision,
    OrderItem,
    utcnow,
)
from database_models import ReceivedMessageLog as Messages
from database_setup import dialect_insert
from inbound.events import (
    CALL_PERMISSION,
    DEFAULT_ORDER_ACK,
    EVENT_PLACEHOLDERS,
    EVENT_REPLY_KEYS,
    FLOW_REPLY,
    ORDER,
    PAYMENT_METHOD,
    UNSUPPORTED,
    event_data,
    event_reply_key,
    order_item_count,
    order_lines,
    order_reply_values,
    order_total,
)
from inbound.preferences import PreferenceChoice, record_preference
from inbound.values import dict_list, short_text

logger = logging.getLogger(__name__)

# Revisions waiting for an original among :wamids, oldest first (built once; see apply_pending).
_PENDING_REVISIONS = (select(MessageRevision.id)
                      .where(MessageRevision.original_wamid.in_(bindparam("wamids", expanding=True)),
                             MessageRevision.message_id.is_(None))
                      .order_by(MessageRevision.wa_timestamp, MessageRevision.id))
_PENDING_REVISIONS_ARRAY = text(
    "SELECT id FROM message_revisions WHERE original_wamid = ANY(CAST(:wamids AS varchar[])) "
    "AND message_id IS NULL ORDER BY wa_timestamp, id")

EDIT, REVOKE = "edit", "revoke"
REVISION_TYPES = frozenset({EDIT, REVOKE})
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,}")


@dataclass(frozen=True)
class Origin:
    """Where a message item came from: who the customer is, which way it went, whether it is history."""

    direction: str = DIRECTION_IN
    imported: bool = False
    party: str | None = None  # the customer when the item's `from` is the business (echoes, history)

    @property
    def live(self) -> bool:
        """A customer's message arriving now: the only kind the bot answers or analytics counts as traffic."""
        return self.direction == DIRECTION_IN and not self.imported


LIVE = Origin()


def echo_items(value: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Origin]]:
    """The messages of an `smb_message_echoes` change, each addressed to its customer (`to`)."""
    for echo in dict_list(value.get("message_echoes")):
        yield echo, Origin(DIRECTION_OUT, False, customer_id(echo.get("to")))


def history_items(value: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Origin]]:
    """The messages of a `history` change: a thread's id is its customer; `from` anyone else is the business."""
    for chunk in dict_list(value.get("history")):
        for thread in dict_list(chunk.get("threads")):
            customer = customer_id(thread.get("id"))
            for message in dict_list(thread.get("messages")):
                sender = customer_id(message.get("from"))
                context = message.get("history_context")
                from_me = isinstance(context, dict) and context.get("from_me") is True
                outbound = from_me or (sender is not None and customer is not None and sender != customer)
                yield message, Origin(DIRECTION_OUT if outbound else DIRECTION_IN, True, customer)


def customer_id(value: Any) -> str | None:
    """A customer as the webhook's contacts name them: "+98 912-111 0002" (as a business typed it) is 989121110002."""
    text = short_text(value, 64)
    if text and _PHONE.fullmatch(text):
        text = re.sub(r"\D", "", text)
    return text[:33] if text else None


def history_errors(value: dict[str, Any]) -> int:
    """How many errors (e.g. the business declined to share its history) a `history` change reports."""
    return sum(len(dict_list(chunk.get("errors"))) for chunk in dict_list(value.get("history")))


def edited_content(body: Any) -> dict[str, Any] | None:
    """The new version carried by an `edit` item, shaped like a message (with its `type`)."""
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return None
    if isinstance(message.get("type"), str):
        return message
    kind = next((key for key in ("text", "image", "video", "document", "audio") if isinstance(message.get(key), dict)),
                None)
    return message | {"type": kind} if kind else None


class ShapeWriter:
    """The idempotent writes of revisions, order lines and marketing preferences, through one session."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.insert = dialect_insert(session.get_bind().dialect.name)

    def store_revision(self, wamid: str, kind: str, original_wamid: str, new_text: str | None,
                       payload: dict[str, Any], at: datetime | None) -> bool:
        """Record an edit or revoke and apply it if its original is stored; False for a replay."""
        revision_id = self.session.execute(
            self.insert(MessageRevision).values(
                wamid=wamid, kind=kind, original_wamid=original_wamid, new_text=new_text, payload=payload,
                wa_timestamp=at, received_at=utcnow(),
            ).on_conflict_do_nothing(index_elements=["wamid"]).returning(MessageRevision.id)
        ).scalar_one_or_none()
        if revision_id is None:
            return False
        self._apply(revision_id)
        return True

    def apply_pending(self, wamids: Sequence[str]) -> None:
        """Apply revisions that arrived before their originals, now that `wamids` are stored."""
        if not wamids:
            return
        # Every webhook with a new message runs this: the statement is built once (building it
        # per call was a fifth of ingestion's CPU for a single text, bench/text_profile.py).
        if self.session.get_bind().dialect.name == "postgresql":  # one array parameter, any number of wamids
            pending = list(self.session.scalars(_PENDING_REVISIONS_ARRAY, {"wamids": list(wamids)}))
        else:
            pending = []
            for start in range(0, len(wamids), 500):  # bounded IN lists
                pending += self.session.scalars(_PENDING_REVISIONS, {"wamids": list(wamids[start:start + 500])})
        for revision_id in pending:
            self._apply(revision_id)

    def _apply(self, revision_id: int) -> None:
        revisions = MessageRevision.__table__
        revision = self.session.execute(select(revisions).where(revisions.c.id == revision_id)).one()
        original = self.session.execute(
            select(Messages.id, Messages.text, Messages.edited_at).where(Messages.wamid == revision.original_wamid)
        ).one_or_none()
        if original is None:
            logger.info("revision waits for its original message",
                        extra={"event": "message.revision_pending", "wamid": revision.wamid})
            return
        at = revision.wa_timestamp or revision.received_at
        changes: dict[str, Any] = {}
        previous_text = None
        if revision.kind == REVOKE:
            changes = {"deleted_at": at}
        elif original.edited_at is None or at >= original.edited_at:
            # The newest edit wins; an older one arriving late only joins the history.
            previous_text = original.text
            changes = {"text": revision.new_text, "edited_at": at, "enriched_at": None}
        if changes:
            condition = Messages.id == original.id
            if revision.kind == REVOKE:
                condition = and_(condition, Messages.deleted_at.is_(None))
            self.session.execute(update(Messages).where(condition).values(**changes))
        self.session.execute(update(MessageRevision).where(MessageRevision.id == revision_id).values(
            message_id=original.id, previous_text=previous_text, applied_at=utcnow()))
        logger.info("message revision applied", extra={"event": "message.revised", "wamid": revision.original_wamid,
                                                       "revision": revision.kind})

    def store_order_items(self, message_id: int, lines: Sequence[dict[str, Any]]) -> None:
        """The product lines of a newly stored order message."""
        if lines:
            self.session.execute(insert(OrderItem), [line | {"message_id": message_id} for line in lines])

    def record_preference(self, preference: dict[str, Any]) -> PreferenceChoice | None:
        """Store one user_preferences item; the choice to apply, or None (`preferences.record_preference`)."""
        return record_preference(self.session, preference)


# The event readers live in `inbound.events`; callers that import them from here keep working.
__all__ = [
    "CALL_PERMISSION", "DEFAULT_ORDER_ACK", "EDIT", "EVENT_PLACEHOLDERS", "EVENT_REPLY_KEYS", "FLOW_REPLY", "LIVE",
    "ORDER", "PAYMENT_METHOD", "REVISION_TYPES", "REVOKE", "UNSUPPORTED", "Origin", "PreferenceChoice",
    "ShapeWriter", "customer_id", "echo_items", "edited_content", "event_data", "event_reply_key", "history_errors",
    "history_items", "order_item_count", "order_lines", "order_reply_values", "order_total",
]
