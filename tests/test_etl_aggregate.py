import pandas as pd

from etl import aggregate
from etl.clean import clean_responses
from etl.dedupe import deduplicate
from etl.redact import contains_contact_details, redact
from tests.etl_fixtures import SURVEY, raw_frame, raw_row


def dedup(*rows):
    return deduplicate(clean_responses(raw_frame(*rows), SURVEY).responses, SURVEY).responses


ROWS = [
    raw_row(1, respondent_group="public", concerns=["cannabis", "litter"], problem_change="worse",
            local_authority="powys", seen_dealing="yes", language="cy", one_change="Ffoniwch 07700 900123"),
    raw_row(2, respondent_group="public", concerns=["cannabis"], problem_change="better", postcode_district="SA61"),
    raw_row(3, respondent_group="police", problem_change="worse", police_needs="More officers",
            submitted_at="2026-11-03T09:00:00+00:00", link_token="dropin"),
]


def summary():
    return aggregate.question_summary(dedup(*ROWS), SURVEY, {"Worse": "Gwaeth"}).set_index(
        ["question_id", "option_code"])


def test_multiple_choice_percent_is_of_respondents_not_ticks():
    table = summary()
    assert table.loc[("concerns", "cannabis"), ["count", "base", "percent"]].tolist() == [2, 2, 100.0]
    assert table.loc[("concerns", "litter"), "percent"] == 50.0


def test_single_choice_counts_sum_to_base_with_zero_rows_for_unchosen_options():
    rows = summary().loc["problem_change"]
    assert rows["count"].sum() == rows["base"].iloc[0] == 3
    assert rows.loc["same", "count"] == 0
    assert rows.loc["worse", "label_cy"] == "Gwaeth"
    assert pd.isna(rows.loc["better", "label_cy"])  # untranslated labels stay empty, never English


def test_yes_and_no_take_the_welsh_worded_for_their_question():
    welsh = {"Yes": "Ie", "seen_dealing\x04Yes": "Ydw"}
    table = aggregate.question_summary(dedup(*ROWS), SURVEY, welsh).set_index(["question_id", "option_code"])
    assert table.loc[("seen_dealing", "yes"), "label_cy"] == "Ydw"
    assert pd.isna(table.loc[("know_where_help", "yes"), "label_cy"])  # never another question's wording


def test_base_is_respondents_asked_and_answering():
    table = summary()
    assert table.loc[("seen_dealing", "yes"), "base"] == 1
    assert table.loc[("police_needs", "answered"), ["count", "base"]].tolist() == [1, 1]
    assert table.loc[("police_needs", "answered"), ["label_en", "label_cy"]].tolist() == ["Answered", "Wedi ateb"]


def test_every_question_appears():
    assert set(summary().index.get_level_values(0)) == {q.id for q in SURVEY.questions}


def test_summary_by_group_and_area():
    frame = dedup(*ROWS)
    by_group = aggregate.summary_by(frame, SURVEY, {}, "respondent_group", aggregate.group_categories(SURVEY),
                                    "respondent_group").set_index(["respondent_group", "question_id", "option_code"])
    assert by_group.loc[("police", "problem_change", "worse"), ["count", "base"]].tolist() == [1, 1]
    assert by_group.loc[("public", "problem_change", "worse"), "percent"] == 50.0
    by_area = aggregate.summary_by(frame, SURVEY, {}, "area", aggregate.area_categories(SURVEY),
                                   "local_authority").set_index(["local_authority", "question_id", "option_code"])
    assert by_area.loc[("pembrokeshire", "problem_change", "better"), "count"] == 1
    assert by_area.loc[("unknown", "problem_change", "worse"), "count"] == 1
    assert (by_area["survey_id"] == SURVEY.slug).all()


def test_free_text_is_redacted_with_language_and_group():
    table = aggregate.free_text(dedup(*ROWS), SURVEY).set_index("response_id")
    assert table.loc[1, "text"] == "Ffoniwch [phone removed]"
    assert table.loc[1, ["language", "respondent_group", "question_id"]].tolist() == ["cy", "public", "one_change"]
    assert table.loc[3, "question_id"] == "police_needs"


def test_free_text_reads_a_categorical_group_as_its_strings():
    """The stored frame keeps the group as a categorical; a missing group stays missing."""
    frame = dedup(*ROWS)
    frame["respondent_group"] = pd.Categorical([None, "public", "police"], categories=["police", "public"])
    table = aggregate.free_text(frame, SURVEY).set_index("response_id")
    assert table["respondent_group"].dtype == "string"
    assert pd.isna(table.loc[1, "respondent_group"])
    assert table.loc[3, "respondent_group"] == "police"


def test_redaction_covers_emails_phones_and_full_postcodes_only():
    text = pd.Series(["mail a.b+c@example.co.uk", "ring +44 (0)1267 234567", "I live in SA31 1AB", "SA31 is fine"])
    assert redact(text).tolist() == ["mail [email removed]", "ring [phone removed]",
                                     "I live in [postcode removed]", "SA31 is fine"]
    assert contains_contact_details(text).tolist() == [True, True, False, False]
    assert not contains_contact_details(redact(text)).any()


def test_response_volume_by_day_language_and_link():
    table = aggregate.response_volume(dedup(*ROWS), SURVEY)
    assert table["responses"].sum() == 3
    day = table[table["day"] == "2026-11-03"]
    assert day[["language", "link_token", "responses"]].values.tolist() == [["en", "dropin", 1]]


TRICKY = ["mail a.b+c@example.co.uk or 01267 234567", "SA1 1AAx@y.com", "SA1 1AA.x@y.com", "ŵyr@tŷ.cymru",
          "ffoniwch 0٠١٢٣٤٥٦٧٨٩", "côd SA31 1AB", "SA31 1ABŵ", "e-bost: dŵr.tŷ@enghraifft.org a 07700 900123",
          "01234567890@example.com", "plain words", "", None, "(01267) 234 567 SA31 1AB x@y.z", "SA311AB",
          "Llanelli SA15 3AB’s", "+44 7700 900 123", "rhif 0\u00a01267\u00a0234567"]


def test_redaction_is_each_pattern_replaced_in_turn():
    """However it is run, redaction is the three replacements one after another, as Python's re makes them."""
    from etl.redact import EMAIL, EMAIL_MARK, FULL_POSTCODE, PHONE, PHONE_MARK, POSTCODE_MARK

    text = pd.Series(TRICKY, dtype="string")
    expected = (text.astype(object).str.replace(EMAIL, EMAIL_MARK, regex=True)
                .str.replace(PHONE, PHONE_MARK, regex=True).str.replace(FULL_POSTCODE, POSTCODE_MARK, regex=True))
    assert redact(text).fillna("<missing>").tolist() == expected.fillna("<missing>").tolist()
    found = text.astype(object).str.contains(EMAIL, regex=True) | text.astype(object).str.contains(PHONE, regex=True)
    assert contains_contact_details(text).tolist() == [bool(v) if pd.notna(v) else False for v in found]
