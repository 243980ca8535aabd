"""Screenshots of each page in both languages at phone and desktop widths, for people to review.

Not part of `make test` (it asserts nothing a user would notice); run `make screenshots`
and look in var/screenshots/.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from browser_support import DESKTOP, open_page, require_chromium
from survey_app import links, storage

require_chromium()

pytestmark = pytest.mark.screenshots
OUT = Path(__file__).resolve().parent.parent / "var" / "screenshots"
SUBMIT = "main form[method=post] button[type=submit]"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": DESKTOP}


@pytest.mark.parametrize("lang", ["cy", "en"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_screenshots(browser, live_server, app, clock, lang, width):
    OUT.mkdir(parents=True, exist_ok=True)
    page = open_page(browser, viewport=WIDTHS[width])

    def shot(name):
        page.screenshot(path=str(OUT / f"{name}-{lang}-{width}.png"), full_page=True)

    try:
        base = f"{live_server.url}/{lang}"
        page.goto(f"{base}/drugs-review/")
        shot("01-start")
        page.check("#consent")
        page.click(SUBMIT)
        page.click(SUBMIT)
        shot("02-question-error")
        page.check("#respondent_group-0")
        page.click(SUBMIT)
        names = iter(range(3, 30))
        while "/complete" not in page.url:
            section = page.url.rsplit("/", 1)[-1].split("#")[0]
            shot(f"{next(names):02d}-{section}")
            page.click(SUBMIT)
            page.wait_for_load_state()
        shot("20-confirmation")
        page.goto(f"{base}/accessibility")
        shot("21-accessibility")
        db = storage.connect(app.config["SURVEY_DATABASE"])
        new = links.create_link(db, app.extensions["surveys"]["drugs-review"], "Ceredigion Youth Service",
                                "poster", clock())
        page.goto(f"{base}/manage/{new.manage_token}")
        shot("22-provider-page")
        page.goto(f"{base}/manage/{new.manage_token}/poster")
        shot("23-poster")
        clock.now = dt.datetime(2027, 6, 1, tzinfo=dt.timezone.utc)
        page.goto(f"{base}/drugs-review/")
        shot("24-closed")
    finally:
        page.context.close()
