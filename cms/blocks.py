"""The blocks the site's StreamFields are made of: a disclosure's body, and the finance
statement (财务报表) that a finance disclosure carries."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.documents.blocks import DocumentChooserBlock

from .finance import DIRECTIONS, EXPENSE, INCOME, Statement, breakdown_chart, money

MONEY = {"max_digits": 14, "decimal_places": 2}


class FinanceLineBlock(blocks.StructBlock):
    """One income or expense, with the voucher that proves it."""

    direction = blocks.ChoiceBlock(choices=DIRECTIONS, label=_("Direction"))
    category = blocks.CharBlock(
        max_length=50,
        label=_("Category"),
        help_text=_("For example office costs or community activities."),
    )
    description = blocks.CharBlock(max_length=200, label=_("Description"))
    amount = blocks.DecimalBlock(min_value=Decimal("0.01"), label=_("Amount (yuan)"), **MONEY)
    voucher_number = blocks.CharBlock(required=False, max_length=50, label=_("Voucher number"))
    voucher = DocumentChooserBlock(
        required=False, label=_("Voucher"), help_text=_("A scan of the voucher.")
    )

    class Meta:
        icon = "list-ul"
        label = _("Line")


class FinanceStatementBlock(blocks.StructBlock):
    """Income and expense over a period, between an opening and a closing balance that
    must add up: opening + income − expense = closing, to the fen."""

    title = blocks.CharBlock(max_length=100, label=_("Title"))
    opening_balance = blocks.DecimalBlock(label=_("Opening balance (yuan)"), **MONEY)
    lines = blocks.ListBlock(FinanceLineBlock(), label=_("Income and expense"))
    closing_balance = blocks.DecimalBlock(label=_("Closing balance (yuan)"), **MONEY)

    class Meta:
        icon = "table"
        label = _("Finance statement")
        template = "cms/blocks/finance_statement.html"

    def clean(self, value):
        value = super().clean(value)
        if self.is_deferred_validation:
            # Saving a draft: the figures may be half entered. Publishing checks them.
            return value
        statement = Statement.from_value(value)
        if statement.balanced:
            return value
        figures = {
            "closing": money(statement.closing),
            "opening": money(statement.opening),
            "income": money(statement.income_total),
            "expense": money(statement.expense_total),
            "expected": money(statement.expected_closing),
        }
        raise blocks.StructBlockValidationError(
            block_errors={
                "closing_balance": ValidationError(
                    _(
                        "The closing balance %(closing)s does not equal the opening balance "
                        "%(opening)s + income %(income)s − expense %(expense)s = %(expected)s."
                    ),
                    code="unbalanced",
                    params=figures,
                )
            },
            non_block_errors=[
                ValidationError(
                    _("The statement does not add up: check the lines and the closing balance."),
                    code="unbalanced",
                )
            ],
        )

    def get_context(self, value, parent_context=None):
        context = super().get_context(value, parent_context=parent_context)
        statement = Statement.from_value(value)
        # Ids in the markup must be unique on the page; the block's id is, when given.
        statement_id = f"statement-{context.get('block_id') or uuid.uuid4().hex[:8]}"
        context.update(
            statement=statement,
            statement_id=statement_id,
            rows=[
                {
                    "line": line,
                    "income": money(line.amount) if line.direction == INCOME else "",
                    "expense": money(line.amount) if line.direction == EXPENSE else "",
                }
                for line in statement.lines
            ],
            totals={
                "opening": money(statement.opening),
                "income": money(statement.income_total),
                "expense": money(statement.expense_total),
                "expected": money(statement.expected_closing),
                "closing": money(statement.closing),
            },
            chart=breakdown_chart(statement, chart_id=f"{statement_id}-chart"),
        )
        return context


class HeadingBlock(blocks.CharBlock):
    """A section heading inside a page's body, under the page title's h1."""

    def render_basic(self, value, context=None):
        return format_html("<h2>{}</h2>", value) if value else ""

    class Meta:
        icon = "title"
        form_classname = "title"


class TextTableBlock(blocks.StructBlock):
    """A small table typed in cell by cell (wagtail.contrib.table_block is not
    installed). Scrolls sideways on a narrow screen."""

    caption = blocks.CharBlock(required=False, max_length=200, label=_("Caption"))
    first_row_is_header = blocks.BooleanBlock(
        required=False, default=True, label=_("The first row is a header row")
    )
    rows = blocks.ListBlock(
        blocks.ListBlock(blocks.CharBlock(required=False, label=_("Cell")), label=_("Row")),
        label=_("Rows"),
    )

    class Meta:
        icon = "table"
        label = _("Table")

    def render_basic(self, value, context=None):
        rows = [list(row) for row in value["rows"]]
        head = rows.pop(0) if rows and value["first_row_is_header"] else None
        parts = []
        if value["caption"]:
            parts.append(format_html("<caption>{}</caption>", value["caption"]))
        if head is not None:
            parts.append(
                format_html(
                    "<thead><tr>{}</tr></thead>",
                    format_html_join("", '<th scope="col">{}</th>', ((cell,) for cell in head)),
                )
            )
        parts.append(
            format_html(
                "<tbody>{}</tbody>",
                format_html_join(
                    "",
                    "<tr>{}</tr>",
                    ((format_html_join("", "<td>{}</td>", ((c,) for c in row)),) for row in rows),
                ),
            )
        )
        return format_html(
            '<div class="table-scroll" tabindex="0" role="region" aria-label="{}">'
            '<table class="text-table">{}</table></div>',
            value["caption"] or _("Table"),
            format_html_join("", "{}", ((part,) for part in parts)),
        )


class DisclosureBodyBlock(blocks.StreamBlock):
    """What a disclosure (党务·居务·财务公开) is written in."""

    heading = HeadingBlock(label=_("Heading"))
    paragraph = blocks.RichTextBlock(
        features=["bold", "italic", "ol", "ul", "link"], label=_("Paragraph"), icon="pilcrow"
    )
    table = TextTableBlock()
    document = DocumentChooserBlock(label=_("Document"), icon="doc-full")
    finance_statement = FinanceStatementBlock()
