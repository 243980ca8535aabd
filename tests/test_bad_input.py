"""Every failure a respondent can cause: a clear, translated error, the right status, nothing stored."""
from __future__ import annotations

import datetime as dt
import html
import json

import pytest
import sqlite_utils

from conftest import Respondent, csrf_token, stored_responses


def draft_answers(db_path) -> dict:
    [draft] = list(sqlite_utils.Database(db_path).query("select answers from drafts"))
    return json.loads(draft["answers"])


@pytest.fixture
def on_concerns_page(respondent):
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    respondent.answer("local_problem", {})
    return respondent


@pytest.fixture
def on_about_you_page(respondent):
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    for section in ("local_problem", "concerns", "public_experience", "police_response", "support", "priorities"):
        assert respondent.answer(section, {}).status_code == 303
    return respondent


def assert_rejected(response, message: str, db_path, field_anchor: str | None = None):
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    assert 'class="error-summary"' in page
    if field_anchor:
        assert f'href="#{field_anchor}"' in page
    assert stored_responses(db_path) == []


def test_missing_csrf_token_is_refused_in_the_respondents_language(client, db_path):
    respondent = Respondent(client, "cy")
    respondent.start()
    response = client.post("/cy/drugs-review/q/about_role", data={"respondent_group": "public"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert '<html lang="cy">' in page
    assert "This page has expired" not in page  # the Welsh text, not the English
    assert draft_answers(db_path) == {}


def test_wrong_csrf_token_is_refused(client, db_path, respondent):
    respondent.start()
    response = client.post("/en/drugs-review/q/about_role",
                           data={"respondent_group": "public", "csrf_token": "forged"})
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    assert draft_answers(db_path) == {}


def test_skipped_required_question(respondent, db_path):
    respondent.start()
    response = respondent.answer("about_role", {})
    assert_rejected(response, "Select an answer.", db_path, "respondent_group-0")
    assert draft_answers(db_path) == {}


def test_option_code_not_in_the_definition(respondent, db_path):
    respondent.start()
    response = respondent.answer("about_role", {"respondent_group": "burglar"})
    assert_rejected(response, "Select one of the options shown.", db_path)
    assert draft_answers(db_path) == {}


def test_multiple_choice_code_not_in_the_definition(on_concerns_page, db_path):
    response = on_concerns_page.answer("concerns", {"concerns": ["cannabis", "<script>"]})
    assert_rejected(response, "Select one of the options shown.", db_path, "concerns-0")
    assert "<script>" not in response.get_data(as_text=True).split("</form>")[0].split("error-summary")[0]


def test_none_of_these_cannot_be_ticked_with_other_answers(on_concerns_page, db_path):
    response = on_concerns_page.answer("concerns", {"concerns": ["cannabis", "none"]})
    assert_rejected(response, "You cannot select “None of these” together with other answers.", db_path)


@pytest.mark.parametrize("data", [{"concerns": ["", "made_up_code"]}, {"concerns": ["", "none", "cannabis"]}])
def test_a_blank_first_value_does_not_let_other_codes_through(on_concerns_page, db_path, data):
    response = on_concerns_page.answer("concerns", data)
    assert response.status_code == 400
    assert "concerns" not in draft_answers(db_path)


def test_none_of_these_cannot_be_combined_with_text_typed_in_other(on_concerns_page, db_path):
    response = on_concerns_page.answer("concerns", {"concerns": ["none"], "concerns_other": "Needles in the park"})
    assert_rejected(response, "You cannot select “None of these” together with other answers.", db_path)


@pytest.mark.parametrize("value, message", [
    ("101", "Enter a number between 0 and 100."),
    ("-1", "Enter a number between 0 and 100."),
    ("twelve", "Enter a whole number, like 12."),
    ("1.5", "Enter a whole number, like 12."),
    ("9" * 40, "Enter a whole number, like 12."),
])
def test_number_out_of_bounds_or_not_a_number(on_about_you_page, db_path, value, message):
    response = on_about_you_page.answer("about_you", {"years_in_area": value})
    assert_rejected(response, message, db_path, "years_in_area")
    assert 'value="%s"' % value in response.get_data(as_text=True)  # what they typed is kept to correct


@pytest.mark.parametrize("value", ["SA31 1AA", "12AB", "SW1A1", "postcode", "S"])
def test_malformed_postcode(on_about_you_page, db_path, value):
    response = on_about_you_page.answer("about_you", {"postcode_district": value})
    assert_rejected(response, "Enter only the first part of a postcode, like SA31 or LD1.", db_path,
                    "postcode_district")


@pytest.mark.parametrize("value, stored", [("sa31", "SA31"), (" ld1 ", "LD1"), ("Sy23", "SY23")])
def test_postcode_is_tidied(on_about_you_page, db_path, value, stored):
    assert on_about_you_page.answer("about_you", {"postcode_district": value}).status_code == 303
    assert draft_answers(db_path)["postcode_district"] == stored


def test_text_over_the_length_limit(on_about_you_page, db_path):
    on_about_you_page.answer("about_role", {"respondent_group": "public"})
    response = on_about_you_page.answer("priorities", {"one_change": "x" * 2001})
    assert_rejected(response, "Your answer must be 2000 characters or fewer.", db_path, "one_change")


def test_invalid_email(respondent, db_path, survey):
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    for section in [s.id for s in survey.visible_sections({"respondent_group": "public",
                                                           "contact_consent": "yes"})][1:-1]:
        respondent.answer(section, {"contact_consent": "yes"} if section == "follow_up" else {})
    response = respondent.answer("contact", {"email": "not an email"})
    assert_rejected(response, "Enter an email address in the correct format", db_path, "email")


def test_post_to_a_page_out_of_order_saves_nothing(respondent, db_path, client):
    respondent.start()
    token = csrf_token(client.get(respondent.url("q/about_role")).get_data(as_text=True))
    response = client.post(respondent.url("q/police_response"),
                           data={"confident_tackling": "agree", "csrf_token": token})
    assert response.status_code == 303
    assert response.location.endswith("/q/about_role")
    assert "Please answer the earlier questions first" in client.get(response.location).get_data(as_text=True)
    assert draft_answers(db_path) == {}


def test_page_of_another_branch_is_not_found(respondent, client):
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    assert client.get("/en/drugs-review/q/police_experience").status_code == 404


def test_missing_consent(client, db_path):
    respondent = Respondent(client)
    response = respondent.post(respondent.url(), {})
    assert response.status_code == 400
    assert "Tick the box to say you agree" in response.get_data(as_text=True)


def test_question_page_without_starting_goes_to_the_start(client):
    response = client.get("/en/drugs-review/q/about_role")
    assert response.status_code == 303 and response.location == "/en/drugs-review/"


@pytest.mark.parametrize("lang, text", [("en", "This survey has closed"), ("cy", "Mae'r arolwg hwn wedi cau")])
def test_closed_survey_refuses_everything_with_410(client, clock, db_path, lang, text):
    respondent = Respondent(client, lang)
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    token = csrf_token(client.get(respondent.url("q/local_problem")).get_data(as_text=True))
    clock.now = dt.datetime(2027, 3, 1, 0, 0, 1, tzinfo=dt.timezone.utc)
    for response in (client.get(respondent.url()), client.get(respondent.url("q/local_problem")),
                     client.post(respondent.url("q/local_problem"),
                                 data={"dealing_problem": "minor", "csrf_token": token})):
        assert response.status_code == 410
        assert text in html.unescape(response.get_data(as_text=True))
    assert stored_responses(db_path) == []


def test_survey_not_yet_open(client, clock):
    clock.now = dt.datetime(2026, 10, 31, 23, 0, tzinfo=dt.timezone.utc)  # 23:59 on the last day before in Wales
    response = client.get("/en/drugs-review/")
    assert response.status_code == 403
    assert "This survey opens on 1 November 2026" in response.get_data(as_text=True)


def test_unknown_survey_is_404_in_the_language_of_the_url(client):
    welsh = client.get("/cy/no-such-survey/")
    assert welsh.status_code == 404 and '<html lang="cy">' in welsh.get_data(as_text=True)
    assert "Page not found" not in welsh.get_data(as_text=True)
    english = client.get("/en/no-such-survey/")
    assert english.status_code == 404 and "Page not found" in english.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/cy/drugs-review/nonsense", "/cy/drugs-review/q/about_role/extra", "/cy/a/b/c"])
def test_a_mistyped_welsh_address_is_404_in_welsh(client, path):
    response = client.get(path, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and '<html lang="cy">' in page
    assert "Page not found" not in page


def test_a_wrong_method_on_a_welsh_address_is_answered_in_welsh(client):
    response = client.put("/cy/drugs-review/", headers={"Accept-Language": "en"})
    assert response.status_code == 405 and '<html lang="cy">' in response.get_data(as_text=True)


def test_unknown_language_is_404_in_the_browsers_language(client):
    response = client.get("/fr/drugs-review/", headers={"Accept-Language": "cy"})
    assert response.status_code == 404
    assert '<html lang="cy">' in response.get_data(as_text=True)
    assert client.get("/de/drugs-review/").status_code == 404


def test_oversized_request_is_refused_cleanly(respondent, db_path):
    respondent.start()
    response = respondent.answer("about_role", {"respondent_group": "public", "padding": "x" * 400_000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert draft_answers(db_path) == {}
