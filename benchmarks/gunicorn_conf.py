"""gunicorn settings of every server the benchmark starts (the app and both baselines).

Bind address, workers and threads come from the command line. ``BENCH_CLOCK_OFFSET_SECONDS``
moves the app's clock (``service_center.clock.travel``) in each worker before it loads the
app, so a benchmark run at night still meets the centers inside their opening hours; the app
itself stays untouched.
"""

from __future__ import annotations

import os
from datetime import timedelta

worker_class = "sync"  # --threads above 1 switches gunicorn to gthread
accesslog = None  # no access log: it would cost time and could carry a phone number
errorlog = "-"
loglevel = "warning"
timeout = 300  # a year's report over millions of cases may take long; never cut it off
graceful_timeout = 5
#: gunicorn 27's control socket sits at one path per user: two servers at once would share it
control_socket_disable = True


def post_fork(server, worker) -> None:  # noqa: ANN001 (gunicorn's hook signature)
    offset = os.environ.get("BENCH_CLOCK_OFFSET_SECONDS")
    if offset:
        from service_center import clock

        clock.travel(timedelta(seconds=float(offset)))
