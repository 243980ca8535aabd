"""Screenshots of each page in both languages at phone and desktop widths, for people to review.

Not part of `make test` (it asserts nothing a user would notice); run `make screenshots`
and look in var/screenshots/. Files are named language-width-order-page, for example
`cy-phone-05-public_experience.png`, so one language at one width sorts into the order a
respondent meets the pages. Every respondent group's own section is there, as are the
error states, the pages outside the survey's dates, the 404 page, the notice for a link that
has been turned off, and a provider's page and poster.
"""
from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from browser_support import DESKTOP, open_page, require_chromium
from survey_app import links, storage

require_chromium()

pytestmark = pytest.mark.screenshots
OUT = Path(__file__).resolve().parent.parent / "var" / "screenshots"
SUBMIT = "main form[method=post] button[type=submit]"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": DESKTOP}
# The respondent groups with a section of their own (the public's is on the main walk-through),
# by their place in the first question's list of options.
OTHER_GROUPS = {"service_user": 1, "provider": 2, "police": 3}
NOT_YET_OPEN = dt.datetime(2026, 10, 1, 9, 0, tzinfo=dt.timezone.utc)
CLOSED = dt.datetime(2027, 6, 1, 9, 0, tzinfo=dt.timezone.utc)


def section_of(page) -> str:
    return page.url.rsplit("/", 1)[-1].split("#")[0]


def next_page(page) -> None:
    with page.expect_navigation():
        page.click(SUBMIT)


@pytest.mark.parametrize("lang", ["cy", "en"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshots(browser, live_server, app, clock, lang, width):
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob(f"{lang}-{width}-*.png"):  # pages that are gone leave no stale pictures
        old.unlink()
    page = open_page(browser, viewport=WIDTHS[width])
    order = itertools.count(1)

    def shot(name):
        page.screenshot(path=str(OUT / f"{lang}-{width}-{next(order):02d}-{name}.png"), full_page=True)

    db = storage.connect(app.config["SURVEY_DATABASE"])
    survey = app.extensions["surveys"]["drugs-review"]
    active = links.create_link(db, survey, "Ceredigion Youth Service", "poster", clock())
    turned_off = links.create_link(db, survey, "Powys Housing Support", "drop-in", clock())
    links.disable_link(db, turned_off.link.token, clock())
    base = f"{live_server.url}/{lang}"
    try:
        page.goto(f"{base}/")
        shot("survey-list")
        # the public's walk-through, arriving by a provider's link so its page has a response to count
        page.goto(f"{base}/l/{active.link.token}")
        shot("start")
        next_page(page)
        shot("start-error")
        page.check("#consent")
        next_page(page)
        next_page(page)
        shot("about_role-error")
        page.check("#respondent_group-0")
        next_page(page)
        for _ in range(20):
            if "/complete" in page.url:
                break
            section = section_of(page)
            shot(section)
            if section == "about_you":
                page.fill("#years_in_area", "two hundred")
                next_page(page)
                shot("about_you-error")
                page.fill("#years_in_area", "")
            if section == "follow_up":
                page.check("#contact_consent-0")  # yes, so the email page follows
            if section == "contact":
                page.fill("#email", "resident@example.org")
            next_page(page)
        shot("confirmation")

        # each other group's own section, each as a new respondent on a fresh device
        for group, option in OTHER_GROUPS.items():
            page.context.clear_cookies()
            page.goto(f"{base}/drugs-review/")
            page.check("#consent")
            next_page(page)
            page.check(f"#respondent_group-{option}")
            next_page(page)
            while section_of(page) != f"{group}_experience":
                assert "/complete" not in page.url, f"never reached the {group} section"
                next_page(page)
            shot(f"{group}_experience")

        page.context.clear_cookies()
        page.goto(f"{base}/accessibility")
        shot("accessibility")
        page.goto(f"{base}/no-such-survey/")
        shot("not-found")
        page.goto(f"{base}/l/{turned_off.link.token}")
        shot("link-turned-off-notice")
        page.goto(f"{base}/manage/{active.manage_token}")
        shot("provider-page")
        page.goto(f"{base}/manage/{turned_off.manage_token}")
        shot("provider-page-link-turned-off")
        page.goto(f"{base}/manage/{active.manage_token}/poster")
        shot("poster")
        clock.now = NOT_YET_OPEN
        page.goto(f"{base}/drugs-review/")
        shot("not-yet-open")
        clock.now = CLOSED
        page.goto(f"{base}/drugs-review/")
        shot("closed")
    finally:
        page.context.close()
