"""The hall display: the big screen's calls, window states and waiting counts, and its feed.

``services`` reads the queue's tables, ``feed`` shapes the public JSON and its ETag, ``api``
serves ``GET /api/v1/centers/<code>/display`` and ``views`` the pages the hall TV and the small
screens above the windows open. No personal data ever reaches any of them. The board's
version, as each process keeps it between polls, is the queue's (``queueing/kept.py``).
"""
