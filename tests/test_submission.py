"""Submitting: exactly one stored response however often the last page is sent, and no raw IP."""
from __future__ import annotations

import hashlib
import hmac
import threading

import sqlite_utils
import yaml

from conftest import Respondent, csrf_token, stored_responses
from survey_app import create_app, storage
from survey_app.definition import SURVEYS_DIR
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


# --- the fingerprint, checked against an HMAC worked out here, not by the app's own function ------

CLIENT_IP = "198.51.100.73"  # documentation range: never the test client's default address
CLIENT_UA = "LlaisProbePhone/7.3 (Fingerprint-Test; Build/QX91Z)"


def independent_fingerprint(secret: str, survey_id: str, ip: str, user_agent: str) -> str:
    """Written out from the documented scheme: a per-survey key HMAC-SHA256(secret, survey id),
    then HMAC-SHA256(that key, "ip\\nuser agent"), hex, first 32 characters."""
    survey_key = hmac.new(secret.encode("utf-8"), survey_id.encode("utf-8"), hashlib.sha256).digest()
    message = (ip + "\n" + user_agent).encode("utf-8")
    return hmac.new(survey_key, message, hashlib.sha256).hexdigest()[:32]


def client_at(app, ip: str = CLIENT_IP, user_agent: str = CLIENT_UA):
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": ip, "HTTP_USER_AGENT": user_agent})
    return client


def test_stored_fingerprint_is_an_hmac_under_the_configured_secret(app, app_config, db_path):
    Respondent(client_at(app)).complete(answers_for("public"))
    [row] = stored_responses(db_path)
    secret = app_config["FINGERPRINT_SECRET"]
    assert row["fingerprint"] == independent_fingerprint(secret, "drugs-review", CLIENT_IP, CLIENT_UA)
    # Not any of the unkeyed or unrotated hashes a careless change might leave in its place.
    message = f"{CLIENT_IP}\n{CLIENT_UA}".encode()
    assert row["fingerprint"] not in {
        hashlib.sha256(message).hexdigest()[:32],
        hashlib.sha256((CLIENT_IP + CLIENT_UA).encode()).hexdigest()[:32],
        hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32],
    }


def test_fingerprint_changes_when_the_fingerprint_secret_changes(app_config, tmp_path):
    fingerprints = []
    for secret in ("first-fingerprint-secret", "second-fingerprint-secret"):
        db_path = tmp_path / f"{secret}.db"
        app = create_app({**app_config, "FINGERPRINT_SECRET": secret, "SURVEY_DATABASE": str(db_path)})
        Respondent(client_at(app)).complete(answers_for("public"))
        [row] = stored_responses(db_path)
        assert row["fingerprint"] == independent_fingerprint(secret, "drugs-review", CLIENT_IP, CLIENT_UA)
        fingerprints.append(row["fingerprint"])
    assert fingerprints[0] != fingerprints[1]


def test_fingerprint_differs_between_surveys_for_the_same_client(app_config, tmp_path, db_path):
    surveys_dir = tmp_path / "surveys"
    surveys_dir.mkdir()
    original = yaml.safe_load((SURVEYS_DIR / "dyfed-powys-drugs-review.yaml").read_text(encoding="utf-8"))
    (surveys_dir / "one.yaml").write_text(yaml.safe_dump(original), encoding="utf-8")
    (surveys_dir / "two.yaml").write_text(yaml.safe_dump({**original, "slug": "drugs-review-two"}),
                                          encoding="utf-8")
    app = create_app({**app_config, "SURVEYS_DIR": str(surveys_dir)})
    client = client_at(app)
    Respondent(client).complete(answers_for("public"))
    Respondent(client, slug="drugs-review-two").complete(answers_for("public"))
    rows = {row["survey_id"]: row["fingerprint"] for row in stored_responses(db_path)}
    secret = app_config["FINGERPRINT_SECRET"]
    assert rows == {slug: independent_fingerprint(secret, slug, CLIENT_IP, CLIENT_UA)
                    for slug in ("drugs-review", "drugs-review-two")}
    assert rows["drugs-review"] != rows["drugs-review-two"]


def test_raw_address_and_user_agent_are_nowhere_in_the_database_files(app, db_path):
    # A started-then-abandoned draft as well as a completed response: neither may keep them.
    Respondent(client_at(app)).complete(answers_for("public"))
    abandoned = Respondent(client_at(app))
    abandoned.start()
    assert abandoned.answer("about_role", {"respondent_group": "public"}).status_code == 303
    files = [path for path in (db_path, db_path.with_name(db_path.name + "-wal")) if path.exists()]
    raw = b"".join(path.read_bytes() for path in files)
    # The search does see what was written (whether it sits in the main file or still in the WAL).
    assert "Cuckooing of vulnerable tenants".encode() in raw
    for secret in (CLIENT_IP, CLIENT_UA, "LlaisProbePhone", "Fingerprint-Test"):
        assert secret.encode("utf-8") not in raw, secret
        assert secret.encode("utf-16-le") not in raw and secret.encode("utf-16-be") not in raw, secret
