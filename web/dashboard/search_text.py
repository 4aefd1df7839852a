"""What a person can have typed into a search box: the one reading every list's `q` goes through.

Control characters match nothing a person typed (they arrive pasted, or from a crafted link), and
PostgreSQL refuses a NUL in a query parameter, which would turn a search into a server error.
"""

from __future__ import annotations


def typed_text(value: object, limit: int) -> str:
    """`value` without control characters, stripped, at most `limit` characters."""
    text = "".join(char for char in str(value or "") if char >= " " and char != "\x7f")
    return text.strip()[:limit]
