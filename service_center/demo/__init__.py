"""The demo deployment: two centers of Cao County with their windows, items and staff."""
