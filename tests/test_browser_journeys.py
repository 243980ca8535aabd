"""Respondents' journeys in a real browser, each in Welsh and in English."""
from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from browser_support import NEUTRAL_SITE, open_page, require_chromium
from conftest import stored_responses

require_chromium()

LANGS = ["cy", "en"]
SUBMIT = "main form[method=post] button[type=submit]"


def start(page, server, lang):
    page.goto(f"{server.url}/{lang}/drugs-review/")
    page.check("#consent")
    page.click(SUBMIT)
    page.wait_for_url("**/q/about_role*")


def continue_to(page, section_id: str) -> None:
    """Press the page's button, answering nothing, until the named page is showing."""
    for _ in range(20):
        if f"/q/{section_id}" in page.url:
            return
        page.click(SUBMIT)
        page.wait_for_load_state()
    raise AssertionError(f"never reached {section_id}; stopped at {page.url}")


def continue_to_end(page):
    """Press the page's button until the confirmation page, answering nothing more."""
    for _ in range(20):
        if "/complete" in page.url:
            break
        page.click(SUBMIT)
        page.wait_for_load_state()
    return page.locator(".reference").inner_text()


@pytest.mark.parametrize("lang", LANGS)
def test_member_of_the_public_completes_the_survey(page, live_server, db_path, lang):
    page.goto(f"{live_server.url}/")
    page.click("a[href*='/drugs-review/']")
    assert page.locator("html").get_attribute("lang") in LANGS
    page.goto(f"{live_server.url}/{lang}/drugs-review/")
    page.check("#consent")
    page.click(SUBMIT)
    page.check("#respondent_group-0")
    page.click(SUBMIT)
    page.check("#dealing_problem-3")
    page.click(SUBMIT)
    page.check("#concerns-0")
    page.fill("#concerns_other", "Pobl ifanc yn cael eu defnyddio" if lang == "cy" else "Young people being used")
    page.click(SUBMIT)
    continue_to(page, "about_you")
    # the short-text question holds 80 characters: typing stops there, and what shows is what is kept
    town = "Llanfihangel-ar-Arth, ger Pencader, " if lang == "cy" else "Builth Wells, near Llanfair-ym-Muallt, "
    page.locator("#nearest_town").press_sequentially(town * 3)
    assert len(page.input_value("#nearest_town")) == 80
    shown = page.input_value("#nearest_town")
    page.click(SUBMIT)
    page.wait_for_url("**/q/follow_up*")
    reference = continue_to_end(page)

    assert page.locator("html").get_attribute("lang") == lang
    [row] = stored_responses(db_path)
    assert row["reference"] == reference and row["language"] == lang
    assert row["respondent_group"] == "public" and row["dealing_problem"] == "very_big"
    assert '"county_lines"' in row["concerns"] and '"other"' in row["concerns"]
    assert row["nearest_town"] == shown == (town * 3)[:80]


@pytest.mark.parametrize("lang", LANGS)
def test_error_summary_takes_the_respondent_to_the_field(page, live_server, db_path, lang):
    start(page, live_server, lang)
    page.click(SUBMIT)  # nothing chosen on a required question
    # The page's CSP forbids eval, so wait with a locator assertion, not wait_for_function.
    expect(page.locator("#error-summary")).to_be_focused()
    summary_link = page.locator(".error-summary a").first
    summary_link.click()
    assert page.evaluate("document.activeElement.id") == "respondent_group-0"
    page.keyboard.press("Space")
    page.click(SUBMIT)
    page.wait_for_url("**/q/local_problem*")
    continue_to_end(page)
    assert len(stored_responses(db_path)) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_leave_this_page_quickly(page, live_server, lang):
    page.goto(f"{live_server.url}/{lang}/")
    start(page, live_server, lang)
    page.click(".quick-exit")
    page.wait_for_url(f"{NEUTRAL_SITE}**")
    page.go_back()
    # the survey page was replaced in the history, so Back does not reveal it
    assert "/q/" not in page.url


