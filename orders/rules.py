"""The orders rules file (rules/orders.yaml): statuses, carriers and their tracking links, replies per language.

Read once per path and process; a malformed file raises OrderRulesError naming the file and
the key, so a typo stops start-up instead of answering wrongly: the chatbot reads the file
when a web worker starts (gunicorn's preflight prints `orders rules error: …` and refuses to
start, as for the chatbot's own rules), and `flask orders …` says the same and exits 1.
Once read, a request never reads it again, so a bad edit to a running server's file is
found at the next start or reload, never as a failed request.
"""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config import Config

LANGUAGES = ("fa", "en")
REPLY_KEYS = ("status", "tracking", "tracking_link", "expected", "items", "choose", "choice_line", "not_found",
              "needs_person")
PLACEHOLDERS = frozenset({"number", "status", "tracking_code", "carrier", "tracking_url", "expected", "items",
                          "orders", "position"})
SHIPPED_RULES = Path(__file__).resolve().parent.parent / "rules" / "orders.yaml"
_STATUS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class OrderRulesError(ValueError):
    """The orders rules file cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class Carrier:
    """A carrier's name per language and its tracking link pattern ({code} = the tracking code)."""

    names: dict[str, str]
    tracking_url: str | None

    def link(self, code: str | None) -> str | None:
        return self.tracking_url.replace("{code}", code) if self.tracking_url and code else None


@dataclass(frozen=True)
class Template:
    """An approved WhatsApp template sent instead of the text outside the 24-hour window; params are placeholders."""

    name: str
    language: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class OrderRules:
    """What rules/orders.yaml says, checked."""

    statuses: tuple[str, ...]
    needs_person: frozenset[str]
    answer_minutes: float
    recent_days: float
    carriers: dict[str, Carrier] = field(default_factory=dict)
    status_names: dict[str, dict[str, str]] = field(default_factory=dict)
    replies: dict[str, dict[str, str]] = field(default_factory=dict)
    notifications: dict[str, dict[str, str]] = field(default_factory=dict)
    templates: dict[str, Template] = field(default_factory=dict)  # status -> for outside the 24-hour window

    def reply(self, key: str, language: str) -> str:
        by_language = self.replies[key]
        return by_language.get(language) or by_language["fa"]

    def notification(self, status: str, language: str) -> str | None:
        by_language = self.notifications.get(status)
        return (by_language.get(language) or by_language["fa"]) if by_language else None

    def status_name(self, status: str, language: str) -> str:
        return self.status_names.get(language, {}).get(status) or self.status_names["fa"].get(status) or status

    def carrier_name(self, carrier: str | None, language: str) -> str:
        known = self.carriers.get(carrier or "")
        return (known.names.get(language) or known.names.get("fa") or carrier or "") if known else (carrier or "")

    def tracking_url(self, carrier: str | None, code: str | None) -> str | None:
        known = self.carriers.get(carrier or "")
        return known.link(code) if known else None


def rules_path(config: Config) -> Path:
    """The `orders.yaml` beside the chatbot's rules file; without one there, the shipped rules/orders.yaml.

    A deployment that points CHATBOT_RULES_PATH at its own copy of the intents still answers
    orders with the shipped statuses and replies until it adds an orders.yaml beside it.
    """
    beside = Path(config.chatbot_rules_path).with_name("orders.yaml")
    return beside if beside.exists() else SHIPPED_RULES


def order_rules(config: Config) -> OrderRules:
    """The orders rules for `config`, read once per path."""
    return load_order_rules(str(rules_path(config)))


