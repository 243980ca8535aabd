"""Small-count suppression for published tables, after UK official-statistics disclosure practice.

Primary suppression hides every count from 1 to threshold-1 (zeros are shown:
they say nothing about an individual). Secondary suppression then hides a
second cell wherever a lone hidden cell could be worked out from a published
total: each "equation" is a set of cells that add up (the cells of a row and
their total, the options of a single-choice question and its base), and no
equation may be left with exactly one hidden cell. The complement chosen is
the smallest non-zero cell that is not itself a total, which loses the least
information. The same marker is used for both kinds, so a reader cannot tell
the small cells from their complements.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .wording import words

DEFAULT_THRESHOLD = 5
DEFAULT_MARKER = "[c]"


@dataclass(frozen=True)
class SuppressionRule:
    threshold: int = DEFAULT_THRESHOLD   # counts from 1 to threshold-1 are hidden
    marker: str = DEFAULT_MARKER         # "[c]" (confidential), as ONS tables show it

    def describe(self, language: str = "en") -> str:
        return words(language)["rule_text"].format(top=self.threshold - 1, marker=self.marker)


def primary(values: np.ndarray, rule: SuppressionRule) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return (values > 0) & (values < rule.threshold)


def secondary(values: np.ndarray, hidden: np.ndarray, equations: list[np.ndarray],
              is_total: np.ndarray) -> np.ndarray:
    """Hide complements until no equation has exactly one hidden cell."""
    values = np.asarray(values, dtype=float)
    hidden = np.asarray(hidden, dtype=bool).copy()
    changed = True
    while changed:
        changed = False
        for cells in equations:
            if hidden[cells].sum() != 1:
                continue
            hidden[_complement(values, hidden, cells, is_total)] = True
            changed = True
    return hidden


def _complement(values: np.ndarray, hidden: np.ndarray, cells: np.ndarray, is_total: np.ndarray) -> int:
    candidates = cells[~hidden[cells]]
    # Prefer non-total, non-zero cells, smallest first; a total or a zero only when nothing else is left.
    rank = np.lexsort((values[candidates], values[candidates] == 0, is_total[candidates]))
    return int(candidates[rank[0]])


def equations_by(frame: pd.DataFrame, keys: list[str], offset: int = 0) -> list[np.ndarray]:
    """One equation per group of rows sharing these keys (positions shifted by offset)."""
    positions = np.arange(len(frame)) + offset
    groups = frame.reset_index(drop=True).groupby(keys, sort=False, dropna=False).indices
    return [positions[i] for i in groups.values() if len(i) > 1]


def masked(values: pd.Series, hidden: np.ndarray, marker: str) -> pd.Series:
    """Values as objects, with the marker where hidden (numbers stay numbers for Excel)."""
    shown = values.astype("object").where(pd.notna(values), None)
    return shown.where(~np.asarray(hidden, dtype=bool), marker)


def suppress_crosstab(table: pd.DataFrame, breakdown: str, rule: SuppressionRule, total: str = "all") -> pd.DataFrame:
    """A crosstab (see etl.crosstab) with small counts, their complements and derived figures hidden.

    Bases are counts too: a base under the threshold hides it and its whole
    column (a 0 out of 3 is as telling as a 3). Percents and intervals go
    wherever the count or the base is hidden, since either gives the other.
    """
    table = table.reset_index(drop=True)
    n = len(table)
    bases = table.drop_duplicates(["question_id", breakdown])[["question_id", breakdown, "base"]]
    bases = bases.reset_index(drop=True)
    base_position = dict(zip(zip(bases["question_id"], bases[breakdown]), n + np.arange(len(bases))))
    row_base = np.array([base_position[k] for k in zip(table["question_id"], table[breakdown])])
    values = np.concatenate([table["count"].to_numpy(float), bases["base"].to_numpy(float)])
    is_total = np.concatenate([(table[breakdown] == total).to_numpy(), (bases[breakdown] == total).to_numpy()])

    hidden = primary(values, rule)
    hidden[:n] |= hidden[row_base]
    equations = equations_by(table, ["question_id", "option_code"])
    additive_rows = np.flatnonzero(table["question_type"].isin(["single", "likert"]).to_numpy())
    for cells in equations_by(table.iloc[additive_rows], ["question_id", breakdown]):
        rows = additive_rows[cells]
        equations.append(np.append(rows, row_base[rows[0]]))
    equations += equations_by(bases, ["question_id"], offset=n)
    # A hidden base hides its column, which may need complements of its own: repeat until stable.
    while True:
        hidden = secondary(values, hidden, equations, is_total)
        spread = hidden[:n] | hidden[row_base]
        if (spread == hidden[:n]).all():
            break
        hidden[:n] = spread

    cell_hidden, base_hidden = hidden[:n], hidden[row_base]
    published = table.copy()
    published["count"] = masked(table["count"], cell_hidden, rule.marker)
    published["base"] = masked(table["base"], base_hidden, rule.marker)
    for column in ("percent", "ci_low", "ci_high"):
        published[column] = masked(table[column], cell_hidden | base_hidden, rule.marker)
    return published


def suppress_counts(table: pd.DataFrame, count: str, totals: pd.Series, keys: list[str],
                    rule: SuppressionRule, derived: tuple[str, ...] = ()) -> pd.DataFrame:
    """A long table whose rows sharing `keys` add up to the row where `totals` is True.

    Cells already showing the marker (from a pass over another count column) stay hidden.
    """
    table = table.reset_index(drop=True)
    already = (table[count].astype("object") == rule.marker).to_numpy()
    values = pd.to_numeric(table[count].where(~already), errors="coerce").to_numpy(float)
    hidden = secondary(values, primary(values, rule) | already, equations_by(table, keys),
                       np.asarray(totals, dtype=bool))
    published = table.copy()
    for column in (count, *derived):
        published[column] = masked(table[column], hidden, rule.marker)
    return published


def unsuppressed_small_counts(table: pd.DataFrame, columns: list[str], rule: SuppressionRule) -> int:
    """How many published numbers in these columns are from 1 to threshold-1 (the check wants 0)."""
    found = 0
    for column in columns:
        numbers = pd.to_numeric(table[column].where(table[column] != rule.marker), errors="coerce")
        found += int(((numbers > 0) & (numbers < rule.threshold)).sum())
    return found
