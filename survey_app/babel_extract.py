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


def _walk(node: yaml.Node) -> Iterator[tuple[int, str]]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value in TRANSLATABLE_KEYS:
                for scalar in _scalars(value):
                    text = " ".join(scalar.value.split())
                    if text:
                        yield scalar.start_mark.line + 1, text
            else:
                yield from _walk(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _walk(item)


def extract_survey(fileobj: Any, keywords: Any, comment_tags: Any, options: dict) -> Iterator[tuple]:
    """Yield (line, function, message, comments) for every string a respondent reads."""
    root = yaml.compose(fileobj.read().decode(options.get("encoding", "utf-8")))
    if root is None:
        return
    for line, text in _walk(root):
        yield line, None, text, []
