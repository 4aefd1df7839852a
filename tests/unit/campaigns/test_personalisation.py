"""Names in personalised text: the operator's name first, then the WhatsApp profile name.

A customer's name imported or set by an operator is never overwritten by the profile name a
webhook carries (that one is kept apart, in `profile_name`); `{name}` in replies and
broadcasts, and `Contact.display_name` in SQL, use the operator's name when there is one.
"""

from __future__ import annotations

import io
import random

from sqlalchemy import select

from broadcast_service import Audience, schedule_broadcast
from campaigns.contacts import import_contacts_csv
from chatbot_service import ChatbotService
from config import Config
from database_models import Contact, ReceivedMessageLog, ScheduledMessage, utcnow
from inbound.sample_payloads import text_message_envelope
from language.rules_loader import load_rules


def test_display_name_is_the_operators_name_else_the_profile_name_in_python_and_sql(session, make_contact):
    both = make_contact(name="Sara Ahmadi", profile_name="sara_92")
    profile_only = make_contact(name=None, profile_name="Reza")
    empty = make_contact(name="", profile_name="Mina")
    nameless = make_contact(name=None)
    assert [c.display_name for c in (both, profile_only, nameless)] == ["Sara Ahmadi", "Reza", None]
    shown = dict(session.execute(select(Contact.id, Contact.display_name)).all())
    assert [shown[c.id] for c in (both, profile_only, empty, nameless)] == ["Sara Ahmadi", "Reza", "Mina", None]


def test_a_webhook_never_overwrites_an_imported_name(app, post_webhook):
    factory = app.extensions["whatsapp_platform"].session_factory
    with factory() as session:
        report = import_contacts_csv(session, io.StringIO("wa_id,name\n989121240001,Sara Ahmadi\n"))
        session.commit()
    assert report.created == 1
    envelope = text_message_envelope("989121240001", "سلام، سفارشم کجاست؟", name="sara_92")
    assert post_webhook(envelope).status_code == 200
    with factory() as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989121240001")).one()
        assert (contact.name, contact.profile_name, contact.display_name) == ("Sara Ahmadi", "sara_92", "Sara Ahmadi")


def test_the_chatbots_name_is_the_operators_first(session, make_contact, database_url):
    contact = make_contact(name="سارا احمدی", profile_name="sara_92")
    rules = load_rules(Config().chatbot_rules_path)
    replies = []
    for seed in range(12):  # the media reply is one of two; some seeds pick the one with {name}
        message = ReceivedMessageLog(wamid=f"wamid.names{seed}", contact_id=contact.id, message_type="image",
                                     payload={}, wa_timestamp=utcnow(), received_at=utcnow())
        session.add(message)
        session.flush()
        replies.append(ChatbotService(session, rules, Config(database_url=database_url),
                                      random.Random(seed)).decide(contact, message).reply)
    assert any(reply.startswith("سارا احمدی") for reply in replies)
    assert not any("sara_92" in reply for reply in replies)


def test_a_customer_known_only_by_their_profile_is_greeted_by_it(app, post_webhook):
    envelope = text_message_envelope("989121240002", "سلام، سفارشم کجاست؟", name="Reza")
    assert post_webhook(envelope).status_code == 200
    with app.extensions["whatsapp_platform"].session_factory() as session:
        contact = session.scalars(select(Contact).where(Contact.wa_id == "989121240002")).one()
        assert (contact.name, contact.profile_name) == (None, "Reza")


def test_a_broadcast_greets_with_the_operators_name_then_the_profile_name(session, make_contact):
    make_contact("989121240003", "Sara Ahmadi", profile_name="sara_92")
    make_contact("989121240004", None, profile_name="Reza Karimi")
    make_contact("989121240005", None)
    report = schedule_broadcast(session, name="Yalda", audience=Audience.everyone(),
                                body="{first_name|دوست عزیز}، یلدا مبارک")
    rows = session.execute(select(Contact.wa_id, ScheduledMessage.body).join(Contact).where(
        ScheduledMessage.broadcast_id == report.broadcast_id)).all()
    bodies = {wa_id: body for wa_id, body in rows}
    assert bodies == {"989121240003": "Sara، یلدا مبارک", "989121240004": "Reza، یلدا مبارک",
                      "989121240005": "دوست عزیز، یلدا مبارک"}
