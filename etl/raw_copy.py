"""Publish the raw responses by having SQLite copy them from the survey database while they are read.

    python -m etl.raw_copy ANALYSIS_DATABASE STAGING_TABLE SURVEY_DATABASE SURVEY_ID UP_TO

Copying the stored rows inside SQLite costs a fraction of binding a million rows' values
again, and in a process of its own it runs on the other core while this one reads the
same rows into the frame the next assets get. Its own process also keeps the two SQLite
libraries apart: Python's sqlite3 (here) and the ADBC driver (the read) each link their
own, and one closing a file the other has open in the same process drops the other's locks.

The copy takes every response of the survey up to an id fixed before either starts, so
responses that arrive meanwhile wait for the next run. The columns read_responses adds
(the email key, the link's organisation and channel) are made in SQL the same way. If the
copy and the frame do not hold the same responses (one was erased between the two reads),
the table is written from the frame, so it is always what the downstream assets were given.
"""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Collection
from pathlib import Path
from typing import TYPE_CHECKING

from .emailkey import email_key

if TYPE_CHECKING:
    import pandas as pd

ADDED = ("email_key", "link_organisation", "link_channel")
PROJECT_ROOT = Path(__file__).resolve().parents[1]
BUSY_TIMEOUT_MS = 30_000


def read_and_publish(source: Path | str, analysis: Path | str, table: str, survey_id: str,
                     categorical: Collection[str] = (), index: tuple[str, ...] = ("survey_id",)) -> pd.DataFrame:
    """The survey's responses as read_responses gives them, with `table` in the analysis
    database replaced by the same rows (see the module's docstring)."""
    # Imported here, not at the top: the copying process imports this module, and starts
    # in a fraction of the time without pandas and the ADBC driver.
    from .read import SurveyDatabaseError, open_read_only, read_responses, table_exists
    from .tables import connect_analysis, create_staging

    conn = open_read_only(source)
    try:
        if not table_exists(conn, "responses"):
            raise SurveyDatabaseError(f"Survey database {Path(source).resolve()} has no responses table")
        declared = {row[1]: row[2] for row in conn.execute("pragma table_info(responses)")}
        up_to = conn.execute("select coalesce(max(rowid), 0) from responses").fetchone()[0]
    finally:
        conn.close()
    analysis_conn = connect_analysis(analysis)
    try:
        staging = create_staging(analysis_conn, table, {**declared, **{column: "TEXT" for column in ADDED}})
        copy = start_copy(analysis, staging, source, survey_id, up_to)
        try:
            frame = read_responses(source, survey_id, categorical, up_to=up_to)
            copied = finish_copy(copy)
        except BaseException:
            copy.kill()
            copy.wait()
            analysis_conn.execute(f'DROP TABLE IF EXISTS "{staging}"')
            raise
        publish_copy(analysis_conn, table, survey_id, frame, copied, index)
    finally:
        analysis_conn.close()
    return frame


def publish_copy(conn: sqlite3.Connection, table: str, survey_id: str, frame: pd.DataFrame, copied: dict[str, int],
                 index: tuple[str, ...] = ("survey_id",)) -> bool:
    """Publish the filled staging table if it holds the frame's responses, else write the table
    from the frame; True if the copy was published."""
    from .tables import replace_table, swap_in

    if copied == fingerprint(frame["id"]):
        swap_in(conn, table, survey_id, index)
        return True
    replace_table(conn, table, frame, survey_id, index=index)
    return False


def fingerprint(ids: pd.Series) -> dict[str, int]:
    """How many responses and the sum of their ids. The copy and the frame both hold the stored
    responses up to one id, less any erased meanwhile; for them to differ with both figures alike
    would take several erasures within seconds whose ids happened to sum alike."""
    return {"rows": int(len(ids)), "id_sum": int(ids.sum()) if len(ids) else 0}


