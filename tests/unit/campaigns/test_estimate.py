"""The builder's estimate: the same audience, exclusions and 24-hour rule as scheduling and the processor.

Each case estimates a campaign, schedules it (committed), sends it through the real
processor to the fake Graph API, and checks the estimate against what was written and
what was sent: texts, templates and skips, one by one.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from broadcast_testing import fake_sender, processor_config
from sqlalchemy import func, select

from broadcast_service import (
    Audience,
    BroadcastError,
    TemplateSpec,
    estimate_broadcast,
    process_pending_broadcasts,
    schedule_broadcast,
)
from campaigns.estimate import SKIP_NO_TEMPLATE, SKIP_OPTED_OUT, TEMPLATE, TEXT, in_service_window, send_route
from campaigns.personalisation import UnknownPlaceholderError
from database_models import Contact, ContactTag, ScheduledMessage, utcnow
from outbound.processor import MessageProcessor

BSUID = "US.13491208655302741918"


def seed_shop(factory) -> None:
    """Eight contacts: inside / outside the window, opted out, never wrote, one known only by its BSUID."""
    now = utcnow()
    people = [  # (wa_id, user_id, last message ago, opted out, tags)
        ("989121000001", None, timedelta(hours=1), False, ("vip",)),
        ("989121000002", None, timedelta(hours=23, minutes=50), False, ("vip", "tehran")),
        ("989121000003", None, timedelta(hours=30), False, ("tehran",)),
        ("989121000004", None, None, False, ("vip",)),
        ("989121000005", None, timedelta(hours=2), True, ("vip",)),
        ("989121000006", None, timedelta(days=10), True, ("tehran",)),
        (None, BSUID, timedelta(hours=3), False, ("vip", "tehran")),
        ("989121000008", None, timedelta(days=2), False, ()),
    ]
    with factory() as session:
        for wa_id, user_id, ago, opted_out, tags in people:
            contact = Contact(wa_id=wa_id, user_id=user_id, name=f"Customer {wa_id or user_id}", attributes={},
                              opted_out=opted_out, last_inbound_at=now - ago if ago else None)
            contact.tags = [ContactTag(tag=tag) for tag in tags]
            session.add(contact)
        session.commit()


AUDIENCES = {
    "everyone": Audience.everyone(),
    "any tag": Audience.with_tags(["vip", "tehran"]),
    "all tags": Audience.with_tags(["vip", "tehran"], match_all=True),
    "a list": Audience.of_numbers(["+98 912 100 0001", "09121000003", "989121000001", BSUID, "not a number",
                                   "989121000005", "+44 7700 900123"]),
}
CONTENTS = {
    "text and template": ("Hi {first_name|friend}", TemplateSpec("yalda_sale", "fa", ("name|customer",))),
    "text only": ("Hi {name}", None),
    "template only": (None, TemplateSpec("yalda_sale", "fa", ())),
}


@pytest.mark.parametrize("content", CONTENTS)
@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_estimate_is_what_scheduling_writes_and_the_processor_sends(factory, fake_graph, database_url,
                                                                        audience, content):
    seed_shop(factory)
    body, template = CONTENTS[content]
    arguments = {"name": "Yalda", "audience": AUDIENCES[audience], "body": body, "template": template}
    with factory() as session:
        estimate = estimate_broadcast(session, **arguments)
        assert session.scalar(select(func.count()).select_from(Contact)) == 8, "an estimate creates no contact"
        session.rollback()
    with factory() as session:
        report = schedule_broadcast(session, **arguments)
        session.commit()
    assert report.recipients == estimate.recipients
    assert {key: count for key, count in report.excluded.items() if count} == \
        {key: count for key, count in estimate.skipped.items() if key != "no_template"}
    assert report.contacts_created == estimate.new_contacts

    sender = fake_sender(fake_graph)
    try:
        process_pending_broadcasts(MessageProcessor(factory, sender, processor_config(database_url)), time_budget=30)
    finally:
        sender.close()
    sent = Counter(message["type"] for message in fake_graph.messages())
    with factory() as session:
        skipped = dict(session.execute(select(ScheduledMessage.last_error_title, func.count())
                                       .where(ScheduledMessage.status == "skipped")
                                       .group_by(ScheduledMessage.last_error_title)).all())
    assert (sent["text"], sent["template"]) == (estimate.text, estimate.template)
    assert skipped.get(SKIP_NO_TEMPLATE, 0) == estimate.skipped.get("no_template", 0)


def test_the_figures_of_one_audience(factory):
    seed_shop(factory)
    with factory() as session:
        everyone = estimate_broadcast(session, name="x", audience=Audience.everyone(), body="Hi",
                                      template=TemplateSpec("t", "fa"))
        text_only = estimate_broadcast(session, name="x", audience=Audience.everyone(), body="Hi")
        listed = estimate_broadcast(session, name="x", audience=AUDIENCES["a list"], body="Hi")
    # Inside: 1, 2 (ten minutes left) and the BSUID; outside: 3, 4 (never wrote), 8; opted out: 5, 6.
    assert (everyone.text, everyone.template, everyone.skipped) == (3, 3, {"opted_out": 2})
    assert (text_only.text, text_only.template, text_only.skipped) == (3, 0, {"opted_out": 2, "no_template": 3})
    # The list: 1 (two spellings), 3, the BSUID, 5 (opted out), a new British number, one invalid entry.
    assert (listed.text, listed.new_contacts) == (2, 1)
    assert listed.skipped == {"duplicate": 1, "invalid_number": 1, "opted_out": 1, "no_template": 2}


def test_a_later_send_time_counts_the_window_at_that_time(factory):
    seed_shop(factory)
    with factory() as session:
        later = estimate_broadcast(session, name="x", audience=Audience.everyone(), body="Hi",
                                   template=TemplateSpec("t", "fa"), send_at=utcnow() + timedelta(hours=2))
    assert (later.text, later.template) == (2, 4), "customer 2 (ten minutes left now) is outside by then"


def test_the_estimate_refuses_what_scheduling_refuses(factory):
    seed_shop(factory)
    with factory() as session:
        with pytest.raises(UnknownPlaceholderError, match="nmae"):
            estimate_broadcast(session, name="x", audience=Audience.everyone(), body="Hi {nmae}")
        with pytest.raises(BroadcastError, match="in the past"):
            estimate_broadcast(session, name="x", audience=Audience.everyone(), body="Hi",
                               send_at=utcnow() - timedelta(days=1))
        with pytest.raises(BroadcastError, match="name"):
            estimate_broadcast(session, name=" ", audience=Audience.everyone(), body="Hi")


@pytest.mark.parametrize("opted_out, in_window, has_text, has_template, route", [
    (True, True, True, True, SKIP_OPTED_OUT),
    (False, True, True, True, TEXT),
    (False, True, False, True, TEMPLATE),
    (False, False, True, True, TEMPLATE),
    (False, False, True, False, SKIP_NO_TEMPLATE),
])
def test_the_route_of_one_row(opted_out, in_window, has_text, has_template, route):
    assert send_route(opted_out=opted_out, in_window=in_window, has_text=has_text, has_template=has_template) == route


def test_the_window_is_24_hours_since_the_last_message():
    now = utcnow()
    assert in_service_window(now - timedelta(hours=23, minutes=59), now)
    assert not in_service_window(now - timedelta(hours=24), now)
    assert not in_service_window(None, now)
