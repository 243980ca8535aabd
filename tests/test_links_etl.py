"""The ETL reads the app's links table: response volume by link token and by organisation."""
from __future__ import annotations

from conftest import Respondent
from etl.aggregate import response_volume
from etl.read import read_responses
from survey_app import links, storage
from test_survey_journey import answers_for


def test_response_volume_counts_by_link_token_and_organisation(client, db_path, survey, clock):
    db = storage.connect(db_path)
    new = links.create_link(db, survey, "Powys Housing Support", "drop-in", clock())
    db.close()
    client.get(f"/en/l/{new.link.token}")
    Respondent(client).complete(answers_for("public"))
    Respondent(client.application.test_client()).complete(answers_for("police"))

    frame = read_responses(db_path, survey.slug)
    table = response_volume(frame, survey)
    by_link = {(row.link_token if isinstance(row.link_token, str) else None,
                row.organisation if isinstance(row.organisation, str) else None): row.responses
               for row in table.itertuples()}
    assert by_link == {(None, None): 1, (new.link.token, "Powys Housing Support"): 1}
    assert frame.loc[frame["link_token"] == new.link.token, "link_channel"].tolist() == ["drop-in"]
