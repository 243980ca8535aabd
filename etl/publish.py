"""The suppressed versions of the analysis tables: what goes to Excel, CSV and the report.

Not published: summary_by_group and summary_by_area hold the crosstabs' figures again (without the
intervals and the 'all' column), and suppressed on their own, a different cell could be hidden in each
of two tables of the same figures; response_volume lists the providers' link tokens, which are how a
response is attributed to a provider, by day, and is the operators' view of the collection, not a finding.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey_app.definition import Survey

from .aggregate import ANSWERED_CODE, SUMMARY_COLUMNS, UNKNOWN
from .crosstab import ALL
from .labels import welsh_label
from .profile import FIXED_LABELS
from .suppression import SuppressionRule, masked, primary, suppress_counts, suppress_crosstab, unsuppressed_small_counts
from .wording import LANGUAGES, words

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


# The code columns of the published tables that get an English and a Welsh label beside them.
BREAKDOWNS = ("dimension", "respondent_group", "local_authority", "language")


@dataclass(frozen=True)
class Labels:
    """English and Welsh names for the codes in the published tables: questions and breakdown categories."""
    questions: dict[str, tuple[str, str | None]]            # question id -> (English, Welsh or None)
    breakdowns: dict[str, dict[str, tuple[str, str]]]       # column -> code -> (English, Welsh)

    @classmethod
    def of(cls, survey: Survey, welsh: dict[str, str]) -> "Labels":
        """From the survey definition (groups and local authorities) and its Welsh catalog, with the outputs'
        own wording for 'all', 'not known', the languages and the profile's dimensions."""
        fixed = {code: FIXED_LABELS[code] for code in (ALL, UNKNOWN)}
        breakdowns = {"language": fixed | {code: FIXED_LABELS[code] for code in LANGUAGES},
                      "dimension": {d: (words("en")[f"dimension_{d}"], words("cy")[f"dimension_{d}"])
                                    for d in ("respondent_group", "local_authority", "language", "channel")}}
        for column in ("respondent_group", "local_authority"):
            question = survey.question(column)
            breakdowns[column] = fixed | {
                o.code: (o.label, welsh_label(welsh, o.label, question.option_context) or o.label)
                for o in question.options}
        return cls({q.id: (q.label, welsh.get(q.label)) for q in survey.questions}, breakdowns)


def with_labels(table: pd.DataFrame, labels: Labels) -> pd.DataFrame:
    """The table with <column>_label_en and <column>_label_cy after each breakdown column (a code without a
    label is its own label)."""
    table = table.copy()
    for column in BREAKDOWNS:
        if column not in table:
            continue
        names = labels.breakdowns.get(column, {})
        codes = table[column].astype(object)
        position = table.columns.get_loc(column)
        for i, language in enumerate(LANGUAGES):
            table.insert(position + 1 + i, f"{column}_label_{language}",
                         [None if pd.isna(code) else names.get(code, (code, code))[i] for code in codes])
    return table


def publish(tables: dict[str, pd.DataFrame], rule: SuppressionRule, labels: Labels) -> dict[str, pd.DataFrame]:
    """Suppressed copies of the analysis tables, in the workbook's order, with their codes labelled."""
    published = {"respondent_profile": suppress_counts(
        tables["respondent_profile"], "respondents", tables["respondent_profile"]["category"] == ALL,
        ["dimension"], rule, derived=("percent",))}
    for name, breakdown in CROSSTABS.items():
        published[name] = suppress_crosstab(tables[name], breakdown, rule)
    published["question_summary"] = publish_question_summary(tables["question_summary"], published["crosstab_group"],
                                                             rule, labels)
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
    return {name: with_labels(published[name], labels) for name in PUBLISHED}


QUESTION_SUMMARY_COLUMNS = [*SUMMARY_COLUMNS[:2], "question_en", "question_cy", *SUMMARY_COLUMNS[2:]]


def publish_question_summary(summary: pd.DataFrame, crosstab_group: pd.DataFrame, rule: SuppressionRule,
                             labels: Labels) -> pd.DataFrame:
    """Every question's overall figures, suppressed as the other published tables are.

    A closed question's rows are the 'all' column of the suppressed crosstab_group (the same figures, by
    the same rule), so no cell hidden there can be read here. An open question has one 'answered' row:
    how many answered it, of those asked; a small count or base is hidden with the percent, and a small
    base hides the count too. Its Welsh label comes from the outputs' own wording.
    """
    overall = crosstab_group[crosstab_group["respondent_group"] == ALL]
    closed = overall[QUESTION_SUMMARY_COLUMNS].reset_index(drop=True)
    answered = summary[summary["option_code"] == ANSWERED_CODE].reset_index(drop=True)
    base_hidden = primary(answered["base"].to_numpy(float), rule)
    count_hidden = primary(answered["count"].to_numpy(float), rule) | base_hidden
    answered = answered.assign(
        question_en=[labels.questions[q][0] for q in answered["question_id"]],
        question_cy=[labels.questions[q][1] for q in answered["question_id"]], label_cy=words("cy")["answered"],
        count=masked(answered["count"], count_hidden, rule.marker),
        base=masked(answered["base"], base_hidden, rule.marker),
        percent=masked(answered["percent"], count_hidden, rule.marker))[QUESTION_SUMMARY_COLUMNS]
    order = {q: i for i, q in enumerate(dict.fromkeys(summary["question_id"]))}
    table = pd.concat([closed, answered], ignore_index=True)
    position = np.lexsort((np.arange(len(table)), table["question_id"].map(order).to_numpy()))
    return table.iloc[position].reset_index(drop=True)


def small_counts_left(published: dict[str, pd.DataFrame], rule: SuppressionRule) -> dict[str, int]:
    """Per table, how many numbers from 1 to threshold-1 are still shown (all should be 0)."""
    return {name: unsuppressed_small_counts(frame, COUNT_COLUMNS.get(name, []), rule)
            for name, frame in published.items()}
