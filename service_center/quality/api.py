"""The quality loop in the JSON API: rectifications, rankings, the one-trip rate."""
