"""Settings from environment variables, with development defaults under var/.

No Flask import: the CLI tools and the ETL read the same settings.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = Path("var")


class ConfigurationError(RuntimeError):
    """A required setting is missing; the message says which and how to set it."""


def _dev_secret(var_dir: Path, name: str) -> str:
    """A secret generated once per checkout and kept in var/, so restarts keep sessions valid."""
    path = var_dir / name
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _secret(environ: Mapping[str, str], name: str, production: bool, var_dir: Path) -> str:
    value = environ.get(name, "").strip()
    if value:
        return value
    if production:
        raise ConfigurationError(
            f"{name} is not set. In production (LLAIS_ENV=production) set {name} to a long random "
            f"value, for example the output of: python -c 'import secrets; print(secrets.token_hex(32))'")
    return _dev_secret(var_dir, name.lower())


def settings_from_env(environ: Mapping[str, str] | None = None) -> dict:
    """Flask config keys from the environment.

    LLAIS_ENV           development (default) or production
    SECRET_KEY          signs sessions and CSRF tokens; required in production
    FINGERPRINT_SECRET  keys the client fingerprint hash; required in production
    SURVEY_DATABASE     responses database (default var/responses.db)
    SURVEYS_DIR         folder of survey definitions (default: the shipped surveys)
    PUBLIC_BASE_URL     the public address used in printed links and QR codes
                        (default http://127.0.0.1:5000; required in production)
    LLAIS_VAR_DIR       where development files live (default var)
    TRUSTED_PROXIES     how many reverse proxies sit in front of the app and set X-Forwarded-*
                        headers (default 0: the headers are ignored, as they can be forged)
    RATELIMIT_SUBMISSIONS  form posts allowed per client (default "100 per 10 minutes;1000 per day")
    RATELIMIT_STORAGE_URI  where the counters live, shared by all worker processes
                        (default sqlite:/// beside the responses database, ratelimit.db)
    RATELIMIT_ENABLED   "0" turns rate limiting off (default on)
    MIN_SECONDS_ON_PAGE a first answer to a page sooner than this is flagged "too_fast" (default 2)
    """
    environ = os.environ if environ is None else environ
    var_dir = Path(environ.get("LLAIS_VAR_DIR", DEFAULT_VAR_DIR))
    production = environ.get("LLAIS_ENV", "development").strip().lower() == "production"
    settings = {
        "PRODUCTION": production,
        "VAR_DIR": str(var_dir),
        "SECRET_KEY": _secret(environ, "SECRET_KEY", production, var_dir),
        "FINGERPRINT_SECRET": _secret(environ, "FINGERPRINT_SECRET", production, var_dir),
        "SURVEY_DATABASE": environ.get("SURVEY_DATABASE", str(var_dir / "responses.db")),
        "PUBLIC_BASE_URL": _public_base_url(environ, production),
    }
    if environ.get("SURVEYS_DIR"):
        settings["SURVEYS_DIR"] = environ["SURVEYS_DIR"]
    if environ.get("TRUSTED_PROXIES"):
        settings["TRUSTED_PROXIES"] = _whole_number(environ, "TRUSTED_PROXIES")
    if environ.get("MIN_SECONDS_ON_PAGE"):
        settings["MIN_SECONDS_ON_PAGE"] = _whole_number(environ, "MIN_SECONDS_ON_PAGE")
    for name in ("RATELIMIT_SUBMISSIONS", "RATELIMIT_STORAGE_URI"):
        if environ.get(name):
            settings[name] = environ[name]
    if environ.get("RATELIMIT_ENABLED"):
        settings["RATELIMIT_ENABLED"] = environ["RATELIMIT_ENABLED"].strip().lower() not in ("0", "false", "no", "off")
    return settings


def _public_base_url(environ: Mapping[str, str], production: bool) -> str:
    """Where respondents reach the survey: every printed link, QR code and poster starts with it."""
    value = environ.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if not value:
        if production:
            raise ConfigurationError(
                "PUBLIC_BASE_URL is not set. In production (LLAIS_ENV=production) set it to the address "
                "respondents use, for example https://llais.example.org, or every link, QR code and "
                "poster would point at this machine.")
        return "http://127.0.0.1:5000"
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(f"PUBLIC_BASE_URL must be an http(s) address like https://llais.example.org, "
                                 f"not {value!r}.")
    return value


def _whole_number(environ: Mapping[str, str], name: str) -> int:
    value = environ[name].strip()
    if not value.isdigit():
        raise ConfigurationError(f"{name} must be a whole number of 0 or more, not {value!r}.")
    return int(value)


def sqlite_uri(path: Path | str) -> str:
    """A storage URI for the rate-limit counters in the SQLite file at `path`."""
    return f"sqlite:///{path}"
