import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from etl import text
from etl.clean import clean_responses
from etl.dedupe import campaign_key, connected_components, deduplicate
from tests.etl_fixtures import SURVEY, as_read, raw_frame, raw_row

ANSWERS = dict(dealing_problem="minor", use_problem="very_big", problem_change="worse", concerns=["cannabis"],
               seen_dealing="yes", age_band="35_44", gender="woman", local_authority="powys", years_in_area=12)


def dedupe(*rows):
    return deduplicate(clean_responses(raw_frame(*rows), SURVEY).responses, SURVEY)


def removed(result):
    return sorted(result.groups.loc[result.groups["removed"] == 1, "response_id"].tolist())


def test_exact_resubmission_keeps_the_first_copy():
    first = raw_row(1, **ANSWERS, fingerprint="fpA", submitted_at="2026-11-02T10:00:00+00:00")
    again = raw_row(2, **ANSWERS, fingerprint="fpA", submitted_at="2026-11-02T10:05:00+00:00")
    result = dedupe(first, again, raw_row(3, **ANSWERS, fingerprint="fpB"))
    assert removed(result) == [2]
    group = result.groups[result.groups["rule"] == "exact_resubmission"]
    assert group["kept_response_id"].tolist() == [1, 1]
    assert result.responses["id"].tolist() == [1, 3]


def test_same_answers_a_day_apart_from_one_device_are_one_person_not_a_resubmission():
    first = raw_row(1, **ANSWERS, fingerprint="fpA", submitted_at="2026-11-02T10:00:00+00:00")
    later = raw_row(2, **ANSWERS, fingerprint="fpA", submitted_at="2026-11-03T10:00:00+00:00")
    result = dedupe(first, later)
    assert set(result.groups["rule"]) == {"same_person_fingerprint"}
    assert removed(result) == [1]  # equally complete, so the later one is kept


def test_same_email_keeps_the_most_complete_response():
    full = raw_row(1, **ANSWERS, email_key="k1", fingerprint="fpA")
    sparse = raw_row(2, dealing_problem="minor", email_key="k1", fingerprint="fpB",
                     submitted_at="2026-11-09T10:00:00+00:00")
    result = dedupe(full, sparse)
    assert removed(result) == [2]
    assert set(result.groups["rule"]) == {"same_person_email"}


def test_shared_device_with_different_answers_is_not_merged():
    one = raw_row(1, **ANSWERS, fingerprint="library")
    other = raw_row(2, dealing_problem="not_a_problem", use_problem="minor", problem_change="better",
                    concerns=["litter"], age_band="65_plus", gender="man", local_authority="ceredigion",
                    fingerprint="library")
    assert removed(dedupe(one, other)) == []


def test_campaign_is_grouped_and_flagged_but_kept():
    text = "Put more police on our streets and jail the county lines gangs destroying our towns."
    rows = [raw_row(i, one_change=text if i % 2 else text.upper().replace(".", "!!"), fingerprint=f"fp{i}")
            for i in range(1, 7)]
    rows.append(raw_row(7, one_change="Something quite different about treatment waiting times here."))
    result = dedupe(*rows)
    assert removed(result) == []
    assert len(result.responses) == 7
    campaign = result.responses.set_index("id")["campaign_id"]
    assert campaign.loc[1:6].nunique() == 1 and campaign.loc[1:6].notna().all()
    assert pd.isna(campaign.loc[7])
    assert result.responses.set_index("id").loc[1, "campaign_size"] == 6


def test_short_common_answers_are_not_a_campaign():
    rows = [raw_row(i, one_change="More police", fingerprint=f"fp{i}") for i in range(1, 8)]
    assert dedupe(*rows).groups.empty


def test_campaign_key_ignores_case_punctuation_and_spacing():
    keys = campaign_key(pd.Series(["Stop the dealers, now!", "STOP  the dealers now", "stop dealers"]))
    assert keys[0] == keys[1] != keys[2]


def test_connected_components_joins_chains():
    labels = connected_components(5, np.array([0, 1, 3]), np.array([1, 2, 4]))
    assert labels.tolist() == [0, 0, 0, 3, 3]


def test_dedup_is_deterministic():
    rows = [raw_row(1, **ANSWERS, fingerprint="fpA"), raw_row(2, **ANSWERS, fingerprint="fpA"),
            raw_row(3, **ANSWERS, email_key="k", fingerprint="x"), raw_row(4, email_key="k", fingerprint="y")]
    first, second = dedupe(*rows), dedupe(*reversed(rows))
    pd.testing.assert_frame_equal(first.groups, second.groups)


