"""Load and validate a survey definition (YAML).

The definition is the contract between the form, the stored columns and the
ETL, so it is checked strictly here and every problem names the file, the
question and what is wrong. This module must not import Flask: the ETL uses it.
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

import yaml

SURVEY_TIMEZONE = ZoneInfo("Europe/London")
SURVEYS_DIR = Path(__file__).parent / "surveys"

QUESTION_TYPES = {"single", "multiple", "likert", "text", "textarea", "number", "postcode", "email"}
CHOICE_TYPES = {"single", "multiple", "likert"}
FREE_TEXT_TYPES = {"text", "textarea"}
DEFAULT_MAX_LENGTH = {"text": 200, "textarea": 2000, "email": 254, "postcode": 4}

# Columns the storage layer owns; a question id may not shadow them.
RESERVED_COLUMNS = {
    "id", "survey_id", "survey_version", "reference", "submission_key", "submitted_at",
    "started_at", "language", "duration_seconds", "link_token", "fingerprint", "quality_flags",
}

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
ID_RE = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
CODE_RE = re.compile(r"^[a-z0-9][a-z0-9_]{0,40}$")
# UK outward code: A9, A99, AA9, AA99, A9A, AA9A.
OUTWARD_CODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")

SURVEY_KEYS = {"slug", "version", "title", "organisation", "contact", "opens", "closes", "minutes",
               "intro", "privacy_notice", "scales", "sections"}
CONTACT_KEYS = {"email", "phone", "address"}
CONTACT_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SECTION_KEYS = {"id", "title", "intro", "show_if", "questions"}
QUESTION_KEYS = {"id", "type", "label", "hint", "required", "options", "scale", "other", "answers_in_context",
                 "exclusive", "max_length", "min", "max", "personal", "other_label"}


def N_(text: str) -> str:
    """Mark a default for extraction into the catalogs; it is translated where it is shown."""
    return text


DEFAULT_OTHER_LABEL = N_("Please say what")


class DefinitionError(ValueError):
    """A survey definition is wrong; the message says where and why."""


@dataclass(frozen=True)
class Option:
    code: str
    label: str


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    label: str
    section_id: str
    hint: str = ""
    required: bool = False
    options: tuple[Option, ...] = ()
    other: bool = False
    other_label: str = DEFAULT_OTHER_LABEL
    exclusive: tuple[str, ...] = ()
    max_length: int | None = None
    min: int | None = None
    max: int | None = None
    personal: bool = False
    # Welsh answers yes and no with the question's own verb (Do/Naddo, Oes/Nac oes, Byddwn/Na
    # fyddwn), so such a question's option labels are translated with its id as gettext context.
    answers_in_context: bool = False

    @property
    def option_context(self) -> str | None:
        return self.id if self.answers_in_context else None

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    @property
    def other_column(self) -> str:
        return f"{self.id}_other"

    @property
    def is_closed(self) -> bool:
        return self.type in CHOICE_TYPES

    @property
    def is_free_text(self) -> bool:
        return self.type in FREE_TEXT_TYPES

    def option_label(self, code: str) -> str:
        for option in self.options:
            if option.code == code:
                return option.label
        raise KeyError(code)


@dataclass(frozen=True)
class ShowIf:
    question: str
    any_of: tuple[str, ...]

    def matches(self, answers: Mapping[str, Any]) -> bool:
        value = answers.get(self.question)
        if isinstance(value, (list, tuple)):
            return any(v in self.any_of for v in value)
        return value in self.any_of


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""
    show_if: ShowIf | None = None

    def applies_to(self, answers: Mapping[str, Any]) -> bool:
        return self.show_if is None or self.show_if.matches(answers)


@dataclass(frozen=True)
class Contact:
    """How respondents reach the organisation running the survey (erasure requests, other formats)."""

    email: str = ""
    phone: str = ""
    address: str = ""  # English source text, translated like the questions


@dataclass(frozen=True)
class Survey:
    slug: str
    version: int
    title: str
    opens_at: dt.datetime
    closes_at: dt.datetime
    sections: tuple[Section, ...]
    organisation: str = ""
    contact: Contact = Contact()
    minutes: int | None = None
    intro: tuple[str, ...] = ()
    privacy_notice: tuple[str, ...] = ()
    path: Path | None = field(default=None, compare=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for s in self.sections for q in s.questions)

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)

    def section(self, section_id: str) -> Section:
        for s in self.sections:
            if s.id == section_id:
                return s
        raise KeyError(section_id)

    def visible_sections(self, answers: Mapping[str, Any]) -> list[Section]:
        """The pages this respondent is shown, given what they have answered so far."""
        return [s for s in self.sections if s.applies_to(answers)]

    def section_of(self, question_id: str) -> Section:
        return self.section(self.question(question_id).section_id)

    def answer_columns(self) -> dict[str, str]:
        """Stored column name -> SQLite type, for the non-personal answers."""
        columns: dict[str, str] = {}
        for q in self.questions:
            if q.personal:
                continue
            columns[q.id] = "INTEGER" if q.type == "number" else "TEXT"
            if q.other:
                columns[q.other_column] = "TEXT"
        return columns

    def status(self, now: dt.datetime) -> str:
        """'upcoming', 'open' or 'closed' at the given (aware) time."""
        if now < self.opens_at:
            return "upcoming"
        if now >= self.closes_at:
            return "closed"
        return "open"


def normalise_outward_code(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def is_outward_code(value: str) -> bool:
    return bool(OUTWARD_CODE_RE.match(normalise_outward_code(value)))


# --- loading -----------------------------------------------------------------


class _Where:
    """Builds error messages that name the file and the place in it."""

    def __init__(self, path: Path | str):
        self.path = str(path)

    def fail(self, problem: str, question: str | None = None, section: str | None = None):
        place = ""
        if question:
            place = f" question '{question}':"
        elif section:
            place = f" section '{section}':"
        raise DefinitionError(f"{self.path}:{place} {problem}")


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _paragraphs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (_text(value),)
    return tuple(_text(v) for v in value)


def _to_day(value: Any, key: str, where: _Where) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        where.fail(f"'{key}' must be a date like 2026-11-01, not {value!r}")


def _options(raw: Any, qid: str, where: _Where) -> tuple[Option, ...]:
    if not isinstance(raw, list) or not raw:
        where.fail("needs a non-empty list of options", question=qid)
    seen: set[str] = set()
    options = []
    for item in raw:
        if not isinstance(item, dict) or "code" not in item or "label" not in item:
            where.fail(f"each option needs a code and a label, got {item!r}", question=qid)
        extra = set(item) - {"code", "label"}
        if extra:
            # Usually an unquoted comma in a flow mapping: {code: x, label: Yes, please}
            where.fail(f"option {item['code']!r} has unexpected key(s) {', '.join(map(str, sorted(extra, key=str)))}; "
                       "quote a label that contains a comma", question=qid)
        code = str(item["code"])
        if not CODE_RE.match(code):
            where.fail(f"option code {code!r} must be lower-case letters, digits and _", question=qid)
        if code in seen:
            where.fail(f"option code '{code}' is used twice", question=qid)
        seen.add(code)
        options.append(Option(code=code, label=_text(item["label"])))
    return tuple(options)


def _question(raw: Any, section_id: str, scales: dict[str, tuple[Option, ...]], where: _Where) -> Question:
    if not isinstance(raw, dict) or "id" not in raw:
        where.fail(f"every question needs an id, got {raw!r}", section=section_id)
    qid = str(raw["id"])
    if not ID_RE.match(qid):
        where.fail("id must start with a letter and hold only lower-case letters, digits and _", question=qid)
    if qid in RESERVED_COLUMNS:
        where.fail(f"id '{qid}' is reserved for the storage layer; choose another", question=qid)
    unknown = set(raw) - QUESTION_KEYS
    if unknown:
        where.fail(f"unknown key(s): {', '.join(sorted(unknown))}", question=qid)
    qtype = raw.get("type")
    if qtype not in QUESTION_TYPES:
        where.fail(f"unknown type {qtype!r}; expected one of {', '.join(sorted(QUESTION_TYPES))}", question=qid)
    if not raw.get("label"):
        where.fail("needs a label", question=qid)

    options: tuple[Option, ...] = ()
    if qtype == "likert":
        scale = raw.get("scale")
        if "options" in raw:
            options = _options(raw["options"], qid, where)
        elif scale in scales:
            options = scales[scale]
        else:
            where.fail(f"likert question needs a scale defined under 'scales' (got {scale!r})", question=qid)
    elif qtype in ("single", "multiple"):
        options = _options(raw.get("options"), qid, where)
    elif "options" in raw:
        where.fail(f"a {qtype} question takes no options", question=qid)

    codes = {o.code for o in options}
    exclusive = tuple(str(c) for c in raw.get("exclusive", ()) or ())
    if exclusive and qtype != "multiple":
        where.fail("only a multiple-choice question can have exclusive options", question=qid)
    for code in exclusive:
        if code not in codes:
            where.fail(f"exclusive option '{code}' is not one of its options", question=qid)
    other = bool(raw.get("other", False))
    if other and qtype not in ("single", "multiple"):
        where.fail("only single or multiple choice questions can have an 'other' text", question=qid)
    if other and "other" not in codes:
        where.fail("a question with 'other: true' needs an option with code 'other'", question=qid)

    low, high = raw.get("min"), raw.get("max")
    if qtype == "number":
        if not isinstance(low, int) or not isinstance(high, int):
            where.fail("a number question needs whole-number min and max", question=qid)
        if low > high:
            where.fail(f"min {low} is greater than max {high}", question=qid)
    elif low is not None or high is not None:
        where.fail(f"a {qtype} question takes no min or max", question=qid)

    max_length = raw.get("max_length", DEFAULT_MAX_LENGTH.get(qtype))
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        where.fail(f"max_length must be a positive whole number, not {max_length!r}", question=qid)
    personal = bool(raw.get("personal", qtype == "email"))
    answers_in_context = raw.get("answers_in_context", False)
    if answers_in_context not in (True, False):
        where.fail("answers_in_context must be true or false", question=qid)
    if answers_in_context and qtype not in ("single", "multiple"):
        where.fail("only single or multiple choice questions can have answers_in_context", question=qid)
    return Question(
        id=qid, type=qtype, label=_text(raw["label"]), section_id=section_id,
        hint=_text(raw.get("hint")), required=bool(raw.get("required", False)),
        options=options, other=other, other_label=_text(raw.get("other_label") or DEFAULT_OTHER_LABEL),
        exclusive=exclusive, max_length=max_length if qtype in DEFAULT_MAX_LENGTH else None,
        min=low, max=high, personal=personal, answers_in_context=answers_in_context,
    )


def _show_if(raw: Any, section_id: str, known: dict[str, Question], where: _Where) -> ShowIf | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "question" not in raw or "any_of" not in raw:
        where.fail("show_if needs 'question' and 'any_of'", section=section_id)
    target = str(raw["question"])
    if target not in known:
        where.fail(f"show_if refers to question '{target}', which is missing or comes later",
                   section=section_id)
    any_of = tuple(str(c) for c in raw["any_of"])
    codes = set(known[target].option_codes)
    for code in any_of:
        if code not in codes:
            where.fail(f"show_if code '{code}' is not an option of question '{target}'", section=section_id)
    return ShowIf(question=target, any_of=any_of)


def _contact(raw: Any, where: _Where) -> Contact:
    if raw is None:
        return Contact()
    if not isinstance(raw, dict) or not raw:
        where.fail("contact must be a mapping with an email, a phone number or an address")
    unknown = set(raw) - CONTACT_KEYS
    if unknown:
        where.fail(f"unknown contact key(s): {', '.join(sorted(unknown))}")
    contact = Contact(email=_text(raw.get("email")), phone=_text(raw.get("phone")), address=_text(raw.get("address")))
    if contact.email and not CONTACT_EMAIL_RE.match(contact.email):
        where.fail(f"contact email {contact.email!r} is not an email address")
    return contact


def parse_survey(data: Any, path: Path | str = "<survey>") -> Survey:
    where = _Where(path)
    if not isinstance(data, dict):
        where.fail("the file must hold a mapping at the top level")
    unknown = set(data) - SURVEY_KEYS
    if unknown:
        where.fail(f"unknown top-level key(s): {', '.join(sorted(unknown))}")
    for key in ("slug", "version", "title", "opens", "closes", "sections"):
        if key not in data:
            where.fail(f"missing '{key}'")
    slug = str(data["slug"])
    if not SLUG_RE.match(slug):
        where.fail(f"slug {slug!r} must be 2-41 lower-case letters, digits and hyphens")
    if not isinstance(data["version"], int) or data["version"] < 1:
        where.fail("version must be a whole number from 1")
    opens = _to_day(data["opens"], "opens", where)
    closes = _to_day(data["closes"], "closes", where)
    if closes < opens:
        where.fail("closes is before opens")

    scales = {}
    for name, raw in (data.get("scales") or {}).items():
        scales[str(name)] = _options(raw, f"scale:{name}", where)

    sections: list[Section] = []
    known: dict[str, Question] = {}
    section_ids: set[str] = set()
    columns: set[str] = set()
    if not isinstance(data["sections"], list) or not data["sections"]:
        where.fail("'sections' must be a non-empty list")
    for raw_section in data["sections"]:
        if not isinstance(raw_section, dict) or "id" not in raw_section:
            where.fail(f"every section needs an id, got {raw_section!r}")
        sid = str(raw_section["id"])
        if not ID_RE.match(sid):
            where.fail("section id must be lower-case letters, digits and _", section=sid)
        if sid in section_ids:
            where.fail("section id is used twice", section=sid)
        section_ids.add(sid)
        unknown = set(raw_section) - SECTION_KEYS
        if unknown:
            where.fail(f"unknown key(s): {', '.join(sorted(unknown))}", section=sid)
        if not raw_section.get("title"):
            where.fail("needs a title", section=sid)
        show_if = _show_if(raw_section.get("show_if"), sid, known, where)
        raw_questions = raw_section.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            where.fail("needs a non-empty list of questions", section=sid)
        questions = []
        for raw_q in raw_questions:
            q = _question(raw_q, sid, scales, where)
            if q.id in known:
                where.fail("duplicate question id", question=q.id)
            for column in (q.id, q.other_column) if q.other else (q.id,):
                if column in columns:
                    where.fail(f"stored column '{column}' clashes with another question", question=q.id)
                columns.add(column)
            known[q.id] = q
            questions.append(q)
        sections.append(Section(id=sid, title=_text(raw_section["title"]), questions=tuple(questions),
                                intro=_text(raw_section.get("intro")), show_if=show_if))

    opens_at = dt.datetime.combine(opens, dt.time.min, SURVEY_TIMEZONE)
    closes_at = dt.datetime.combine(closes + dt.timedelta(days=1), dt.time.min, SURVEY_TIMEZONE)
    return Survey(
        slug=slug, version=data["version"], title=_text(data["title"]),
        organisation=_text(data.get("organisation")), contact=_contact(data.get("contact"), where),
        minutes=data.get("minutes"),
        opens_at=opens_at, closes_at=closes_at, sections=tuple(sections),
        intro=_paragraphs(data.get("intro")), privacy_notice=_paragraphs(data.get("privacy_notice")),
        path=Path(path) if not isinstance(path, Path) else path,
    )


def load_survey(path: Path | str) -> Survey:
    """The survey defined in a YAML file; parsed again only when the file changes.

    Every asset and check asks for the definition, and parsing it cost ~0.1 s a time.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot be read: {exc.strerror}") from exc
    return _parsed_survey(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _parsed_survey(path: Path, mtime_ns: int, size: int) -> Survey:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DefinitionError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot be read: {exc.strerror}") from exc
    return parse_survey(data, path)


def load_surveys(directory: Path | str = SURVEYS_DIR) -> dict[str, Survey]:
    """Every *.yaml survey in a directory, by slug; two files with one slug is an error."""
    surveys: dict[str, Survey] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        survey = load_survey(path)
        if survey.slug in surveys:
            raise DefinitionError(f"{path}: slug '{survey.slug}' is also used by {surveys[survey.slug].path}")
        surveys[survey.slug] = survey
    return surveys


def translatable_strings(survey: Survey) -> Iterable[tuple[str | None, str]]:
    """(gettext context, text) for every piece of survey text a respondent reads (to check the catalogs)."""
    texts = [survey.title, survey.organisation, survey.contact.address, *survey.intro, *survey.privacy_notice]
    for section in survey.sections:
        texts += [section.title, section.intro]
        for q in section.questions:
            texts += [q.label, q.hint, q.other_label if q.other else ""]
            texts += [] if q.option_context else [o.label for o in q.options]
            yield from ((q.option_context, o.label) for o in q.options if q.option_context)
    yield from ((None, text) for text in texts if text)
