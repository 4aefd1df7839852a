"""`/metrics`: Prometheus, for allowed addresses (METRICS_ALLOWED_IPS) or the admin bearer token.

The counters live in `runtime.metrics` (a leaf every process imports); the queue depth is
read here, at scrape time, by `QueueDepthCollector` (one `GROUP BY status` over the index
`(status, scheduled_at, id)`, plus one index probe for the oldest due row).
"""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, request
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from database_models import PAUSED, PENDING, SENDING, UNKNOWN, ScheduledMessage, utcnow
from runtime.context import platform
from runtime.metrics import CONTENT_TYPE_LATEST, MULTIPROCESS_ENV, directory_lock
from web.api.auth import bearer_matches
from web.api.support import error_response, setting

logger = logging.getLogger("web.api")
metrics = Blueprint("metrics", __name__)
DEFAULT_METRICS_ALLOWED_IPS = "127.0.0.1,::1"
# Statuses that make up the backlog; terminal ones (sent, failed, …) only grow and are counted by the send counter.
BACKLOG_STATUSES = (PENDING, SENDING, PAUSED, UNKNOWN)


class QueueDepthCollector:
    """Reads the outbound backlog by status from `scheduled_messages` at scrape time."""

    def __init__(self, session_factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self.session_factory = session_factory
        self.clock = clock

    def collect(self) -> Iterator[Metric]:
        """One gauge per backlog status, the age of the oldest due pending row, and whether the read worked."""
        depth = GaugeMetricFamily("whatsapp_queue_messages", "Outbound queue rows by backlog status.",
                                  labels=["status"])
        oldest = GaugeMetricFamily("whatsapp_queue_oldest_due_seconds",
                                   "How long the oldest due pending row has been waiting (0 when none).")
        up = GaugeMetricFamily("whatsapp_queue_scrape_ok", "1 when the queue depth could be read.")
        try:
            counts, oldest_due = self._read()
        except SQLAlchemyError:
            logger.exception("queue depth not readable", extra={"event": "metrics.queue_error"})
            up.add_metric([], 0)
            yield up
            return
        for status in BACKLOG_STATUSES:
            depth.add_metric([status], counts.get(status, 0))
        now = self.clock()
        oldest.add_metric([], max(0.0, (now - oldest_due).total_seconds()) if oldest_due else 0.0)
        up.add_metric([], 1)
        yield from (depth, oldest, up)

    def _read(self) -> tuple[dict[str, int], datetime | None]:
        rows = ScheduledMessage.__table__.c
        with self.session_factory() as session:
            counts = dict(session.execute(
                select(rows.status, func.count()).where(rows.status.in_(BACKLOG_STATUSES)).group_by(rows.status)
            ).all())
            # min over the index's second column within status = 'pending': one index probe
            oldest_due = session.scalar(
                select(func.min(rows.scheduled_at)).where(rows.status == PENDING, rows.scheduled_at <= self.clock()))
            session.rollback()
        return counts, oldest_due


class _Forward:
    """Exposes another registry's metrics inside a per-scrape registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        return self.registry.collect()


class _Snapshot:
    """Metrics read once (the process files, under the directory's lock), exposed as they were read."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def render_metrics(session_factory: sessionmaker[Session]) -> bytes:
    """The Prometheus text exposition of this process (or, in multiprocess mode, of all of them) plus the queue."""
    registry = CollectorRegistry(auto_describe=False)
    directory = os.environ.get(MULTIPROCESS_ENV)
    if directory:
        with directory_lock(Path(directory), exclusive=False):
            families = list(MultiProcessCollector(None, path=directory).collect())
        registry.register(_Snapshot(families))
    else:
        registry.register(_Forward(REGISTRY))
    registry.register(QueueDepthCollector(session_factory))
    return generate_latest(registry)


@lru_cache(maxsize=8)
def _networks(spec: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            logger.error("METRICS_ALLOWED_IPS: ignoring %r (not an address or network)", item,
                         extra={"event": "metrics.bad_allowed_ip"})
    return tuple(networks)


def _address_allowed(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    allowed = setting("METRICS_ALLOWED_IPS", DEFAULT_METRICS_ALLOWED_IPS)
    spec = allowed if isinstance(allowed, str) else ",".join(allowed)  # Config may hold a tuple
    return any(ip in network for network in _networks(spec))


@metrics.get("/metrics")
def metrics_view() -> Response:
    """Prometheus metrics, for allowed addresses (METRICS_ALLOWED_IPS) or the admin bearer token."""
    token = platform().config.admin_api_token
    if not _address_allowed(request.remote_addr) and not (token and bearer_matches(token)):
        return error_response(403, "metrics are served to allowed addresses or with the admin token only")
    return Response(render_metrics(platform().session_factory), content_type=CONTENT_TYPE_LATEST)
