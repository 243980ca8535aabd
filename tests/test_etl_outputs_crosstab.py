"""Crosstabs and Wilson intervals over hand-built responses."""
import numpy as np
import pytest

from etl.clean import clean_responses
from etl.crosstab import crosstab, wilson_interval
from etl.dedupe import deduplicate
from tests.etl_fixtures import SURVEY, raw_frame, raw_row


def test_wilson_interval_matches_the_textbook_case():
    low, high = wilson_interval([50], [100])
    assert low[0] == pytest.approx(0.4038, abs=5e-5)
    assert high[0] == pytest.approx(0.5962, abs=5e-5)


def test_wilson_interval_stays_inside_zero_to_one_and_is_blank_without_a_base():
    low, high = wilson_interval([0, 5, 0], [10, 5, 0])
    assert low[0] == 0 and 0 < high[0] < 0.35
    assert 0.5 < low[1] < 1 and high[1] == 1
    assert np.isnan(low[2]) and np.isnan(high[2])


def deduplicated(*rows):
    return deduplicate(clean_responses(raw_frame(*rows), SURVEY).responses, SURVEY).responses


@pytest.fixture
def by_group():
    rows = [raw_row(i, respondent_group="public", dealing_problem="very_big", concerns=["cannabis"])
            for i in range(1, 7)]
    rows += [raw_row(i, respondent_group="police", dealing_problem="minor", concerns=["cannabis", "class_a"])
             for i in range(7, 11)]
    rows += [raw_row(11, respondent_group="police")]
    frame = deduplicated(*rows)
    return crosstab(frame, SURVEY, {"A very big problem": "Problem mawr iawn"}, "respondent_group",
                    ["public", "service_user", "provider", "police", "other"], "respondent_group")


def cell(table, group, question, option):
    row = table[(table["respondent_group"] == group) & (table["question_id"] == question)
                & (table["option_code"] == option)]
    return row.iloc[0]


def test_crosstab_has_column_percents_bases_and_an_all_column(by_group):
    everyone = cell(by_group, "all", "dealing_problem", "very_big")
    assert (everyone["count"], everyone["base"], everyone["percent"]) == (6, 10, 60.0)
    police = cell(by_group, "police", "dealing_problem", "minor")
    assert (police["count"], police["base"], police["percent"]) == (4, 4, 100.0)
    assert police["ci_low"] == pytest.approx(51.01, abs=0.01) and police["ci_high"] == 100.0
    assert everyone["label_cy"] == "Problem mawr iawn"


def test_multiple_choice_percents_are_of_respondents(by_group):
    cannabis = cell(by_group, "all", "concerns", "cannabis")
    class_a = cell(by_group, "all", "concerns", "class_a")
    assert cannabis["percent"] == 100.0 and class_a["percent"] == 40.0


def test_only_closed_questions_in_definition_order(by_group):
    closed = [q.id for q in SURVEY.questions if q.is_closed]
    assert list(dict.fromkeys(by_group["question_id"])) == closed
    assert by_group.groupby("question_id")["respondent_group"].first().eq("all").all()


def test_charts_drawn_once_and_relabelled_are_the_charts_drawn_in_each_language(by_group):
    """Relabelling a drawn chart for the next language gives exactly the chart drawn in that language."""
    from etl.charts import question_chart, question_charts
    from etl.suppression import SuppressionRule, suppress_crosstab

    rule = SuppressionRule(threshold=2)
    table = suppress_crosstab(by_group, "respondent_group", rule)
    names = {"en": {"public": "Public", "police": "Police"}, "cy": {"public": "Y cyhoedd", "police": "Heddlu"}}
    questions = ["respondent_group", "dealing_problem", "concerns"]
    charts = question_charts(table, questions, names, rule)
    for language in ("en", "cy"):
        for question in questions:
            assert charts[language][question] == question_chart(table, question, language, names[language], rule)
    assert charts["en"]["concerns"] != charts["cy"]["concerns"]
