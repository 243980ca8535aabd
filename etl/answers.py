"""Vectorised helpers for stored answers (multiple choice is JSON list text)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd

from survey_app.definition import Question, Survey

from .text import ASCII_SPACE, contains_regex

# A JSON list of plain strings, as storage writes it; anything else gets a full json.loads.
_SIMPLE_JSON_LIST = r'\A\[\s*(?:"[^"\\]*"\s*(?:,\s*"[^"\\]*"\s*)*)?\]\Z'
# The same for RE2 on ASCII text (see etl/text.py); RE2's $ is the end of the text, like \Z.
_ASCII_SIMPLE_JSON_LIST = _SIMPLE_JSON_LIST.replace(r"\s", f"[{ASCII_SPACE}]").replace(r"\A", "^").replace(r"\Z", "$")


def unparseable_json(values: pd.Series) -> pd.Series:
    """True where a stored value is not a JSON list of strings (missing values are fine)."""
    text = values.astype("string")
    simple = contains_regex(text, _SIMPLE_JSON_LIST, _ASCII_SIMPLE_JSON_LIST) | text.isna()
    bad = pd.Series(False, index=values.index)
    for index, value in text[~simple].items():
        try:
            parsed = json.loads(value)
        except ValueError:
            bad[index] = True
            continue
        bad[index] = not (isinstance(parsed, list) and all(isinstance(v, str) for v in parsed))
    return bad


def option_ticked(values: pd.Series, code: str) -> pd.Series:
    """True where the JSON list text holds this option code."""
    return values.astype("string").str.contains(f'"{code}"', regex=False).fillna(False).astype(bool)


def ticked_matrix(values: pd.Series, question: Question) -> pd.DataFrame:
    return pd.DataFrame({code: option_ticked(values, code) for code in question.option_codes},
                        index=values.index)


def codes_ticked_count(values: pd.Series) -> pd.Series:
    """How many codes each list holds, known or not (each code is one quoted string)."""
    return (values.astype("string").str.count('"').fillna(0) // 2).astype("int64")


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
    return pd.Categorical(values.where(values.isin(codes)), categories=codes)


def routing_question_ids(survey: Survey) -> set[str]:
    """Questions that only decide which pages are shown (a show_if refers to them)."""
    return {s.show_if.question for s in survey.sections if s.show_if is not None}


def concat_where(parts: pd.Series, mask: pd.Series | np.ndarray, piece: pd.Series | str) -> pd.Series:
    """Append piece to each string where mask holds (building per-row lists without a Python loop).

    Only the masked rows are concatenated: flags and reasons hold for few rows.
    """
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return parts
    out = parts.copy()
    out[mask] = parts[mask] + (piece[mask] if isinstance(piece, pd.Series) else piece)
    return out
