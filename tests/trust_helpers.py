"""A respondent who behaves like a real browser: sends back every hidden field of the form
(CSRF token, the page-shown stamp, the empty honeypot) and spends time reading each page."""
from __future__ import annotations

import re

from conftest import Respondent

HIDDEN_RE = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME_RE = re.compile(r'name="([^"]+)"')
VALUE_RE = re.compile(r'value="([^"]*)"')


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in HIDDEN_RE.findall(html):
        name, value = NAME_RE.search(tag), VALUE_RE.search(tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


class CarefulRespondent(Respondent):
    """Reads each page for `reading_seconds` of the test clock before answering."""

    def __init__(self, client, clock, lang: str = "en", reading_seconds: int = 20, **extra_fields):
        super().__init__(client, lang)
        self.clock, self.reading_seconds, self.extra_fields = clock, reading_seconds, extra_fields

    def post(self, url: str, data: dict, headers: dict | None = None):
        page = self.client.get(url)
        self.clock.advance(seconds=self.reading_seconds)
        fields = {**hidden_fields(page.get_data(as_text=True)), **self.extra_fields, **data}
        return self.client.post(url, data=fields, headers=headers or {})
