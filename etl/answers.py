"""Vectorised helpers for stored answers (multiple choice is JSON list text).

Answers repeat: a million responses hold a few hundred distinct multiple-choice
lists and a few distinct codes per question. Per-value rules are therefore worked
out once per distinct value (`distinct_values`) and spread back to the rows by
position, instead of once per row.
"""
from __future__ import annotations

import json
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from survey_app.definition import Question, Survey

from .text import ASCII_SPACE, contains_regex

# A JSON list of plain strings, as storage writes it; anything else gets a full json.loads.
_SIMPLE_JSON_LIST = r'\A\[\s*(?:"[^"\\]*"\s*(?:,\s*"[^"\\]*"\s*)*)?\]\Z'
# The same for RE2 on ASCII text (see etl/text.py); RE2's $ is the end of the text, like \Z.
_ASCII_SIMPLE_JSON_LIST = _SIMPLE_JSON_LIST.replace(r"\s", f"[{ASCII_SPACE}]").replace(r"\A", "^").replace(r"\Z", "$")


def distinct_values(values: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """(position of each row's value among the distinct values, the distinct values), missing included.

    `uniques.iloc[codes]` gives back the column. Text and categorical columns are
    factorised; in an object column of mixed types, values pandas hashes as equal
    (1, 1.0, True) can read differently, so such a column is its own list of distinct values.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        categories = len(values.cat.categories)
        codes = values.cat.codes.to_numpy()
        uniques = pd.Categorical.from_codes(np.append(np.arange(categories), -1), dtype=values.dtype)
        return np.where(codes < 0, categories, codes), pd.Series(uniques, name=values.name)
    if isinstance(values.dtype, pd.StringDtype) or (
            values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty")):
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        return codes, pd.Series(uniques, dtype=values.dtype, name=values.name)
    return np.arange(len(values)), values.reset_index(drop=True)


def per_distinct(values: pd.Series, rule: Callable[[pd.Series], pd.Series | np.ndarray]) -> pd.Series:
    """rule(values), worked out once per distinct value; rule must act on each value alone."""
    codes, uniques = distinct_values(values)
    result = rule(uniques)
    array = result.array if isinstance(result, pd.Series) else np.asarray(result)
    return pd.Series(array.take(codes), index=values.index, name=getattr(result, "name", None))


def unparseable_json(values: pd.Series) -> pd.Series:
    """True where a stored value is not a JSON list of strings (missing values are fine)."""
    return per_distinct(values, _unparseable_json).astype(bool)


def _unparseable_json(values: pd.Series) -> np.ndarray:
    text = values.astype("string")
    simple = (contains_regex(text, _SIMPLE_JSON_LIST, _ASCII_SIMPLE_JSON_LIST) | text.isna()).to_numpy()
    bad = np.zeros(len(text), dtype=bool)
    for position in np.flatnonzero(~simple):
        try:
            parsed = json.loads(text.iloc[position])
        except ValueError:
            bad[position] = True
            continue
        bad[position] = not (isinstance(parsed, list) and all(isinstance(v, str) for v in parsed))
    return bad


def option_ticked(values: pd.Series, code: str) -> pd.Series:
    """True where the JSON list text holds this option code."""
    return values.astype("string").str.contains(f'"{code}"', regex=False).fillna(False).astype(bool)


def ticked_matrix(values: pd.Series, question: Question) -> pd.DataFrame:
    codes, uniques = distinct_values(values)
    return pd.DataFrame({code: option_ticked(uniques, code).to_numpy()[codes] for code in question.option_codes},
                        index=values.index)


def codes_ticked_count(values: pd.Series) -> pd.Series:
    """How many codes each list holds, known or not (each code is one quoted string)."""
    return (values.astype("string").str.count('"').fillna(0) // 2).astype("int64")


def tidy_multiple(values: pd.Series, question: Question) -> tuple[pd.Series, np.ndarray]:
    """Canonical JSON list text of the known codes (an exclusive option alone wins), and True where
    the stored list held a code that did not survive (unknown, or ticked beside an exclusive option)."""
    codes, uniques = distinct_values(values)
    ticks = pd.DataFrame({code: option_ticked(uniques, code) for code in question.option_codes})
    if question.exclusive:
        # An exclusive option ("none of these") alone is the answer if it was ticked with others.
        exclusive = ticks[list(question.exclusive)].any(axis=1)
        others = [c for c in ticks.columns if c not in question.exclusive]
        ticks.loc[exclusive, others] = False
    bad = (codes_ticked_count(uniques) > ticks.sum(axis=1)).to_numpy()
    texts = json_list_from_ticks(ticks)
    return pd.Series(texts.array.take(codes), index=values.index), bad[codes]


def json_list_from_ticks(ticks: pd.DataFrame) -> pd.Series:
    """Canonical JSON list text (definition order) from a ticked matrix; no ticks -> missing.

    Each distinct combination of ticks is written once and then spread to its rows.
    """
    combination = ticks.groupby(list(ticks.columns), sort=False).ngroup().to_numpy()
    first = pd.Series(np.arange(len(ticks))).groupby(combination, sort=True).first().to_numpy()
    codes = list(ticks.columns)
    texts = pd.array([("[" + ",".join(f'"{code}"' for code, ticked in zip(codes, row) if ticked) + "]")
                      if row.any() else None for row in ticks.to_numpy(dtype=bool)[first]], dtype="string")
    return pd.Series(texts.take(combination), index=ticks.index)


def as_codes(values: pd.Series, question: Question) -> pd.Categorical:
    """Single or Likert answers as a categorical over the question's option codes (anything else missing)."""
    codes = list(question.option_codes)
    if isinstance(values.dtype, pd.StringDtype):
        # Each value's place among the codes, in one pass over the Arrow strings.
        found = pc.index_in(pa.array(values.array), value_set=pa.array(codes, pa.large_string()))
        return pd.Categorical.from_codes(pc.fill_null(found, -1).to_numpy(), categories=codes)
    positions, uniques = distinct_values(values)
    known = uniques.isin(codes).to_numpy()
    category = np.where(known, pd.Index(codes).get_indexer(uniques.where(known)), -1)
    return pd.Categorical.from_codes(category[positions], categories=codes)


def routing_question_ids(survey: Survey) -> set[str]:
    """Questions that only decide which pages are shown (a show_if refers to them)."""
    return {s.show_if.question for s in survey.sections if s.show_if is not None}


def spread_text(mask: np.ndarray, values: pd.Series | str, index: pd.Index) -> pd.Series:
    """Text at the rows mask selects (values holds one per selected row, in order), missing elsewhere."""
    mask = np.asarray(mask, dtype=bool)
    if isinstance(values, str):
        values = pd.Series([values], dtype="string")
        position = np.where(mask, 0, -1)
    else:
        position = np.where(mask, np.cumsum(mask) - 1, -1)
    return pd.Series(values.astype("string").array.take(position, allow_fill=True), index=index)


def join_texts(pieces: list[pd.Series], index: pd.Index, sep: str = "; ") -> pd.Series:
    """Each row's present pieces joined by sep, in order; missing where it has none."""
    if not pieces:
        return pd.Series(pd.NA, index=index, dtype="string")
    separator = pa.scalar(sep, pa.large_string())
    joined = None
    for piece in pieces:
        text = pa.array(piece.astype("string").array)
        # Both present: joined; one present: that one (binary_join_element_wise's "skip" would do
        # this in one call, but drops the rows where every piece is missing).
        joined = text if joined is None else pc.coalesce(pc.binary_join_element_wise(joined, text, separator),
                                                         joined, text)
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=index)
