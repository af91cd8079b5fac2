"""Online bookings: working days, slots, booking codes, manage, check-in."""

from . import listeners  # noqa: E402,F401  (connects the booking's receivers of queue events)
