"""Security headers on every response, secure cookies in production, the real client address behind a proxy."""
from __future__ import annotations

import re

import pytest

from conftest import Respondent, stored_responses
from survey_app import create_app
from survey_app.fingerprint import client_fingerprint
from test_survey_journey import answers_for

PAGES = ["/", "/en/", "/cy/drugs-review/", "/en/no-such-survey/", "/static/llais.css", "/en/drugs-review/complete"]


def assert_protected(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, path):
    assert_protected(client.get(path))


def test_error_and_form_responses_carry_them_too(client):
    assert_protected(client.post("/en/drugs-review/", data={"consent": "y"}))  # no CSRF token: 400
    assert_protected(client.post("/en/drugs-review/", data={"x": "y" * 300_000}))  # too large: 413


def test_pages_that_may_show_answers_are_not_cached_but_the_stylesheet_is(client):
    respondent = Respondent(client)
    respondent.start()
    assert client.get(respondent.url("q/about_role")).headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/static/llais.css").headers.get("Cache-Control", "")


def test_pages_need_no_inline_script_or_style(client):
    """The strict policy blocks inline code, so no page may rely on any."""
    respondent = Respondent(client)
    reference, pages = respondent.complete(answers_for("service_user"))
    urls = ["/en/", respondent.url(), respondent.url("complete"), "/cy/nowhere/"]
    urls += [respondent.url(f"q/{page}") for page in pages]
    for url in urls:
        html = client.get(url).get_data(as_text=True).lower()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), url  # scripts only from files
        assert "<style" not in html and " style=" not in html, url
        assert " onclick=" not in html and "javascript:" not in html, url


def test_production_cookies_are_secure_and_https_is_pinned(app_config):
    app = create_app({**app_config, "PRODUCTION": True})
    client = app.test_client()
    response = client.get("/en/drugs-review/")
    assert "Secure" in response.headers["Set-Cookie"] and "HttpOnly" in response.headers["Set-Cookie"]
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_over_https_behind_a_proxy_a_browser_without_referer_can_answer(app_config, db_path):
    """Pages send no Referer (no-referrer), so the CSRF check must not demand one over HTTPS."""
    app = create_app({**app_config, "PRODUCTION": True, "TRUSTED_PROXIES": 1})
    client = app.test_client()
    client.environ_base.update({"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_FOR": "203.0.113.7"})
    reference, _ = Respondent(client).complete(answers_for("public"))
    assert [row["reference"] for row in stored_responses(db_path)] == [reference]


def test_development_cookies_work_over_plain_http(client):
    response = client.get("/en/drugs-review/")
    assert "Secure" not in response.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in response.headers


def test_behind_a_trusted_proxy_the_fingerprint_uses_the_real_client_address(app_config, db_path):
    app = create_app({**app_config, "TRUSTED_PROXIES": 1})
    client = app.test_client()
    client.environ_base.update({"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_USER_AGENT": "Phone/1"})
    Respondent(client).complete(answers_for("public"))
    [row] = stored_responses(db_path)
    assert row["fingerprint"] == client_fingerprint("test-fingerprint-secret", "drugs-review", "203.0.113.7", "Phone/1")


def test_without_trusted_proxies_a_forged_forwarded_header_is_ignored(client, db_path):
    client.environ_base.update({"HTTP_X_FORWARDED_FOR": "203.0.113.7", "HTTP_USER_AGENT": "Phone/1"})
    Respondent(client).complete(answers_for("public"))
    [row] = stored_responses(db_path)
    assert row["fingerprint"] == client_fingerprint("test-fingerprint-secret", "drugs-review", "127.0.0.1", "Phone/1")
