"""Clean raw responses: quarantine corrupt rows, tidy answers, derive areas and flag quality.

Flags never delete a row; only a row whose stored JSON cannot be parsed is set
aside (quarantined) and reported by id.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey_app.definition import Survey

from .answers import (as_codes, codes_ticked_count, concat_where, json_list_from_ticks,
                      routing_question_ids, ticked_matrix, unparseable_json)
from .postcodes import invalid_outward_codes, local_authority_of, normalise_outward_codes

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
    frame = raw[~raw["id"].isin(bad_ids)].reset_index(drop=True)
    reasons: dict[str, pd.Series] = {}

    old_version, old_reason = old_version_rows(frame, survey)
    reasons["old_version"] = old_reason.where(old_version)
    answers, invalid = tidy_answers(frame, survey)
    reasons["invalid_answer"] = invalid
    answers, removed = remove_unshown_answers(answers, survey)
    reasons["branch_answer_removed"] = removed

    out = frame.reindex(columns=METADATA_COLUMNS).copy()
    out = pd.concat([out, answers], axis=1)
    postcode_bad = invalid_outward_codes(frame[POSTCODE_QUESTION]) if POSTCODE_QUESTION in frame else \
        pd.Series(False, index=frame.index)
    reasons["invalid_postcode"] = pd.Series("postcode district is not an outward code",
                                            index=frame.index).where(postcode_bad)
    out["postcode_local_authority"] = local_authority_of(out[POSTCODE_QUESTION]) \
        if POSTCODE_QUESTION in out else pd.NA
    out["area"] = derive_area(out)

    reasons["speeder"] = speeder_reasons(frame["duration_seconds"])
    reasons["straightliner"] = straightliner_reasons(answers, survey)
    reasons["empty"] = empty_reasons(out, survey)
    reasons["intake"] = intake_reasons(frame["quality_flags"])
    out = pd.concat([out, flag_columns(reasons, frame["quality_flags"])], axis=1)
    return CleanResult(responses=out, quarantined=quarantined)


def find_corrupt_rows(raw: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, set[int]]:
    """Rows whose multiple-choice answers or intake flags are not readable JSON lists."""
    json_columns = [q.id for q in survey.questions if q.type == "multiple" and q.id in raw]
    json_columns.append("quality_flags")
    problems = []
    for column in json_columns:
        bad = unparseable_json(raw[column])
        if bad.any():
            problems.append(pd.DataFrame({
                "response_id": raw.loc[bad, "id"].astype("int64"),
                "reference": raw.loc[bad, "reference"],
                "column": column,
                "problem": "stored value is not a JSON list of codes",
            }))
    if not problems:
        empty = pd.DataFrame({"survey_id": pd.Series(dtype="string"), "response_id": pd.Series(dtype="int64"),
                              "reference": pd.Series(dtype="string"), "column": pd.Series(dtype="string"),
                              "problem": pd.Series(dtype="string")})
        return empty, set()
    table = pd.concat(problems, ignore_index=True).sort_values(["response_id", "column"], ignore_index=True)
    table.insert(0, "survey_id", survey.slug)
    return table, set(table["response_id"])


def old_version_rows(frame: pd.DataFrame, survey: Survey) -> tuple[pd.Series, pd.Series]:
    """Rows stored under another definition version, or answering questions it no longer has."""
    version = pd.to_numeric(frame["survey_version"], errors="coerce")
    other_version = (version != survey.version).fillna(True).astype(bool)
    reason = pd.Series("", index=frame.index, dtype="object")
    reason = concat_where(reason, other_version,
                          "stored under definition version " + version.astype("string").fillna("?")
                          + f" (current {survey.version})")
    current = set(survey.answer_columns()) | set(METADATA_COLUMNS) | {"quality_flags"}
    for column in [c for c in frame.columns if c not in current]:
        stale = frame[column].notna()
        reason = concat_where(reason, stale & (reason != ""), "; ")
        reason = concat_where(reason, stale, f"answers question '{column}' not in version {survey.version}")
    flagged = reason != ""
    return flagged, reason.astype("string")


def tidy_answers(frame: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, pd.Series]:
    """Answer columns of the current definition: codes checked, text NFC-normalised and trimmed."""
    columns: dict[str, pd.Series] = {}
    invalid = pd.Series("", index=frame.index, dtype="object")
    for q in survey.questions:
        if q.personal:
            continue
        values = frame[q.id] if q.id in frame else pd.Series(pd.NA, index=frame.index, dtype="object")
        if q.type in ("single", "likert"):
            codes = as_codes(values, q)
            bad = values.notna().to_numpy() & pd.isna(codes)
            columns[q.id] = pd.Series(codes, index=frame.index)
        elif q.type == "multiple":
            ticks = ticked_matrix(values, q)
            if q.exclusive:
                # An exclusive option ("none of these") alone is the answer if it was ticked with others.
                exclusive = ticks[list(q.exclusive)].any(axis=1)
                others = [c for c in ticks.columns if c not in q.exclusive]
                ticks.loc[exclusive, others] = False
            bad = (codes_ticked_count(values) > ticks.sum(axis=1)).to_numpy()
            columns[q.id] = json_list_from_ticks(ticks)
        elif q.type == "number":
            numbers = pd.to_numeric(values, errors="coerce").astype("Int64")
            in_range = numbers.between(q.min, q.max).fillna(False).astype(bool)
            bad = (values.notna() & ~in_range).to_numpy()
            columns[q.id] = numbers.where(in_range)
        elif q.type == "postcode":
            columns[q.id] = normalise_outward_codes(values)
            bad = np.zeros(len(frame), dtype=bool)
        else:
            columns[q.id] = tidy_text(values)
            bad = np.zeros(len(frame), dtype=bool)
        invalid = concat_where(invalid, bad, f"; '{q.id}' answer not valid")
        if q.other:
            other_text = frame[q.other_column] if q.other_column in frame else pd.Series(pd.NA, index=frame.index)
            columns[q.other_column] = tidy_text(other_text)
    reasons = invalid.str[2:].astype("string")
    return pd.DataFrame(columns, index=frame.index), reasons.where(reasons != "")


def tidy_text(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.normalize("NFC").str.strip()
    return text.mask(text == "")


def remove_unshown_answers(answers: pd.DataFrame, survey: Survey) -> tuple[pd.DataFrame, pd.Series]:
    """Clear answers to pages the respondent's own answers would not have shown them."""
    removed = pd.Series("", index=answers.index, dtype="object")
    for section in survey.sections:
        if section.show_if is None:
            continue
        shown = shown_mask(answers, survey, section.show_if.question, section.show_if.any_of)
        for q in section.questions:
            for column in (q.id, q.other_column if q.other else None):
                if column is None or column not in answers:
                    continue
                stray = (~shown & answers[column].notna()).to_numpy()
                if stray.any():
                    answers.loc[stray, column] = pd.NA
                    removed = concat_where(removed, stray, f"; '{column}' not asked of this respondent")
    reasons = removed.str[2:].astype("string")
    return answers, reasons.where(reasons != "")


