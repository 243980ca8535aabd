"""The review report's own figures: its duplicates table suppressed, and the check that reads its tables."""
import pandas as pd

from etl.report import small_counts_in_report, suppress_duplicates
from etl.suppression import SuppressionRule

RULE = SuppressionRule()


def duplicates(*rows):
    return pd.DataFrame(list(rows), columns=["rule", "groups", "members", "removed"])


def test_small_duplicate_counts_are_hidden_with_a_complement_wherever_one_could_be_worked_out():
    summary = duplicates(("exact_resubmission", 60, 120, 60), ("same_person_email", 25, 50, 25),
                         ("campaign", 3, 57, 0), ("same_person_email_and_fingerprint", 2, 4, 2))
    shown = suppress_duplicates(summary, RULE, removed_total=87).set_index("rule")
    assert shown.loc["same_person_email_and_fingerprint"].tolist() == ["[c]", "[c]", "[c]"]
    assert shown.loc["campaign"].tolist() == ["[c]", 57, 0]
    # 87 removed in all, as the report's response counts say: a second rule's removed copies are hidden
    # (the smallest), and then its groups, since responses involved = groups + removed.
    assert shown.loc["same_person_email"].tolist() == ["[c]", 50, "[c]"]
    assert shown.loc["exact_resubmission"].tolist() == [60, 120, 60]


def test_duplicates_with_no_small_counts_are_shown_as_they_are():
    summary = duplicates(("exact_resubmission", 60, 120, 60), ("campaign", 5, 57, 0))
    pd.testing.assert_frame_equal(suppress_duplicates(summary, RULE, removed_total=60), summary.astype(object),
                                  check_dtype=False)


REPORT = """
<table class="accounting"><tbody><tr><th scope="row">Received</th><td class="n">2,000</td></tr>
<tr><th scope="row">Excluded</th><td class="n">3</td></tr></tbody></table>
<table><thead><tr><th>Answer</th><th class="n">Count</th><th class="n">Percent</th></tr></thead><tbody>
<tr><td>Yes</td><td class="n">1,204</td><td class="n pct">2.5</td><td class="n pct">1.9–3.3</td></tr>
<tr><td>No</td><td class="n">[c]</td><td class="n pct">[c]</td><td class="n pct">[c]</td></tr>
<tr><td>Not sure</td><td class="n">0</td><td class="n pct">0</td><td class="n pct"></td></tr>
<tr><th scope="row">Base</th><td class="n">1,210</td><td></td><td></td></tr>
</tbody></table>
"""


def test_the_report_check_finds_no_small_count_in_a_suppressed_table():
    assert small_counts_in_report(REPORT, RULE) == 0


def test_the_report_check_finds_each_small_count_in_a_table_but_not_in_percents_or_the_response_counts():
    leaky = REPORT.replace('<td class="n">[c]</td>', '<td class="n">4</td>').replace(
        "<td>Not sure</td>", "<td>Not sure</td><td>2</td>")
    assert small_counts_in_report(leaky, RULE) == 2
    assert small_counts_in_report(leaky, SuppressionRule(threshold=3)) == 1


def test_chart_legends_keep_clear_of_the_edges_with_the_longest_group_names_in_both_languages():
    import io

    import numpy as np
    from PIL import Image

    from etl.charts import question_charts
    from etl.labels import welsh_catalog, welsh_label
    from tests.etl_fixtures import SURVEY

    welsh, groups = welsh_catalog(), SURVEY.question("respondent_group")
    names = {"en": {o.code: o.label for o in groups.options},
             "cy": {o.code: welsh_label(welsh, o.label, groups.option_context) for o in groups.options}}
    assert "Swyddog heddlu neu aelod o staff yr heddlu" in names["cy"].values()
    question = SURVEY.question("dealing_problem")
    rows = [{"question_id": question.id, "respondent_group": group, "option_code": code, "label_en": code,
             "label_cy": code, "question_en": question.label, "question_cy": question.label, "count": 50,
             "base": 250, "percent": 20.0, "ci_low": 15.0, "ci_high": 25.0}
            for group in ["all", *names["en"]] for code in question.option_codes]
    charts = question_charts(pd.DataFrame(rows), [question.id], names, RULE, helper=False)
    for language in ("en", "cy"):
        ink = np.asarray(Image.open(io.BytesIO(charts[language][question.id])).convert("L")) < 200
        height, width = ink.shape
        columns, lines = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
        assert columns.max() < width - 12 and lines.max() < height - 4, language


def test_the_report_lists_the_largest_campaigns_and_says_how_many_more_are_in_the_workbook():
    from etl.report import CAMPAIGNS_LISTED, _largest_campaigns
    campaigns = pd.DataFrame({"campaign_id": [f"campaign-{i}" for i in range(CAMPAIGNS_LISTED + 5)],
                              "campaign_size": [5 + i for i in range(CAMPAIGNS_LISTED + 4)] + ["[c]"]})
    listed = _largest_campaigns(campaigns)
    assert len(listed) == CAMPAIGNS_LISTED
    assert listed["campaign_id"].iloc[0] == f"campaign-{CAMPAIGNS_LISTED + 3}"  # the largest first
    assert "campaign-0" not in set(listed["campaign_id"]) and "campaign-29" not in set(listed["campaign_id"])
