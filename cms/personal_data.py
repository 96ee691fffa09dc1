"""The personal-data guard: no page goes out with a resident's full ID or mobile number.

Committees publish disclosures such as lists of subsidy recipients; the law and common
decency allow a name with a masked number, never the number itself. The guard finds
18-digit resident ID numbers and mainland mobile numbers in a page's own text, names
the place in the editor's terms, and refuses the page until they are masked.

Findings carry positions and the masked form only, so that no message, log or error
repeats the number it is guarding.
"""

import datetime
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext, pgettext
from wagtail import blocks
from wagtail.contrib.table_block.blocks import TableBlock
from wagtail.contrib.typed_table_block.blocks import BaseTypedTableBlock
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.rich_text import get_text_for_indexing

PLACE_SEPARATOR = " › "

# How many places a refusal names before it only counts the rest: a list of 200
# recipients should not become a 200-line message.
PLACES_NAMED = 10

# Wagtail's own Page fields that carry words an editor wrote and the public reads.
PAGE_TEXT_FIELDS = ("title", "seo_title", "search_description")

# One-to-one, so that positions in the mapped text are positions in the original.
_HALF_WIDTH = str.maketrans(
    {
        **{chr(ord("０") + digit): str(digit) for digit in range(10)},
        "Ｘ": "X",
        "ｘ": "x",
        "＋": "+",
        "－": "-",
        "\u3000": " ",  # ideographic space
        "\u00a0": " ",  # no-break space, as rich text's &nbsp; comes out
    }
)

# 6-digit region, 8-digit birth date, 3-digit sequence, check character. Letters count
# as part of the run too, so a voucher number like "PZ2026…" is never cut in half.
_ID_NUMBER = re.compile(
    r"(?<![0-9A-Za-z])[0-9]{6}(?P<birth>[0-9]{8})[0-9]{3}[0-9Xx](?![0-9A-Za-z])"
)

# 11 digits from 13x to 19x, possibly written 3-4-4 with single spaces or hyphens and
# after +86 / 86 / 0086. Not inside a longer digit run, and not an amount: "0.138…"
# and "13800000000.00" are money, not phones.
_MOBILE = re.compile(
    r"(?<![0-9])(?<![0-9]\.)"
    r"(?:(?:\+|00)?86[ -]?)?"
    r"(?P<number>1[3-9][0-9](?:[0-9]{8}|[ -][0-9]{4}[ -][0-9]{4}))"
    r"(?![0-9]|\.[0-9])"
)

Kind = Literal["id_number", "mobile"]


@dataclass(frozen=True)
class Finding:
    """An unmasked number at text[start:end]; `masked` is what may be shown instead."""

    kind: Kind
    start: int
    end: int
    masked: str


def _is_birth_date(digits: str) -> bool:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        return False
    return 1900 <= born.year <= timezone.localdate().year


def find(text: str) -> list[Finding]:
    """Every unmasked resident ID number and mobile number in `text`, in order.

    The ID's checksum is not checked: a mistyped ID is still someone's personal data.
    """
    text = text.translate(_HALF_WIDTH)
    findings = []
    for match in _ID_NUMBER.finditer(text):
        if _is_birth_date(match["birth"]):
            id_number = match[0].upper()
            masked = f"{id_number[:6]}{'*' * 8}{id_number[-4:]}"
            findings.append(Finding("id_number", match.start(), match.end(), masked))
    for match in _MOBILE.finditer(text):
        digits = match["number"].replace(" ", "").replace("-", "")
        masked = f"{digits[:3]}****{digits[-4:]}"
        findings.append(Finding("mobile", match.start("number"), match.end("number"), masked))
    return sorted(findings, key=lambda finding: finding.start)


def mask(text: str) -> str:
    """`text` with every finding replaced by its masked form."""
    pieces = []
    position = 0
    for finding in find(text):
        pieces += [text[position : finding.start], finding.masked]
        position = finding.end
    pieces.append(text[position:])
    return "".join(pieces)


