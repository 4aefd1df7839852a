"""The inbox's list: every conversation, newest activity first, filtered, searched and paged.

A conversation is a contact who wrote (or was written to from the inbox), or who waits for a
person. Its activity is the newest of its inbound messages, the operators' messages and the
handoff; broadcasts alone make no conversation (a campaign to 5,000 contacts would bury the
ones who answered). One filter at a time (`SHOWS`) plus a search over names, numbers,
usernames, BSUIDs (as the contacts page searches) and the text of the contact's messages
(a LIKE on both databases, which reads every message: bench/inbox_pages.py measured about 1.4 s
at 200,000 messages on PostgreSQL on a loaded 2-core machine, against 280 ms for the unfiltered
list; pg_trgm is available on the test server and a trigram index is the next step if shops
grow there).
"Waiting for a person" keeps the handoff queue's order: the longest-waiting first.
"Unread" is an inbound message after the team last opened or answered the thread (one marker
for the team, `conversation_states.read_at`); "negative" is the contact's last inbound
message scored negative by enrichment; "unassigned" is a conversation with a person that
nobody has.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, false, func, or_, select, union_all
from sqlalchemy.orm import Session

from database_models import (
    DIRECTION_IN,
    STATE_HANDOFF,
    Contact,
    ConversationState,
    ReceivedMessageLog,
    ScheduledMessage,
)
from web.dashboard.contacts_queries import MAX_SEARCH
from web.dashboard.contacts_queries import _matches as contact_matches  # the contacts page's own search
from web.dashboard.inbox import CUSTOMER_SERVICE_WINDOW, OPERATOR_KIND, operator_names, window_closes_at
from web.dashboard.search_text import typed_text

PAGE_SIZE = 30
SHOWS = ("all", "waiting", "mine", "unassigned", "bot", "unread", "negative", "window")


@dataclass(frozen=True)
class InboxFilter:
    """What the operator asked the list for (from the query string); what cannot be understood is left out."""

    show: str = "all"
    search: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> InboxFilter:
        page = args.get("page", "")
        return cls(show=args.get("show", "all") if args.get("show") in SHOWS else "all",
                   search=typed_text(args.get("q"), MAX_SEARCH),
                   page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1)

    def query_args(self, **changes: Any) -> dict[str, Any]:
        """This filter's query string (with `changes`) for links; defaults left out."""
        values = {"show": self.show, "q": self.search, "page": self.page} | changes
        return {key: value for key, value in values.items()
                if value and not (key == "show" and value == "all") and not (key == "page" and value == 1)}


@dataclass(frozen=True)
class Conversation:
    """One row of the inbox."""

    contact_id: int
    name: str | None
    handle: str
    state: str  # "bot" or "handoff"
    last_at: datetime
    last_text: str | None
    last_type: str | None
    unread: bool
    negative: bool
    window_open: bool
    window_closes_at: datetime | None
    assignee: str | None
    handoff_since: datetime | None
    waited: timedelta
    handoff_expired: bool


@dataclass(frozen=True)
class InboxPage:
    """One page of the list and how many conversations match in all."""

    conversations: list[Conversation]
    total: int
    page: int
    pages: int


def _activity() -> Any:
    """(contact_id, last_at) of every conversation: one row per contact.

    A customer's messages count through `contacts.last_inbound_at` (set with every inbound message),
    not by grouping the whole message log: 4 times faster at 200,000 messages (bench/inbox_pages.py).
    """
    moments = union_all(
        select(Contact.id.label("contact_id"), Contact.last_inbound_at.label("at"))
        .where(Contact.last_inbound_at.is_not(None)),
        select(ScheduledMessage.contact_id, func.max(ScheduledMessage.created_at))
        .where(ScheduledMessage.kind == OPERATOR_KIND).group_by(ScheduledMessage.contact_id),
        select(ConversationState.contact_id, ConversationState.handoff_since)
        .where(ConversationState.state == STATE_HANDOFF, ConversationState.handoff_since.is_not(None)),
    ).subquery()
    return (select(moments.c.contact_id, func.max(moments.c.at).label("last_at"))
            .group_by(moments.c.contact_id).subquery())


def _last_sentiment() -> Any:
    """The sentiment of the contact's newest inbound message (a correlated subquery)."""
    return (select(ReceivedMessageLog.sentiment)
            .where(ReceivedMessageLog.contact_id == Contact.id, ReceivedMessageLog.direction == DIRECTION_IN)
            .order_by(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc())
            .limit(1).scalar_subquery())


def _unread() -> Any:
    return and_(Contact.last_inbound_at.is_not(None),
                or_(ConversationState.read_at.is_(None), Contact.last_inbound_at > ConversationState.read_at))


