"""Postcode outward codes: validation and the district -> local authority table.

The table covers the postcode districts of Dyfed-Powys. A district that crosses
a county boundary is mapped to the authority that holds most of it, so the
mapping is a guide for respondents who skipped the local-authority question,
never a replacement for their own answer.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from survey_app.definition import OUTWARD_CODE_RE

from .answers import per_distinct

DISTRICTS_CSV = Path(__file__).with_name("postcode_districts.csv")


@lru_cache(maxsize=1)
def district_authorities() -> dict[str, str]:
    table = pd.read_csv(DISTRICTS_CSV, dtype=str)
    return dict(zip(table["district"], table["local_authority"]))


def normalise_outward_codes(values: pd.Series) -> pd.Series:
    """Upper-cased, space-free outward codes; anything that is not one becomes missing."""
    return per_distinct(values, _normalise_outward_codes)


def _normalise_outward_codes(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.replace(r"\s+", "", regex=True).str.upper()
    text = text.mask(text == "")
    valid = text.str.fullmatch(OUTWARD_CODE_RE.pattern).fillna(False).astype(bool)
    return text.where(valid)


def invalid_outward_codes(values: pd.Series) -> pd.Series:
    """True where something was entered that is not an outward code."""
    return per_distinct(values, _invalid_outward_codes)


def _invalid_outward_codes(values: pd.Series) -> pd.Series:
    entered = values.astype("string").str.strip().fillna("") != ""
    return entered & _normalise_outward_codes(values).isna()


def local_authority_of(districts: pd.Series) -> pd.Series:
    return per_distinct(districts, _local_authority_of)


def _local_authority_of(districts: pd.Series) -> pd.Series:
    return districts.map(district_authorities()).astype("string")
