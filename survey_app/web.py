"""The Flask application factory."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask import Flask, g, make_response, redirect, render_template, request, url_for
from flask_babel import Babel, format_date, gettext
from flask_wtf.csrf import CSRFError, CSRFProtect

from . import ratelimit, storage
from .cli_responses import responses_cli
from .config import PROJECT_ROOT, settings_from_env, sqlite_uri
from .context import ConnectionPerThread, end_request
from .definition import SURVEYS_DIR, load_surveys
from .i18n import LANGUAGES, babel_locale, best_language, current_language, other_language, survey_text
from .security import init_security

csrf = CSRFProtect()


def build_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        PERMANENT_SESSION_LIFETIME=dt.timedelta(days=60),
        WTF_CSRF_TIME_LIMIT=None,  # the session cookie bounds the token's life; a slow reader must not lose a page
        # Over HTTPS Flask-WTF would also demand a same-site Referer, but every page sends
        # Referrer-Policy: no-referrer (so link tokens never leak), so browsers send none and
        # every POST would fail. The session-bound token and the SameSite cookie still hold.
        WTF_CSRF_SSL_STRICT=False,
        MAX_CONTENT_LENGTH=256 * 1024,
        BABEL_TRANSLATION_DIRECTORIES=str(PROJECT_ROOT / "translations"),
        BABEL_DEFAULT_LOCALE="en",
        CLOCK=storage.utcnow,
        SURVEY_DB_BUSY_TIMEOUT_MS=storage.BUSY_TIMEOUT_MS,
        TRUSTED_PROXIES=0,
        MIN_SECONDS_ON_PAGE=2,
        RATELIMIT_ENABLED=True,
        # About ten complete responses per device every ten minutes: room for a
        # shared tablet at a drop-in centre, not for a script.
        RATELIMIT_SUBMISSIONS="100 per 10 minutes;1000 per day",
        # A counter that cannot be read must never cost a respondent their answers.
        RATELIMIT_SWALLOW_ERRORS=True,
    )
    if test_config is None or "SECRET_KEY" not in test_config:
        app.config.update(settings_from_env())
    if test_config:
        app.config.update(test_config)
    app.config["SESSION_COOKIE_SECURE"] = app.config.get("PRODUCTION", False)
    app.config.setdefault("RATELIMIT_STORAGE_URI",
                          sqlite_uri(Path(app.config["SURVEY_DATABASE"]).with_name("ratelimit.db")))

    app.extensions["surveys"] = load_surveys(app.config.get("SURVEYS_DIR", SURVEYS_DIR))
    db = storage.connect(app.config["SURVEY_DATABASE"])
    storage.migrate(db, app.extensions["surveys"].values())
    db.close()
    app.extensions["survey_db"] = ConnectionPerThread(app.config["SURVEY_DATABASE"],
                                                      app.config["SURVEY_DB_BUSY_TIMEOUT_MS"])

    Babel(app, locale_selector=babel_locale)
    csrf.init_app(app)
    init_security(app)
    _register_template_helpers(app)

    from .link_views import bp as links_bp
    from .links_cli import links_group
    from .views import bp as survey_bp

    limiter = ratelimit.init_limiter(app, survey_bp)
    _register_error_pages(app, limiter)
    app.register_blueprint(survey_bp)
    app.register_blueprint(links_bp)
    app.cli.add_command(links_group)
    app.cli.add_command(responses_cli)

    @app.get("/")
    def choose_language():
        return redirect(url_for("survey.index", lang=best_language()), code=302)

    app.teardown_appcontext(end_request)
    return app


def _register_template_helpers(app: Flask) -> None:
    @app.context_processor
    def language_links():
        lang = current_language()
        other = other_language(lang)
        if request.endpoint and request.view_args is not None and "lang" in request.view_args:
            args = {**request.view_args, "lang": other, **request.args.to_dict()}
            switch_url = url_for(request.endpoint, **args)
        else:
            switch_url = url_for("survey.index", lang=other)
        return {"lang": lang, "other_lang": other, "switch_url": switch_url, "languages": LANGUAGES}

    # Survey text comes from the YAML; it is looked up in the catalogs verbatim
    # (no %-formatting, which Jinja's newstyle gettext would apply).
    app.jinja_env.globals["st"] = survey_text
    app.jinja_env.globals.update(format_date=format_date, timedelta=dt.timedelta)


def _error_page(status: int, title: str, message: str):
    return make_response(render_template("error.html", title=title, message=message), status)


def _register_error_pages(app: Flask, limiter) -> None:
    @app.errorhandler(CSRFError)
    def csrf_failed(error):
        return _error_page(400, gettext("This page has expired"),
                           gettext("We could not accept this form because it had expired or was not sent from this "
                                   "site. Your earlier answers are saved. Go back, reload the page and try again."))

    @app.errorhandler(404)
    def not_found(error):
        return _error_page(404, gettext("Page not found"),
                           gettext("If you typed the web address, check it is correct. "
                                   "If you pasted the web address, check you copied the entire address."))

    @app.errorhandler(405)
    def not_allowed(error):
        return _error_page(405, gettext("Page not found"),
                           gettext("This address cannot be used in that way. Go back and try again."))

    @app.errorhandler(413)
    def too_large(error):
        return _error_page(413, gettext("Your answer is too long"),
                           gettext("What you sent was too large to accept. Shorten your answers and try again."))

    @app.errorhandler(429)
    def too_many_requests(error):
        response = _error_page(429, gettext("Too many attempts from this device"),
                               gettext("You have sent a lot of answers from this device in a short time. "
                                       "Your answers so far are saved. Wait a few minutes, then go back "
                                       "and press the button again."))
        response.headers["Retry-After"] = str(ratelimit.retry_after_seconds(limiter))
        return response

    @app.errorhandler(storage.StorageUnavailable)
    def storage_unavailable(error):
        app.logger.warning("storage unavailable: %s", error)
        # A connection whose write failed (locked out, disk full, I/O error) is not trusted with
        # the next request: the retry gets a fresh one.
        g.pop("db", None)
        app.extensions["survey_db"].discard()
        response = _error_page(503, gettext("Sorry, please try again"),
                               gettext("We could not save your answers just now. Nothing has been lost: "
                                       "go back and press the button again in a moment."))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(500)
    def server_error(error):
        return _error_page(500, gettext("Sorry, there is a problem with the service"),
                           gettext("Try again later. Your saved answers are kept."))
