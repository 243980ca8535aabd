"""Operators' commands: purge past retention, and erase one response by its reference."""
from __future__ import annotations

import sqlite_utils

from conftest import Respondent, stored_responses
from test_survey_journey import answers_for


def with_email(group: str = "public") -> dict:
    answers = answers_for(group)
    answers["follow_up"] = {"contact_consent": "yes"}
    answers["contact"] = {"email": "sam@example.com"}
    return answers


def table(db_path, name: str) -> list[dict]:
    return list(sqlite_utils.Database(db_path).query(f"select * from {name}"))


def run(app, *args):
    return app.test_cli_runner().invoke(args=["responses", *args])


def test_erase_deletes_the_response_its_personal_data_and_draft_and_records_only_reference_and_time(
        app, client, clock, db_path):
    reference, _ = Respondent(client).complete(with_email())
    other, _ = Respondent(app.test_client()).complete(answers_for("police"))
    result = run(app, "erase", reference)
    assert result.exit_code == 0, result.output
    assert f"Erased response {reference}" in result.output
    assert [row["reference"] for row in stored_responses(db_path)] == [other]
    assert table(db_path, "personal_data") == []
    assert [d for d in table(db_path, "drafts") if d["reference"] == reference] == []
    assert table(db_path, "erasures") == [{"reference": reference, "erased_at": "2026-12-01T12:00:00+00:00"}]


def test_erase_accepts_a_reference_as_read_out(app, client, db_path):
    reference, _ = Respondent(client).complete(answers_for("public"))
    spoken = reference.replace("-", " ").lower()
    assert run(app, "erase", spoken).exit_code == 0
    assert stored_responses(db_path) == []


def test_the_respondent_sees_no_trace_of_an_erased_response(app, client):
    reference, _ = Respondent(client).complete(answers_for("public"))
    run(app, "erase", reference)
    page = client.get("/en/drugs-review/").get_data(as_text=True)
    assert reference not in page


def test_erasing_an_unknown_reference_says_so_and_changes_nothing(app, client, db_path):
    Respondent(client).complete(answers_for("public"))
    result = run(app, "erase", "ABCD-EFGH")
    assert result.exit_code == 1
    assert "No response has the reference ABCD-EFGH" in result.output
    assert len(stored_responses(db_path)) == 1 and table(db_path, "erasures") == []


def test_erasing_something_that_is_not_a_reference_is_refused(app):
    result = run(app, "erase", "1; drop table responses")
    assert result.exit_code == 1 and "is not a response reference" in result.output


def test_erasing_twice_reports_the_first_erasure(app, client):
    reference, _ = Respondent(client).complete(answers_for("public"))
    run(app, "erase", reference)
    result = run(app, "erase", reference)
    assert result.exit_code == 0 and "already erased at 2026-12-01T12:00:00+00:00" in result.output


def complete_old_and_new(app, clock):
    """One response with an email sent 40 days ago, one sent today, and one abandoned draft 40 days old."""
    Respondent(app.test_client()).complete(with_email("public"))
    Respondent(app.test_client()).start()
    clock.advance(days=40)
    new, _ = Respondent(app.test_client()).complete(with_email("provider"))
    return new


def test_purge_deletes_old_personal_data_and_drafts_and_keeps_answers(app, clock, db_path):
    new = complete_old_and_new(app, clock)
    result = run(app, "purge", "--survey", "drugs-review", "--older-than", "30")
    assert result.exit_code == 0, result.output
    assert "1 personal data record (follow-up emails)" in result.output
    assert "2 drafts" in result.output
    assert "responses kept" in result.output
    assert len(stored_responses(db_path)) == 2
    [kept] = table(db_path, "personal_data")
    assert kept["response_id"] == next(r["id"] for r in stored_responses(db_path) if r["reference"] == new)


def test_purge_with_responses_deletes_old_responses_too(app, clock, db_path):
    new = complete_old_and_new(app, clock)
    result = run(app, "purge", "--survey", "drugs-review", "--older-than", "30", "--include-responses")
    assert result.exit_code == 0, result.output
    assert "1 response\n" in result.output
    assert [row["reference"] for row in stored_responses(db_path)] == [new]
    assert len(table(db_path, "personal_data")) == 1


def test_purge_of_an_unknown_survey_is_an_error(app):
    result = run(app, "purge", "--survey", "no-such-survey", "--older-than", "30")
    assert result.exit_code == 1 and "No survey 'no-such-survey'" in result.output


def test_purge_needs_a_whole_number_of_days(app):
    result = run(app, "purge", "--survey", "drugs-review", "--older-than", "-3")
    assert result.exit_code == 2
