"""The finance statement block (财务报表) of finance disclosures: the balance check, the
totals and breakdown, the CSV for spreadsheets, the chart and the block's template."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.base import ContentFile
from django.core.serializers.json import DjangoJSONEncoder
from django.template import Context, Template
from django.utils import translation
from wagtail.blocks import StructBlockValidationError
from wagtail.documents.models import Document

from cms.blocks import DisclosureBodyBlock, FinanceStatementBlock
from cms.finance import EXPENSE, INCOME, CategoryTotal, Statement, breakdown_chart, to_csv
from polls.charts import TRACK

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English wording; the site's default language is Chinese."""
    with translation.override("en"):
        yield


def line(direction, category, description, amount, voucher_number=""):
    return {
        "direction": direction,
        "category": category,
        "description": description,
        "amount": amount,
        "voucher_number": voucher_number,
    }


LINES = [
    line("income", "上级拨款", "街道办事处拨付社区公益金", "10000.00", "SR-001"),
    line("income", "捐赠", "居民捐赠", "500.00"),
    line("expense", "公益活动", "重阳节敬老活动", "1200.50", "ZC-001"),
    line("expense", "办公经费", "打印纸和墨盒", "345.60", "ZC-002"),
    line("expense", "公益活动", "儿童暑期课堂材料", "2000.00", "ZC-003"),
]
# 12,345.60 + 10,500.00 − 3,546.10 = 19,299.50


def raw(opening="12345.60", closing="19299.50", lines=LINES, title="2025年第一季度财务收支"):
    return {
        "title": title,
        "opening_balance": opening,
        "lines": lines,
        "closing_balance": closing,
    }


def value_of(**kwargs):
    return FinanceStatementBlock().to_python(raw(**kwargs))


def clean(**kwargs):
    block = FinanceStatementBlock()
    return block.clean(block.to_python(raw(**kwargs)))


# The balance check ---------------------------------------------------------------------


def test_statement_whose_closing_balance_adds_up_exactly_is_accepted():
    value = clean()
    assert value["closing_balance"] == Decimal("19299.50")
    assert len(value["lines"]) == 5


@pytest.mark.parametrize("closing", ["19299.51", "19299.49"])
def test_closing_balance_one_fen_off_is_refused(closing):
    with pytest.raises(StructBlockValidationError) as refused:
        clean(closing=closing)
    assert refused.value.non_block_errors
    assert set(refused.value.block_errors) == {"closing_balance"}


def test_refusal_names_every_figure_with_thousands_separators():
    with pytest.raises(StructBlockValidationError) as refused:
        clean(closing="19299.51")
    (message,) = refused.value.block_errors["closing_balance"].messages
    assert message == (
        "The closing balance 19,299.51 does not equal the opening balance 12,345.60 "
        "+ income 10,500.00 − expense 3,546.10 = 19,299.50."
    )


def test_negative_opening_balance_is_allowed_and_counted():
    lines = [
        line("income", "上级拨款", "拨款", "500.00"),
        line("expense", "办公经费", "文具", "100.00"),
    ]
    value = clean(opening="-200.00", closing="200.00", lines=lines)
    assert value["opening_balance"] == Decimal("-200.00")
    with pytest.raises(StructBlockValidationError) as refused:
        clean(opening="-200.00", closing="-200.00", lines=lines)
    (message,) = refused.value.block_errors["closing_balance"].messages
    assert "opening balance -200.00" in message and "= 200.00." in message


def test_statement_without_lines_must_close_at_its_opening_balance():
    assert clean(opening="80.00", closing="80.00", lines=[])["closing_balance"] == Decimal("80.00")
    with pytest.raises(StructBlockValidationError):
        clean(opening="80.00", closing="0.00", lines=[])


def test_a_draft_may_be_saved_before_its_figures_add_up():
    block = FinanceStatementBlock()
    value = block.clean_deferred(block.to_python(raw(closing="0.00")))
    assert value["closing_balance"] == Decimal("0.00")
    with pytest.raises(StructBlockValidationError):
        block.clean(value)


def _amount_errors(amount):
    with pytest.raises(StructBlockValidationError) as refused:
        clean(lines=[line("expense", "办公经费", "文具", amount)], closing="0")
    lines_error = refused.value.block_errors["lines"]
    return lines_error.block_errors[0].block_errors["amount"].messages


def test_amount_with_three_decimal_places_is_refused_with_a_clear_error():
    assert _amount_errors("10.005") == ["Ensure that there are no more than 2 decimal places."]


def test_amount_of_zero_is_refused():
    assert _amount_errors("0.00") == ["Ensure this value is greater than or equal to 0.01."]


# Totals, breakdown, CSV ------------------------------------------------------------------


