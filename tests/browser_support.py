"""Real-browser fixtures: the app served on loopback, driven by the system Chromium through Playwright.

Browser downloads cannot work on our machines, so Playwright launches Debian's
`chromium`. Where it is missing the browser tests are skipped with a loud reason;
CI installs it and sets LLAIS_REQUIRE_BROWSER=1 (see .ci/run), so there a missing
browser fails the run instead of skipping.
"""
from __future__ import annotations

import os
import shutil
import threading
import warnings

import pytest
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
# The quick-exit link leaves for a neutral site; with no internet here it is answered locally.
NEUTRAL_SITE = "https://www.bbc.co.uk/weather"
PHONE = {"width": 320, "height": 700}
DESKTOP = {"width": 1280, "height": 900}


def require_chromium() -> None:
    if CHROMIUM is None:
        message = ("BROWSER TESTS SKIPPED: Debian's chromium is not installed. "
                   "Install it with `apt-get install -y chromium` (CI does this in .ci/run).")
        if os.environ.get("LLAIS_REQUIRE_BROWSER") == "1":
            pytest.fail(message.replace("SKIPPED", "REQUIRED"), pytrace=False)
        warnings.warn(message)
        pytest.skip(message, allow_module_level=True)


class LiveServer:
    """The Flask app on a free loopback port, in a thread of this process (so tests keep its clock)."""

    def __init__(self, app):
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(app):
    with LiveServer(app) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser, viewport=PHONE, javascript: bool = True, locale: str = "en-GB", bypass_csp: bool = False):
    """A fresh browser context; bypass_csp only for tests that inject their own styles."""
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript, locale=locale,
                                  bypass_csp=bypass_csp)
    context.route(f"{NEUTRAL_SITE}**", lambda route: route.fulfill(
        status=200, content_type="text/html", body="<html lang='en'><title>Weather</title><h1>Weather</h1></html>"))
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


@pytest.fixture
def page(browser):
    page = open_page(browser)
    yield page
    page.context.close()


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (0 means no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
