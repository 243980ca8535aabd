import json

import pandas as pd

from etl.clean import METADATA_COLUMNS, clean_responses, likert_grids
from etl.postcodes import local_authority_of, normalise_outward_codes
from tests.etl_fixtures import SURVEY, as_read, raw_frame, raw_row

GRID = ["confident_tackling", "report_acted_on", "police_visible", "partners_work_together"]


def clean(*rows):
    return clean_responses(raw_frame(*rows), SURVEY)


def test_speeder_is_flagged_with_reason_and_kept():
    rows = [raw_row(i, dealing_problem="minor", duration_seconds=600) for i in range(1, 6)]
    rows.append(raw_row(6, dealing_problem="minor", duration_seconds=100))
    out = clean(*rows).responses
    assert len(out) == 6
    speeder = out.set_index("id").loc[6]
    assert speeder["flag_speeder"]
    assert "under a third of the median 600 s" in speeder["flag_reasons"]
    assert json.loads(speeder["quality_flags"]) == ["speeder"]
    assert not out.set_index("id").loc[1, "flag_speeder"]


def test_straightliner_needs_the_same_answer_across_the_whole_grid():
    same = raw_row(1, **{q: "agree" for q in GRID})
    varied = raw_row(2, **{q: "agree" for q in GRID[:-1]}, partners_work_together="disagree")
    partial = raw_row(3, **{q: "agree" for q in GRID[:-1]})
    out = clean(same, varied, partial).responses.set_index("id")
    assert likert_grids(SURVEY) == [GRID]
    assert out["flag_straightliner"].tolist() == [True, False, False]
    assert "gave 'agree' to all 4" in out.loc[1, "flag_reasons"]


def test_empty_response_is_flagged_but_kept():
    out = clean(raw_row(1), raw_row(2, one_change="More police")).responses.set_index("id")
    assert out["flag_empty"].tolist() == [True, False]


def test_free_text_is_trimmed_and_nfc_normalised():
    decomposed = "  Mae angen mwy o heddlu yn y dre\u0301  "
    out = clean(raw_row(1, one_change=decomposed), raw_row(2, one_change="   ")).responses
    assert out.loc[0, "one_change"] == "Mae angen mwy o heddlu yn y dré"
    assert pd.isna(out.loc[1, "one_change"])


def test_postcode_is_upper_cased_validated_and_mapped_to_an_authority():
    out = clean(raw_row(1, postcode_district=" sa31 "), raw_row(2, postcode_district="LD1"),
                raw_row(3, postcode_district="not a postcode"), raw_row(4, postcode_district="CF10")
                ).responses.set_index("id")
    assert out["postcode_district"].tolist()[:2] == ["SA31", "LD1"]
    assert pd.isna(out.loc[3, "postcode_district"]) and out.loc[3, "flag_invalid_postcode"]
    assert out["postcode_local_authority"].tolist()[:2] == ["carmarthenshire", "powys"]
    assert pd.isna(out.loc[4, "postcode_local_authority"])  # outside Dyfed-Powys: a valid code, no authority


def test_area_prefers_the_stated_authority_over_the_postcode():
    out = clean(raw_row(1, local_authority="ceredigion", postcode_district="LD1"),
                raw_row(2, local_authority="prefer_not", postcode_district="SA61"),
                raw_row(3)).responses
    assert out["area"].tolist()[:2] == ["ceredigion", "pembrokeshire"]
    assert pd.isna(out.loc[2, "area"])


def test_normalise_outward_codes_rejects_full_postcodes():
    codes = normalise_outward_codes(pd.Series(["SA31 1AB", "sy23", None]))
    assert pd.isna(codes[0]) and codes[1] == "SY23" and pd.isna(codes[2])
    assert local_authority_of(pd.Series(["NP8"])).tolist() == ["powys"]


def test_answers_not_valid_for_the_branch_are_removed_and_flagged():
    police_answer_from_public = raw_row(1, respondent_group="public", police_role="officer", seen_dealing="yes")
    out = clean(police_answer_from_public).responses.iloc[0]
    assert pd.isna(out["police_role"]) and out["seen_dealing"] == "yes"
    assert out["flag_branch_answer_removed"]
    assert "'police_role' not asked" in out["flag_reasons"]


def test_unknown_codes_are_dropped_and_flagged():
    out = clean(raw_row(1, dealing_problem="enormous", concerns=["cannabis", "aliens"])).responses.iloc[0]
    assert pd.isna(out["dealing_problem"])
    assert json.loads(out["concerns"]) == ["cannabis"]
    assert out["flag_invalid_answer"]


def test_exclusive_option_wins_over_other_ticks():
    out = clean(raw_row(1, concerns=["cannabis", "none"])).responses.iloc[0]
    assert json.loads(out["concerns"]) == ["none"]


def test_old_version_row_is_kept_and_flagged():
    old = raw_row(1, survey_version=SURVEY.version - 1 if SURVEY.version > 1 else 0, dealing_problem="minor")
    frame = raw_frame(old, raw_row(2, dealing_problem="minor"))
    frame["retired_question"] = ["yes", None]
    out = clean_responses(frame, SURVEY).responses.set_index("id")
    assert out["flag_old_version"].tolist() == [True, False]
    assert "answers question 'retired_question'" in out.loc[1, "flag_reasons"]
    assert out.loc[1, "dealing_problem"] == "minor"


def test_corrupt_json_row_is_quarantined_by_id():
    frame = raw_frame(raw_row(1, concerns=["cannabis"]), raw_row(2))
    frame.loc[1, "concerns"] = '["cannabis", '
    result = clean_responses(frame, SURVEY)
    assert result.responses["id"].tolist() == [1]
    assert result.quarantined[["response_id", "column"]].values.tolist() == [[2, "concerns"]]


