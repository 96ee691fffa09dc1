"""The text of a page, as plain strings: for search, for the personal-data guard, and
for showing what changed between two published versions."""

from __future__ import annotations

import html
from collections.abc import Iterator, Sequence
from typing import Any

from django.utils.html import strip_tags
from wagtail.fields import RichTextField, StreamField
from wagtail.rich_text import RichText


def _plain(markup: str) -> str:
    """Text as a reader sees it: tags dropped, entities (&amp;, &nbsp;) made characters."""
    return html.unescape(strip_tags(markup))


def _strings(value: Any) -> Iterator[str]:
    """Every string inside a block's raw value, in order (structs, lists, tables)."""
    if isinstance(value, str):
        yield _plain(value)  # rich text blocks store HTML
    elif isinstance(value, RichText):
        yield _plain(value.source)
    elif isinstance(value, dict):
        if "type" in value and "value" in value:  # a stream child or a list item
            yield from _strings(value["value"])
        else:
            for item in value.values():
                yield from _strings(item)
    elif isinstance(value, Sequence):  # lists, and a stream's raw data (a RawDataView)
        for item in value:
            yield from _strings(item)
    elif value is not None and not isinstance(value, bool):
        yield str(value)


def field_text(page, name: str) -> str:
    field = page._meta.get_field(name)
    value = getattr(page, name)
    if isinstance(field, StreamField):
        return "\n".join(s for s in _strings(value.raw_data) if s.strip())
    if isinstance(field, RichTextField):
        return _plain(value or "")
    return str(value or "")


def page_text(page, fields: list[str]) -> str:
    return "\n".join([page.title, *(field_text(page, name) for name in fields)])
