"""Find duplicate responses and explain them; never drop one silently.

Rules, applied in this order:
1. exact resubmission: same answers and same client fingerprint within a short
   window; the earliest copy is kept, later copies are removed.
2. same person: the same normalised follow-up email, or the same fingerprint
   with near-identical answers; the most complete, then latest, response is kept.
3. campaign: many responses with the same or near-identical free text are
   grouped and flagged but all kept (as UK government consultation reports do).

Every comparison is inside a block (fingerprint, email key or text key), so the
work grows with the table, not with its square. The rules work on row positions
and narrow arrays: answers are read only for responses that share a fingerprint,
free text only where it is long enough, and the one copy of the table made is
the deduplicated result.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from survey_app.definition import Survey

from .text import word_set_groups, word_set_key

EXACT_WINDOW = pd.Timedelta(hours=1)
NEAR_IDENTICAL = 0.9          # share of answered questions that must agree
NEIGHBOURS = 10               # later responses on one fingerprint each response is compared with
CAMPAIGN_MIN_SIZE = 5
CAMPAIGN_MIN_CHARS = 40       # short answers ("no", "dim") agree by chance, not by campaign

GROUP_COLUMNS = ["survey_id", "group_id", "rule", "response_id", "kept_response_id", "removed", "detail"]


@dataclass
class DedupResult:
    responses: pd.DataFrame
    groups: pd.DataFrame


def deduplicate(clean: pd.DataFrame, survey: Survey, exact_window: pd.Timedelta = EXACT_WINDOW,
                near_identical: float = NEAR_IDENTICAL, campaign_min_size: int = CAMPAIGN_MIN_SIZE
                ) -> DedupResult:
    # Responses arrive ordered by id; sorting again would copy every column for nothing.
    frame = clean.reset_index(drop=True) if clean["id"].is_monotonic_increasing \
        else clean.sort_values("id", ignore_index=True)
    answer_cols = [c for c in survey.answer_columns() if c in frame]
    ids = frame["id"].to_numpy()
    fingerprint = pd.factorize(frame["fingerprint"])[0]
    # Only responses that share a fingerprint can be resubmissions or fingerprint matches; their answers
    # are taken out as codes per column (equal codes, equal answers) and nobody else's are read.
    shared = np.flatnonzero(_repeated(fingerprint))
    answers = answer_codes(frame, answer_cols, shared)
    submitted = submitted_at(frame, shared)

    exact = exact_resubmissions(ids[shared], fingerprint[shared], answers, submitted, exact_window)
    remaining = ~np.isin(ids, exact.loc[exact["removed"] == 1, "response_id"].to_numpy())
    person = same_person(frame, remaining, answer_cols, fingerprint, shared, answers, submitted, near_identical)
    removed_ids = np.concatenate([exact.loc[exact["removed"] == 1, "response_id"].to_numpy(dtype=np.int64),
                                  person.loc[person["removed"] == 1, "response_id"].to_numpy(dtype=np.int64)])
    keep = np.flatnonzero(~np.isin(ids, removed_ids))
    del answers, submitted

    free_text = [c for c in answer_cols if _is_free_text(survey, c)]
    campaigns = find_campaigns(frame, keep, free_text, campaign_min_size)
    kept = frame.take(keep).reset_index(drop=True)
    # Campaign members are kept rows; their positions in the kept table, found by id (ids ascend).
    member = np.searchsorted(kept["id"].to_numpy(), campaigns["response_id"].to_numpy(dtype=np.int64))
    campaign_id = pd.Series(pd.NA, index=kept.index, dtype="string")
    campaign_id.iloc[member] = campaigns["group_id"].to_numpy()
    campaign_size = pd.Series(pd.NA, index=kept.index, dtype="Int64")
    campaign_size.iloc[member] = campaigns.groupby("group_id")["response_id"].transform("size").to_numpy()
    kept["campaign_id"] = campaign_id
    kept["campaign_size"] = campaign_size

    groups = pd.concat([exact, person, campaigns], ignore_index=True)
    groups.insert(0, "survey_id", survey.slug)
    groups = groups.reindex(columns=GROUP_COLUMNS)
    groups["removed"] = groups["removed"].astype("int64")
    return DedupResult(responses=kept, groups=groups)


def _is_free_text(survey: Survey, column: str) -> bool:
    if column.endswith("_other"):
        return True
    return survey.question(column).is_free_text


def _repeated(codes: np.ndarray) -> np.ndarray:
    """True where a code (not -1, missing) occurs more than once."""
    present = codes >= 0
    counts = np.bincount(codes[present], minlength=codes.max() + 1 if len(codes) else 0)
    repeated = np.zeros(len(codes), dtype=bool)
    repeated[present] = counts[codes[present]] > 1
    return repeated


def answer_codes(frame: pd.DataFrame, answer_cols: list[str], rows: np.ndarray) -> np.ndarray:
    """The answers of the given rows as one integer code per column: equal codes are equal answers, -1 missing."""
    codes = np.empty((len(rows), len(answer_cols)), dtype=np.int32)
    for j, column in enumerate(answer_cols):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes[:, j] = values.cat.codes.to_numpy()[rows]
            continue
        values = values.iloc[rows]
        # Cleaned answers are typed (codes, text, whole numbers); an object column may mix types that
        # pandas hashes as equal (1, 1.0, True), so it is compared as text.
        codes[:, j] = pd.factorize(values.astype("string") if values.dtype == object else values)[0]
    return codes


def submitted_at(frame: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Submission times of the given rows (as UTC datetime64, so they sort and subtract as numbers)."""
    return pd.to_datetime(frame["submitted_at"].iloc[rows], utc=True, format="ISO8601").to_numpy(dtype="datetime64[ns]")


