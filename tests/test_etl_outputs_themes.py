"""Theme tagging in English and Welsh, campaigns counted once, untagged answers counted."""
import re

import pandas as pd
import pytest

from etl.themes import UNTAGGED, load_codebook, mutations, tag, theme_tables, unit_themes
from tests.etl_fixtures import SURVEY

CODEBOOK = load_codebook()


def themes_of(text: str) -> set[str]:
    row = tag(pd.Series([text]), CODEBOOK).iloc[0]
    return set(row.index[row])


@pytest.mark.parametrize("word, forms", [
    ("cyffuriau", {"gyffuriau", "nghyffuriau", "chyffuriau"}),
    ("plismona", {"blismona", "mhlismona", "phlismona"}),
    ("triniaeth", {"driniaeth", "nhriniaeth", "thriniaeth"}),
    ("llinellau", {"linellau"}),
    ("ysgol", {"hysgol"}),
])
def test_welsh_keywords_match_their_mutations(word, forms):
    assert forms <= mutations(word)


@pytest.mark.parametrize("text, theme", [
    ("County lines gangs are everywhere", "county_lines"),
    ("Mae gangiau llinellau cyffuriau yn y dref", "county_lines"),
    ("Mae angen mwy o blismona ar y stryd", "policing_presence"),
    ("Mwy o heddlu ar droed", "policing_presence"),
    ("Roedd fy nhriniaeth yn rhy araf", "treatment_waits"),
    ("Mae'r rhestrau aros yn rhy hir", "treatment_waits"),
    ("The waiting lists are far too long", "treatment_waits"),
    ("Addysg ym mhob ysgol", "youth_schools"),
    ("ei chanabis hi", "cannabis"),
    ("Crack and heroin are sold near the station", "class_a"),
    ("Mae cocên ym mhobman", "class_a"),
    ("Dealing happens in plain sight", "visible_dealing"),
    ("Dylai'r partneriaid gydweithio'n well", "partnership_working"),
])
def test_answers_are_tagged_in_both_languages(text, theme):
    assert theme in themes_of(text)


def test_short_mutated_forms_do_not_match_other_words():
    # "gang" without its g would be "ang", the start of "angen" (need).
    assert themes_of("Rydyn ni angen help") == set()
    assert "class_a" not in themes_of("A class about first aid")


def free_text(rows):
    frame = pd.DataFrame(rows, columns=["response_id", "question_id", "column", "language", "respondent_group", "text",
                                        "campaign_id"])
    frame.insert(0, "survey_id", SURVEY.slug)
    frame["area"] = "powys"
    return frame


@pytest.fixture
def tables():
    campaign = "Treatment not punishment: people who use drugs need help quickly, not a criminal record."
    rows = [(i, "one_change", "one_change", "en", "public", campaign, "campaign-1") for i in range(1, 7)]
    rows += [(6, "other_comments", "other_comments", "en", "public", "More police in the villages please.",
              "campaign-1")]
    rows += [(10, "one_change", "one_change", "cy", "public", "Mwy o heddlu yn y pentrefi", None),
             (11, "one_change", "one_change", "en", "police", "More police patrols at night", None),
             (12, "one_change", "one_change", "en", "public", "Fix the potholes", None),
             (13, "nearest_town", "nearest_town", "en", "public", "Llandrindod", None)]
    return theme_tables(free_text(rows), SURVEY, CODEBOOK)


def total(counts, question, theme):
    row = counts[(counts["question_id"] == question) & (counts["theme_id"] == theme)
                 & (counts["respondent_group"] == "all")]
    return row.iloc[0]


def test_a_campaign_counts_once_and_is_listed_with_its_size(tables):
    treatment = total(tables.counts, "one_change", "treatment_waits")
    assert (treatment["answers"], treatment["campaign_responses"]) == (1, 6)
    assert tables.campaigns[["campaign_id", "question_id", "campaign_size"]].values.tolist() == [
        ["campaign-1", "one_change", 6]]
    # A campaign member's other answer is their own words and counts as usual.
    assert total(tables.counts, "other_comments", "policing_presence")["answers"] == 1


