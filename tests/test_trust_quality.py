"""Honeypot and time-on-page: scripted responses are kept but flagged, people are not."""
from __future__ import annotations

import json
import re

from conftest import Respondent, stored_responses
from test_survey_journey import answers_for
from trust_helpers import CarefulRespondent, hidden_fields


def flags_of(db_path) -> list[str]:
    [row] = stored_responses(db_path)
    return json.loads(row["quality_flags"])


def test_a_person_who_reads_each_page_is_not_flagged(client, clock, db_path):
    CarefulRespondent(client, clock).complete(answers_for("public"))
    assert flags_of(db_path) == []


def test_a_filled_honeypot_is_stored_and_flagged(client, clock, db_path):
    CarefulRespondent(client, clock, website="http://spam.example").complete(answers_for("public"))
    assert flags_of(db_path) == ["honeypot"]
    assert stored_responses(db_path)[0]["dealing_problem"] == "very_big"


def test_pages_answered_faster_than_a_person_can_read_are_flagged(client, clock, db_path):
    CarefulRespondent(client, clock, reading_seconds=0).complete(answers_for("provider"))
    assert flags_of(db_path) == ["too_fast"]


def test_a_forged_page_stamp_counts_as_too_fast(client, clock, db_path):
    CarefulRespondent(client, clock, page_shown="forged").complete(answers_for("public"))
    assert flags_of(db_path) == ["too_fast"]


def test_a_form_without_the_hidden_fields_is_flagged_not_refused(client, db_path):
    Respondent(client).complete(answers_for("police"))
    assert flags_of(db_path) == ["too_fast"]


def test_correcting_a_mistake_quickly_is_not_too_fast(client, clock, db_path):
    respondent = CarefulRespondent(client, clock)
    respondent.start()
    first = respondent.post(respondent.url("q/about_role"), {})
    assert first.status_code == 400
    # The error page keeps the original stamp, so a quick correction is judged from first sight.
    fields = hidden_fields(first.get_data(as_text=True))
    fixed = client.post(respondent.url("q/about_role"), data={**fields, "respondent_group": "public"})
    assert fixed.status_code == 303
    answers = answers_for("public")
    del answers["about_role"]
    respondent.complete(answers)
    assert flags_of(db_path) == []


def test_going_back_and_continuing_quickly_is_not_too_fast(client, clock, db_path):
    respondent = CarefulRespondent(client, clock)
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    respondent.reading_seconds = 0
    assert respondent.answer("about_role", {"respondent_group": "public"}).status_code == 303
    respondent.reading_seconds = 20
    respondent.complete(answers_for("public"))
    assert flags_of(db_path) == []


def test_the_honeypot_is_hidden_from_sight_screen_readers_and_the_tab_key(client, clock):
    respondent = CarefulRespondent(client, clock)
    respondent.start()
    html = client.get(respondent.url("q/about_role")).get_data(as_text=True)
    trap = re.search(r'<div class="visually-hidden" aria-hidden="true">(.*?)</div>', html, re.S)
    assert trap, "honeypot must be inside an aria-hidden, visually hidden block"
    assert '<label for="website">Leave this field blank</label>' in trap.group(1)
    assert 'name="website"' in trap.group(1) and 'tabindex="-1"' in trap.group(1)
    assert 'autocomplete="off"' in trap.group(1)
