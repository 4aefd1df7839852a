"""An orders CSV import of new orders and of the same file again (a benchmark, not a test).

    python bench/orders_import.py [--orders 1000] [--database-url URL]

Creates (and afterwards drops) its own database (ORDERS_BENCH_DATABASE_URL, default
postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_orders; a sqlite:/// URL works too),
migrates it and imports a CSV of --orders orders for as many new customers, half of them in a
status the rules notify, through `orders.records.import_orders_csv` in one transaction as
`flask orders import` and the dashboard's upload do; then the same file again (nothing
changes) and then the file with every status moved on (every order updated). Prints the
seconds of each and the orders per second: the figure the dashboard's upload cap rests on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_support import migrate, recreate_database  # noqa: E402

from config import Config  # noqa: E402
from database_setup import create_engine_for, create_session_factory  # noqa: E402
from orders.records import import_orders_csv  # noqa: E402
from orders.rules import order_rules  # noqa: E402

DEFAULT_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/wa_bench_orders"


def orders_csv(count: int, statuses: tuple[str, str]) -> bytes:
    """`count` orders, every other one in the first status, the rest in the second."""
    lines = ["number,wa_id,status,tracking_code,carrier,expected_at,items"]
    for index in range(count):
        status = statuses[index % 2]
        lines.append(f"B{index:06d},+98 912 {index // 10000:03d} {index % 10000:04d},{status},"
                     f"TR{index:08d},tipax,1405/09/{1 + index % 28:02d},کفش ورزشی سایز ۴۲")
    return ("\n".join(lines) + "\n").encode()


def timed_import(factory, data: bytes, rules, zone) -> tuple[float, object]:
    started = time.perf_counter()
    with factory() as session:
        report = import_orders_csv(session, data, rules, zone)
        session.commit()
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--database-url", default=os.environ.get("ORDERS_BENCH_DATABASE_URL", DEFAULT_URL))
    arguments = parser.parse_args()
    url = arguments.database_url
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    else:
        recreate_database(url)
    migrate(url)
    config = Config(database_url=url)
    rules = order_rules(config)
    notified = [status for status in rules.statuses if rules.notifications.get(status)]
    quiet = [status for status in rules.statuses if not rules.notifications.get(status)]
    engine = create_engine_for(url)
    factory = create_session_factory(engine)
    try:
        first = orders_csv(arguments.orders, (notified[0], quiet[0]))
        moved = orders_csv(arguments.orders, (notified[1], notified[0]))
        for label, data in (("new orders", first), ("the same file again", first), ("every status moved on", moved)):
            seconds, report = timed_import(factory, data, rules, config.zone)
            print(f"{label:>22}: {seconds:6.2f} s, {arguments.orders / seconds:7.0f} orders/s "
                  f"({report.created} created, {report.updated} updated, {report.unchanged} unchanged, "
                  f"{report.notified} notified, {len(report.errors)} rejected)")
    finally:
        engine.dispose()
        if not url.startswith("sqlite:///"):
            recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
