"""The text of a pact as residents know it: numbered articles (第一条, 第二条, …), optionally
grouped in chapters, and what changed between two versions of it.

Pure functions on strings, shared by the pact services and pages:

- Chinese numerals, because article and chapter numbers are written the way legal texts
  write them (第十一条, 第一百零一条), and pasted texts number them either way.
- `split`, which turns a pasted or uploaded text into a preamble, chapters and articles.
  The platform numbers articles itself; the numbers as written are kept only to warn
  the person confirming the split about gaps and repeats.
- `char_diff` and `article_diff`, which compare by character (Chinese has no spaces to
  split words at) and by article, following each article by its stable key rather
  than its number, so that inserting an article does not show every later one as
  changed.
- `render_ops_html`, which marks insertions and deletions so that screen readers say
  them too: most do not announce `<ins>` and `<del>` by default (VoiceOver says
  nothing, JAWS only changes voice), so each change carries visually hidden words
  where it starts and ends.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Literal, NamedTuple

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

# ---------------------------------------------------------------------------- numerals

NUMERAL_MAX = 9999
_DIGITS = "零一二三四五六七八九"
_UNITS = ("千", "百", "十", "")


def chinese_numeral(n: int) -> str:
    """`n` as a legal text writes it: 十一 (not 一十一), 一百零一, 一千零一十, 二千 (not 两千)."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= NUMERAL_MAX:
        raise ValueError(f"chinese_numeral takes an integer from 1 to {NUMERAL_MAX}, not {n!r}")
    parts: list[str] = []
    zero_pending = False
    for digit, unit in zip(f"{n:04d}", _UNITS, strict=True):
        if digit == "0":
            # Zeros between non-zero digits are read as one 零; trailing zeros are silent.
            zero_pending = bool(parts)
            continue
        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_DIGITS[int(digit)] + unit)
    text = "".join(parts)
    return text[1:] if 10 <= n <= 19 else text  # 十一, not 一十一


# Every standard form, for parsing by lookup: a numeral is read only when it is the usual
# way of writing its number, so that a slip such as 一百一 (110 or 101?) is not guessed at.
_STANDARD = {chinese_numeral(n): n for n in range(1, NUMERAL_MAX + 1)}
_ARABIC = re.compile(r"[0-9]+")
_POSITIONAL = re.compile(r"[零〇一二三四五六七八九]+")  # 二〇二四, read digit by digit
_TWO_BEFORE_UNIT = re.compile(r"两(?=[千百十])")


def parse_numeral(text: str) -> int | None:
    """The number `text` writes, or None if it is not a numeral.

    Accepts Arabic digits (ASCII or full-width), the standard Chinese forms, their
    common variants (两 for 二 before a unit, 〇 for 零, 一十 for 十) and digit-by-digit
    forms (一〇一). Surrounding whitespace is ignored.
    """
    text = text.strip()
    arabic = unicodedata.normalize("NFKC", text)
    if _ARABIC.fullmatch(arabic):
        return int(arabic)
    if _POSITIONAL.fullmatch(text):
        return int("".join(str(_DIGITS.index(c)) for c in text.replace("〇", "零")))
    text = _TWO_BEFORE_UNIT.sub("二", text.replace("〇", "零"))
    if text.startswith("一十"):
        text = text[1:]
    return _STANDARD.get(text)


def article_label(n: int) -> str:
    """第n条, as an article is cited."""
    return "第" + chinese_numeral(n) + "条"


def chapter_label(n: int) -> str:
    """第n章, as a chapter is cited."""
    return "第" + chinese_numeral(n) + "章"


# ---------------------------------------------------------------------------- splitting


@dataclass
class SplitArticle:
    number_as_written: int | None
    heading: str
    text: str
    chapter: int | None  # index into Split.chapters


@dataclass
class SplitChapter:
    number_as_written: int | None
    title: str


@dataclass
class Split:
    preamble: str
    articles: list[SplitArticle] = field(default_factory=list)
    chapters: list[SplitChapter] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


