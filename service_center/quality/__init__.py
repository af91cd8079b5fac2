"""The supervisors' quality loop: the rectification of bad reviews (差评整改), service-level
thresholds and their breaches (服务时限预警), the one-trip rate (一次办成率) and the monthly
rankings of windows and clerks.

It sits above the queue (it reads tickets, cases and ratings, and listens to ``case_rated``)
and below the areas people work in: the reports' live floor and daily report show its
breaches and overdue items, the desk records what was missing, notifications tell the
supervisor on duty of a breach.
"""

from . import listeners as listeners  # noqa: F401 (connects the receivers)
