"""Administration: centers, windows, items, staff, calendar and devices, with an audit trail."""
