"""The suppressed versions of the analysis tables: what goes to Excel, CSV and the report."""
from __future__ import annotations

import pandas as pd

from .crosstab import ALL
from .suppression import SuppressionRule, suppress_counts, suppress_crosstab, unsuppressed_small_counts

CROSSTABS = {"crosstab_group": "respondent_group", "crosstab_area": "local_authority",
             "crosstab_language": "language"}
PUBLISHED = ["respondent_profile", *CROSSTABS, "free_text_themes", "theme_examples", "free_text_campaigns"]
# The columns of each published table that count people (or answers), which the rule protects.
COUNT_COLUMNS = {
    "respondent_profile": ["respondents"],
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


def small_counts_left(published: dict[str, pd.DataFrame], rule: SuppressionRule) -> dict[str, int]:
    """Per table, how many numbers from 1 to threshold-1 are still shown (all should be 0)."""
    return {name: unsuppressed_small_counts(frame, COUNT_COLUMNS.get(name, []), rule)
            for name, frame in published.items()}
