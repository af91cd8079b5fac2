"""The stack's ceiling: a Flask hello world and a bare Flask-SQLAlchemy write."""
