"""WCAG 2.2 AA in a real browser: axe-core on every page type in both languages at 320 px and at
desktop width, plus the checks axe cannot make (labels, focus order in both languages, 320 px width,
text at 200% on plain, checkbox and error pages)."""
from __future__ import annotations

import datetime as dt

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from browser_support import DESKTOP, PHONE, horizontal_overflow, open_page, require_chromium
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


def audit_both_widths(page, name: str) -> list[str]:
    """The audit at 320 px, then again at desktop width on the same page (no new request)."""
    problems = audit(page, f"{name} at 320px")
    page.set_viewport_size(DESKTOP)
    try:
        problems.extend(audit(page, f"{name} at {DESKTOP['width']}px"))
    finally:
        page.set_viewport_size(PHONE)
    return problems


def make_link(app, survey_slug="drugs-review", expires_on=None):
    db = storage.connect(app.config["SURVEY_DATABASE"])
    survey = app.extensions["surveys"][survey_slug]
    return links.create_link(db, survey, "Dyfed Drug and Alcohol Service", "poster",
                             app.config["CLOCK"](), expires_on=expires_on)


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_type_passes_axe_at_phone_and_desktop_width(page, live_server, app, lang):
    """Every page at 320 px; at 1280 px each page type once (every template and state), not each of
    the eleven question pages again: they share one template, and auditing all of them twice would
    nearly double the suite's slowest test."""
    base = f"{live_server.url}/{lang}"
    problems = []

    def visit(url, name):
        page.goto(url)
        problems.extend(audit_both_widths(page, name))

    visit(f"{base}/", "survey list")
    visit(f"{base}/accessibility", "accessibility statement")
    visit(f"{base}/no-such-survey/", "not found")
    visit(f"{base}/drugs-review/", "start")
    page.click(SUBMIT)
    problems.extend(audit_both_widths(page, "start with error"))
    page.check("#consent")
    page.click(SUBMIT)
    page.click(SUBMIT)
    problems.extend(audit_both_widths(page, "question page with error"))
    page.check("#respondent_group-0")
    page.click(SUBMIT)
    # one of each kind of question page at desktop width: radios, checkboxes with "other", text boxes
    desktop_too = {"local_problem", "concerns", "priorities", "about_you", "contact"}
    for _ in range(15):  # every page of the public branch, then the email page
        page.wait_for_load_state()
        if "/complete" in page.url:
            break
        section = page.url.rsplit("/", 1)[-1].split("#")[0]
        check = audit_both_widths if section in desktop_too else audit
        problems.extend(check(page, f"page {section}"))
        if section == "about_you":
            page.fill("#years_in_area", "two hundred")
            page.click(SUBMIT)
            problems.extend(audit_both_widths(page, "about_you with error"))
            page.fill("#years_in_area", "")
        if section == "follow_up":
            page.check("#contact_consent-0")
        if section == "contact":
            page.fill("#email", "resident@example.org")
        page.click(SUBMIT)
    problems.extend(audit_both_widths(page, "confirmation"))

    new_link = make_link(app)
    visit(f"{live_server.url}/{lang}/manage/{new_link.manage_token}", "provider page")
    visit(f"{live_server.url}/{lang}/manage/{new_link.manage_token}/poster", "poster")
    visit(f"{live_server.url}/{lang}/l/unknown0token", "notice for an unusable link")
    assert problems == []


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("moment, status", [(dt.datetime(2026, 10, 1, tzinfo=dt.timezone.utc), 403),
                                            (dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc), 410)],
                         ids=["not-yet-open", "closed"])
def test_not_yet_open_and_closed_pages_pass_axe(page, live_server, clock, lang, moment, status):
    clock.now = moment
    response = page.goto(f"{live_server.url}/{lang}/drugs-review/")
    assert response.status == status
    assert audit_both_widths(page, f"survey {status}") == []


# What a reader of the page needs to see: each heading, label, hint, error and control.
READABLE = ("h1, h2, label, legend, input, textarea, button, .hint, .field-error, .error-summary a, "
            ".back-link, .language-toggle a, .quick-exit, .choices-divider")

LAYOUT_PROBLEMS = """(selector) => {
    const width = document.documentElement.clientWidth;
    const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
        + ' "' + (el.innerText || '').trim().slice(0, 40) + '"';
    const shown = Array.from(document.querySelectorAll(selector)).filter(el =>
        el.type !== 'hidden' && !el.closest('.visually-hidden, [aria-hidden="true"]'));
    const boxes = shown.map(el => [el, el.getBoundingClientRect()]);
    const problems = [];
    for (const [el, r] of boxes) {
        const style = getComputedStyle(el);
        if (r.width < 1 || r.height < 1 || style.visibility === 'hidden') {
            problems.push(name(el) + ' is not shown');
        } else if (r.left < -0.5 || r.right > width + 0.5) {
            problems.push(`${name(el)} runs outside the window (${Math.round(r.left)} to ${Math.round(r.right)} of ${width}px)`);
        } else if (!['inline', 'contents'].includes(style.display) && !['INPUT', 'TEXTAREA'].includes(el.tagName)
                   && el.scrollWidth > el.clientWidth + 1) {
            problems.push(`${name(el)} has text spilling out of its box (${el.scrollWidth} > ${el.clientWidth}px)`);
        }
    }
    for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
            const [a, ra] = boxes[i], [b, rb] = boxes[j];
            if (a.contains(b) || b.contains(a)) continue;
            const across = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
            const down = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
            if (across > 1 && down > 1) problems.push(name(a) + ' overlaps ' + name(b));
        }
    }
    return problems;
}"""

