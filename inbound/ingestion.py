"""Turning a verified webhook envelope into rows: contacts, inbound messages, statuses.

The webhook handler parses and verifies; this module reads every entry, change and
item of Meta's (batched) envelope and writes each with one idempotent statement, so a
retried delivery inserts nothing new. It never commits: the request does, once.

Who sent a message (phone number and/or business-scoped user id) is `contact_identity`'s
business. Nothing acknowledged is dropped: a message of a type the code does not model is
stored like any other (raw payload, no text), a change of a field it does not model and a
message naming no sender are kept raw in `unmodelled_items`; both are counted in /metrics.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session

from campaigns.identity import (
    ContactResolver,
    Identity,
    Profiles,
    profiles_of,
    sender_of,
)
from campaigns.opt_out import MARKETING_PREFERENCE, META_ERROR, meta_error_reason, set_choice_by_identifier
from database_models import (
    ReceivedMessageLog,
    utcnow,
)
from inbound.envelope import (
    MARKETING_OPT_OUT_CODE,
    MEDIA_TYPES,
    MODELLED_MESSAGE_TYPES,
    STATUS_ALIASES,
    EnvelopeError,
    StatusItem,
    _get,
    _list,
    _storable,
    _string,
    iter_changes,
    message_text,
    parse_status,
    parse_timestamp,
    status_only_items,
)
from inbound.shapes import (
    EDIT,
    LIVE,
    ORDER,
    REVISION_TYPES,
    Origin,
    ShapeWriter,
    echo_items,
    edited_content,
    event_data,
    history_errors,
    history_items,
    order_lines,
)
from inbound.statements import new_message_insert, statements
from integrations import events as outbound_webhooks
from queueing.status_moves import apply_status
from runtime.metrics import UNMODELLED_ITEMS

logger = logging.getLogger(__name__)

_METRIC_LABEL = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
# Built once (an expanding parameter): every webhook with a message runs it, and building the
# IN clause anew cost more client CPU than the query's round trip (bench/text_profile.py).
_LOGGED_ONE_BY_ONE = 20  # messages of one change logged one by one at INFO; a larger batch in one line
_STORED_WAMIDS = select(ReceivedMessageLog.wamid).where(
    ReceivedMessageLog.wamid.in_(bindparam("wamids", expanding=True)))
_STORED_WAMIDS_ARRAY = text("SELECT wamid FROM received_messages WHERE wamid = ANY(CAST(:wamids AS varchar[]))")

# Re-exported: envelope parsing moved to `inbound.envelope`; callers import it from here as before.
__all__ = [
    "MARKETING_OPT_OUT_CODE", "MEDIA_TYPES", "MODELLED_MESSAGE_TYPES", "STATUS_ALIASES", "EnvelopeError",
    "IngestResult", "Ingestor", "StatusItem", "count_unmodelled", "iter_changes", "message_text", "parse_status",
    "parse_timestamp", "status_only_items",
]


@dataclass
class IngestResult:
    """What one envelope changed: counts, and the inbound messages that are new."""

    new_message_ids: list[int] = field(default_factory=list)
    messages: int = 0
    duplicate_messages: int = 0
    statuses: int = 0
    duplicate_statuses: int = 0
    skipped_items: int = 0
    other_fields: int = 0
    unmodelled: int = 0  # items kept raw: unknown fields and messages naming no sender


class Ingestor:
    """Writes the items of one envelope through `session` with idempotent statements."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.dialect = session.get_bind().dialect.name
        self.shapes = ShapeWriter(session)
        self.stored_wamids: list[str] = []  # new messages an earlier edit or revoke may be waiting for
        self.contacts = ContactResolver(session)

    def ingest(self, envelope: Any) -> IngestResult:
        """Store every item of `envelope`; raises EnvelopeError before writing anything."""
        changes = iter_changes(envelope)
        result = IngestResult()
        # Messages stored by an earlier delivery (one query): a redelivery must not touch their contacts.
        stored = self._stored_wamids([message for field_name, value in changes if field_name == "messages"
                                      for message in _list(value.get("messages"))])
        for field_name, value in changes:
            if field_name == "messages":
                profiles = profiles_of(value.get("contacts"))
                if not self._ingest_new_texts(_list(value.get("messages")), profiles, stored, result):
                    for message in _list(value.get("messages")):
                        self._ingest_message(message, profiles, stored, result)
                for status in _list(value.get("statuses")):
                    self._ingest_status(status, result)
            elif field_name == "smb_message_echoes":  # sent by the business from the WhatsApp Business app
                for message, origin in echo_items(value):
                    self._ingest_message(message, [], stored, result, origin)
            elif field_name == "history":
                for message, origin in history_items(value):
                    self._ingest_message(message, [], stored, result, origin)
                if history_errors(value):
                    logger.warning("history sync reported errors", extra={"event": "webhook.history_errors",
                                                                           "count": history_errors(value)})
            elif field_name == "user_preferences":
                self._ingest_preferences(value, result)
            else:
                result.other_fields += 1
                self.store_unmodelled(field_name, value, result)
        self.shapes.apply_pending(self.stored_wamids)
        self.stored_wamids = []
        outbound_webhooks.messages_received(self.session, result.new_message_ids)
        return result

    def store_unmodelled(self, field_name: str, item: dict[str, Any], result: IngestResult,
                         counted_as: tuple[str, str] | None = None) -> None:
        """Keep `item` raw under `field_name` (once: a redelivery adds nothing) and count it."""
        payload = _storable(item)
        canonical = json.dumps([field_name, payload], sort_keys=True, ensure_ascii=True, allow_nan=False)
        new_id = self.session.execute(statements(self.dialect).unmodelled_insert, {
            "field": field_name[:64], "digest": hashlib.sha256(canonical.encode()).hexdigest(), "payload": payload,
            "received_at": utcnow(),
        }).scalar_one_or_none()
        result.unmodelled += 1
        if new_id is not None:
            count_unmodelled(*(counted_as or ("field", field_name)))
            logger.info("unmodelled webhook item stored", extra={
                "event": "webhook.unmodelled", "field": field_name[:64], "unmodelled_id": new_id})

    def _ingest_message(self, message: Any, profiles: list[Any], stored: set[str], result: IngestResult,
                        origin: Origin = LIVE) -> None:
        wamid = _string(_get(message, "id"))
        # Echoes and history are from the business: the customer is the other party of the item.
        sender = sender_of(message, profiles) if origin is LIVE else Identity(wa_id=origin.party)
        if not wamid or len(wamid) > 128 or not sender:
            self.store_unmodelled("messages", message, result, counted_as=("message", "no_id_or_sender"))
            logger.warning("message without id or sender kept raw", extra={"event": "webhook.item_skipped"})
            return
        if wamid in stored:
            # A redelivery touches no contact: its identifiers may be the ones a later change replaced.
            result.messages += 1
            result.duplicate_messages += 1
            logger.info("duplicate message ignored", extra={"event": "webhook.duplicate", "wamid": wamid})
            return
        kind = _string(message.get("type")) or "unknown"
        sent_at = parse_timestamp(message.get("timestamp"))
        if kind in REVISION_TYPES:
            self._ingest_revision(message, wamid, kind, sent_at, result)
            return
        received_at = utcnow()
        group_id = _string(message.get("group_id"))
        contact_id = None
        if kind == "system":
            contact_id = self.contacts.apply_change(message, sent_at or received_at)
        if contact_id is None and origin.live and not group_id:
            contact_id = self.contacts.resolve(sender, sent_at or received_at)
        elif contact_id is None:  # not the customer writing to us one-to-one now: opens no window, makes no one "new"
            contact_id = self.contacts.ensure(sender)
        new_id = self.session.execute(statements(self.dialect).message_insert, {
            "wamid": wamid, "contact_id": contact_id, "message_type": kind[:32], "text": message_text(message),
            "payload": _storable(message), "wa_timestamp": sent_at, "received_at": received_at,
            "direction": origin.direction, "imported": origin.imported, "event_data": event_data(message),
            "group_id": group_id[:128] if group_id else None,
        }).scalar_one_or_none()
        result.messages += 1
        if new_id is None:
            result.duplicate_messages += 1
            logger.info("duplicate message ignored", extra={"event": "webhook.duplicate", "wamid": wamid})
            return
        self.stored_wamids.append(wamid)
        if kind == ORDER:
            self.shapes.store_order_items(new_id, order_lines(message))
        if origin.live:  # echoes and history are never answered
            result.new_message_ids.append(new_id)
        if kind not in MODELLED_MESSAGE_TYPES:
            count_unmodelled("message_type", kind)
        logger.info(
            "message stored",
            extra={"event": "message.stored", "wamid": wamid, "contact_id": contact_id, "message_type": kind[:32]},
        )

    def _ingest_new_texts(self, messages: list[dict[str, Any]], profiles: Profiles, stored: set[str],
                          result: IngestResult) -> bool:
        """`_ingest_message` for a whole change of plain live messages, in a few statements; False if not that.

        The shape of a large envelope (Meta batches up to 3 MB after an outage): messages of
        modelled types, each with an id and a sender naming one identifier, no system message,
        edit, order or group. Contacts are upserted and messages inserted with one multi-row
        statement each (per kind of identifier) instead of two round trips per message: 13,655
        messages took 11 s of 26 (profiled) that way. Anything else returns False untouched,
        and the caller takes the item-by-item path, which gives the same rows.
        """
        if len(messages) < 2:
            return False
        items = []
        for message in messages:
            wamid = _string(message.get("id"))
            kind = _string(message.get("type"))
            sender = sender_of(message, profiles)
            if (not wamid or len(wamid) > 128 or not sender or (sender.wa_id and sender.user_id)
                    or kind not in MODELLED_MESSAGE_TYPES or kind in REVISION_TYPES or kind in (ORDER, "system")
                    or message.get("group_id") is not None):
                return False
            items.append((message, wamid, kind, sender))
        received_at = utcnow()
        # As item by item: a wamid stored by an earlier delivery touches no contact; a wamid twice in
        # this envelope does (its second sender too), and only its first item is inserted.
        fresh = [(message, wamid, kind, sender, parse_timestamp(message.get("timestamp")))
                 for message, wamid, kind, sender in items if wamid not in stored]
        contact_ids = self.contacts.resolve_many([(sender, sent_at or received_at)
                                                  for _, _, _, sender, sent_at in fresh])
        rows, inserted = [], {}
        for (message, wamid, kind, _, sent_at), contact_id in zip(fresh, contact_ids, strict=True):
            if wamid in inserted:
                continue
            inserted[wamid] = (contact_id, kind)
            rows.append({"wamid": wamid, "contact_id": contact_id, "message_type": kind[:32],
                         "text": message_text(message), "payload": _storable(message), "wa_timestamp": sent_at,
                         "received_at": received_at, "direction": LIVE.direction, "imported": LIVE.imported,
                         "event_data": event_data(message), "group_id": None})
        new_ids = dict((wamid, new_id) for new_id, wamid in self.session.execute(
            new_message_insert(self.dialect), rows)) if rows else {}
        duplicates, level = 0, logging.INFO if len(items) <= _LOGGED_ONE_BY_ONE else logging.DEBUG
        for _, wamid, _, _ in items:
            result.messages += 1
            new_id = new_ids.pop(wamid, None)  # popped: a second item with this wamid is a duplicate
            if new_id is None:
                result.duplicate_messages += 1
                duplicates += 1
                logger.log(level, "duplicate message ignored", extra={"event": "webhook.duplicate", "wamid": wamid})
                continue
            contact_id, kind = inserted[wamid]
            self.stored_wamids.append(wamid)
            result.new_message_ids.append(new_id)
            logger.log(level, "message stored", extra={"event": "message.stored", "wamid": wamid,
                                                       "contact_id": contact_id, "message_type": kind[:32]})
        if level == logging.INFO:
            return True
        # A large batch gets one INFO line, not one a message: 13,655 lines cost ~1 s of a 3 MB envelope.
        logger.info("messages stored", extra={"event": "message.stored_batch", "count": len(items) - duplicates,
                                              "duplicates": duplicates, "first_wamid": items[0][1]})
        return True

    def _ingest_revision(self, message: dict[str, Any], wamid: str, kind: str, sent_at: datetime | None,
                         result: IngestResult) -> None:
        body = message.get(kind)
        original = _string(_get(body, "original_message_id")) or ""
        content = edited_content(body) if kind == EDIT else None
        stored = self.shapes.store_revision(wamid, kind, original[:128], message_text(content) if content else None,
                                            _storable(message), sent_at)
        result.messages += 1
        if not stored:
            result.duplicate_messages += 1

    def _stored_wamids(self, messages: list[dict[str, Any]]) -> set[str]:
        """The wamids among `messages` stored already (no query for a status-only envelope)."""
        wamids = sorted({wamid for wamid in (_string(message.get("id")) for message in messages)
                         if wamid and len(wamid) <= 128})
        if self.dialect == "postgresql":  # one array parameter: nothing to expand or compile per call
            return set(self.session.scalars(_STORED_WAMIDS_ARRAY, {"wamids": wamids})) if wamids else set()
        stored: set[str] = set()
        for start in range(0, len(wamids), 1000):  # SQLite caps the parameters of one statement
            stored.update(self.session.scalars(_STORED_WAMIDS, {"wamids": wamids[start:start + 1000]}))
        return stored

    def _ingest_status(self, status: Any, result: IngestResult) -> None:
        item = parse_status(status)
        if item is None:
            result.skipped_items += 1
            return
        event_id = self.session.execute(statements(self.dialect).status_insert, {
            "wamid": item.wamid, "status": item.status, "recipient_wa_id": item.recipient_wa_id,
            "recipient_user_id": item.recipient_user_id, "error_code": item.error_code,
            "error_title": item.error_title, "wa_timestamp": item.wa_timestamp,
            "received_at": utcnow(),
        }).scalar_one_or_none()
        result.statuses += 1
        if event_id is None:
            result.duplicate_statuses += 1
            return
        apply_status(self.session, item.wamid, item.status, item.wa_timestamp or utcnow(), item.error_code,
                     item.error_title)
        outbound_webhooks.status_changed(self.session, item)
        if item.error_code == MARKETING_OPT_OUT_CODE and (item.recipient_wa_id or item.recipient_user_id):
            set_choice_by_identifier(self.session, True, META_ERROR, wa_id=item.recipient_wa_id,
                                     user_id=item.recipient_user_id,
                                     reason=meta_error_reason(item.error_code, item.error_title))
        logger.debug("status stored", extra={"event": "status.stored", "wamid": item.wamid, "status": item.status})

    def _ingest_preferences(self, value: dict[str, Any], result: IngestResult) -> None:
        for preference in _list(value.get("user_preferences")):
            applied = self.shapes.record_preference(preference)  # None: a replay, or older than one we know
            if applied is not None:
                set_choice_by_identifier(self.session, applied.opted_out, MARKETING_PREFERENCE, wa_id=applied.wa_id,
                                         user_id=applied.user_id, reason=applied.reason, at=applied.at)
                logger.info("marketing preference applied", extra={"event": "contact.preference",
                                                                   "preference": applied.value})
        result.other_fields += 1


def count_unmodelled(kind: str, name: str) -> None:
    """Count one stored item the code does not model; names outside a small alphabet count as `other`."""
    UNMODELLED_ITEMS.labels(kind=kind, name=name if _METRIC_LABEL.match(name) else "other").inc()
