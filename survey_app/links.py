"""Service-provider links: tracked survey links, their manage secrets and their uptake counts.

Pure storage logic (sqlite-utils, no Flask import), so the CLI, the web app and the ETL
share it. A link has two tokens: the public one printed on posters and QR codes, and a
separate manage secret for the provider's page, of which only a hash is kept.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections import Counter
from dataclasses import dataclass

import sqlite_utils

from .definition import SURVEY_TIMEZONE, Survey
from .storage import immediate_transaction, iso

# Channel codes, as typed on the command line and stored.
CHANNELS = ("email", "poster", "drop-in", "social-media", "other")

# Lower-case letters and digits without 0/O, 1/I/L: a token copied off a poster by hand is
# still right. 12 characters from 31 give about 59 bits, far beyond guessing over HTTP.
TOKEN_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
TOKEN_LENGTH = 12
TOKEN_RE = re.compile(f"^[{TOKEN_ALPHABET}]{{{TOKEN_LENGTH}}}$")
MANAGE_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)

# Below this, a count is shown as "fewer than 5" so a small number cannot point to a person.
SMALL_COUNT = 5


class LinkError(ValueError):
    """A link cannot be created or changed; the message says why, for the person at the terminal."""


@dataclass(frozen=True)
class Link:
    token: str
    survey_id: str
    organisation: str
    channel: str
    created_at: str
    expires_on: dt.date | None
    active: bool
    disabled_at: str | None

    def expires_at(self) -> dt.datetime | None:
        """The end of the expiry day, Welsh time: a poster dated today still works tonight."""
        if self.expires_on is None:
            return None
        return dt.datetime.combine(self.expires_on + dt.timedelta(days=1), dt.time.min, SURVEY_TIMEZONE)

    def is_expired(self, now: dt.datetime) -> bool:
        ends = self.expires_at()
        return ends is not None and now >= ends

    def is_usable(self, now: dt.datetime) -> bool:
        return self.active and not self.is_expired(now)

    def status(self, now: dt.datetime) -> str:
        if not self.active:
            return "disabled"
        return "expired" if self.is_expired(now) else "active"


@dataclass(frozen=True)
class NewLink:
    link: Link
    manage_token: str  # shown once, at creation; only its hash is stored


def normalise_token(token: str) -> str:
    """Tokens are lower case; a person typing one off a poster may not be."""
    return token.strip().lower()


def is_well_formed(token: str) -> bool:
    return bool(TOKEN_RE.match(token))


def survey_day(moment: dt.datetime) -> dt.date:
    return moment.astimezone(SURVEY_TIMEZONE).date()


def _manage_hash(manage_token: str) -> str:
    return hashlib.sha256(manage_token.encode()).hexdigest()


def _new_token() -> str:
    return "".join(secrets.choice(TOKEN_ALPHABET) for _ in range(TOKEN_LENGTH))


def _link(row: dict) -> Link:
    return Link(token=row["token"], survey_id=row["survey_id"], organisation=row["organisation"],
                channel=row["channel"], created_at=row["created_at"],
                expires_on=dt.date.fromisoformat(row["expires_on"]) if row["expires_on"] else None,
                active=bool(row["active"]), disabled_at=row["disabled_at"])


def create_link(db: sqlite_utils.Database, survey: Survey, organisation: str, channel: str,
                now: dt.datetime, expires_on: dt.date | None = None) -> NewLink:
    organisation = " ".join(organisation.split())
    if not organisation:
        raise LinkError("the organisation name is empty")
    if channel not in CHANNELS:
        raise LinkError(f"unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}")
    today = survey_day(now)
    if expires_on is not None and expires_on < today:
        raise LinkError(f"the expiry date {expires_on.isoformat()} is in the past (today is {today.isoformat()})")
    manage_token = secrets.token_urlsafe(32)
    with immediate_transaction(db):
        token = _new_token()
        while db["links"].count_where("token = ?", [token]):
            token = _new_token()
        row = {
            "token": token, "survey_id": survey.slug, "organisation": organisation, "channel": channel,
            "created_at": iso(now), "expires_on": expires_on.isoformat() if expires_on else None,
            "active": 1, "disabled_at": None, "manage_hash": _manage_hash(manage_token),
        }
        db["links"].insert(row)
    return NewLink(link=_link(row), manage_token=manage_token)


def replace_manage_token(db: sqlite_utils.Database, token: str) -> str:
    """A new provider-page secret for a link, for when the old address was lost or shared too widely.

    Only the hash is stored, so the old address cannot be shown again; it stops working now.
    """
    manage_token = secrets.token_urlsafe(32)
    with immediate_transaction(db):
        db["links"].update(token, {"manage_hash": _manage_hash(manage_token)})
    return manage_token


def same_organisation_and_channel(db: sqlite_utils.Database, survey_id: str, organisation: str,
                                  channel: str) -> list[Link]:
    """Existing links a new one would duplicate (allowed: a provider may want one per site)."""
    wanted = " ".join(organisation.split()).casefold()
    rows = db["links"].rows_where("survey_id = ? and channel = ?", [survey_id, channel], order_by="created_at")
    return [_link(row) for row in rows if row["organisation"].casefold() == wanted]


def get_link(db: sqlite_utils.Database, token: str) -> Link | None:
    if not is_well_formed(token):
        return None
    rows = list(db["links"].rows_where("token = ?", [token]))
    return _link(rows[0]) if rows else None


def link_for_manage_token(db: sqlite_utils.Database, manage_token: str) -> Link | None:
    if not MANAGE_TOKEN_RE.match(manage_token):
        return None
    wanted = _manage_hash(manage_token)
    rows = list(db["links"].rows_where("manage_hash = ?", [wanted]))
    # The lookup is by hash, so its timing says nothing about the secret; the final check
    # is constant-time all the same, so no future change of lookup can turn into an oracle.
    if not rows or not hmac.compare_digest(rows[0]["manage_hash"], wanted):
        return None
    return _link(rows[0])


def usable_link(db: sqlite_utils.Database, token: str, survey_id: str, now: dt.datetime) -> Link | None:
    link = get_link(db, token)
    if link is None or link.survey_id != survey_id or not link.is_usable(now):
        return None
    return link


def disable_link(db: sqlite_utils.Database, token: str, now: dt.datetime) -> Link:
    link = get_link(db, token)
    if link is None:
        raise LinkError(f"no link has the token {token!r}")
    if link.active:
        db["links"].update(token, {"active": 0, "disabled_at": iso(now)})
    return get_link(db, token)


def list_links(db: sqlite_utils.Database, survey_id: str | None = None) -> list[tuple[Link, int]]:
    """Every link, oldest first, with its number of completed responses."""
    where, params = ("survey_id = ?", [survey_id]) if survey_id else (None, [])
    links = [_link(row) for row in db["links"].rows_where(where, params, order_by="created_at, rowid")]
    counts = dict(db.execute(
        "select link_token, count(*) from responses where link_token is not null group by link_token").fetchall())
    return [(link, counts.get(link.token, 0)) for link in links]


def responses_by_day(db: sqlite_utils.Database, token: str) -> list[tuple[dt.date, int]]:
    """Completed responses through a link per day (Welsh time), oldest first. Never the answers."""
    moments = db.execute("select submitted_at from responses where link_token = ?", [token]).fetchall()
    days = Counter(survey_day(dt.datetime.fromisoformat(moment)) for (moment,) in moments)
    return sorted(days.items())


def is_small(count: int) -> bool:
    return count < SMALL_COUNT


def published_days(days: list[tuple[dt.date, int]]) -> list[tuple[dt.date, int | None]]:
    """Daily counts safe to show beside the total: None where a count that is not small is hidden.

    A lone small day could be worked out as the total minus the other days, so when
    exactly one day is small and the total is shown, the next smallest day is hidden too.
    """
    small = [day for day, count in days if is_small(count)]
    total = sum(count for _, count in days)
    also_hidden = None
    if len(small) == 1 and not is_small(total):
        others = sorted((count, day) for day, count in days if day not in small)
        also_hidden = others[0][1] if others else None
    return [(day, None if day == also_hidden else count) for day, count in days]


def public_url(base_url: str, token: str, lang: str | None = None) -> str:
    """The address people are given; without a language, the browser's preference picks one."""
    return f"{base_url.rstrip('/')}/{lang}/l/{token}" if lang else f"{base_url.rstrip('/')}/l/{token}"


def manage_url(base_url: str, manage_token: str) -> str:
    return f"{base_url.rstrip('/')}/manage/{manage_token}"