# Boxes that hide what does not fit, and something does not fit (text boxes scroll by design).
CLIPPED = """() => Array.from(document.querySelectorAll('main *, header *, footer *'))
    .filter(el => el.offsetParent !== null && !el.closest('.visually-hidden')
                  && !['INPUT', 'TEXTAREA'].includes(el.tagName))
    .filter(el => { const style = getComputedStyle(el);
        return (['hidden', 'clip'].includes(style.overflowX) && el.scrollWidth > el.clientWidth + 1)
            || (['hidden', 'clip'].includes(style.overflowY) && el.scrollHeight > el.clientHeight + 1); })
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : ''))"""


def problems_at_200_percent(page, name: str) -> list[str]:
    """Double the text size as a reader would in the browser's settings, then look for loss."""
    heading_size = "parseFloat(getComputedStyle(document.querySelector('h1')).fontSize)"
    before = page.evaluate(heading_size)
    page.add_style_tag(content="html { font-size: 200% !important; }")
    # the page's sizes are in rem: if this stops doubling the text, the test is no longer testing
    assert page.evaluate(heading_size) == pytest.approx(2 * before), f"{name}: text did not grow"
    problems = [f"{name}: {problem}" for problem in page.evaluate(LAYOUT_PROBLEMS, READABLE)]
    overflow = horizontal_overflow(page)
    if overflow > 0:
        problems.append(f"{name}: {overflow}px of sideways scrolling")
    problems.extend(f"{name}: {element} clips its text" for element in page.evaluate(CLIPPED))
    if not page.locator(SUBMIT).is_visible():
        problems.append(f"{name}: the button is not shown")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_text_at_200_percent_loses_nothing(browser, live_server, lang):
    """WCAG 1.4.4: with the text twice the size, nothing is cut off, overlaps or scrolls sideways,
    on the start page, a question page, the long checkbox page and that page showing an error."""
    page = open_page(browser, viewport=DESKTOP, bypass_csp=True)
    problems = []
    try:
        page.goto(f"{live_server.url}/{lang}/drugs-review/")
        problems.extend(problems_at_200_percent(page, "start"))
        page.check("#consent")
        page.click(SUBMIT)
        page.wait_for_url("**/q/about_role*")
        problems.extend(problems_at_200_percent(page, "about_role"))
        page.check("#respondent_group-0")
        page.click(SUBMIT)
        page.click(SUBMIT)
        page.wait_for_url("**/q/concerns*")
        page.wait_for_load_state()
        problems.extend(problems_at_200_percent(page, "concerns"))
        page.check("#concerns-0")
        page.check("#concerns-10")  # "none of these" with another answer: an error
        page.click(SUBMIT)
        expect(page.locator("#error-summary")).to_be_visible()
        problems.extend(problems_at_200_percent(page, "concerns with error"))
    finally:
        page.context.close()
    assert problems == []


FOCUSED = """() => { const el = document.activeElement;
    if (!el || el === document.body) return null;
    const r = el.getBoundingClientRect();
    return {top: r.top + window.scrollY, bottom: r.bottom + window.scrollY, left: r.left, right: r.right,
            id: el.id, what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (el.className ? '.' + el.className.split(' ').join('.') : '')}; }"""


def tab_stops(page, limit: int = 60) -> list[dict]:
    """Where focus lands, Tab after Tab from the top of a freshly loaded page, until it leaves the page."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        box = page.evaluate(FOCUSED)
        if box is None or (stops and box["what"] == stops[0]["what"]):
            break
        stops.append(box)
    return stops


def out_of_reading_order(stops: list[dict]) -> list[str]:
    """Each stop must be below the one before, or beside it on the same line and to its right."""
    problems = []
    for earlier, later in zip(stops, stops[1:]):
        below = later["top"] >= earlier["bottom"] - 3
        same_line = min(earlier["bottom"], later["bottom"]) > max(earlier["top"], later["top"])
        if not (below or (same_line and later["left"] >= earlier["right"] - 3)):
            problems.append(f"{later['what']} at ({later['left']:.0f}, {later['top']:.0f}) comes after "
                            f"{earlier['what']} at ({earlier['left']:.0f}, {earlier['top']:.0f})")
    return problems


@pytest.mark.parametrize("lang", LANGS)
def test_focus_order_follows_the_visual_order(page, live_server, lang):
    """WCAG 2.4.3 on a page of radio groups and on the long checkbox page with its "other" box."""
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/{lang}/drugs-review/")
    page.check("#consent")
    page.click(SUBMIT)
    page.check("#respondent_group-0")
    page.click(SUBMIT)
    page.wait_for_url("**/q/local_problem*")
    page.wait_for_load_state()
    stops = tab_stops(page)
    whats = [stop["what"] for stop in stops]
    assert out_of_reading_order(stops) == []
    # from the skip link to the footer: header, quick exit, Back, each radio group once, the button
    assert whats[0].endswith(".skip-link") and "quick-exit" in whats[2] and "back-link" in whats[3], whats
    assert [stop["id"] for stop in stops if stop["what"].startswith("input")] == [
        "dealing_problem-0", "use_problem-0", "problem_change-0"]
    assert whats[-2].startswith("button") and whats[-1].startswith("a"), whats  # last: the footer link

    page.click(SUBMIT)
    page.wait_for_url("**/q/concerns*")
    page.wait_for_load_state()
    stops = tab_stops(page)
    assert out_of_reading_order(stops) == []
    # every checkbox in turn, with the "please say" box straight after "something else"
    assert [stop["id"] for stop in stops if stop["what"].startswith("input")] == (
        [f"concerns-{n}" for n in range(10)] + ["concerns_other", "concerns-10"])


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
