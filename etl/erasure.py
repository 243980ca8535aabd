"""Erasure that follows the data: find any erased response reference still present downstream.

The app deletes an erased response from the survey database and records only its
reference and time in `erasures`; each materialisation rebuilds every table and
export from the survey database, and this module proves nothing erased survived.
"""
from __future__ import annotations

import sqlite3
import zipfile
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd

from .read import open_read_only, table_exists


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
    for name, frame in tables.items():
        if "reference" in frame.columns:
            hits = sorted(set(frame["reference"].dropna().astype(str)) & erased)
            if hits:
                found[name] = hits
    return found


def analysis_tables_with_references(analysis_database: Path | str) -> dict[str, pd.DataFrame]:
    """The `reference` column of every table in the analysis database that has one."""
    path = Path(analysis_database)
    if not path.is_file():
        return {}
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)
    try:
        names = [row[0] for row in conn.execute("select name from sqlite_master where type = 'table'")]
        tables = {}
        for name in names:
            columns = [row[1] for row in conn.execute(f'pragma table_info("{name}")')]
            if "reference" in columns:
                values = [row[0] for row in conn.execute(f'select distinct reference from "{name}"')]
                tables[name] = pd.DataFrame({"reference": values})
        return tables
    finally:
        conn.close()


def _parquet_references(path: Path) -> str:
    import pyarrow.parquet as pq

    if "reference" not in pq.read_schema(path).names:
        return ""
    return "\n".join(pq.read_table(path, columns=["reference"]).column("reference").drop_null().to_pylist())


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return _parquet_references(path)
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace")
                             for name in archive.namelist() if name.endswith(".xml"))
    return path.read_bytes().decode("utf-8", "replace")


def erased_in_files(paths: Iterable[Path], erased: set[str]) -> dict[str, list[str]]:
    """File path -> erased references that appear anywhere in it (CSV, HTML, workbook text, Parquet frames)."""
    found: dict[str, list[str]] = {}
    if not erased:
        return found
    for path in paths:
        text = _file_text(path)
        hits = sorted(reference for reference in erased if reference in text)
        if hits:
            found[str(path)] = hits
    return found
