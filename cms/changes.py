"""What changed between the last two published versions of a disclosure: "never silently
changed" means a reader sees, field by field, what was taken out and what was put in.

Texts are compared character by character: Chinese has no spaces to split words at, so
a word-level diff would mark whole sentences as changed for one altered figure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from deliberation import pact_text

from . import queries
from .models import DisclosurePage
from .texts import field_text

EQUAL = "equal"
INSERTED = "inserted"
DELETED = "deleted"
GAP = "gap"
# Unchanged characters kept on each side of a change; longer unchanged runs are cut
# down to this much context, so that a long body shows its changes, not itself.
CONTEXT = 40


@dataclass(frozen=True)
class Piece:
    kind: str  # EQUAL, INSERTED, DELETED, or GAP for unchanged text left out
    text: str = ""


@dataclass(frozen=True)
class FieldChange:
    label: str
    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class Update:
    """The latest publication of a page that had been published before, and what it
    changed."""

    published_at: dt.datetime
    previous_published_at: dt.datetime
    changes: tuple[FieldChange, ...]


def _shorten(text: str, *, first: bool, last: bool, context: int) -> list[Piece]:
    """An unchanged run, with only the context next to the changes around it kept."""
    keep_head = 0 if first else context
    keep_tail = 0 if last else context
    if len(text) <= keep_head + keep_tail + context:
        return [Piece(EQUAL, text)]
    pieces = []
    if keep_head:
        pieces.append(Piece(EQUAL, text[:keep_head]))
    pieces.append(Piece(GAP))
    if keep_tail:
        pieces.append(Piece(EQUAL, text[-keep_tail:]))
    return pieces


def char_diff(old: str, new: str, *, context: int = CONTEXT) -> tuple[Piece, ...]:
    """`old` turned into `new`, as unchanged, deleted and inserted runs of characters
    (the pacts' character difference), long unchanged runs cut down to their context."""
    ops = pact_text.char_diff(old, new)
    kinds = {pact_text.INSERT: INSERTED, pact_text.DELETE: DELETED}
    pieces: list[Piece] = []
    for index, op in enumerate(ops):
        if op.kind == pact_text.EQUAL:
            pieces.extend(
                _shorten(op.text, first=index == 0, last=index == len(ops) - 1, context=context)
            )
        else:
            pieces.append(Piece(kinds[op.kind], op.text))
    return tuple(pieces)


def _readable(page: DisclosurePage) -> list[tuple[str, str]]:
    """The fields a reader sees, as (label, text)."""
    field = DisclosurePage._meta.get_field
    return [
        (str(field("title").verbose_name), page.title),
        (str(field("category").verbose_name), str(page.get_category_display())),
        (str(field("period_kind").verbose_name), str(page.period_label())),
        (str(field("summary").verbose_name), page.summary),
        (str(field("body").verbose_name), field_text(page, "body")),
    ]


def compare(old: DisclosurePage, new: DisclosurePage) -> tuple[FieldChange, ...]:
    """The fields that differ between two versions of a disclosure, in page order."""
    return tuple(
        FieldChange(label, char_diff(before, after))
        for (label, before), (_label, after) in zip(_readable(old), _readable(new), strict=True)
        if before != after
    )


def last_update(page: DisclosurePage) -> Update | None:
    """The page's latest publication, if it was published before: when, and what
    changed since the publication before it. None for a page published once."""
    latest, previous = (list(queries.publications(page)[:2]) + [None, None])[:2]
    if latest is None or previous is None:
        return None
    # `Revision.as_object()` would load the page again for each revision; the page in
    # hand is the same object, so its own `with_content_json` gives the same versions.
    return Update(
        published_at=latest.timestamp,
        previous_published_at=previous.timestamp,
        changes=compare(
            page.with_content_json(previous.revision.content),
            page.with_content_json(latest.revision.content),
        ),
    )
