"""Intake-flagged responses are left out and listed; erased references are found wherever they linger."""
from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd

from etl.erasure import (erased_in_files, erased_in_tables, read_erased_references, vanished_ids_in_frames,
                         vanished_ids_in_tables)
from etl.exclusions import rows_without, split_intake_flagged
from survey_app import storage


def test_intake_flagged_responses_are_excluded_with_their_reason():
    clean = pd.DataFrame({
        "survey_id": ["s", "s", "s"], "id": [1, 2, 3], "reference": ["AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC"],
        "flag_intake": [False, True, True],
        "flag_reasons": [None, "speeder: under a third; intake: flagged at intake: honeypot",
                         "intake: flagged at intake: too_fast"],
    })
    kept, excluded = split_intake_flagged(clean)
    assert kept["id"].tolist() == [1]
    assert excluded["response_id"].tolist() == [2, 3]
    assert excluded["reason"].tolist() == ["honeypot", "too_fast"]
    assert list(excluded.columns) == ["survey_id", "response_id", "reference", "reason"]


def test_leaving_rows_out_keeps_every_other_row_and_type_as_it_was():
    n = 1000
    frame = pd.DataFrame({
        "id": np.arange(n), "text": pd.Series([f"answer {i}" if i % 7 else None for i in range(n)], dtype="str"),
        "code": pd.Categorical(np.where(np.arange(n) % 3, "yes", "no")), "flag": np.arange(n) % 5 == 0,
        "years": pd.array(np.where(np.arange(n) % 11, np.arange(n), 0), dtype="Int64"),
        "reason": pd.Series([None] * n, dtype="string"),
    })
    rng = np.random.default_rng(1)
    for dropped in (0, 1, 3, 40, 600):
        drop = np.zeros(n, dtype=bool)
        drop[rng.choice(n, dropped, replace=False)] = True
        pd.testing.assert_frame_equal(rows_without(frame, drop), frame[~drop].reset_index(drop=True))


def test_erased_references_found_in_tables_and_files(tmp_path):
    tables = {"raw_responses": pd.DataFrame({"reference": ["AAAA-AAAA", "BBBB-BBBB"]}),
              "question_summary": pd.DataFrame({"count": [3]})}
    assert erased_in_tables(tables, {"BBBB-BBBB"}) == {"raw_responses": ["BBBB-BBBB"]}
    assert erased_in_tables(tables, {"ZZZZ-ZZZZ"}) == {}

    csv = tmp_path / "free_text.csv"
    csv.write_text("reference,text\nBBBB-BBBB,hello\n")
    workbook = tmp_path / "review.xlsx"
    with zipfile.ZipFile(workbook, "w") as archive:
        archive.writestr("xl/sharedStrings.xml", "<sst><si><t>AAAA-AAAA</t></si></sst>")
    frame = tmp_path / "raw_responses.parquet"
    pd.DataFrame({"reference": ["AAAA-AAAA"], "n": [1]}).to_parquet(frame)
    clean_report = tmp_path / "report.html"
    clean_report.write_text("<p>nothing here</p>")
    found = erased_in_files([csv, workbook, frame, clean_report], {"AAAA-AAAA", "BBBB-BBBB"})
    assert found == {str(csv): ["BBBB-BBBB"], str(workbook): ["AAAA-AAAA"], str(frame): ["AAAA-AAAA"]}


def test_an_erased_reference_is_found_in_a_pdf_report(tmp_path):
    from etl import pdf
    if pdf.unavailable():
        import pytest
        pytest.skip(f"PDF reports cannot be made here: {pdf.unavailable()}")
    pages = {"left.html": "<p>Quoted by BBBB-BBBB</p>", "clean.html": "<p>nothing here</p>"}
    for name, body in pages.items():
        (tmp_path / name).write_text(f"<!doctype html><html><body>{body}</body></html>", encoding="utf-8")
    written = pdf.write_pdfs([(tmp_path / name, tmp_path / name.replace(".html", ".pdf")) for name in pages])
    assert erased_in_files(written, {"AAAA-AAAA", "BBBB-BBBB"}) == {str(tmp_path / "left.pdf"): ["BBBB-BBBB"]}


def test_response_ids_the_survey_database_no_longer_holds_are_found_where_ids_alone_name_responses(tmp_path):
    import sqlite3

    analysis = tmp_path / "analysis.db"
    with sqlite3.connect(analysis) as conn:
        pd.DataFrame({"survey_id": "s", "response_id": [1, 2, 7, 7], "text": ["a", "b", "c", "d"]}).to_sql(
            "free_text", conn, index=False)
        pd.DataFrame({"survey_id": ["s", "s", "other"], "response_id": [3, 8, 9],
                      "kept_response_id": [3, 6, 9]}).to_sql("duplicate_groups", conn, index=False)
        # Searched by reference instead; and a table with no response ids at all.
        pd.DataFrame({"survey_id": "s", "id": [5], "reference": ["AAAA-AAAA"]}).to_sql("raw_responses", conn,
                                                                                       index=False)
        pd.DataFrame({"survey_id": "s", "count": [3]}).to_sql("question_summary", conn, index=False)
    stored = np.array([1, 2, 3])
    assert vanished_ids_in_tables(analysis, "s", stored) == {"free_text": [7], "duplicate_groups": [6, 8]}
    assert vanished_ids_in_tables(analysis, "s", np.arange(1, 10)) == {}

    frame = tmp_path / "responses_deduplicated.parquet"
    pd.DataFrame({"id": [1, 4], "survey_id": "s"}).to_parquet(frame)
    with_references = tmp_path / "responses_clean.parquet"
    pd.DataFrame({"id": [4], "reference": ["AAAA-AAAA"]}).to_parquet(with_references)
    assert vanished_ids_in_frames([frame, with_references], stored) == {str(frame): [4]}


def test_erasures_are_read_from_the_survey_database(tmp_path, survey):
    path = tmp_path / "responses.db"
    db = storage.connect(path)
    storage.migrate(db, [survey])
    assert read_erased_references(path) == set()
    db["erasures"].insert({"reference": "KEFR-653A", "erased_at": "2026-12-01T00:00:00+00:00"})
    assert read_erased_references(path) == {"KEFR-653A"}


def test_phone_numbers_written_every_usual_way_are_redacted_whole():
    from etl.redact import contains_contact_details, redact

    written = ["0044 7700 900 123", "00 44 7700 900123", "0044 (0)1267 226440", "+44 (0)1267 226440",
               "01267 226 440", "+44 7700 900123", "(01267) 226440", "07700-900-123"]
    for number in written:
        said = pd.Series([f"ring {number} after six", f"Ffoniwch {number} ŵ"], dtype="string")
        assert redact(said).tolist() == ["ring [phone removed] after six", "Ffoniwch [phone removed] ŵ"], number
    assert not contains_contact_details(redact(pd.Series(written, dtype="string"))).any()
    # Numbers that are not phone numbers are left alone.
    assert redact(pd.Series(["born 1990, 44 years here, 2003"], dtype="string")).tolist() == [
        "born 1990, 44 years here, 2003"]
