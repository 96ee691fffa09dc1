"""The auditors' independent recount of an owners' vote, from two CSV files and no
database: the property register and the paper ballots. It counts with the same code as
the tally of a stored poll (`counting`, `electorate`, `rules`), so both agree.

Every problem in the files is collected, with its file and line, before anything is
counted: a recount that stops at the first bad line makes the counting staff fix the
files one line at a time.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from .counting import ABSTAIN, NO, SPOILED, YES, count_yes_no, decision_data
from .electorate import DwellingRecord, Head, owner_heads
from .rules import BUILTIN, Count

REGISTER_COLUMNS = (
    "dwelling",
    "owner",
    "registered_area",
    "surveyed_area",
    "contract_area",
    "developer_held",
    "delivered",
)
AREA_COLUMNS = ("registered_area", "surveyed_area", "contract_area")
BALLOT_COLUMNS = ("dwelling", "choice")
RECOUNT_KEYS = (
    "rule",
    "owners_total",
    "area_total",
    "owners_participating",
    "area_participating",
    "owners_yes",
    "area_yes",
    "quorum_met",
    "passed",
)
# The rule sets a recount can apply: those that weigh owners by floor area.
OWNER_RULES = tuple(name for name, rule in BUILTIN.items() if rule.uses_area)

CHOICE_WORDS = {
    "yes": YES,
    "同意": YES,
    "no": NO,
    "反对": NO,
    "abstain": ABSTAIN,
    "弃权": ABSTAIN,
    "spoiled": SPOILED,
    "废票": SPOILED,
}
YES_WORDS = {"yes", "1", "true", "是"}
NO_WORDS = {"no", "0", "false", "否"}
AREA_PATTERN = re.compile(r"[-+]?\d+(?:\.\d+)?")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: line 0 stands for the file as a whole."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}: {self.message}"
        return f"{self.file}: {self.message}"


class RecountError(Exception):
    """The files cannot be counted; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__(problems)
        self.problems = list(problems)


@dataclass(frozen=True)
class Row:
    line: int
    cells: dict[str, str]


@dataclass(frozen=True)
class BallotRow:
    line: int
    dwelling: str
    choice: str


