"""Write and read analysis tables in SQLite, one table at a time and atomically."""
from __future__ import annotations

import fcntl
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import adbc_driver_sqlite.dbapi
import pandas as pd
import pyarrow as pa

# From this many rows a child process writes the rows straight into the analysis database;
# below it they go through a private scratch file, which costs less than starting the child.
DIRECT_WRITE_ROWS = 50_000
INGEST_SCRIPT = Path(__file__).with_name("ingest.py")
PIPE_BYTES = 1 << 20
# Pages of a new analysis database: its tables are written and read whole, and writing a million-row
# table into 32 KiB pages costs SQLite about a sixth less CPU than into the default 4 KiB ones.
PAGE_SIZE = 32_768

def connect_analysis(path: Path | str) -> sqlite3.Connection:
    """A connection to the analysis database (created if missing), in WAL mode."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A URI, so that ATTACH can open another database read-only (see etl.raw_copy).
    conn = sqlite3.connect(path.resolve().as_uri(), uri=True, timeout=30, isolation_level=None)
    if conn.execute("PRAGMA page_count").fetchone()[0] == 0:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # only possible before WAL mode and the first table
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    # A table is replaced by dropping it and renaming its staging copy. Modern RENAME re-checks
    # every view, and a view over the table just dropped fails that check mid-swap.
    conn.execute("PRAGMA legacy_alter_table = ON")
    return conn


def sqlite_type(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return "INTEGER"
    if pd.api.types.is_float_dtype(series):
        return "REAL"
    return "TEXT"


def _column_values(series: pd.Series) -> list:
    """Plain Python values with None for missing, which sqlite3 binds fastest."""
    if pd.api.types.is_bool_dtype(series):
        values = series.astype("Int64")
    elif isinstance(series.dtype, pd.CategoricalDtype):
        values = series.astype("object")
    else:
        values = series
    array = values.astype("object").to_numpy()
    missing = pd.isna(array)
    if missing.any():
        array = array.copy()
        array[missing] = None
    if pd.api.types.is_integer_dtype(values) or pd.api.types.is_bool_dtype(series):
        return [None if v is None else int(v) for v in array]
    if pd.api.types.is_float_dtype(values):
        return [None if v is None else float(v) for v in array]
    return array.tolist()


def sqlite_arrow(frame: pd.DataFrame) -> pa.Table | None:
    """The frame as Arrow (from the frame's own buffers, so it costs little), or None if a column has
    no SQLite storage class the row-wise path would give. Missing values and NaN become NULL.

    Categoricals stay dictionary-encoded here; sqlite_batches decodes them a batch at a time.
    """
    try:
        table = pa.Table.from_pandas(frame, preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    table = table.replace_schema_metadata(None).rename_columns([str(c) for c in frame.columns])
    if not all(_storable(_sqlite_type(field.type)) for field in table.schema):
        return None
    return table


def _sqlite_type(arrow_type: pa.DataType) -> pa.DataType:
    if pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    return pa.int64() if pa.types.is_boolean(arrow_type) else arrow_type


def _storable(arrow_type: pa.DataType) -> bool:
    return (pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_string(arrow_type)
            or pa.types.is_large_string(arrow_type) or pa.types.is_null(arrow_type))


def sqlite_schema(table: pa.Table) -> pa.Schema:
    return pa.schema([pa.field(f.name, _sqlite_type(f.type)) for f in table.schema])


def sqlite_batches(table: pa.Table, rows: int = 16_384) -> Iterator[pa.RecordBatch]:
    """The table's rows in batches, categoricals decoded and booleans as integers, one batch at a time:
    decoding every categorical column at once held ~400 MB more for a million clean responses."""
    schema = sqlite_schema(table)
    for batch in table.to_batches(max_chunksize=rows):
        columns = [column.dictionary_decode() if pa.types.is_dictionary(column.type) else column
                   for column in batch.columns]
        yield pa.RecordBatch.from_arrays([c.cast(f.type) for c, f in zip(columns, schema)], schema=schema)


def _fill_staging(conn: sqlite3.Connection, staging: str, frame: pd.DataFrame, direct_rows: int) -> None:
    """Write the frame's rows into the (committed, empty) staging table.

    Through ADBC the rows are bound from Arrow buffers in C: several times faster
    than executemany over Python values, which dominated writing a million-row table.
    """
    table = sqlite_arrow(frame)
    if table is None:
        names = ", ".join(f'"{c}"' for c in frame.columns)
        placeholders = ", ".join("?" * len(frame.columns))
        rows = zip(*(_column_values(frame[c]) for c in frame.columns))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f'INSERT INTO "{staging}" ({names}) VALUES ({placeholders})', rows)
        conn.execute("COMMIT")
        return
    database = Path(conn.execute("pragma database_list").fetchone()[2])
    if len(frame) >= direct_rows:
        _ingest_in_child(database, staging, table)
    else:
        _ingest_through_scratch(conn, database, staging, table)


def _ingest_in_child(database: Path, staging: str, table: pa.Table) -> None:
    """Stream the rows to etl/ingest.py, which appends them to the staging table: each row written once."""
    child = subprocess.Popen([sys.executable, str(INGEST_SCRIPT), str(database), staging],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    _widen_pipe(child.stdin)
    try:
        with pa.ipc.new_stream(child.stdin, sqlite_schema(table)) as writer:
            for batch in sqlite_batches(table):
                writer.write_batch(batch)
    except BrokenPipeError:
        pass  # the child stopped reading; its error is raised below
    finally:
        child.stdin.close()
    error = child.stderr.read().decode("utf-8", "replace")
    if child.wait():
        raise RuntimeError(f"writing {staging} in {database} failed:\n{error[-2000:]}")


def _widen_pipe(pipe) -> None:
    """A 1 MiB pipe (Linux) rather than 64 KiB: a gigabyte of rows crosses in far fewer hand-overs."""
    try:
        fcntl.fcntl(pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (AttributeError, OSError):
        pass  # not Linux, or the system caps pipes lower: the default size works, a little slower


def _ingest_through_scratch(conn: sqlite3.Connection, database: Path, staging: str, table: pa.Table) -> None:
    # Python's sqlite3 and the ADBC driver each link their own SQLite, and one closing a file
    # the other has open drops the other's locks; so ADBC writes a private scratch file that
    # no other connection has open, and SQLite copies it across in C.
    with tempfile.TemporaryDirectory(dir=database.parent) as folder:
        scratch = Path(folder) / "rows.db"
        with adbc_driver_sqlite.dbapi.connect(str(scratch)) as adbc, adbc.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.adbc_ingest("rows", pa.RecordBatchReader.from_batches(sqlite_schema(table),
                                                                        sqlite_batches(table)), mode="create")
            adbc.commit()
        names = ", ".join(f'"{c}"' for c in table.column_names)
        conn.execute("ATTACH DATABASE ? AS scratch", [str(scratch)])
        try:
            conn.execute(f'INSERT INTO "{staging}" ({names}) SELECT {names} FROM scratch.rows')
        finally:
            conn.execute("DETACH DATABASE scratch")


def replace_table(conn: sqlite3.Connection, name: str, frame: pd.DataFrame, survey_id: str,
                  direct_rows: int = DIRECT_WRITE_ROWS, index: tuple[str, ...] = ("survey_id",)) -> None:
    """Replace one survey's rows of a table in one transaction.

    The new rows go into a staging table with the other surveys' rows copied
    across, which then takes the table's place: a reader sees the old table or
    the new one, never half of one, and other consultations' rows survive.
    `index` names the columns of the table's one index (survey_id first).
    """
    staging = create_staging(conn, name, {c: sqlite_type(frame[c]) for c in frame.columns})
    _fill_staging(conn, staging, frame, direct_rows)
    swap_in(conn, name, survey_id, index)


def staging_table(name: str) -> str:
    return f"_staging_{name}"


def create_staging(conn: sqlite3.Connection, name: str, types: dict[str, str]) -> str:
    """An empty staging table for `name` with these columns and declared types, plus any column
    the published table has besides (for other surveys' rows). Filled outside the swap: no reader
    looks at it."""
    staging = staging_table(name)
    columns = dict(types)
    for column in _columns(conn, name):
        columns.setdefault(column, "")
    definition = ", ".join(f'"{c}" {t}'.strip() for c, t in columns.items())
    conn.execute(f'DROP TABLE IF EXISTS "{staging}"')
    conn.execute(f'CREATE TABLE "{staging}" ({definition})')
    return staging


def swap_in(conn: sqlite3.Connection, name: str, survey_id: str, index: tuple[str, ...] = ("survey_id",)) -> None:
    """Publish the filled staging table as `name` in one transaction, with the other surveys' rows."""
    staging = staging_table(name)
    old_columns = _columns(conn, name)
    conn.execute("BEGIN IMMEDIATE")
    try:
        if "survey_id" in old_columns:
            kept = ", ".join(f'"{c}"' for c in old_columns)
            conn.execute(f'INSERT INTO "{staging}" ({kept}) SELECT {kept} FROM "{name}" WHERE survey_id <> ?',
                         [survey_id])
        conn.execute(f'DROP TABLE IF EXISTS "{name}"')
        conn.execute(f'ALTER TABLE "{staging}" RENAME TO "{name}"')
        if index and set(index) <= set(_columns(conn, name)):
            columns = ", ".join(f'"{c}"' for c in index)
            conn.execute(f'CREATE INDEX "{name}_{"_".join(index)}" ON "{name}" ({columns})')
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _columns(conn: sqlite3.Connection, name: str) -> list[str]:
    return [row[1] for row in conn.execute(f'pragma table_info("{name}")')]


def replace_view(conn: sqlite3.Connection, name: str, select: str) -> None:
    """Publish `name` as a view defined by `select`, in place of any table or view of that name."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        row = conn.execute("select type from sqlite_master where name = ? and type in ('table', 'view')",
                           [name]).fetchone()
        if row:
            conn.execute(f'DROP {row[0].upper()} "{name}"')
        conn.execute(f'CREATE VIEW "{name}" AS {select}')
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
