"""The business account's message templates: sync from the Graph API, what each one needs, and checks.

`sync_templates` reads every page of `GET /{WABA_ID}/message_templates` through the sender
first and writes only after the whole list arrived, so a Graph API error changes nothing.
Rows are keyed by (name, language); one Meta no longer lists is kept (old campaigns name it).
`parameters_of` counts what a send must fill from Meta's components: the body's {{1}}…{{n}},
a text header's {{1}}, and each URL button's {{1}}. `check_parameters` refuses a send whose
counts differ, with a message that says which part needs how many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from database_models import TEMPLATE_APPROVED, MessageTemplate, utcnow
from whatsapp_service import GraphApiError, Sender

_PLACEHOLDER = re.compile(r"\{\{\s*(\d+)\s*\}\}")
_NAMED = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")


class TemplateSyncError(RuntimeError):
    """The templates could not be read; nothing was changed."""


class TemplateParameterError(ValueError):
    """The parameters given do not fit the synced template; `field` names the part."""

    def __init__(self, message: str, field: str = "params") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class SyncSummary:
    """What a sync did."""

    fetched: int
    added: int
    updated: int


def _count(text: str | None) -> int:
    """How many distinct parameters a component's text asks for ({{1}}…{{n}}, or named {{first_name}})."""
    if not text:
        return 0
    numbered = {int(n) for n in _PLACEHOLDER.findall(text)}
    return max(numbered) if numbered else len(set(_NAMED.findall(text)))


def parameters_of(components: list[dict[str, Any]]) -> dict[str, Any]:
    """{"body": n, "header": n, "buttons": [{"index": i, "count": n, "sub_type": "url"}]} from Meta's components."""
    needs: dict[str, Any] = {"body": 0, "header": 0, "buttons": []}
    for component in components:
        kind = str(component.get("type", "")).upper()
        if kind == "BODY":
            needs["body"] = _count(component.get("text"))
        elif kind == "HEADER" and str(component.get("format", "TEXT")).upper() == "TEXT":
            needs["header"] = _count(component.get("text"))
        elif kind == "BUTTONS":
            for index, button in enumerate(component.get("buttons") or []):
                count = _count(button.get("url")) if str(button.get("type", "")).upper() == "URL" else 0
                if count:
                    needs["buttons"].append({"index": index, "count": count, "sub_type": "url"})
    return needs


def body_text(template: MessageTemplate) -> str:
    """The template's body text as Meta stores it (with its {{n}} placeholders)."""
    return next((str(c.get("text") or "") for c in template.components if str(c.get("type", "")).upper() == "BODY"),
                "")


def header_text(template: MessageTemplate) -> str | None:
    """A text header, if the template has one."""
    return next((str(c.get("text") or "") for c in template.components
                 if str(c.get("type", "")).upper() == "HEADER" and str(c.get("format", "TEXT")).upper() == "TEXT"),
                None)


