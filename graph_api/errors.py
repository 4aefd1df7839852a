"""Which Graph API failures may succeed when retried: the single table of error codes.

`classify_error` decides from Meta's error code and the HTTP status; a send with no
response at all (timeout, refused or reset connection) counts as transient.
"""

from __future__ import annotations

RATE_LIMITED = 130429
OUTSIDE_WINDOW = 131047
MARKETING_OPT_OUT = 131050

RETRYABLE_CODES = frozenset({RATE_LIMITED, 131056, 4, 80007, 131000, 131016, 131057})
PERMANENT_CODES = frozenset({131026, OUTSIDE_WINDOW, 131049, MARKETING_OPT_OUT, 131051, 131048, 368, 190, 100})
TEMPLATE_ERROR_CODES = range(132000, 133000)


def classify_error(code: int | None, http_status: int | None) -> bool:
    """Whether a failed send may succeed when retried later (True) or never (False)."""
    if code in RETRYABLE_CODES:
        return True
    if code in PERMANENT_CODES or (code is not None and code in TEMPLATE_ERROR_CODES):
        return False
    if http_status is None:
        # No response at all (timeout, refused or reset connection) is transient;
        # an unknown code without a status cannot come from the API, so do not guess.
        return code is None
    return http_status >= 500 or http_status in (408, 429)


class GraphApiError(RuntimeError):
    """A Graph API read (not a send) failed: Meta's code and title, or the transport's failure."""

    def __init__(self, title: str, code: int | None = None, http_status: int | None = None) -> None:
        super().__init__(f"{title} (code {code}, HTTP {http_status})" if code or http_status else title)
        self.title, self.code, self.http_status = title, code, http_status
