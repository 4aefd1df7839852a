"""`X-Hub-Signature-256`: the HMAC-SHA256 Meta sends over a webhook's raw body, and its check.

One place computes it for the webhook view, the status shortcut, `make demo` and the tests'
signed-webhook poster. The comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_PREFIX = "sha256="


def sign_payload(body: bytes, app_secret: str | bytes) -> str:
    """The X-Hub-Signature-256 header value Meta sends for `body`."""
    key = app_secret if isinstance(app_secret, bytes) else app_secret.encode()
    return SIGNATURE_PREFIX + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_matches(signature: str, body: bytes, app_secret: str | bytes) -> bool:
    """Whether `signature` (the header's value) is Meta's for `body`, compared in constant time."""
    return hmac.compare_digest(signature.encode(), sign_payload(body, app_secret).encode())
