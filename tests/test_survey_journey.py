"""A respondent's journey: consent, branching by group, both languages, Back, resume, completion."""
from __future__ import annotations

import html
import json
import re
import sqlite3

import pytest

from conftest import Respondent, stored_responses

COMMON = {
    "local_problem": {"dealing_problem": "very_big", "use_problem": "fairly_big", "problem_change": "worse"},
    "concerns": {"concerns": ["county_lines", "other"], "concerns_other": "Cuckooing of vulnerable tenants"},
    "police_response": {"confident_tackling": "disagree", "report_acted_on": "agree",
                        "police_visible": "strongly_disagree", "partners_work_together": "dont_know"},
    "support": {"aware_services": ["dan_247", "naloxone"], "know_where_help": "yes"},
    "priorities": {"partner_priorities": ["protect_young", "faster_treatment"],
                   "one_change": "More youth workers in the evenings."},
    "about_you": {"age_band": "35_44", "local_authority": "ceredigion", "postcode_district": "sy23",
                  "years_in_area": "12"},
    "follow_up": {"contact_consent": "no"},
}

GROUP_PAGES = {
    "public": ("public_experience", {"seen_dealing": "yes", "reporting_barriers": ["fear_reprisal"]}),
    "service_user": ("service_user_experience", {"services_used": ["community_team"],
                                                 "wait_for_support": "1_to_3_months"}),
    "provider": ("provider_experience", {"provider_sector": "housing", "referrals_work": "disagree"}),
    "police": ("police_experience", {"police_role": "pcso", "police_needs": "Better intelligence sharing"}),
    "other": ("public_experience", {"seen_dealing": "not_sure"}),
}
BRANCH_SECTIONS = {"public_experience", "service_user_experience", "provider_experience", "police_experience"}


def answers_for(group: str) -> dict:
    section, own = GROUP_PAGES[group]
    return {"about_role": {"respondent_group": group}, section: own, **COMMON}


@pytest.mark.parametrize("lang", ["en", "cy"])
@pytest.mark.parametrize("group", list(GROUP_PAGES))
def test_each_group_sees_its_own_section_and_is_stored_as_codes(client, db_path, lang, group):
    reference, pages = Respondent(client, lang).complete(answers_for(group))
    own_section = GROUP_PAGES[group][0]
    assert own_section in pages
    assert not (BRANCH_SECTIONS - {own_section}) & set(pages)
    assert pages[0] == "about_role" and pages[-1] == "follow_up"

    [row] = stored_responses(db_path)
    assert row["reference"] == reference
    assert row["language"] == lang
    assert row["respondent_group"] == group
    assert row["dealing_problem"] == "very_big"  # a code, whatever the language
    assert json.loads(row["concerns"]) == ["county_lines", "other"]
    assert row["concerns_other"] == "Cuckooing of vulnerable tenants"
    assert row["postcode_district"] == "SY23"
    assert row["years_in_area"] == 12
    assert row["survey_id"] == "drugs-review" and row["survey_version"] == 1


def test_welsh_pages_are_in_welsh_and_marked_so(client):
    respondent = Respondent(client, "cy")
    page = client.get(respondent.url()).get_data(as_text=True)
    assert '<html lang="cy">' in page
    assert "Dechrau nawr" in page
    assert 'hreflang="en"' in page and 'lang="en"' in page
    respondent.start()
    page = html.unescape(client.get(respondent.url("q/about_role")).get_data(as_text=True))
    assert "Pa un o'r rhain sy'n eich disgrifio orau?" in page
    assert "Which of these best describes you?" not in page


def test_english_page_links_to_same_page_in_welsh(client):
    respondent = Respondent(client, "en")
    respondent.start()
    page = client.get(respondent.url("q/about_role")).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert '<link rel="alternate" hreflang="cy" href="/cy/drugs-review/q/about_role">' in page
    # on a question page the toggle submits the page, so what was typed comes along
    assert re.search(r'<button type="submit" form="section-form" name="_leave" value="language" lang="cy"', page)
    switched = respondent.post(respondent.url("q/about_role"), {"_leave": "language"})
    assert switched.status_code == 303 and switched.location == "/cy/drugs-review/q/about_role"
    start = client.get(respondent.url()).get_data(as_text=True)
    assert re.search(r'href="/cy/drugs-review/" hreflang="cy" lang="cy"', start)


