"""Service-provider links on the web: following a link, dead links, the provider's page and QR code."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import re

import pytest
import zxingcpp
from PIL import Image

from conftest import OPEN_DAY, SURVEY, Respondent, stored_responses
from survey_app import links, storage
from test_survey_journey import answers_for

DEAD_LINK_NOTICE = "The link you followed is no longer in use, but you can still take part."


@pytest.fixture
def make_link(app, db_path, survey, clock):
    def make(organisation="Dyfed Drug and Alcohol Service", channel="poster", expires_on=None):
        db = storage.connect(db_path)
        try:
            return links.create_link(db, survey, organisation, channel, clock(), expires_on=expires_on)
        finally:
            db.close()
    return make


def disable(db_path, token, clock):
    db = storage.connect(db_path)
    links.disable_link(db, token, clock())
    db.close()


def respond_through(client, path: str, lang: str = "en") -> dict:
    """Follow a link, complete the survey, and return the stored response."""
    client.get(path)
    Respondent(client, lang).complete(answers_for("public"))
    return stored_responses_of(client)[-1]


def stored_responses_of(client):
    return stored_responses(client.application.config["SURVEY_DATABASE"])


def manage_page(client, new_link, lang="en"):
    return client.get(f"/{lang}/manage/{new_link.manage_token}")


# --- following a link --------------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_a_link_starts_the_survey_and_its_token_is_stored_on_the_response(client, make_link, lang):
    new = make_link()
    response = client.get(f"/{lang}/l/{new.link.token}")
    assert response.status_code == 303
    assert response.location == f"/{lang}/{SURVEY}/"
    Respondent(client, lang).complete(answers_for("public"))
    [row] = stored_responses_of(client)
    assert row["link_token"] == new.link.token
    assert row["language"] == lang


def test_the_language_neutral_link_follows_the_browser(client, make_link):
    new = make_link()
    welsh = client.get(f"/l/{new.link.token}", headers={"Accept-Language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert welsh.location == f"/cy/{SURVEY}/"
    english = client.get(f"/l/{new.link.token}", headers={"Accept-Language": "en-GB"})
    assert english.location == f"/en/{SURVEY}/"


def test_a_token_typed_in_capitals_still_counts(client, make_link):
    new = make_link()
    row = respond_through(client, f"/en/l/{new.link.token.upper()}")
    assert row["link_token"] == new.link.token


def test_a_survey_without_a_link_stores_no_token(client):
    Respondent(client).complete(answers_for("public"))
    [row] = stored_responses_of(client)
    assert row["link_token"] is None


def test_the_link_counts_for_the_next_person_on_a_shared_device(client, make_link):
    new = make_link(channel="drop-in")
    respond_through(client, f"/en/l/{new.link.token}")
    client.post(f"/en/{SURVEY}/restart", data={"csrf_token": _token(client, f"/en/{SURVEY}/complete")})
    Respondent(client).complete(answers_for("police"))
    assert [row["link_token"] for row in stored_responses_of(client)] == [new.link.token] * 2


def test_the_link_is_kept_when_the_person_switches_language_half_way(client, make_link):
    new = make_link()
    client.get(f"/cy/l/{new.link.token}")
    welsh = Respondent(client, "cy")
    welsh.start()
    assert welsh.answer("about_role", {"respondent_group": "service_user"}).status_code == 303
    Respondent(client, "en").complete(answers_for("service_user"))
    [row] = stored_responses_of(client)
    assert (row["link_token"], row["language"]) == (new.link.token, "en")


def _token(client, url):
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)


# --- dead, unknown and malformed links ---------------------------------------------------


def test_a_disabled_link_still_lets_the_person_respond_without_the_token(client, make_link, db_path, clock):
    new = make_link()
    disable(db_path, new.link.token, clock)
    response = client.get(f"/en/l/{new.link.token}")
    assert response.status_code == 303 and response.location == f"/en/{SURVEY}/"
    start = client.get(response.location).get_data(as_text=True)
    assert DEAD_LINK_NOTICE in start
    Respondent(client).complete(answers_for("public"))
    [row] = stored_responses_of(client)
    assert row["link_token"] is None


def test_a_link_works_until_the_end_of_its_expiry_day(client, make_link):
    new = make_link(expires_on=OPEN_DAY.date())
    row = respond_through(client, f"/en/l/{new.link.token}")
    assert row["link_token"] == new.link.token


def test_an_expired_link_still_lets_the_person_respond_without_the_token(client, make_link, clock):
    new = make_link(expires_on=OPEN_DAY.date())
    clock.advance(days=1)
    response = client.get(f"/cy/l/{new.link.token}")
    assert response.location == f"/cy/{SURVEY}/"
    row = respond_through(client, f"/cy/l/{new.link.token}", lang="cy")
    assert row["link_token"] is None


def test_a_link_that_expires_while_someone_waits_on_the_start_page_is_not_counted(client, make_link, clock):
    new = make_link(expires_on=OPEN_DAY.date())
    client.get(f"/en/l/{new.link.token}")
    clock.advance(days=1)
    Respondent(client).complete(answers_for("public"))
    assert stored_responses_of(client)[0]["link_token"] is None


@pytest.mark.parametrize("token", ["abcdefghjkmn", "short", "<script>alert(1)</script>", "a/b/c",
                                   "x" * 300, "0o1il0o1il0o"])
def test_unknown_and_malformed_links_look_exactly_like_a_disabled_one(client, make_link, db_path, clock, token):
    dead = make_link()
    disable(db_path, dead.link.token, clock)
    unknown = client.get(f"/en/l/{token}")
    disabled = client.get(f"/en/l/{dead.link.token}")
    assert (unknown.status_code, unknown.location) == (disabled.status_code, disabled.location)
    page = client.get(unknown.location).get_data(as_text=True)
    assert DEAD_LINK_NOTICE in page
    assert dead.link.token not in page and dead.link.organisation not in page


def test_a_dead_link_forgets_an_earlier_good_one(client, make_link):
    good = make_link()
    client.get(f"/en/l/{good.link.token}")
    row = respond_through(client, "/en/l/abcdefghjkmn")
    assert row["link_token"] is None


def test_a_link_in_an_unknown_language_is_not_found(client, make_link):
    assert client.get(f"/fr/l/{make_link().link.token}").status_code == 404


# --- the provider's page ---------------------------------------------------------------


def add_responses(db_path, survey, token, days: dict[dt.date, int]):
    """Completed responses through a link, `days[day]` of them at noon on each day."""
    db = storage.connect(db_path)
    records = []
    for day, count in days.items():
        moment = storage.iso(dt.datetime.combine(day, dt.time(12), dt.timezone.utc))
        for n in range(count):
            records.append({"reference": f"{day:%m%d}-{n:04d}", "submitted_at": moment, "started_at": moment,
                            "language": "en", "link_token": token, "respondent_group": "public"})
    storage.insert_responses(db, survey, records)
    db.close()


def test_the_manage_page_shows_the_link_in_both_languages_and_is_kept_private(client, make_link):
    new = make_link()
    response = manage_page(client, new)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"https://llais.example/cy/l/{new.link.token}" in page
    assert f"https://llais.example/en/l/{new.link.token}" in page
    assert "Dyfed Drug and Alcohol Service" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_manage_page_is_in_welsh_at_its_welsh_address(client, make_link):
    new = make_link()
    page = manage_page(client, new, "cy").get_data(as_text=True)
    assert '<html lang="cy">' in page
    assert f'href="/en/manage/{new.manage_token}"' in page


def test_the_bare_manage_address_picks_a_language(client, make_link):
    new = make_link()
    response = client.get(f"/manage/{new.manage_token}", headers={"Accept-Language": "cy"})
    assert response.status_code == 303 and response.location == f"/cy/manage/{new.manage_token}"


@pytest.mark.parametrize("kind", ["public token", "wrong secret", "malformed"])
def test_a_wrong_manage_address_is_not_found(client, make_link, kind):
    new = make_link()
    secret = {"public token": new.link.token, "wrong secret": new.manage_token[:-4] + "AAAA",
              "malformed": "../etc/passwd"}[kind]
    assert client.get(f"/en/manage/{secret}").status_code == 404
    assert client.get(f"/manage/{secret}/qr.png").status_code == 404


class CompareDigestSpy:
    """Stands in for the `hmac` module inside survey_app.links: records every compare_digest
    call and delegates it (and everything else) to the real module."""

    def __init__(self):
        self.calls: list[tuple] = []

    def compare_digest(self, a, b):
        self.calls.append((a, b))
        return hmac.compare_digest(a, b)

    def __getattr__(self, name):
        return getattr(hmac, name)


@pytest.mark.parametrize("path", ["/en/manage/{}", "/manage/{}", "/manage/{}/qr.png"])
def test_the_manage_secret_is_checked_in_constant_time(client, make_link, monkeypatch, path):
    new = make_link()
    spy = CompareDigestSpy()
    # links.py does `import hmac` and calls hmac.compare_digest, so the module it sees is replaced
    # (only there: CSRF and session signing keep the real one); a name import is patched too.
    if hasattr(links, "compare_digest"):
        monkeypatch.setattr(links, "compare_digest", spy.compare_digest)
    monkeypatch.setattr(links, "hmac", spy, raising=False)
    response = client.get(path.format(new.manage_token))
    assert response.status_code in (200, 303)
    hashed = hashlib.sha256(new.manage_token.encode()).hexdigest()
    assert (hashed, hashed) in spy.calls


def test_the_manage_page_counts_responses_but_never_shows_answers(client, make_link, db_path, survey):
    new = make_link()
    row = respond_through(client, f"/en/l/{new.link.token}")
    add_responses(db_path, survey, new.link.token, {dt.date(2026, 12, 2): 6})
    page = manage_page(client, new).get_data(as_text=True)
    assert "Completed responses so far:" in page and '<strong class="total">7</strong>' in page
    for answer in ("More youth workers in the evenings.", "Cuckooing of vulnerable tenants", "county_lines"):
        assert answer not in page
    assert row["reference"] not in page


def test_counts_under_five_are_shown_as_fewer_than_five(client, make_link, db_path, survey):
    new = make_link()
    add_responses(db_path, survey, new.link.token,
                  {dt.date(2026, 12, 1): 4, dt.date(2026, 12, 2): 2, dt.date(2026, 12, 3): 7})
    page = manage_page(client, new).get_data(as_text=True)
    cells = re.findall(r'<td>([^<]+)</td><td class="numeric">([^<]+)</td>', page)
    assert cells == [("1 December 2026", "fewer than 5"), ("2 December 2026", "fewer than 5"),
                     ("3 December 2026", "7")]
    assert '<strong class="total">13</strong>' in page


def test_a_lone_small_day_cannot_be_worked_out_from_the_total(client, make_link, db_path, survey):
    new = make_link()
    add_responses(db_path, survey, new.link.token,
                  {dt.date(2026, 12, 1): 4, dt.date(2026, 12, 2): 5, dt.date(2026, 12, 3): 9})
    page = manage_page(client, new).get_data(as_text=True)
    cells = re.findall(r'<td>([^<]+)</td><td class="numeric">([^<]+)</td>', page)
    # 18 - 5 - 9 would give away the 4, so the smallest other day is hidden as well
    assert cells == [("1 December 2026", "fewer than 5"), ("2 December 2026", "hidden"), ("3 December 2026", "9")]
    assert '<strong class="total">18</strong>' in page


def test_days_are_welsh_days_so_a_late_summer_response_counts_on_the_next_day(make_link, db_path):
    new = make_link()
    db = storage.connect(db_path)
    late = dt.datetime(2027, 6, 30, 23, 30, tzinfo=dt.timezone.utc)  # 00:30 on 1 July in Wales (BST)
    db["responses"].insert({"survey_id": SURVEY, "survey_version": 1, "reference": "LATE-0001",
                            "submission_key": "late", "submitted_at": storage.iso(late), "language": "cy",
                            "link_token": new.link.token})
    assert links.responses_by_day(db, new.link.token) == [(dt.date(2027, 7, 1), 1)]


def test_a_small_total_is_suppressed_too(client, make_link, db_path, survey):
    new = make_link()
    add_responses(db_path, survey, new.link.token, {dt.date(2026, 12, 1): 3})
    page = manage_page(client, new).get_data(as_text=True)
    assert '<strong class="total">fewer than 5</strong>' in page
    assert ">3<" not in page


def test_the_manage_page_counts_only_its_own_link(client, make_link, db_path, survey):
    ours, theirs = make_link(), make_link(organisation="Ceredigion Youth Service", channel="email")
    add_responses(db_path, survey, theirs.link.token, {dt.date(2026, 12, 1): 8})
    page = manage_page(client, ours).get_data(as_text=True)
    assert '<strong class="total">fewer than 5</strong>' in page
    assert "Ceredigion Youth Service" not in page and theirs.link.token not in page


def test_the_manage_page_says_when_a_link_is_turned_off(client, make_link, db_path, clock):
    new = make_link()
    disable(db_path, new.link.token, clock)
    assert "This link has been turned off." in manage_page(client, new).get_data(as_text=True)


# --- QR code and poster ---------------------------------------------------------------


def decode(png: bytes) -> list[str]:
    return [barcode.text for barcode in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


def test_the_qr_code_decodes_back_to_the_link(client, make_link):
    new = make_link()
    response = client.get(f"/manage/{new.manage_token}/qr.png?download=1")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["Content-Disposition"] == f"attachment; filename=llais-{new.link.token}.png"
    assert decode(response.data) == [f"https://llais.example/l/{new.link.token}"]


def test_the_qr_code_is_also_an_svg_for_print(client, make_link):
    new = make_link()
    response = client.get(f"/manage/{new.manage_token}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert b"<svg" in response.data and b"viewBox" in response.data
    page = manage_page(client, new).get_data(as_text=True)
    assert f"/manage/{new.manage_token}/qr.svg" in page and f"/manage/{new.manage_token}/qr.png?download=1" in page


def test_the_poster_is_bilingual_with_the_welsh_first(client, make_link):
    new = make_link()
    response = client.get(f"/en/manage/{new.manage_token}/poster")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    welsh = page.index('<section class="poster-half" lang="cy">')
    english = page.index('<section class="poster-half" lang="en">')
    assert welsh < english
    assert f"https://llais.example/cy/l/{new.link.token}" in page[welsh:english]
    assert f"https://llais.example/en/l/{new.link.token}" in page[english:]
    assert "Have your say" in page[english:]
    assert "Sganiwch y cod QR" in page[welsh:english]
    assert "Scan the QR code" not in page[welsh:english]
    assert f"/manage/{new.manage_token}/qr.svg" in page
    assert '<meta name="robots" content="noindex, nofollow">' in page
