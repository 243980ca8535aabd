"""The responses database: schema, drafts and completed responses.

Pure storage (sqlite-utils on SQLite in WAL mode); no Flask import, so the ETL
and the synthetic-data generator write through exactly the same code as the app.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import sqlite3
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

import sqlite_utils

from .definition import Question, Survey

if TYPE_CHECKING:
    import pandas as pd

BUSY_TIMEOUT_MS = 5000
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no 0/O, 1/I/L or U: easy to read aloud


class StorageUnavailable(RuntimeError):
    """The database could not take the write now (locked or failing); a retry may succeed."""


def connect(path: Path | str, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> sqlite_utils.Database:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=busy_timeout_ms / 1000, isolation_level=None,
                           check_same_thread=False)
    db = sqlite_utils.Database(conn)
    db.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = NORMAL")
    return db


@contextmanager
def immediate_transaction(db: sqlite_utils.Database) -> Iterator[None]:
    """A write transaction that takes the write lock up front, so it never fails half-way on a lock."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


# --- schema --------------------------------------------------------------------


def _create_core_tables(db: sqlite_utils.Database) -> None:
    db["responses"].create({
        "id": int, "survey_id": str, "survey_version": int, "reference": str,
        "submission_key": str, "started_at": str, "submitted_at": str, "language": str,
        "duration_seconds": int, "link_token": str, "fingerprint": str, "quality_flags": str,
    }, pk="id", not_null={"survey_id", "survey_version", "reference", "submission_key",
                          "submitted_at", "language"}, if_not_exists=True)
    db["responses"].create_index(["reference"], unique=True, if_not_exists=True)
    db["responses"].create_index(["submission_key"], unique=True, if_not_exists=True)
    db["responses"].create_index(["survey_id", "submitted_at"], if_not_exists=True)
    db["personal_data"].create({
        "response_id": int, "survey_id": str, "email": str, "created_at": str,
    }, pk="response_id", foreign_keys=[("response_id", "responses", "id")], if_not_exists=True)
    db["drafts"].create({
        "id": str, "survey_id": str, "language": str, "started_at": str, "updated_at": str,
        "link_token": str, "answers": str, "reference": str,
    }, pk="id", not_null={"survey_id", "started_at", "answers"}, if_not_exists=True)


def _create_links_table(db: sqlite_utils.Database) -> None:
    """Service-provider links (see survey_app/links.py); only a hash of each manage secret is kept."""
    db["links"].create({
        "token": str, "survey_id": str, "organisation": str, "channel": str, "created_at": str,
        "expires_on": str, "active": int, "disabled_at": str, "manage_hash": str,
    }, pk="token", not_null={"survey_id", "organisation", "channel", "created_at", "active", "manage_hash"},
        if_not_exists=True)
    db["links"].create_index(["manage_hash"], unique=True, if_not_exists=True)
    db["links"].create_index(["survey_id"], if_not_exists=True)
    # Providers' pages and `links list` count responses by link.
    db["responses"].create_index(["link_token"], if_not_exists=True)


def _create_erasures_table(db: sqlite_utils.Database) -> None:
    # Only the reference and the time: enough for the ETL to remove the response
    # downstream and to prove the erasure happened, nothing about the person.
    db["erasures"].create({"reference": str, "erased_at": str}, pk="reference",
                          not_null={"erased_at"}, if_not_exists=True)


def _add_typed_to_drafts(db: sqlite_utils.Database) -> None:
    # What was typed on a page but not yet saved, kept when the person switches language or
    # goes Back; never part of a response, and deleted with its draft.
    db.execute("ALTER TABLE drafts ADD COLUMN typed TEXT")


# Applied in order; PRAGMA user_version records how many have run. Append only.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [
    _create_core_tables,
    _create_links_table,
    _create_erasures_table,
    _add_typed_to_drafts,
]


