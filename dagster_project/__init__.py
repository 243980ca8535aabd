"""Dagster wiring for the Llais analysis: `dagster dev -m dagster_project`."""

import datetime as dt

from dagster import (AssetSelection, DefaultScheduleStatus, Definitions, RunRequest, ScheduleEvaluationContext,
                     SkipReason, define_asset_job, in_process_executor, load_assets_from_modules, schedule)

from . import assets
from .checks import ASSET_CHECKS
from .resources import AnalysisTableIOManager, LlaisResource

refresh_analysis = define_asset_job("refresh_analysis", selection=AssetSelection.all())


@schedule(job=refresh_analysis, cron_schedule="0 6 * * *", execution_timezone="Europe/London",
          default_status=DefaultScheduleStatus.STOPPED)
def daily_refresh(context: ScheduleEvaluationContext, llais: LlaisResource):
    """Refresh every table each morning while the survey is open; off until an analyst turns it on."""
    survey = llais.survey()
    now = context.scheduled_execution_time or dt.datetime.now(dt.timezone.utc)
    if survey.status(now) != "open":
        return SkipReason(f"survey '{survey.slug}' is {survey.status(now)}")
    return RunRequest()


def build_definitions(llais: LlaisResource) -> Definitions:
    return Definitions(
        assets=load_assets_from_modules([assets]),
        asset_checks=ASSET_CHECKS,
        jobs=[refresh_analysis],
        schedules=[daily_refresh],
        resources={
            "llais": llais,
            "io_manager": AnalysisTableIOManager(analysis_database=llais.analysis_database,
                                                 survey_slug=llais.survey_slug),
        },
        # One step at a time: the steps share one SQLite analysis database, and a
        # process per step would cost more in start-up than the steps take.
        executor=in_process_executor,
    )


defs = build_definitions(LlaisResource.from_env())