# Copies that differ in case, punctuation, spacing, repeats, word order or compatibility forms, and near misses.
TEXTS = ["Stop the dealers, now!", "STOP  the dealers now", "now dealers the stop stop", "Ｓtop the dealers now",
         "stop dealers", "dealers stop!!", "Dŵr glân i bawb", "DŴR GLÂN I BAWB!", "bawb i glân dŵr dŵr",
         "Dw\u0302r gla\u0302n i bawb", "Straße sicher", "STRASSE SICHER", "strasse\u00a0sicher", "!!!", "", "   ",
         "a\x1cb c", "b a c", "x \u0301y", "x y", None]


def partition(labels):
    """The values' groups as a set of frozensets of positions (labels themselves carry no meaning)."""
    groups = {}
    for position, label in enumerate(labels):
        if not pd.isna(label) and label != -1:
            groups.setdefault(label, set()).add(position)
    return {frozenset(group) for group in groups.values()}


def shared_keys(texts, min_count):
    keys = campaign_key(texts)
    counts = keys.map(keys.value_counts())
    return [key if not pd.isna(key) and count >= min_count else None for key, count in zip(keys, counts)]


def word_set_groups(texts, min_count, within=None):
    codes, uniques = pd.factorize(texts, use_na_sentinel=True)
    within = np.zeros(len(texts), dtype=np.int64) if within is None else within
    return text.word_set_groups(codes, pa.array(uniques, type=pa.large_string()), within, min_count)


def test_word_set_groups_are_exactly_the_campaign_key_groups():
    texts = pd.Series(TEXTS * 2 + TEXTS[:7], dtype="string")
    for min_count in (1, 2, 3, 4):
        assert partition(word_set_groups(texts, min_count)) == partition(shared_keys(texts, min_count))


def test_word_set_groups_stay_exact_when_word_hashes_collide(monkeypatch):
    monkeypatch.setattr(text, "_word_hashes", lambda vocabulary: np.zeros(vocabulary, dtype=np.uint64))
    texts = pd.Series(TEXTS * 3, dtype="string")
    assert partition(word_set_groups(texts, 3)) == partition(shared_keys(texts, 3))


def test_word_set_groups_count_each_part_on_its_own():
    # Four copies of one word set: three in part 0, one in part 1; only part 0's reach three.
    texts = pd.Series(["stop the dealers", "Dealers, stop the!", "the dealers stop", "stop the dealers", None],
                      dtype="string")
    groups = word_set_groups(texts, 3, within=np.array([0, 0, 0, 1, 0]))
    assert partition(groups) == {frozenset({0, 1, 2})}
    assert groups[3] == -1 and groups[4] == -1


def test_dedupe_finds_the_same_groups_in_arrow_strings_as_in_python_strings():
    text = "Put more police on our streets and jail the county lines gangs destroying our towns."
    rows = [raw_row(i, **ANSWERS, one_change=text if i % 2 else "  " + text.upper(), fingerprint=f"fp{i}")
            for i in range(1, 9)]
    rows += [raw_row(i, **ANSWERS, fingerprint="shared", one_change="Dŵr glân i bawb, ar hyd y dref os gwelwch")
             for i in (9, 10)]
    rows += [raw_row(11, **ANSWERS, email_key="k"), raw_row(12, dealing_problem="minor", email_key="k")]
    from_objects = deduplicate(clean_responses(raw_frame(*rows), SURVEY).responses, SURVEY)
    from_arrow = deduplicate(clean_responses(as_read(raw_frame(*rows)), SURVEY).responses, SURVEY)
    pd.testing.assert_frame_equal(from_arrow.groups, from_objects.groups)
    assert from_arrow.responses["id"].tolist() == from_objects.responses["id"].tolist()
    assert from_arrow.responses["campaign_id"].tolist() == from_objects.responses["campaign_id"].tolist()
    assert set(from_arrow.groups["rule"]) == {"exact_resubmission", "same_person_email", "campaign"}


@pytest.mark.parametrize("values", [[], [None], ["  ...  "], ["Ŵyn, ŷd ac ôl"], ["Ŵyn ŷd", None, "ŷd ŵyn!"]])
def test_word_set_keys_of_edge_cases(values):
    from etl.text import word_set_key

    keys = word_set_key(pd.Series(values, dtype="string"))
    assert len(keys) == len(values)
    if values == ["Ŵyn ŷd", None, "ŷd ŵyn!"]:
        assert keys[0] == keys[2] and pd.isna(keys[1])
