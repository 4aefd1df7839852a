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
  unsupported messages, orders): their data is extracted into `event_data`, order lines into
  `order_items`; the chatbot answers them only as the rules file's `events:` says;
- marketing preferences (`user_preferences`): recorded, and applied only when no newer one is known.

Nothing here commits; every write is idempotent on a unique key, so a replay changes nothing.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import and_, insert, select, update
from sqlalchemy.orm import Session

from database_models import (
    DIRECTION_IN,
    DIRECTION_OUT,
    Contact,
    MarketingPreference,
    MessageRevision,
    OrderItem,
    utcnow,
)
from database_models import ReceivedMessageLog as Messages
from database_setup import dialect_insert

logger = logging.getLogger(__name__)

EDIT, REVOKE = "edit", "revoke"
REVISION_TYPES = frozenset({EDIT, REVOKE})
# Event kinds (event_data["kind"]) and the keys of the rules file's `events:` section.
ORDER, FLOW_REPLY, CALL_PERMISSION, PAYMENT_METHOD, UNSUPPORTED = (
    "order", "flow_reply", "call_permission_reply", "payment_method", "unsupported")
EVENT_REPLY_KEYS = (ORDER, FLOW_REPLY, "call_permission_accept", "call_permission_reject", PAYMENT_METHOD, UNSUPPORTED)
EVENT_PLACEHOLDERS = {ORDER: frozenset({"item_count", "total", "currency"})}
DEFAULT_ORDER_ACK = ("{name|مشتری عزیز}، سفارش شما با {item_count} قلم کالا به مبلغ {total} {currency} دریافت شد ✅ "
                     "همکاران ما به‌زودی برای هماهنگی با شما تماس می‌گیرند.")
PREFERENCE_CATEGORY = "marketing_messages"
STOP, RESUME, SIGNUP = "stop", "resume", "signup"
PREFERENCE_VALUES = frozenset({STOP, RESUME, SIGNUP})
MAX_EVENT_STRING = 2000  # a value kept in event_data; the raw item stays whole in `payload`
MAX_ORDER_LINES = 500
_PHONE = re.compile(r"\+?[0-9][0-9 ()-]{5,}")
PERSIAN_DIGITS = str.maketrans("0123456789,.", "۰۱۲۳۴۵۶۷۸۹٬٫")


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
    for echo in _list(value.get("message_echoes")):
        yield echo, Origin(DIRECTION_OUT, False, customer_id(echo.get("to")))


def history_items(value: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Origin]]:
    """The messages of a `history` change: a thread's id is its customer; `from` anyone else is the business."""
    for chunk in _list(value.get("history")):
        for thread in _list(chunk.get("threads")):
            customer = customer_id(thread.get("id"))
            for message in _list(thread.get("messages")):
                sender = customer_id(message.get("from"))
                context = message.get("history_context")
                from_me = isinstance(context, dict) and context.get("from_me") is True
                outbound = from_me or (sender is not None and customer is not None and sender != customer)
                yield message, Origin(DIRECTION_OUT if outbound else DIRECTION_IN, True, customer)


def customer_id(value: Any) -> str | None:
    """A customer as the webhook's contacts name them: "+98 912-111 0002" (as a business typed it) is 989121110002."""
    text = _short(value, 64)
    if text and _PHONE.fullmatch(text):
        text = re.sub(r"\D", "", text)
    return text[:33] if text else None


def history_errors(value: dict[str, Any]) -> int:
    """How many errors (e.g. the business declined to share its history) a `history` change reports."""
    return sum(len(_list(chunk.get("errors"))) for chunk in _list(value.get("history")))


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


