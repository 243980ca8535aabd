"""The suppressed versions of the analysis tables: what goes to Excel, CSV and the report."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .aggregate import ANSWERED_CODE, SUMMARY_COLUMNS
from .crosstab import ALL
from .suppression import SuppressionRule, masked, primary, suppress_counts, suppress_crosstab, unsuppressed_small_counts
from .wording import words

CROSSTABS = {"crosstab_group": "respondent_group", "crosstab_area": "local_authority",
             "crosstab_language": "language"}
PUBLISHED = ["respondent_profile", "question_summary", *CROSSTABS, "free_text_themes", "theme_examples",
             "free_text_campaigns"]
# The columns of each published table that count people (or answers), which the rule protects.
COUNT_COLUMNS = {
    "respondent_profile": ["respondents"],
    "question_summary": ["count", "base"],
    **{name: ["count", "base"] for name in CROSSTABS},
    "free_text_themes": ["answers", "campaign_responses"],
    "theme_examples": [],
    "free_text_campaigns": ["campaign_size"],
}


def publish(tables: dict[str, pd.DataFrame], rule: SuppressionRule) -> dict[str, pd.DataFrame]:
    """Suppressed copies of the analysis tables, in the workbook's order."""
    published = {"respondent_profile": suppress_counts(
        tables["respondent_profile"], "respondents", tables["respondent_profile"]["category"] == ALL,
        ["dimension"], rule, derived=("percent",))}
    for name, breakdown in CROSSTABS.items():
        published[name] = suppress_crosstab(tables[name], breakdown, rule)
    published["question_summary"] = publish_question_summary(tables["question_summary"], published["crosstab_group"],
                                                             rule)
    themes = tables["free_text_themes"]
    themes_total, theme_keys = themes["respondent_group"] == ALL, ["question_id", "theme_id"]
    themes = suppress_counts(themes, "answers", themes_total, theme_keys, rule, derived=("campaign_responses",))
    # Campaign responses count people too: a theme with many answers can still have one campaigner.
    published["free_text_themes"] = suppress_counts(themes, "campaign_responses", themes_total, theme_keys, rule)
    # Quotes are not linked back to a response outside the analysis database.
    published["theme_examples"] = tables["theme_examples"].drop(columns="response_id")
    campaigns = tables["free_text_campaigns"]
    published["free_text_campaigns"] = suppress_counts(campaigns, "campaign_size", pd.Series(False, index=campaigns.index),
                                                       ["campaign_id"], rule)
    return {name: published[name] for name in PUBLISHED}


def publish_question_summary(summary: pd.DataFrame, crosstab_group: pd.DataFrame,
                             rule: SuppressionRule) -> pd.DataFrame:
    """Every question's overall figures, suppressed as the other published tables are.

    A closed question's rows are the 'all' column of the suppressed crosstab_group (the same figures, by
    the same rule), so no cell hidden there can be read here. An open question has one 'answered' row:
    how many answered it, of those asked; a small count or base is hidden with the percent, and a small
    base hides the count too. Its Welsh label comes from the outputs' own wording.
    """
    overall = crosstab_group[crosstab_group["respondent_group"] == ALL]
    closed = overall.drop(columns="respondent_group")[SUMMARY_COLUMNS].reset_index(drop=True)
    answered = summary[summary["option_code"] == ANSWERED_CODE].reset_index(drop=True)
    base_hidden = primary(answered["base"].to_numpy(float), rule)
    count_hidden = primary(answered["count"].to_numpy(float), rule) | base_hidden
    answered = answered.assign(
        label_cy=words("cy")["answered"], count=masked(answered["count"], count_hidden, rule.marker),
        base=masked(answered["base"], base_hidden, rule.marker),
        percent=masked(answered["percent"], count_hidden, rule.marker))[SUMMARY_COLUMNS]
    order = {q: i for i, q in enumerate(dict.fromkeys(summary["question_id"]))}
    table = pd.concat([closed, answered], ignore_index=True)
    position = np.lexsort((np.arange(len(table)), table["question_id"].map(order).to_numpy()))
    return table.iloc[position].reset_index(drop=True)


def small_counts_left(published: dict[str, pd.DataFrame], rule: SuppressionRule) -> dict[str, int]:
    """Per table, how many numbers from 1 to threshold-1 are still shown (all should be 0)."""
    return {name: unsuppressed_small_counts(frame, COUNT_COLUMNS.get(name, []), rule)
            for name, frame in published.items()}
