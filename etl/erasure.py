"""Erasure that follows the data: find any erased response still present downstream.

The app deletes an erased response from the survey database and records only its
reference and time in `erasures`; each materialisation rebuilds every table and
export from the survey database, and this module proves nothing erased survived.

Tables and frames that carry the reference are searched for it. Others name a response
only by its id (free_text, duplicate_groups, theme_examples, the deduplicated frame), and
the erasure record does not hold the id; but every response id the ETL ever wrote was
read from the survey database, so an id there that the survey database no longer holds
is a response deleted since: erased (or purged) and still downstream.
"""
from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd
from pypdf import PdfReader

from .read import open_read_only, read_table_arrow, table_exists

# Columns that hold response ids, in the analysis tables and frames.
RESPONSE_ID_COLUMNS = ("id", "response_id", "kept_response_id")


def read_erased_references(survey_database: Path | str) -> set[str]:
    conn = open_read_only(survey_database)
    try:
        if not table_exists(conn, "erasures"):
            return set()
        return {row[0] for row in conn.execute("select reference from erasures")}
    finally:
        conn.close()


def erased_in_tables(tables: Mapping[str, pd.DataFrame], erased: set[str]) -> dict[str, list[str]]:
    """Table name -> erased references found in its `reference` column."""
    found: dict[str, list[str]] = {}
    if not erased:
        return found   # nothing to look for: the tables need not even be read
    for name, frame in tables.items():
        if "reference" in frame.columns:
            hits = sorted(set(frame["reference"].dropna().astype(str)) & erased)
            if hits:
                found[name] = hits
    return found


def analysis_tables_with_references(analysis_database: Path | str) -> Mapping[str, pd.DataFrame]:
    """The `reference` column of every table in the analysis database that has one.

    Each table's distinct references are read when its entry is first looked at, so a caller with
    nothing to look for reads none of them.
    """
    path = Path(analysis_database)
    if not path.is_file():
        return {}
    with_references = [name for name, columns in _table_columns(path).items() if "reference" in columns]
    return _References(path, with_references)


def _table_columns(path: Path) -> dict[str, list[str]]:
    """Each table of the analysis database and its column names."""
    conn = _connect(path)
    try:
        names = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")]
        return {name: [row[1] for row in conn.execute(f'pragma table_info("{name}")')] for name in names}
    finally:
        conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)


class _References(Mapping):
    """Table name -> its distinct references, read on first access."""

    def __init__(self, path: Path, names: list[str]):
        self._path, self._names, self._read = path, names, {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            conn = _connect(self._path)
            try:
                values = [row[0] for row in conn.execute(f'select distinct reference from "{name}"')]
            finally:
                conn.close()
            self._read[name] = pd.DataFrame({"reference": values})
        return self._read[name]

    def __iter__(self):
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _parquet_references(path: Path) -> str:
    import pyarrow.parquet as pq

    if "reference" not in pq.read_schema(path).names:
        return ""
    return "\n".join(pq.read_table(path, columns=["reference"]).column("reference").drop_null().to_pylist())


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return _parquet_references(path)
    if path.suffix == ".pdf":
        return "\n".join(page.extract_text() for page in PdfReader(path).pages)
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace")
                             for name in archive.namelist() if name.endswith(".xml"))
    return path.read_bytes().decode("utf-8", "replace")


def erased_in_files(paths: Iterable[Path], erased: set[str]) -> dict[str, list[str]]:
    """File path -> erased references that appear anywhere in it (CSV, HTML, PDF and workbook text, Parquet frames)."""
    found: dict[str, list[str]] = {}
    if not erased:
        return found
    for path in paths:
        text = _file_text(path)
        hits = sorted(reference for reference in erased if reference in text)
        if hits:
            found[str(path)] = hits
    return found


def stored_response_ids(survey_database: Path | str, survey_id: str) -> np.ndarray:
    """The ids of the survey's responses now in the survey database."""
    ids = read_table_arrow(survey_database, "select id from responses where +survey_id = ?", [survey_id])["id"]
    return ids.dropna().to_numpy(dtype=np.int64)


def _vanished(ids: pd.Series, stored: np.ndarray) -> list[int]:
    return np.setdiff1d(ids.dropna().to_numpy(dtype=np.int64), stored).tolist()


def vanished_ids_in_tables(analysis_database: Path | str, survey_id: str, stored: np.ndarray) -> dict[str, list[int]]:
    """Table name -> the response ids in it that are not among `stored` (the survey database's), for
    each table that names responses by id alone (a table with a `reference` is searched by reference)."""
    path = Path(analysis_database)
    if not path.is_file():
        return {}
    found: dict[str, list[int]] = {}
    for name, names_in in _table_columns(path).items():
        id_columns = [c for c in RESPONSE_ID_COLUMNS if c in names_in]
        if "reference" in names_in or not id_columns:
            continue
        where = " where survey_id = ?1" if "survey_id" in names_in else ""
        sql = " union ".join(f'select "{c}" as response_id from "{name}"{where}' for c in id_columns)
        ids = read_table_arrow(path, sql, [survey_id] if where else [])["response_id"]
        gone = _vanished(ids, stored)
        if gone:
            found[name] = gone
    return found


def vanished_ids_in_frames(paths: Iterable[Path], stored: np.ndarray) -> dict[str, list[int]]:
    """Parquet file path -> the response ids in it that are not among `stored`, for each frame that
    names responses by id alone."""
    import pyarrow.parquet as pq

    found: dict[str, list[int]] = {}
    for path in paths:
        names = pq.read_schema(path).names
        id_columns = [c for c in RESPONSE_ID_COLUMNS if c in names]
        if "reference" in names or not id_columns:
            continue
        frame = pq.read_table(path, columns=id_columns).to_pandas()
        gone = sorted({i for column in id_columns for i in _vanished(frame[column], stored)})
        if gone:
            found[str(path)] = gone
    return found
