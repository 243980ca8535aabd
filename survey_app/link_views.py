"""Service-provider links on the web: following a link, and the provider's page, QR code and poster."""
from __future__ import annotations

import io

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request,
                   send_file, url_for)
from flask_babel import force_locale, gettext, lazy_gettext as _l
from markupsafe import Markup

from . import links
from .i18n import LANGUAGES, best_language
from .qr import qr_png, qr_svg
from .views import forget_links, remember_link, surveys
from .context import get_db, now

bp = Blueprint("links", __name__)

CHANNEL_LABELS = {
    "email": _l("Email"),
    "poster": _l("Poster"),
    "drop-in": _l("Drop-in session"),
    "social-media": _l("Social media"),
    "other": _l("Other"),
}


@bp.url_value_preprocessor
def pull_language(endpoint, values):
    lang = (values or {}).get("lang")
    if lang is None:
        return
    if lang not in LANGUAGES:
        g.lang = best_language()
        abort(404)
    g.lang = lang


@bp.after_request
def keep_private(response):
    # Manage addresses are secrets: keep them out of search engines, caches and Referer headers.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.endpoint and request.endpoint.startswith("links.manage"):
        response.headers["Cache-Control"] = "no-store"
    return response


def public_urls(token: str) -> dict[str, str]:
    base = current_app.config["PUBLIC_BASE_URL"]
    return {"cy": links.public_url(base, token, "cy"), "en": links.public_url(base, token, "en"),
            "any": links.public_url(base, token)}


# --- following a link ----------------------------------------------------------------


@bp.get("/l/<path:token>")
def follow_any_language(token):
    return follow(best_language(), token)


@bp.get("/<lang>/l/<path:token>")
def follow_in(lang, token):
    return follow(lang, token)


def follow(lang: str, token: str):
    """Start the survey, remembering the link; a dead or unknown link still lets the person answer."""
    link = links.get_link(get_db(), links.normalise_token(token))
    if link is not None and link.is_usable(now()) and link.survey_id in surveys():
        remember_link(link.survey_id, link.token)
        return redirect(url_for("survey.start", lang=lang, slug=link.survey_id), code=303)
    # Every unusable link is treated alike, so the response says nothing about which links exist.
    forget_links()
    flash(gettext("The link you followed is no longer in use, but you can still take part. "
                  "Your answers are just as welcome."))
    return redirect(fallback_page(lang), code=303)


def fallback_page(lang: str) -> str:
    """The survey itself when only one is open, so nobody has to choose; otherwise the list."""
    moment = now()
    open_surveys = [s for s in surveys().values() if s.status(moment) == "open"]
    if len(open_surveys) == 1:
        return url_for("survey.start", lang=lang, slug=open_surveys[0].slug)
    return url_for("survey.index", lang=lang)


# --- the provider's page --------------------------------------------------------------


def managed_link(manage_token: str) -> links.Link:
    link = links.link_for_manage_token(get_db(), manage_token)
    if link is None:
        abort(404)
    return link


@bp.get("/manage/<manage_token>")
def manage_any_language(manage_token):
    managed_link(manage_token)
    return redirect(url_for("links.manage", lang=best_language(), manage_token=manage_token), code=303)


@bp.get("/<lang>/manage/<manage_token>")
def manage(lang, manage_token):
    link = managed_link(manage_token)
    days = links.responses_by_day(get_db(), link.token)
    return render_template("manage.html", link=link, survey=surveys().get(link.survey_id),
                           channel=CHANNEL_LABELS[link.channel], status=link.status(now()),
                           urls=public_urls(link.token), days=links.published_days(days),
                           total=sum(n for _, n in days),
                           is_small=links.is_small, manage_token=manage_token)


@bp.get("/manage/<manage_token>/qr.<kind>")
def manage_qr(manage_token, kind):
    link = managed_link(manage_token)
    url = public_urls(link.token)["any"]
    if kind == "svg":
        body, mimetype = qr_svg(url, title=url), "image/svg+xml"
    elif kind == "png":
        body, mimetype = qr_png(url), "image/png"
    else:
        abort(404)
    return send_file(io.BytesIO(body), mimetype=mimetype, as_attachment=request.args.get("download") == "1",
                     download_name=f"llais-{link.token}.{kind}", max_age=0)


@bp.get("/<lang>/manage/<manage_token>/poster")
def manage_poster(lang, manage_token):
    link = managed_link(manage_token)
    survey = surveys().get(link.survey_id)
    if survey is None:
        abort(404)
    urls = public_urls(link.token)
    # Welsh first, as on bilingual public signs in Wales; each half rendered in its own language.
    halves = []
    for half_lang, locale in (("cy", "cy"), ("en", "en_GB")):
        with force_locale(locale):
            # Markup: this is our own template's output, already escaped by Jinja.
            half = Markup(render_template("_poster_half.html", survey=survey, url=urls[half_lang]))
            halves.append((half_lang, half))
    return render_template("poster.html", link=link, survey=survey, halves=halves, urls=urls,
                           manage_token=manage_token)
