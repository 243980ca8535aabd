"""The public survey: start page with consent, one page per section, confirmation."""
from __future__ import annotations

import datetime as dt

from flask import (Blueprint, abort, current_app, flash, g, make_response, redirect, render_template,
                   request, session, url_for)
from flask_babel import format_date, gettext

from . import links, quality, storage
from .definition import Section, Survey
from .fingerprint import client_fingerprint
from .forms import ConsentForm, section_form, typed_values
from .i18n import LANGUAGES, best_language, other_language
from .context import get_db, now

bp = Blueprint("survey", __name__, url_prefix="/<lang>")


@bp.url_value_preprocessor
def pull_language(endpoint, values):
    lang = (values or {}).get("lang")
    if lang not in LANGUAGES:
        g.lang = best_language()
        abort(404)
    g.lang = lang


@bp.url_defaults
def add_language(endpoint, values):
    values.setdefault("lang", g.get("lang", "en"))


# --- helpers ---------------------------------------------------------------------


def surveys() -> dict[str, Survey]:
    return current_app.extensions["surveys"]


def get_survey(slug: str) -> Survey:
    survey = surveys().get(slug)
    if survey is None:
        abort(404)
    return survey


def closed_page(survey: Survey):
    """The page for a survey outside its dates, or None while it is open."""
    status = survey.status(now())
    if status == "open":
        return None
    if status == "upcoming":
        message = gettext("This survey opens on %(date)s. Please come back then.",
                          date=format_date(survey.opens_at.date(), "long"))
        code = 403
    else:
        last_day = (survey.closes_at - dt.timedelta(days=1)).date()
        message = gettext("This survey closed on %(date)s and is no longer accepting answers. "
                          "Thank you for your interest.", date=format_date(last_day, "long"))
        code = 410
    return make_response(render_template("closed.html", survey=survey, message=message,
                                         upcoming=status == "upcoming"), code)


def draft_ids() -> dict[str, str]:
    return dict(session.get("drafts", {}))


def remember_draft(survey: Survey, draft_id: str | None) -> None:
    ids = draft_ids()
    if draft_id:
        ids[survey.slug] = draft_id
    else:
        ids.pop(survey.slug, None)
    session["drafts"] = ids
    session.permanent = True


def current_draft(survey: Survey) -> storage.Draft | None:
    return storage.load_draft(get_db(), draft_ids().get(survey.slug), survey)


def pages_done(draft: storage.Draft) -> list[str]:
    return list(draft.answers.get("_pages", []))


def first_unfinished(survey: Survey, draft: storage.Draft) -> Section | None:
    done = set(pages_done(draft))
    for section in survey.visible_sections(draft.answers):
        if section.id not in done:
            return section
    return None


def page_url(survey: Survey, section: Section) -> str:
    return url_for("survey.page", slug=survey.slug, section_id=section.id)


def remember_link(survey_id: str, token: str) -> None:
    """Keep the link a person arrived by, for every response started on this device afterwards."""
    session["link_tokens"] = {**session.get("link_tokens", {}), survey_id: token}
    session.permanent = True


def forget_links() -> None:
    session.pop("link_tokens", None)


def link_token_for(survey: Survey) -> str | None:
    """The remembered link, if it still counts now (it may have been disabled or expired since)."""
    token = session.get("link_tokens", {}).get(survey.slug)
    if token and links.usable_link(get_db(), token, survey.slug, now()):
        return token
    return None


def start_new_draft(survey: Survey) -> storage.Draft:
    draft = storage.new_draft(get_db(), survey, g.lang, now(), link_token=link_token_for(survey))
    remember_draft(survey, draft.id)
    return draft


# --- pages -------------------------------------------------------------------------


@bp.get("/")
def index(lang):
    moment = now()
    listed = [(s, s.status(moment)) for s in surveys().values()]
    return render_template("index.html", surveys=listed)


# Revise with the statement's text whenever the testing it describes changes.
ACCESSIBILITY_STATEMENT_PREPARED = dt.date(2026, 11, 29)


@bp.get("/accessibility")
def accessibility(lang):
    return render_template("accessibility.html", surveys=list(surveys().values()),
                           prepared_on=format_date(ACCESSIBILITY_STATEMENT_PREPARED, "long"))


@bp.route("/<slug>/", methods=["GET", "POST"])
def start(lang, slug):
    survey = get_survey(slug)
    closed = closed_page(survey)
    if closed is not None:
        return closed
    draft = current_draft(survey)
    form = ConsentForm()
    if request.method == "POST":
        if not form.validate():
            return make_response(render_template("start.html", survey=survey, form=form, draft=draft), 400)
        if draft is None or draft.submitted:
            draft = start_new_draft(survey)
        return redirect(page_url(survey, first_unfinished(survey, draft) or survey.sections[0]), code=303)
    return render_template("start.html", survey=survey, form=form, draft=draft)


