"""Staff accounts, roles, sign-in, device tokens and the permission checks."""
