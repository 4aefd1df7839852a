"""Marketing preferences (`user_preferences` webhook items): recorded, and applied only when no newer one is known.

Each item is kept in `marketing_preferences` (a replay inserts nothing). It names its user by
phone number or, for a user with a username and no number, by BSUID; the newest choice by
Meta's timestamp wins, and a `resume` older than a STOP the customer wrote in the chat is not
applied. The caller applies the returned choice through `campaigns.opt_out`. Never commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from database_models import Contact, MarketingPreference, utcnow
from database_setup import dialect_insert
from inbound.values import short_text, unix_time

logger = logging.getLogger(__name__)

PREFERENCE_CATEGORY = "marketing_messages"
STOP, RESUME, SIGNUP = "stop", "resume", "signup"
PREFERENCE_VALUES = frozenset({STOP, RESUME, SIGNUP})


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


def record_preference(session: Session, preference: dict[str, Any]) -> PreferenceChoice | None:
    """Store one user_preferences item; the choice to apply, or None (a replay, or superseded).

    The user is named by phone number (`wa_id`) or, for a user with a username and no
    number, by BSUID (`user_id`). `signup` (the user subscribed through a marketing signup
    link) is an explicit opt-in, like `resume`.
    """
    wa_id, choice = short_text(preference.get("wa_id"), 33), short_text(preference.get("value"), 16)
    user_id = short_text(preference.get("user_id"), 161)
    wa_id = wa_id if wa_id and len(wa_id) <= 32 else None
    user_id = user_id if user_id and len(user_id) <= 160 else None
    category = preference.get("category", PREFERENCE_CATEGORY)
    if not (wa_id or user_id) or choice not in PREFERENCE_VALUES or category != PREFERENCE_CATEGORY:
        logger.info("marketing preference ignored", extra={"event": "contact.preference_ignored"})
        return None
    at = unix_time(preference.get("timestamp")) or utcnow()
    detail = short_text(preference.get("detail"), 256)
    stored = session.execute(
        dialect_insert(session.get_bind().dialect.name)(MarketingPreference).values(
            wa_id=wa_id, user_id=user_id, category=category, value=choice, detail=detail,
            signup_id=short_text(preference.get("signup_id"), 128), wa_timestamp=at, received_at=utcnow(),
        ).on_conflict_do_nothing().returning(MarketingPreference.id)
    ).scalar_one_or_none()
    if stored is None:
        return None
    known = MarketingPreference
    same_user = known.wa_id == wa_id if wa_id else known.user_id == user_id
    newer = session.execute(select(known.id).where(
        same_user, known.category == category, known.id != stored,
        known.wa_timestamp > at,  # at equal times (one second), the later arrival wins
    ).limit(1)).first()
    if newer is not None:
        logger.info("older marketing preference not applied",
                    extra={"event": "contact.preference_superseded", "preference": choice})
        return None
    if choice != STOP and _stopped_by_chat_after(session, wa_id, user_id, at):
        return None
    session.execute(update(known).where(known.id == stored).values(applied=True))
    return PreferenceChoice(wa_id, user_id, choice, at, detail)


def _stopped_by_chat_after(session: Session, wa_id: str | None, user_id: str | None, at: datetime) -> bool:
    # A customer who wrote STOP after this preference was given stays opted out.
    opted_out_at = session.execute(select(Contact.opted_out_at).where(
        Contact.wa_id == wa_id if wa_id else Contact.user_id == user_id,
        Contact.opted_out.is_(True))).scalar_one_or_none()
    return opted_out_at is not None and opted_out_at > at
