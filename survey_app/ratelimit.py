"""Rate limiting of submissions, with counters every worker process on the machine shares.

Gunicorn runs several worker processes; a per-process memory store would let a
client multiply its allowance by the number of workers. The counters live in a
small SQLite file of their own (not the responses database, so counting never
competes with storing answers for the write lock), which needs no extra server.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import time
import urllib.parse
from pathlib import Path

from flask import Blueprint, Flask, current_app, request
from flask_limiter import Limiter
from limits.storage import Storage

from .fingerprint import client_fingerprint

COUNTER_BUSY_TIMEOUT_S = 2.0


class SQLiteStorage(Storage):
    """A fixed-window counter store for the `limits` library in one SQLite file.

    URI: ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``.
    """

    STORAGE_SCHEME = ["sqlite"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        path = urllib.parse.urlparse(uri or "").path
        if not path or path == "/":
            raise ValueError(f"rate limit storage URI {uri!r} names no file")
        self.path = Path(path[1:])
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connection().execute(
            "CREATE TABLE IF NOT EXISTS rate_limits (key TEXT PRIMARY KEY, count INTEGER NOT NULL, "
            "expires_at REAL NOT NULL)")
        self._connection().execute("CREATE INDEX IF NOT EXISTS rate_limits_expiry ON rate_limits (expires_at)")

    @property
    def base_exceptions(self) -> type[Exception]:
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        # One connection per thread and per process: a connection must not cross a fork.
        conn = getattr(self._local, "conn", None)
        if conn is None or self._local.pid != os.getpid():
            conn = sqlite3.connect(str(self.path), timeout=COUNTER_BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        conn = self._connection()
        # One statement, so two workers counting the same key at once cannot lose a hit.
        (count,) = conn.execute(
            "INSERT INTO rate_limits (key, count, expires_at) VALUES (:key, :amount, :expires) "
            "ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires_at <= :now THEN :amount ELSE count + :amount END, "
            "expires_at = CASE WHEN expires_at <= :now THEN :expires ELSE expires_at END "
            "RETURNING count",
            {"key": key, "amount": amount, "expires": now + expiry, "now": now}).fetchone()
        if count == amount:
            # A new window started: a cheap moment to drop other clients' finished windows.
            conn.execute("DELETE FROM rate_limits WHERE expires_at <= ?", [now])
        return count

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM rate_limits WHERE key = ? AND expires_at > ?", [key, time.time()]).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires_at FROM rate_limits WHERE key = ? AND expires_at > ?", [key, time.time()]).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        return self._connection().execute("SELECT 1").fetchone() == (1,)

    def reset(self) -> int:
        return self._connection().execute("DELETE FROM rate_limits").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM rate_limits WHERE key = ?", [key])


def client_key() -> str:
    """Who is counted: the keyed hash of address and browser, so people sharing a
    drop-in centre's connection on their own phones are counted apart."""
    return client_fingerprint(current_app.config["FINGERPRINT_SECRET"], "rate-limit",
                              request.remote_addr, request.user_agent.string)


def submission_limit() -> str:
    return current_app.config["RATELIMIT_SUBMISSIONS"]


def init_limiter(app: Flask, blueprint: Blueprint) -> Limiter:
    """Limit the POSTs (answers, consent) of the survey blueprint; pages stay free to read.

    One count across all the survey's forms, so a script cannot get a fresh
    allowance by posting to a different page."""
    limiter = Limiter(client_key, app=app)
    limiter.shared_limit(submission_limit, scope="survey-posts", methods=["POST"])(blueprint)
    return limiter


def retry_after_seconds(limiter: Limiter) -> int:
    limit = limiter.current_limit
    if limit is None:
        return 60
    return max(1, int(limit.reset_at - time.time()))
