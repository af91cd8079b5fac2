"""Tickets, the queue order, call-next, the ticket life cycle, cases and ratings."""
