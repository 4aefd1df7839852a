"""Helpers for the template and media tests: an app sending to the fake Graph API with a business account id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from conftest import GRAPH_TOKEN, PHONE_NUMBER_ID

from database_models import Contact, MessageTemplate, utcnow
from whatsapp_service import WhatsAppService

BUSINESS_ACCOUNT_ID = "102290129340398"
# The fake Graph API's default list (tests/support/fake_graph_api.DEFAULT_TEMPLATES): five templates, two a page.
DEFAULT_TEMPLATE_COUNT = 5


def graph_sender(fake: Any) -> WhatsAppService:
    """A real pywa sender to the fake Graph API."""
    return WhatsAppService(GRAPH_TOKEN, PHONE_NUMBER_ID, base_url=fake.url, read_timeout=3.0)


def add_contact(session, wa_id: str, *, wrote_ago: timedelta | None = timedelta(hours=1),
                name: str = "Sara") -> Contact:
    """A committed contact who last wrote `wrote_ago` ago (None: never)."""
    contact = Contact(wa_id=wa_id, name=name, attributes={},
                      last_inbound_at=utcnow() - wrote_ago if wrote_ago is not None else None)
    session.add(contact)
    session.commit()
    return contact


def synced(session, name: str, language: str, body: str, *, status: str = "APPROVED",
           header: str | None = None, url: str | None = None) -> MessageTemplate:
    """A committed synced template, as `sync_templates` would store it."""
    from campaigns.message_templates import parameters_of

    components: list[dict[str, Any]] = []
    if header:
        components.append({"type": "HEADER", "format": "TEXT", "text": header})
    components.append({"type": "BODY", "text": body})
    if url:
        components.append({"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Track", "url": url}]})
    template = MessageTemplate(name=name, language=language, status=status, category="UTILITY",
                               components=components, parameters=parameters_of(components))
    session.add(template)
    session.commit()
    return template
