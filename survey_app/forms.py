"""WTForms forms built from a survey section.

Every message a respondent can see is ours and goes through the catalogs;
WTForms' own choice and number checks are replaced so none of its untranslated
English reaches a Welsh page.
"""
from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any, Mapping

from flask_babel import gettext as _, lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation
from wtforms.widgets import CheckboxInput, ListWidget

from .definition import Question, Section, is_outward_code, normalise_outward_code
from .i18n import survey_text

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# C0/C1 control characters other than tab and newline, which no answer needs.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: Any) -> Any:
    """Trim, normalise to NFC and drop control characters (a NUL byte would break exports)."""
    if not isinstance(value, str):
        return value
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", CONTROL_RE.sub("", value)).strip()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form):
        """Choices are checked by OneOfCodes with our own message."""


class Choice:
    """The submitted value(s) must be codes from the definition."""

    def __init__(self, question: Question):
        self.codes = set(question.option_codes)

    def __call__(self, form, field):
        values = field.data if isinstance(field.data, list) else [field.data]
        if any(v not in self.codes for v in values if v is not None):
            raise StopValidation(_l("Select one of the options shown."))


class Exclusive:
    """'None of these' cannot be ticked with anything else."""

    def __init__(self, question: Question):
        self.question = question

    def __call__(self, form, field):
        chosen = set(field.data or [])
        for code in self.question.exclusive:
            if code in chosen and len(chosen) > 1:
                raise StopValidation(_("You cannot select “%(option)s” together with other answers.",
                                        option=survey_text(self.question.option_label(code),
                                                           self.question.option_context)))


class WholeNumber:
    def __init__(self, question: Question):
        self.low, self.high = question.min, question.max

    def __call__(self, form, field):
        text = (field.data or "").strip().replace(",", "")
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise StopValidation(_l("Enter a whole number, like 12."))
        number = int(text)
        if not self.low <= number <= self.high:
            raise StopValidation(_l("Enter a number between %(low)d and %(high)d.", low=self.low, high=self.high))
        field.data = str(number)


def outward_code(form, field):
    if not is_outward_code(field.data or ""):
        raise StopValidation(_l("Enter only the first part of a postcode, like SA31 or LD1."))
    field.data = normalise_outward_code(field.data)


def email_address(form, field):
    if not EMAIL_RE.match(field.data or ""):
        raise StopValidation(_l("Enter an email address in the correct format, like name@example.com."))


def _required(question: Question):
    if not question.required:
        return [Optional()]
    if question.type in ("single", "likert"):
        return [InputRequired(_l("Select an answer."))]
    if question.type == "multiple":
        return [DataRequired(_l("Select at least one answer."))]
    return [InputRequired(_l("Enter an answer."))]


def _length(question: Question):
    return Length(max=question.max_length,
                  message=_l("Your answer must be %(max)d characters or fewer.", max=question.max_length))


def _choices(question: Question) -> list[SelectChoice]:
    return [SelectChoice(o.code, o.label) for o in question.options]


def build_field(question: Question):
    """The WTForms field for one question (label text is translated at render time)."""
    required = _required(question)
    # Choices are checked before Optional(), which ends the chain (and clears earlier errors)
    # when the first value posted is blank: ["", "made_up"] must still be refused.
    if question.type in ("single", "likert"):
        return RadioField(question.label, choices=_choices(question),
                          validators=[Choice(question)] + required, validate_choice=False)
    if question.type == "multiple":
        return MultiCheckboxField(question.label, choices=_choices(question),
                                  validators=[Choice(question), Exclusive(question)] + required)
    if question.type == "textarea":
        return TextAreaField(question.label, validators=required + [_length(question)], filters=[clean_text])
    if question.type == "number":
        return StringField(question.label, validators=required + [WholeNumber(question)], filters=[clean_text])
    if question.type == "postcode":
        return StringField(question.label, validators=required + [outward_code],
                           filters=[clean_text])
    if question.type == "email":
        return StringField(question.label, validators=required + [_length(question), email_address],
                           filters=[clean_text])
    return StringField(question.label, validators=required + [_length(question)], filters=[clean_text])


