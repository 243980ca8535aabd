"""`flask --app survey_app links ...`: what an operator types and what they are told."""
from __future__ import annotations

import re

import pytest
import sqlite_utils

from conftest import SURVEY, Respondent
from survey_app import create_app, links, storage
from test_survey_journey import answers_for

ORG = "Dyfed Drug and Alcohol Service"


@pytest.fixture
def cli(app):
    runner = app.test_cli_runner()
    return lambda *args: runner.invoke(args=["links", *args])


def create(cli, *extra, org=ORG, channel="poster"):
    return cli("create", "--survey", SURVEY, "--org", org, "--channel", channel, *extra)


def stored_links(db_path) -> list[dict]:
    return list(sqlite_utils.Database(db_path)["links"].rows)


def token_of(result) -> str:
    return re.search(r"^Token: (\w+)$", result.output, re.M).group(1)


def test_create_prints_the_link_in_both_languages_and_the_private_page(cli, db_path, client):
    result = create(cli, "--expires", "2027-02-28")
    assert result.exit_code == 0, result.output
    token = token_of(result)
    assert f"Created poster link for {ORG} ({SURVEY}, expires 2027-02-28)." in result.output
    assert f"Welsh:   https://llais.example/cy/l/{token}" in result.output
    assert f"English: https://llais.example/en/l/{token}" in result.output
    manage = re.search(r"https://llais\.example(/manage/\S+)", result.output).group(1)
    assert client.get(manage).status_code == 303
    [row] = stored_links(db_path)
    assert row["token"] == token and row["organisation"] == ORG and row["expires_on"] == "2027-02-28"
    assert row["active"] == 1
    assert manage.rsplit("/", 1)[1] not in str(row), "only a hash of the manage secret is stored"


def test_tokens_are_random_and_well_formed(cli):
    tokens = {token_of(create(cli, org=f"Service {n}")) for n in range(5)}
    assert len(tokens) == 5 and all(links.is_well_formed(t) for t in tokens)


def test_create_for_an_unknown_survey_says_which_surveys_exist(cli, db_path):
    result = cli("create", "--survey", "drug-review", "--org", ORG, "--channel", "poster")
    assert result.exit_code == 2
    assert "no survey has the slug 'drug-review'. Known surveys: drugs-review." in result.output
    assert stored_links(db_path) == []


def test_create_with_an_expiry_in_the_past_is_refused(cli, db_path):
    result = create(cli, "--expires", "2026-11-30")
    assert result.exit_code == 2
    assert "the expiry date 2026-11-30 is in the past (today is 2026-12-01)" in result.output
    assert stored_links(db_path) == []


def test_create_with_a_badly_written_date_is_refused(cli, db_path):
    result = create(cli, "--expires", "28/02/2027")
    assert result.exit_code == 2 and "'28/02/2027' does not match the format '%Y-%m-%d'" in result.output
    assert stored_links(db_path) == []


def test_create_with_an_unknown_channel_lists_the_channels(cli, db_path):
    result = create(cli, channel="fax")
    assert result.exit_code == 2
    assert "'fax' is not one of 'email', 'poster', 'drop-in', 'social-media', 'other'" in result.output


def test_create_with_a_blank_organisation_is_refused(cli, db_path):
    result = create(cli, org="   ")
    assert result.exit_code == 2 and "the organisation name is empty" in result.output
    assert stored_links(db_path) == []


def test_a_duplicate_organisation_and_channel_is_allowed_but_noted(cli, db_path):
    first = token_of(create(cli))
    result = create(cli, org=ORG.upper())
    assert result.exit_code == 0
    assert f"already has 1 poster link(s) for {SURVEY} ({first})" in result.stderr
    assert len(stored_links(db_path)) == 2
    assert "already has" not in create(cli, channel="email").output


def test_list_shows_each_link_with_its_count_and_addresses(cli, client, db_path):
    poster, email = token_of(create(cli)), token_of(create(cli, org="Ceredigion Youth Service", channel="email"))
    client.get(f"/en/l/{poster}")
    Respondent(client).complete(answers_for("public"))
    result = cli("list")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert re.match(rf"{poster}  active\s+1 responses  poster link for {ORG}", lines[0])
    assert lines[1].strip() == f"Welsh:   https://llais.example/cy/l/{poster}"
    assert lines[2].strip() == f"English: https://llais.example/en/l/{poster}"
    assert re.match(rf"{email}  active\s+0 responses  email link for Ceredigion Youth Service", lines[3])


def test_list_with_no_links_says_how_to_make_one(cli):
    result = cli("list")
    assert result.exit_code == 0 and "No links yet. Create one with:" in result.output


def test_list_shows_expired_and_disabled_links(cli, clock):
    expiring, disabled = token_of(create(cli, "--expires", "2026-12-01")), token_of(create(cli, channel="email"))
    cli("disable", disabled)
    clock.advance(days=1)
    output = cli("list").output
    assert re.search(rf"^{expiring}  expired ", output, re.M)
    assert re.search(rf"^{disabled}  disabled ", output, re.M)


def test_disable_turns_a_link_off_and_prints_its_addresses(cli, db_path):
    token = token_of(create(cli))
    result = cli("disable", token)
    assert result.exit_code == 0
    assert f"Disabled poster link for {ORG}" in result.output and "can still respond" in result.output
    assert f"https://llais.example/cy/l/{token}" in result.output
    [row] = stored_links(db_path)
    assert row["active"] == 0 and row["disabled_at"].startswith("2026-12-01")
    again = cli("disable", token)
    assert again.exit_code == 0 and "Already disabled on 2026-12-01" in again.output
    assert f"https://llais.example/en/l/{token}" in again.output


def test_a_lost_provider_page_address_is_replaced_and_the_old_one_stops_working(cli, client):
    created = create(cli)
    token = token_of(created)
    old_page = re.search(r"https://llais\.example(/manage/\S+)", created.output).group(1)
    assert client.get(old_page, follow_redirects=True).status_code == 200
    result = cli("new-manage-url", token)
    assert result.exit_code == 0 and "the old address no longer works" in result.output
    new_page = re.search(r"https://llais\.example(/manage/\S+)", result.output).group(1)
    assert new_page != old_page
    assert client.get(old_page).status_code == 404
    assert token in client.get(new_page, follow_redirects=True).get_data(as_text=True)


def test_new_manage_url_for_an_unknown_token_says_so(cli):
    result = cli("new-manage-url", "abcdefghjkmn")
    assert result.exit_code == 2 and "No link has the token 'abcdefghjkmn'" in result.output


def test_disable_a_malformed_token_explains_what_a_token_looks_like(cli):
    result = cli("disable", "not-a-token!")
    assert result.exit_code == 2
    assert "'not-a-token!' is not a link token: a token is 12 lower-case letters and digits" in result.output


def test_disable_an_unknown_token_says_so(cli, db_path):
    create(cli)
    result = cli("disable", "abcdefghjkmn")
    assert result.exit_code == 2 and "No link has the token 'abcdefghjkmn'" in result.output
    assert stored_links(db_path)[0]["active"] == 1


def test_links_are_created_without_raw_sql_and_survive_a_restart(app, db_path, survey, clock):
    db = storage.connect(db_path)
    new = links.create_link(db, survey, ORG, "email", clock())
    db.close()
    create_app(app.config)  # migrating again must keep the table and its rows
    db = storage.connect(db_path)
    assert links.get_link(db, new.link.token) == new.link
    assert links.link_for_manage_token(db, new.manage_token) == new.link
