"""Crosstabs of every closed question by one breakdown, with Wilson confidence intervals."""
from __future__ import annotations

import numpy as np
import pandas as pd

from survey_app.definition import Survey

from .aggregate import UNKNOWN, summaries

ALL = "all"
Z_95 = 1.959963984540054
CLOSED_TYPES = ("single", "multiple", "likert")
CROSSTAB_VALUES = ["count", "base", "percent", "ci_low", "ci_high"]


def wilson_interval(count, base, z: float = Z_95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for count/base as proportions (NaN where the base is 0).

    Wilson rather than the normal approximation because it stays inside 0-1 and
    behaves at the small bases and extreme percents that breakdowns produce.
    """
    count = np.asarray(count, dtype=float)
    base = np.asarray(base, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = count / base
        denominator = 1 + z * z / base
        centre = (p + z * z / (2 * base)) / denominator
        half = z * np.sqrt(p * (1 - p) / base + z * z / (4 * base * base)) / denominator
    low, high = centre - half, centre + half
    empty = base <= 0
    return np.where(empty, np.nan, np.clip(low, 0, 1)), np.where(empty, np.nan, np.clip(high, 0, 1))


def crosstab(frame: pd.DataFrame, survey: Survey, welsh: dict[str, str], column: str,
             categories: list[str], name: str) -> pd.DataFrame:
    """Every closed question by one breakdown, with an 'all' column first.

    Percents are column percents (of each category's base) with a 95% Wilson
    interval in percentage points; the 'all' rows are the row totals.
    """
    overall, by = summaries(frame, survey, welsh, [None, (column, categories, name)], types=CLOSED_TYPES)
    overall.insert(1, name, ALL)
    table = pd.concat([overall, by[overall.columns]], ignore_index=True)
    low, high = wilson_interval(table["count"], table["base"])
    table["ci_low"] = (100 * low).round(2)
    table["ci_high"] = (100 * high).round(2)
    order = {value: i for i, value in enumerate([ALL] + categories + [UNKNOWN])}
    questions = {q.id: i for i, q in enumerate(survey.questions)}
    options = {(q.id, code): i for q in survey.questions for i, code in enumerate(q.option_codes)}
    table = table.assign(_q=table["question_id"].map(questions), _b=table[name].map(order),
                         _o=[options[k] for k in zip(table["question_id"], table["option_code"])])
    table = table.sort_values(["_q", "_b", "_o"], ignore_index=True).drop(columns=["_q", "_b", "_o"])
    table[name] = table[name].astype("string")
    labels = {q.id: q.label for q in survey.questions}
    table.insert(3, "question_en", table["question_id"].map(labels))
    table.insert(4, "question_cy", table["question_en"].map(welsh))
    return table


def languages(frame: pd.DataFrame) -> list[str]:
    """Welsh first, then English, then any other language a response was recorded in."""
    present = set(pd.Series(frame["language"].dropna().unique()).astype(str))
    return ["cy", "en"] + sorted(present - {"cy", "en"})