def start_copy(analysis: Path | str, staging: str, source: Path | str, survey_id: str, up_to: int) -> subprocess.Popen:
    # Run from the folder holding this copy of etl/, so that `-m` finds this copy and no other.
    return subprocess.Popen([sys.executable, "-m", "etl.raw_copy", str(Path(analysis).resolve()), staging,
                             str(Path(source).resolve()), survey_id, str(up_to)],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_copy(copy: subprocess.Popen) -> dict[str, int]:
    """The copy's fingerprint of the rows it wrote, once it has committed them."""
    out, error = copy.communicate()
    if copy.returncode:
        raise RuntimeError(f"copying the raw responses failed:\n{error[-2000:]}")
    return json.loads(out)


def copy_rows(analysis: str, staging: str, source: str, survey_id: str, up_to: int) -> dict[str, int]:
    """Append the survey's stored responses up to `up_to` to the (empty) staging table, in id order."""
    conn = sqlite3.connect(Path(analysis).as_uri(), uri=True, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("ATTACH DATABASE ? AS source", [Path(source).as_uri() + "?mode=ro"])
        _store_email_keys(conn, survey_id)
        stored = [row[1] for row in conn.execute('pragma source.table_info("responses")')]
        names = ", ".join(_q(column) for column in [*stored, *ADDED])
        selected = ", ".join([*(f"r.{_q(column)}" for column in stored), *_added(conn)])
        conn.execute("BEGIN IMMEDIATE")
        # "+survey_id" keeps SQLite off the (survey_id, submitted_at) index: a scan in rowid order needs no sort.
        conn.execute(f"INSERT INTO {_q(staging)} ({names}) SELECT {selected} FROM source.responses AS r "
                     f"{_joins(conn)} WHERE +r.survey_id = ?1 AND r.id <= ?2 ORDER BY r.id", [survey_id, up_to])
        rows, id_sum = conn.execute(f"SELECT count(*), coalesce(sum(id), 0) FROM {_q(staging)}").fetchone()
        conn.execute("COMMIT")
        return {"rows": rows, "id_sum": id_sum}
    finally:
        conn.close()


def _source_columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in conn.execute(f'pragma source.table_info("{table}")')}


def _added(conn: sqlite3.Connection) -> list[str]:
    """The email key, organisation and channel, or NULL where the app has no such table or column."""
    links = _source_columns(conn, "links")
    has_links = "token" in links
    return ["k.email_key",
            "l.organisation" if has_links and "organisation" in links else "NULL",
            "l.channel" if has_links and "channel" in links else "NULL"]


def _joins(conn: sqlite3.Connection) -> str:
    joins = ["LEFT JOIN temp.email_keys AS k ON k.response_id = r.id"]
    if "token" in _source_columns(conn, "links"):
        joins.append("LEFT JOIN source.links AS l ON l.token = r.link_token")
    return " ".join(joins)


def _store_email_keys(conn: sqlite3.Connection, survey_id: str) -> None:
    """temp.email_keys: each stored follow-up email's key by response id. Hashed in one Python pass:
    a SQL function called once a row cost three times as much."""
    conn.execute("CREATE TEMP TABLE email_keys (response_id INTEGER PRIMARY KEY, email_key TEXT)")
    personal = _source_columns(conn, "personal_data")
    if not {"response_id", "email"} <= personal:
        return
    sql = "SELECT response_id, CAST(email AS BLOB) FROM source.personal_data"  # bytes: see normalise_email
    emails = (conn.execute(f"{sql} WHERE survey_id = ?", [survey_id]) if "survey_id" in personal
              else conn.execute(sql)).fetchall()
    conn.executemany("INSERT INTO temp.email_keys VALUES (?, ?)",
                     [(response, email_key(email, survey_id)) for response, email in emails])


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


if __name__ == "__main__":
    analysis_path, staging_name, source_path, survey, last_id = sys.argv[1:]
    print(json.dumps(copy_rows(analysis_path, staging_name, source_path, survey, int(last_id))))