@functools.lru_cache(maxsize=8)
def load_order_rules(path: str) -> OrderRules:
    """Read and check an orders rules file; OrderRulesError when it cannot be used."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise OrderRulesError(f"{path}: cannot read the orders rules: {error}") from None
    return parse_order_rules(data, path)


def parse_order_rules(data: Any, source: str = "<orders rules>") -> OrderRules:
    """OrderRules from the YAML's data; OrderRulesError naming `source` and the key."""
    def fail(reason: str) -> OrderRulesError:
        return OrderRulesError(f"{source}: {reason}")

    if not isinstance(data, dict):
        raise fail("the file must be a mapping of keys to values")
    statuses = tuple(str(status) for status in data.get("statuses") or ())
    bad = [status for status in statuses if not _STATUS.match(status)]
    if not statuses or bad:
        raise fail(f"statuses: a list of lower-case names is required (bad: {bad})")
    unknown = set(data.get("needs_person") or ()) - set(statuses)
    if unknown:
        raise fail(f"needs_person: not in statuses: {sorted(unknown)}")
    replies = {key: _by_language(data.get("replies", {}).get(key), f"replies.{key}", fail) for key in REPLY_KEYS}
    raw_notifications = {str(status): dict(texts) if isinstance(texts, dict) else texts
                         for status, texts in (data.get("notifications") or {}).items()}
    templates = {status: _template(texts.pop("template"), f"notifications.{status}.template", fail)
                 for status, texts in raw_notifications.items() if isinstance(texts, dict) and "template" in texts}
    notifications = {status: _by_language(texts, f"notifications.{status}", fail)
                     for status, texts in raw_notifications.items()}
    unknown = set(notifications) - set(statuses)
    if unknown:
        raise fail(f"notifications: not in statuses: {sorted(unknown)}")
    names = data.get("status_names") or {}
    if not isinstance(names.get("fa"), dict):
        raise fail("status_names.fa: a mapping of status to its Persian name is required")
    return OrderRules(
        statuses=statuses, needs_person=frozenset(data.get("needs_person") or ()),
        answer_minutes=_number(data.get("answer_minutes", 30), "answer_minutes", fail),
        recent_days=_number(data.get("recent_days", 60), "recent_days", fail),
        carriers={str(key): _carrier(value, f"carriers.{key}", fail) for key, value in
                  (data.get("carriers") or {}).items()},
        status_names={language: {str(k): str(v) for k, v in (names.get(language) or {}).items()}
                      for language in LANGUAGES},
        replies=replies, notifications=notifications, templates=templates)


def _by_language(value: Any, where: str, fail: Any) -> dict[str, str]:
    if isinstance(value, str):
        value = {"fa": value}
    if not isinstance(value, dict) or not isinstance(value.get("fa"), str):
        raise fail(f"{where}: a text, or {{fa: ..., en: ...}} with fa, is required")
    extra = set(value) - set(LANGUAGES)
    if extra:
        raise fail(f"{where}: unknown language {sorted(extra)} (fa, en)")
    for text in value.values():
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(str(text)) if name is not None}
        except ValueError as error:
            raise fail(f"{where}: {error} (write {{{{ or }}}} for a brace)") from None
        if names - PLACEHOLDERS:
            raise fail(f"{where}: unknown placeholder {sorted(names - PLACEHOLDERS)}")
    return {language: str(text) for language, text in value.items()}


def _template(value: Any, where: str, fail: Any) -> Template:
    if not isinstance(value, dict) or not isinstance(value.get("name"), str) or not value["name"].strip():
        raise fail(f"{where}: {{name, language, params}} with the approved template's name is required")
    params = tuple(str(param) for param in value.get("params") or ())
    unknown = set(params) - PLACEHOLDERS
    if unknown:
        raise fail(f"{where}.params: unknown placeholder {sorted(unknown)}")
    return Template(value["name"].strip(), str(value.get("language") or "fa"), params)


def _carrier(value: Any, where: str, fail: Any) -> Carrier:
    if not isinstance(value, dict):
        raise fail(f"{where}: a mapping with name and tracking_url is required")
    url = value.get("tracking_url")
    if url is not None and (not str(url).startswith("https://") or "{code}" not in str(url)):
        raise fail(f"{where}.tracking_url: an https:// link with {{code}} is required")
    names = value.get("name") or {}
    names = {"fa": names} if isinstance(names, str) else {str(k): str(v) for k, v in names.items()}
    return Carrier(names=names, tracking_url=str(url) if url else None)


def _number(value: Any, where: str, fail: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise fail(f"{where}: a positive number is required")
    return float(value)
