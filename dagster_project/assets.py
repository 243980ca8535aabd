"""Assets: thin wrappers over etl/, each published as a table in the analysis database."""
# No "from __future__ import annotations": Dagster inspects the context type hints at definition time.

from collections.abc import Callable

import pandas as pd
from dagster import AssetExecutionContext, AssetIn, AssetOut, MetadataValue, Output, asset, multi_asset

from etl import aggregate
from etl.clean import clean_responses
from etl.dedupe import deduplicate
from etl.exclusions import split_intake_flagged
from etl.raw_copy import read_and_publish

from .resources import ANSWERS, RAW_RESPONSES, LlaisResource, reads

GROUP = "analysis"
BREAKDOWNS = ("id", "survey_id", "language", "respondent_group", "area")
# What each output reads of the deduplicated responses (the rest is never loaded).
FOR_SUMMARIES = {"responses_deduplicated": AssetIn(metadata=reads(ANSWERS, *BREAKDOWNS, "email_key"))}
FOR_FREE_TEXT = {"responses_deduplicated": AssetIn(metadata=reads(ANSWERS, *BREAKDOWNS, "campaign_id"))}
FOR_VOLUME = {"responses_deduplicated": AssetIn(metadata=reads(
    "id", "survey_id", "submitted_at", "language", "link_token", "link_organisation"))}
FOR_PROFILE = {"responses_deduplicated": AssetIn(metadata=reads(*BREAKDOWNS, "link_token", "link_channel"))}
# Deduplication itself also compares clients by fingerprint; the intake exclusions read the flags.
DEDUPLICATION_READS = ("fingerprint", "submitted_at", "email_key")
EXCLUSION_READS = ("survey_id", "id", "reference", "flag_intake", "flag_reasons")
OUTPUT_READS = sorted({column for ins in (FOR_SUMMARIES, FOR_FREE_TEXT, FOR_VOLUME, FOR_PROFILE)
                       for column in ins["responses_deduplicated"].metadata["columns"]} - {ANSWERS})
FOR_DEDUPLICATION = {"responses_clean": AssetIn(metadata=reads(
    ANSWERS, *OUTPUT_READS, *DEDUPLICATION_READS, *EXCLUSION_READS))}


def handed_on(frame: pd.DataFrame) -> pd.DataFrame:
    """The clean responses without the columns only the intake exclusions read.

    The deduplicated frame is only handed to downstream assets (the published view has every
    column); leaving out references and flag reasons keeps a million kept rows smaller while
    the step holds both them and its input.
    """
    exclusion_only = set(EXCLUSION_READS) - set(OUTPUT_READS) - set(DEDUPLICATION_READS)
    return frame.drop(columns=[c for c in frame.columns if c in exclusion_only])


@asset(group_name=GROUP, kinds={"pandas", "sqlite"})
def raw_responses(context: AssetExecutionContext, llais: LlaisResource) -> pd.DataFrame:
    """The completed responses of the survey, read (never modified) from the survey database."""
    # Single-choice and scale answers are codes: held as categoricals, a third less memory for the frame.
    codes = [q.id for q in llais.survey().questions if q.type in ("single", "likert")]
    frame = read_and_publish(llais.survey_database, llais.analysis_database, RAW_RESPONSES, llais.survey_slug,
                             categorical=codes)
    context.add_output_metadata({"source": MetadataValue.path(llais.survey_database)})
    return frame


@multi_asset(
    group_name=GROUP,
    outs={
        "responses_clean": AssetOut(description="One row per readable response: tidy codes, areas and quality "
                                                "flags with reasons; flags never delete a row."),
        "quarantined_responses": AssetOut(description="Responses set aside because a stored value cannot be "
                                                      "read (bytes that are not UTF-8 text, a JSON list that "
                                                      "does not parse, a number that is not whole, a time that "
                                                      "is not a time), by id, column and problem."),
    },
)
def responses_clean(raw_responses: pd.DataFrame, llais: LlaisResource):
    result = clean_responses(raw_responses, llais.survey())
    flags = {name: int(result.responses[name].sum()) for name in result.responses
             if name.startswith("flag_") and result.responses[name].dtype == bool}
    ids = sorted(result.quarantined["response_id"].unique().tolist())
    yield Output(result.responses, output_name="responses_clean", metadata={
        **{name: MetadataValue.int(count) for name, count in flags.items()},
        "quarantined_response_ids": MetadataValue.json(ids),
    })
    yield Output(result.quarantined, output_name="quarantined_responses", metadata={
        "quarantined_response_ids": MetadataValue.json(ids),
    })


