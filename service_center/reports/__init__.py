"""Reports: the live floor, daily and range totals, "since" totals, CSV, CLI.

Every figure comes from one domain function, ``services.compute_figures``, which the pages,
the API (``/api/v1/reports/…``), the CSV files and ``flask report …`` all call, so a number reads
the same wherever it is shown. The reports write only their own stored summaries of closed days
(``summaries.py``), which the queue's events invalidate (``listeners.py``, connected here).
The demo's ``history.seed_history`` fills past days in bulk (``flask seed-history``).
"""

from . import listeners  # noqa: F401  (connects the summaries to the queue's signals)
