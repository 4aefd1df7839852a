"""One message sent by an integrator: validated here, queued as one outbound-queue row of kind `api`.

The row then lives the life of every other send (the processor's pacing, retries, claim
and exactly-once recording, status webhooks). Validation happens before anything is
written: free text and media (an image or a document by uploaded id or https link, sent
alone) only inside the customer-service window (24 hours after the contact last wrote;
otherwise a template is needed), template parameters (counted against the synced template
when it was synced: body, header and button parameters), and placeholders
(`{name}`, `{order_id|…}`), rendered here for the one recipient so the row holds what goes
out. An unknown number or BSUID becomes a contact the way every other path creates one
(`ContactResolver.ensure`: no window opened, no "new contact" counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from campaigns.contacts import ContactError, normalize_address
from campaigns.identity import ContactResolver, Identity, is_user_id
from campaigns.message_templates import TemplateParameterError, check_parameters, extra_content, find_template
from campaigns.personalisation import PlaceholderError, contact_fields, parse_placeholders, render_message
from database_models import Contact, ScheduledMessage, utcnow
from scheduler import API_KIND, Scheduler

CUSTOMER_SERVICE_WINDOW = timedelta(hours=24)


class SendRuleError(ValueError):
    """The message breaks a business rule; `code` is stable, `field` names the offending part."""

    def __init__(self, message: str, code: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class Outgoing:
    """What to send: a text, a template (name, language, parameters), or both (text in the window)."""

    text: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    template_params: tuple[str, ...] = ()
    header_params: tuple[str, ...] = ()
    button_params: tuple[tuple[str, ...], ...] = ()
    media: dict[str, Any] | None = None  # {"type": "image"|"document", "id" or "link", "caption", "filename"}

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Outgoing:
        """The message of a validated request body."""
        template = body.get("template") or {}
        return cls(body.get("text"), template.get("name"), template.get("language"),
                   tuple(template.get("params") or ()), tuple(template.get("header_params") or ()),
                   tuple(tuple(values) for values in template.get("button_params") or ()), body.get("media"))


def contact_for_address(session: Session, raw: str) -> Contact:
    """The contact of a phone number or BSUID, created when new."""
    try:
        address = normalize_address(raw)
    except ContactError as error:
        raise SendRuleError(str(error), "invalid_recipient", "to") from None
    identity = Identity(user_id=address) if is_user_id(address) else Identity(wa_id=address)
    contact_id = ContactResolver(session).ensure(identity)
    contact = session.get(Contact, contact_id)
    session.refresh(contact)
    return contact


def in_window(contact: Contact, now: datetime) -> bool:
    """Whether the contact wrote within the last 24 hours (free text may go)."""
    return contact.last_inbound_at is not None and now - contact.last_inbound_at < CUSTOMER_SERVICE_WINDOW


def _render(text: str, fields: dict[str, str], field: str) -> str:
    try:
        placeholders = parse_placeholders(text)
    except PlaceholderError as error:
        raise SendRuleError(str(error), "invalid_placeholder", field) from None
    unknown = sorted({name for name, fallback in placeholders if name not in fields and not fallback})
    if unknown:
        names = ", ".join("{" + name + "}" for name in unknown)
        raise SendRuleError(f"the contact has no value for {names}; give a fallback like {{{unknown[0]}|…}}",
                            "unknown_placeholder", field)
    return render_message(text, fields)


def _template_content(session: Session, outgoing: Outgoing, body: list[str], header: list[str],
                      buttons: list[list[str]]) -> dict[str, Any] | None:
    """Check a synced template's parameter counts; the row's header/button content. Unsynced: body only."""
    synced = find_template(session, outgoing.template_name or "", outgoing.template_language or "")
    if synced is None:
        if header or buttons:
            raise SendRuleError("header and button parameters need a synced template (flask templates sync); "
                                "this one is not synced", "template_not_synced", "template")
        return None
    try:
        check_parameters(synced, body, header, buttons)
    except TemplateParameterError as error:
        code = "template_not_approved" if error.field == "template" else "template_parameters"
        field = {"template": "template", "params": "template.params", "header": "template.header_params",
                 "button": "template.button_params"}[error.field]
        raise SendRuleError(str(error), code, field) from None
    return extra_content(synced, header, buttons)


def check_campaign_template(session: Session, name: str, language: str, params: list[str]) -> None:
    """A campaign's synced template must be APPROVED, take body parameters only, and get as many as it needs."""
    synced = find_template(session, name, language)
    if synced is None:
        return
    needs = synced.parameters or {}
    if needs.get("header") or needs.get("buttons"):
        raise SendRuleError(f"template {name} ({language}) has header or button parameters, which campaigns do not "
                            "fill: send it per contact with POST /api/v1/messages", "template_parameters", "template")
    _template_content(session, Outgoing(template_name=name, template_language=language), params, [], [])


