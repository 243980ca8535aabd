"""Clean raw responses: quarantine corrupt rows, tidy answers, derive areas and flag quality.

Flags never delete a row; only a row with a stored value in a shape the app never
writes (JSON that cannot be parsed, bytes that are not UTF-8 text, a number that is
not whole, a submission time that is not a date and time) is set aside
(quarantined) and reported by id.

Columns are worked on one at a time, as arrays: the cleaned table shares the raw
table's unchanged columns rather than copying them, per-value rules run once per
distinct value (see etl/answers.py), and reason text is written only for the rows
a flag holds for.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from survey_app.definition import Survey

from .answers import (as_codes, join_texts, per_distinct, routing_question_ids,
                      spread_text, tidy_multiple, ticked_matrix, unparseable_json)
from .postcodes import invalid_outward_codes, local_authority_of, normalise_outward_codes
from .read import is_bytes_type

METADATA_COLUMNS = [
    "id", "survey_id", "survey_version", "reference", "submission_key", "started_at", "submitted_at",
    "language", "duration_seconds", "link_token", "link_organisation", "link_channel", "fingerprint",
    "email_key",
]
FLAG_NAMES = ["speeder", "straightliner", "empty", "old_version", "invalid_answer",
              "branch_answer_removed", "invalid_postcode", "intake"]
GRID_MIN_ITEMS = 4
LOCAL_AUTHORITY_QUESTION = "local_authority"
POSTCODE_QUESTION = "postcode_district"
# Answers to the local-authority question that name no authority.
NO_AREA_CODES = {"prefer_not"}


@dataclass
class CleanResult:
    responses: pd.DataFrame
    quarantined: pd.DataFrame


def clean_responses(raw: pd.DataFrame, survey: Survey) -> CleanResult:
    quarantined, bad_ids = find_corrupt_rows(raw, survey)
    # Only a table with corrupt rows is filtered (a copy); otherwise the columns are shared with raw.
    frame = raw[~raw["id"].isin(bad_ids)].reset_index(drop=True) if bad_ids else raw.reset_index(drop=True)
    frame = bytes_as_text(frame)   # what is left of a column of bytes is UTF-8 (the rest is quarantined)
    reasons: dict[str, pd.Series] = {}

    old_version, old_reason = old_version_rows(frame, survey)
    reasons["old_version"] = old_reason.where(old_version)
    answers, invalid = tidy_answers(frame, survey)
    reasons["invalid_answer"] = invalid
    answers, removed = remove_unshown_answers(answers, survey)
    reasons["branch_answer_removed"] = removed

    out = pd.concat([frame.reindex(columns=METADATA_COLUMNS), answers], axis=1)
    postcode_bad = invalid_outward_codes(frame[POSTCODE_QUESTION]).to_numpy() if POSTCODE_QUESTION in frame \
        else np.zeros(len(frame), dtype=bool)
    reasons["invalid_postcode"] = spread_text(postcode_bad, "postcode district is not an outward code", frame.index)
    out["postcode_local_authority"] = local_authority_of(out[POSTCODE_QUESTION]) \
        if POSTCODE_QUESTION in out else pd.NA
    out["area"] = derive_area(out)

    reasons["speeder"] = speeder_reasons(frame["duration_seconds"])
    reasons["straightliner"] = straightliner_reasons(answers, survey)
    reasons["empty"] = empty_reasons(out, survey)
    reasons["intake"] = intake_reasons(frame["quality_flags"])
    out = pd.concat([out, flag_columns(reasons, frame["quality_flags"])], axis=1)
    return CleanResult(responses=out, quarantined=quarantined)


PROBLEM_NOT_TEXT = "stored value is not UTF-8 text"
PROBLEM_NOT_JSON = "stored value is not a JSON list of codes"
PROBLEM_NOT_WHOLE = "stored number is not a whole number"
PROBLEM_NOT_TIME = "stored value is not a date and time"


def find_corrupt_rows(raw: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, set[int]]:
    """Rows holding a value in a shape the app never writes, one row per (response, column):
    bytes that are not UTF-8 text, multiple-choice answers or intake flags that are not readable
    JSON lists, a number that is not whole, or a submission time that cannot be read.

    Every test is vectorised (or run once per distinct value); a table without such values
    costs a pass over these columns and nothing more.
    """
    problems = []

    def found(bad: np.ndarray | pd.Series, column: str, problem: str) -> None:
        bad = np.asarray(bad, dtype=bool)
        if bad.any():
            problems.append(pd.DataFrame({
                "response_id": raw.loc[bad, "id"].astype("int64"),
                "reference": readable_text(raw["reference"])[bad],
                "column": column,
                "problem": problem,
            }))

    for column in raw.columns:
        if is_bytes(raw[column]):
            found(raw[column].notna().to_numpy() & ~is_utf8(raw[column]), column, PROBLEM_NOT_TEXT)
    json_columns = [q.id for q in survey.questions if q.type == "multiple" and q.id in raw]
    for column in [*json_columns, "quality_flags"]:
        found(unparseable_json(readable_text(raw[column])), column, PROBLEM_NOT_JSON)
    for q in survey.questions:
        if q.type == "number" and q.id in raw and not q.personal:
            found(not_whole(raw[q.id]), q.id, PROBLEM_NOT_WHOLE)
    found(submitted_times(readable_text(raw["submitted_at"])).isna(), "submitted_at", PROBLEM_NOT_TIME)
    if not problems:
        empty = pd.DataFrame({"survey_id": pd.Series(dtype="string"), "response_id": pd.Series(dtype="int64"),
                              "reference": pd.Series(dtype="string"), "column": pd.Series(dtype="string"),
                              "problem": pd.Series(dtype="string")})
        return empty, set()
    table = pd.concat(problems, ignore_index=True).sort_values(["response_id", "column"], ignore_index=True)
    table.insert(0, "survey_id", survey.slug)
    return table, set(table["response_id"])


def is_bytes(values: pd.Series) -> bool:
    """A column read as bytes: it holds a value that is not UTF-8 text (see etl.read.as_text_if_utf8)."""
    return isinstance(values.dtype, pd.ArrowDtype) and is_bytes_type(values.dtype.pyarrow_dtype)


# Valid UTF-8, byte by byte (RFC 3629: no overlong forms, no surrogates, nothing past U+10FFFF). Arrow runs
# a pattern over bytes with each byte as one Latin-1 character, so the whole column is tested in one pass.
_UTF8 = (r"^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]"
         r"|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}"
         r"|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*$")


def is_utf8(values: pd.Series) -> np.ndarray:
    """True where a value of a bytes column is UTF-8 text (missing values too)."""
    valid = pc.match_substring_regex(pa.array(values.array), _UTF8)
    return pc.fill_null(valid, True).to_numpy(zero_copy_only=False)


def readable_text(values: pd.Series) -> pd.Series:
    """A bytes column as text, values that are not UTF-8 missing; any other column as it is."""
    if not is_bytes(values):
        return values
    array = pa.array(values.array)
    kept = pc.if_else(pa.array(is_utf8(values)), array, pa.scalar(None, array.type))
    return pd.Series(pd.arrays.ArrowStringArray(kept.cast(pa.large_string())), index=values.index, name=values.name)


def bytes_as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with each bytes column as text (see readable_text); without one, the frame itself."""
    columns = [column for column in frame.columns if is_bytes(frame[column])]
    if not columns:
        return frame
    return frame.assign(**{column: readable_text(frame[column]) for column in columns})


