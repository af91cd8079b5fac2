"""Reports (read only): the live floor, daily and range totals, "since" totals, CSV, CLI.

Every figure comes from one domain function, ``services.compute_figures``, which the pages,
the API (``/api/v1/reports/…``), the CSV files and ``flask report …`` all call, so a number reads
the same wherever it is shown. ``history.seed_history`` fills past days in bulk for benchmarks
and demos (``flask seed-history``).
"""
