"""What a processing run came to: one `Outcome` per claimed row, a `ProcessSummary` per run."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from whatsapp_service import SendResult


@dataclass
class Outcome:
    """What became of one claimed row."""

    row_id: int
    action: str  # sent, failed, skipped, retry, deferred, released, unknown
    result: SendResult | None = None
    retry_at: datetime | None = None
    reason: str | None = None
    recipient: str | None = None
    at: datetime | None = None
    seconds: float | None = None  # how long the Graph API call(s) took
    rendered: tuple[str | None, list | None] | None = None  # body and params, when they differ from the preview


@dataclass
class ProcessSummary:
    """Counts of one processing run, logged as JSON by the cron entry."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    deferred: int = 0
    released: int = 0
    unknown: int = 0
    recovered: int = 0
    batches: int = 0
    seconds: float = 0.0
    claim_seconds: float = 0.0  # of `seconds`, claiming batches (the sending threads go on meanwhile)
    record_seconds: float = 0.0  # of `seconds`, committing outcomes (likewise)
    failed_by_code: dict[str, int] = field(default_factory=dict)
    campaigns_completed: list[int] = field(default_factory=list)

    _FIELDS = {"sent": "sent", "failed": "failed", "retry": "retried", "skipped": "skipped",
               "deferred": "deferred", "released": "released", "unknown": "unknown"}

    def add(self, outcome: Outcome) -> None:
        """Count one outcome."""
        name = self._FIELDS[outcome.action]
        setattr(self, name, getattr(self, name) + 1)
        if outcome.action == "failed" and outcome.result is not None:
            key = str(outcome.result.error_code)
            self.failed_by_code[key] = self.failed_by_code.get(key, 0) + 1

    def as_dict(self) -> dict:
        """The summary as a JSON-ready dict."""
        data = asdict(self)
        data["messages_per_second"] = round(self.sent / self.seconds, 1) if self.seconds else 0.0
        return data

    def describe(self) -> str:
        """A short human summary, e.g. for `broadcast process`."""
        line = (f"claimed {self.claimed}: sent {self.sent}, failed {self.failed}, skipped {self.skipped}, "
                f"unknown {self.unknown}")
        later = [f"{count} {name}" for name, count in (("to retry", self.retried), ("deferred", self.deferred),
                                                       ("handed back", self.released)) if count]
        if later:
            line += f" ({', '.join(later)})"
        line += f" in {self.seconds:.1f} s"
        if self.recovered:
            line += f"\n{self.recovered} claims of a crashed processor recovered (see broadcast report)"
        done = ", ".join(f"#{number}" for number in self.campaigns_completed)
        return line + f"\ncampaigns completed: {len(self.campaigns_completed)}" + (f" ({done})" if done else "")
