"""Clean values out of a webhook's untrusted JSON: short text, lists of objects, JSON integers, Unix times.

Shared by the modules that read the shapes beyond a customer's text (`shapes`, `events`,
`preferences`): a value of the wrong type is None (or an empty list), never an exception.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MAX_EVENT_STRING = 2000  # a value kept in event_data; the raw item stays whole in `payload`


def short_text(value: Any, limit: int = MAX_EVENT_STRING) -> str | None:
    """A non-empty string without NUL or lone surrogates, cut to `limit` characters; else None."""
    if not isinstance(value, str) or not value:
        return None
    return value.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit] or None


def is_json_int(value: Any) -> bool:
    """An integer (not a bool) that JSON readers everywhere keep exact."""
    return isinstance(value, int) and not isinstance(value, bool) and -(2**53) < value < 2**53


def dict_list(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON array; anything else is an empty list."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def unix_time(value: Any) -> datetime | None:
    """A Unix timestamp (number or digits) as an aware UTC datetime; None when it is not a plausible one."""
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, UTC) if 0 < seconds < 32503680000 else None
    except (TypeError, ValueError, OverflowError):
        return None