@pytest.mark.parametrize("leave, lands_on", [("language", "/cy/drugs-review/q/priorities"),
                                             ("back", "/en/drugs-review/q/support")])
def test_typed_answers_survive_a_language_switch_or_back_even_when_not_valid(client, db_path, leave, lands_on):
    respondent = Respondent(client, "en")
    location, answers = respondent.start(), answers_for("public")
    while not location.endswith("/priorities"):
        location = respondent.post(location, answers.get(location.rsplit("/", 1)[-1], {})).location
    typed = {"partner_priorities": ["faster_treatment"], "one_change": "More youth workers in Aberystwyth",
             "partner_priorities_other": "x" * 5000}
    response = respondent.post(respondent.url("q/priorities"), {**typed, "_leave": leave})
    assert response.status_code == 303 and response.location == lands_on
    assert stored_responses(db_path) == []
    page = html.unescape(client.get(f"/{'cy' if leave == 'language' else 'en'}/drugs-review/q/priorities")
                         .get_data(as_text=True))
    assert "More youth workers in Aberystwyth" in page and re.search(r'value="faster_treatment"\s+checked', page)
    assert "x" * 5000 in page  # too long to save, but theirs to shorten
    held = json.loads(sqlite3.connect(db_path).execute("select answers from drafts").fetchone()[0])
    assert "one_change" not in held  # shown again, but not an answer until the page is saved


def test_saving_the_page_replaces_what_was_typed(client, db_path):
    respondent = Respondent(client, "en")
    respondent.start()
    respondent.post(respondent.url("q/about_role"), {"respondent_group": "police", "_leave": "language"})
    respondent.answer("about_role", {"respondent_group": "public"})
    [typed] = sqlite3.connect(db_path).execute("select typed from drafts").fetchone()
    assert typed is None
    page = client.get(respondent.url("q/about_role")).get_data(as_text=True)
    assert re.search(r'value="public"\s+checked', page) and not re.search(r'value="police"\s+checked', page)


def test_language_switch_keeps_answers(client, db_path):
    english = Respondent(client, "en")
    english.start()
    english.answer("about_role", {"respondent_group": "police"})
    english.answer("local_problem", {"dealing_problem": "minor"})
    # the toggle is a link to the same page in Welsh; the answers are held on the server
    welsh_page = client.get("/cy/drugs-review/q/local_problem").get_data(as_text=True)
    assert re.search(r'value="minor"\s+checked', welsh_page)
    welsh = Respondent(client, "cy")
    reference, pages = welsh.complete({})  # carries on from where the English pages stopped
    [row] = stored_responses(db_path)
    assert row["respondent_group"] == "police" and row["dealing_problem"] == "minor"
    assert row["language"] == "cy"  # the language they finished in
    assert pages[0] == "concerns"


def test_back_link_leads_to_previous_page_with_answers_kept(client):
    respondent = Respondent(client)
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "provider"})
    respondent.answer("local_problem", {"use_problem": "very_big"})
    page = client.get(respondent.url("q/concerns")).get_data(as_text=True)
    assert 'name="_leave" value="back" class="back-link' in page
    back = respondent.post(respondent.url("q/concerns"), {"_leave": "back"})
    assert back.location == "/en/drugs-review/q/local_problem"
    back = client.get(back.location).get_data(as_text=True)
    assert re.search(r'value="very_big"\s+checked', back)


def test_changing_group_drops_the_old_branch(client, db_path):
    respondent = Respondent(client)
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "police"})
    for section, data in COMMON.items():
        if section in ("local_problem", "concerns"):
            respondent.answer(section, data)
    respondent.answer("police_experience", {"police_role": "officer"})
    # goes Back and says they are a member of the public instead
    respondent.answer("about_role", {"respondent_group": "public"})
    reference, pages = respondent.complete({})
    [row] = stored_responses(db_path)
    assert row["respondent_group"] == "public"
    assert row["police_role"] is None


