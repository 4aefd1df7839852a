"""Every setting of the platform, read from the environment into one `Config` object.

Nothing here runs at import time: `load_config()` is called by `create_app()` and by the
scripts, after python-dotenv has loaded `.env`. Secrets may also come from files (the
`NAME_FILE` convention of Docker and Kubernetes secrets).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

BASE_DIR = Path(__file__).resolve().parent
DEFAULT_SQLITE_URL = f"sqlite:///{BASE_DIR / 'instance' / 'whatsapp.db'}"
DEFAULT_GRAPH_API_URL = "https://graph.facebook.com"

# Secrets that may be given as NAME or NAME_FILE (never both).
SECRET_NAMES = (
    "WHATSAPP_API_TOKEN",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "ADMIN_API_TOKEN",
    "FLASK_SECRET_KEY",
    "SQLALCHEMY_DATABASE_URL",
)
# Without these a production process must not start.
REQUIRED_IN_PRODUCTION = ("WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "FLASK_SECRET_KEY")
# Development stand-ins, so `make run`, `make demo` and the dashboard login work with no credentials
# at all. ADMIN_API_TOKEN is not required in production (without it the admin API and the dashboard
# stay switched off there), so production never gets its stand-in; development always does.
DEVELOPMENT_DEFAULTS = {
    "WHATSAPP_APP_SECRET": "development-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "development-verify-token",
    "FLASK_SECRET_KEY": "development-secret-key",
    "ADMIN_API_TOKEN": "development-admin-token",
}
# The shortest secret production accepts, per setting. The two the operator generates (the session
# key and the admin token) get what `secrets.token_urlsafe(32)` gives with room to spare; Meta's app
# secret is 32 hex characters; the verify token is only compared once, at subscription, so 16 suffices.
MINIMUM_SECRET_LENGTHS = {
    "WHATSAPP_APP_SECRET": 32,
    "WHATSAPP_VERIFY_TOKEN": 16,
    "FLASK_SECRET_KEY": 32,
    "ADMIN_API_TOKEN": 32,
}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names the variable."""


