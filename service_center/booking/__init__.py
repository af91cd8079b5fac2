"""Online bookings: working days, slots, booking codes, manage, check-in."""
