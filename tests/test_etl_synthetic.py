import sqlite3

import pandas as pd

from etl import synthetic
from survey_app import storage
from tests.etl_fixtures import SURVEY


def test_generator_covers_languages_groups_areas_and_injections():
    generated = synthetic.generate(SURVEY, 1000, seed=1)
    rows, truth = generated.rows, generated.truth
    assert len(rows) == len(truth) == 1000
    assert 0.15 < (rows["language"] == "cy").mean() < 0.25
    assert set(rows["respondent_group"]) == set(SURVEY.question("respondent_group").option_codes)
    assert {"carmarthenshire", "ceredigion", "pembrokeshire", "powys"} <= set(rows["local_authority"])
    kinds = truth["kind"].value_counts()
    assert kinds["exact_resubmission"] == 30 and kinds["same_person"] == 20
    assert truth["campaign"].notna().sum() >= 30 and truth["speeder"].any() and truth["straightliner"].any()
    welsh_text = rows.loc[rows["language"] == "cy", "one_change"].dropna()
    assert welsh_text.str.contains("mlynedd yma|ymgyrch", case=False).all()
    assert not welsh_text.str.contains("years here").any()


def test_generator_answers_only_the_respondents_own_branch():
    rows = synthetic.generate(SURVEY, 500, seed=2).rows
    assert rows.loc[rows["respondent_group"] != "police", "police_role"].isna().all()
    assert rows.loc[rows["contact_consent"] != "yes", "email"].isna().all()


def test_cli_writes_through_storage_with_truth_and_respects_if_empty(tmp_path, capsys):
    db_path = tmp_path / "responses.db"
    args = ["--database", str(db_path), "--survey", SURVEY.slug, "--count", "300", "--seed", "4"]
    assert synthetic.main(args) == 0
    assert synthetic.main(args + ["--if-empty"]) == 0
    assert "nothing written" in capsys.readouterr().out
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("select count(*) from responses").fetchone()[0] == 300
        joined = pd.read_sql("select t.kind, r.id from synthetic_truth t join responses r using (reference)", conn)
        assert len(joined) == 300
        emails = conn.execute("select count(*) from personal_data").fetchone()[0]
        multiple = conn.execute("select concerns from responses where concerns is not null limit 1").fetchone()[0]
    assert emails > 0 and multiple.startswith("[")
    assert storage.count_responses(storage.connect(db_path), SURVEY.slug) == 300
