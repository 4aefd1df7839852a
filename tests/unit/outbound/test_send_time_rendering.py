"""Campaign rows are personalised when they are sent, from the contact as it is then; placeholders are still
checked when the campaign is scheduled; other rows go out exactly as stored."""

from __future__ import annotations

import pytest
from broadcast_testing import fake_sender, processor_config
from sqlalchemy import event, func, select, update

from broadcast_service import (
    Audience,
    TemplateSpec,
    UnknownPlaceholderError,
    process_pending_broadcasts,
    schedule_broadcast,
)
from database_models import Broadcast, Contact, ScheduledMessage, utcnow
from outbound.processor import MessageProcessor
from scheduler import Scheduler


@pytest.fixture
def processor(factory, fake_graph, database_url):
    sender = fake_sender(fake_graph)
    yield MessageProcessor(factory, sender, processor_config(database_url))
    sender.close()


def add_contacts(factory, *contacts: dict) -> None:
    with factory() as session:
        for fields in contacts:
            session.add(Contact(**{"attributes": {}, "last_inbound_at": utcnow(), **fields}))
        session.commit()


def schedule(factory, **content) -> int:
    with factory() as session:
        report = schedule_broadcast(session, name="spring", audience=Audience.everyone(), **content)
        session.commit()
        return report.broadcast_id


def change_contact(factory, wa_id: str, **values) -> None:
    with factory() as session:
        session.execute(update(Contact).where(Contact.wa_id == wa_id).values(**values))
        session.commit()


def stored_bodies(factory) -> dict[str, str | None]:
    with factory() as session:
        return dict(session.execute(select(Contact.wa_id, ScheduledMessage.body).join(Contact)).all())


def test_a_name_corrected_or_a_profile_arriving_after_scheduling_is_used_when_the_row_is_sent(
        factory, processor, fake_graph):
    add_contacts(factory, {"wa_id": "989120000001", "name": "Sarah Ahmdi", "attributes": {"city": "Tehran"}},
                 {"wa_id": "989120000002", "name": None},
                 {"wa_id": "989120000003", "name": "Reza", "attributes": {"city": "Shiraz"}})
    schedule(factory, body="Hi {first_name|friend} from {city|Iran}: {{spring}} sale")
    assert stored_bodies(factory)["989120000002"] == "Hi friend from Iran: {spring} sale"  # the preview

    change_contact(factory, "989120000001", name="Sara Ahmadi", attributes={"city": "Karaj"})  # corrected
    change_contact(factory, "989120000002", name="علی رضایی")  # the profile name came with a message

    summary = process_pending_broadcasts(processor, time_budget=10)

    assert summary.sent == 3
    sent = {message["to"]: message["text"] for message in fake_graph.messages()}
    assert sent == {"989120000001": "Hi Sara from Karaj: {spring} sale",
                    "989120000002": "Hi علی from Iran: {spring} sale",
                    "989120000003": "Hi Reza from Shiraz: {spring} sale"}
    assert stored_bodies(factory) == sent  # the queue keeps what really went out


def test_template_parameters_are_rendered_at_send_time_too(factory, processor, fake_graph):
    add_contacts(factory, {"wa_id": "989120000001", "name": "Old Name", "attributes": {"code": "A1"},
                           "last_inbound_at": None})
    schedule(factory, template=TemplateSpec("spring_sale", "fa", ("first_name|مشتری", "code|-")))
    change_contact(factory, "989120000001", name="Maryam Karimi", attributes={"code": "B2"})

    process_pending_broadcasts(processor, time_budget=10)

    [message] = fake_graph.messages()
    assert message["type"] == "template" and message["template"]["body_parameters"] == ["Maryam", "B2"]
    with factory() as session:
        assert session.scalar(select(ScheduledMessage.template_params)) == ["Maryam", "B2"]


def test_a_value_that_is_itself_a_placeholder_is_sent_verbatim(factory, processor, fake_graph):
    add_contacts(factory, {"wa_id": "989120000001", "name": "x"})
    schedule(factory, body="Dear {name}")
    change_contact(factory, "989120000001", name="{wa_id}")

    process_pending_broadcasts(processor, time_budget=10)

    assert [message["text"] for message in fake_graph.messages()] == ["Dear {wa_id}"]


def test_an_unknown_placeholder_still_refuses_the_campaign_when_it_is_scheduled(factory):
    add_contacts(factory, {"wa_id": "989120000001", "name": "x"})
    with factory() as session:
        with pytest.raises(UnknownPlaceholderError, match=r"\{nmae\}"):
            schedule_broadcast(session, name="typo", audience=Audience.everyone(), body="Hi {nmae}")
        assert session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert session.scalar(select(func.count()).select_from(ScheduledMessage)) == 0


def test_rows_outside_campaigns_go_out_exactly_as_stored(factory, processor, fake_graph):
    add_contacts(factory, {"wa_id": "989120000001", "name": "Sara"})
    with factory() as session:
        contact_id = session.scalar(select(Contact.id))
        row_id = Scheduler(session).add(contact_id, body="We use {name} and {{braces}} as written", kind="reply").id
        session.commit()

    processor.send_now([row_id])
    process_pending_broadcasts(processor, time_budget=5)

    assert [message["text"] for message in fake_graph.messages()] == ["We use {name} and {{braces}} as written"]
    assert stored_bodies(factory) == {"989120000001": "We use {name} and {{braces}} as written"}


def test_rendering_needs_one_query_per_batch_not_one_per_row(engine, factory, fake_graph, database_url):
    add_contacts(factory, *({"wa_id": f"98912{i:07d}", "name": f"Customer {i}", "attributes": {"tier": "gold"}}
                            for i in range(120)))
    schedule(factory, body="Hi {first_name} ({tier})")
    change_contact(factory, "989120000007", name="Renamed Customer")
    queries: list[str] = []

    def collect(_connection, _cursor, statement, *_args) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "contacts" in statement:
            queries.append(statement)

    sender = fake_sender(fake_graph)
    event.listen(engine, "before_cursor_execute", collect)
    try:
        summary = MessageProcessor(factory, sender, processor_config(database_url, processor_batch_size=30)
                                   ).process_due(time_budget=10)
    finally:
        event.remove(engine, "before_cursor_execute", collect)
        sender.close()

    assert summary.sent == 120 and summary.batches >= 4
    assert len(queries) == summary.batches
    assert "Hi Renamed (gold)" in {message["text"] for message in fake_graph.messages()}


def test_a_campaign_text_that_no_longer_parses_sends_the_stored_preview(factory, processor, fake_graph, caplog):
    add_contacts(factory, {"wa_id": "989120000001", "name": "Sara"})
    broadcast_id = schedule(factory, body="Hi {name}")
    with factory() as session:  # written by something that skipped the validation
        session.execute(update(Broadcast).where(Broadcast.id == broadcast_id).values(body="Hi {name"))
        session.commit()

    summary = process_pending_broadcasts(processor, time_budget=10)

    assert summary.sent == 1 and [m["text"] for m in fake_graph.messages()] == ["Hi Sara"]
    assert "campaign placeholders do not parse" in caplog.text