def test_progress_shows_page_number_of_total(client):
    respondent = Respondent(client)
    respondent.start()
    page = client.get(respondent.url("q/about_role")).get_data(as_text=True)
    assert re.search(r"Page 1 of \d+", page)


def test_resume_on_the_same_device(client):
    respondent = Respondent(client)
    respondent.start()
    respondent.answer("about_role", {"respondent_group": "public"})
    start = client.get(respondent.url()).get_data(as_text=True)
    assert "already started this survey" in start
    response = respondent.post(respondent.url(), {"consent": "y"})
    assert response.location.endswith("/q/local_problem")


def test_follow_up_email_is_asked_only_with_consent_and_kept_apart(client, db_path, db):
    reference, pages = Respondent(client).complete({
        **answers_for("public"), "follow_up": {"contact_consent": "yes"},
        "contact": {"email": "resident@example.org"}})
    assert pages[-1] == "contact"
    [row] = stored_responses(db_path)
    assert "email" not in row
    assert "resident@example.org" not in json.dumps(row)
    [personal] = list(db["personal_data"].rows)
    assert personal["response_id"] == row["id"] and personal["email"] == "resident@example.org"


def test_confirmation_shows_reference_in_welsh(client):
    reference, _ = Respondent(client, "cy").complete(answers_for("service_user"))
    page = client.get("/cy/drugs-review/complete").get_data(as_text=True)
    assert reference in page and '<html lang="cy">' in page
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", reference)


@pytest.mark.parametrize("lang, words", [("en", ("Email:", "Phone:", "PO Box 99")),
                                         ("cy", ("E-bost:", "Ffôn:", "Blwch Post 99"))])
def test_confirmation_says_whom_to_contact_to_have_answers_deleted(client, lang, words):
    Respondent(client, lang).complete(answers_for("public"))
    page = client.get(f"/{lang}/drugs-review/complete").get_data(as_text=True)
    assert 'href="mailto:opcc@dyfed-powys.police.uk"' in page and 'href="tel:01267226440"' in page
    assert all(word in page for word in words)


@pytest.mark.parametrize("lang, words", [
    ("en", ("Reporting a problem", "Email:", "Enforcement procedure", "prepared on 29 November 2026")),
    ("cy", ("E-bost:", "Gweithdrefn orfodi", "Paratowyd y datganiad hwn ar 29 Tachwedd 2026"))])
def test_accessibility_statement_gives_a_contact_the_enforcement_body_and_its_date(client, lang, words):
    page = client.get(f"/{lang}/accessibility").get_data(as_text=True)
    assert 'href="mailto:opcc@dyfed-powys.police.uk"' in page
    assert all(word in page for word in words)


def test_finished_respondent_is_not_asked_again_and_can_hand_over_the_device(client, db_path):
    respondent = Respondent(client)
    respondent.complete(answers_for("public"))
    page = client.get(respondent.url("q/about_role"))
    assert page.status_code == 303 and page.location.endswith("/complete")
    respondent.post(respondent.url("complete"), {})  # harmless GET-only page
    restart = respondent.client.post(
        respondent.url("restart"),
        data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"',
                                      client.get(respondent.url("complete")).get_data(as_text=True)).group(1)})
    assert restart.status_code == 303
    Respondent(client).complete(answers_for("police"))
    assert len(stored_responses(db_path)) == 2


def test_root_redirects_by_browser_language(client):
    assert client.get("/", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.8"}).location == "/cy/"
    assert client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).location == "/en/"
    assert client.get("/", headers={"Accept-Language": "fr"}).location == "/en/"
    assert client.get("/", headers={"Accept-Language": "en-GB,cy;q=0.9"}).location == "/en/"
    assert client.get("/", headers={"Accept-Language": "cy,en-GB;q=0.9"}).location == "/cy/"
    assert client.get("/", headers={"Accept-Language": "fr,cy-GB;q=0.5"}).location == "/cy/"
    assert client.get("/").location == "/en/"


def test_every_page_has_quick_exit_and_helpline(client):
    respondent = Respondent(client)
    for url in ("/en/", respondent.url(), "/en/nope/"):
        page = client.get(url).get_data(as_text=True)
        assert "Leave this page quickly" in page
        assert "0808 808 2234" in page
