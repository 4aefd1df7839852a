"""`flask --app webhook_handler orders import`: any spreadsheet encoding, Jalali dates, bad lines by number."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from database_models import Contact, Order, OrderNotification, ScheduledMessage

CSV = ("number,wa_id,status,tracking_code,carrier,expected_at,items\n"
       "۱۰۰۱,0912 111 0001,shipped,RR123456789IR,iran_post,1405/09/20,2 × لیوان\n"
       "1002,US.13491208655302741918,paid,,,,\n"
       "1003,not-a-number,paid,,,,\n"
       "1004,989121110004,lost,,,,\n"
       "1005,989121110005,packed,,,1405/13/40,\n"
       "1001,989121110009,paid,,,,\n")


def run_import(runner, tmp_path, data: bytes):
    path = tmp_path / "orders.csv"
    path.write_bytes(data)
    return runner.invoke(args=["orders", "import", str(path)])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1256"])
def test_import_reads_every_spreadsheet_encoding_and_reports_bad_lines(app, runner, tmp_path, encoding):
    # Windows-1256 has neither Persian ی nor Persian digits: Excel writes ي and Latin digits there.
    text = CSV.replace("ی", "ي").replace("۱۰۰۱", "1001") if encoding == "cp1256" else CSV
    result = run_import(runner, tmp_path, text.encode(encoding))
    assert result.exit_code == 0, result.output
    assert "2 created, 0 updated, 0 unchanged, 4 rejected, 1 notifications queued" in result.output
    assert "line 4: not a phone number" in result.output
    assert "line 5: unknown status 'lost'" in result.output
    assert "line 6: expected_at" in result.output
    assert "line 7: order 1001 already appears on line 2" in result.output
    with app.extensions["whatsapp_platform"].session_factory() as session:
        first = session.scalars(select(Order).where(Order.number == "1001")).one()
        assert first.contact.wa_id == "989121110001"  # the contact created as the contacts import would
        # 20 Azar 1405 is 11 December 2026, midnight in Tehran (the shop's TIMEZONE)
        assert first.expected_at.astimezone(ZoneInfo("Asia/Tehran")).isoformat() == "2026-12-11T00:00:00+03:30"
        assert first.tracking_code == "RR123456789IR" and first.carrier == "iran_post"
        assert first.items == "2 × لیوان"  # Persian letters, also from a Windows-1256 file
        bsuid = session.scalars(select(Order).where(Order.number == "1002")).one()
        assert bsuid.contact.user_id == "US.13491208655302741918"
        assert session.scalar(select(Contact).where(Contact.wa_id == "989121110004")) is None


def test_importing_the_same_file_twice_changes_nothing_and_notifies_once(app, runner, tmp_path):
    run_import(runner, tmp_path, CSV.encode())
    again = run_import(runner, tmp_path, CSV.encode())
    assert "0 created, 0 updated, 2 unchanged" in again.output and "0 notifications queued" in again.output
    delivered = CSV.replace("shipped,RR123456789IR", "delivered,RR123456789IR")
    assert "1 updated" in run_import(runner, tmp_path, delivered.encode()).output
    assert "0 notifications queued" in run_import(runner, tmp_path, CSV.encode()).output  # back to shipped: sent once
    with app.extensions["whatsapp_platform"].session_factory() as session:
        statuses = sorted(session.scalars(select(OrderNotification.status)))
        assert statuses == ["delivered", "shipped"]
        bodies = list(session.scalars(select(ScheduledMessage.body).order_by(ScheduledMessage.id)))
        assert len(bodies) == 2 and "RR123456789IR" in bodies[0] and "tracking.post.ir" in bodies[0]


def test_a_file_without_the_required_columns_is_refused_whole(app, runner, tmp_path):
    result = run_import(runner, tmp_path, b"wa_id,status\n989121110001,paid\n")
    assert result.exit_code != 0
    assert "missing: number" in result.output
    with app.extensions["whatsapp_platform"].session_factory() as session:
        assert session.scalars(select(Order)).all() == []


def test_a_binary_file_is_refused(runner, tmp_path):
    result = run_import(runner, tmp_path, b"PK\x03\x04\x14\x00\x06\x00binary")
    assert result.exit_code != 0 and "save it as CSV UTF-8" in result.output