def not_whole(values: pd.Series) -> np.ndarray:
    """True where a number answer is a number, but not a whole one (3.7, or infinite); text that is
    no number at all is an invalid answer, flagged later, not a corrupt row."""
    if pd.api.types.is_integer_dtype(values.dtype):
        return np.zeros(len(values), dtype=bool)
    numbers = pd.to_numeric(readable_text(values), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        return ~np.isnan(numbers) & ~(np.isfinite(numbers) & (np.floor(numbers) == numbers))


def submitted_times(values: pd.Series) -> pd.Series:
    """Submission times (ISO 8601, as stored) in UTC; missing where a value is not a date and time.
    The one reading of a stored time: rows it cannot read are quarantined, and what it reads is counted."""
    return pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce")


def old_version_rows(frame: pd.DataFrame, survey: Survey) -> tuple[pd.Series, pd.Series]:
    """Rows stored under another definition version, or answering questions it no longer has."""
    version = pd.to_numeric(frame["survey_version"], errors="coerce")
    other_version = (version != survey.version).fillna(True).astype(bool).to_numpy()
    pieces = []
    if other_version.any():
        stored = version[other_version].astype("string").fillna("?")
        pieces.append(spread_text(other_version, "stored under definition version " + stored
                                  + f" (current {survey.version})", frame.index))
    current = set(survey.answer_columns()) | set(METADATA_COLUMNS) | {"quality_flags"}
    for column in [c for c in frame.columns if c not in current]:
        stale = frame[column].notna().to_numpy()
        if stale.any():
            pieces.append(spread_text(stale, f"answers question '{column}' not in version {survey.version}",
                                      frame.index))
    reason = join_texts(pieces, frame.index)
    return reason.notna(), reason


def tidy_answers(frame: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, pd.Series]:
    """Answer columns of the current definition: codes checked, text NFC-normalised and trimmed."""
    columns: dict[str, pd.Series] = {}
    invalid = []
    for q in survey.questions:
        if q.personal:
            continue
        values = frame[q.id] if q.id in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
        if q.type in ("single", "likert"):
            codes = as_codes(values, q)
            bad = values.notna().to_numpy() & (codes.codes < 0)
            columns[q.id] = pd.Series(codes, index=frame.index)
        elif q.type == "multiple":
            columns[q.id], bad = tidy_multiple(values, q)
        elif q.type == "number":
            # Only numbers in range are made whole numbers: one beyond int64 (or a fraction, which
            # quarantine has left out) would fail the conversion.
            numbers = pd.to_numeric(values, errors="coerce")
            in_range = numbers.between(q.min, q.max).fillna(False).astype(bool)
            bad = (values.notna() & ~in_range).to_numpy()
            columns[q.id] = numbers.where(in_range).astype("Int64")
        elif q.type == "postcode":
            columns[q.id] = normalise_outward_codes(values)
            bad = None
        else:
            columns[q.id] = tidy_text(values)
            bad = None
        if bad is not None and bad.any():
            invalid.append(spread_text(bad, f"'{q.id}' answer not valid", frame.index))
        if q.other:
            other_text = frame[q.other_column] if q.other_column in frame else pd.Series(pd.NA, index=frame.index)
            columns[q.other_column] = tidy_text(other_text)
    return pd.DataFrame(columns, index=frame.index), join_texts(invalid, frame.index)


def tidy_text(values: pd.Series) -> pd.Series:
    """NFC-normalised and trimmed; blank becomes missing. Text that needs neither is passed on as it is."""
    text = values.astype("string")
    array = pa.array(text.array)
    # Text that is all ASCII is already NFC; only the rest goes through Python's unicodedata.
    others = np.flatnonzero(~pc.fill_null(pc.string_is_ascii(array), True).to_numpy(zero_copy_only=False))
    if len(others):
        stored = array.take(pa.array(others)).to_pylist()
        normalised = [unicodedata.normalize("NFC", value) for value in stored]
        changed = [i for i, (a, b) in enumerate(zip(stored, normalised)) if a != b]
        if changed:
            text = text.copy()
            text.iloc[others[changed]] = [normalised[i] for i in changed]
            array = pa.array(text.array)
    trimmed = pc.utf8_trim_whitespace(array)
    length = pc.binary_length(trimmed)
    if not pc.any(pc.or_(pc.not_equal(length, pc.binary_length(array)), pc.equal(length, 0))).as_py():
        return text
    blank_to_missing = pc.if_else(pc.equal(length, 0), pa.scalar(None, pa.large_string()), trimmed)
    return pd.Series(pd.arrays.ArrowStringArray(blank_to_missing), index=values.index, name=values.name)


def remove_unshown_answers(answers: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, pd.Series]:
    """Clear answers to pages the respondent's own answers would not have shown them."""
    removed = []
    for section in survey.sections:
        if section.show_if is None:
            continue
        shown = shown_mask(answers, survey, section.show_if.question, section.show_if.any_of).to_numpy()
        for q in section.questions:
            for column in (q.id, q.other_column if q.other else None):
                if column is None or column not in answers:
                    continue
                stray = ~shown & answers[column].notna().to_numpy()
                if stray.any():
                    answers.loc[stray, column] = pd.NA
                    removed.append(spread_text(stray, f"'{column}' not asked of this respondent", answers.index))
    return answers, join_texts(removed, answers.index)


def shown_mask(answers: pd.DataFrame, survey: Survey, question_id: str, any_of: tuple[str, ...]) -> pd.Series:
    values = answers[question_id]
    if survey.question(question_id).type == "multiple":
        return ticked_matrix(values, survey.question(question_id))[list(any_of)].any(axis=1)
    return values.isin(any_of).fillna(False).astype(bool)


def derive_area(frame: pd.DataFrame) -> pd.Series:
    """The respondent's own local-authority answer, else the one their postcode district lies in."""
    stated = per_distinct(frame[LOCAL_AUTHORITY_QUESTION], _stated_area) if LOCAL_AUTHORITY_QUESTION in frame \
        else pd.Series(pd.NA, index=frame.index, dtype="string")
    return stated.fillna(frame["postcode_local_authority"]).astype("string")


def _stated_area(answers: pd.Series) -> pd.Series:
    stated = answers.astype("string")
    return stated.mask(stated.isin(NO_AREA_CODES))


def speeder_reasons(duration: pd.Series) -> pd.Series:
    seconds = pd.to_numeric(duration, errors="coerce")
    median = seconds.median()
    fast = (seconds < median / 3).fillna(False).astype(bool).to_numpy()
    text = ("completed in " + seconds[fast].astype("Int64").astype("string") + " s, under a third of the median "
            + f"{median:.0f} s")
    return spread_text(fast, text, duration.index)


def likert_grids(survey: Survey) -> list[list[str]]:
    """Groups of 4+ Likert questions on one page sharing a scale (answered as a grid)."""
    grids = []
    for section in survey.sections:
        by_scale: dict[tuple[str, ...], list[str]] = {}
        for q in section.questions:
            if q.type == "likert":
                by_scale.setdefault(q.option_codes, []).append(q.id)
        grids.extend(ids for ids in by_scale.values() if len(ids) >= GRID_MIN_ITEMS)
    return grids


def straightliner_reasons(answers: pd.DataFrame, survey: Survey) -> pd.Series:
    pieces = []
    for grid in likert_grids(survey):
        # A grid's questions share one scale, so their answers (categoricals over its codes) share
        # categories: the same code means the same answer.
        first = answers[grid[0]].array
        same = first.codes >= 0
        for column in grid[1:]:
            same &= answers[column].array.codes == first.codes
        if same.any():
            text = "gave '" + pd.Series(first[same], dtype="string") + f"' to all {len(grid)} of " + ", ".join(grid)
            pieces.append(spread_text(same, text, answers.index))
    return join_texts(pieces, answers.index)


def empty_reasons(frame: pd.DataFrame, survey: Survey) -> pd.Series:
    routing = routing_question_ids(survey)
    substantive = [c for c in survey.answer_columns() if c not in routing and c in frame]
    anything = frame["email_key"].notna().to_numpy()
    for column in substantive:
        anything = anything | frame[column].notna().to_numpy()
    return spread_text(~anything, "no answer beyond the routing questions", frame.index)


def intake_reasons(quality_flags: pd.Series) -> pd.Series:
    """Flags the app set at intake (e.g. a filled honeypot), carried through as they were."""
    return per_distinct(quality_flags, _intake_reasons)


def _intake_reasons(quality_flags: pd.Series) -> pd.Series:
    text = quality_flags.astype("string").fillna("[]")
    inner = text.str.replace(r"^\[\s*|\s*\]$", "", regex=True).str.replace('"', "", regex=False)
    return ("flagged at intake: " + inner).where(inner != "").astype("string")


def flag_columns(reasons: dict[str, pd.Series], intake_json: pd.Series) -> pd.DataFrame:
    """One boolean column per flag, the flags as a JSON list, and the reasons as readable text."""
    index = intake_json.index
    columns: dict[str, pd.Series] = {}
    combination = np.zeros(len(index), dtype=np.int64)
    for bit, name in enumerate(FLAG_NAMES):
        flagged = reasons[name].notna().to_numpy()
        columns[f"flag_{name}"] = pd.Series(flagged, index=index)
        combination |= flagged.astype(np.int64) << bit
    # The JSON list of every combination of flags, spread to the rows by the combination's number.
    lists = pd.array(["[" + ",".join(f'"{name}"' for bit, name in enumerate(FLAG_NAMES) if c >> bit & 1) + "]"
                      for c in range(2 ** len(FLAG_NAMES))], dtype="string")
    columns["quality_flags"] = pd.Series(lists.take(combination), index=index)
    flagged = combination != 0
    rows = np.flatnonzero(flagged)
    text = join_texts([f"{name}: " + reasons[name].iloc[rows].astype("string").reset_index(drop=True)
                       for name in FLAG_NAMES], pd.RangeIndex(len(rows)))
    columns["flag_reasons"] = spread_text(flagged, text, index)
    return pd.DataFrame(columns, index=index)
