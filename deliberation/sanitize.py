"""Cleaning what residents write. Every piece of resident-written text passes through
here before it is stored: `clean_html` for rich text, `clean_plain` for everything else.

Built on bleach: disallowed tags are stripped and their text kept, except script and
style, whose content is code and goes with them. Links keep only an absolute http,
https or mailto address and always carry `rel="nofollow noopener"`.
"""

import html
import re
import threading
import unicodedata
from collections.abc import Iterator
from functools import partial
from urllib.parse import urlsplit

from bleach.html5lib_shim import BleachHTMLParser
from bleach.linkifier import Linker, LinkifyFilter
from bleach.sanitizer import Cleaner
from django.core.exceptions import ValidationError

ALLOWED_TAGS = frozenset({"p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "blockquote", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "rel"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow noopener"

_DROPPED_WITH_CONTENT = frozenset({"script", "style", "template"})
# C0/C1 controls other than newline and tab, and the bidi overrides that can make text
# read differently from how it is stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE_RUN = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")
# bleach keeps a tag left open at the very end as text; a browser would drop it.
_OPEN_TAG_AT_END = re.compile(r"<[a-zA-Z/!?][^<>]*\Z")


class _Parser(BleachHTMLParser):
    """bleach's parser, but script and style elements are removed with their content."""

    def __init__(self, tags: frozenset[str]) -> None:
        super().__init__(
            tags=tags | _DROPPED_WITH_CONTENT,
            strip=True,
            consume_entities=False,
            namespaceHTMLElements=False,
        )

    def parseFragment(self, *args, **kwargs):  # noqa: N802 (html5lib's name)
        fragment = super().parseFragment(*args, **kwargs)
        for parent in list(fragment.iter()):
            for index, child in reversed(list(enumerate(parent))):
                if child.tag in _DROPPED_WITH_CONTENT:
                    _remove_keeping_tail(parent, index, child)
        return fragment


def _remove_keeping_tail(parent, index: int, child) -> None:
    if child.tail:
        if index == 0:
            parent.text = (parent.text or "") + child.tail
        else:
            previous = parent[index - 1]
            previous.tail = (previous.tail or "") + child.tail
    parent.remove(child)


def _link_attrs(attrs: dict, new: bool = False) -> dict | None:
    """Keep a link only to an absolute allowed address; a link without one becomes text."""
    href = attrs.get((None, "href"), "")
    try:
        scheme = urlsplit(html.unescape(href)).scheme.lower()
    except ValueError:
        return None
    if scheme not in ALLOWED_PROTOCOLS:
        return None
    return {(None, "href"): href, (None, "rel"): LINK_REL, "_text": attrs.get("_text", "")}


_LINKIFY = partial(LinkifyFilter, callbacks=[_link_attrs], parse_email=True)

# bleach's cleaners and linkers keep parser state, so each thread gets its own.
_local = threading.local()


def _html_cleaner() -> Cleaner:
    if not hasattr(_local, "html_cleaner"):
        cleaner = Cleaner(
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            protocols=ALLOWED_PROTOCOLS,
            strip=True,
            strip_comments=True,
            filters=[_LINKIFY],
        )
        cleaner.parser = _Parser(ALLOWED_TAGS)
        _local.html_cleaner = cleaner
    return _local.html_cleaner


def _text_parser() -> _Parser:
    if not hasattr(_local, "text_parser"):
        _local.text_parser = _Parser(frozenset())
    return _local.text_parser


def _linker() -> Linker:
    if not hasattr(_local, "linker"):
        _local.linker = Linker(callbacks=[_link_attrs], parse_email=True)
    return _local.linker


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    return _CONTROL.sub("", text)


def clean_html(text: str) -> str:
    """Rich text reduced to the allowed markup; bare addresses become safe links."""
    if not text:
        return ""
    return _html_cleaner().clean(_normalise(text)).strip()


def clean_plain(text: str) -> str:
    """Plain text: tags removed, line endings and spaces normalised, controls dropped.

    The result is text, not HTML: templates escape it as usual.
    """
    if not text:
        return ""
    fragment = _text_parser().parseFragment(_normalise(text))
    text = _OPEN_TAG_AT_END.sub("", "".join(_text_of(fragment)))
    lines = (_SPACE_RUN.sub(" ", line).strip(" ") for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")


def clean_required(text: str, limit: int, empty: str, too_long: str) -> str:
    """`clean_plain` for a field that must say something: a ValidationError with the
    caller's message when nothing is left, or when more than `limit` characters are
    (`too_long` may name %(limit)s)."""
    text = clean_plain(text or "").strip()
    if not text:
        raise ValidationError(empty)
    if len(text) > limit:
        raise ValidationError(too_long % {"limit": limit})
    return text


def clean_optional(text: str, limit: int, too_long: str) -> str:
    """`clean_plain` for a field that may be left empty: a ValidationError with the
    caller's message when more than `limit` characters are left (`too_long` may name
    %(limit)s)."""
    text = clean_plain(text or "").strip()
    if len(text) > limit:
        raise ValidationError(too_long % {"limit": limit})
    return text


def _text_of(element) -> Iterator[str]:
    """The text of a parsed fragment, without its comments."""
    if isinstance(element.tag, str) and element.text:
        yield element.text
    for child in element:
        yield from _text_of(child)
        if child.tail:
            yield child.tail


def linkify(text: str) -> str:
    """Plain text as HTML, with its web and mail addresses turned into safe links."""
    if not text:
        return ""
    return _linker().linkify(html.escape(text, quote=False))
