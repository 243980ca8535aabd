"""Find duplicate responses and explain them; never drop one silently.

Rules, applied in this order:
1. exact resubmission: same answers and same client fingerprint within a short
   window; the earliest copy is kept, later copies are removed.
2. same person: the same normalised follow-up email, or the same fingerprint
   with near-identical answers; the most complete, then latest, response is kept.
3. campaign: many responses with the same or near-identical free text are
   grouped and flagged but all kept (as UK government consultation reports do).

Every comparison is inside a block (fingerprint, email key or text key), so the
work grows with the table, not with its square.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from survey_app.definition import Survey

from .text import word_set_key

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
    submitted = pd.to_datetime(frame["submitted_at"], utc=True, format="ISO8601")
    # Hashed column by column as stored (codes, text, numbers): equal answers hash equal without
    # first turning every answer into a string.
    signature = pd.util.hash_pandas_object(frame[answer_cols], index=False).to_numpy()

    exact = exact_resubmissions(frame, signature, submitted, exact_window)
    remaining = ~frame["id"].isin(exact.loc[exact["removed"] == 1, "response_id"])
    person = same_person(frame, remaining.to_numpy(), answer_cols, submitted, near_identical)
    removed_ids = set(exact.loc[exact["removed"] == 1, "response_id"]) | \
        set(person.loc[person["removed"] == 1, "response_id"])
    kept = frame[~frame["id"].isin(removed_ids)].reset_index(drop=True)

    free_text = [c for c in answer_cols if _is_free_text(survey, c)]
    campaigns = find_campaigns(kept, free_text, campaign_min_size)
    kept["campaign_id"] = kept["id"].map(campaigns.set_index("response_id")["group_id"]).astype("string")
    kept["campaign_size"] = kept["campaign_id"].map(campaigns.groupby("group_id").size()).astype("Int64")

    groups = pd.concat([exact, person, campaigns], ignore_index=True)
    groups.insert(0, "survey_id", survey.slug)
    groups = groups.reindex(columns=GROUP_COLUMNS)
    groups["removed"] = groups["removed"].astype("int64")
    return DedupResult(responses=kept, groups=groups)


def _is_free_text(survey: Survey, column: str) -> bool:
    if column.endswith("_other"):
        return True
    return survey.question(column).is_free_text


def exact_resubmissions(frame: pd.DataFrame, signature: np.ndarray, submitted: pd.Series,
                        window: pd.Timedelta) -> pd.DataFrame:
    """Copies with one fingerprint and one answer signature, each within the window of the one before."""
    block = pd.DataFrame({"id": frame["id"].to_numpy(), "fingerprint": frame["fingerprint"].to_numpy(),
                          "signature": signature, "at": submitted.to_numpy()})
    block = block[block["fingerprint"].notna()]
    block = block[block.duplicated(["fingerprint", "signature"], keep=False)]
    if block.empty:
        return _empty_groups()
    block = block.sort_values(["fingerprint", "signature", "at", "id"], ignore_index=True)
    same_key = (block["fingerprint"].eq(block["fingerprint"].shift())
                & block["signature"].eq(block["signature"].shift()))
    close = block["at"].diff() <= window
    cluster = (~(same_key & close)).cumsum()
    block["cluster"] = cluster
    block = block[block.groupby("cluster")["id"].transform("size") > 1]
    first = block.groupby("cluster")["id"].transform("first")
    minutes = int(window.total_seconds() // 60)
    return _numbered(pd.DataFrame({
        "cluster": block["cluster"], "rule": "exact_resubmission", "response_id": block["id"],
        "kept_response_id": first, "removed": (block["id"] != first).astype("int64"),
        "detail": f"same answers and fingerprint, each within {minutes} min of the previous copy",
    }), "exact")


def same_person(frame: pd.DataFrame, among: np.ndarray, answer_cols: list[str], submitted: pd.Series,
                near_identical: float) -> pd.DataFrame:
    """Join the responses `among` selects by email key and by fingerprint + near-identical answers; keep the
    fullest, latest.

    Only narrow columns are taken out for the selected rows: a filtered copy of the
    whole frame would be a second response table in memory.
    """
    ids = frame["id"].to_numpy()[among]
    email_edges = _email_edges(frame.loc[among, ["id", "email_key"]])
    fingerprint_edges = _fingerprint_edges(frame, among, answer_cols, submitted, near_identical)
    edges = np.concatenate([email_edges, fingerprint_edges]) if len(email_edges) or len(fingerprint_edges) \
        else np.empty((0, 2), dtype=np.int64)
    if not len(edges):
        return _empty_groups()
    position = pd.Series(np.arange(len(ids)), index=ids)
    labels = connected_components(len(ids), position[edges[:, 0]].to_numpy(), position[edges[:, 1]].to_numpy())
    members = pd.DataFrame({
        "response_id": ids, "cluster": labels,
        "answered": frame[answer_cols].notna().sum(axis=1).to_numpy()[among],
        "at": submitted.to_numpy()[among],
    })
    members = members[members.groupby("cluster")["response_id"].transform("size") > 1]
    best = members.sort_values(["cluster", "answered", "at", "response_id"], ascending=[True, False, False, False])
    kept = best.groupby("cluster")["response_id"].first()
    members["kept_response_id"] = members["cluster"].map(kept)
    by_email = set(email_edges.ravel().tolist())
    by_fingerprint = set(fingerprint_edges.ravel().tolist())
    email_clusters = set(members.loc[members["response_id"].isin(by_email), "cluster"])
    fp_clusters = set(members.loc[members["response_id"].isin(by_fingerprint), "cluster"])
    rule = np.select([members["cluster"].isin(email_clusters) & members["cluster"].isin(fp_clusters),
                      members["cluster"].isin(email_clusters)],
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


def _email_edges(frame: pd.DataFrame) -> np.ndarray:
    with_email = frame.loc[frame["email_key"].notna(), ["id", "email_key"]]
    first = with_email.groupby("email_key")["id"].transform("first")
    pairs = with_email.assign(first=first)
    pairs = pairs[pairs["id"] != pairs["first"]]
    return pairs[["first", "id"]].to_numpy(dtype=np.int64).reshape(-1, 2)


def _fingerprint_edges(frame: pd.DataFrame, among: np.ndarray, answer_cols: list[str], submitted: pd.Series,
                       near_identical: float) -> np.ndarray:
    """Sorted-neighbourhood comparison inside each fingerprint block: O(n x NEIGHBOURS), never all pairs."""
    fingerprint = frame["fingerprint"].where(among)
    shared = (fingerprint.notna() & fingerprint.duplicated(keep=False)).to_numpy()
    block = frame.loc[shared, ["id", "fingerprint", *answer_cols]]
    if block.empty:
        return np.empty((0, 2), dtype=np.int64)
    order = np.lexsort((submitted[shared].to_numpy(), block["fingerprint"].to_numpy()))
    block = block.iloc[order]
    codes = np.column_stack([pd.factorize(block[c].astype("string"), use_na_sentinel=True)[0]
                             for c in answer_cols])
    fingerprint = block["fingerprint"].to_numpy()
    ids = block["id"].to_numpy()
    edges = []
    for step in range(1, min(NEIGHBOURS, len(block) - 1) + 1):
        a, b = codes[:-step], codes[step:]
        same_block = fingerprint[:-step] == fingerprint[step:]
        either = ((a >= 0) | (b >= 0)).sum(axis=1)
        agree = ((a == b) & (a >= 0)).sum(axis=1)
        similar = same_block & (either > 0) & (agree >= near_identical * either)
        edges.append(np.column_stack([ids[:-step][similar], ids[step:][similar]]))
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


def find_campaigns(frame: pd.DataFrame, free_text: list[str], min_size: int) -> pd.DataFrame:
    found = []
    for column in free_text:
        text = frame[column]
        long_enough = text.str.len().fillna(0) >= CAMPAIGN_MIN_CHARS
        if not long_enough.any():
            continue
        keys = campaign_key(text[long_enough])
        counts = keys.map(keys.value_counts())
        members = keys[counts >= min_size]
        found.append(pd.DataFrame({"key": column + "\x00" + members, "response_id": frame.loc[members.index, "id"],
                                   "column": column}))
    if not found:
        return _empty_groups()
    members = pd.concat(found, ignore_index=True).drop_duplicates("response_id")
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


def _numbered(groups: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Stable group ids (numbered by the group's lowest response id), so re-runs give identical tables."""
    lowest = groups.groupby("cluster")["response_id"].transform("min")
    number = lowest.rank(method="dense").astype("int64")
    groups = groups.assign(group_id=prefix + "-" + number.astype("string"), order=lowest)
    groups = groups.sort_values(["order", "response_id"], ignore_index=True)
    return groups.drop(columns=["cluster", "order"])


def _empty_groups() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="object") for c in GROUP_COLUMNS if c != "survey_id"})