def queue_message(session: Session, contact: Contact, outgoing: Outgoing,
                  now: datetime | None = None) -> ScheduledMessage:
    """Validate `outgoing` for `contact` and queue it (flushed, not committed); SendRuleError otherwise."""
    now = now or utcnow()
    if outgoing.media is not None and (outgoing.text is not None or outgoing.template_name is not None):
        raise SendRuleError("media is sent alone: put the words in its caption, or send the text or template "
                            "as a separate message", "media_not_alone", "media")
    free_form = outgoing.media is not None or (outgoing.text is not None and outgoing.template_name is None)
    if free_form and not in_window(contact, now):
        field = "media" if outgoing.media is not None else "text"
        raise SendRuleError("the contact has not written in the last 24 hours: free text cannot reach them; "
                            "send an approved template instead", "outside_window", field)
    fields = contact_fields(contact.identifier, contact.display_name, contact.attributes)
    if outgoing.media is not None:
        media = dict(outgoing.media)
        if media.get("caption"):
            media["caption"] = _render(media["caption"], fields, "media.caption")
        if media.get("filename") and media["type"] != "document":
            raise SendRuleError("only a document has a filename", "invalid_media", "media.filename")
        return Scheduler(session).add(contact.id, body=media.get("caption"), kind=API_KIND, scheduled_at=now,
                                      content={"media": media})
    body = _render(outgoing.text, fields, "text") if outgoing.text is not None else None
    params = [_render(value, fields, f"template.params[{index}]")
              for index, value in enumerate(outgoing.template_params)]
    header = [_render(value, fields, f"template.header_params[{index}]")
              for index, value in enumerate(outgoing.header_params)]
    buttons = [[_render(value, fields, "template.button_params") for value in values]
               for values in outgoing.button_params]
    content = _template_content(session, outgoing, params, header, buttons) if outgoing.template_name else None
    return Scheduler(session).add(
        contact.id, body=body, kind=API_KIND, scheduled_at=now, template_name=outgoing.template_name,
        template_language=outgoing.template_language if outgoing.template_name else None,
        template_params=params or None, content=content)


def message_as_dict(message: ScheduledMessage) -> dict[str, Any]:
    """A queue row as `GET /api/messages/{id}` shows it: content, status and every timestamp."""
    template = None
    if message.template_name:
        template = {"name": message.template_name, "language": message.template_language,
                    "params": list(message.template_params or [])}
    return {
        "id": message.id, "contact_id": message.contact_id, "kind": message.kind, "status": message.status,
        "text": message.body, "template": template, "media": (message.content or {}).get("media"),
        "wamid": message.wamid, "broadcast_id": message.broadcast_id,
        "attempts": message.attempts, "error_code": message.last_error_code,
        "error_title": message.last_error_title,
        **{name: _iso(getattr(message, name)) for name in (
            "created_at", "scheduled_at", "sent_at", "delivered_at", "read_at", "failed_at", "updated_at")},
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
