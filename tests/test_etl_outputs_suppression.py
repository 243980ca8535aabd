"""Small-count suppression: primary cells, complements, and nothing recoverable from totals."""
import numpy as np
import pandas as pd
import pytest

from etl.suppression import SuppressionRule, suppress_counts, suppress_crosstab, unsuppressed_small_counts

RULE = SuppressionRule()


def table(cells: dict[str, dict[str, int]], question_type="single") -> pd.DataFrame:
    """A one-question crosstab from {category: {option: count}}, with the 'all' column added."""
    everyone = {o: sum(c[o] for c in cells.values()) for o in next(iter(cells.values()))}
    rows = []
    for category, counts in {"all": everyone, **cells}.items():
        base = sum(counts.values())
        for option, count in counts.items():
            rows.append({"question_id": "q", "question_type": question_type, "option_code": option,
                         "group": category, "count": count, "base": base, "percent": round(100 * count / base, 2),
                         "ci_low": 1.0, "ci_high": 2.0})
    return pd.DataFrame(rows)


def hidden(published, group, option):
    row = published[(published["group"] == group) & (published["option_code"] == option)].iloc[0]
    return row["count"] == RULE.marker


def test_a_small_cell_and_complements_in_its_row_and_column_are_hidden():
    published = suppress_crosstab(table({"a": {"x": 3, "y": 20, "z": 30}, "b": {"x": 10, "y": 25, "z": 40}}),
                                  "group", RULE)
    assert hidden(published, "a", "x")
    # Row x: a's 3 could be recovered from all (13) minus b (10), so b's x goes too.
    assert hidden(published, "b", "x")
    # Column a: a's x could be recovered from the base minus y and z, so the smaller of y, z goes too.
    assert hidden(published, "a", "y") and not hidden(published, "a", "z")
    assert not hidden(published, "all", "x")


def test_no_row_or_column_is_left_with_exactly_one_hidden_cell():
    rng = np.random.default_rng(4)
    cells = {g: {o: int(rng.choice([0, 1, 2, 3, 4, 6, 9, 15, 40])) for o in "vwxyz"} for g in "abcdef"}
    published = suppress_crosstab(table(cells), "group", RULE)
    marks = published.assign(h=published["count"] == RULE.marker)
    assert (marks.groupby("option_code")["h"].sum() != 1).all()
    assert (marks.groupby("group")["h"].sum() != 1).all()
    assert unsuppressed_small_counts(published, ["count", "base"], RULE) == 0


def test_zeros_are_shown_and_percents_go_with_their_counts():
    published = suppress_crosstab(table({"a": {"x": 0, "y": 2, "z": 30}, "b": {"x": 0, "y": 25, "z": 40}}),
                                  "group", RULE)
    a_x = published[(published["group"] == "a") & (published["option_code"] == "x")].iloc[0]
    assert a_x["count"] == 0 and a_x["percent"] == 0
    a_y = published[(published["group"] == "a") & (published["option_code"] == "y")].iloc[0]
    assert a_y["percent"] == RULE.marker and a_y["ci_low"] == RULE.marker


def test_a_small_base_hides_its_whole_column():
    published = suppress_crosstab(table({"a": {"x": 3, "y": 0}, "b": {"x": 10, "y": 25}, "c": {"x": 12, "y": 8}}),
                                  "group", RULE)
    column = published[published["group"] == "a"]
    assert (column["count"] == RULE.marker).all() and (column["base"] == RULE.marker).all()
    # The 3 could be worked out from the 'all' base minus the others, so another base is hidden too.
    bases = published.drop_duplicates("group").set_index("group")["base"]
    assert (bases.drop("all") == RULE.marker).sum() == 2


@pytest.mark.parametrize("threshold, marker, shown", [(5, "[c]", False), (3, "<3", True), (10, "*", False)])
def test_threshold_and_marker_are_configuration(threshold, marker, shown):
    rule = SuppressionRule(threshold=threshold, marker=marker)
    published = suppress_crosstab(table({"a": {"x": 3, "y": 7, "z": 30}, "b": {"x": 10, "y": 25, "z": 40}}),
                                  "group", rule)
    a_x = published[(published["group"] == "a") & (published["option_code"] == "x")].iloc[0]["count"]
    assert (a_x == 3) if shown else (a_x == marker)
    assert unsuppressed_small_counts(published, ["count", "base"], rule) == 0


def test_long_tables_hide_a_complement_within_each_total():
    profile = pd.DataFrame({"dimension": ["lang"] * 3, "category": ["all", "cy", "en"],
                            "respondents": [52, 2, 50], "percent": [100.0, 3.85, 96.15]})
    published = suppress_counts(profile, "respondents", profile["category"] == "all", ["dimension"], RULE,
                                derived=("percent",))
    assert published["respondents"].tolist() == [52, RULE.marker, RULE.marker]
    assert published["percent"].tolist()[1:] == [RULE.marker, RULE.marker]


def test_a_second_count_column_is_suppressed_on_its_own_small_cells():
    themes = pd.DataFrame({"theme": ["t"] * 3, "group": ["all", "public", "provider"],
                           "answers": [1600, 60, 1540], "campaign_responses": [12, 11, 1]})
    totals, keys = themes["group"] == "all", ["theme"]
    once = suppress_counts(themes, "answers", totals, keys, RULE, derived=("campaign_responses",))
    published = suppress_counts(once, "campaign_responses", totals, keys, RULE)
    assert published["answers"].tolist() == [1600, 60, 1540]
    # The campaigner among 1,540 providers is hidden, and so is a complement, so 12 - 11 gives nothing away.
    assert published["campaign_responses"].tolist() == [12, RULE.marker, RULE.marker]
    assert unsuppressed_small_counts(published, ["answers", "campaign_responses"], RULE) == 0