def test_intake_flags_are_carried_through():
    out = clean(raw_row(1, quality_flags='["honeypot"]', one_change="x")).responses.iloc[0]
    assert out["flag_intake"] and "flagged at intake: honeypot" in out["flag_reasons"]


MIXED_ROWS = [
    raw_row(1, one_change="  Mae angen mwy o heddlu yn y dre\u0301  ", dealing_problem="enormous",
            concerns=["cannabis", "none", "aliens"], postcode_district=" sa31 ", duration_seconds=60),
    raw_row(2, one_change="   ", police_visible="agree", confident_tackling="agree", report_acted_on="agree",
            partners_work_together="agree", local_authority="prefer_not", postcode_district="SA61"),
    raw_row(3, one_change="More police", concerns='[ "cannabis" ,"litter"]', quality_flags='["honeypot"]'),
    raw_row(4, respondent_group="public", police_role="officer", years_in_area=500, postcode_district="SA31 1AB"),
    raw_row(5, dealing_problem="minor", other_comments="Dŵr glân, os gwelwch yn dda", survey_version=0),
]


def test_text_read_as_arrow_strings_cleans_the_same_as_python_strings():
    from_objects = clean_responses(raw_frame(*MIXED_ROWS), SURVEY).responses
    from_arrow = clean_responses(as_read(raw_frame(*MIXED_ROWS)), SURVEY).responses
    # Metadata is passed through as given; everything derived must not depend on how text arrived.
    pd.testing.assert_frame_equal(from_arrow.drop(columns=METADATA_COLUMNS),
                                  from_objects.drop(columns=METADATA_COLUMNS))
    assert from_arrow.loc[0, "one_change"] == "Mae angen mwy o heddlu yn y dré"
    assert pd.isna(from_arrow.loc[1, "one_change"])
    assert json.loads(from_arrow.loc[0, "concerns"]) == ["none"]
    assert from_arrow["flag_invalid_answer"].tolist() == [True, False, False, True, False]
    assert from_arrow["area"].tolist()[:2] == ["carmarthenshire", "pembrokeshire"]


def test_text_that_needs_no_tidying_is_passed_on_unchanged():
    out = clean_responses(as_read(raw_frame(raw_row(1, one_change="Mwy o heddlu, os gwelwch yn dda"),
                                            raw_row(2))), SURVEY).responses
    assert out["one_change"].dtype == "string"
    assert out.loc[0, "one_change"] == "Mwy o heddlu, os gwelwch yn dda" and pd.isna(out.loc[1, "one_change"])


def test_quality_flags_list_every_flag_in_definition_order():
    out = clean(raw_row(1, duration_seconds=10, one_change="x", quality_flags='["honeypot"]'),
                *[raw_row(i, duration_seconds=600, one_change="x") for i in range(2, 6)]).responses
    assert json.loads(out.loc[0, "quality_flags"]) == ["speeder", "intake"]
    assert out.loc[0, "flag_reasons"].startswith("speeder: completed in 10 s") and "; intake: " in \
        out.loc[0, "flag_reasons"]
    assert out.loc[1, "quality_flags"] == "[]" and pd.isna(out.loc[1, "flag_reasons"])


def as_bytes(values: list) -> pd.Series:
    """A column as read when it holds a value that is not UTF-8 text: bytes throughout (see etl/read.py)."""
    import pyarrow as pa

    return pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values, pa.large_binary())))


def test_values_in_shapes_the_app_never_writes_are_quarantined_by_id_and_the_rest_cleaned():
    frame = as_read(raw_frame(
        raw_row(1, years_in_area=12, one_change="Mwy o heddlu"),
        raw_row(2, years_in_area=3.7),                        # a number that is not whole
        raw_row(3, one_change="More police"),                 # submitted_at set below
        raw_row(4, years_in_area=7.0, one_change="Dŵr glân"),  # a whole number read as a float is fine
        raw_row(5),                                           # one_change: bytes that are not UTF-8
    ))
    frame.loc[2, "submitted_at"] = "not a date"
    frame["one_change"] = as_bytes(["Mwy o heddlu".encode(), None, b"More police", "Dŵr glân".encode(), b"\xff\xfeA"])
    result = clean_responses(frame, SURVEY)
    assert result.quarantined[["response_id", "column", "problem"]].values.tolist() == [
        [2, "years_in_area", "stored number is not a whole number"],
        [3, "submitted_at", "stored value is not a date and time"],
        [5, "one_change", "stored value is not UTF-8 text"],
    ]
    out = result.responses.set_index("id")
    assert out.index.tolist() == [1, 4]
    assert out["years_in_area"].tolist() == [12, 7] and out["years_in_area"].dtype == "Int64"
    # The column of bytes is text again once the unreadable value is set aside.
    assert out["one_change"].tolist() == ["Mwy o heddlu", "Dŵr glân"]
    assert not out["flag_invalid_answer"].any()


def test_a_number_answer_that_is_no_number_is_flagged_not_quarantined():
    frame = raw_frame(raw_row(1, years_in_area="about ten"), raw_row(2, years_in_area=float("inf")),
                      raw_row(3, years_in_area=10 ** 30))
    result = clean_responses(frame, SURVEY)
    assert result.quarantined["response_id"].tolist() == [2]
    out = result.responses.set_index("id")
    assert out["flag_invalid_answer"].tolist() == [True, True] and out["years_in_area"].isna().all()