@multi_asset(
    group_name=GROUP,
    ins=FOR_DEDUPLICATION,
    outs={
        "responses_deduplicated": AssetOut(description="Clean responses with duplicate copies removed; "
                                                       "campaign responses kept and marked."),
        "duplicate_groups": AssetOut(description="Every duplicate and campaign group: the rule that matched, "
                                                 "each member and the response kept."),
        "excluded_responses": AssetOut(description="Responses left out because the app flagged them at intake "
                                                   "(a filled honeypot field, a page sent too fast), with why."),
    },
)
def responses_deduplicated(responses_clean: pd.DataFrame, llais: LlaisResource):
    # Likely automated submissions are kept in the survey database but not counted.
    survey = llais.survey()
    kept, excluded = split_intake_flagged(responses_clean)
    result = deduplicate(handed_on(kept), survey)
    by_rule = result.groups.groupby("rule")["removed"].agg(["size", "sum"])
    yield Output(excluded, output_name="excluded_responses", metadata={
        "excluded": MetadataValue.int(len(excluded)),
        **{f"excluded: {reason}": MetadataValue.int(int(count))
           for reason, count in excluded["reason"].value_counts().items()},
    })
    yield Output(result.responses, output_name="responses_deduplicated", metadata={
        "excluded_at_intake": MetadataValue.int(len(excluded)),
        "removed": MetadataValue.int(len(kept) - len(result.responses)),
        "campaign_responses": MetadataValue.int(int(result.responses["campaign_id"].notna().sum())),
    })
    yield Output(result.groups, output_name="duplicate_groups", metadata={
        f"{rule} (members / removed)": MetadataValue.text(f"{row['size']} / {row['sum']}")
        for rule, row in by_rule.iterrows()
    })


def tables_in_one_step(group_name: str, ins: dict[str, AssetIn], descriptions: dict[str, str]):
    """A multi-asset for tables built from one large input: the input is loaded once for them all,
    and any of them can still be refreshed alone (each output is optional; see selected_tables)."""
    return multi_asset(group_name=group_name, ins=ins, can_subset=True,
                       outs={name: AssetOut(is_required=False, description=description)
                             for name, description in descriptions.items()})


def selected_tables(context: AssetExecutionContext, builders: dict[str, Callable[[], pd.DataFrame]]):
    """The Outputs of a tables_in_one_step asset: only the tables selected, each built as it is yielded."""
    for name in sorted(context.selected_output_names):
        yield Output(builders[name](), output_name=name)


@tables_in_one_step(GROUP, FOR_SUMMARIES, {
    "question_summary": "Count, base and percent for every option of every question, over the deduplicated responses.",
    "summary_by_group": "question_summary broken down by respondent group.",
    "summary_by_area": "question_summary broken down by local authority (stated, else from the postcode district).",
})
def summaries(context: AssetExecutionContext, responses_deduplicated: pd.DataFrame, llais: LlaisResource):
    survey, welsh = llais.survey(), llais.welsh()
    yield from selected_tables(context, {
        "question_summary": lambda: aggregate.question_summary(responses_deduplicated, survey, welsh),
        "summary_by_group": lambda: aggregate.summary_by(responses_deduplicated, survey, welsh, "respondent_group",
                                                         aggregate.group_categories(survey), "respondent_group"),
        "summary_by_area": lambda: aggregate.summary_by(responses_deduplicated, survey, welsh, "area",
                                                        aggregate.area_categories(survey), "local_authority"),
    })


@asset(group_name=GROUP, kinds={"pandas", "sqlite"}, ins=FOR_FREE_TEXT)
def free_text(responses_deduplicated: pd.DataFrame, llais: LlaisResource) -> pd.DataFrame:
    """Every free-text answer with language and group; emails, phone numbers and full postcodes redacted."""
    return aggregate.free_text(responses_deduplicated, llais.survey())


@asset(group_name=GROUP, kinds={"pandas", "sqlite"}, ins=FOR_VOLUME)
def response_volume(responses_deduplicated: pd.DataFrame, llais: LlaisResource) -> pd.DataFrame:
    """Responses per day by language, link token and (when the app records links) organisation."""
    return aggregate.response_volume(responses_deduplicated, llais.survey())