@dataclass(frozen=True)
class OpeningHours:
    """Opening intervals per weekday (0 = Monday), in the configured timezone."""

    intervals: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)

    def is_open(self, weekday: int, moment: time) -> bool:
        """Whether the business is open on `weekday` at local time `moment`."""
        return any(start <= moment < end for start, end in self.intervals.get(weekday, ()))

    def describe(self) -> str:
        """A short human-readable form, e.g. for the chatbot's business-hours answer."""
        parts = []
        for day in range(7):
            spans = ", ".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.intervals.get(day, ()))
            if spans:
                parts.append(f"{WEEKDAYS[day]} {spans}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Config:
    """The platform's settings; build it with `load_config()`."""

    database_url: str = DEFAULT_SQLITE_URL
    whatsapp_api_token: str | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_business_account_id: str | None = None  # only the template sync needs it
    whatsapp_app_secret: str = DEVELOPMENT_DEFAULTS["WHATSAPP_APP_SECRET"]
    whatsapp_verify_token: str = DEVELOPMENT_DEFAULTS["WHATSAPP_VERIFY_TOKEN"]
    whatsapp_api_base_url: str = DEFAULT_GRAPH_API_URL
    whatsapp_max_mps: float = 80.0
    admin_api_token: str | None = None
    flask_secret_key: str = DEVELOPMENT_DEFAULTS["FLASK_SECRET_KEY"]
    app_env: str = "development"
    timezone: str = "Asia/Tehran"
    log_level: str = "INFO"
    max_webhook_bytes: int = 3 * 1024 * 1024  # Meta documents webhook payloads of up to 3 MB
    chatbot_rules_path: str = str(BASE_DIR / "rules" / "chatbot_rules.yaml")
    chatbot_max_message_age_seconds: int = 3600
    handoff_ttl_hours: float = 24.0
    business_hours: OpeningHours = field(default_factory=OpeningHours)
    send_replies_inline: bool = False
    reply_sender: str = "web"
    fast_status_webhooks: bool = True
    processor_time_budget_seconds: float = 55.0
    processor_batch_size: int = 500
    send_lease_seconds: int = 120
    send_max_attempts: int = 5
    resend_unconfirmed: bool = False
    trusted_proxy_hops: int = 0
    metrics_allowed_ips: str = "127.0.0.1,::1"
    admin_csv_max_bytes: int = 2 * 1024 * 1024
    # Outbound webhooks to private, loopback or link-local addresses (integrations.targets): allowed
    # while developing, refused in production unless WEBHOOK_ALLOW_PRIVATE_URLS=true.
    webhook_allow_private_urls: bool = True
    used_development_defaults: tuple[str, ...] = ()

    @property
    def is_production(self) -> bool:
        """True when running with APP_ENV=production."""
        return self.app_env == "production"

    @property
    def zone(self) -> ZoneInfo:
        """The business's timezone as a ZoneInfo."""
        return ZoneInfo(self.timezone)

    def replace(self, **changes: object) -> Config:
        """A copy with some settings changed (tests and scripts use this)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Config(**values)


def read_secret(environ: Mapping[str, str], name: str) -> str | None:
    """The value of secret `name` from NAME or from the file named by NAME_FILE."""
    direct = environ.get(name)
    file_name = environ.get(f"{name}_FILE")
    if direct and file_name:
        raise ConfigError(f"both {name} and {name}_FILE are set; set only one of them")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip() or None
        except OSError as error:
            raise ConfigError(f"{name}_FILE: cannot read {file_name} ({error.strerror})") from None
    return direct or None


def parse_business_hours(spec: str) -> OpeningHours:
    """Parse e.g. 'sat-wed 09:00-18:00; thu 09:00-13:00' (days closed when absent)."""
    intervals: dict[int, list[tuple[time, time]]] = {}
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        match = re.fullmatch(r"([a-z]{3})(?:-([a-z]{3}))?\s+(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})", part.lower())
        if not match or match.group(1) not in WEEKDAYS or (match.group(2) or "mon") not in WEEKDAYS:
            raise ConfigError(f"BUSINESS_HOURS: cannot read {part!r}; expected e.g. 'sat-wed 09:00-18:00'")
        first = WEEKDAYS.index(match.group(1))
        last = WEEKDAYS.index(match.group(2)) if match.group(2) else first
        try:
            start = time(int(match.group(3)), int(match.group(4)))
            end = time(int(match.group(5)), int(match.group(6))) if match.group(5) != "24" else time.max
        except ValueError:
            raise ConfigError(f"BUSINESS_HOURS: invalid time in {part!r}") from None
        if end <= start:
            raise ConfigError(f"BUSINESS_HOURS: {part!r} ends before it starts")
        day = first
        while True:
            intervals.setdefault(day, []).append((start, end))
            if day == last:
                break
            day = (day + 1) % 7
    return OpeningHours({day: tuple(spans) for day, spans in intervals.items()})


def _number(environ: Mapping[str, str], name: str, default: float, kind: type = float) -> float:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise ConfigError(f"{name} must not be negative, got {raw!r}")
    return value


def _networks(environ: Mapping[str, str], name: str, default: str) -> str:
    raw = environ.get(name) or default
    for item in filter(None, (part.strip() for part in raw.split(","))):
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigError(f"{name}: {item!r} is not an IP address or network") from None
    return raw


def _choice(environ: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    raw = (environ.get(name) or choices[0]).strip().lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw!r}")
    return raw


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw in (None, ""):
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _refuse_weak_secrets(secrets: Mapping[str, str | None]) -> None:
    """ConfigError naming the first secret shorter than production's minimum (unset ones are checked elsewhere)."""
    for name, minimum in MINIMUM_SECRET_LENGTHS.items():
        value = secrets.get(name)
        if value and len(value) < minimum:
            hint = ("copy it from Meta's app dashboard, App settings > Basic" if name == "WHATSAPP_APP_SECRET"
                    else "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'")
            length = f"{len(value)} character{'s' * (len(value) != 1)}"
            raise ConfigError(f"{name} is too short for APP_ENV=production ({length}, at least {minimum}); {hint}")


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Build and validate the settings from `environ` (default: the process environment)."""
    environ = os.environ if environ is None else environ
    app_env = (environ.get("APP_ENV") or "development").lower()
    secrets = {name: read_secret(environ, name) for name in SECRET_NAMES}
    used_defaults = []
    for name in REQUIRED_IN_PRODUCTION:
        if secrets[name]:
            continue
        if app_env == "production":
            raise ConfigError(f"{name} is required when APP_ENV=production (set it or {name}_FILE)")
        secrets[name] = DEVELOPMENT_DEFAULTS[name]
        used_defaults.append(name)
    if app_env == "production":
        _refuse_weak_secrets(secrets)
    elif not secrets["ADMIN_API_TOKEN"]:
        secrets["ADMIN_API_TOKEN"] = DEVELOPMENT_DEFAULTS["ADMIN_API_TOKEN"]
        used_defaults.append("ADMIN_API_TOKEN")
    timezone_name = environ.get("TIMEZONE") or "Asia/Tehran"
    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"TIMEZONE: unknown timezone {timezone_name!r}") from None
    log_level = (environ.get("LOG_LEVEL") or "INFO").upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {log_level!r}")
    max_mps = _number(environ, "WHATSAPP_MAX_MPS", 80.0)
    if not 0 < max_mps <= 1000:
        raise ConfigError("WHATSAPP_MAX_MPS must be between 1 and 1000 (the Cloud API's range)")
    base_url = (environ.get("WHATSAPP_API_BASE_URL") or DEFAULT_GRAPH_API_URL).rstrip("/")
    if not re.match(r"https?://", base_url):
        raise ConfigError(f"WHATSAPP_API_BASE_URL must start with http:// or https://, got {base_url!r}")
    return Config(
        database_url=secrets["SQLALCHEMY_DATABASE_URL"] or DEFAULT_SQLITE_URL,
        whatsapp_api_token=secrets["WHATSAPP_API_TOKEN"],
        whatsapp_phone_number_id=environ.get("WHATSAPP_PHONE_NUMBER_ID") or None,
        whatsapp_business_account_id=(environ.get("WHATSAPP_BUSINESS_ACCOUNT_ID") or "").strip() or None,
        whatsapp_app_secret=secrets["WHATSAPP_APP_SECRET"],
        whatsapp_verify_token=secrets["WHATSAPP_VERIFY_TOKEN"],
        whatsapp_api_base_url=base_url,
        whatsapp_max_mps=max_mps,
        admin_api_token=secrets["ADMIN_API_TOKEN"],
        flask_secret_key=secrets["FLASK_SECRET_KEY"],
        app_env=app_env,
        timezone=timezone_name,
        log_level=log_level,
        max_webhook_bytes=int(_number(environ, "MAX_WEBHOOK_BYTES", 3 * 1024 * 1024, int)),
        chatbot_rules_path=environ.get("CHATBOT_RULES_PATH") or str(BASE_DIR / "rules" / "chatbot_rules.yaml"),
        chatbot_max_message_age_seconds=int(_number(environ, "CHATBOT_MAX_MESSAGE_AGE_SECONDS", 3600, int)),
        handoff_ttl_hours=_number(environ, "HANDOFF_TTL_HOURS", 24.0),
        business_hours=parse_business_hours(environ.get("BUSINESS_HOURS") or "sat-wed 09:00-18:00; thu 09:00-13:00"),
        send_replies_inline=_flag(environ, "SEND_REPLIES_INLINE", False),
        reply_sender=_choice(environ, "REPLY_SENDER", ("web", "processor")),
        fast_status_webhooks=_flag(environ, "FAST_STATUS_WEBHOOKS", True),
        processor_time_budget_seconds=_number(environ, "PROCESSOR_TIME_BUDGET_SECONDS", 55.0),
        processor_batch_size=int(_number(environ, "PROCESSOR_BATCH_SIZE", 500, int)) or 500,
        send_lease_seconds=int(_number(environ, "SEND_LEASE_SECONDS", 120, int)) or 120,
        send_max_attempts=int(_number(environ, "SEND_MAX_ATTEMPTS", 5, int)) or 5,
        resend_unconfirmed=_flag(environ, "RESEND_UNCONFIRMED", False),
        trusted_proxy_hops=int(_number(environ, "TRUSTED_PROXY_HOPS", 0, int)),
        metrics_allowed_ips=_networks(environ, "METRICS_ALLOWED_IPS", "127.0.0.1,::1"),
        admin_csv_max_bytes=int(_number(environ, "ADMIN_CSV_MAX_BYTES", 2 * 1024 * 1024, int)),
        webhook_allow_private_urls=_flag(environ, "WEBHOOK_ALLOW_PRIVATE_URLS", app_env != "production"),
        used_development_defaults=tuple(used_defaults),
    )