def shown_mask(answers: pd.DataFrame, survey: Survey, question_id: str, any_of: tuple[str, ...]) -> pd.Series:
    values = answers[question_id]
    if survey.question(question_id).type == "multiple":
        return ticked_matrix(values, survey.question(question_id))[list(any_of)].any(axis=1)
    return values.isin(any_of).fillna(False).astype(bool)


def derive_area(frame: pd.DataFrame) -> pd.Series:
    """The respondent's own local-authority answer, else the one their postcode district lies in."""
    stated = frame[LOCAL_AUTHORITY_QUESTION].astype("string") if LOCAL_AUTHORITY_QUESTION in frame else \
        pd.Series(pd.NA, index=frame.index, dtype="string")
    stated = stated.mask(stated.isin(NO_AREA_CODES))
    return stated.fillna(frame["postcode_local_authority"]).astype("string")


def speeder_reasons(duration: pd.Series) -> pd.Series:
    seconds = pd.to_numeric(duration, errors="coerce")
    median = seconds.median()
    fast = (seconds < median / 3).fillna(False).astype(bool)
    text = ("completed in " + seconds.astype("Int64").astype("string") + " s, under a third of the median "
            + f"{median:.0f} s")
    return text.where(fast)


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
    reasons = pd.Series("", index=answers.index, dtype="object")
    for grid in likert_grids(survey):
        first = answers[grid[0]].astype("string")
        same = first.notna()
        for column in grid[1:]:
            same &= (answers[column].astype("string") == first).fillna(False)
        same = same.fillna(False).astype(bool)
        reasons = concat_where(reasons, same, "; gave '" + first.fillna("") + f"' to all {len(grid)} of "
                               + ", ".join(grid))
    reasons = reasons.str[2:].astype("string")
    return reasons.where(reasons != "")


def empty_reasons(frame: pd.DataFrame, survey: Survey) -> pd.Series:
    routing = routing_question_ids(survey)
    substantive = [c for c in survey.answer_columns() if c not in routing and c in frame]
    anything = frame[substantive].notna().any(axis=1) | frame["email_key"].notna()
    return pd.Series("no answer beyond the routing questions", index=frame.index,
                     dtype="string").where(~anything)


def intake_reasons(quality_flags: pd.Series) -> pd.Series:
    """Flags the app set at intake (e.g. a filled honeypot), carried through as they were."""
    text = quality_flags.astype("string").fillna("[]")
    inner = text.str.replace(r"^\[\s*|\s*\]$", "", regex=True).str.replace('"', "", regex=False)
    return ("flagged at intake: " + inner).where(inner != "").astype("string")


def flag_columns(reasons: dict[str, pd.Series], intake_json: pd.Series) -> pd.DataFrame:
    """One boolean column per flag, the flags as a JSON list, and the reasons as readable text."""
    index = intake_json.index
    columns: dict[str, pd.Series] = {}
    names = pd.Series("", index=index, dtype="object")
    text = pd.Series("", index=index, dtype="object")
    for name in FLAG_NAMES:
        reason = reasons[name]
        flagged = reason.notna().to_numpy()
        columns[f"flag_{name}"] = pd.Series(flagged, index=index)
        names = concat_where(names, flagged, f',"{name}"')
        text = concat_where(text, flagged, f"{name}: " + reason.fillna("") + "; ")
    columns["quality_flags"] = ("[" + names.str[1:] + "]").astype("string")
    columns["flag_reasons"] = text.str[:-2].astype("string").where(text != "")
    return pd.DataFrame(columns, index=index)