def test_a_campaign_pasted_into_an_unthemed_column_makes_no_campaign_of_one_of_its_members_answers():
    """Found in a short-answer column (a long "nearest town"), a campaign has no text to theme: each
    member's themed answer is their own words, not a campaign of one."""
    pasted = "There should be proper youth services by the community centre, dealing is in plain sight."
    rows = [(i, "nearest_town", "nearest_town", "en", "public", pasted, "campaign-2") for i in range(1, 6)]
    rows += [(1, "one_change", "one_change", "en", "public", "More police patrols at night", "campaign-2"),
             (2, "one_change", "one_change", "en", "public", "Faster access to treatment", "campaign-2")]
    tables = theme_tables(free_text(rows), SURVEY, CODEBOOK)
    assert tables.campaigns.empty
    assert total(tables.counts, "one_change", "policing_presence")["answers"] == 1
    assert total(tables.counts, "one_change", "treatment_waits")["answers"] == 1
    assert tables.counts["campaign_responses"].sum() == 0


def test_policing_counted_by_language_and_untagged_answers_counted(tables):
    police = tables.counts[(tables.counts["question_id"] == "one_change")
                           & (tables.counts["theme_id"] == "policing_presence")]
    assert total(tables.counts, "one_change", "policing_presence")["answers"] == 2
    assert set(police.loc[police["language"] != "all", "language"]) == {"cy", "en"}
    assert total(tables.counts, "one_change", UNTAGGED)["answers"] == 1
    # Short answers such as the nearest town are not themed.
    assert "nearest_town" not in set(tables.counts["question_id"])


def test_examples_show_both_languages_and_prefer_peoples_own_words(tables):
    police = tables.examples[tables.examples["theme_id"] == "policing_presence"]
    assert set(police["language"]) == {"cy", "en"}
    assert not tables.examples.loc[tables.examples["theme_id"] == "policing_presence", "is_campaign"].any()
    assert len(police) <= 3


