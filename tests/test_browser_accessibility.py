"""WCAG 2.2 AA in a real browser: axe-core on every page type in both languages, plus the checks
axe cannot make (labels, focus order, 320 px width, text at 200%)."""
from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe

from browser_support import DESKTOP, horizontal_overflow, open_page, require_chromium
from survey_app import links, storage

require_chromium()

LANGS = ["cy", "en"]
SUBMIT = "main form[method=post] button[type=submit]"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE = Axe()

UNLABELLED_INPUTS = """() => Array.from(document.querySelectorAll('input, textarea, select'))
    .filter(el => el.type !== 'hidden' && el.getAttribute('aria-hidden') !== 'true'
                  && !el.closest('[aria-hidden="true"]'))
    .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
    .map(el => el.name || el.id)"""


def audit(page, name: str) -> list[str]:
    """Everything a respondent with assistive technology or a small screen would trip over."""
    problems = []
    # axe measures targets as drawn in the window; a focused error summary scrolls the
    # page, leaving the header link half off-screen, which is not a real small target.
    page.evaluate("window.scrollTo(0, 0)")
    results = AXE.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    for violation in results.response["violations"]:
        targets = [", ".join(node["target"]) for node in violation["nodes"]][:3]
        problems.append(f"{name}: axe {violation['id']} ({violation['impact']}): {violation['help']} at {targets}")
    for field in page.evaluate(UNLABELLED_INPUTS):
        problems.append(f"{name}: input {field!r} has no label")
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{name}: {overflow}px of sideways scrolling at {page.viewport_size['width']}px wide")
    return problems


def make_link(app, survey_slug="drugs-review", expires_on=None):
    db = storage.connect(app.config["SURVEY_DATABASE"])
    survey = app.extensions["surveys"][survey_slug]
    return links.create_link(db, survey, "Dyfed Drug and Alcohol Service", "poster",
                             app.config["CLOCK"](), expires_on=expires_on)


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_type_passes_axe_at_phone_width(page, live_server, app, lang):
    base = f"{live_server.url}/{lang}"
    problems = []

    def visit(url, name):
        page.goto(url)
        problems.extend(audit(page, name))

    visit(f"{base}/", "survey list")
    visit(f"{base}/accessibility", "accessibility statement")
    visit(f"{base}/no-such-survey/", "not found")
    visit(f"{base}/drugs-review/", "start")
    page.click(SUBMIT)
    problems.extend(audit(page, "start with error"))
    page.check("#consent")
    page.click(SUBMIT)
    page.click(SUBMIT)
    problems.extend(audit(page, "question page with error"))
    page.check("#respondent_group-0")
    page.click(SUBMIT)
    for _ in range(15):  # every page of the public branch, then the email page
        page.wait_for_load_state()
        if "/complete" in page.url:
            break
        section = page.url.rsplit("/", 1)[-1].split("#")[0]
        problems.extend(audit(page, f"page {section}"))
        if section == "about_you":
            page.fill("#years_in_area", "two hundred")
            page.click(SUBMIT)
            problems.extend(audit(page, "about_you with error"))
            page.fill("#years_in_area", "")
        if section == "follow_up":
            page.check("#contact_consent-0")
        if section == "contact":
            page.fill("#email", "resident@example.org")
        page.click(SUBMIT)
    problems.extend(audit(page, "confirmation"))

    new_link = make_link(app)
    visit(f"{live_server.url}/{lang}/manage/{new_link.manage_token}", "provider page")
    visit(f"{live_server.url}/{lang}/manage/{new_link.manage_token}/poster", "poster")
    visit(f"{live_server.url}/{lang}/l/unknown0token", "notice for an unusable link")
    assert problems == []


@pytest.mark.parametrize("lang", LANGS)
def test_closed_page_passes_axe(page, live_server, clock, lang):
    clock.now = dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)
    page.goto(f"{live_server.url}/{lang}/drugs-review/")
    assert audit(page, "closed") == []