@pytest.mark.parametrize("lang", LANGS)
def test_escape_three_times_leaves_quickly(page, live_server, lang):
    start(page, live_server, lang)
    for _ in range(3):
        page.keyboard.press("Escape")
    page.wait_for_url(f"{NEUTRAL_SITE}**")


@pytest.mark.parametrize("lang", LANGS)
def test_arriving_after_the_closing_date(page, live_server, clock, lang):
    clock.now = dt.datetime(2027, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    response = page.goto(f"{live_server.url}/{lang}/drugs-review/")
    assert response.status == 410
    assert page.locator("#consent").count() == 0
    assert page.locator("h1").inner_text() == ("Mae'r arolwg hwn wedi cau" if lang == "cy" else "This survey has closed")


@pytest.mark.parametrize("lang", LANGS)
def test_whole_journey_with_the_keyboard_alone(page, live_server, db_path, lang):
    """Tab, Space, the arrow keys and typing: a radio choice, ticked boxes and text, all kept."""
    page.goto(f"{live_server.url}/{lang}/drugs-review/")
    focus_on(page, "#consent")
    page.keyboard.press("Space")
    press_button(page)
    page.wait_for_url("**/q/about_role*")
    focus_on(page, "#respondent_group-0")
    page.keyboard.press("ArrowDown")  # moves the choice to the second option, as in any radio group
    press_button(page)
    page.wait_for_url("**/q/local_problem*")
    focus_on(page, "#dealing_problem-0")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # the third point of the scale
    press_button(page)
    page.wait_for_url("**/q/concerns*")
    focus_on(page, "#concerns-1")
    page.keyboard.press("Space")
    focus_on(page, "#concerns-9")  # "something else", then the box to say what
    page.keyboard.press("Space")
    focus_on(page, "#concerns_other")
    concern = "Cyffuriau ger yr ysgol" if lang == "cy" else "Drugs near the school"
    page.keyboard.type(concern)
    press_button(page)
    page.wait_for_url("**/q/service_user_experience*")
    focus_on(page, "#services_used-2")
    page.keyboard.press("Space")
    for _ in range(10):
        if "/q/about_you" in page.url:
            break
        press_button(page)
    focus_on(page, "#nearest_town")
    town = "Tŷ-croes" if lang == "cy" else "Llandrindod Wells"
    page.keyboard.type(town)
    for _ in range(5):
        if "/complete" in page.url:
            break
        press_button(page)
    assert page.locator(".reference").is_visible()
    [row] = stored_responses(db_path)
    assert row["language"] == lang
    assert row["respondent_group"] == "service_user" and row["dealing_problem"] == "fairly_big"
    assert row["concerns"] == '["open_dealing", "other"]' and row["concerns_other"] == concern
    assert row["services_used"] == '["gp"]'
    assert row["nearest_town"] == town


def press_button(page) -> None:
    """Tab to the page's button and press Enter, waiting for the next page to arrive."""
    focus_on(page, SUBMIT)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def focus_on(page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching selector has focus, as a keyboard user would."""
    target = page.locator(selector).first.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(el) => document.activeElement === el", target):
            return
    raise AssertionError(f"{selector} never received focus from the keyboard")


@pytest.mark.parametrize("lang", LANGS)
def test_journey_without_javascript(browser, live_server, db_path, lang):
    page = open_page(browser, javascript=False)
    try:
        start(page, live_server, lang)
        page.check("#respondent_group-3")
        page.click(SUBMIT)
        page.click(SUBMIT)
        page.check("#concerns-10")  # "none of these"
        page.check("#concerns-0")
        page.click(SUBMIT)
        assert page.locator(".error-summary").is_visible()  # caught on the server, no script needed
        page.uncheck("#concerns-0")
        page.click(SUBMIT)
        continue_to_end(page)
    finally:
        page.context.close()
    [row] = stored_responses(db_path)
    assert row["respondent_group"] == "police" and row["concerns"] == '["none"]'