def _filtered(query: Select, chosen: InboxFilter, operator_id: int | None, now: datetime) -> Select:
    handoff = ConversationState.state == STATE_HANDOFF
    conditions = {
        "waiting": handoff,
        "mine": ConversationState.assigned_operator_id == operator_id if operator_id is not None else false(),
        "unassigned": and_(handoff, ConversationState.assigned_operator_id.is_(None)),
        "bot": or_(ConversationState.state.is_(None), ConversationState.state != STATE_HANDOFF),
        "unread": _unread(),
        # Only contacts with some negative message are asked for their last one (one lookup each).
        "negative": and_(Contact.id.in_(select(ReceivedMessageLog.contact_id)
                                        .where(ReceivedMessageLog.sentiment == "negative")),
                         _last_sentiment() == "negative"),
        "window": Contact.last_inbound_at > now - CUSTOMER_SERVICE_WINDOW,
    }
    if chosen.show in conditions:
        query = query.where(conditions[chosen.show])
    if chosen.search:
        said = exists().where(ReceivedMessageLog.contact_id == Contact.id,
                              ReceivedMessageLog.text.icontains(chosen.search, autoescape=True))
        query = query.where(or_(contact_matches(chosen.search), said))
    return query


def inbox_page(session: Session, chosen: InboxFilter, operator_id: int | None, now: datetime) -> InboxPage:
    """The page of conversations `chosen` asks for."""
    activity = _activity()
    base = (select(Contact, ConversationState, activity.c.last_at)
            .join(activity, activity.c.contact_id == Contact.id)
            .outerjoin(ConversationState, ConversationState.contact_id == Contact.id))
    counted = (select(func.count()).select_from(Contact).join(activity, activity.c.contact_id == Contact.id)
               .outerjoin(ConversationState, ConversationState.contact_id == Contact.id))
    total = session.scalar(_filtered(counted, chosen, operator_id, now)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(chosen.page, pages)
    if chosen.show == "waiting":  # the queue: the longest-waiting first
        order = (ConversationState.handoff_since.asc().nulls_first(), Contact.id)
    else:
        order = (activity.c.last_at.desc(), Contact.id.desc())
    query = (_filtered(base.add_columns(_unread().label("unread"), _last_sentiment().label("sentiment")),
                       chosen, operator_id, now)
             .order_by(*order).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
    rows = session.execute(query).all()
    last = _last_inbound(session, [contact.id for contact, *_ in rows])
    names = operator_names(session, {state.assigned_operator_id for _, state, *_ in rows if state is not None})
    conversations = []
    for contact, state, last_at, unread, sentiment in rows:
        handoff = state is not None and state.state == STATE_HANDOFF
        since = state.handoff_since if handoff else None
        closes = window_closes_at(contact.last_inbound_at)
        message = last.get(contact.id)
        conversations.append(Conversation(
            contact_id=contact.id, name=contact.display_name, handle=contact.handle,
            state=STATE_HANDOFF if handoff else "bot", last_at=last_at,
            last_text=message.text if message else None, last_type=message.message_type if message else None,
            unread=bool(unread), negative=sentiment == "negative",
            window_open=closes is not None and now < closes, window_closes_at=closes,
            assignee=names.get(state.assigned_operator_id) if state is not None else None,
            handoff_since=since, waited=max(now - since, timedelta(0)) if since else timedelta(0),
            handoff_expired=handoff and state.expires_at is not None and state.expires_at <= now,
        ))
    return InboxPage(conversations, total, page, pages)


def _last_inbound(session: Session, contact_ids: list[int]) -> dict[int, ReceivedMessageLog]:
    """The newest message of each contact (one query, a window function)."""
    if not contact_ids:
        return {}
    ranked = select(
        ReceivedMessageLog.id,
        func.row_number().over(partition_by=ReceivedMessageLog.contact_id,
                               order_by=(ReceivedMessageLog.received_at.desc(), ReceivedMessageLog.id.desc()))
        .label("position"),
    ).where(ReceivedMessageLog.contact_id.in_(contact_ids)).subquery()
    messages = session.scalars(select(ReceivedMessageLog).join(ranked, ranked.c.id == ReceivedMessageLog.id)
                               .where(ranked.c.position == 1)).all()
    return {message.contact_id: message for message in messages}


def latest_activity(session: Session) -> str:
    """What the list's live refresh compares: the newest inbound message, operator message and state change."""
    inbound = session.scalar(select(func.max(ReceivedMessageLog.id))) or 0
    outbound = session.scalar(select(func.max(ScheduledMessage.id)).where(ScheduledMessage.kind == OPERATOR_KIND)) or 0
    changed = session.scalar(select(func.max(ConversationState.updated_at)))
    return f"{inbound}.{outbound}.{changed.timestamp() if changed else 0}"
