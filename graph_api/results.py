"""What a Graph API call gave: `SendResult`, which senders return instead of raising."""

from __future__ import annotations

from dataclasses import dataclass

from graph_api.errors import MARKETING_OPT_OUT, OUTSIDE_WINDOW, classify_error

MAX_TITLE_LENGTH = 200


@dataclass(frozen=True)
class SendResult:
    """The outcome of one Graph API call; senders return it instead of raising."""

    ok: bool
    wamid: str | None
    error_code: int | None
    error_title: str | None
    retryable: bool
    http_status: int | None
    dry_run: bool = False

    @classmethod
    def success(cls, wamid: str | None, *, http_status: int | None = 200, dry_run: bool = False) -> SendResult:
        """An accepted call, with the wamid the API issued (None for read receipts)."""
        return cls(True, wamid, None, None, False, http_status, dry_run)

    @classmethod
    def failure(
        cls,
        error_code: int | None,
        error_title: str | None,
        http_status: int | None = None,
        *,
        retryable: bool | None = None,
    ) -> SendResult:
        """A failed call, classified by `classify_error` unless `retryable` is given."""
        if retryable is None:
            retryable = classify_error(error_code, http_status)
        title = error_title[:MAX_TITLE_LENGTH] if error_title else error_title
        return cls(False, None, error_code, title, retryable, http_status)

    @property
    def opted_out(self) -> bool:
        """True when the recipient has stopped marketing messages (131050)."""
        return self.error_code == MARKETING_OPT_OUT

    @property
    def outside_window(self) -> bool:
        """True when a free-form message was refused outside the 24-hour window."""
        return self.error_code == OUTSIDE_WINDOW