def event_data(message: dict[str, Any]) -> dict[str, Any] | None:
    """What a non-text event carries, for `received_messages.event_data`; None for ordinary messages."""
    kind = message.get("type")
    if kind == ORDER:
        lines = order_lines(message)
        total, currency = order_total(lines)
        order = message.get("order") if isinstance(message.get("order"), dict) else {}
        return {"kind": ORDER, "catalog_id": _short(order.get("catalog_id")), "item_count": order_item_count(lines),
                "total": str(total), "currency": currency}
    if kind == "unsupported":
        return {"kind": UNSUPPORTED, "errors": _errors(message)}
    if kind != "interactive":
        return None
    body = message.get("interactive")
    subtype = body.get("type") if isinstance(body, dict) else None
    if subtype in ("button_reply", "list_reply") and not message.get("errors"):
        return None  # text-like: the chatbot reads its title
    reply = body.get(subtype) if isinstance(body, dict) and isinstance(subtype, str) else None
    reply = reply if isinstance(reply, dict) else {}
    if subtype == "nfm_reply":
        return {"kind": FLOW_REPLY, "name": _short(reply.get("name")), "response": _flow_response(reply)}
    if subtype == CALL_PERMISSION:
        expires = reply.get("expiration_timestamp")
        return {"kind": CALL_PERMISSION, "decision": _short(reply.get("response")),
                "permanent": reply.get("is_permanent") if isinstance(reply.get("is_permanent"), bool) else None,
                "expires": expires if _is_int(expires) else None, "source": _short(reply.get("response_source"))}
    if subtype == PAYMENT_METHOD:
        # The buyer confirmed a payment method (e.g. a saved card): keep what identifies it.
        return {"kind": PAYMENT_METHOD, "status": _short(reply.get("status")) or "submitted",
                **{key: _short(reply.get(key)) for key in
                   ("payment_method", "reference_id", "credential_id", "last_four_digits") if reply.get(key)}}
    return {"kind": UNSUPPORTED, "interactive_type": _short(subtype), "errors": _errors(message)}


