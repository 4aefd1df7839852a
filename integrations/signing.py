"""The signature of an outbound webhook, as Meta signs the webhooks it sends us.

`X-Platform-Signature-256: sha256=<hex HMAC-SHA256 of the raw body, keyed with the subscription's secret>`.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Platform-Signature-256"
EVENT_ID_HEADER = "X-Platform-Event-Id"
EVENT_TYPE_HEADER = "X-Platform-Event-Type"


def signature(body: bytes, secret: str) -> str:
    """The header value for `body`: `sha256=` and the hex HMAC-SHA256 keyed with `secret`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_valid(header: str | None, body: bytes, secret: str) -> bool:
    """True when `header` is the signature of `body` with `secret` (constant-time comparison)."""
    return bool(header) and hmac.compare_digest(header.encode(), signature(body, secret).encode())