def read_csv(path: Path, columns: Iterable[str]) -> tuple[list[Row], list[Problem]]:
    """The non-empty rows of a UTF-8 CSV file (with or without BOM), each cell stripped
    and keyed by its lower-case column name. Other columns than `columns` are ignored."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        reason = error.strerror or str(error)
        return [], [Problem(name, 0, _("Cannot read the file: %(reason)s") % {"reason": reason})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return [], [
            Problem(
                name,
                line,
                _("The file is not UTF-8 text (it may be GBK): save it as “CSV UTF-8”."),
            )
        ]
    reader = csv.reader(io.StringIO(text, newline=""))
    lines: list[tuple[int, list[str]]] = []
    try:
        while True:
            # A quoted cell may span lines; a row is known by the line it starts on.
            start = reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            lines.append((start, [cell.strip() for cell in cells]))
    except csv.Error as error:
        reason = str(error)
        return [], [
            Problem(
                name,
                reader.line_num,
                _("The CSV cannot be read here: %(reason)s") % {"reason": reason},
            )
        ]
    lines = [(line, cells) for line, cells in lines if any(cells)]
    if not lines:
        return [], [Problem(name, 0, _("The file is empty."))]
    (header_line, header), body = lines[0], lines[1:]
    while header and not header[-1]:
        header.pop()
    names = [cell.lower() for cell in header]
    problems = []
    twice = sorted({n for n in names if n and names.count(n) > 1})
    if twice:
        problems.append(
            Problem(
                name,
                header_line,
                _("Columns named twice: %(columns)s.") % {"columns": ", ".join(twice)},
            )
        )
    missing = [column for column in columns if column not in names]
    if missing:
        problems.append(
            Problem(
                name,
                header_line,
                _("Missing columns: %(columns)s. The columns are: %(expected)s.")
                % {"columns": ", ".join(missing), "expected": ",".join(columns)},
            )
        )
    if problems:
        return [], problems
    rows = []
    for line, cells in body:
        if any(cells[len(names) :]):
            problems.append(
                Problem(
                    name,
                    line,
                    _(
                        "This line has more cells than the header has columns (is a "
                        "comma inside a number or a name?)."
                    ),
                )
            )
            continue
        rows.append(Row(line, dict(zip(names, cells, strict=False))))
    return rows, problems


def parse_choice(text: str) -> str | None:
    """yes, no, abstain or spoiled, from English or Chinese words; None if unknown."""
    return CHOICE_WORDS.get(text.strip().lower())


def unknown_choice_message(text: str) -> str:
    if not text.strip():
        return _(
            "The choice is missing: write yes, no, abstain or spoiled (同意、反对、弃权、废票)."
        )
    return _(
        "Unknown choice “%(value)s”: write yes, no, abstain or spoiled (同意、反对、弃权、废票)."
    ) % {"value": text}


def _flag(row: Row, column: str, default: bool) -> tuple[bool, str | None]:
    text = row.cells.get(column, "").lower()
    if not text:
        return default, None
    if text in YES_WORDS:
        return True, None
    if text in NO_WORDS:
        return False, None
    return default, _(
        "%(column)s “%(value)s” is not yes or no: use yes/no, true/false, 1/0 or 是/否."
    ) % {"column": column, "value": row.cells[column]}


def _area(row: Row) -> tuple[Decimal | None, str | None]:
    """The first area given, in the order of the law: registered, surveyed, contract."""
    column = next((c for c in AREA_COLUMNS if row.cells.get(c)), None)
    if column is None:
        return None, _(
            "The area is missing: give registered_area, or else surveyed_area, or else "
            "contract_area."
        )
    text = row.cells[column]
    if not AREA_PATTERN.fullmatch(text):
        return None, _("%(column)s “%(value)s” is not a number of m².") % {
            "column": column,
            "value": text,
        }
    area = Decimal(text)
    if area <= 0:
        return None, _("%(column)s must be more than 0, not %(value)s.") % {
            "column": column,
            "value": text,
        }
    if area != area.quantize(CENT):
        return None, _("%(column)s %(value)s has more than 2 decimal places.") % {
            "column": column,
            "value": text,
        }
    return area.quantize(CENT), None


def read_register(path: Path) -> tuple[list[DwellingRecord], list[Problem]]:
    """The dwellings of the register, and every problem found in it. A dwelling with a
    problem is still returned (with a stand-in value), so that ballots for it are not
    also reported as unknown."""
    rows, problems = read_csv(path, REGISTER_COLUMNS)
    name = str(path)
    records: list[DwellingRecord] = []
    first_line: dict[str, int] = {}
    for row in rows:
        messages = []
        dwelling = row.cells["dwelling"]
        if not dwelling:
            messages.append(_("The dwelling is missing."))
        elif dwelling in first_line:
            messages.append(
                _("Dwelling %(dwelling)s is listed twice (first on line %(line)s).")
                % {"dwelling": dwelling, "line": first_line[dwelling]}
            )
        area, message = _area(row)
        developer_held, developer_message = _flag(row, "developer_held", default=False)
        delivered, delivered_message = _flag(row, "delivered", default=True)
        messages += [m for m in (message, developer_message, delivered_message) if m]
        owner = row.cells["owner"]
        with_developer = developer_held or not delivered
        if not owner and not with_developer:
            messages.append(
                _(
                    "The owner is missing: only a dwelling held by the developer, or sold "
                    "but not delivered, has no owner of record."
                )
            )
        problems += [Problem(name, row.line, m) for m in messages]
        if not dwelling or dwelling in first_line:
            continue
        first_line[dwelling] = row.line
        records.append(
            DwellingRecord(
                key=dwelling,
                # A stand-in owner keeps a faulty row apart from everyone else's.
                owner_key=owner or f"line {row.line}",
                area=area or Decimal("0.00"),
                developer_held=developer_held,
                delivered=delivered,
                label=dwelling,
            )
        )
    if not rows and not problems:
        problems.append(Problem(name, 0, _("The register lists no dwellings.")))
    return records, problems


def read_ballots(path: Path) -> tuple[list[BallotRow], list[Problem]]:
    rows, problems = read_csv(path, BALLOT_COLUMNS)
    name = str(path)
    ballots = []
    for row in rows:
        dwelling, text = row.cells["dwelling"], row.cells["choice"]
        choice = parse_choice(text)
        if not dwelling:
            problems.append(Problem(name, row.line, _("The dwelling is missing.")))
        if choice is None:
            problems.append(Problem(name, row.line, unknown_choice_message(text)))
        if dwelling and choice is not None:
            ballots.append(BallotRow(row.line, dwelling, choice))
    return ballots, problems


def owner_votes(
    heads: Sequence[Head], ballots: Iterable[BallotRow], ballots_file: str
) -> tuple[list[tuple[str, Count]], list[Problem]]:
    """One vote per owner, carrying one head and all the area of their dwellings,
    whichever of their dwellings the ballot names. The same choice on ballots for two
    of an owner's dwellings counts once; different choices are refused, never picked."""
    owner_of = {dwelling: head for head in heads for dwelling in head.dwellings}
    problems = []
    dwelling_line: dict[str, int] = {}
    chosen: dict[str, tuple[str, BallotRow]] = {}
    for ballot in ballots:
        head = owner_of.get(ballot.dwelling)
        if head is None:
            problems.append(
                Problem(
                    ballots_file,
                    ballot.line,
                    _("Dwelling %(dwelling)s is not in the register.")
                    % {"dwelling": ballot.dwelling},
                )
            )
            continue
        if ballot.dwelling in dwelling_line:
            problems.append(
                Problem(
                    ballots_file,
                    ballot.line,
                    _("A second ballot for dwelling %(dwelling)s (the first is on line %(line)s).")
                    % {"dwelling": ballot.dwelling, "line": dwelling_line[ballot.dwelling]},
                )
            )
            continue
        dwelling_line[ballot.dwelling] = ballot.line
        earlier = chosen.get(head.key)
        if earlier is None:
            chosen[head.key] = (ballot.choice, ballot)
        elif earlier[0] != ballot.choice:
            first = earlier[1]
            problems.append(
                Problem(
                    ballots_file,
                    ballot.line,
                    _(
                        "Conflicting choices from one owner: %(choice)s for dwelling "
                        "%(dwelling)s, but %(first_choice)s for dwelling %(first_dwelling)s "
                        "on line %(line)s. The counting staff must settle which is the "
                        "owner's ballot."
                    )
                    % {
                        "choice": ballot.choice,
                        "dwelling": ballot.dwelling,
                        "first_choice": first.choice,
                        "first_dwelling": first.dwelling,
                        "line": first.line,
                    },
                )
            )
    by_key = {head.key: head for head in heads}
    votes = [(choice, Count(1, by_key[key].area)) for key, (choice, _row) in chosen.items()]
    return votes, problems


def recount(register: Path, ballots: Path, rule_name: str) -> dict[str, Any]:
    """The decision, as the recount keys (areas as strings with two places), or
    RecountError listing every problem of both files."""
    rule = BUILTIN.get(rule_name)
    if rule is None or not rule.uses_area:
        raise RecountError(
            [
                Problem(
                    "--rule",
                    0,
                    _("Unknown rule set “%(name)s”: use %(names)s.")
                    % {"name": rule_name, "names": " or ".join(OWNER_RULES)},
                )
            ]
        )
    dwellings, register_problems = read_register(register)
    ballot_rows, ballot_problems = read_ballots(ballots)
    problems = register_problems + ballot_problems
    heads = owner_heads(dwellings)
    votes: list[tuple[str, Count]] = []
    # Without a readable register every dwelling would look unknown: it is said once.
    if dwellings:
        votes, vote_problems = owner_votes(heads, ballot_rows, str(ballots))
        problems += vote_problems
    if problems:
        raise RecountError(problems)
    electorate = Count(len(heads), sum((h.area for h in heads), Decimal("0.00")))
    totals, decision = count_yes_no(rule, electorate, votes)
    data = decision_data(decision, totals)
    return {key: data[key] for key in RECOUNT_KEYS}
