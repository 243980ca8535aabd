"""Summary tables over the deduplicated responses."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey_app.definition import SURVEY_TIMEZONE, Question, Survey

from .answers import ticked_matrix
from .clean import shown_mask
from .redact import redact

SUMMARY_COLUMNS = ["survey_id", "question_id", "question_type", "option_code", "label_en", "label_cy",
                   "count", "base", "percent"]
ANSWERED_CODE = "answered"
ANSWERED_LABEL = "Answered"
UNKNOWN = "unknown"


def question_summary(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str]) -> pd.DataFrame:
    """Every option of every closed question (and an 'answered' row for open ones), counted over the base.

    The base is the respondents who were asked the question and answered it, so
    multiple-choice percents are of respondents, not of ticks.
    """
    key = pd.Series(pd.Categorical(np.zeros(len(frame), dtype=np.int8), categories=[0]), index=frame.index)
    return _summarise(frame, survey, welsh, key).drop(columns="breakdown")


def summary_by(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str], column: str,
               categories: list[str], name: str) -> pd.DataFrame:
    """The same figures broken down by one column; missing values form the group 'unknown'."""
    values = frame[column].astype("string").fillna(UNKNOWN)
    key = pd.Series(pd.Categorical(values, categories=categories + [UNKNOWN]), index=frame.index)
    table = _summarise(frame, survey, welsh, key).rename(columns={"breakdown": name})
    return table[["survey_id", name] + SUMMARY_COLUMNS[1:]]


def group_categories(survey: Survey) -> list[str]:
    return list(survey.question("respondent_group").option_codes)


def area_categories(survey: Survey) -> list[str]:
    return [c for c in survey.question("local_authority").option_codes if c != "prefer_not"]


def _summarise(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str], key: pd.Series) -> pd.DataFrame:
    parts = []
    for q in survey.questions:
        counts, base = _counts(frame, survey, q, key)
        labels = {code: q.option_label(code) for code in q.option_codes} if q.is_closed \
            else {ANSWERED_CODE: ANSWERED_LABEL}
        long = counts.stack().rename("count").reset_index()
        long.columns = ["breakdown", "option_code", "count"]
        long["base"] = long["breakdown"].map(base).astype("int64")
        long["question_id"] = q.id
        long["question_type"] = q.type
        long["label_en"] = long["option_code"].map(labels)
        long["label_cy"] = long["label_en"].map(welsh)
        parts.append(long)
    table = pd.concat(parts, ignore_index=True)
    table["count"] = table["count"].astype("int64")
    table["percent"] = (100 * table["count"] / table["base"].where(table["base"] > 0)).round(2)
    table["breakdown"] = table["breakdown"].astype("string")
    table["survey_id"] = survey.slug
    return table[["survey_id", "breakdown"] + SUMMARY_COLUMNS[1:]]


def _counts(frame: pd.DataFrame, survey: Survey, q: Question, key: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """(breakdown x option counts, base per breakdown) for one question."""
    if q.type in ("single", "likert"):
        codes = pd.Series(pd.Categorical(frame[q.id], categories=list(q.option_codes)), index=frame.index)
        return _code_counts(key, codes), codes.notna().groupby(key, observed=False).sum()
    if q.type == "multiple":
        ticks = ticked_matrix(frame[q.id], q)
        counts = ticks.groupby(key, observed=False).sum()
        base = frame[q.id].notna().groupby(key, observed=False).sum()
        return counts, base
    answered = frame["email_key"].notna() if q.personal else frame[q.id].notna()
    section = survey.section(q.section_id)
    asked = shown_mask(frame, survey, section.show_if.question, section.show_if.any_of) \
        if section.show_if else pd.Series(True, index=frame.index)
    counts = answered.groupby(key, observed=False).sum().to_frame(ANSWERED_CODE)
    return counts, asked.groupby(key, observed=False).sum()


def _code_counts(key: pd.Series, codes: pd.Series) -> pd.DataFrame:
    """Breakdown x option counts of two categoricals, by one bincount over their integer codes.

    pd.crosstab does the same, but walks the categoricals value by value in Python.
    """
    rows, columns = key.cat.categories, codes.cat.categories
    k, c = key.cat.codes.to_numpy(), codes.cat.codes.to_numpy()
    both = (k >= 0) & (c >= 0)
    counts = np.bincount(k[both].astype(np.int64) * len(columns) + c[both], minlength=len(rows) * len(columns))
    return pd.DataFrame(counts.reshape(len(rows), len(columns)).astype(np.int64), index=rows, columns=columns)


def free_text_columns(survey: Survey) -> list[tuple[str, str]]:
    """(stored column, question id) for every free-text answer, including 'other, please say' text."""
    columns = []
    for q in survey.questions:
        if q.is_free_text:
            columns.append((q.id, q.id))
        if q.other:
            columns.append((q.other_column, q.id))
    return columns


def free_text(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Every free-text answer, one row each, with contact details redacted."""
    parts = []
    context = ["id", "language", "respondent_group", "area", "campaign_id"]
    for column, question_id in free_text_columns(survey):
        # Only the columns needed: a filtered copy of every column would cost a response table per question.
        answered = frame.loc[frame[column].notna(), [*context, column]]
        parts.append(pd.DataFrame({
            "response_id": answered["id"].astype("int64"), "question_id": question_id, "column": column,
            "language": answered["language"].astype("string"),
            "respondent_group": answered["respondent_group"].astype("string"),
            "area": answered["area"].astype("string"), "campaign_id": answered["campaign_id"],
            "text": redact(answered[column]),
        }))
    table = pd.concat(parts, ignore_index=True)
    table.insert(0, "survey_id", survey.slug)
    return table


def response_volume(frame: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """Responses per day (survey time zone) by language, link token and the link's organisation."""
    submitted = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    keys = pd.DataFrame({
        "day": submitted.dt.tz_convert(SURVEY_TIMEZONE).dt.strftime("%Y-%m-%d"),
        "language": frame["language"].astype("string"),
        "link_token": frame["link_token"].astype("string"),
        "organisation": frame["link_organisation"].astype("string"),
    })
    table = keys.groupby(list(keys.columns), dropna=False).size().rename("responses").reset_index()
    table = table.sort_values(["day", "language", "link_token"], na_position="first", ignore_index=True)
    table.insert(0, "survey_id", survey.slug)
    return table