def test_statement_totals():
    statement = Statement.from_value(clean())
    assert statement.opening == Decimal("12345.60")
    assert statement.income_total == Decimal("10500.00")
    assert statement.expense_total == Decimal("3546.10")
    assert statement.expected_closing == statement.closing == Decimal("19299.50")
    assert statement.balanced
    assert [line.amount for line in statement.lines][:2] == [Decimal("10000.00"), Decimal("500.00")]
    assert not Statement.from_value(value_of(closing="19299.51")).balanced


def test_breakdown_is_per_direction_and_category_largest_first():
    breakdown = Statement.from_value(clean()).breakdown()
    assert breakdown[INCOME] == [
        CategoryTotal(INCOME, "上级拨款", Decimal("10000.00"), 1),
        CategoryTotal(INCOME, "捐赠", Decimal("500.00"), 1),
    ]
    assert breakdown[EXPENSE] == [
        CategoryTotal(EXPENSE, "公益活动", Decimal("3200.50"), 2),
        CategoryTotal(EXPENSE, "办公经费", Decimal("345.60"), 1),
    ]


def test_csv_has_a_bom_a_header_each_line_and_the_totals():
    text = to_csv(Statement.from_value(clean()))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [
        ["Category", "Direction", "Description", "Amount", "Voucher number"],
        ["上级拨款", "income", "街道办事处拨付社区公益金", "10000.00", "SR-001"],
        ["捐赠", "income", "居民捐赠", "500.00", ""],
        ["公益活动", "expense", "重阳节敬老活动", "1200.50", "ZC-001"],
        ["办公经费", "expense", "打印纸和墨盒", "345.60", "ZC-002"],
        ["公益活动", "expense", "儿童暑期课堂材料", "2000.00", "ZC-003"],
        ["Opening balance", "", "", "12345.60", ""],
        ["Income total", "", "", "10500.00", ""],
        ["Expense total", "", "", "3546.10", ""],
        ["Closing balance", "", "", "19299.50", ""],
    ]


def test_csv_keeps_text_that_looks_like_a_formula_as_text():
    lines = [line("expense", "=1+1", "@SUM(A1)", "1.00", "-3")]
    text = to_csv(Statement.from_value(clean(opening="1.00", closing="0.00", lines=lines)))
    row = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))[1]
    assert row == ["'=1+1", "expense", "'@SUM(A1)", "1.00", "'-3"]


def test_csv_reads_back_as_utf8_with_bom():
    data = to_csv(Statement.from_value(clean())).encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    assert "办公经费" in data.decode("utf-8-sig")


# The chart ------------------------------------------------------------------------------


def _bars(svg):
    return [rect for rect in svg.iter(f"{SVG}rect") if rect.get("fill") != TRACK]


def test_chart_names_itself_and_draws_one_bar_per_category():
    chart = breakdown_chart(Statement.from_value(clean()), chart_id="q1")
    svg = ET.fromstring(chart)  # noqa: S314 -- our own markup
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "q1-title q1-desc"
    assert svg.find(f"{SVG}title").text == "2025年第一季度财务收支: expense and income by category"
    desc = svg.find(f"{SVG}desc").text
    assert "expense: 公益活动 3,200.50 yuan, 90.25% of all expense" in desc
    assert "income: 捐赠 500.00 yuan" in desc
    assert len(_bars(svg)) == 4
    labels = [text.text for text in svg.iter(f"{SVG}text")]
    assert labels[0] == "expense: 公益活动"
    assert "income: 上级拨款" in labels
    # Each bar is its share of its direction's total, on a track that stands for all of it.
    assert [rect.get("width") for rect in _bars(svg)] == ["288.8", "31.2", "304.8", "15.2"]


def test_chart_of_a_statement_without_lines_is_empty():
    assert breakdown_chart(Statement.from_value(clean(opening="5", closing="5", lines=[]))) == ""


def test_chart_escapes_what_staff_typed():
    lines = [line("expense", "<b>办公</b>", "x", "1.00")]
    chart = breakdown_chart(Statement.from_value(clean(opening="1", closing="0", lines=lines)))
    assert "<b>" not in chart and "&lt;b&gt;" in chart


# The block's template -------------------------------------------------------------------


def test_block_renders_a_scrollable_table_with_totals_and_chart():
    block = FinanceStatementBlock()
    html = block.render(clean())
    assert '<caption id="statement-' in html and "2025年第一季度财务收支</caption>" in html
    assert 'class="table-scroll" tabindex="0" role="region" aria-labelledby="statement-' in html
    assert '<td class="amount" data-label="Expense">1,200.50</td>' in html
    assert '<td class="amount" colspan="2">12,345.60</td>' in html
    assert '<td class="amount">10,500.00</td><td></td>' in html
    assert '<td></td><td class="amount">3,546.10</td>' in html
    assert '<td class="amount" colspan="2">19,299.50</td>' in html
    assert '<svg class="chart"' in html
    assert "do not add up" not in html
    assert "Download CSV" not in html and ".csv" not in html


