"""The processes the race tests start: each a separate process that builds its own app and
opens its own connections.

A spawned process is a new interpreter that imports the app anew (1-2 s of CPU each, with ten
at once in a race on a 2-core machine). A fork server imports it once, then forks each process
from there: the same fresh start as a spawned one, without the imports. The server builds no
app and opens no connection (importing the app does neither), so a process inherits none;
forking the test process itself would copy its open connections.
"""

from __future__ import annotations

import multiprocessing

# What the server imports before it forks, in the order a process would: pytest (a process
# runs ``python -m pytest``'s __main__ again), the modules create_app imports as it runs (a
# module left out here is imported by the process itself: slower, never different), then the
# workers. Only the server imports these: importing them here, in another order than
# create_app's, would change the test process.
PRELOAD = [
    "pytest",
    "service_center",
    "service_center.config",
    *(
        f"service_center.{name}"
        for name in (
            "cli errors extensions i18n models requestlog security stamps templating db api "
            "health admin.views auth.views booking.views catalogue.views desk.views "
            "display.views metrics.views notifications.views quality.views queueing.views "
            "reports.views windows.services admin.api booking.api catalogue.api desk.api "
            "display.api notifications.api quality.api queueing.api reports.api windows.api "
            "api.openapi"
        ).split()
    ),
    "tests.race_workers",
    "tests.remote_workers",
    "tests.waitlist_race_workers",
]

CONTEXT = multiprocessing.get_context("forkserver")
CONTEXT.set_forkserver_preload(PRELOAD)
