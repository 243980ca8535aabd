"""Read completed responses from the survey database, column-wise and read-only."""
from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import adbc_driver_sqlite.dbapi
import pandas as pd


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


# The SQLite driver infers each column's Arrow type from the first batch; one batch for the
# whole result means a column that is NULL in its first rows still gets the right type.
_ONE_BATCH = {"adbc.sqlite.query.batch_rows": str(2**30)}


def read_table_arrow(path: Path | str, sql: str, params: list | tuple = ()) -> pd.DataFrame:
    """A query result read into Arrow by the ADBC SQLite driver (no Python object per value).

    Several times faster than fetchall. Dtypes match query_frame's after read_responses'
    conversion: text as "str", integers as int64 (float64 where some are missing), and a
    column with no values at all as "string".
    """
    uri = f"file:{Path(path).resolve()}?mode=ro"
    with adbc_driver_sqlite.dbapi.connect(uri) as conn, conn.cursor() as cursor:
        cursor.adbc_statement.set_options(**_ONE_BATCH)
        cursor.execute(sql, list(params))
        table = cursor.fetch_arrow_table()
    frame = table.to_pandas()
    for name, column in zip(table.column_names, table.columns):
        if column.null_count == len(column):
            frame[name] = pd.Series(pd.NA, index=frame.index, dtype="string")
    return frame


def normalise_email(address: str | None) -> str | None:
    """Lower-case, trimmed, with any +tag removed (and Gmail's ignored dots), so one inbox is one key.

    None for no address, or for text with no "@" in it.
    """
    if address is None:
        return None
    text = address.strip().lower()
    local, at, domain = text.partition("@")
    if not at:
        return None
    local = local.split("+", 1)[0]
    if domain == "googlemail.com":
        domain = "gmail.com"
    if domain == "gmail.com":
        local = local.replace(".", "")
    return f"{local}@{domain}"


def email_keys(emails: pd.Series, survey_id: str) -> pd.Series:
    """A salted hash of the normalised email: equal inboxes match, but no address reaches the analysis DB."""
    salt = survey_id.encode()
    # One pass of plain string operations per address: a chain of vectorised pandas string
    # methods over every address cost several times more.
    keys = []
    for address in emails.astype("object").where(emails.notna(), None).tolist():
        normalised = normalise_email(address)
        keys.append(None if normalised is None else hashlib.sha256(salt + normalised.encode()).hexdigest()[:24])
    return pd.Series(keys, index=emails.index, dtype="string")


def read_responses(path: Path | str, survey_id: str) -> pd.DataFrame:
    """Every completed response of one survey, with a hashed email key and the link's organisation.

    The personal_data email becomes `email_key`; `link_organisation` and
    `link_channel` come from the `links` table when the app has one.
    """
    # Python's sqlite3 and the ADBC driver each link their own SQLite; one closing the file
    # while the other has it open drops the other's locks, so their opens never overlap.
    conn = open_read_only(path)
    try:
        if not table_exists(conn, "responses"):
            raise SurveyDatabaseError(f"Survey database {Path(path).resolve()} has no responses table")
    finally:
        conn.close()
    # "+survey_id" keeps SQLite off the (survey_id, submitted_at) index: a scan in rowid order
    # needs no sort of every row by id, which took longer than reading them.
    frame = read_table_arrow(path, "select * from responses where +survey_id = ? order by id", [survey_id])
    if frame.empty:
        raise SurveyDatabaseError(
            f"Survey database {Path(path).resolve()} holds no responses for survey '{survey_id}'")
    conn = open_read_only(path)
    try:
        emails = query_frame(conn, "select response_id, email from personal_data where survey_id = ?",
                             [survey_id]) if table_exists(conn, "personal_data") else None
        links = _links(conn)
    finally:
        conn.close()
    frame["id"] = frame["id"].astype("int64")
    # Text columns (and any column SQLite's loose typing left mixed) as strings, so frames serialise cleanly.
    for column in frame.columns[frame.dtypes == object]:
        frame[column] = frame[column].astype("string")
    if emails is not None and not emails.empty:
        # Hashed as stored (one per response that left an address), then matched to the responses.
        by_id = email_keys(pd.Series(emails["email"].to_numpy(), index=emails["response_id"].astype("int64")),
                           survey_id)
        frame["email_key"] = frame["id"].map(by_id).astype("string")
    else:
        frame["email_key"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    frame["link_organisation"] = frame["link_token"].map(links["organisation"]).astype("string")
    frame["link_channel"] = frame["link_token"].map(links["channel"]).astype("string")
    return frame


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
