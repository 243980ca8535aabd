"""Operators' commands: `flask --app survey_app responses purge|erase`. English only."""
from __future__ import annotations

import datetime as dt

import click
from flask import current_app
from flask.cli import AppGroup

from . import retention, storage

responses_cli = AppGroup("responses", help="Retention and erasure of stored responses.")


def _db():
    return storage.connect(current_app.config["SURVEY_DATABASE"],
                           busy_timeout_ms=current_app.config["SURVEY_DB_BUSY_TIMEOUT_MS"])


def _plural(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


@responses_cli.command("purge")
@click.option("--survey", "survey_id", required=True, metavar="SLUG", help="The survey's slug.")
@click.option("--older-than", "days", required=True, type=click.IntRange(min=0), metavar="DAYS",
              help="Delete what is older than this many days.")
@click.option("--include-responses", is_flag=True,
              help="Also delete the responses themselves (answers), not only personal data and drafts.")
def purge_command(survey_id: str, days: int, include_responses: bool) -> None:
    """Delete personal data (follow-up emails) and unfinished or old drafts past
    retention, and with --include-responses the raw responses too."""
    db = _db()
    try:
        if survey_id not in current_app.extensions["surveys"] and survey_id not in retention.known_surveys(db):
            raise click.ClickException(f"No survey {survey_id!r} is defined or has anything stored.")
        cutoff = current_app.config["CLOCK"]() - dt.timedelta(days=days)
        counts = retention.purge(db, survey_id, cutoff, include_responses=include_responses)
    except storage.StorageUnavailable as exc:
        raise click.ClickException(f"The database is busy or failing ({exc}); nothing was deleted. Try again.")
    finally:
        db.close()
    click.echo(f"Survey {survey_id}: removed everything older than {storage.iso(cutoff)} ({days} days):")
    click.echo(f"  {_plural(counts.personal_data, 'personal data record', 'personal data records')} (follow-up emails)")
    click.echo(f"  {_plural(counts.drafts, 'draft', 'drafts')}")
    if include_responses:
        click.echo(f"  {_plural(counts.responses, 'response', 'responses')}")
    else:
        click.echo("  responses kept (add --include-responses to delete them too)")


@responses_cli.command("erase")
@click.argument("reference")
def erase_command(reference: str) -> None:
    """Delete the response with REFERENCE (as shown to the respondent, e.g. KEFR-653A),
    its personal data and its draft, and record the erasure (reference and time only)."""
    reference = retention.normalise_reference(reference)
    if not retention.is_reference(reference):
        raise click.ClickException(
            f"{reference!r} is not a response reference. References look like KEFR-653A: "
            "eight letters and digits with a hyphen in the middle.")
    db = _db()
    try:
        already = retention.erased_at(db, reference)
        if already:
            click.echo(f"Response {reference} was already erased at {already}; nothing more to delete.")
            return
        if not retention.erase(db, reference, current_app.config["CLOCK"]()):
            raise click.ClickException(
                f"No response has the reference {reference}. Check it with the person who asked "
                "(references use the letters and digits A-Z and 2-9, without 0, 1, I, L, O or U).")
    except storage.StorageUnavailable as exc:
        raise click.ClickException(f"The database is busy or failing ({exc}); nothing was deleted. Try again.")
    finally:
        db.close()
    click.echo(f"Erased response {reference}: its answers, personal data and draft are deleted. "
               "The erasure is recorded (reference and time only) so the next ETL run removes it downstream.")
