"""No lost responses under load: the real app under gunicorn with several worker processes,
a few hundred people finishing the survey at once, each stored exactly once."""
from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
import sqlite_utils

from survey_app.config import PROJECT_ROOT, sqlite_uri
from test_survey_journey import GROUP_PAGES, answers_for
from trust_helpers import hidden_fields

RESPONDENTS = 200
CONCURRENCY = 16
WORKERS = 4
RETRYABLE = {429, 503}
REFERENCE_RE = re.compile(r'class="reference">([A-Z0-9-]+)<')


def free_loopback_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    """gunicorn serving this checkout on a free loopback port, stopped at the end."""
    port = free_loopback_port()
    env = {**os.environ, "LLAIS_ENV": "development", "SECRET_KEY": "load-test-secret",
           "FINGERPRINT_SECRET": "load-test-fingerprint", "LLAIS_VAR_DIR": str(tmp_path / "var"),
           "SURVEY_DATABASE": str(tmp_path / "responses.db"),
           "RATELIMIT_STORAGE_URI": sqlite_uri(tmp_path / "ratelimit.db")}
    log = open(tmp_path / "gunicorn.log", "wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
         "--chdir", str(PROJECT_ROOT), "--timeout", "60", "survey_app:create_app()"],
        env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(base, process, tmp_path / "gunicorn.log")
        yield base, tmp_path / "responses.db"
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_until_serving(base: str, process: subprocess.Popen, log: Path) -> None:
    probe = requests.Session()
    probe.trust_env = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited early:\n{log.read_text()}")
        try:
            if probe.get(f"{base}/en/", timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    pytest.fail(f"gunicorn did not start within 30 s:\n{log.read_text()}")


class Person:
    """One respondent on their own phone, who presses the button again after a "try again" page."""

    def __init__(self, base: str, number: int, group: str):
        self.base, self.answers = base, answers_for(group)
        self.session = requests.Session()
        self.session.trust_env = False  # loopback only, never through a configured proxy
        self.session.headers["User-Agent"] = f"LoadTestPhone/{number}"
        self.statuses: list[int] = []

    def send(self, url: str, data: dict) -> requests.Response:
        for _ in range(20):
            response = self.session.post(url, data=data, timeout=30)
            self.statuses += [r.status_code for r in response.history] + [response.status_code]
            if response.status_code not in RETRYABLE:
                return response
            time.sleep(min(float(response.headers.get("Retry-After", 1)), 1.0))
        return response

    def complete(self) -> str | None:
        start = f"{self.base}/en/drugs-review/"
        page = self.session.get(start, timeout=30)
        page = self.send(start, {**hidden_fields(page.text), "consent": "y"})
        for _ in range(20):
            if page.url.endswith("/complete"):
                match = REFERENCE_RE.search(page.text)
                return match.group(1) if match else None
            section = page.url.rsplit("/", 1)[-1]
            page = self.send(page.url, {**hidden_fields(page.text), **self.answers.get(section, {})})
        return None


def test_hundreds_of_simultaneous_respondents_are_each_stored_exactly_once(server):
    base, db_path = server
    groups = itertools.cycle(GROUP_PAGES)
    people = [Person(base, number, next(groups)) for number in range(RESPONDENTS)]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        references = list(pool.map(lambda person: person.complete(), people, timeout=240))

    statuses = {status for person in people for status in person.statuses}
    assert statuses <= {200, 303} | RETRYABLE, f"unexpected statuses: {statuses}"
    assert None not in references, "someone did not reach the confirmation page"
    rows = list(sqlite_utils.Database(db_path).query("select reference, respondent_group from responses"))
    assert len(rows) == RESPONDENTS
    assert sorted(row["reference"] for row in rows) == sorted(references)
    retried = sum(1 for person in people if set(person.statuses) & RETRYABLE)
    print(f"{RESPONDENTS} responses stored once each; {retried} respondents had to press again")