def order_lines(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The product lines of an `order` message: retailer id, quantity, unit price, currency (bounded)."""
    order = message.get("order")
    lines = []
    for item in _list(order.get("product_items") if isinstance(order, dict) else None)[:MAX_ORDER_LINES]:
        quantity = item.get("quantity")
        quantity = int(quantity) if isinstance(quantity, str) and quantity.isdigit() and len(quantity) < 7 else quantity
        lines.append({"product_retailer_id": _short(item.get("product_retailer_id"), 128),
                      "quantity": quantity if _is_int(quantity) and 0 <= quantity < 10**6 else 0,
                      "item_price": _price(item.get("item_price")), "currency": _short(item.get("currency"), 8)})
    return lines


def order_item_count(lines: Sequence[dict[str, Any]]) -> int:
    """Items in an order: the sum of its lines' quantities."""
    return sum(line["quantity"] for line in lines)


def order_total(lines: Sequence[dict[str, Any]]) -> tuple[Decimal, str]:
    """(sum of quantity × price, the currency); a line without a price adds nothing."""
    total = sum((line["item_price"] * line["quantity"] for line in lines if line["item_price"] is not None),
                Decimal(0))
    currencies = {line["currency"] for line in lines if line["currency"]}
    return total, currencies.pop() if len(currencies) == 1 else ""


def order_reply_values(data: dict[str, Any]) -> dict[str, str]:
    """The placeholders of an order acknowledgement, in Persian digits: {item_count}, {total}, {currency}."""
    try:
        total = Decimal(str(data.get("total") or 0))
    except InvalidOperation:
        total = Decimal(0)
    shown = f"{total:,.0f}" if total == total.to_integral_value() else f"{total:,.2f}"
    return {"item_count": str(data.get("item_count") or 0).translate(PERSIAN_DIGITS),
            "total": shown.translate(PERSIAN_DIGITS), "currency": str(data.get("currency") or "")}


def event_reply_key(data: dict[str, Any] | None) -> str | None:
    """Which `events:` entry of the rules file answers this event (None: not an event)."""
    if not data:
        return None
    kind = data.get("kind")
    if kind == CALL_PERMISSION:
        return "call_permission_accept" if data.get("decision") == "accept" else "call_permission_reject"
    return kind if kind in EVENT_REPLY_KEYS else None


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
        for start in range(0, len(wamids), 500):  # bounded IN lists
            pending = self.session.scalars(
                select(MessageRevision.id).where(MessageRevision.original_wamid.in_(wamids[start:start + 500]),
                                                 MessageRevision.message_id.is_(None))
                .order_by(MessageRevision.wa_timestamp, MessageRevision.id)).all()
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
        """Store one user_preferences item; the choice to apply, or None (a replay, or superseded).

        The user is named by phone number (`wa_id`) or, for a user with a username and no
        number, by BSUID (`user_id`). `signup` (the user subscribed through a marketing signup
        link) is an explicit opt-in, like `resume`.
        """
        wa_id, choice = _short(preference.get("wa_id"), 33), _short(preference.get("value"), 16)
        user_id = _short(preference.get("user_id"), 161)
        wa_id = wa_id if wa_id and len(wa_id) <= 32 else None
        user_id = user_id if user_id and len(user_id) <= 160 else None
        category = preference.get("category", PREFERENCE_CATEGORY)
        if not (wa_id or user_id) or choice not in PREFERENCE_VALUES or category != PREFERENCE_CATEGORY:
            logger.info("marketing preference ignored", extra={"event": "contact.preference_ignored"})
            return None
        at = _timestamp(preference.get("timestamp")) or utcnow()
        detail = _short(preference.get("detail"), 256)
        stored = self.session.execute(
            self.insert(MarketingPreference).values(
                wa_id=wa_id, user_id=user_id, category=category, value=choice, detail=detail,
                signup_id=_short(preference.get("signup_id"), 128), wa_timestamp=at, received_at=utcnow(),
            ).on_conflict_do_nothing().returning(MarketingPreference.id)
        ).scalar_one_or_none()
        if stored is None:
            return None
        known = MarketingPreference
        same_user = known.wa_id == wa_id if wa_id else known.user_id == user_id
        newer = self.session.execute(select(known.id).where(
            same_user, known.category == category, known.id != stored,
            known.wa_timestamp > at,  # at equal times (one second), the later arrival wins
        ).limit(1)).first()
        if newer is not None:
            logger.info("older marketing preference not applied",
                        extra={"event": "contact.preference_superseded", "preference": choice})
            return None
        if choice != STOP and self._stopped_by_chat_after(wa_id, user_id, at):
            return None
        self.session.execute(update(known).where(known.id == stored).values(applied=True))
        return PreferenceChoice(wa_id, user_id, choice, at, detail)

    def _stopped_by_chat_after(self, wa_id: str | None, user_id: str | None, at: datetime) -> bool:
        # A customer who wrote STOP after this preference was given stays opted out.
        opted_out_at = self.session.execute(select(Contact.opted_out_at).where(
            Contact.wa_id == wa_id if wa_id else Contact.user_id == user_id,
            Contact.opted_out.is_(True))).scalar_one_or_none()
        return opted_out_at is not None and opted_out_at > at


@dataclass(frozen=True)
class PreferenceChoice:
    """A marketing preference to apply: who (phone number, else BSUID), which choice, when, Meta's detail."""

    wa_id: str | None
    user_id: str | None
    value: str
    at: datetime
    detail: str | None

    @property
    def opted_out(self) -> bool:
        """Whether the choice stops marketing messages."""
        return self.value == STOP

    @property
    def reason(self) -> str:
        """What the opt-out history records: the choice and Meta's description of it."""
        return f"{self.value}: {self.detail}" if self.detail else self.value


def _flow_response(reply: dict[str, Any]) -> Any:
    raw = reply.get("response_json")
    if isinstance(raw, dict):
        return raw
    if not isinstance(raw, str):
        return None
    try:
        parsed = json.loads(raw, parse_constant=lambda _: None)
    except (ValueError, RecursionError):
        return raw[:MAX_EVENT_STRING]
    return parsed if len(raw) <= 64_000 else raw[:MAX_EVENT_STRING]


def _errors(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"code": error.get("code") if _is_int(error.get("code")) else None,
             "title": _short(error.get("title")) or _short(error.get("message"))}
            for error in _list(message.get("errors"))[:5]]


def _price(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return None
    return price.quantize(Decimal("0.0001")) if price.is_finite() and 0 <= price < 10**14 else None


def _timestamp(value: Any) -> datetime | None:
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 32503680000 else None
    except (TypeError, ValueError, OverflowError):
        return None


def _short(value: Any, limit: int = MAX_EVENT_STRING) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit] or None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -(2**53) < value < 2**53


def _list(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