@bp.route("/<slug>/q/<section_id>", methods=["GET", "POST"])
def page(lang, slug, section_id):
    survey = get_survey(slug)
    closed = closed_page(survey)
    if closed is not None:
        return closed
    draft = current_draft(survey)
    if draft is None:
        flash(gettext("Your answers could not be found on this device. Please start the survey here."))
        return redirect(url_for("survey.start", slug=slug), code=303)
    if draft.submitted:
        return redirect(url_for("survey.complete", slug=slug), code=303)

    visible = survey.visible_sections(draft.answers)
    section = next((s for s in visible if s.id == section_id), None)
    if section is None:
        abort(404)
    unfinished = first_unfinished(survey, draft)
    if unfinished is not None and visible.index(section) > visible.index(unfinished):
        if request.method == "POST":
            flash(gettext("Please answer the earlier questions first. Nothing from that page was saved."))
        return redirect(page_url(survey, unfinished), code=303)

    secret_key = current_app.config["SECRET_KEY"]
    if request.method == "GET":
        form = section_form(section, draft.answers, typed=draft.typed.get(section.id))
        return render_page(survey, section, form, visible, quality.page_stamp(secret_key, section.id, now()))

    leaving_for = LEAVE_PAGE.get(request.form.get(LEAVE_FIELD, ""))
    if leaving_for is not None:
        # Switching language or going Back before saving: keep what was typed, then go.
        storage.save_typed(get_db(), draft, section.id, typed_values(section, request.form), now())
        return redirect(leaving_for(survey, section, visible), code=303)

    form = section_form(section, draft.answers, formdata=request.form)
    if not form.validate():
        # Keep the time the page was first shown, so correcting an error is not "too fast".
        stamp = request.form.get(quality.STAMP_FIELD)
        if quality.shown_at(secret_key, section.id, stamp) is None:
            stamp = quality.page_stamp(secret_key, section.id, now())
        return make_response(render_page(survey, section, form, visible, stamp), 400)
    answers = form.answers()
    flags = quality.page_flags(request.form, secret_key, section.id, now(),
                               current_app.config["MIN_SECONDS_ON_PAGE"],
                               first_answer=section.id not in pages_done(draft))
    answers["_flags"] = sorted(set(draft.answers.get("_flags", [])) | flags)
    answers["_pages"] = sorted(set(pages_done(draft)) | {section.id})
    storage.save_answers(get_db(), draft, answers, now(), section_id=section.id)
    return after_page(survey, section, draft)


def after_page(survey: Survey, section: Section, draft: storage.Draft):
    """Go to the next page this respondent should see, or store the response after the last."""
    visible = survey.visible_sections(draft.answers)
    position = visible.index(section)
    if position + 1 < len(visible):
        return redirect(page_url(survey, visible[position + 1]), code=303)
    unfinished = first_unfinished(survey, draft)
    if unfinished is not None:
        return redirect(page_url(survey, unfinished), code=303)
    fingerprint = client_fingerprint(current_app.config["FINGERPRINT_SECRET"], survey.slug,
                                     request.remote_addr, request.user_agent.string)
    storage.submit(get_db(), survey, draft, now(), fingerprint=fingerprint, language=g.lang,
                   quality_flags=draft.answers.get("_flags", ()))
    return redirect(url_for("survey.complete", slug=survey.slug), code=303)


def previous_page_url(survey: Survey, section: Section, visible: list[Section]) -> str:
    position = visible.index(section)
    return page_url(survey, visible[position - 1]) if position else url_for("survey.start", slug=survey.slug)


def same_page_other_language(survey: Survey, section: Section, visible: list[Section]) -> str:
    return url_for("survey.page", lang=other_language(g.lang), slug=survey.slug, section_id=section.id)


# The header's language toggle and the Back link submit the page's form with this field, so
# what was typed is kept (see storage.save_typed) wherever the person goes next.
LEAVE_FIELD = "_leave"
LEAVE_PAGE = {"back": previous_page_url, "language": same_page_other_language}


def render_page(survey: Survey, section: Section, form, visible: list[Section], stamp: str) -> str:
    position = visible.index(section)
    return render_template("page.html", survey=survey, section=section, form=form, number=position + 1,
                           total=len(visible), is_last=position + 1 == len(visible), leave_field=LEAVE_FIELD,
                           honeypot_field=quality.HONEYPOT_FIELD, stamp_field=quality.STAMP_FIELD, stamp=stamp)


@bp.get("/<slug>/complete")
def complete(lang, slug):
    survey = get_survey(slug)
    draft = current_draft(survey)
    if draft is None or not draft.submitted:
        return redirect(url_for("survey.start", slug=slug), code=303)
    return render_template("complete.html", survey=survey, reference=draft.reference)


@bp.post("/<slug>/restart")
def restart(lang, slug):
    """Forget this device's response, so the next person at a shared device starts afresh."""
    survey = get_survey(slug)
    remember_draft(survey, None)
    return redirect(url_for("survey.start", slug=slug), code=303)