def _text_findings(text: str, place: str) -> list[tuple[str, Finding]]:
    return [(place, finding) for finding in find(text)]


def _within(place: str, part: str) -> str:
    return f"{place}{PLACE_SEPARATOR}{part}" if place else part


def _item(number: int) -> str:
    return gettext("item %(number)s") % {"number": number}


def _is_list_item(raw: Any) -> bool:
    """A ListBlock item in the stored format of Wagtail 2.16 and later."""
    return isinstance(raw, dict) and raw.get("type") == "item" and "value" in raw


def stream_findings(
    stream_block: blocks.BaseStreamBlock, raw_data: Iterable[dict], place: str = ""
) -> list[tuple[str, Finding]]:
    """Findings in a StreamField's stored (JSON-ish) data, each with its place named by
    block labels: "正文 › 财务报表 › 第3行 › 说明".

    `raw_data` is what `StreamValue.raw_data` or `get_prep_value()` gives. A block type
    that appears more than once in the same stream is numbered among its kind.
    """
    raw_data = list(raw_data)
    counts = Counter(child.get("type") for child in raw_data)
    seen: Counter = Counter()
    results = []
    for child in raw_data:
        block_type = child.get("type")
        block = stream_block.child_blocks.get(block_type)
        label = str(block.label) if block else str(block_type)
        seen[block_type] += 1
        if counts[block_type] > 1:
            label = gettext("%(label)s no. %(number)s") % {
                "label": label,
                "number": seen[block_type],
            }
        results += block_findings(block, child.get("value"), _within(place, label))
    return results


def block_findings(block: blocks.Block | None, raw: Any, place: str) -> list[tuple[str, Finding]]:
    """Findings in one block's stored value; `block` may be None for data whose block
    definition is gone, which is then walked by its shape alone."""
    if isinstance(block, blocks.BaseStreamBlock) and isinstance(raw, list):
        return stream_findings(block, raw, place)
    if isinstance(block, blocks.ListBlock) and isinstance(raw, list):
        results = []
        for number, item in enumerate(raw, start=1):
            value = item["value"] if _is_list_item(item) else item
            results += block_findings(block.child_block, value, _within(place, _item(number)))
        return results
    if isinstance(block, blocks.BaseStructBlock) and isinstance(raw, dict):
        results = []
        for name, value in raw.items():
            child = block.child_blocks.get(name)
            label = str(child.label) if child else name
            results += block_findings(child, value, _within(place, label))
        return results
    if isinstance(block, blocks.RichTextBlock) and isinstance(raw, str):
        return _text_findings(get_text_for_indexing(raw), place)
    if isinstance(block, TableBlock) and isinstance(raw, dict):
        return _table_findings(raw, place)
    if isinstance(block, BaseTypedTableBlock) and isinstance(raw, dict):
        return _typed_table_findings(block, raw, place)
    return _raw_findings(raw, place)


def _raw_findings(raw: Any, place: str) -> list[tuple[str, Finding]]:
    """Any stored value walked by its shape: text and whole numbers are read, lists are
    numbered items, dicts are named by their keys."""
    if isinstance(raw, str):
        return _text_findings(raw, place)
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _text_findings(str(raw), place)
    results = []
    if isinstance(raw, list):
        for number, item in enumerate(raw, start=1):
            value = item["value"] if _is_list_item(item) else item
            results += _raw_findings(value, _within(place, _item(number)))
    elif isinstance(raw, dict):
        for key, value in raw.items():
            results += _raw_findings(value, _within(place, str(key)))
    return results


def _row(number: int) -> str:
    return gettext("row %(number)s") % {"number": number}


def _column_name(heading: Any, number: int) -> str:
    # A heading is content too: masked, in case someone typed a number into it.
    if isinstance(heading, str) and heading.strip():
        return mask(heading.strip())
    return gettext("column %(number)s") % {"number": number}


