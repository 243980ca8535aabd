"""Shared fixtures: a real app on a real SQLite file, and a respondent who fills it in."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import sqlite_utils

from survey_app import create_app
from survey_app.definition import load_surveys

# Browser fixtures (live_server, browser, page) are registered once for the whole run:
# two copies of the session-wide browser would start Playwright twice in one thread.
pytest_plugins = ["browser_support"]

SURVEY = "drugs-review"
OPEN_DAY = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)


class Clock:
    """A clock the tests move by hand, so open, closed and timed states are reachable."""

    def __init__(self, now: dt.datetime = OPEN_DAY):
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "responses.db"


@pytest.fixture
def app_config(db_path, clock):
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "FINGERPRINT_SECRET": "test-fingerprint-secret",
        "SURVEY_DATABASE": str(db_path),
        "PUBLIC_BASE_URL": "https://llais.example",
        "CLOCK": clock,
        # Only the rate-limit tests count requests; a journey test sends many posts.
        "RATELIMIT_ENABLED": False,
    }


@pytest.fixture
def app(app_config):
    return create_app(app_config)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def survey():
    return load_surveys()[SURVEY]


@pytest.fixture
def db(db_path, app):
    return sqlite_utils.Database(db_path)


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class Respondent:
    """Drives the survey through the test client the way a browser would, CSRF token and all."""

    def __init__(self, client, lang: str = "en", slug: str = SURVEY):
        self.client, self.lang, self.slug = client, lang, slug

    def url(self, path: str = "", lang: str | None = None) -> str:
        return f"/{lang or self.lang}/{self.slug}/{path}"

    def post(self, url: str, data: dict, headers: dict | None = None):
        page = self.client.get(url)
        token = csrf_token(page.get_data(as_text=True))
        return self.client.post(url, data={"csrf_token": token, **data}, headers=headers or {})

    def start(self):
        response = self.post(self.url(), {"consent": "y"})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response.location

    def answer(self, section_id: str, data: dict):
        return self.post(self.url(f"q/{section_id}"), data)

    def complete(self, answers: dict[str, dict], headers: dict | None = None):
        """Answer page after page, using `answers[section_id]` (blank where missing), until done."""
        location = self.start()
        seen = []
        while "/complete" not in location:
            section_id = location.rsplit("/", 1)[-1]
            seen.append(section_id)
            response = self.post(location, answers.get(section_id, {}), headers=headers)
            assert response.status_code == 303, (section_id, response.get_data(as_text=True)[:2000])
            location = response.location
        page = self.client.get(location)
        reference = re.search(r'class="reference">([A-Z0-9-]+)<', page.get_data(as_text=True)).group(1)
        return reference, seen


@pytest.fixture
def respondent(client):
    return Respondent(client)


def stored_responses(db_path) -> list[dict]:
    return list(sqlite_utils.Database(db_path).query("select * from responses order by id"))