def test_safe_characters_read_the_same_in_python_and_re2():
    """Text made only of ASCII and the safe letters and symbols is tagged by RE2: the engines must agree there."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from etl.safetext import SAFE_LETTERS, SAFE_SYMBOLS, SPACE_CLASS, WORD_CLASS

    characters = [chr(c) for c in range(128)] + list(SAFE_LETTERS + SAFE_SYMBOLS)
    values = pa.array(characters, type=pa.large_string())

    def re2(pattern):
        return pc.match_substring_regex(values, pattern).to_pylist()

    assert re2(f"^[{WORD_CLASS}]$") == [bool(re.fullmatch(r"\w", c)) for c in characters]
    assert re2(f"^[{SPACE_CLASS}]$") == [bool(re.fullmatch(r"\s", c)) for c in characters]
    assert re2(f"^[^{WORD_CLASS}]$") == [not re.fullmatch(r"\w", c) for c in characters]
    assert re2("^[0-9]$") == [bool(re.fullmatch(r"\d", c)) for c in characters]
    for letter in [c for c in characters if c.isalpha()]:
        assert re2(f"^(?i:{re.escape(letter)})$") == [bool(re.fullmatch(re.escape(letter), c, re.IGNORECASE))
                                                     for c in characters], letter


@pytest.mark.parametrize("text", [
    "gangs", "GANGS!", "gangland", "no-gang zone", "the gang_members", "County   lines", "county\tline",
    "county-lines", "Ysgol", "hysgol", "yr ysgolion", "cocên", "COCÊN", "cocênau", "camerâu", "Camerâu’r",
    "in the open", "in  the\nopen", "in the opening", "yn agored", "drop-in", "drop in", "dropin",
    "support for", "support, for", "plant", "planted", "wait…", "“wait”", "£5 for weed", "treatment2",
    "heddlu", "blismona", "ŵyr yn y dref", "café dealing", "dealing_", "_dealing", "İstanbul dealing",
    "ſchool", "K", "plain\xa0sight", "plain sight", "ﬁnd", "",
])
def test_tagging_agrees_with_each_themes_python_pattern(text):
    """However the answer is matched, its themes are those whose exact pattern finds a keyword in it."""
    import unicodedata

    normal = unicodedata.normalize("NFC", text).replace("’", "'")
    assert themes_of(text) == {t.id for t in CODEBOOK if t.pattern.search(normal)}


def test_each_unit_has_its_texts_combination_of_themes():
    """Units share a combination when their texts have the same themes; an untagged or missing text is untagged."""
    import numpy as np

    codebook = CODEBOOK[:2]
    hits = np.array([[True, False, True, False, False],    # the first theme: texts 0 and 2
                     [True, True, True, False, False]])     # the second: texts 0, 1 and 2; the last is a missing text's
    themes = unit_themes(hits, np.array([2, 1, 0, 3, -1, 0]), codebook)
    assert themes.ids.tolist() == [codebook[0].id, codebook[1].id, UNTAGGED]
    ticked = themes.combinations[themes.combination].tolist()
    assert ticked == [[True, True, False], [False, True, False], [True, True, False], [False, False, True],
                      [False, False, True], [True, True, False]]
    assert len(themes.combinations) == 3


@pytest.mark.parametrize("variants", [
    # Evened-out spacing makes the commonest form, though no one member's text is the most common one.
    ["TREATMENT NOT PUNISHMENT: FUND THE SERVICES.", "TREATMENT NOT PUNISHMENT: FUND THE SERVICES.",
     "Treatment  not  punishment:  fund  the  services.", "Treatment not punishment: fund the services. ",
     "Treatment not punishment:\nfund the services.", "Treatment not punishment: fund the services!!"],
    # Capitals throughout are never the text shown while another variant was written.
    ["TREATMENT NOT PUNISHMENT: FUND THE SERVICES."] * 4 + ["Treatment  not  punishment:  fund  the  services."],
])
def test_a_campaign_is_shown_as_most_of_its_members_wrote_it_with_spacing_evened_out(variants):
    rows = [(i, "one_change", "one_change", "en", "public", text, "campaign-1") for i, text in enumerate(variants, 1)]
    tables = theme_tables(free_text(rows), SURVEY, CODEBOOK)
    assert tables.campaigns["text"].tolist() == ["Treatment not punishment: fund the services."]
    assert tables.campaigns["campaign_size"].tolist() == [len(variants)]
    quoted = tables.examples.loc[tables.examples["is_campaign"].astype(bool), "text"]
    assert set(quoted) == {"Treatment not punishment: fund the services."}


def test_every_theme_and_untagged_are_counted_for_every_themed_question_even_when_none_mention_them(tables):
    from etl.themes import themed_questions

    totals = tables.counts[tables.counts["respondent_group"] == "all"]
    every = [t.id for t in CODEBOOK] + [UNTAGGED]
    assert list(dict.fromkeys(totals["question_id"])) == themed_questions(SURVEY)
    for question, rows in totals.groupby("question_id", sort=False):
        assert rows["theme_id"].tolist() == every, question
    assert total(tables.counts, "one_change", "class_a")["answers"] == 0
    assert total(tables.counts, "other_comments", UNTAGGED)[["answers", "campaign_responses"]].tolist() == [0, 0]
    assert total(tables.counts, "other_comments", "policing_presence")["answers"] == 1
    # Only the totals gain zero rows: a group and language is listed where it has an answer.
    assert (tables.counts.loc[tables.counts["respondent_group"] != "all", "answers"] > 0).all()
    assert totals["label_cy"].notna().all()
