"""Babel extractor for survey definitions, so question text reaches the catalogs.

Configured in babel.cfg; `make translations` runs it with the rest of the extraction.
"""
from __future__ import annotations

from typing import Any, Iterator

import yaml

TRANSLATABLE_KEYS = {"title", "organisation", "address", "intro", "privacy_notice", "label", "hint", "other_label"}


def _scalars(node: yaml.Node) -> Iterator[yaml.ScalarNode]:
    if isinstance(node, yaml.ScalarNode):
        yield node
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _scalars(item)


def _scalar_value(node: yaml.MappingNode, name: str) -> str | None:
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == name and isinstance(value, yaml.ScalarNode):
            return value.value
    return None


def _answer_context(node: yaml.MappingNode) -> str | None:
    """A question with `answers_in_context: true` has its option labels translated in its own context."""
    if _scalar_value(node, "answers_in_context") in ("true", "True", "yes"):
        return _scalar_value(node, "id")
    return None


def _walk(node: yaml.Node, context: str | None = None) -> Iterator[tuple[int, str | None, str]]:
    """(line, gettext context, text); the context applies to option labels under a question."""
    if isinstance(node, yaml.MappingNode):
        own = _answer_context(node)
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in TRANSLATABLE_KEYS:
                for scalar in _scalars(value):
                    text = " ".join(scalar.value.split())
                    if text:
                        yield scalar.start_mark.line + 1, context, text
            else:
                inner = own if isinstance(key, yaml.ScalarNode) and key.value == "options" else None
                yield from _walk(value, inner)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item, context)


def extract_survey(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Yield (line, function, message, comments) for every string a respondent reads."""
    root = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    if root is None:
        return
    for line, context, text in _walk(root):
        if context:
            yield line, "pgettext", (context, text), []
        else:
            yield line, None, text, []