def _table_findings(raw: dict, place: str) -> list[tuple[str, Finding]]:
    """wagtail.contrib.table_block: rows are numbered as the editor sees the grid, and
    columns are named by the header row when there is one."""
    results = _raw_findings(raw.get("table_caption"), _within(place, gettext("caption")))
    rows = [row for row in raw.get("data") or [] if isinstance(row, list)]
    header_row = raw.get("first_row_is_table_header") or raw.get("table_header_choice") in (
        "row",
        "both",
    )
    headings = rows[0] if header_row and rows else []
    for row_number, row in enumerate(rows, start=1):
        for column_number, cell in enumerate(row, start=1):
            heading = headings[column_number - 1] if column_number <= len(headings) else None
            cell_place = _within(
                _within(place, _row(row_number)), _column_name(heading, column_number)
            )
            results += _raw_findings(cell, cell_place)
    return results


def _typed_table_findings(
    block: BaseTypedTableBlock, raw: dict, place: str
) -> list[tuple[str, Finding]]:
    results = _raw_findings(raw.get("caption"), _within(place, gettext("caption")))
    columns = raw.get("columns") or []
    for row_number, row in enumerate(raw.get("rows") or [], start=1):
        for column_number, (column, cell) in enumerate(
            zip(columns, row.get("values") or [], strict=False), start=1
        ):
            cell_place = _within(
                _within(place, _row(row_number)),
                _column_name(column.get("heading"), column_number),
            )
            results += block_findings(block.child_blocks.get(column.get("type")), cell, cell_place)
    return results


def _field_findings(field: models.Field, value: Any, place: str) -> list[tuple[str, Finding]]:
    if value is None:
        return []
    if isinstance(field, StreamField):
        if getattr(value, "raw_text", None):
            # Stored data that was never valid StreamField JSON: read it as it is.
            return _text_findings(value.raw_text, place)
        return stream_findings(field.stream_block, value.raw_data, place)
    if isinstance(field, RichTextField):
        return _text_findings(get_text_for_indexing(value), place)
    return _text_findings(str(value), place)


def page_findings(page: Page) -> list[tuple[str, Finding]]:
    """Findings in a page's own content, each with the place it was found.

    Reads the title, SEO title and search description, and every editable text, rich
    text and StreamField field the page's own class (and its parent page classes)
    declares; the rest of Wagtail's Page fields are bookkeeping, and non-editable fields
    (such as a search index copy) are derived from the ones read. Reads the instance as
    it is in memory, so an editor's unsaved changes are what is checked.
    """
    page = page.get_specific()
    wagtail_fields = {field.name for field in Page._meta.concrete_fields}
    results = []
    for field in type(page)._meta.concrete_fields:
        if field.name in wagtail_fields and field.name not in PAGE_TEXT_FIELDS:
            continue
        if not field.editable or not isinstance(
            field, models.CharField | models.TextField | StreamField
        ):
            continue
        place = capfirst(str(field.verbose_name))
        results += _field_findings(field, field.value_from_object(page), place)
    return results


def refusal_message(findings: list[tuple[str, Finding]]) -> str | None:
    """The editor's reason the page cannot be published, or None when there is none."""
    if not findings:
        return None
    described = []
    for place, finding in findings[:PLACES_NAMED]:
        if finding.kind == "id_number":
            text = gettext("ID number %(masked)s in %(place)s")
        else:
            text = gettext("mobile number %(masked)s in %(place)s")
        described.append(text % {"masked": finding.masked, "place": place})
    places = pgettext("between places in a list", "; ").join(described)
    rest = len(findings) - PLACES_NAMED
    if rest > 0:
        places += ngettext(" and %(count)s more place", " and %(count)s more places", rest) % {
            "count": rest
        }
    return gettext(
        "This page cannot be saved or published: it contains unmasked personal data — %(places)s. "
        "Mask ID numbers as 230602********1234 and mobile numbers as 138****5678."
    ) % {"places": places}


class PersonalDataGuardMixin:
    """For Page models: a page whose content holds an unmasked ID or mobile number
    does not validate, so Wagtail will neither save nor publish it from the editor."""

    def clean(self) -> None:
        super().clean()
        message = refusal_message(page_findings(self))
        if message:
            raise ValidationError(message, code="personal_data")