_NUMERAL_CHARS = "0-9０-９零〇一二两三四五六七八九十百千"
# A marker opens a line. A reference that happens to open a line ("第三条规定的…",
# "第三条至第五条") is told apart by the words that follow a cited article.
_ARTICLE = re.compile(
    rf"\s*第\s*(?P<numeral>[{_NUMERAL_CHARS}]+)\s*条(?!的|之|所|至|及|和|第|款|项|中|规定)(?P<rest>.*)"
)
_CHAPTER = re.compile(rf"\s*第\s*(?P<numeral>[{_NUMERAL_CHARS}]+)\s*章(?P<rest>.*)")
_SEPARATORS = " \t\u3000:：、．.，,"
# 第一条【养犬】… or 第一条（宗旨）…: a heading in brackets opens the article's first line.
_BRACKETS = {"【": "】", "〔": "〕", "［": "］", "[": "]", "（": "）", "(": ")"}
HEADING_MAX = 40  # as Article.heading
# A short line of its own after the marker, with no sentence punctuation, is a heading
# (第五条 物业费 / 业主应当按时交纳物业费。): a sentence wrapped by an editor breaks at a
# full line's width, so a line this short was ended on purpose.
HEADING_LINE_MAX = 12
_SENTENCE_PUNCTUATION = re.compile(r"[，。；：、！？,.;:!?]")


def _tidy(lines: list[str]) -> str:
    """Lines stripped of their indentation (often full-width spaces) and trailing spaces,
    with runs of blank lines reduced to one and none at either end."""
    kept: list[str] = []
    for line in (line.strip() for line in lines):
        if line or (kept and kept[-1]):
            kept.append(line)
    return "\n".join(kept).strip("\n")


def _bracketed_heading(line: str) -> tuple[str, str] | None:
    """The heading in brackets that opens `line`, and the rest of the line; None if the
    line opens with no such heading (an item number such as （一） is not a heading)."""
    close = _BRACKETS.get(line[:1])
    end = line.find(close, 1) if close else -1
    heading = line[1:end].strip()
    if end < 0 or not heading or len(heading) > HEADING_MAX or parse_numeral(heading) is not None:
        return None
    return heading, line[end + 1 :]


def _heading_and_text(first_line: str, more_lines: list[str]) -> tuple[str, str]:
    """An article's heading (empty if none) and its body, from what follows its marker."""
    first_line = first_line.strip().lstrip(_SEPARATORS)
    bracketed = _bracketed_heading(first_line)
    if bracketed:
        heading, rest = bracketed
        return heading, _tidy([rest, *more_lines])
    body = _tidy(more_lines)
    if (
        first_line
        and body
        and len(first_line) <= HEADING_LINE_MAX
        and not _SENTENCE_PUNCTUATION.search(first_line)
    ):
        return first_line, body
    return "", _tidy([first_line, *more_lines])


def _numbering_warnings(articles: list[SplitArticle]) -> list[str]:
    """Gaps, repeats and backward steps in the numbers as written."""
    warnings = []
    previous: int | None = None
    for article in articles:
        number = article.number_as_written
        if number is None:
            continue
        if previous is None:
            if number != 1:
                message = _("The text starts at article %(number)s, not article 1.")
                warnings.append(message % {"number": number})
        elif number == previous:
            warnings.append(_("The text repeats article %(number)s.") % {"number": number})
        elif number < previous:
            message = _("Article %(after)s comes after article %(before)s.")
            warnings.append(message % {"before": previous, "after": number})
        elif number > previous + 1:
            message = _("The text jumps from article %(before)s to article %(after)s.")
            warnings.append(message % {"before": previous, "after": number})
        previous = number
    return warnings


@dataclass
class _Block:
    """A marker line and the lines up to the next marker."""

    kind: Literal["article", "chapter"]
    marker: str  # the marker's line, for messages
    number: int | None
    rest: str  # what follows the marker on its line
    lines: list[str]


def _blocks(lines: list[str]) -> tuple[list[str], list[_Block]]:
    """The lines before the first marker, and the text cut at each marker."""
    before: list[str] = []
    blocks: list[_Block] = []
    for line in lines:
        kind: Literal["article", "chapter"] = "article"
        marker = _ARTICLE.fullmatch(line)
        if marker is None:
            kind, marker = "chapter", _CHAPTER.fullmatch(line)
        if marker is not None:
            number = parse_numeral(marker["numeral"])
            blocks.append(_Block(kind, line.strip(), number, marker["rest"], []))
        elif blocks:
            blocks[-1].lines.append(line)
        else:
            before.append(line)
    return before, blocks


