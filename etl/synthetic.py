"""Generate realistic synthetic responses, with known duplicates, campaigns and low-quality rows.

Writes through survey_app.storage.insert_response_frame, the same code path as an
import, and keeps the ground truth in a `synthetic_truth` table of the same
database so the deduplication can be scored.

    python -m etl.synthetic --database var/responses.db --survey drugs-review --count 500
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from survey_app import storage
from survey_app.definition import SURVEYS_DIR, Question, Survey, load_surveys

from .clean import likert_grids
from .postcodes import district_authorities

WELSH_SHARE = 0.2
EXACT_SHARE = 0.03
SAME_PERSON_SHARE = 0.02
SPEEDER_SHARE = 0.04
STRAIGHTLINER_SHARE = 0.04
CAMPAIGN_SHARE = 0.03
CAMPAIGN_MIN_MEMBERS = 10
SHARED_DEVICE_SHARE = 0.03     # people on a library or drop-in centre computer share a fingerprint
SHARED_DEVICES = 20
LINK_SHARE = 0.35
LINK_TOKENS = ["dropin-llanelli", "poster-aber", "email-providers", "police-intranet", "qr-tenby",
               "newsletter-powys"]
GROUP_SHARES = {"public": 0.55, "service_user": 0.12, "provider": 0.10, "police": 0.13, "other": 0.10}
AREA_SHARES = {"carmarthenshire": 0.30, "ceredigion": 0.15, "pembrokeshire": 0.22, "powys": 0.25,
               "elsewhere": 0.05, "prefer_not": 0.03}
FREE_TEXT_RATE = {"one_change": 0.45, "other_comments": 0.2, "police_needs": 0.5}
SKIP_RATE = 0.08
MEDIAN_SECONDS = 480

TEXT = {
    "en": {
        "lead": ["We need", "There should be", "Please put", "I would like to see", "It would help to have",
                 "The area badly needs", "Honestly we need", "Our town needs"],
        "topic": ["more police on foot patrol", "faster access to treatment", "proper youth services",
                  "action against county lines dealers", "support for families of users",
                  "drug education in every school", "more needle exchange hours", "better mental health care",
                  "CCTV near the play park", "a drop-in centre that opens at weekends"],
        "place": ["in the town centre", "near the station", "around the seafront", "on the estate",
                  "by the community centre", "in the villages", "near the high school", "along the river path"],
        "tail": ["because dealing happens in plain sight.", "as young people are being drawn in.",
                 "since nothing has changed in years.", "before someone else dies.",
                 "because people are scared to report it.", "as the waiting lists are far too long."],
    },
    "cy": {
        "lead": ["Mae angen", "Dylai fod", "Hoffwn weld", "Byddai'n helpu cael", "Mae wir angen",
                 "Mae'r dref angen", "Plis rhowch", "Rydyn ni angen"],
        "topic": ["mwy o heddlu ar droed", "triniaeth yn gynt", "gwasanaethau ieuenctid go iawn",
                  "gweithredu yn erbyn gwerthwyr llinellau cyffuriau", "cefnogaeth i deuluoedd",
                  "addysg am gyffuriau ym mhob ysgol", "mwy o oriau cyfnewid nodwyddau",
                  "gwell gofal iechyd meddwl", "camerâu ger y parc chwarae", "canolfan galw heibio ar y penwythnos"],
        "place": ["yng nghanol y dref", "ger yr orsaf", "ar lan y môr", "ar yr ystâd", "ger y ganolfan gymunedol",
                  "yn y pentrefi", "ger yr ysgol uwchradd", "ar hyd llwybr yr afon"],
        "tail": ["oherwydd bod gwerthu yn digwydd yn agored.", "gan fod pobl ifanc yn cael eu tynnu i mewn.",
                 "gan nad oes dim wedi newid ers blynyddoedd.", "cyn i rywun arall farw.",
                 "oherwydd bod pobl ofn riportio.", "gan fod y rhestrau aros yn rhy hir."],
    },
}
CAMPAIGNS = {
    "en": ["I support the Safer Streets Now campaign: put more police on our streets and jail the county "
           "lines gangs who are destroying our communities.",
           "Treatment not punishment. People who use drugs need help quickly, not a criminal record, "
           "and services must be funded properly."],
    "cy": ["Rwy'n cefnogi ymgyrch Strydoedd Diogel Nawr: rhowch fwy o heddlu ar ein strydoedd a charcharwch "
           "y gangiau llinellau cyffuriau sy'n dinistrio ein cymunedau."],
}
CONTACT_DETAILS = ["You can ring me on 07700 900123 about this.", "Email me at sam.jones@example.com please.",
                   "I live at SA31 1AB if you want to visit.", "Ffoniwch fi ar 01267 234567."]


@dataclass
class Generated:
    rows: pd.DataFrame      # one row per response, answers keyed by question id
    truth: pd.DataFrame     # reference, kind, duplicate_of, campaign, speeder, straightliner


def generate(survey: Survey, count: int, seed: int = 0) -> Generated:
    rng = np.random.default_rng(seed)
    exact = int(count * EXACT_SHARE)
    same = int(count * SAME_PERSON_SHARE)
    people = base_responses(survey, count - exact - same, rng)
    truth = pd.DataFrame({"reference": people["_key"], "kind": "genuine", "duplicate_of": None,
                          "campaign": None, "speeder": False, "straightliner": False})
    inject_speeders(people, truth, rng)
    inject_straightliners(people, survey, truth, rng)
    inject_campaigns(people, truth, rng)
    originals = rng.choice(len(people), size=exact + same, replace=False)
    copies = exact_copies(people.iloc[originals[:exact]], rng)
    repeats = same_person_repeats(people.iloc[originals[exact:]], people, survey, rng)
    rows = pd.concat([people, copies, repeats], ignore_index=True)
    truth = pd.concat([truth, _truth_for(copies, people, originals[:exact], "exact_resubmission"),
                       _truth_for(repeats, people, originals[exact:], "same_person")], ignore_index=True)
    rows["reference"] = unique_references(len(rows), rng)
    reference_of = dict(zip(rows["_key"], rows["reference"]))
    truth["reference"] = truth["reference"].map(reference_of)
    truth["duplicate_of"] = truth["duplicate_of"].map(reference_of)
    rows = rows.drop(columns="_key").sort_values("submitted_at", kind="stable", ignore_index=True)
    return Generated(rows=rows, truth=truth)


def _truth_for(copies: pd.DataFrame, people: pd.DataFrame, originals: np.ndarray, kind: str) -> pd.DataFrame:
    return pd.DataFrame({"reference": copies["_key"].to_numpy(), "kind": kind,
                         "duplicate_of": people["_key"].to_numpy()[originals], "campaign": None,
                         "speeder": False, "straightliner": False})


def base_responses(survey: Survey, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n distinct people answering the survey along their own branch."""
    frame = pd.DataFrame({"_key": np.arange(n).astype(str)})
    frame["_key"] = "p" + frame["_key"]
    frame["language"] = np.where(rng.random(n) < WELSH_SHARE, "cy", "en")
    submitted = survey.opens_at + pd.to_timedelta(rng.random(n) * 60 * 86400, unit="s")
    duration = np.clip(rng.lognormal(np.log(MEDIAN_SECONDS), 0.45, n), 90, 3600).astype(np.int64)
    frame["submitted_at"] = pd.DatetimeIndex(submitted).tz_convert("UTC").floor("s")
    frame["duration_seconds"] = duration
    frame["link_token"] = np.where(rng.random(n) < LINK_SHARE, rng.choice(LINK_TOKENS, n), None)
    frame["fingerprint"] = _hex(rng, n)
    shared = rng.random(n) < SHARED_DEVICE_SHARE
    frame.loc[shared, "fingerprint"] = rng.choice(_hex(rng, SHARED_DEVICES), shared.sum())
    frame["quality_flags"] = np.where(rng.random(n) < 0.003, '["honeypot"]', "[]")
    for q in survey.questions:
        if q.id == "email":
            continue
        asked = _asked(frame, survey, q)
        answered = asked & ((rng.random(n) >= SKIP_RATE) | q.required)
        if q.type in ("single", "likert"):
            frame[q.id] = np.where(answered, _choose(frame, q, rng), None)
        elif q.type == "multiple":
            frame[q.id] = np.where(answered, _tick_lists(q, n, rng), None)
        elif q.type == "number":
            frame[q.id] = np.where(answered, rng.integers(q.min, min(q.max, 60), n), None)
        elif q.type == "postcode":
            frame[q.id] = np.where(answered & (rng.random(n) < 0.8), _postcodes(frame, rng), None)
        elif q.is_free_text:
            wants = answered & (rng.random(n) < FREE_TEXT_RATE.get(q.id, 0.2))
            frame[q.id] = np.where(wants, free_text(frame["language"].to_numpy(), rng), None)
        if q.other:
            ticked = pd.Series(frame[q.id]).map(lambda v: bool(v) and "other" in v).to_numpy(dtype=bool) \
                if q.type == "multiple" else (frame[q.id] == "other").to_numpy()
            frame[q.other_column] = np.where(ticked, free_text(frame["language"].to_numpy(), rng), None)
    consent = frame["contact_consent"].to_numpy() == "yes"
    frame["email"] = np.where(consent, "person" + pd.Series(np.arange(n)).astype(str) + "@example.org", None)
    return frame