@pytest.mark.parametrize("lang", LANGS)
def test_text_at_200_percent_loses_nothing(browser, live_server, lang):
    """WCAG 1.4.4: with the text twice the size, nothing is cut off and nothing scrolls sideways."""
    page = open_page(browser, viewport=DESKTOP, bypass_csp=True)
    try:
        page.goto(f"{live_server.url}/{lang}/drugs-review/")
        page.check("#consent")
        page.click(SUBMIT)
        for path in ("q/about_role", ""):
            page.goto(f"{live_server.url}/{lang}/drugs-review/{path}")
            page.add_style_tag(content="html { font-size: 200% !important; }")
            assert horizontal_overflow(page) == 0
            clipped = page.evaluate("""() => Array.from(document.querySelectorAll('main *, header *, footer *'))
                .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden')
                              && el.scrollWidth > el.clientWidth + 1
                              && getComputedStyle(el).overflowX === 'hidden').length""")
            assert clipped == 0
            assert page.locator(SUBMIT).is_visible()
    finally:
        page.context.close()


def test_focus_order_follows_the_visual_order(page, live_server):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/en/drugs-review/")
    page.check("#consent")
    page.click(SUBMIT)
    page.check("#respondent_group-0")
    page.click(SUBMIT)
    page.wait_for_url("**/q/local_problem*")
    page.wait_for_load_state()
    positions = []
    for _ in range(60):
        page.keyboard.press("Tab")
        box = page.evaluate("""() => { const el = document.activeElement;
            if (!el || el === document.body) return null;
            const r = el.getBoundingClientRect(); return [r.top + window.scrollY, r.left, el.tagName, el.id]; }""")
        if box is None or (positions and box[3] and box[3] == positions[0][3]):
            break
        positions.append(box)
    tops = [round(top) for top, left, tag, element_id in positions]
    assert len(positions) >= 8  # skip link, language, quick exit, Back, three questions, button
    # the focus never jumps back up the page (same-row items may sit side by side)
    assert all(later >= earlier - 5 for earlier, later in zip(tops, tops[1:])), positions


@pytest.mark.parametrize("lang, other", [("en", "cy"), ("cy", "en")])
def test_service_user_from_a_provider_link_switches_language_and_goes_back(page, live_server, app, db_path,
                                                                          lang, other):
    new_link = make_link(app)
    page.goto(f"{live_server.url}/{lang}/l/{new_link.link.token}")
    page.check("#consent")
    page.click(SUBMIT)
    page.check("#respondent_group-1")  # uses or has used drug or alcohol services
    page.click(SUBMIT)
    page.check("#dealing_problem-2")
    page.click(SUBMIT)
    # half-way, tick an answer and switch language with the toggle before saving the page
    page.check("#concerns-0")
    page.click(f".language-toggle [lang={other}]")
    assert page.locator("html").get_attribute("lang") == other
    assert "/concerns" in page.url
    assert page.locator("#concerns-0").is_checked()  # what was ticked came along
    page.uncheck("#concerns-0")
    page.click(".back-link")
    assert page.locator("#dealing_problem-2").is_checked()  # answers intact after switching and going Back
    page.click(SUBMIT)
    page.click(SUBMIT)
    assert "/service_user_experience" in page.url
    page.check("#services_used-0")
    page.click(SUBMIT)
    for _ in range(15):
        if "/complete" in page.url:
            break
        page.click(SUBMIT)
        page.wait_for_load_state()
    reference = page.locator(".reference").inner_text()
    [row] = storage.connect(db_path).query("select * from responses")
    assert row["reference"] == reference
    assert row["link_token"] == new_link.link.token
    assert row["respondent_group"] == "service_user" and row["dealing_problem"] == "fairly_big"
    assert row["services_used"] == '["community_team"]'
    assert row["language"] == other
