"""Messages to residents: the outbox, its workers and the channels they deliver through.

Importing the area connects its triggers (``listeners``) to the queue's and bookings' events.
"""

from . import listeners, offers  # noqa: F401
