"""Two contacts that turn out to be one person become one, losing no history.

A webhook that shows a phone number and a BSUID stored on two contacts, or a
`user_changed_number` / `user_changed_user_id` system message, folds the newer contact into
the older one (`identity.ContactResolver` decides when). Never commits.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from database_models import (
    CANCELLED,
    FAILED,
    PAUSED,
    PENDING,
    SKIPPED,
    STATE_BOT,
    Contact,
    ContactTag,
    ConversationState,
    OptOutEvent,
    Order,
    OrderInquiry,
    ReceivedMessageLog,
    ScheduledMessage,
    utcnow,
)

logger = logging.getLogger(__name__)

# Queue rows that have not reached the customer: the ones to drop when a merge finds two for one campaign.
_NOT_SENT = (PENDING, PAUSED, CANCELLED, SKIPPED, FAILED)


def merge_contacts(session: Session, survivor: int, duplicate: int) -> None:
    """Fold contact `duplicate` into `survivor` (the older one) and delete it, losing no history.

    Messages, queue rows, tags, orders and the conversation state move; the identifiers, name,
    username and attributes are combined (the survivor's win where both have one); an
    opt-out of either stands, since either was the person's own request.
    """
    contacts = Contact.__table__
    rows = {row.id: row for row in session.execute(select(contacts).where(contacts.c.id.in_((survivor, duplicate))))}
    keep, gone = rows[survivor], rows[duplicate]
    session.execute(update(ReceivedMessageLog).where(ReceivedMessageLog.contact_id == duplicate)
                    .values(contact_id=survivor).execution_options(synchronize_session=False))
    _move_queue_rows(session, survivor, duplicate)
    session.execute(update(OptOutEvent.__table__).where(OptOutEvent.__table__.c.contact_id == duplicate)
                    .values(contact_id=survivor))
    tags = ContactTag.__table__.c
    session.execute(update(ContactTag.__table__).where(
        tags.contact_id == duplicate,
        tags.tag.not_in(select(tags.tag).where(tags.contact_id == survivor).scalar_subquery()),
    ).values(contact_id=survivor))
    orders = Order.__table__  # a shop's orders follow their customer (orders/)
    session.execute(update(orders).where(orders.c.contact_id == duplicate).values(contact_id=survivor))
    session.execute(delete(OrderInquiry.__table__).where(OrderInquiry.__table__.c.contact_id == duplicate))
    states = ConversationState.__table__
    state_of = dict(session.execute(select(states.c.contact_id, states.c.state)
                                    .where(states.c.contact_id.in_((survivor, duplicate)))).all())
    if duplicate in state_of and (survivor not in state_of or (
            state_of[survivor] == STATE_BOT and state_of[duplicate] != STATE_BOT)):
        # The duplicate's state is the one that matters when a human took over its conversation.
        session.execute(delete(states).where(states.c.contact_id == survivor))
        session.execute(update(states).where(states.c.contact_id == duplicate).values(contact_id=survivor))
    merged = {
        "wa_id": keep.wa_id or gone.wa_id, "user_id": keep.user_id or gone.user_id,
        "parent_user_id": keep.parent_user_id or gone.parent_user_id, "username": keep.username or gone.username,
        "name": keep.name or gone.name, "profile_name": keep.profile_name or gone.profile_name,
        "profile_name_updated_at": keep.profile_name_updated_at if keep.profile_name else gone.profile_name_updated_at,
        "attributes": {**(gone.attributes or {}), **(keep.attributes or {})},
        **_merged_choice(keep, gone),
        "last_inbound_at": max((t for t in (keep.last_inbound_at, gone.last_inbound_at) if t), default=None),
        "first_inbound_at": min((t for t in (keep.first_inbound_at, gone.first_inbound_at) if t), default=None),
        "updated_at": utcnow(),
    }
    # What did not move goes with the duplicate (explicitly: SQLite may run without foreign keys),
    # and the duplicate gives up its identifiers before the survivor takes them: each is unique.
    session.execute(delete(ContactTag.__table__).where(tags.contact_id == duplicate))
    session.execute(delete(states).where(states.c.contact_id == duplicate))
    session.execute(delete(contacts).where(contacts.c.id == duplicate))
    session.execute(update(contacts).where(contacts.c.id == survivor).values(**merged))
    logger.info("contacts merged", extra={"event": "contact.merged", "contact_id": survivor,
                                          "merged_contact_id": duplicate})


def _merged_choice(keep: Any, gone: Any) -> dict[str, Any]:
    # An opt-out of either stands, with its own time and reason.
    chosen = keep if keep.opted_out or not gone.opted_out else gone
    return {"opted_out": chosen.opted_out, "opted_out_at": chosen.opted_out_at,
            "opted_out_source": chosen.opted_out_source, "opted_out_reason": chosen.opted_out_reason}


def _move_queue_rows(session: Session, survivor: int, duplicate: int) -> None:
    # One row per recipient per campaign: where both contacts have one, the row that reached
    # the customer is kept, and of two that both did, the survivor's.
    queue = ScheduledMessage
    both = (select(queue.broadcast_id).where(queue.contact_id == survivor, queue.broadcast_id.is_not(None))
            .intersect(select(queue.broadcast_id).where(queue.contact_id == duplicate)))
    shared = list(session.scalars(both))
    if shared:
        session.execute(delete(queue).where(queue.contact_id == survivor, queue.broadcast_id.in_(shared),
                                            queue.status.in_(_NOT_SENT)).execution_options(synchronize_session=False))
        kept = set(session.scalars(select(queue.broadcast_id).where(queue.contact_id == survivor,
                                                                     queue.broadcast_id.in_(shared))))
        session.execute(delete(queue).where(queue.contact_id == duplicate, queue.broadcast_id.in_(kept))
                        .execution_options(synchronize_session=False))
    session.execute(update(queue).where(queue.contact_id == duplicate).values(contact_id=survivor)
                    .execution_options(synchronize_session=False))
