"""Flask "hello world": the most requests per second a Flask app can answer on this stack."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
