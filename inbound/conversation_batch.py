"""The conversation states of one webhook's messages, read with them and written in a few statements
(and the batch's intents, written in one).

The chatbot decides a webhook's new messages in order, each seeing what the previous one
changed. Through the ORM every state was a session object: a new one pending in the session,
an existing one dirty after its first decision, so every query made while deciding (an order
look-up, an event subscription check) autoflushed the states decided so far: 1,503 flushes
for a 3 MB envelope, a third of its time (docs/scale.md §6). Here the states are loaded as rows
and handed to the chatbot as `StateRow`s, plain objects with the columns the chatbot decides
(not in the session, so nothing flushes them, and no ORM instrumentation on each attribute
read and write); at the end `write` inserts the new ones in one multi-row
INSERT and updates the changed ones, each statement setting only the columns the chatbot
changed, as the ORM's flush did, so a column someone else changed meanwhile (an operator's
release of a handoff, an assignment) is not written back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm import Session, defer, joinedload

from database_models import STATE_BOT, ConversationState, ReceivedMessageLog, utcnow

# The columns the chatbot reads and decides; any other column of the table is not touched.
DECIDED = ("state", "last_intent", "handoff_since", "expires_at", "negative_in_a_row", "language")
_TABLE = ConversationState.__table__
# The state's columns to select beside a message (outer-joined): `known` takes such a row.
STATE_COLUMNS = (_TABLE.c.contact_id.label("state_contact_id"), *(_TABLE.c[name] for name in DECIDED))
_LOAD = select(*STATE_COLUMNS)


class StateRow:
    """One contact's conversation state as the chatbot reads and changes it: `ConversationState`'s columns."""

    __slots__ = ("contact_id", *DECIDED)

    def __init__(self, contact_id: int, state: str = STATE_BOT, last_intent: str | None = None,
                 handoff_since: datetime | None = None, expires_at: datetime | None = None,
                 negative_in_a_row: int | None = 0, language: str | None = None) -> None:
        self.contact_id, self.state, self.last_intent = contact_id, state, last_intent
        self.handoff_since, self.expires_at = handoff_since, expires_at
        self.negative_in_a_row, self.language = negative_in_a_row, language

    def values(self) -> tuple[Any, ...]:
        """The decided columns, in DECIDED's order."""
        return (self.state, self.last_intent, self.handoff_since, self.expires_at, self.negative_in_a_row,
                self.language)


class _NoRow:
    state_contact_id = None


_NO_ROW = _NoRow()


class BatchStates:
    """Conversation states by contact id for one transaction's decisions; `write` stores what changed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._states: dict[int, StateRow] = {}
        self._loaded: dict[int, tuple[Any, ...]] = {}  # contact id -> the decided columns as read
        self._absent: set[int] = set()  # contacts known to have no stored state

    def known(self, contact_id: int, row: Any) -> None:
        """Take the contact's state from `row` (STATE_COLUMNS, selected with its message); none if its
        `state_contact_id` is None (the outer join found no state)."""
        if contact_id in self._states or contact_id in self._absent:
            return
        if row.state_contact_id is None:
            self._absent.add(contact_id)
            return
        values = tuple(getattr(row, name) for name in DECIDED)
        self._loaded[contact_id] = values
        self._states[contact_id] = StateRow(contact_id, *values)

    def load(self, contact_ids: Iterable[int]) -> None:
        """Read the stored states of `contact_ids` in one query (pages of 1,000 ids for SQLite's limit)."""
        wanted = sorted(set(contact_ids) - self._states.keys() - self._absent)
        for start in range(0, len(wanted), 1000):
            page = wanted[start:start + 1000]
            found = {row.state_contact_id: row for row in
                     self.session.execute(_LOAD.where(_TABLE.c.contact_id.in_(page)))}
            for contact_id in page:
                self.known(contact_id, found.get(contact_id) or _NO_ROW)

    def get(self, contact_id: int) -> StateRow:
        """The contact's state as read (or as decided so far in this batch); a new bot state if none is stored."""
        state = self._states.get(contact_id)
        if state is None and contact_id not in self._absent:
            self.load([contact_id])
            state = self._states.get(contact_id)
        if state is None:
            state = self._states[contact_id] = StateRow(contact_id)
        return state

    def touched(self, contact_id: int) -> StateRow | None:
        """The contact's state if the decisions read it (stored or new), else None."""
        return self._states.get(contact_id)

    def write(self) -> None:
        """Insert the new states (one multi-row INSERT) and update the changed ones (one statement per set of
        changed columns)."""
        now = utcnow()
        new_rows: list[dict[str, Any]] = []
        changed: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for contact_id, state in self._states.items():
            values = state.values()
            before = self._loaded.get(contact_id)
            if before is None:
                new_rows.append({"contact_id": contact_id, **dict(zip(DECIDED, values, strict=True)),
                                 "updated_at": now})
                continue
            columns = tuple(name for name, old, new in zip(DECIDED, before, values, strict=True) if old != new)
            if columns:
                changed[columns].append({"b_contact_id": contact_id, "b_updated_at": now}
                                        | {f"b_{name}": getattr(state, name) for name in columns})
            self._loaded[contact_id] = values
        if new_rows:
            # A state inserted by a concurrent webhook since the read fails this one (a primary key
            # conflict), as the ORM's INSERT did: the request is refused and Meta delivers it again.
            self.session.execute(insert(_TABLE), new_rows)
            for row in new_rows:
                self._loaded[row["contact_id"]] = tuple(row[name] for name in DECIDED)
        for columns, rows in changed.items():
            self.session.execute(update(_TABLE).where(_TABLE.c.contact_id == bindparam("b_contact_id"))
                                 .values({name: bindparam(f"b_{name}") for name in columns}
                                         | {"updated_at": bindparam("b_updated_at")}), rows)


# The batch's messages with their contacts and state columns, in one query. Built once (every
# answered text runs it): constructing it per webhook was a tenth of a text's CPU.
NEW_MESSAGES = (select(ReceivedMessageLog, *STATE_COLUMNS)
                 .options(joinedload(ReceivedMessageLog.contact), defer(ReceivedMessageLog.payload))
                 .outerjoin(ConversationState, ConversationState.contact_id == ReceivedMessageLog.contact_id)
                 .where(ReceivedMessageLog.id.in_(bindparam("ids", expanding=True)))
                 .order_by(ReceivedMessageLog.id))


def store_intents(session: Session, intents: list[dict[str, Any]]) -> None:
    """Write the gathered (row_id, new_intent, confidence) of many messages with one statement."""
    if not intents:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One UPDATE joined to unnest()ed arrays: psycopg2's executemany makes a round trip per row.
        session.execute(text(
            "UPDATE received_messages AS t SET intent = s.new_intent, intent_confidence = s.confidence "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:intents AS varchar[]), CAST(:confidences AS float8[])) "
            "AS s(row_id, new_intent, confidence) WHERE t.id = s.row_id"
        ), {"ids": [row["row_id"] for row in intents], "intents": [row["new_intent"] for row in intents],
            "confidences": [row["confidence"] for row in intents]})
        return
    table = ReceivedMessageLog.__table__
    session.execute(update(table).where(table.c.id == bindparam("row_id"))  # SQLite: in-process executemany
                    .values(intent=bindparam("new_intent"), intent_confidence=bindparam("confidence")), intents)
