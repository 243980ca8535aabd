"""Submitting: exactly one stored response however often the last page is sent, and no raw IP."""
from __future__ import annotations

import threading

import sqlite_utils

from conftest import Respondent, csrf_token, stored_responses
from survey_app import storage
from test_survey_journey import answers_for


def walk_to_last_page(respondent: Respondent, survey) -> str:
    location = respondent.start()
    answers = answers_for("public")
    last = survey.visible_sections(answers)[-1].id
    while not location.endswith(f"/q/{last}"):
        section = location.rsplit("/", 1)[-1]
        location = respondent.post(location, answers.get(section, {})).location
    return location


def test_double_click_on_send_stores_one_response(client, db_path, survey):
    respondent = Respondent(client)
    last_page = walk_to_last_page(respondent, survey)
    token = csrf_token(client.get(last_page).get_data(as_text=True))
    first = client.post(last_page, data={"csrf_token": token, "contact_consent": "no"})
    second = client.post(last_page, data={"csrf_token": token, "contact_consent": "no"})
    assert first.status_code == second.status_code == 303
    assert first.location == second.location and first.location.endswith("/complete")
    assert len(stored_responses(db_path)) == 1


def test_concurrent_submits_of_one_draft_store_one_response(db_path, survey, app):
    db = storage.connect(db_path)
    draft = storage.new_draft(db, survey, "en", storage.utcnow())
    storage.save_answers(db, draft, {"respondent_group": "public", "_pages": []}, storage.utcnow())
    references = []

    def send():
        connection = storage.connect(db_path)
        copy = storage.load_draft(connection, draft.id, survey)
        references.append(storage.submit(connection, survey, copy, storage.utcnow()))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(references)) == 1
    assert len(stored_responses(db_path)) == 1


def test_a_late_save_does_not_write_answers_back_into_a_submitted_draft(db_path, survey, app):
    """The losing request of a double submit must not leave the email behind in the draft."""
    db = storage.connect(db_path)
    draft = storage.new_draft(db, survey, "en", storage.utcnow())
    storage.save_answers(db, draft, {"respondent_group": "public", "_pages": []}, storage.utcnow())
    stale = storage.load_draft(storage.connect(db_path), draft.id, survey)
    storage.submit(db, survey, draft, storage.utcnow())
    storage.save_answers(db, stale, {"email": "someone@example.org"}, storage.utcnow())
    held = db.execute("select answers from drafts where id = ?", [draft.id]).fetchone()[0]
    assert "someone@example.org" not in held


def test_failed_validation_on_the_last_page_stores_nothing(client, db_path, survey):
    respondent = Respondent(client)
    last_page = walk_to_last_page(respondent, survey)
    response = respondent.post(last_page, {"contact_consent": "maybe"})
    assert response.status_code == 400
    assert stored_responses(db_path) == []


def test_fingerprint_is_a_keyed_hash_not_the_address(client, db_path):
    Respondent(client).complete(answers_for("public"), headers={"User-Agent": "TestPhone/1.0"})
    [row] = stored_responses(db_path)
    assert row["fingerprint"] and len(row["fingerprint"]) == 32
    assert "127.0.0.1" not in str(row.values())
    dump = "\n".join(sqlite_utils.Database(db_path).iterdump())
    assert "127.0.0.1" not in dump and "TestPhone" not in dump


def test_time_taken_is_recorded(client, db_path, clock):
    respondent = Respondent(client)
    respondent.start()
    clock.advance(minutes=7)
    respondent.complete(answers_for("police"))
    [row] = stored_responses(db_path)
    assert row["duration_seconds"] == 7 * 60
    assert row["submitted_at"].endswith("+00:00")


def test_answers_are_not_kept_twice_after_submission(client, db_path):
    Respondent(client).complete(answers_for("provider"))
    [draft] = list(sqlite_utils.Database(db_path)["drafts"].rows)
    assert draft["answers"] == "{}" and draft["reference"]