def split(text: str) -> Split:
    """A pasted text cut at its article markers (第X条 at the start of a line) and chapter
    markers (第X章, the rest of the line being the chapter's title).

    Text before the first marker is the preamble (the title and any preface). Each
    article's text runs to the next marker. Nothing is dropped silently: what cannot be
    placed, and numbering that looks wrong, becomes a warning for the confirmation
    screen.
    """
    lines = text.lstrip("\ufeff").splitlines()
    before, blocks = _blocks(lines)
    if not any(block.kind == "article" for block in blocks):
        message = _(
            "No article marker (第一条, 第二条, …) was found: the whole text is kept as the "
            "preamble."
        )
        return Split(preamble=_tidy(lines), warnings=[message])

    result = Split(preamble=_tidy(before))
    warnings: list[str] = []
    for block in blocks:
        if block.number is None:
            warnings.append(
                _("The number in “%(marker)s” could not be read.") % {"marker": block.marker}
            )
        if block.kind == "article":
            heading, body = _heading_and_text(block.rest, block.lines)
            chapter = len(result.chapters) - 1 if result.chapters else None
            result.articles.append(SplitArticle(block.number, heading, body, chapter))
            continue
        title, leftover = block.rest.strip().lstrip(_SEPARATORS), block.lines
        if not title:  # 第一章 on its line, 总则 on the next
            while leftover and not leftover[0].strip():
                leftover = leftover[1:]
            title, leftover = (leftover[0].strip(), leftover[1:]) if leftover else ("", [])
        result.chapters.append(SplitChapter(block.number, title))
        if _tidy(leftover):
            warnings.append(
                _(
                    "The text under chapter “%(chapter)s” before its first article belongs "
                    "to no article and was left out: “%(text)s”"
                )
                % {"chapter": title, "text": _tidy(leftover)}
            )

    warnings.extend(_numbering_warnings(result.articles))
    for position, article in enumerate(result.articles, start=1):
        if not article.text:
            number = position if article.number_as_written is None else article.number_as_written
            warnings.append(_("Article %(number)s is empty.") % {"number": number})
    for index, chapter in enumerate(result.chapters):
        if not any(article.chapter == index for article in result.articles):
            message = _("Chapter “%(chapter)s” has no articles.")
            warnings.append(message % {"chapter": chapter.title})
    result.warnings = warnings
    return result


# ---------------------------------------------------------------------------- differences

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"


class Op(NamedTuple):
    kind: Literal["equal", "insert", "delete"]
    text: str


# An unchanged run this short between two changes is shown as part of the change: in
# 每月三百元 → 每季度九百元 the lone 百 left standing would make the reader piece the
# phrase together from islands, where one deletion and one insertion read at a glance.
SHORT_EQUAL = 2


@dataclass
class _Change:
    deleted: str
    inserted: str


def char_diff(old: str, new: str) -> list[Op]:
    """`old` turned into `new`, character by character, as equal, delete and insert runs.

    In each change the deletion comes before the insertion. The equal and delete runs,
    joined, give `old`; the equal and insert runs give `new`. An equal run of at most
    `SHORT_EQUAL` characters between two changes is folded into them.
    """
    # Equal runs as strings, changes as _Change. SequenceMatcher never gives two changes
    # in a row, so the two alternate, and folding keeps it so.
    pieces: list[str | _Change] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(old[i1:i2])
            continue
        change = _Change(old[i1:i2], new[j1:j2])
        if len(pieces) >= 2 and isinstance(pieces[-1], str) and len(pieces[-1]) <= SHORT_EQUAL:
            between = pieces.pop()
            before = pieces.pop()
            assert isinstance(before, _Change)
            change = _Change(
                before.deleted + between + change.deleted,
                before.inserted + between + change.inserted,
            )
        pieces.append(change)

    ops: list[Op] = []
    for piece in pieces:
        if isinstance(piece, str):
            ops.append(Op(EQUAL, piece))
            continue
        if piece.deleted:
            ops.append(Op(DELETE, piece.deleted))
        if piece.inserted:
            ops.append(Op(INSERT, piece.inserted))
    return ops


@dataclass(frozen=True)
class ArticleText:
    """An article of one version, as compared: `key` is its identity across versions."""

    key: int
    text: str
    heading: str = ""
    chapter: str = ""


UNCHANGED = "unchanged"
CHANGED = "changed"
INSERTED = "inserted"
DELETED = "deleted"
MOVED = "moved"
STATUSES = (UNCHANGED, CHANGED, INSERTED, DELETED, MOVED)


@dataclass
class ArticleChange:
    """One row of a comparison. Numbers are positions (1-based) in each version; the
    heading and chapter are the new version's, or the old one's for a deleted article.
    `ops` compare the text, `heading_ops` the heading."""

    status: Literal["unchanged", "changed", "inserted", "deleted", "moved"]
    old_number: int | None
    new_number: int | None
    key: int
    heading: str
    ops: list[Op]
    chapter: str = ""
    heading_ops: list[Op] = field(default_factory=list)