def migrate(db: sqlite_utils.Database, surveys: Iterable[Survey] = ()) -> None:
    """Bring the schema up to date and add a column for every question of every survey."""
    with immediate_transaction(db):
        done = db.execute("PRAGMA user_version").fetchone()[0]
        for number, migration in enumerate(MIGRATIONS[done:], start=done + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
        existing = set(db["responses"].columns_dict)
        for survey in surveys:
            for column, sql_type in survey.answer_columns().items():
                if column not in existing:
                    db.execute(f'ALTER TABLE responses ADD COLUMN "{column}" {sql_type}')
                    existing.add(column)


# --- drafts ----------------------------------------------------------------------


@dataclass
class Draft:
    id: str
    survey_id: str
    language: str
    started_at: dt.datetime
    answers: dict[str, Any]
    link_token: str | None = None
    reference: str | None = None
    # section id -> {field name: value as typed}; see save_typed
    typed: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def submitted(self) -> bool:
        return self.reference is not None


def new_draft(db: sqlite_utils.Database, survey: Survey, language: str, now: dt.datetime,
              link_token: str | None = None) -> Draft:
    draft = Draft(id=secrets.token_urlsafe(18), survey_id=survey.slug, language=language,
                  started_at=now, answers={}, link_token=link_token)
    _write(db, lambda: _insert(db, "drafts", {
        "id": draft.id, "survey_id": draft.survey_id, "language": language,
        "started_at": iso(now), "updated_at": iso(now), "link_token": link_token,
        "answers": "{}", "reference": None,
    }))
    return draft


def load_draft(db: sqlite_utils.Database, draft_id: str | None, survey: Survey) -> Draft | None:
    if not draft_id:
        return None
    rows = list(db.query("select * from drafts where id = ? and survey_id = ?", [draft_id, survey.slug]))
    if not rows:
        return None
    row = rows[0]
    return Draft(id=row["id"], survey_id=row["survey_id"], language=row["language"],
                 started_at=dt.datetime.fromisoformat(row["started_at"]),
                 answers=json.loads(row["answers"]), link_token=row["link_token"],
                 reference=row["reference"], typed=json.loads(row["typed"] or "{}"))


def save_answers(db: sqlite_utils.Database, draft: Draft, answers: Mapping[str, Any], now: dt.datetime,
                 section_id: str | None = None) -> None:
    """Merge one page's answers into the draft (a page's keys replace what was there).

    The page's typed-but-unsaved values, if any, are dropped: the saved answers replace them.
    A draft already submitted is left alone: a racing second POST of the last page must not
    write the answers (a follow-up email among them) back after the response was stored.
    """
    draft.answers.update(answers)
    draft.typed.pop(section_id, None)
    _write(db, lambda: db.execute(
        "UPDATE drafts SET answers = ?, typed = ?, updated_at = ? WHERE id = ? AND reference IS NULL",
        [json.dumps(draft.answers, ensure_ascii=False), _typed_json(draft), iso(now), draft.id]))


def save_typed(db: sqlite_utils.Database, draft: Draft, section_id: str, values: Mapping[str, Any],
               now: dt.datetime) -> None:
    """Hold what was typed on a page, valid or not, without saving it as answers.

    Used when someone switches language or goes Back before saving the page, so nothing they
    typed is lost; the page shows it again, and only a valid "Save and continue" makes it answers.
    """
    draft.typed[section_id] = dict(values)
    _write(db, lambda: db.execute("UPDATE drafts SET typed = ?, updated_at = ? WHERE id = ? AND reference IS NULL",
                                  [_typed_json(draft), iso(now), draft.id]))


def _typed_json(draft: Draft) -> str | None:
    return json.dumps(draft.typed, ensure_ascii=False) if draft.typed else None


# --- completed responses ------------------------------------------------------------


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"{chars[:4]}-{chars[4:]}"


def submitted_answers(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Only answers to questions on pages this respondent was shown (a changed branch drops the rest)."""
    kept: dict[str, Any] = {}
    for section in survey.visible_sections(answers):
        for q in section.questions:
            if q.id in answers:
                kept[q.id] = answers[q.id]
            if q.other and q.other_column in answers:
                kept[q.other_column] = answers[q.other_column]
    return kept


def _stored_value(question: Question, value: Any) -> Any:
    if question.type == "multiple":
        return json.dumps(list(value or []), ensure_ascii=False)
    if value == "":
        return None
    return value


def response_row(survey: Survey, answers: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split answers into (stored answer columns, personal data)."""
    row: dict[str, Any] = {}
    personal: dict[str, Any] = {}
    for q in survey.questions:
        if q.id not in answers:
            continue
        if q.personal:
            personal[q.id] = answers[q.id] or None
            continue
        row[q.id] = _stored_value(q, answers[q.id])
        if q.other:
            row[q.other_column] = answers.get(q.other_column) or None
    return row, personal


def submit(db: sqlite_utils.Database, survey: Survey, draft: Draft, now: dt.datetime,
           fingerprint: str | None = None, quality_flags: Iterable[str] = (),
           language: str | None = None) -> str:
    """Store the draft as one completed response and return its reference.

    `language` is the one the respondent finished in (they may have switched part-way).
    Idempotent: a second call for the same draft (a double click, a retried POST)
    returns the reference of the response already stored and writes nothing.
    """
    answers = submitted_answers(survey, draft.answers)
    row, personal = response_row(survey, answers)

    def write() -> str:
        with immediate_transaction(db):
            existing = db.execute("select reference from drafts where id = ?", [draft.id]).fetchone()
            if existing and existing[0]:
                return existing[0]
            reference = new_reference()
            while db.execute("select 1 from responses where reference = ?", [reference]).fetchone():
                reference = new_reference()
            record = {
                "survey_id": survey.slug, "survey_version": survey.version, "reference": reference,
                "submission_key": draft.id, "started_at": iso(draft.started_at),
                "submitted_at": iso(now), "language": language or draft.language,
                "duration_seconds": max(0, int((now - draft.started_at).total_seconds())),
                "link_token": draft.link_token, "fingerprint": fingerprint,
                "quality_flags": json.dumps(sorted(set(quality_flags))), **row,
            }
            response_id = _insert(db, "responses", record)
            if any(personal.values()):
                _insert(db, "personal_data", {"response_id": response_id, "survey_id": survey.slug,
                                              "created_at": iso(now), **personal})
            # The draft keeps only the reference, so answers are not held twice.
            db.execute("UPDATE drafts SET answers = '{}', typed = NULL, reference = ?, updated_at = ? WHERE id = ?",
                       [reference, iso(now), draft.id])
            return reference

    draft.reference = _write(db, write)
    draft.answers, draft.typed = {}, {}
    return draft.reference


def insert_responses(db: sqlite_utils.Database, survey: Survey, records: Iterable[Mapping[str, Any]],
                     batch_size: int = 5000) -> int:
    """Bulk-insert completed responses (synthetic data, imports), batched in transactions.

    Each record holds the response metadata columns plus answers keyed by question id.
    Rows are bound as tuples in one executemany per batch: sqlite-utils' per-record
    insert costs about 30x more, which dominates an import of a million responses.
    """
    layout = _ResponseLayout(survey, db["responses"].columns_dict)
    count = 0
    batch: list[tuple] = []
    personal_batch: list[tuple[str, str, tuple]] = []

    def flush() -> None:
        with immediate_transaction(db):
            db.conn.executemany(layout.insert_sql, batch)
            if personal_batch:
                refs = [ref for ref, _, _ in personal_batch]
                ids = dict(db.execute(
                    f"select reference, id from responses where reference in ({','.join('?' * len(refs))})",
                    refs).fetchall())
                db.conn.executemany(layout.personal_sql, [
                    (ids[ref], survey.slug, created_at, *personal) for ref, created_at, personal in personal_batch])
        batch.clear()
        personal_batch.clear()

    for record in records:
        row, personal = layout.row(record)
        batch.append(row)
        if personal:
            personal_batch.append((record["reference"], record["submitted_at"], personal))
        count += 1
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    return count


def insert_response_frame(db: sqlite_utils.Database, survey: Survey, frame: "pd.DataFrame",
                          batch_size: int = 50_000) -> int:
    """Bulk-insert completed responses held column-wise, one row per response.

    The same columns and rules as insert_responses, with a null (None or NaN) meaning
    the key is absent. Columns are converted with Arrow and written by ADBC into private
    scratch files, then copied into `responses` by SQLite in C: binding ~50 Python values a row
    through sqlite3 capped the old path.

    Each transaction first counts the responses already stored. While the rows still to copy
    are at least as many (seeding, a first import), it copies all of them in that transaction
    with the indexes on responses dropped first and created again after: sorting each key once
    costs a fraction of inserting random references and keys one by one into their B-trees.
    No other connection can write in between (SQLite has one writer) and readers keep the
    snapshot they began with, indexes and all; a recreated unique index still refuses a repeat,
    and the whole load rolls back with it. The app's writers wait for the whole load (about
    1.3 s of SQLite's work per 200k rows on the benchmark machine), as they would for each batch.
    A smaller load goes `batch_size` rows a transaction, with the indexes in place.
    """
    columns = db.execute("PRAGMA table_xinfo(responses)").fetchall()
    rows, personal = _arrow_responses(survey, {c[1]: c[2] for c in columns}, frame)
    _refuse_nulls(rows, [name for _, name, _, notnull, _, pk, _ in columns if notnull and not pk])
    main_file = Path(db.execute("PRAGMA database_list").fetchone()[2])
    # The scratch files sit beside the database (same disk), and they are attached only once
    # ADBC has closed them: the two SQLite libraries must never share an open file.
    with tempfile.TemporaryDirectory(dir=main_file.parent) as folder:
        parts = _write_scratch(Path(folder), columns, rows, personal)
        attached: list[str] = []
        try:
            for part in parts:
                db.execute(f"ATTACH DATABASE ? AS {part.schema}", [str(part.path)])
                attached.append(part.schema)
            with _large_page_cache(db):
                copy = _FrameCopy(db, rows.column_names, parts, personal)
                first, rebuilt = 1, False
                while first <= rows.num_rows:
                    with immediate_transaction(db):
                        stored = db.execute("SELECT count(*) FROM responses").fetchone()[0]
                        if rows.num_rows - first + 1 >= stored:
                            first, rebuilt = copy.rebuilding_indexes(first, rows.num_rows), True
                        else:
                            first = copy.rows(first, min(first + batch_size - 1, rows.num_rows))
        finally:
            for schema in attached:
                db.execute(f"DETACH DATABASE {schema}")
    if rebuilt:
        _truncate_wal(db)
    return rows.num_rows


def _truncate_wal(db: sqlite_utils.Database) -> None:
    """One transaction leaves a write-ahead log as large as itself (SQLite reuses the file but
    never shrinks it): give the space back now if no other connection is using the log, without
    waiting for one that is."""
    before = db.execute("PRAGMA busy_timeout").fetchone()[0]
    db.execute("PRAGMA busy_timeout = 0")
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # reports "busy" in its row rather than raising
    finally:
        db.execute(f"PRAGMA busy_timeout = {int(before)}")


@dataclass
class _ScratchPart:
    """One scratch file: rows first..last of the frame, each with its position as its id."""
    schema: str
    path: Path
    first: int
    last: int


def _scratch_parts(rows: int) -> int:
    """How many scratch files to write at once: one per processor, none under 25k rows."""
    processors = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(processors, 4, rows // 25_000))


def _write_scratch(folder: Path, columns: list[tuple], rows: Any, personal: Any) -> list[_ScratchPart]:
    """Write the rows with ADBC into scratch files, split in parts written side by side in threads
    (ADBC lets go of the GIL while it writes), and the personal data beside the first part."""
    # Imported here, not at the top: the web app imports this module but never bulk-inserts,
    # and these would add most of a second and ~100 MB to every worker.
    import adbc_driver_sqlite.dbapi
    import numpy as np
    import pyarrow as pa

    count = _scratch_parts(rows.num_rows)
    size = -(-rows.num_rows // count)
    parts = [_ScratchPart(f"scratch{i}", folder / f"rows{i}.db", i * size + 1, min((i + 1) * size, rows.num_rows))
             for i in range(count)]

    def write(part: _ScratchPart) -> None:
        piece = rows.slice(part.first - 1, part.last - part.first + 1)
        piece = piece.append_column("id", pa.array(np.arange(part.first, part.last + 1, dtype=np.int64)))
        # A throwaway file: no journal, no fsync (autocommit, so the pragmas precede any transaction),
        # and the largest pages: about 15% less CPU to write, and half as much to copy out.
        with adbc_driver_sqlite.dbapi.connect(str(part.path), autocommit=True) as adbc, adbc.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode = OFF")
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA page_size = 65536")
            # Declared as responses is, so SQLite stores each value here exactly as it would in
            # responses, and can copy whole rows into a table without indexes without decoding them.
            cursor.execute(_scratch_table_sql("rows", columns))
            cursor.adbc_ingest("rows", piece, mode="append")
            if personal is not None and part is parts[0]:
                # Keyed by the row's position, so a batch reads only its own.
                names = ", ".join(_quoted(c) for c in personal.column_names[1:])
                cursor.execute(f"CREATE TABLE personal (position INTEGER PRIMARY KEY, {names})")
                cursor.adbc_ingest("personal", personal, mode="append")

    if count == 1:
        write(parts[0])
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(count) as pool:
            list(pool.map(write, parts))
    return parts


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _scratch_table_sql(name: str, columns: list[tuple]) -> str:
    """CREATE TABLE for a scratch copy of responses, from PRAGMA table_xinfo: the same columns
    in the same order, with the same types, NOT NULL and defaults (no indexes)."""
    definitions = []
    for _, column, sql_type, notnull, default, pk, _ in columns:
        definitions.append(" ".join(filter(None, [
            _quoted(column), sql_type, "PRIMARY KEY" if pk else "", "NOT NULL" if notnull else "",
            f"DEFAULT {default}" if default is not None else ""])))
    return f"CREATE TABLE {_quoted(name)} ({', '.join(definitions)})"


def _refuse_nulls(rows: Any, required: list[str]) -> None:
    """Fail as SQLite would on a missing required value, before anything is written anywhere."""
    for column in required:
        if column not in rows.column_names or rows[column].null_count:
            raise sqlite3.IntegrityError(f"NOT NULL constraint failed: responses.{column}")


@contextmanager
def _large_page_cache(db: sqlite_utils.Database, kib: int = 256 * 1024) -> Iterator[None]:
    """A bigger page cache for this connection while it bulk-inserts: the unique indexes on
    random references and keys touch pages all over their B-trees."""
    before = db.execute("PRAGMA cache_size").fetchone()[0]
    db.execute(f"PRAGMA cache_size = -{kib}")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {before}")


class _FrameCopy:
    """Copies scratch rows into responses, and their personal data alongside, inside the caller's
    transaction. Each row gets the next free id (what SQLite would give it), so its personal
    data needs no look-up by reference."""

    def __init__(self, db: sqlite_utils.Database, columns: list[str], parts: list[_ScratchPart], personal: Any):
        self.db, self.parts, self.count = db, parts, parts[-1].last
        names = ", ".join(_quoted(c) for c in columns)
        self.rows_sql = {part.schema: f"INSERT INTO responses (id, {names}) SELECT id + ?, {names} "
                                      f"FROM {part.schema}.rows WHERE id BETWEEN ? AND ? ORDER BY id"
                         for part in parts}
        self.personal_sql = None
        if personal is not None:
            names = ", ".join(_quoted(c) for c in personal.column_names[1:])
            self.personal_sql = (f"INSERT INTO personal_data (response_id, {names}) "
                                 f"SELECT position + ?, {names} FROM {parts[0].schema}.personal "
                                 "WHERE position BETWEEN ? AND ? ORDER BY position")

    def rows(self, first: int, last: int) -> int:
        """Copy rows first..last (their positions in the frame, 1 up); returns the next to copy."""
        highest = self.db.execute("SELECT max(id) FROM responses").fetchone()[0]
        offset = (highest or 0) - first + 1
        # Every row into an empty table, ids unchanged. With the indexes dropped, this exact form
        # lets SQLite copy each stored record as it stands instead of decoding and rebuilding it
        # (its transfer optimisation); the tables are declared alike for it.
        whole = offset == 0 and first == 1 and last == self.count
        for part in self.parts:
            if whole:
                self.db.execute(f"INSERT INTO responses SELECT * FROM {part.schema}.rows")
            elif max(first, part.first) <= min(last, part.last):
                self.db.execute(self.rows_sql[part.schema],
                                [offset, max(first, part.first), min(last, part.last)])
        if self.personal_sql:
            self.db.execute(self.personal_sql, [offset, first, last])
        return last + 1

    def rebuilding_indexes(self, first: int, last: int) -> int:
        """Copy rows first..last with the indexes on responses dropped, then create them again."""
        indexes = self.db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                  "AND tbl_name = 'responses' AND sql IS NOT NULL").fetchall()
        for name, _ in indexes:
            self.db.execute(f"DROP INDEX {_quoted(name)}")
        following = self.rows(first, last)
        for _, sql in indexes:
            self.db.execute(sql)  # a duplicate reference or key fails here, and all is rolled back
        return following


def _arrow_responses(survey: Survey, table_columns: Mapping[str, Any], frame: "pd.DataFrame"):
    """(an Arrow table of the responses columns the frame fills, with the values to store,
    an Arrow table of personal data or None).

    The same rules as response_row: "" is stored as NULL, "other" text only alongside an answer
    to its question. The personal table holds, for each row with any personal answer, its
    position in the frame (from 1), survey and time, and those answers.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    questions = survey.questions
    answer_keys = {q.id for q in questions} | {q.other_column for q in questions if q.other}
    meta = [c for c in table_columns if c not in answer_keys and c != "id"]
    unknown = set(frame.columns) - answer_keys - set(meta)
    if unknown:
        raise ValueError(f"responses has no column named {', '.join(sorted(unknown))}")
    n = len(frame)
    defaults = {"survey_id": survey.slug, "survey_version": survey.version, "quality_flags": "[]"}
    arrays: dict[str, Any] = {}
    for column in meta:
        if column in frame.columns:
            arrays[column] = _arrow(frame[column])
        elif column == "submission_key":
            arrays[column] = _random_keys(n)
        elif column in defaults:
            arrays[column] = pa.array([defaults[column]] * n)
    personal: dict[str, Any] = {}
    for q in questions:
        if q.id not in frame.columns:
            continue
        if q.personal:
            personal[q.id] = _blank_as_null(_arrow(frame[q.id]))
            continue
        given = _json_lists(frame[q.id]) if q.type == "multiple" else _arrow(frame[q.id])
        arrays[q.id] = given if q.type == "multiple" else _blank_as_null(given)
        if q.other and q.other_column in frame.columns:
            other = _blank_as_null(_arrow(frame[q.other_column]))
            arrays[q.other_column] = pc.if_else(given.is_valid(), other, pa.nulls(n, other.type))
    # Without submitted_at the rows are refused (NOT NULL) before any personal data is copied.
    submitted_at = arrays.get("submitted_at", pa.nulls(n, pa.string()))
    return pa.table(arrays), _personal_table(personal, arrays["survey_id"], submitted_at, n)


def _personal_table(answers: dict[str, Any], survey_id, submitted_at, n: int):
    import numpy as np
    import pyarrow as pa

    if not answers:
        return None
    given = np.zeros(n, dtype=bool)
    for values in answers.values():
        given |= values.is_valid().to_numpy(zero_copy_only=False)
    table = pa.table({"position": pa.array(np.arange(1, n + 1)), "survey_id": survey_id,
                      "created_at": submitted_at, **answers})
    return table.filter(pa.array(given)) if not given.all() else table


def _blank_as_null(values):
    """NULLIF(value, ''): the empty string becomes null; other types are left alone."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not (pa.types.is_string(values.type) or pa.types.is_large_string(values.type)):
        return values
    # Lengths come from the offsets alone, without reading a character: most columns hold no "".
    empty = pc.equal(pc.binary_length(values), 0)
    if not pc.any(empty).as_py():
        return values
    return pc.if_else(empty, pa.nulls(len(values), values.type), values)


def _arrow(values: "pd.Series"):
    import pyarrow as pa

    return pa.array(values, from_pandas=True)  # NaN and None become null


def _json_lists(values: "pd.Series"):
    """Each list of codes as json.dumps writes it ('["a", "b"]'), null where the question was not asked.

    Only the distinct codes go through json.dumps; Arrow joins them row by row in C.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    lists = pa.array(values, type=pa.list_(pa.string()), from_pandas=True)
    codes = lists.values
    distinct = pc.unique(codes)
    encoded = pa.array([json.dumps(code, ensure_ascii=False) for code in distinct.to_pylist()], pa.string())
    quoted = pa.ListArray.from_arrays(lists.offsets, encoded.take(pc.index_in(codes, distinct)),
                                      mask=lists.is_null())
    return pc.binary_join_element_wise("[", pc.binary_join(quoted, ", "), "]", "")


def _random_keys(n: int):
    """n random submission keys in the form secrets.token_urlsafe(12) gives, made in one call.

    16 characters each, so the encoded bytes are the string data of an Arrow array as they stand.
    """
    import numpy as np
    import pyarrow as pa

    encoded = base64.urlsafe_b64encode(secrets.token_bytes(12 * n))
    offsets = np.arange(0, 16 * n + 1, 16, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(encoded))


_ABSENT = object()


class _ResponseLayout:
    """How a record maps onto a `responses` row, worked out once per bulk insert, not once per row.

    Same rules as response_row: an answer key that is present is stored (multiple choice as a
    JSON list, "" as NULL), "other" text only alongside its question, personal data apart.
    """

    def __init__(self, survey: Survey, table_columns: Mapping[str, Any]):
        questions = survey.questions
        answer_keys = {q.id for q in questions} | {q.other_column for q in questions if q.other}
        defaults = {"survey_id": survey.slug, "survey_version": survey.version, "quality_flags": "[]"}
        self.meta = [(c, defaults.get(c)) for c in table_columns if c not in answer_keys]
        self.key_position = [c for c, _ in self.meta].index("submission_key")
        self.plain = [q.id for q in questions if not q.personal and q.type != "multiple"]
        self.multiple = [q.id for q in questions if q.type == "multiple"]
        self.others = [(q.id, q.other_column) for q in questions if q.other]
        self.personal = [q.id for q in questions if q.personal]
        self.known = answer_keys | {c for c, _ in self.meta}
        columns = [c for c, _ in self.meta] + self.plain + self.multiple + [o for _, o in self.others]
        names = ", ".join(f'"{c}"' for c in columns)
        self.insert_sql = f"INSERT INTO responses ({names}) VALUES ({', '.join('?' * len(columns))})"
        personal_names = ", ".join(f'"{c}"' for c in ["response_id", "survey_id", "created_at", *self.personal])
        self.personal_sql = (f"INSERT INTO personal_data ({personal_names}) "
                             f"VALUES ({', '.join('?' * (3 + len(self.personal)))})")
        self._json_lists: dict[tuple, str] = {}

    def row(self, record: Mapping[str, Any]) -> tuple[tuple, tuple]:
        """(the responses row, the personal values or () when there are none)."""
        unknown = record.keys() - self.known
        if unknown:
            raise ValueError(f"responses has no column named {', '.join(sorted(unknown))}")
        get = record.get
        meta = [get(c, default) for c, default in self.meta]
        if "submission_key" not in record:
            meta[self.key_position] = secrets.token_urlsafe(12)
        plain = [None if (v := get(c)) == "" else v for c in self.plain]
        multiple = [None if (v := get(c, _ABSENT)) is _ABSENT else self._json_list(v) for c in self.multiple]
        others = [get(other) or None if q in record else None for q, other in self.others]
        personal = tuple(get(q) or None for q in self.personal)
        return tuple(meta + plain + multiple + others), personal if any(personal) else ()

    def _json_list(self, value: Any) -> str:
        # A few hundred distinct tick combinations recur across a million rows: encode each once.
        codes = tuple(value or [])
        text = self._json_lists.get(codes)
        if text is None:
            text = self._json_lists[codes] = json.dumps(list(codes), ensure_ascii=False)
        return text


def _insert(db: sqlite_utils.Database, table: str, record: Mapping[str, Any]) -> int:
    """Insert one row and return its rowid. Plain SQL: sqlite-utils' insert reads the table's
    schema on every call, which cost more than the write on a form POST."""
    names = ", ".join(f'"{c}"' for c in record)
    cursor = db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(record))})',
                        list(record.values()))
    return cursor.lastrowid


def count_responses(db: sqlite_utils.Database, survey_id: str) -> int:
    return db.execute("select count(*) from responses where survey_id = ?", [survey_id]).fetchone()[0]


def _write(db: sqlite_utils.Database, operation: Callable[[], Any]) -> Any:
    try:
        return operation()
    except sqlite3.OperationalError as exc:
        # "database is locked", "disk I/O error", "database or disk is full": the
        # transaction was rolled back, so nothing half-written remains; a retry may work.
        raise StorageUnavailable(str(exc)) from exc
