"""Centers, departments, case types, service items, opening hours and the public catalogue."""
