"""Rate limiting of form posts per device, with counters shared by every worker process."""
from __future__ import annotations

import pytest

from conftest import Respondent
from survey_app import create_app
from survey_app.config import sqlite_uri
from survey_app.ratelimit import SQLiteStorage


@pytest.fixture
def limited_config(app_config, tmp_path):
    return {**app_config, "RATELIMIT_ENABLED": True, "RATELIMIT_SUBMISSIONS": "3 per hour",
            "RATELIMIT_STORAGE_URI": sqlite_uri(tmp_path / "counters" / "ratelimit.db")}


def device(app, user_agent: str = "Phone/1"):
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = user_agent
    return client


def post_consent(client, lang="en"):
    return Respondent(client, lang).post(f"/{lang}/drugs-review/", {"consent": "y"})


def test_too_many_posts_from_one_device_get_a_translated_429_with_retry_after(limited_config):
    client = device(create_app(limited_config))
    assert [post_consent(client).status_code for _ in range(3)] == [303, 303, 303]
    refused = post_consent(client)
    assert refused.status_code == 429
    assert "Too many attempts from this device" in refused.get_data(as_text=True)
    assert 0 < int(refused.headers["Retry-After"]) <= 3600

    welsh = post_consent(client, "cy")
    assert welsh.status_code == 429
    page = welsh.get_data(as_text=True)
    assert '<html lang="cy">' in page and "Gormod o ymdrechion o’r ddyfais hon" in page


def test_reading_pages_is_never_limited(limited_config):
    client = device(create_app(limited_config))
    for _ in range(4):
        post_consent(client)
    assert all(client.get("/en/drugs-review/").status_code == 200 for _ in range(10))


def test_people_sharing_a_connection_on_their_own_phones_are_counted_apart(limited_config):
    app = create_app(limited_config)
    first, second = device(app, "Phone/1"), device(app, "Tablet/2")
    for _ in range(3):
        post_consent(first)
    assert post_consent(first).status_code == 429
    assert post_consent(second).status_code == 303


def test_worker_processes_share_one_count(limited_config):
    """Two app instances stand in for two gunicorn workers: each alone would allow three posts."""
    worker_a, worker_b = device(create_app(limited_config)), device(create_app(limited_config))
    assert post_consent(worker_a).status_code == 303
    assert post_consent(worker_b).status_code == 303
    assert post_consent(worker_a).status_code == 303
    assert post_consent(worker_b).status_code == 429


def test_posts_to_different_pages_share_one_allowance(limited_config):
    client = device(create_app(limited_config))
    respondent = Respondent(client)
    respondent.start()
    assert respondent.answer("about_role", {"respondent_group": "public"}).status_code == 303
    assert respondent.answer("local_problem", {}).status_code == 303
    assert respondent.answer("concerns", {"concerns": ["county_lines"]}).status_code == 429


def test_rate_limiting_can_be_switched_off(limited_config):
    client = device(create_app({**limited_config, "RATELIMIT_ENABLED": False}))
    assert all(post_consent(client).status_code == 303 for _ in range(5))


def test_counter_windows_restart_once_expired(tmp_path):
    storage = SQLiteStorage(sqlite_uri(tmp_path / "ratelimit.db"))
    assert [storage.incr("k", 3600) for _ in range(3)] == [1, 2, 3]
    assert storage.get("k") == 3
    assert storage.get_expiry("k") > 0
    # A window that has already ended (expiry 0) starts counting again from one.
    storage.incr("old", 0)
    assert storage.incr("old", 3600) == 1
    storage.clear("k")
    assert storage.get("k") == 0
    assert storage.check()