def _keys(articles: list[ArticleText], which: str) -> dict[int, int]:
    """Each key's position (0-based) in `articles`; a key may appear only once."""
    positions = {article.key: index for index, article in enumerate(articles)}
    if len(positions) != len(articles):
        raise ValueError(f"article keys repeat in the {which} version")
    return positions


def _in_order(sequence: list[int]) -> set[int]:
    """The indexes into `sequence` of one longest increasing subsequence. Articles whose
    old positions, read in the new order, rise are in their old order; the others moved.
    (Quadratic, and a pact has at most a few hundred articles.)"""
    if not sequence:
        return set()
    longest = [1] * len(sequence)  # longest rising run ending at each index
    came_from = [-1] * len(sequence)
    for i, value in enumerate(sequence):
        for j in range(i):
            if sequence[j] < value and longest[j] + 1 > longest[i]:
                longest[i], came_from[i] = longest[j] + 1, j
    index = max(range(len(sequence)), key=longest.__getitem__)
    kept = set()
    while index != -1:
        kept.add(index)
        index = came_from[index]
    return kept


def article_diff(old: list[ArticleText], new: list[ArticleText]) -> list[ArticleChange]:
    """The articles of two versions side by side, in the new version's reading order,
    each deleted article placed after the one that preceded it in the old version.

    An article is matched across versions by its key, so one inserted before it does not
    make it "changed". An article whose key is in both versions but whose order relative
    to the others changed is "moved": the fewest such articles that explain the new
    order (those outside a longest run kept in the old order).
    """
    old_positions = _keys(old, "old")
    new_positions = _keys(new, "new")
    common = [article.key for article in new if article.key in old_positions]
    kept = _in_order([old_positions[key] for key in common])
    moved = {key for index, key in enumerate(common) if index not in kept}

    # Deleted articles, by the key of the surviving article they follow (None: the start).
    deleted_after: dict[int | None, list[ArticleChange]] = {}
    anchor: int | None = None
    for number, article in enumerate(old, start=1):
        if article.key in new_positions:
            anchor = article.key
            continue
        deleted_after.setdefault(anchor, []).append(
            ArticleChange(
                DELETED,
                number,
                None,
                article.key,
                article.heading,
                char_diff(article.text, ""),
                article.chapter,
                char_diff(article.heading, ""),
            )
        )

    rows: list[ArticleChange] = list(deleted_after.get(None, []))
    for number, article in enumerate(new, start=1):
        if article.key not in old_positions:
            status, old_number, before = INSERTED, None, ArticleText(article.key, "")
        else:
            old_number = old_positions[article.key] + 1
            before = old[old_number - 1]
            if article.key in moved:
                status = MOVED
            elif (before.text, before.heading) == (article.text, article.heading):
                status = UNCHANGED
            else:
                status = CHANGED
        rows.append(
            ArticleChange(
                status,
                old_number,
                number,
                article.key,
                article.heading,
                char_diff(before.text, article.text),
                article.chapter,
                char_diff(before.heading, article.heading),
            )
        )
        rows.extend(deleted_after.get(article.key, []))
    return rows


def summary(changes: list[ArticleChange]) -> dict[str, int]:
    """How many articles are in each status, every status present (zero if none)."""
    counts = Counter(change.status for change in changes)
    return {status: counts[status] for status in STATUSES}


def render_ops_html(ops: list[Op]) -> SafeString:
    """The ops as HTML: `<ins>` and `<del>` around changes, each opened and closed by
    visually hidden words for screen readers, and every text escaped. Line breaks stay
    characters: show the result in an element with `white-space: pre-wrap`."""
    marks = {
        INSERT: ("ins", _("[insertion start]"), _("[insertion end]")),
        DELETE: ("del", _("[deletion start]"), _("[deletion end]")),
    }
    pieces = []
    for op in ops:
        if op.kind == EQUAL:
            pieces.append(format_html("{}", op.text))
            continue
        tag, start, end = marks[op.kind]
        pieces.append(
            format_html(
                '<{tag}><span class="visually-hidden">{start} </span>{text}'
                '<span class="visually-hidden"> {end}</span></{tag}>',
                tag=tag,
                start=start,
                text=op.text,
                end=end,
            )
        )
    return format_html_join("", "{}", ((piece,) for piece in pieces))
