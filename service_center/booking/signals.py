"""What the bookings announce, for the areas above them (notifications) to listen to.

Sent synchronously inside the booking's transaction, after its rows are flushed, like the
queue's signals (``queueing/signals.py``): whatever a receiver writes commits or rolls back
with the booking. The sender is the ``Appointment``; each carries ``now``.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

appointment_booked = _signals.signal("appointment-booked")
#: also ``before``: the (day, start time) it was moved from
appointment_moved = _signals.signal("appointment-moved")
appointment_cancelled = _signals.signal("appointment-cancelled")
#: the resident asked for no more messages about the booking
appointment_opted_out = _signals.signal("appointment-opted-out")
#: sender: the ``Center`` that closed ``day``; ``appointments`` (its bookings still to come
#: that day, which cannot take place), ``reason_zh``, ``reason_en``, ``now``
bookings_stranded = _signals.signal("bookings-stranded")
#: sender: the ``Center`` whose closure of ``day`` was taken back; ``appointments``: its
#: bookings still to come that day (a closure notice not sent yet no longer holds)
day_reopened = _signals.signal("day-reopened")

# -- the waiting list (``waitlist.py``): the sender is the ``WaitlistEntry``; each carries ``now``

#: a freed place is held for the entry (``offer_start_time`` until ``offer_expires_dt``)
place_offered = _signals.signal("place-offered")
#: the entry's offer ended (taken, declined, lapsed or left): a message about it not sent yet
#: no longer holds
offer_ended = _signals.signal("offer-ended")

# -- fair booking (``fairness.py``): the sender is the missed ``Appointment``

#: a first missed booking within the window: ``strikes`` of ``limit``; ``now``
booking_warned = _signals.signal("booking-warned")
#: missed bookings reached the center's limit: ``bar`` (a ``BookingBar``); ``now``
booking_barred = _signals.signal("booking-barred")
