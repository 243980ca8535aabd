"""Dagster wiring for the Llais analysis: `dagster dev -m dagster_project`."""

import datetime as dt

from dagster import (AssetSelection, DefaultScheduleStatus, Definitions, RunRequest, ScheduleEvaluationContext,
                     SkipReason, define_asset_job, in_process_executor, load_assets_from_modules, schedule)

from . import assets, outputs
from .checks import ASSET_CHECKS
from .outputs import OUTPUT_CHECKS, ReviewOutputsResource
from .resources import AnalysisTableIOManager, LlaisResource

refresh_analysis = define_asset_job("refresh_analysis", selection=AssetSelection.groups(assets.GROUP))
review_outputs = define_asset_job("review_outputs", selection=AssetSelection.groups(outputs.GROUP))
refresh_all = define_asset_job("refresh_all", selection=AssetSelection.all())


@schedule(job=refresh_all, cron_schedule="0 6 * * *", execution_timezone="Europe/London",
          default_status=DefaultScheduleStatus.STOPPED)
def daily_refresh(context: ScheduleEvaluationContext, llais: LlaisResource):
    """Refresh every table each morning while the survey is open; off until an analyst turns it on."""
    survey = llais.survey()
    now = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    if survey.status(now) != "open":
        return SkipReason(f"survey '{survey.slug}' is {survey.status(now)}")
    return RunRequest()


def build_definitions(llais: LlaisResource, review: ReviewOutputsResource | None = None) -> Definitions:
    return Definitions(
        assets=load_assets_from_modules([assets, outputs]),
        asset_checks=ASSET_CHECKS + OUTPUT_CHECKS,
        jobs=[refresh_analysis, review_outputs, refresh_all],
        schedules=[daily_refresh],
        resources={
            "llais": llais,
            "review": review or ReviewOutputsResource.from_env(),
            "io_manager": AnalysisTableIOManager(analysis_database=llais.analysis_database,
                                                 survey_slug=llais.survey_slug, surveys_dir=llais.surveys_dir),
        },
        # One step at a time: the steps share one SQLite analysis database, and a
        # process per step would cost more in start-up than the steps take.
        executor=in_process_executor,
    )


defs = build_definitions(LlaisResource.from_env(), ReviewOutputsResource.from_env())
