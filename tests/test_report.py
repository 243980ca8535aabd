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
