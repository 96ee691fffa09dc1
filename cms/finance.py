"""A finance statement (财务报表) as plain figures: read from its block's value, then
totalled, broken down by category, written out as CSV and drawn as a bar chart.

Money is `Decimal` throughout; amounts are shown with two decimals and thousands
separators by `money()` wherever people read them (the zh-Hans locale has no thousands
separator, so Django's number formatting would not add them).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from polls.charts import Bar, bar_chart, percent
from polls.exports import FORMULA_STARTS

INCOME = "income"
EXPENSE = "expense"
DIRECTIONS = [(INCOME, gettext_lazy("income")), (EXPENSE, gettext_lazy("expense"))]
DIRECTION_LABELS = dict(DIRECTIONS)
COLOURS = {INCOME: "#1e6b34", EXPENSE: "#1a5fb4"}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def money(amount: Decimal) -> str:
    """For reading: "12,345.60", "-80.00"."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,.2f}"


def plain(amount: Decimal) -> str:
    """For spreadsheets: "12345.60", a number they read as one."""
    return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):.2f}"


@dataclass(frozen=True)
class Line:
    direction: str
    category: str
    description: str
    amount: Decimal
    voucher_number: str = ""
    voucher: Any = None  # a Wagtail document: the scan of the voucher

    @property
    def direction_label(self) -> str:
        return str(DIRECTION_LABELS.get(self.direction, self.direction or ""))


@dataclass(frozen=True)
class CategoryTotal:
    direction: str
    category: str
    total: Decimal
    lines: int


@dataclass(frozen=True)
class Statement:
    title: str
    opening: Decimal
    closing: Decimal
    lines: tuple[Line, ...]

    @classmethod
    def from_value(cls, value: Any) -> Statement:
        """From a `FinanceStatementBlock` value (a StructValue or a dict of the same
        shape). A draft may be saved before all figures are filled in; a missing
        figure counts as zero, and the statement then shows as not adding up."""
        return cls(
            title=value["title"] or "",
            opening=_figure(value["opening_balance"]),
            closing=_figure(value["closing_balance"]),
            lines=tuple(
                Line(
                    direction=line["direction"],
                    category=line["category"] or "",
                    description=line["description"] or "",
                    amount=_figure(line["amount"]),
                    voucher_number=line.get("voucher_number") or "",
                    voucher=line.get("voucher"),
                )
                for line in value["lines"]
            ),
        )

    @property
    def income_total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.direction == INCOME), ZERO)

    @property
    def expense_total(self) -> Decimal:
        return sum((line.amount for line in self.lines if line.direction == EXPENSE), ZERO)

    @property
    def expected_closing(self) -> Decimal:
        return self.opening + self.income_total - self.expense_total

    @property
    def balanced(self) -> bool:
        return self.closing == self.expected_closing

    def breakdown(self) -> dict[str, list[CategoryTotal]]:
        """Income and expense per category, each direction's largest first."""
        totals: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        counts: dict[tuple[str, str], int] = defaultdict(int)
        for line in self.lines:
            totals[line.direction, line.category] += line.amount
            counts[line.direction, line.category] += 1
        result: dict[str, list[CategoryTotal]] = {INCOME: [], EXPENSE: []}
        for (direction, category), total in totals.items():
            result.setdefault(direction, []).append(
                CategoryTotal(direction, category, total, counts[direction, category])
            )
        for items in result.values():
            items.sort(key=lambda item: (-item.total, item.category))
        return result


def _figure(amount: Decimal | None) -> Decimal:
    return ZERO if amount is None else amount


def _cell(text: str) -> str:
    """Text a spreadsheet would run as a formula is kept as text."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def to_csv(statement: Statement) -> str:
    """One row per line, then the opening balance, the totals and the closing balance.
    Starts with a byte order mark so that Excel reads the Chinese as UTF-8; amounts are
    plain numbers (no thousands separators) so that spreadsheets can add them up."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(
        [_("Category"), _("Direction"), _("Description"), _("Amount"), _("Voucher number")]
    )
    for line in statement.lines:
        writer.writerow(
            [
                _cell(line.category),
                line.direction_label,
                _cell(line.description),
                plain(line.amount),
                _cell(line.voucher_number),
            ]
        )
    for label, amount in (
        (_("Opening balance"), statement.opening),
        (_("Income total"), statement.income_total),
        (_("Expense total"), statement.expense_total),
        (_("Closing balance"), statement.closing),
    ):
        writer.writerow([label, "", "", plain(amount), ""])
    return out.getvalue()


def breakdown_chart(statement: Statement, chart_id: str = "statement-chart") -> SafeString:
    """Expense and income per category as horizontal bars, expenses first: each bar is
    the category's share of all expense (or all income), and says so with its amount.
    Empty when the statement has no lines."""
    totals = {INCOME: statement.income_total, EXPENSE: statement.expense_total}
    if not any(totals.values()):
        return mark_safe("")
    breakdown = statement.breakdown()
    bars = []
    for direction in (EXPENSE, INCOME):
        label = DIRECTION_LABELS[direction]
        for item in breakdown[direction]:
            bars.append(
                Bar(
                    label=_("%(direction)s: %(category)s")
                    % {"direction": label, "category": item.category},
                    value=_("%(amount)s yuan, %(share)s of all %(direction)s")
                    % {
                        "amount": money(item.total),
                        "share": percent(item.total, totals[direction]),
                        "direction": label,
                    },
                    share=item.total / totals[direction] if totals[direction] else ZERO,
                    colour=COLOURS[direction],
                )
            )
    return bar_chart(
        chart_id,
        _("%(title)s: expense and income by category") % {"title": statement.title},
        "; ".join(f"{bar.label} {bar.value}" for bar in bars),
        bars,
    )
