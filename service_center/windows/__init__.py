"""Service windows, their skills (the items they handle) and their open/paused/closed state."""