def test_block_links_the_csv_when_it_knows_its_page_and_id():
    page = SimpleNamespace(pk=7, live=True)
    html = FinanceStatementBlock().render(clean(), context={"page": page, "block_id": "3f2a"})
    assert '<a href="/pages/disclosures/7/statements/3f2a.csv" download>Download CSV</a>' in html
    assert 'id="statement-3f2a"' in html and 'id="statement-3f2a-chart-title"' in html
    assert ".csv" not in FinanceStatementBlock().render(clean(), context={"page": page})
    assert ".csv" not in FinanceStatementBlock().render(clean(), context={"block_id": "3f2a"})


def test_page_body_renders_the_block_through_include_block_with_its_id():
    body_block = DisclosureBodyBlock()
    body = body_block.to_python(
        [
            {"type": "heading", "value": "财务公开", "id": "h1"},
            {"type": "finance_statement", "value": raw(), "id": "fs-1"},
        ]
    )
    template = Template(
        "{% load wagtailcore_tags %}"
        "{% for block in page.body %}{% include_block block with block_id=block.id %}{% endfor %}"
    )
    page = SimpleNamespace(pk=7, live=True, body=body)
    html = template.render(Context({"page": page}))
    assert "<h2>财务公开</h2>" in html
    assert 'href="/pages/disclosures/7/statements/fs-1.csv"' in html


def test_unbalanced_statement_says_so_when_shown():
    html = FinanceStatementBlock().render(value_of(closing="19299.51"))
    assert (
        "These figures do not add up: the opening balance plus income minus expense is "
        "19,299.50, but the closing balance shown is 19,299.51."
    ) in html


def test_draft_with_figures_missing_still_renders_for_preview():
    lines = [line("income", "捐赠", "居民捐赠", None), line("expense", "办公经费", "文具", "9.00")]
    html = FinanceStatementBlock().render(value_of(opening=None, closing=None, lines=lines))
    assert "do not add up" in html and "-9.00" in html


def test_amounts_survive_the_round_trip_through_the_database_as_exact_decimals():
    body_block = DisclosureBodyBlock()
    body = body_block.to_python([{"type": "finance_statement", "value": raw(), "id": "fs-1"}])
    stored = json.dumps(body_block.get_prep_value(body), cls=DjangoJSONEncoder)
    assert '"amount": "1200.50"' in stored
    statement = Statement.from_value(body_block.to_python(json.loads(stored))[0].value)
    assert statement.expense_total == Decimal("3546.10") and statement.balanced


def test_statement_without_lines_renders_without_a_chart():
    html = FinanceStatementBlock().render(clean(opening="5", closing="5", lines=[]))
    assert "No income or expense in this period." in html
    assert "<svg" not in html


def test_block_escapes_what_staff_typed():
    lines = [line("expense", "<script>x</script>", "<i>y</i>", "1.00")]
    html = FinanceStatementBlock().render(clean(opening="1", closing="0", lines=lines))
    assert "<script>" not in html and "<i>y</i>" not in html


@pytest.mark.django_db
def test_voucher_number_links_to_the_scan_of_the_voucher(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    scan = Document.objects.create(title="凭证", file=ContentFile(b"%PDF-1.4", name="zc.pdf"))
    block = FinanceStatementBlock()
    lines = [
        {**line("expense", "公益活动", "敬老活动", "100.00", "ZC-001"), "voucher": scan.pk},
        {**line("expense", "公益活动", "材料", "50.00"), "voucher": scan.pk},
        {**line("expense", "办公经费", "文具", "10.00", "ZC-002"), "voucher": None},
    ]
    html = block.render(block.clean(block.to_python(raw(opening="160", closing="0", lines=lines))))
    hidden = '<span class="visually-hidden"> (scan of the voucher)</span>'
    assert f'<a href="{scan.url}">ZC-001{hidden}</a>' in html
    assert f'<a href="{scan.url}">Voucher<span' in html
    assert '<td class="voucher" data-label="Voucher number">ZC-002</td>' in html


# The rest of a disclosure's body ------------------------------------------------------


def test_text_table_renders_a_header_row_and_scrolls():
    body = DisclosureBodyBlock().to_python(
        [
            {
                "type": "table",
                "value": {
                    "caption": "值班表",
                    "first_row_is_header": True,
                    "rows": [["日期", "值班人"], ["周一", "<张三>"]],
                },
            }
        ]
    )
    html = body[0].render()
    assert 'role="region" aria-label="值班表"' in html
    assert '<caption>值班表</caption><thead><tr><th scope="col">日期</th>' in html
    assert "<tbody><tr><td>周一</td><td>&lt;张三&gt;</td></tr></tbody>" in html
