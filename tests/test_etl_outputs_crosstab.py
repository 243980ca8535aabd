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


def chart_inputs(by_group):
    from etl.suppression import SuppressionRule, suppress_crosstab

    rule = SuppressionRule(threshold=2)
    names = {"en": {"public": "Public", "police": "Police"}, "cy": {"public": "Y cyhoedd", "police": "Heddlu"}}
    return suppress_crosstab(by_group, "respondent_group", rule), names, rule


CHART_QUESTIONS = ["respondent_group", "dealing_problem", "concerns", "seen_dealing", "services_used"]


def charts_partly_drawn_by_the_helper(table, names, rule):
    """question_charts with a helper process that has taken (at least) the first two questions."""
    import time

    from etl.charts import QuestionCharts

    with QuestionCharts(table, CHART_QUESTIONS, names, rule, helper=True) as drawing:
        deadline = time.monotonic() + 120
        while drawing.claims[0] < 2 and not drawing.helped.done() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert drawing.claims[0] >= 2
        return drawing.result()


@pytest.mark.parametrize("helper", [False, True], ids=["here", "with a helper process"])
def test_charts_drawn_once_and_relabelled_are_the_charts_drawn_in_each_language(by_group, helper):
    """Relabelling a drawn chart for the next language, here or in the helper process, gives exactly
    the chart drawn in that language."""
    from etl.charts import question_chart, question_charts

    table, names, rule = chart_inputs(by_group)
    charts = (charts_partly_drawn_by_the_helper(table, names, rule) if helper
              else question_charts(table, CHART_QUESTIONS, names, rule, helper=False))
    for language in ("en", "cy"):
        assert list(charts[language]) == CHART_QUESTIONS
        for question in CHART_QUESTIONS:
            assert charts[language][question] == question_chart(table, question, language, names[language], rule)
    assert charts["en"]["concerns"] != charts["cy"]["concerns"]


def test_the_helper_draws_with_the_callers_matplotlib_settings(by_group):
    import matplotlib

    from etl.charts import question_chart

    table, names, rule = chart_inputs(by_group)
    plain = question_chart(table, "concerns", "en", names["en"], rule)
    with matplotlib.rc_context({"axes.edgecolor": "#d4351c"}):
        charts = charts_partly_drawn_by_the_helper(table, names, rule)
        here = {q: question_chart(table, q, "en", names["en"], rule) for q in CHART_QUESTIONS}
    assert charts["en"] == here and charts["en"]["concerns"] != plain


def test_charts_are_drawn_here_when_the_helper_cannot_start(by_group, monkeypatch):
    from concurrent.futures.process import BrokenProcessPool

    from etl import charts as module

    class Broken:
        def __init__(self, *args, **kwargs):
            pass

        def submit(self, *args, **kwargs):
            raise BrokenProcessPool("no processes here")

        def shutdown(self, **kwargs):
            pass

    table, names, rule = chart_inputs(by_group)
    expected = module.question_charts(table, CHART_QUESTIONS, names, rule, helper=False)
    monkeypatch.setattr(module, "ProcessPoolExecutor", Broken)
    assert module.question_charts(table, CHART_QUESTIONS, names, rule, helper=True) == expected


def test_the_caller_and_the_helper_take_questions_from_opposite_ends_until_they_meet():
    import multiprocessing

    from etl.charts import _claim

    claims = multiprocessing.get_context("spawn").Array("i", [0, 5])
    taken = [_claim(claims, from_front=True), _claim(claims, from_front=False), _claim(claims, from_front=True),
             _claim(claims, from_front=False), _claim(claims, from_front=False), _claim(claims, from_front=True),
             _claim(claims, from_front=False)]
    assert taken == [0, 4, 1, 3, 2, None, None]


def test_the_helper_draws_with_this_copy_of_the_code_even_when_its_folder_is_not_on_the_path(by_group, monkeypatch):
    """As under Dagster, which puts its working directory on sys.path only while it loads the code."""
    import sys
    from pathlib import Path

    from etl import charts as module
    from etl.charts import question_chart

    root = Path(module.__file__).resolve().parents[1]
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".") and Path(p).resolve() != root])
    table, names, rule = chart_inputs(by_group)
    charts = charts_partly_drawn_by_the_helper(table, names, rule)
    assert charts["cy"] == {q: question_chart(table, q, "cy", names["cy"], rule) for q in CHART_QUESTIONS}


def test_a_helper_that_finds_another_copy_of_the_code_draws_nothing(by_group, monkeypatch):
    import multiprocessing

    from etl import charts as module

    claims = multiprocessing.get_context("spawn").Array("i", [0, 5])
    with pytest.raises(ImportError):
        module._start_helper(claims, {}, "/elsewhere/etl/charts.py")
    table, names, rule = chart_inputs(by_group)
    expected = module.question_charts(table, CHART_QUESTIONS, names, rule, helper=False)
    monkeypatch.setattr(module, "__file__", "/elsewhere/etl/charts.py")
    with module.QuestionCharts(table, CHART_QUESTIONS, names, rule, helper=True) as drawing:
        with pytest.raises(module.BrokenProcessPool):
            drawing.helped.result(timeout=120)
        assert drawing.result() == expected
        assert drawing.claims[0] == 0


@pytest.mark.parametrize("guarded", [True, False], ids=["script with a main guard", "script without one"])
def test_the_helper_is_only_started_where_it_cannot_run_the_callers_script_again(tmp_path, guarded):
    """A spawned helper imports the caller's main script; one without `if __name__ == "__main__":`
    would run all over again (deleting files, say), so its charts are drawn in its own process."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    body = "from etl.charts import _main_safe_to_import\nprint(_main_safe_to_import())\n"
    script = tmp_path / "script.py"
    script.write_text('if __name__ == "__main__":\n    ' + body.replace("\n", "\n    ") if guarded else body)
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=root,
                          env={**os.environ, "PYTHONPATH": str(root)}, check=True)
    assert done.stdout.strip() == str(guarded)
