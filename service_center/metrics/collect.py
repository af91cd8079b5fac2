"""The metrics themselves, and the gauges read from the database at each scrape."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from ..catalogue.models import CaseType, Center
from ..clock import local_date, now_utc
from ..db import db
from ..queueing.models import Ticket, TicketState

REGISTRY = CollectorRegistry(auto_describe=True)

REQUESTS = Counter(
    "service_center_http_requests",
    "HTTP requests answered, by endpoint and status.",
    ["method", "endpoint", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "service_center_http_request_duration_seconds",
    "Time to answer a request, by endpoint.",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
ISSUED = Counter(
    "service_center_tickets_issued",
    "Tickets issued (kiosk, API, booking check-in), by center and case type.",
    ["center", "case_type"],
    registry=REGISTRY,
)
CALLED = Counter(
    "service_center_tickets_called",
    "Tickets called to a window (recalls not counted), by center.",
    ["center"],
    registry=REGISTRY,
)


class QueueCollector(Collector):
    """Tickets waiting and the oldest wait, per center and case type, read at the scrape."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = self.now or now_utc()
        waiting = GaugeMetricFamily(
            "service_center_tickets_waiting",
            "Tickets waiting today, by center and case type.",
            labels=["center", "case_type"],
        )
        oldest = GaugeMetricFamily(
            "service_center_oldest_wait_seconds",
            "How long the longest-waiting ticket of today has waited, by center and case type.",
            labels=["center", "case_type"],
        )
        centers = {c.id: c for c in db.session.scalars(select(Center))}
        types = {t.id: t.code for t in db.session.scalars(select(CaseType))}
        rows = db.session.execute(
            select(
                Ticket.center_id,
                Ticket.case_type_id,
                Ticket.service_date,
                func.count(),
                func.min(Ticket.queued_dt),
            )
            .where(Ticket.state == TicketState.WAITING)
            .group_by(Ticket.center_id, Ticket.case_type_id, Ticket.service_date)
        )
        for center_id, case_type_id, day, count, first in rows:
            center = centers.get(center_id)
            if center is None or day != local_date(now, center.timezone):
                continue  # a ticket of an earlier day is not waiting in today's hall
            labels = [center.code, types.get(case_type_id, "")]
            waiting.add_metric(labels, count)
            if first is not None:
                oldest.add_metric(labels, max((now - first).total_seconds(), 0.0))
        yield waiting
        yield oldest


def exposition(now: datetime | None = None) -> bytes:
    """The text a scrape answers: every worker's counts (multiprocess) and the queue now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counts = CollectorRegistry()
        multiprocess.MultiProcessCollector(counts)
    else:
        counts = REGISTRY
    queue = CollectorRegistry()
    queue.register(QueueCollector(now))
    return generate_latest(counts) + generate_latest(queue)