def _other_field(question: Question):
    return StringField(question.other_label, validators=[
        Optional(), Length(max=200, message=_l("Your answer must be %(max)d characters or fewer.", max=200))],
        filters=[clean_text])


class SectionForm(FlaskForm):
    """Base for generated forms; `section` is set on each generated class."""

    section: Section

    def validate(self, extra_validators=None) -> bool:
        self._tick_other_where_typed()
        return super().validate(extra_validators)

    def _tick_other_where_typed(self) -> None:
        """Text typed in "please say" means they meant to choose "other".

        Done before validation, so an exclusive answer ("None of these") with text typed in
        "please say" is refused like any other contradictory pair of ticks.
        """
        for q in self.section.questions:
            if not q.other or not self[q.other_column].data:
                continue
            field = self[q.id]
            if q.type == "multiple" and "other" not in (field.data or []):
                field.data = [*(field.data or []), "other"]
            elif q.type == "single" and not field.data:
                field.data = "other"
                field.raw_data = ["other"]

    def answers(self) -> dict[str, Any]:
        """The validated page answers, keyed as stored (codes, lists, ints)."""
        result: dict[str, Any] = {}
        for q in self.section.questions:
            value = self[q.id].data
            if q.type == "multiple":
                value = list(value or [])
            elif q.type == "number":
                value = int(value) if value not in (None, "") else None
            elif value == "":
                value = None
            result[q.id] = value
            if q.other:
                other_text = self[q.other_column].data or None
                is_other = "other" in (result[q.id] or []) if q.type == "multiple" else result[q.id] == "other"
                result[q.other_column] = other_text if is_other else None
        return result


class ConsentForm(FlaskForm):
    consent = BooleanField(_l("I have read how my answers will be used and I agree to take part."),
                           validators=[DataRequired(_l("Tick the box to say you agree to take part, or close this page if you do not."))])


# Built once per section, not per request: the class holds only unbound fields, so every
# request (and thread) can share it. Bounded, as each app built (tests build many) loads its own.
@functools.lru_cache(maxsize=256)
def section_form_class(section: Section) -> type[SectionForm]:
    attrs: dict[str, Any] = {"section": section}
    for q in section.questions:
        attrs[q.id] = build_field(q)
        if q.other:
            attrs[q.other_column] = _other_field(q)
    return type(f"SectionForm_{section.id}", (SectionForm,), attrs)


def section_form(section: Section, saved: Mapping[str, Any], formdata=None,
                 typed: Mapping[str, Any] | None = None) -> SectionForm:
    """A form for a page, filled from the POST or, on GET, from what was typed and not yet
    saved (see typed_values) over the saved answers."""
    form_class = section_form_class(section)
    if formdata is not None:
        return form_class(formdata=formdata)
    data = {}
    for q in section.questions:
        if q.id in saved and saved[q.id] is not None:
            data[q.id] = str(saved[q.id]) if q.type == "number" else saved[q.id]
        if q.other and saved.get(q.other_column):
            data[q.other_column] = saved[q.other_column]
    data.update(typed or {})
    return form_class(formdata=None, data=data)


def typed_values(section: Section, formdata) -> dict[str, Any]:
    """What was typed or ticked on a page, valid or not, to show again later (never an answer).

    Only the page's own fields, as text (or lists of text), cleaned like any answer.
    """
    values: dict[str, Any] = {}
    for q in section.questions:
        if q.type == "multiple":
            values[q.id] = [clean_text(v) for v in formdata.getlist(q.id) if isinstance(v, str)]
        elif q.id in formdata:
            values[q.id] = clean_text(formdata.get(q.id))
        if q.other and formdata.get(q.other_column):
            values[q.other_column] = clean_text(formdata.get(q.other_column))
    return values
