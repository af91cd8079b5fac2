"""Metrics in the Prometheus text format at ``/metrics`` (prometheus_client).

Requests and their latency per endpoint, tickets issued and called (counted from the queue's
events), and, read from the database at each scrape, the tickets waiting and the oldest wait
per center and case type. Under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (docs/deployment.md)
so every worker's counts add up. Reachable only from ``METRICS_ALLOW`` or with ``METRICS_TOKEN``.
"""

from . import listeners  # noqa: F401  (counts the queue's events)
