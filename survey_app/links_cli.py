"""`flask --app survey_app links ...`: create, list and disable service-provider links.

For operators, so English only. Every command prints the public addresses in both languages.
"""
from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from . import links, storage


def _db():
    return storage.connect(current_app.config["SURVEY_DATABASE"])


def _now():
    return current_app.config["CLOCK"]()


def _echo_urls(token: str) -> None:
    base = current_app.config["PUBLIC_BASE_URL"]
    click.echo(f"  Welsh:   {links.public_url(base, token, 'cy')}")
    click.echo(f"  English: {links.public_url(base, token, 'en')}")


def _describe(link: links.Link) -> str:
    expiry = f"expires {link.expires_on.isoformat()}" if link.expires_on else "no expiry"
    return f"{link.channel} link for {link.organisation} ({link.survey_id}, {expiry})"


def _token(value: str) -> str:
    token = links.normalise_token(value)
    if not links.is_well_formed(token):
        raise click.BadParameter(
            f"{value!r} is not a link token: a token is {links.TOKEN_LENGTH} lower-case letters and digits, "
            f"as printed by `links create` and `links list`.", param_hint="TOKEN")
    return token


@click.group("links")
def links_group() -> None:
    """Tracked survey links for service providers."""


@links_group.command("create")
@click.option("--survey", "slug", required=True, help="The survey's slug, as in its URL.")
@click.option("--org", "organisation", required=True, help="The organisation that hands the link out.")
@click.option("--channel", required=True, type=click.Choice(links.CHANNELS), help="How the link is handed out.")
@click.option("--expires", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Last day the link counts (YYYY-MM-DD, Welsh time). After it, people can still respond.")
@with_appcontext
def create(slug: str, organisation: str, channel: str, expires) -> None:
    """Create a link and print its addresses and the provider's private page."""
    survey = current_app.extensions["surveys"].get(slug)
    if survey is None:
        known = ", ".join(sorted(current_app.extensions["surveys"])) or "none"
        raise click.BadParameter(f"no survey has the slug {slug!r}. Known surveys: {known}.",
                                 param_hint="'--survey'")
    db = _db()
    try:
        duplicates = links.same_organisation_and_channel(db, slug, organisation, channel)
        try:
            new = links.create_link(db, survey, organisation, channel, _now(),
                                    expires_on=expires.date() if expires else None)
        except links.LinkError as error:
            raise click.UsageError(f"Cannot create the link: {error}.") from error
    finally:
        db.close()
    if duplicates:
        tokens = ", ".join(link.token for link in duplicates)
        click.echo(f"Note: {new.link.organisation} already has {len(duplicates)} {channel} link(s) for {slug} "
                   f"({tokens}). Created another; responses are counted separately for each.", err=True)
    click.echo(f"Created {_describe(new.link)}.")
    click.echo(f"Token: {new.link.token}")
    _echo_urls(new.link.token)
    base = current_app.config["PUBLIC_BASE_URL"]
    click.echo(f"  QR code (the browser's language): {links.public_url(base, new.link.token)}")
    click.echo("Provider's page, with the QR code, poster and counts (send it to the provider only;")
    click.echo("it is shown this once; if it is lost, `links new-manage-url TOKEN` replaces it):")
    click.echo(f"  {links.manage_url(base, new.manage_token)}")


@links_group.command("list")
@click.option("--survey", "slug", default=None, help="Only this survey's links.")
@with_appcontext
def list_command(slug: str | None) -> None:
    """List links with their status and exact completed-response counts."""
    db = _db()
    try:
        rows = links.list_links(db, slug)
    finally:
        db.close()
    if not rows:
        click.echo("No links yet. Create one with: flask --app survey_app links create --survey SLUG "
                   "--org NAME --channel CHANNEL")
        return
    moment = _now()
    for link, count in rows:
        click.echo(f"{link.token}  {link.status(moment):8}  {count:>6} responses  {_describe(link)}")
        _echo_urls(link.token)


def _existing_link(db, token: str) -> links.Link:
    link = links.get_link(db, token)
    if link is None:
        raise click.UsageError(f"No link has the token {token!r}. See `flask --app survey_app links list`.")
    return link


@links_group.command("disable")
@click.argument("token")
@with_appcontext
def disable(token: str) -> None:
    """Stop counting responses through a link. People who use it can still respond."""
    token = _token(token)
    db = _db()
    try:
        link = _existing_link(db, token)
        if link.active:
            link = links.disable_link(db, token, _now())
            click.echo(f"Disabled {_describe(link)}. People who use it can still respond; "
                       f"their responses are no longer counted for it.")
        else:
            click.echo(f"Already disabled on {link.disabled_at[:10]}: {_describe(link)}.")
    finally:
        db.close()
    _echo_urls(link.token)


@links_group.command("new-manage-url")
@click.argument("token")
@with_appcontext
def new_manage_url(token: str) -> None:
    """Give a link's provider page a new secret address; the old address stops working."""
    token = _token(token)
    db = _db()
    try:
        link = _existing_link(db, token)
        manage_token = links.replace_manage_token(db, token)
    finally:
        db.close()
    click.echo(f"New provider's page for {_describe(link)} (send it to the provider only; the old address "
               f"no longer works, and this one is shown this once):")
    click.echo(f"  {links.manage_url(current_app.config['PUBLIC_BASE_URL'], manage_token)}")
