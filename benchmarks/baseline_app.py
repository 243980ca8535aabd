"""The floor for intake: a bare Flask endpoint that inserts one row into SQLite (WAL) per POST.

Run under the same gunicorn settings as the survey, so the ratio between the two
measures what the survey's own work costs, not the server or the machine.
"""
from __future__ import annotations

import os
import sqlite3

from flask import Flask, request

DATABASE = os.environ.get("BASELINE_DATABASE", "var/bench/baseline.db")

app = Flask(__name__)


def _connect() -> sqlite3.Connection:
    conn = sqlite3.connect(DATABASE, timeout=5, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("create table if not exists submissions (id integer primary key, body text)")
    return conn


@app.post("/submit")
def submit():
    # A connection per request, as the simplest app would do it.
    conn = _connect()
    try:
        conn.execute("insert into submissions (body) values (?)", [request.form.get("body", "")])
    finally:
        conn.close()
    return "stored", 201