def exact_resubmissions(ids: np.ndarray, fingerprint: np.ndarray, answers: np.ndarray, submitted: np.ndarray,
                        window: pd.Timedelta) -> pd.DataFrame:
    """Copies with one fingerprint and the same answers, each within the window of the one before."""
    signature = _row_groups(answers)
    key = _row_groups(np.column_stack([fingerprint, signature]))
    block = np.flatnonzero(_repeated(key))
    if not len(block):
        return _empty_groups()
    block = block[np.lexsort((ids[block], submitted[block], key[block]))]
    block_ids, block_key, at = ids[block], key[block], submitted[block]
    same_key = np.concatenate([[False], block_key[1:] == block_key[:-1]])
    close = np.concatenate([[False], (at[1:] - at[:-1]) <= window.to_timedelta64()])
    cluster = np.cumsum(~(same_key & close))
    frame = pd.DataFrame({"id": block_ids, "cluster": cluster})
    frame = frame[frame.groupby("cluster")["id"].transform("size") > 1]
    first = frame.groupby("cluster")["id"].transform("first")
    minutes = int(window.total_seconds() // 60)
    return _numbered(pd.DataFrame({
        "cluster": frame["cluster"], "rule": "exact_resubmission", "response_id": frame["id"],
        "kept_response_id": first, "removed": (frame["id"] != first).astype("int64"),
        "detail": f"same answers and fingerprint, each within {minutes} min of the previous copy",
    }), "exact")


def _row_groups(matrix: np.ndarray) -> np.ndarray:
    """One label per distinct row of an integer matrix (labels numbered from 0)."""
    label = np.zeros(len(matrix), dtype=np.int64)
    for column in matrix.T:
        # Pair the labels so far with the next column, and renumber the distinct pairs.
        label = pd.factorize(label * (int(column.max(initial=-1)) + 2) + column + 1)[0]
    return label


def same_person(frame: pd.DataFrame, among: np.ndarray, answer_cols: list[str], fingerprint: np.ndarray,
                shared: np.ndarray, answers: np.ndarray, submitted: np.ndarray, near_identical: float
                ) -> pd.DataFrame:
    """Join the responses `among` selects by email key and by fingerprint + near-identical answers; keep the
    fullest, latest.

    `shared` are the rows whose fingerprint recurs, with their `answers` codes and `submitted` times.
    """
    rows = np.flatnonzero(among)
    all_ids = frame["id"].to_numpy()
    ids = all_ids[rows]
    email_edges = _email_edges(all_ids, frame["email_key"], rows)
    fingerprint_edges = _fingerprint_edges(all_ids, among, fingerprint, shared, answers, submitted, near_identical)
    edges = np.concatenate([email_edges, fingerprint_edges])
    if not len(edges):
        return _empty_groups()
    position = pd.Series(np.arange(len(ids)), index=ids)
    labels = connected_components(len(ids), position[edges[:, 0]].to_numpy(), position[edges[:, 1]].to_numpy())
    in_cluster = _repeated(labels)
    member_rows = rows[in_cluster]
    answered = np.zeros(len(member_rows), dtype=np.int64)
    for column in answer_cols:
        answered += frame[column].notna().to_numpy()[member_rows]
    members = pd.DataFrame({
        "response_id": ids[in_cluster], "cluster": labels[in_cluster], "answered": answered,
        "at": submitted_at(frame, member_rows),
    })
    best = members.sort_values(["cluster", "answered", "at", "response_id"], ascending=[True, False, False, False])
    kept = best.groupby("cluster")["response_id"].first()
    members["kept_response_id"] = members["cluster"].map(kept)
    email_clusters = np.unique(members["cluster"].to_numpy()[np.isin(members["response_id"], email_edges)])
    fp_clusters = np.unique(members["cluster"].to_numpy()[np.isin(members["response_id"], fingerprint_edges)])
    by_email = np.isin(members["cluster"], email_clusters)
    by_fingerprint = np.isin(members["cluster"], fp_clusters)
    rule = np.select([by_email & by_fingerprint, by_email],
                     ["same_person_email_and_fingerprint", "same_person_email"], "same_person_fingerprint")
    detail = pd.Series(rule).map({
        "same_person_email": "same follow-up email after normalisation",
        "same_person_fingerprint": f"same fingerprint and at least {near_identical:.0%} of answers identical",
        "same_person_email_and_fingerprint": "same follow-up email, and same fingerprint with near-identical answers",
    }).to_numpy()
    return _numbered(pd.DataFrame({
        "cluster": members["cluster"].to_numpy(), "rule": rule, "response_id": members["response_id"].to_numpy(),
        "kept_response_id": members["kept_response_id"].to_numpy(),
        "removed": (members["response_id"] != members["kept_response_id"]).astype("int64").to_numpy(),
        "detail": detail + "; kept the most complete, then latest, response",
    }), "person")


def _email_edges(ids: np.ndarray, email_key: pd.Series, rows: np.ndarray) -> np.ndarray:
    """(first id, id) for each later response among rows with the email key of an earlier one."""
    with_email = rows[email_key.iloc[rows].notna().to_numpy()]
    key = pd.factorize(email_key.iloc[with_email])[0]
    first = np.full(key.max() + 1 if len(key) else 0, len(with_email))
    np.minimum.at(first, key, np.arange(len(with_email)))
    later = first[key] != np.arange(len(with_email))
    return np.column_stack([ids[with_email[first[key[later]]]], ids[with_email[later]]]).astype(np.int64)


def _fingerprint_edges(ids: np.ndarray, among: np.ndarray, fingerprint: np.ndarray, shared: np.ndarray,
                       answers: np.ndarray, submitted: np.ndarray, near_identical: float) -> np.ndarray:
    """Sorted-neighbourhood comparison inside each fingerprint block: O(n x NEIGHBOURS), never all pairs."""
    selected = among[shared]
    fingerprint = np.where(selected, fingerprint[shared], -1)
    in_block = _repeated(fingerprint)
    if not in_block.any():
        return np.empty((0, 2), dtype=np.int64)
    # By fingerprint, then time; equal times stay in id order (lexsort is stable).
    block = np.flatnonzero(in_block)
    block = block[np.lexsort((submitted[block], fingerprint[block]))]
    codes, fingerprint, block_ids = answers[block], fingerprint[block], ids[shared[block]]
    edges = []
    for step in range(1, min(NEIGHBOURS, len(block) - 1) + 1):
        a, b = codes[:-step], codes[step:]
        same_block = fingerprint[:-step] == fingerprint[step:]
        either = ((a >= 0) | (b >= 0)).sum(axis=1)
        agree = ((a == b) & (a >= 0)).sum(axis=1)
        similar = same_block & (either > 0) & (agree >= near_identical * either)
        edges.append(np.column_stack([block_ids[:-step][similar], block_ids[step:][similar]]))
    return np.concatenate(edges).astype(np.int64) if edges else np.empty((0, 2), dtype=np.int64)


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component label (smallest member position) for each of n nodes, by vectorised label propagation."""
    labels = np.arange(n)
    while True:
        lowest = np.minimum(labels[left], labels[right])
        updated = labels.copy()
        np.minimum.at(updated, left, lowest)
        np.minimum.at(updated, right, lowest)
        updated = updated[updated]  # pointer jumping: follow each label to its own label
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def campaign_key(text: pd.Series) -> pd.Series:
    """Case, punctuation, spacing and word order removed, so lightly edited copies of a template agree."""
    return word_set_key(text)


def find_campaigns(frame: pd.DataFrame, rows: np.ndarray, free_text: list[str], min_size: int) -> pd.DataFrame:
    """Campaign groups among the given rows: at least min_size long answers to one question with one campaign_key."""
    # Every question's answers numbered at once, so a text pasted into several questions (or rows) is read
    # and measured once. Only present answers are numbered: most are missing, and hashing skips none.
    answers = [_arrow_text(frame[column]) for column in free_text]
    position = np.concatenate([np.flatnonzero(values.is_valid().to_numpy(zero_copy_only=False)) for values in answers]
                              + [np.empty(0, dtype=np.int64)])
    question = np.repeat(np.arange(len(free_text)), [len(values) - values.null_count for values in answers])
    encoded = pc.dictionary_encode(pa.chunked_array([values.drop_null().combine_chunks() for values in answers],
                                                    type=pa.large_string())).combine_chunks()
    texts = encoded.dictionary
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    # Where each row is among the given rows (-1: not given).
    place = np.full(len(frame), -1, dtype=np.int64)
    place[rows] = np.arange(len(rows))
    long_text = pc.greater_equal(pc.utf8_length(texts), CAMPAIGN_MIN_CHARS).to_numpy(zero_copy_only=False)
    chosen = (place[position] >= 0) & long_text[codes]
    if not chosen.any():
        return _empty_groups()
    # Responses with one word set (one campaign_key) in one question share a group number.
    group = word_set_groups(codes[chosen], texts, question[chosen], min_size)
    members = pd.DataFrame({"key": group, "number": question[chosen],
                            "response_id": frame["id"].to_numpy()[position[chosen]]})
    members = members[group >= 0].drop_duplicates("response_id")
    members["column"] = np.array(free_text, dtype=object)[members["number"].to_numpy()]
    members["cluster"] = members.groupby("key", sort=False)["response_id"].transform("min")
    size = members.groupby("cluster")["response_id"].transform("size")
    members = members[size >= min_size]
    size = size[size >= min_size]
    return _numbered(pd.DataFrame({
        "cluster": members["cluster"], "rule": "campaign", "response_id": members["response_id"],
        "kept_response_id": members["response_id"], "removed": 0,
        "detail": size.astype("string") + " responses share near-identical text in '" + members["column"]
        + "'; all kept",
    }), "campaign")


def _arrow_text(values: pd.Series) -> pa.ChunkedArray:
    """A text column as Arrow large strings, sharing its buffers when it is Arrow-backed already."""
    array = pa.array(values.astype("string").array).cast(pa.large_string())
    return array if isinstance(array, pa.ChunkedArray) else pa.chunked_array([array])


def _numbered(groups: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Stable group ids (numbered by the group's lowest response id), so re-runs give identical tables."""
    lowest = groups.groupby("cluster")["response_id"].transform("min")
    number = lowest.rank(method="dense").astype("int64")
    groups = groups.assign(group_id=prefix + "-" + number.astype("string"), order=lowest)
    groups = groups.sort_values(["order", "response_id"], ignore_index=True)
    return groups.drop(columns=["cluster", "order"])


def _empty_groups() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in GROUP_COLUMNS if c != "survey_id"})