def _asked(frame: pd.DataFrame, survey: Survey, q: Question) -> np.ndarray:
    section = survey.section(q.section_id)
    if section.show_if is None:
        return np.ones(len(frame), dtype=bool)
    return frame[section.show_if.question].isin(section.show_if.any_of).to_numpy()


def _choose(frame: pd.DataFrame, q: Question, rng: np.random.Generator) -> np.ndarray:
    """Codes drawn from a distribution of their own for each respondent group, so breakdowns differ."""
    codes = np.array(q.option_codes, dtype=object)
    if q.id == "respondent_group":
        return rng.choice(list(GROUP_SHARES), len(frame), p=list(GROUP_SHARES.values()))
    if q.id == "local_authority":
        return rng.choice(list(AREA_SHARES), len(frame), p=list(AREA_SHARES.values()))
    out = np.empty(len(frame), dtype=object)
    groups = frame["respondent_group"].to_numpy()
    for group in GROUP_SHARES:
        mask = groups == group
        out[mask] = rng.choice(codes, mask.sum(), p=rng.dirichlet(np.full(len(codes), 1.5)))
    return out


def _tick_lists(q: Question, n: int, rng: np.random.Generator) -> np.ndarray:
    """Lists of ticked codes, built once per distinct tick pattern instead of once per row."""
    codes = list(q.option_codes)
    rates = rng.uniform(0.1, 0.5, len(codes))
    for code in q.exclusive:
        rates[codes.index(code)] = 0  # ticked alone, below
    ticks = rng.random((n, len(codes))) < rates
    exclusive_rows = rng.random(n) < (0.04 if q.exclusive else 0)
    nothing = ~ticks.any(axis=1)
    ordinary = [i for i, code in enumerate(codes) if code not in q.exclusive]
    ticks[nothing, rng.choice(ordinary, nothing.sum())] = True
    if q.exclusive:
        ticks[exclusive_rows] = False
        ticks[exclusive_rows, codes.index(q.exclusive[0])] = True
    patterns = ticks @ (1 << np.arange(len(codes), dtype=np.int64))
    unique, inverse = np.unique(patterns, return_inverse=True)
    lists = np.empty(len(unique), dtype=object)
    lists[:] = [[c for i, c in enumerate(codes) if p >> i & 1] for p in unique]
    return lists[inverse]


