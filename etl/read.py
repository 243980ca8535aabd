"""Read completed responses from the survey database, column-wise and read-only."""
from __future__ import annotations

import sqlite3
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import adbc_driver_sqlite.dbapi
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cores import available_cores
from .emailkey import email_key


class SurveyDatabaseError(RuntimeError):
    """The survey database is missing, unreadable or holds no responses; the message names the path."""


def open_read_only(path: Path | str) -> sqlite3.Connection:
    path = Path(path)
    if not path.is_file():
        raise SurveyDatabaseError(f"Survey database not found: {path.resolve()}")
    # mode=ro: the ETL must never write to (or create) the database the app collects into.
    return sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True)


def table_exists(conn: sqlite3.Connection, name: str) -> bool:
    row = conn.execute("select 1 from sqlite_master where type = 'table' and name = ?", [name]).fetchone()
    return row is not None


def table_columns(conn: sqlite3.Connection, name: str) -> list[str]:
    return [row[1] for row in conn.execute(f'pragma table_info("{name}")')]


def query_frame(conn: sqlite3.Connection, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """A query result as a DataFrame, built column by column.

    Transposing the fetched rows once per column is about twice as fast as
    pandas.read_sql's row-wise construction and keeps object overhead low.
    """
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    if not rows:
        return pd.DataFrame({name: pd.Series([], dtype="object") for name in names})
    columns = zip(*rows)
    del rows
    return pd.DataFrame({name: pd.Series(values) for name, values in zip(names, columns)}, copy=False)


BUSY_TIMEOUT_MS = 30_000
ROWS_PER_READER = 100_000
# The SQLite driver infers each column's Arrow type from the first batch; one batch for the
# whole result means a column that is NULL in its first rows still gets the right type.
_ONE_BATCH = {"adbc.sqlite.query.batch_rows": str(2**30)}


def read_table_arrow(path: Path | str, sql: str, params: list | tuple = (),
                     categorical: Collection[str] = (), parts: Sequence[list | tuple] = ()) -> pd.DataFrame:
    """A query result read into Arrow by the ADBC SQLite driver (no Python object per value).

    Several times faster than fetchall. Dtypes match query_frame's after read_responses'
    conversion: text as "str", integers as int64 (float64 where some are missing), and a
    column with no values at all as "string". Text columns named in `categorical` come as
    categoricals (for codes: a byte a value where text takes twenty). A column holding a value
    that is not UTF-8 text (a BLOB, or text written with other bytes) is kept as bytes, as
    stored (see as_text_if_utf8), for the cleaning to set those rows aside.

    With `parts`, the query is run once for each set of parameters in it, side by side in
    threads (the driver lets go of the GIL), and the results are put together in that order.
    """
    runs = list(parts) or [params]
    with ThreadPoolExecutor(max_workers=len(runs)) as pool:
        tables = list(pool.map(lambda values: _fetch_arrow(path, sql, values), runs))
    table = _concatenated(tables) if len(tables) > 1 else tables[0]
    for index, name in enumerate(table.column_names):
        column = table.column(index)
        if _is_text(column.type) or is_bytes_type(column.type):
            column = as_text_if_utf8(column)
            table = table.set_column(index, name, column)
        if name in categorical and _is_text(column.type) and column.null_count < len(column):
            table = table.set_column(index, name, pc.dictionary_encode(column.combine_chunks()))
    frame = table.to_pandas(types_mapper=_BYTES_AS_ARROW.get)
    for name, column in zip(table.column_names, table.columns):
        if column.null_count == len(column):
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


# Bytes that are not UTF-8 stay bytes in the frame (an Arrow-backed column, which Parquet keeps as it is).
_BYTES_AS_ARROW = {pa.binary(): pd.ArrowDtype(pa.binary()), pa.large_binary(): pd.ArrowDtype(pa.large_binary())}


def _is_text(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind)


def is_bytes_type(kind: pa.DataType) -> bool:
    return pa.types.is_binary(kind) or pa.types.is_large_binary(kind)


def as_text_if_utf8(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text or bytes column as text if every value is UTF-8, else as bytes.

    SQLite hands back what was stored: the driver makes a column with a BLOB in it bytes
    throughout (its numbers and text written out as text), and text stored with bytes that
    are not UTF-8 comes as text that is not. Both are checked in one vectorised pass.
    """
    try:
        if _is_text(column.type):
            column.validate(full=True)   # checks the UTF-8 of every value
            return column
        return column.cast(pa.large_string())   # refuses bytes that are not UTF-8
    except pa.ArrowInvalid:
        return column.cast(pa.large_binary())


def _concatenated(tables: list[pa.Table]) -> pa.Table:
    """The parts as one table. The driver types a column from its values; one with none in a part
    takes the type it has elsewhere, and one whose values differ in type between parts (SQLite's
    loose typing) becomes text throughout, or bytes if it is bytes in any part."""
    typed: dict[str, set] = {}
    for table in tables:
        for field, column in zip(table.schema, table.columns):
            if column.null_count < len(column):
                typed.setdefault(field.name, set()).add(field.type)
    wanted = {name: types.pop() if len(types) == 1 else
              pa.large_binary() if any(is_bytes_type(kind) for kind in types) else pa.large_string()
              for name, types in typed.items()}
    unified = []
    for table in tables:
        for index, (field, column) in enumerate(zip(table.schema, table.columns)):
            target = wanted.get(field.name, field.type)
            if field.type != target:
                table = table.set_column(index, field.name, pa.nulls(len(column), target)
                                         if column.null_count == len(column) else _cast(column, target))
        unified.append(table)
    return pa.concat_tables(unified)


def _cast(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if is_bytes_type(target) and not (_is_text(column.type) or is_bytes_type(column.type)):
        column = column.cast(pa.large_string())   # numbers as the text the driver writes for them
    return column.cast(target)


def _fetch_arrow(path: Path | str, sql: str, params: list | tuple) -> pa.Table:
    uri = f"file:{Path(path).resolve()}?mode=ro"
    with adbc_driver_sqlite.dbapi.connect(uri) as conn, conn.cursor() as cursor:
        # The driver sets no busy timeout: wait, as sqlite3 does, while another connection opens the WAL.
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.adbc_statement.set_options(**_ONE_BATCH)
        cursor.execute(sql, list(params))
        return cursor.fetch_arrow_table()


def id_ranges(conn: sqlite3.Connection, table: str, rows_each: int = ROWS_PER_READER,
              up_to: int | None = None) -> list[tuple[int, int]]:
    """The table's ids (up to `up_to`) split into ranges (by rowid, so cheap to find) for readers
    side by side: one per core, up to four, and none smaller than about rows_each."""
    low, high = conn.execute(f'select min(rowid), max(rowid) from "{table}"').fetchone()
    if up_to is not None and high is not None:
        high = min(high, up_to)
    if low is None or high < low:
        return [(0, 0)]
    count = max(1, min(available_cores(), 4, (high - low + 1) // rows_each))
    edges = [low + (high - low + 1) * i // count for i in range(count + 1)]
    return [(edges[i], edges[i + 1] - 1) for i in range(count)]


def email_keys(emails: pd.Series, survey_id: str) -> pd.Series:
    """A salted hash of the normalised email: equal inboxes match, but no address reaches the analysis DB."""
    # One pass of plain string operations per address: a chain of vectorised pandas string
    # methods over every address cost several times more.
    keys = [email_key(address, survey_id) for address in emails.astype("object").where(emails.notna(), None).tolist()]
    return pd.Series(keys, index=emails.index, dtype="string")


def read_responses(path: Path | str, survey_id: str, categorical: Collection[str] = (),
                   up_to: int | None = None) -> pd.DataFrame:
    """Every completed response of one survey (with an id up to `up_to`, when given), with a hashed
    email key and the link's organisation.

    The personal_data email becomes `email_key`; `link_organisation` and
    `link_channel` come from the `links` table when the app has one. Columns named in
    `categorical` (answer codes) are read as categoricals.
    """
    # Python's sqlite3 and the ADBC driver each link their own SQLite; one closing the file
    # while the other has it open drops the other's locks, so their opens never overlap.
    conn = open_read_only(path)
    try:
        if not table_exists(conn, "responses"):
            raise SurveyDatabaseError(f"Survey database {Path(path).resolve()} has no responses table")
        has_emails = table_exists(conn, "personal_data")
        links = _links(conn)
        ranges = id_ranges(conn, "responses", up_to=up_to)
    finally:
        conn.close()
    # The addresses are read and hashed while the responses are read (the driver releases the GIL),
    # and a large table is read in id ranges side by side, one a core.
    with ThreadPoolExecutor(max_workers=1) as pool:
        keys = pool.submit(_email_keys_by_id, path, survey_id) if has_emails else None
        # "+survey_id" keeps SQLite off the (survey_id, submitted_at) index: a scan in rowid order
        # needs no sort of every row by id, which took longer than reading them.
        frame = read_table_arrow(path, "select * from responses where +survey_id = ? and id between ? and ? "
                                 "order by id", categorical=categorical,
                                 parts=[[survey_id, low, high] for low, high in ranges])
        by_id = keys.result() if keys else None
    if frame.empty:
        raise SurveyDatabaseError(
            f"Survey database {Path(path).resolve()} holds no responses for survey '{survey_id}'")
    frame["id"] = frame["id"].astype("int64")
    # Text columns (and any column SQLite's loose typing left mixed) as strings, so frames serialise cleanly.
    for column in frame.columns[frame.dtypes == object]:
        frame[column] = frame[column].astype("string")
    frame["email_key"] = (frame["id"].map(by_id).astype("string") if by_id is not None and not by_id.empty
                          else _missing_text(frame))
    for column in ("organisation", "channel"):
        frame[f"link_{column}"] = (frame["link_token"].map(links[column]).astype("string") if not links.empty
                                   else _missing_text(frame))
    return frame


def _email_keys_by_id(path: Path | str, survey_id: str) -> pd.Series:
    """The hashed key of each stored follow-up email, indexed by response id."""
    emails = read_table_arrow(path, "select response_id, cast(email as blob) as email from personal_data "
                                    "where survey_id = ?", [survey_id])  # bytes: see normalise_email
    return email_keys(pd.Series(emails["email"].to_numpy(), index=emails["response_id"].astype("int64")), survey_id)


def _missing_text(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _links(conn: sqlite3.Connection) -> pd.DataFrame:
    empty = pd.DataFrame({"organisation": pd.Series(dtype="string"), "channel": pd.Series(dtype="string")})
    if not table_exists(conn, "links"):
        return empty
    columns = set(table_columns(conn, "links"))
    if "token" not in columns:
        return empty
    organisation = "organisation" if "organisation" in columns else "null"
    channel = "channel" if "channel" in columns else "null"
    links = query_frame(conn, f"select token, {organisation} as organisation, {channel} as channel from links")
    return links.set_index("token") if not links.empty else empty
