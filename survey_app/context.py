"""Per-request access to the survey database and the clock, shared by the blueprints."""
from __future__ import annotations

import datetime as dt
import os
import threading

import sqlite_utils
from flask import current_app, g

from . import storage


class ConnectionPerThread:
    """The survey database connection each worker thread reuses from request to request.

    Opening one per request cost a connect and four PRAGMAs, and closing the last connection
    to a WAL database runs a checkpoint: together about a third of a form POST. A connection
    never crosses a fork (a pre-loaded app is forked into gunicorn workers) or a thread (the
    development server runs each request in a thread of its own).
    """

    def __init__(self, path: str, busy_timeout_ms: int):
        self.path, self.busy_timeout_ms = path, busy_timeout_ms
        self._local = threading.local()
        # Connections opened before a fork stay referenced and are never used or closed in the
        # child: closing one there could checkpoint and delete the WAL the parent still uses.
        self._inherited: list[sqlite_utils.Database] = []

    def get(self) -> sqlite_utils.Database:
        db = self._own()
        if db is None:
            db = storage.connect(self.path, busy_timeout_ms=self.busy_timeout_ms)
            self._local.db, self._local.pid = db, os.getpid()
        return db

    def discard(self) -> None:
        """Close this thread's connection, so the next request opens a fresh one."""
        db = self._own()
        self._local.db = None
        if db is not None:
            db.close()

    def _own(self) -> sqlite_utils.Database | None:
        """This thread's connection if this process opened it; one from before a fork is set aside."""
        db = getattr(self._local, "db", None)
        if db is not None and self._local.pid != os.getpid():
            self._inherited.append(db)
            self._local.db = db = None
        return db


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = current_app.extensions["survey_db"].get()
    return g.db


def end_request(exc: BaseException | None) -> None:
    db = g.pop("db", None)
    # Writes roll back on failure already; this makes sure no transaction outlives its request.
    if db is not None and db.conn.in_transaction:
        db.conn.rollback()


def now() -> dt.datetime:
    """The app's clock (tests replace it to reach the open and closed states)."""
    return current_app.config["CLOCK"]()
