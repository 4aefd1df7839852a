"""Who a webhook item names: a phone number and/or a business-scoped user id (BSUID), read from the payload.

Since April 2026 Meta names a WhatsApp user by a BSUID (`user_id`, `from_user_id`,
`recipient_user_id`) alongside the phone number (`wa_id`, `from`, `recipient_id`) or, for a
user with a username, instead of it. `sender_of` completes a message's sender from the
change's `contacts` array (`profiles_of`); the profile name it carries is stored as the
contact's `profile_name`, never as the operator's `name`. Pure functions: no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# A BSUID is an ISO country code, a dot and up to 128 letters or digits (a parent BSUID has
# ENT in between): US.13491208655302741918, US.ENT.11815799212886844830.
USER_ID_PATTERN = re.compile(r"^[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}$")
MAX_WA_ID_LENGTH = 32
MAX_USER_ID_LENGTH = 160
MAX_USERNAME_LENGTH = 128
MAX_NAME_LENGTH = 256
CHANGED_NUMBER, CHANGED_USER_ID = "user_changed_number", "user_changed_user_id"


def is_user_id(value: str | None) -> bool:
    """Whether `value` has the shape of a BSUID (or a parent BSUID) rather than a phone number."""
    return bool(value) and USER_ID_PATTERN.match(value) is not None


def clean(value: Any, limit: int) -> str | None:
    """A non-empty string without NUL or lone surrogates, at most `limit` characters, else None."""
    if not isinstance(value, str) or not value:
        return None
    if "\x00" in value or not value.isascii():
        value = value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return value if value and len(value) <= limit else None


def _cut(value: Any, limit: int) -> str | None:
    text = clean(value, 10**6)
    return text[:limit] if text else None


@dataclass(frozen=True)
class Identity:
    """What one webhook item says about a user: at least a phone number or a BSUID."""

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    name: str | None = None  # the WhatsApp profile name: stored as `profile_name`, never as the operator's `name`

    def __bool__(self) -> bool:
        return bool(self.wa_id or self.user_id)


def profiles_of(contacts: Any) -> Profiles:
    """The `contacts` array of a messages change as identities (entries naming nobody are dropped)."""
    profiles = []
    for contact in contacts if isinstance(contacts, list) else []:
        if not isinstance(contact, dict):
            continue
        profile = contact.get("profile") if isinstance(contact.get("profile"), dict) else {}
        identity = Identity(
            wa_id=clean(contact.get("wa_id"), MAX_WA_ID_LENGTH),
            user_id=clean(contact.get("user_id"), MAX_USER_ID_LENGTH),
            parent_user_id=clean(contact.get("parent_user_id"), MAX_USER_ID_LENGTH),
            username=_cut(profile.get("username"), MAX_USERNAME_LENGTH),
            name=_cut(profile.get("name"), MAX_NAME_LENGTH),
        )
        if identity:
            profiles.append(identity)
    return Profiles(profiles)


class Profiles(list[Identity]):
    """The identities of one `contacts` array, looked up by phone number or BSUID through indexes built once.

    A 3 MB envelope carries some 13,000 messages and as many profiles: scanning the list for
    each message took 93 million comparisons (14 s), the indexes take one pass. Read-only
    once built; the first matching profile wins, as a scan in order would find it.
    """

    def __init__(self, identities: Iterable[Identity] = ()) -> None:
        super().__init__(identities)
        self._by_wa_id: dict[str, int] = {}
        self._by_user_id: dict[str, int] = {}
        for position, identity in enumerate(self):
            if identity.wa_id:
                self._by_wa_id.setdefault(identity.wa_id, position)
            if identity.user_id:
                self._by_user_id.setdefault(identity.user_id, position)

    def matching(self, wa_id: str | None, user_id: str | None) -> Identity:
        """The first profile with this phone number or this BSUID, or an empty Identity."""
        positions = [found for found in (self._by_wa_id.get(wa_id) if wa_id else None,
                                         self._by_user_id.get(user_id) if user_id else None) if found is not None]
        return self[min(positions)] if positions else Identity()


def sender_of(message: dict[str, Any], profiles: Sequence[Identity]) -> Identity:
    """Who sent `message`: its `from` / `from_user_id` completed by the matching `contacts` entry."""
    wa_id = clean(message.get("from"), MAX_WA_ID_LENGTH)
    user_id = clean(message.get("from_user_id"), MAX_USER_ID_LENGTH)
    parent = clean(message.get("from_parent_user_id"), MAX_USER_ID_LENGTH)
    if not (wa_id or user_id):
        return Identity()
    profile = (profiles if isinstance(profiles, Profiles) else Profiles(profiles)).matching(wa_id, user_id)
    return Identity(wa_id=wa_id or profile.wa_id, user_id=user_id or profile.user_id,
                    parent_user_id=parent or profile.parent_user_id, username=profile.username, name=profile.name)
