"""Faults while saving: a locked database or a full disk gives a translated "please try again"
page, the answers stay held so a retry succeeds, and nothing half-written is kept."""
from __future__ import annotations

import json

import pytest
import sqlite_utils

from conftest import Respondent, csrf_token, stored_responses
from survey_app import create_app, storage
from survey_app.context import get_db
from test_trust_cli import with_email

LONG_TEXT = "Mae angen mwy o weithwyr ieuenctid gyda’r nos. " * 80  # several kB: needs new pages to store


def answers_with_long_text() -> dict:
    answers = with_email("public")
    answers["priorities"] = {"partner_priorities": ["protect_young"], "one_change": LONG_TEXT[:2000],
                             "other_comments": LONG_TEXT[:4000]}
    return answers


@pytest.fixture
def impatient_app(app_config):
    """The app with a short busy timeout, so a held lock outlasts it quickly."""
    return create_app({**app_config, "SURVEY_DB_BUSY_TIMEOUT_MS": 50})


def walk_to_last_page(respondent: Respondent, answers: dict) -> str:
    location = respondent.start()
    while not location.endswith("/q/contact"):
        section = location.rsplit("/", 1)[-1]
        location = respondent.post(location, answers.get(section, {})).location
    return location


def nothing_stored(db_path) -> bool:
    db = sqlite_utils.Database(db_path)
    return stored_responses(db_path) == [] and db["personal_data"].count == 0


def app_connection(app) -> sqlite_utils.Database:
    """The connection the app's requests use in this thread (the test client runs them here)."""
    with app.app_context():
        return get_db()


def held_answers(db_path) -> dict:
    [draft] = sqlite_utils.Database(db_path).query("select * from drafts")
    assert draft["reference"] is None
    return json.loads(draft["answers"])


def assert_try_again_page(response, lang: str):
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    if lang == "en":
        assert "Sorry, please try again" in page and "Nothing has been lost" in page


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_locked_database_asks_the_respondent_to_try_again_and_the_retry_succeeds(impatient_app, db_path, lang):
    client = impatient_app.test_client()
    last_page = walk_to_last_page(Respondent(client, lang), with_email())
    send = {"csrf_token": csrf_token(client.get(last_page).get_data(as_text=True)), "email": "sam@example.com"}

    other_writer = storage.connect(db_path)
    other_writer.execute("BEGIN IMMEDIATE")
    try:
        refused = client.post(last_page, data=send)
    finally:
        other_writer.execute("ROLLBACK")

    assert_try_again_page(refused, lang)
    assert nothing_stored(db_path)
    assert held_answers(db_path)["dealing_problem"] == "very_big"

    retried = client.post(last_page, data=send)
    assert retried.status_code == 303 and retried.location.endswith("/complete")
    [row] = stored_responses(db_path)
    assert row["dealing_problem"] == "very_big" and row["language"] == lang
    assert sqlite_utils.Database(db_path)["personal_data"].count == 1


def test_a_full_disk_while_storing_keeps_nothing_half_written_and_the_retry_succeeds(app, db_path):
    client = app.test_client()
    last_page = walk_to_last_page(Respondent(client), answers_with_long_text())
    send = {"csrf_token": csrf_token(client.get(last_page).get_data(as_text=True)), "email": "sam@example.com"}

    storage.connect(db_path).execute("VACUUM")  # no free pages left inside the file to reuse
    db = app_connection(app)
    # The database may not grow by a single page: what SQLite reports when the disk is full.
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    refused = client.post(last_page, data=send)

    assert_try_again_page(refused, "en")
    assert nothing_stored(db_path)
    assert held_answers(db_path)["other_comments"] == LONG_TEXT[:4000].strip()

    retried = client.post(last_page, data=send)
    assert retried.status_code == 303 and retried.location.endswith("/complete")
    [row] = stored_responses(db_path)
    assert row["other_comments"] == LONG_TEXT[:4000].strip()


def test_a_write_failing_half_way_through_storing_leaves_no_partial_response(app, db_path):
    """The response row is written, then the personal data row fails: both must be gone."""
    client = app.test_client()
    last_page = walk_to_last_page(Respondent(client), with_email())
    send = {"csrf_token": csrf_token(client.get(last_page).get_data(as_text=True)), "email": "sam@example.com"}

    db = app_connection(app)
    failing = []
    db.conn.set_trace_callback(lambda sql: failing.append(1) if "personal_data" in sql and
                               sql.lstrip().upper().startswith("INSERT") else None)
    # Abandon the statement as an I/O error would; SQLite raises OperationalError.
    db.conn.set_progress_handler(lambda: 1 if failing else 0, 1)
    refused = client.post(last_page, data=send)

    assert_try_again_page(refused, "en")
    assert nothing_stored(db_path)
    assert held_answers(db_path)["email"] == "sam@example.com"

    retried = client.post(last_page, data=send)
    assert retried.status_code == 303
    assert len(stored_responses(db_path)) == 1
    assert sqlite_utils.Database(db_path)["personal_data"].count == 1
