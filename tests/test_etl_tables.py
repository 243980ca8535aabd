"""Publishing a table: the same rows and types whichever way the rows are written."""
import sqlite3

import pandas as pd
import pytest

from etl.tables import connect_analysis, replace_table


def frame(survey_id):
    return pd.DataFrame({
        "survey_id": survey_id, "id": [1, 2, 3], "code": pd.Categorical(["a", None, "b"]),
        "text": pd.array(["one", None, "ŵy"], dtype="string"), "n": pd.array([1, None, 3], dtype="Int64"),
        "flag": [True, False, True], "share": [0.5, None, 1.0],
    })


def published(path):
    with sqlite3.connect(path) as conn:
        rows = conn.execute("select *, typeof(code), typeof(n), typeof(flag) from t order by survey_id, id").fetchall()
        schema = conn.execute("select sql from sqlite_master where name = 't'").fetchone()[0]
    return rows, schema


@pytest.mark.parametrize("direct_rows", [1, 10**9], ids=["written by a child process", "through a scratch file"])
def test_replace_table_keeps_other_surveys_and_types(tmp_path, direct_rows):
    path = tmp_path / "analysis.db"
    conn = connect_analysis(path)
    try:
        replace_table(conn, "t", frame("other"), "other", direct_rows=direct_rows)
        replace_table(conn, "t", frame("mine"), "mine", direct_rows=direct_rows)
        replace_table(conn, "t", frame("mine"), "mine", direct_rows=direct_rows)
    finally:
        conn.close()
    rows, schema = published(path)
    assert [r[:2] for r in rows] == [("mine", 1), ("mine", 2), ("mine", 3), ("other", 1), ("other", 2), ("other", 3)]
    assert rows[0][2:] == ("a", "one", 1, 1, 0.5, "text", "integer", "integer")
    assert rows[1][2:7] == (None, None, None, 0, None)
    assert rows[2][3] == "ŵy"
    assert '"n" INTEGER' in schema and '"text" TEXT' in schema and '"share" REAL' in schema


def test_a_failed_write_leaves_the_published_table(tmp_path, monkeypatch):
    path = tmp_path / "analysis.db"
    conn = connect_analysis(path)
    broken = tmp_path / "ingest.py"
    broken.write_text("import sys\nsys.exit('disk full')\n")
    try:
        replace_table(conn, "t", frame("mine"), "mine")
        monkeypatch.setattr("etl.tables.INGEST_SCRIPT", broken)
        with pytest.raises(RuntimeError, match="disk full"):
            replace_table(conn, "t", frame("mine").head(2), "mine", direct_rows=1)
    finally:
        conn.close()
    assert len(published(path)[0]) == 3



def test_a_new_analysis_database_gets_large_pages_and_an_existing_one_keeps_its_own(tmp_path):
    import sqlite3

    from etl.tables import PAGE_SIZE

    existing = tmp_path / "existing.db"
    with sqlite3.connect(existing) as made_elsewhere:
        made_elsewhere.execute("PRAGMA journal_mode = WAL")
        made_elsewhere.execute("create table kept (x)")
    for path, expected in ((tmp_path / "new.db", PAGE_SIZE), (existing, 4096)):
        conn = connect_analysis(path)
        try:
            replace_table(conn, "t", frame("mine"), "mine")
            assert conn.execute("PRAGMA page_size").fetchone()[0] == expected
            assert conn.execute("select count(*) from t").fetchone()[0] == 3
        finally:
            conn.close()