def _postcodes(frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    by_area = pd.Series(district_authorities()).groupby(lambda d: district_authorities()[d]).groups
    areas = frame["local_authority"].to_numpy()
    out = rng.choice(["CF10", "SY1", "B15", "LL57"], len(frame)).astype(object)
    for area, districts in by_area.items():
        mask = areas == area
        out[mask] = rng.choice(list(districts), mask.sum())
    messy = rng.random(len(frame)) < 0.05
    out[messy] = [" " + code.lower() + " " for code in out[messy]]
    return out


def free_text(language: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Sentences from phrase pools in the respondent's language; a few carry contact details to redact."""
    n = len(language)
    out = np.empty(n, dtype=object)
    for lang, pools in TEXT.items():
        mask = language == lang
        k = int(mask.sum())
        parts = [np.array(pools[p], dtype=object)[rng.integers(0, len(pools[p]), k)] for p in pools]
        years = rng.integers(2, 30, k).astype(str)
        suffix = " (" + years + (" years here)" if lang == "en" else " mlynedd yma)")
        out[mask] = parts[0] + " " + parts[1] + " " + parts[2] + " " + parts[3] + suffix
    contact = rng.random(n) < 0.01
    out[contact] = out[contact] + " " + rng.choice(CONTACT_DETAILS, contact.sum())
    return out


def inject_speeders(people: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> None:
    rows = rng.random(len(people)) < SPEEDER_SHARE
    people.loc[rows, "duration_seconds"] = rng.integers(15, MEDIAN_SECONDS // 4, rows.sum())
    truth.loc[rows, "speeder"] = True


def inject_straightliners(people: pd.DataFrame, survey: Survey, truth: pd.DataFrame,
                          rng: np.random.Generator) -> None:
    for grid in likert_grids(survey):
        rows = rng.random(len(people)) < STRAIGHTLINER_SHARE
        codes = rng.choice(survey.question(grid[0]).option_codes, rows.sum())
        for column in grid:
            people.loc[rows, column] = codes
        truth.loc[rows, "straightliner"] = True


def inject_campaigns(people: pd.DataFrame, truth: pd.DataFrame, rng: np.random.Generator) -> None:
    """Distinct people pasting one campaign text, some with changed case, spacing or punctuation."""
    campaigns = [(lang, i, text) for lang, texts in CAMPAIGNS.items() for i, text in enumerate(texts)]
    size = max(CAMPAIGN_MIN_MEMBERS, int(len(people) * CAMPAIGN_SHARE / len(campaigns)))
    free = np.ones(len(people), dtype=bool)
    language = people["language"].to_numpy()
    for lang, number, text in campaigns:
        candidates = np.flatnonzero(free & (language == lang))
        members = rng.choice(candidates, min(size, len(candidates)), replace=False)
        free[members] = False
        variant = rng.integers(0, 4, len(members))
        texts = np.array([text, text.upper(), text.replace(" ", "  "), text.rstrip(".!") + "!!"],
                         dtype=object)[variant]
        people.loc[people.index[members], "one_change"] = texts
        truth.loc[truth.index[members], "campaign"] = f"{lang}-{number}"


def exact_copies(originals: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The same response sent again from the same device a few seconds to minutes later."""
    copies = originals.copy()
    copies["_key"] = "x" + copies["_key"]
    copies["submitted_at"] = copies["submitted_at"] + pd.to_timedelta(rng.integers(3, 600, len(copies)), unit="s")
    return copies


def same_person_repeats(originals: pd.DataFrame, people: pd.DataFrame, survey: Survey,
                        rng: np.random.Generator) -> pd.DataFrame:
    """One person answering again later: half leave the same email, half use the same device."""
    repeats = originals.copy()
    repeats["_key"] = "s" + repeats["_key"]
    repeats["submitted_at"] = repeats["submitted_at"] + pd.to_timedelta(
        rng.integers(3 * 3600, 10 * 86400, len(repeats)), unit="s")
    by_email = rng.random(len(repeats)) < 0.5
    base = "person" + repeats["_key"].str[2:]
    repeats.loc[by_email, "contact_consent"] = "yes"
    repeats.loc[by_email, "email"] = "  " + base[by_email].str.upper() + "+review@Example.org "
    originals_email = people.index.isin(originals.index[by_email])
    people.loc[originals_email, "contact_consent"] = "yes"
    people.loc[originals_email, "email"] = "person" + people.loc[originals_email, "_key"].str[1:] + "@example.org"
    repeats.loc[by_email, "fingerprint"] = _hex(rng, int(by_email.sum()))
    # A second sitting changes a couple of answers; the device-matched ones stay near-identical.
    changed = repeats["years_in_area"].notna()
    repeats.loc[changed, "years_in_area"] = repeats.loc[changed, "years_in_area"].astype(int) + 1
    repeats.loc[by_email, "know_where_help"] = rng.choice(survey.question("know_where_help").option_codes,
                                                          int(by_email.sum()))
    repeats.loc[by_email, "duration_seconds"] = rng.integers(200, 900, int(by_email.sum()))
    return repeats


def _hex(rng: np.random.Generator, n: int) -> np.ndarray:
    high = rng.integers(0, 2**63, n, dtype=np.int64)
    low = rng.integers(0, 2**63, n, dtype=np.int64)
    return np.char.add(np.char.mod("%016x", high), np.char.mod("%016x", low)).astype(object)


def unique_references(n: int, rng: np.random.Generator, taken: set[str] = frozenset()) -> np.ndarray:
    alphabet = np.array(list(storage.REFERENCE_ALPHABET))
    while True:
        chars = alphabet[rng.integers(0, len(alphabet), (n, 8))]
        refs = pd.Series(["".join(r[:4]) + "-" + "".join(r[4:]) for r in chars])
        if refs.is_unique and not taken.intersection(refs):
            return refs.to_numpy()


def response_frame(rows: pd.DataFrame, survey: Survey) -> pd.DataFrame:
    """The responses as stored columns (metadata and answers), a missing answer null."""
    started = rows["submitted_at"] - pd.to_timedelta(rows["duration_seconds"], unit="s")
    meta = pd.DataFrame({
        "reference": rows["reference"], "started_at": started.map(storage.iso),
        "submitted_at": rows["submitted_at"].map(storage.iso), "language": rows["language"],
        "duration_seconds": rows["duration_seconds"].astype(int), "link_token": rows["link_token"],
        "fingerprint": rows["fingerprint"], "quality_flags": rows["quality_flags"],
    })
    answer_cols = [c for c in rows.columns if c in {q.id for q in survey.questions}
                   or c in {q.other_column for q in survey.questions}]
    return pd.concat([meta, rows[answer_cols]], axis=1)


def write(db_path: Path | str, survey: Survey, count: int, seed: int = 0, if_empty: bool = False) -> int:
    """Generate and insert count responses; returns how many were written (0 if skipped)."""
    db = storage.connect(db_path)
    storage.migrate(db, [survey])
    if if_empty and storage.count_responses(db, survey.slug):
        return 0
    generated = generate(survey, count, seed)
    taken = {r[0] for r in db.execute("select reference from responses")}
    if taken.intersection(generated.rows["reference"]):
        fresh = unique_references(len(generated.rows), np.random.default_rng(seed + 1), taken)
        mapping = dict(zip(generated.rows["reference"], fresh))
        generated.rows["reference"] = fresh
        generated.truth["reference"] = generated.truth["reference"].map(mapping)
        generated.truth["duplicate_of"] = generated.truth["duplicate_of"].map(mapping)
    written = storage.insert_response_frame(db, survey, response_frame(generated.rows, survey))
    truth = generated.truth.assign(survey_id=survey.slug)
    truth = truth.astype(object).where(truth.notna(), None)
    db["synthetic_truth"].insert_all(truth.to_dict("records"), pk="reference", replace=True, batch_size=10000)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m etl.synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--database", required=True, help="survey database to write into (created if missing)")
    parser.add_argument("--survey", required=True, help="survey slug, e.g. drugs-review")
    parser.add_argument("--count", type=int, required=True, help="number of responses to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--surveys-dir", default=str(SURVEYS_DIR))
    parser.add_argument("--if-empty", action="store_true", help="do nothing if the survey already has responses")
    args = parser.parse_args(argv)
    surveys = load_surveys(args.surveys_dir)
    if args.survey not in surveys:
        parser.error(f"no survey '{args.survey}' in {args.surveys_dir}; have: {', '.join(sorted(surveys))}")
    written = write(args.database, surveys[args.survey], args.count, args.seed, args.if_empty)
    if written:
        print(f"wrote {written} synthetic responses to {args.database}")
    else:
        print(f"{args.database} already holds responses for {args.survey}; nothing written")
    return 0


if __name__ == "__main__":
    sys.exit(main())