def fill(text: str, values: list[str]) -> str:
    """`text` with {{1}}…{{n}} replaced by `values` (a missing value stays as its placeholder)."""
    def value(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return values[index] if 0 <= index < len(values) and values[index] != "" else match.group(0)
    return _PLACEHOLDER.sub(value, text)


def parameter_total(template: MessageTemplate) -> int:
    """How many values a send of this template needs in all."""
    needs = template.parameters or {}
    return needs.get("header", 0) + needs.get("body", 0) + sum(b["count"] for b in needs.get("buttons", []))


def sync_templates(session: Session, sender: Sender, business_account_id: str | None,
                   now: datetime | None = None) -> SyncSummary:
    """Fetch every template of the account and upsert them (flushed, not committed); TemplateSyncError if not."""
    if not business_account_id:
        raise TemplateSyncError("WHATSAPP_BUSINESS_ACCOUNT_ID is not set: set it to the WhatsApp Business Account id "
                                "(Meta's WhatsApp > API setup) to sync templates")
    list_templates = getattr(sender, "list_templates", None)
    if list_templates is None:
        raise TemplateSyncError("this sender cannot read templates")
    try:
        fetched = list_templates(business_account_id)
    except GraphApiError as error:
        raise TemplateSyncError(f"the Graph API refused the template list: {error}") from None
    now = now or utcnow()
    existing = {(t.name, t.language): t for t in session.scalars(select(MessageTemplate))}
    added = updated = 0
    for item in fetched:
        name, language = str(item.get("name") or "")[:512], str(item.get("language") or "")[:16]
        if not name or not language:
            continue
        components = item.get("components") if isinstance(item.get("components"), list) else []
        row = existing.get((name, language))
        if row is None:
            row = existing[(name, language)] = MessageTemplate(name=name, language=language)
            session.add(row)
            added += 1
        else:
            updated += 1
        row.status = str(item.get("status") or "UNKNOWN")[:32].upper()
        row.category = (str(item["category"])[:32].upper() if item.get("category") else None)
        row.meta_id = str(item["id"])[:64] if item.get("id") else None
        row.components = components
        row.parameters = parameters_of(components)
        row.synced_at = now
    session.flush()
    return SyncSummary(len(fetched), added, updated)


def list_synced(session: Session, *, status: str | None = None, language: str | None = None) -> list[MessageTemplate]:
    """The synced templates by name and language, optionally only one status or language."""
    query = select(MessageTemplate).order_by(MessageTemplate.name, MessageTemplate.language)
    if status:
        query = query.where(MessageTemplate.status == status.upper())
    if language:
        query = query.where(MessageTemplate.language == language)
    return list(session.scalars(query))


def approved_templates(session: Session) -> list[MessageTemplate]:
    """The templates a send may use."""
    return list_synced(session, status=TEMPLATE_APPROVED)


def find_template(session: Session, name: str, language: str) -> MessageTemplate | None:
    """The synced template `name` in `language`, or None when it was never synced."""
    return session.scalars(select(MessageTemplate).where(MessageTemplate.name == name,
                                                         MessageTemplate.language == language)).first()


def check_parameters(template: MessageTemplate, body: list[str], header: list[str] | None = None,
                     buttons: list[list[str]] | None = None) -> None:
    """TemplateParameterError unless the counts match what the template needs and none is empty."""
    needs = template.parameters or {}
    label = f"{template.name} ({template.language})"
    if not template.approved:
        raise TemplateParameterError(f"template {label} is {template.status}, not APPROVED: it cannot be sent",
                                     "template")
    parts = [("body", needs.get("body", 0), body), ("header", needs.get("header", 0), header or [])]
    given_buttons = buttons or []
    for position, button in enumerate(needs.get("buttons", [])):
        values = given_buttons[position] if position < len(given_buttons) else []
        parts.append((f"button {button['index'] + 1}", button["count"], values))
    if len(given_buttons) > len(needs.get("buttons", [])):
        raise TemplateParameterError(f"template {label} has {len(needs.get('buttons', []))} button(s) with "
                                     f"parameters, {len(given_buttons)} given")
    for part, needed, values in parts:
        if len(values) != needed:
            raise TemplateParameterError(f"template {label} needs {needed} {part} parameter(s), {len(values)} given",
                                         "params" if part == "body" else part.split()[0])
        if any(not str(value).strip() for value in values):
            raise TemplateParameterError(f"template {label}: every {part} parameter needs a value",
                                         "params" if part == "body" else part.split()[0])


def extra_content(template: MessageTemplate, header: list[str], buttons: list[list[str]]) -> dict[str, Any] | None:
    """The queue row's `content` for a template's header and button parameters (None when it has none)."""
    extra: dict[str, Any] = {}
    if header:
        extra["header"] = list(header)
    if buttons:
        extra["buttons"] = [{"index": need["index"], "sub_type": need.get("sub_type", "url"), "params": list(values)}
                            for need, values in zip(template.parameters.get("buttons", []), buttons, strict=False)]
    return extra or None
