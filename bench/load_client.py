"""The load clients of bench/webhook_load.py: the bodies of each mix and the asyncio HTTP/1.1 client.

Each client process (`run_client`, started by the benchmark through multiprocessing) builds
deterministic signed bodies, so the parent can tell afterwards exactly which rows an
acknowledged (200) request carried, and drives one port closed-loop (N requests in flight)
or open-loop (requests started on a fixed schedule).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import random
import time
from collections import Counter
from typing import Any

SECRET = "bench-app-secret-0123456789abcdef"  # production refuses secrets under 32 characters
TOKEN = "bench-graph-token"
PHONE_ID = "106540352242922"
SEEDED_SENDS = 60_000  # x 3 statuses: few repeats even in the batch mix


# --- bodies (deterministic, so the parent can tell what an acknowledged request carried) ----------

def make_body(mix: str, client: int, index: int, now: int) -> tuple[bytes, list[tuple[str, ...]]]:
    """The signed body number `index` of a client, and the rows it must leave: ('m', wamid) / ('s', wamid, status)."""
    rng = random.Random(f"{mix}:{client}:{index}")  # str seeds are stable across processes; hash() is not
    if mix == "c" and index > 10 and rng.random() < 0.3:
        return make_body("b", client, rng.randrange(index), now)  # a repeat of an earlier delivery
    if mix in ("b", "c"):
        # `now` tells runs apart: a later run must not find its messages stored already.
        sender, wamid = f"98917{now % 1000:03d}{client}{index:06d}", f"wamid.BENCHIN{now}x{client}x{index}"
        payload = envelope({"contacts": [{"profile": {"name": "Load Test"}, "wa_id": sender}], "messages": [
            {"from": sender, "id": wamid, "timestamp": str(now), "type": "text", "text": {"body": "hello there"}}]})
        return json.dumps(payload).encode(), [("m", wamid)]
    items = []
    for _ in range(10 if mix == "d" else 1):
        number = rng.randrange(SEEDED_SENDS)
        items.append({"id": f"wamid.BENCHOUT{number}", "status": rng.choice(["sent", "delivered", "read"]),
                      "timestamp": str(now), "recipient_id": f"98918{number:07d}"})
    keys = [("s", item["id"], item["status"]) for item in items]
    return json.dumps(envelope({"statuses": items})).encode(), keys


def envelope(value: dict[str, Any]) -> dict[str, Any]:
    """A webhook envelope with one messages change carrying `value`."""
    value = {"messaging_product": "whatsapp", "metadata": {"phone_number_id": PHONE_ID}} | value
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": value}]}]}


def http_request(port: int, body: bytes) -> bytes:
    """The raw HTTP/1.1 POST /webhook carrying `body` with Meta's signature."""
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return (f"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
            f"X-Hub-Signature-256: {signature}\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


# --- the client (runs in its own processes) -----------------------------------------------------

class Connection:
    """One kept-alive (or, with gunicorn's sync workers, per-request) HTTP/1.1 connection."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, raw: bytes) -> int:
        """Send one request and read the whole answer; its status code (0 on a broken connection)."""
        try:
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
            self.writer.write(raw)
            head = await self.reader.readuntil(b"\r\n\r\n")
            status, length, close = int(head[9:12]), 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            await self.reader.readexactly(length)
            if close:
                self.close()
            return status
        except (OSError, asyncio.IncompleteReadError, ValueError):
            self.close()
            return 0

    def close(self) -> None:
        """Drop the connection; the next post opens a new one."""
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


def run_client(options: dict[str, Any]) -> dict[str, Any]:
    """One client process: closed loop (`connections` in flight) or open loop (`rate` req/s)."""
    return asyncio.run(_client(**options))


async def _client(port: int, mix: str, client: int, seconds: float, warmup: float, connections: int = 0,
                  rate: float = 0.0, now: int = 0) -> dict[str, Any]:
    counter = iter(range(10**9))
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    acknowledged: list[int] = []
    started = time.monotonic()
    measure_from, stop_at = started + warmup, started + warmup + seconds
    cpu_started = time.process_time()

    async def one(connection: Connection, scheduled: float | None = None) -> None:
        index = next(counter)
        raw = http_request(port, make_body(mix, client, index, now)[0])
        begin = time.monotonic() if scheduled is None else scheduled
        status = await connection.post(raw)
        statuses[status] += 1
        if status == 200:
            acknowledged.append(index)
        if begin >= measure_from:
            latencies.append((time.monotonic() - begin) * 1000)

    if rate <= 0:
        async def loop() -> None:
            connection = Connection(port)
            while time.monotonic() < stop_at:
                await one(connection)
            connection.close()

        await asyncio.gather(*(loop() for _ in range(connections)))
    else:
        idle: list[Connection] = []

        async def scheduled(at: float) -> None:
            connection = idle.pop() if idle else Connection(port)
            await one(connection, at)
            idle.append(connection)

        tasks, number = [], 0
        while (at := started + number / rate) < stop_at:
            await asyncio.sleep(max(0.0, at - time.monotonic()))
            tasks.append(asyncio.create_task(scheduled(at)))
            number += 1
        await asyncio.gather(*tasks)
    wall = time.monotonic() - measure_from
    return {"latencies": latencies, "statuses": dict(statuses), "acknowledged": acknowledged, "wall": wall,
            "cpu": time.process_time() - cpu_started}
