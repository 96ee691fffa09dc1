"""Disclosures (党务·居务·财务公开): the index and its filters, the page with what changed
since its previous publication, a finance statement as CSV, residents' questions (质询)
and the committee's answers, and withdrawal with a public reason."""

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from cms import changes, services
from cms.models import (
    DisclosureIndexPage,
    DisclosurePage,
    DisclosureQuestion,
    Withdrawal,
)
from deliberation import ratelimits
from deliberation.models import Membership, TraceEntry

from .factories import MembershipFactory, UserFactory, sign_in_staff, staff_of

pytestmark = pytest.mark.django_db

QUESTIONS = "/admin/disclosure_questions/"
WEEK = dt.timedelta(days=7)
QUESTION = "打印纸为什么这么贵？"
ANSWER = "按采购合同价格购买。"
REASON = "金额录入错误，更正后重新公开。"
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture(autouse=True)
def _english(settings):
    """Pages and the back office answer in the site default; these tests read English."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def index(community) -> DisclosureIndexPage:
    """The community's disclosure index, under the page tree every community gets."""
    home = services.provision_community(community)
    return DisclosureIndexPage.objects.child_of(home).get()


@pytest.fixture
def other_index(other_community) -> DisclosureIndexPage:
    home = services.provision_community(other_community)
    return DisclosureIndexPage.objects.child_of(home).get()


def line(direction, category, description, amount, voucher_number=""):
    return {
        "direction": direction,
        "category": category,
        "description": description,
        "amount": Decimal(amount),
        "voucher_number": voucher_number,
        "voucher": None,
    }


def statement(title="2025年第一季度财务收支") -> tuple[str, dict]:
    return (
        "finance_statement",
        {
            "title": title,
            "opening_balance": Decimal("1000.00"),
            "lines": [
                line("income", "上级拨款", "办公经费拨款", "500.00", "P-001"),
                line("expense", "办公经费", "打印纸", "120.50", "=SUM(A1)"),
            ],
            "closing_balance": Decimal("1379.50"),
        },
    )


def paragraph(text: str) -> tuple[str, str]:
    return ("paragraph", f"<p>{text}</p>")


def new_disclosure(title="2025年第一季度财务公开", *, body=None, **fields) -> DisclosurePage:
    fields.setdefault("category", DisclosurePage.Category.FINANCE)
    fields.setdefault("period_kind", DisclosurePage.PeriodKind.QUARTER)
    fields.setdefault("year", 2025)
    if fields["period_kind"] != DisclosurePage.PeriodKind.YEAR:
        fields.setdefault("period_number", 1)
    return DisclosurePage(title=title, body=body or [paragraph("本季度收支如下。")], **fields)


def disclose(index, title="2025年第一季度财务公开", **fields) -> DisclosurePage:
    """A disclosure published under `index` (the approval workflow is tested elsewhere)."""
    page = new_disclosure(title, **fields)
    index.add_child(instance=page)
    page.save_revision().publish()
    return page


def draft(index, title="未发布的公开", **fields) -> DisclosurePage:
    page = new_disclosure(title, live=False, **fields)
    index.add_child(instance=page)
    page.save_revision()
    return page


def republish(page: DisclosurePage, **changed) -> DisclosurePage:
    page = DisclosurePage.objects.get(pk=page.pk)
    for name, value in changed.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return DisclosurePage.objects.get(pk=page.pk)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def staff_client(user) -> Client:
    client = Client()
    sign_in_staff(client, user)
    return client


def resident_of(community, status=Membership.Status.VERIFIED):
    return MembershipFactory(dwelling__building__compound__community=community, status=status).user


def html(response) -> str:
    return response.content.decode()


def listed_titles(response) -> list[str]:
    assert response.status_code == 200
    return [page.title for page in response.context["listing"]["disclosures"]]


def asked(page, text=QUESTION, *, at=None, user=None) -> DisclosureQuestion:
    return DisclosureQuestion.objects.create(
        page=page, asker=user or UserFactory(), text=text, asked_at=at or timezone.now()
    )


@pytest.fixture
def frozen(monkeypatch):
    """Stop the clock at a given moment for everything that asks `timezone.now()`."""

    def stop_at(moment: dt.datetime) -> dt.datetime:
        monkeypatch.setattr(timezone, "now", lambda: moment)
        return moment

    return stop_at


# ---------------------------------------------------------------- the index and its filters


def test_index_lists_each_disclosure_with_category_period_date_badge_and_questions(client, index):
    finance = disclose(index, "2025年第一季度财务公开")
    party = disclose(
        index,
        "2025年3月党务公开",
        category=DisclosurePage.Category.PARTY,
        period_kind=DisclosurePage.PeriodKind.MONTH,
        period_number=3,
    )
    asked(finance)
    asked(finance, "第二个问题")
    Withdrawal.objects.create(page=party, reason="数据有误", withdrawn_by=UserFactory())

    body = html(client.get(index.url))

    finance_item = body.split(finance.title)[1].split("</li>")[0]
    assert "finance</span>" in finance_item and "2025, quarter 1" in finance_item
    assert f"published {timezone.localdate(finance.first_published_at):%Y-%m-%d}" in finance_item
    assert "2 questions" in finance_item and "Withdrawn" not in finance_item
    party_item = body.split(party.title)[1].split("</li>")[0]
    assert "party affairs</span>" in party_item and "2025, month 3" in party_item
    assert '<span class="badge badge-withdrawn">Withdrawn</span>' in party_item
    assert "0 questions" in party_item


def test_period_labels_name_the_month_the_quarter_or_the_year(index):
    month = disclose(index, "月", period_kind="month", period_number=11, year=2024)
    quarter = disclose(index, "季", period_kind="quarter", period_number=4, year=2024)
    year = disclose(index, "年", period_kind="year", year=2024)
    assert month.period_label() == "2024, month 11"
    assert quarter.period_label() == "2024, quarter 4"
    assert year.period_label() == "year 2024"


def test_index_lists_published_disclosures_of_its_community_only(client, index, other_index):
    disclose(index, "本社区的公开")
    draft(index, "草稿")
    disclose(other_index, "别的社区的公开")
    assert listed_titles(client.get(index.url)) == ["本社区的公开"]


def test_index_filters_by_category_year_and_period_kind_and_keeps_the_choices(client, index):
    disclose(index, "2025一季度财务", year=2025)
    disclose(index, "2024一季度财务", year=2024)
    disclose(index, "2024年3月财务", year=2024, period_kind="month", period_number=3)
    disclose(index, "2024一季度党务", year=2024, category="party")

    response = client.get(
        index.url, {"category": "finance", "year": "2024", "period_kind": "quarter"}
    )

    assert listed_titles(response) == ["2024一季度财务"]
    body = html(response)
    assert '<option value="finance" selected>finance</option>' in body
    assert '<option value="2024" selected>2024</option>' in body
    assert '<option value="quarter" selected>quarter</option>' in body
    assert f'<a href="{index.url}">Show all</a>' in body
    assert listed_titles(client.get(index.url, {"category": "party"})) == ["2024一季度党务"]
    assert sorted(listed_titles(client.get(index.url, {"year": "2025"}))) == ["2025一季度财务"]
    assert listed_titles(client.get(index.url, {"period_kind": "month"})) == ["2024年3月财务"]


def test_index_offers_the_years_that_have_disclosures(client, index):
    disclose(index, "2023", year=2023)
    disclose(index, "2025", year=2025)
    form = client.get(index.url).context["listing"]["form"]
    assert [value for value, _label in form.fields["year"].choices] == ["", 2025, 2023]


def test_index_says_when_a_filter_value_is_not_one_and_lists_everything(client, index):
    disclose(index, "财务公开")
    response = client.get(index.url, {"year": "二〇二五", "category": "money"})
    assert listed_titles(response) == ["财务公开"]
    body = html(response)
    assert body.count("Select a valid choice.") == 2
    assert '<div class="field has-error">' in body


def test_index_says_when_no_disclosure_matches(client, index):
    disclose(index, "财务公开")
    body = html(client.get(index.url, {"category": "party"}))
    assert "No disclosure matches these filters." in body


def test_index_pages_keep_the_filters(client, index):
    for number in range(21):
        disclose(index, f"财务{number}", year=2000 + number)
    disclose(index, "党务", category="party")

    first = client.get(index.url, {"category": "finance"})
    assert len(listed_titles(first)) == 20
    assert 'href="?category=finance&amp;page=2" rel="next"' in html(first)
    second = client.get(index.url, {"category": "finance", "page": 2})
    assert listed_titles(second) == ["财务0"]
    assert "Page 2 of 2" in html(second)


@pytest.mark.parametrize("rows", [1, 50])
def test_index_query_count_does_not_grow_with_disclosures(
    client, index, rows, django_assert_max_num_queries
):
    for number in range(rows):
        page = disclose(index, f"公开{number}", year=2000 + number % 20)
        asked(page)
        if number % 2:
            Withdrawal.objects.create(page=page, reason="有误", withdrawn_by=UserFactory())
    with django_assert_max_num_queries(13):
        response = client.get(index.url, {"category": "finance"})
    assert len(listed_titles(response)) == min(rows, 20)


# ---------------------------------------------------------------- the disclosure page


def test_page_shows_category_period_summary_body_and_the_statement_with_its_csv(client, index):
    page = disclose(
        index,
        summary="本季度收入五百元，支出一百二十元五角。",
        body=[paragraph("说明"), statement()],
    )
    block_id = page.body[1].id

    body = html(client.get(page.url))

    assert "<h1>2025年第一季度财务公开</h1>" in body
    assert "finance</span>" in body and "2025, quarter 1" in body
    assert "本季度收入五百元，支出一百二十元五角。" in body and "<p>说明</p>" in body
    assert "<caption id=" in body and "2025年第一季度财务收支</caption>" in body
    assert f'href="/pages/disclosures/{page.pk}/statements/{block_id}.csv" download' in body
    assert f'id="statement-{block_id}"' in body
    assert "updated on" not in body and 'id="changes"' not in body


def test_second_publication_shows_updated_on_and_what_changed(client, index):
    page = disclose(index, summary="支出一百元。", body=[paragraph("打印纸一百元。")])
    page = republish(
        page,
        title="2025年第一季度财务公开（更正）",
        summary="支出二百元。",
        body=[paragraph("打印纸二百元。")],
    )
    latest = timezone.localdate(changes.last_update(page).published_at)

    body = html(client.get(page.url))

    assert f'<a href="#changes">updated on {latest:%Y-%m-%d}</a>' in body
    section = body.split('id="changes"')[1].split("</section>")[0]
    assert [label.lower() for label in re.findall(r"<dt>(.*?)</dt>", section)] == [
        "title",
        "summary",
        "content",
    ]
    assert '<ins><span class="visually-hidden">inserted: </span>（更正）</ins>' in section
    assert '<del><span class="visually-hidden">deleted: </span>一</del>' in section
    assert '<ins><span class="visually-hidden">inserted: </span>二</ins>' in section


def test_what_changed_compares_the_last_two_publications_only(index):
    page = disclose(index, summary="第一版")
    page = republish(page, summary="第二版")
    page = republish(page, summary="第二版", year=2024)

    update = changes.last_update(page)

    assert [change.label.lower() for change in update.changes] == ["period"]
    assert "".join(piece.text for piece in update.changes[0].pieces if piece.kind == "deleted")
    assert changes.last_update(disclose(index, "只发布过一次")) is None


def test_publishing_again_unchanged_still_shows_the_update(client, index):
    page = republish(disclose(index))
    body = html(client.get(page.url))
    assert "updated on" in body
    assert "Its text did not change: it was published again as it was." in body


def test_diff_marks_insertions_and_deletions_in_chinese_text_character_by_character():
    pieces = changes.char_diff("本季度支出一百元，收入三百元。", "本季度支出二百元，收入三百元整。")
    assert pieces == (
        changes.Piece("equal", "本季度支出"),
        changes.Piece("deleted", "一"),
        changes.Piece("inserted", "二"),
        changes.Piece("equal", "百元，收入三百元"),
        changes.Piece("inserted", "整"),
        changes.Piece("equal", "。"),
    )


def test_diff_leaves_out_long_unchanged_text_around_the_changes():
    before = "甲" * 100 + "旧" + "乙" * 100
    after = "甲" * 100 + "新" + "乙" * 100
    pieces = changes.char_diff(before, after, context=5)
    assert pieces == (
        changes.Piece("gap"),
        changes.Piece("equal", "甲" * 5),
        changes.Piece("deleted", "旧"),
        changes.Piece("inserted", "新"),
        changes.Piece("equal", "乙" * 5),
        changes.Piece("gap"),
    )


def test_withdrawn_disclosure_shows_banner_with_date_and_reason_and_keeps_its_content(
    client, index, committee
):
    page = disclose(index, body=[paragraph("本季度收支如下。")])
    withdrawal = services.withdraw_disclosure(committee, page, REASON)

    body = html(client.get(page.url))

    banner = body.split('class="withdrawn-banner"')[1].split("</div>")[0]
    assert "<strong>Withdrawn</strong>" in banner
    assert f"on {timezone.localdate(withdrawal.withdrawn_at):%Y-%m-%d}" in banner
    assert f"Reason: {REASON}" in banner
    assert body.index("<h1>") < body.index("withdrawn-banner") < body.index("本季度收支如下。")


@pytest.mark.parametrize("rows", [1, 50])
def test_page_query_count_does_not_grow_with_questions(
    client, index, committee, rows, django_assert_max_num_queries
):
    page = republish(disclose(index, body=[statement()]), summary="更正")
    for number in range(rows):
        question = asked(page, f"问题{number}")
        if number % 2:
            services.answer_question(committee, question, ANSWER)
    with django_assert_max_num_queries(24):
        body = html(client.get(page.url))
    assert body.count('class="card question') == rows


# ---------------------------------------------------------------- the statement as CSV


def statement_url(page, block_id) -> str:
    return f"/pages/disclosures/{page.pk}/statements/{block_id}.csv"


def test_statement_downloads_as_csv_with_its_figures_and_a_unicode_file_name(client, index):
    page = disclose(index, body=[paragraph("说明"), statement()])
    block_id = page.body[1].id

    response = client.get(statement_url(page, block_id))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="statement-{page.pk}-{block_id}.csv"; '
        "filename*=UTF-8''2025%E5%B9%B4%E7%AC%AC%E4%B8%80%E5%AD%A3%E5%BA%A6"
        "%E8%B4%A2%E5%8A%A1%E6%94%B6%E6%94%AF.csv"
    )
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0] == ["Category", "Direction", "Description", "Amount", "Voucher number"]
    assert rows[1] == ["上级拨款", "income", "办公经费拨款", "500.00", "P-001"]
    assert rows[2] == ["办公经费", "expense", "打印纸", "120.50", "'=SUM(A1)"]
    assert rows[-1] == ["Closing balance", "", "", "1379.50", ""]


def test_statement_file_name_keeps_no_character_a_file_system_refuses(client, index):
    page = disclose(index, body=[statement(title='收支/明细:"一季度"')])
    response = client.get(statement_url(page, page.body[0].id))
    assert response["Content-Disposition"].endswith(
        "filename*=UTF-8''%E6%94%B6%E6%94%AF_%E6%98%8E%E7%BB%86__%E4%B8%80%E5%AD%A3%E5%BA%A6_.csv"
    )


def test_statement_csv_is_not_found_for_other_blocks_drafts_and_unknown_pages(client, index):
    page = disclose(index, body=[paragraph("说明"), statement()])
    unpublished = draft(index, body=[statement()])
    assert client.get(statement_url(page, page.body[0].id)).status_code == 404
    assert client.get(statement_url(page, "no-such-block")).status_code == 404
    assert client.get(statement_url(unpublished, unpublished.body[0].id)).status_code == 404
    assert client.get(statement_url(index, "no-such-block")).status_code == 404
    assert client.get(statement_url(DisclosurePage(pk=999999), page.body[1].id)).status_code == 404


# ---------------------------------------------------------------- questions (质询)


def ask(client, page, text=QUESTION):
    return client.post(f"/pages/disclosures/{page.pk}/questions/", {"text": text})


def test_verified_resident_asks_and_the_question_is_public(client, index, community):
    page = disclose(index)
    resident = resident_of(community)

    response = ask(client_of(resident), page, f"<b>{QUESTION}</b><script>alert(1)</script>")

    question = DisclosureQuestion.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{page.url}#question-{question.pk}"
    assert (question.page, question.asker, question.text) == (page, resident, QUESTION)
    assert TraceEntry.objects.filter(action="disclosure.question_asked").count() == 1
    body = html(client.get(page.url))
    assert f'id="question-{question.pk}"' in body and QUESTION in body
    assert resident.display_name not in body
    assert "Not answered yet" in body and "Overdue" not in body


def test_verified_resident_sees_the_form(index, community):
    body = html(client_of(resident_of(community)).get(disclose(index).url))
    assert 'action="/pages/disclosures/' in body and 'name="text"' in body


@pytest.mark.parametrize(
    "who, explanation",
    [
        ("anonymous", "Sign in</a> to ask a question"),
        ("unverified", "verify your home first</a>"),
        ("other community", "verify your home first</a>"),
    ],
)
def test_others_cannot_ask_and_are_told_why(index, community, other_community, who, explanation):
    page = disclose(index)
    client = {
        "anonymous": lambda: Client(),
        "unverified": lambda: client_of(resident_of(community, Membership.Status.PENDING)),
        "other community": lambda: client_of(resident_of(other_community)),
    }[who]()

    assert explanation in html(client.get(page.url))
    assert 'name="text"' not in html(client.get(page.url))
    response = ask(client, page)

    assert response.status_code == 403
    assert explanation in html(response)
    assert not DisclosureQuestion.objects.exists()


@pytest.mark.parametrize(
    "text, error",
    [
        ("", "Write your question."),
        ("   <p> </p>  ", "Write your question."),
        ("问" * 1001, "A question has at most 1000 characters."),
    ],
)
def test_empty_or_too_long_question_is_refused_in_the_form(index, community, text, error):
    page = disclose(index)
    response = ask(client_of(resident_of(community)), page, text)
    assert response.status_code == 400
    body = html(response)
    assert f'<div class="error" id="id_text_error" role="alert"><p>{error}</p></div>' in body
    assert 'aria-invalid="true"' in body
    assert not DisclosureQuestion.objects.exists()


def test_too_long_question_stays_in_the_form_to_shorten(index, community):
    response = ask(client_of(resident_of(community)), disclose(index), "问" * 1001)
    assert "问" * 1001 + "</textarea>" in html(response)


def test_no_question_on_a_draft_and_none_by_get(index, community):
    client = client_of(resident_of(community))
    unpublished = draft(index)
    assert ask(client, unpublished).status_code == 404
    assert client.get(f"/pages/disclosures/{disclose(index).pk}/questions/").status_code == 405
    assert not DisclosureQuestion.objects.exists()


@pytest.fixture
def limits_clock(monkeypatch):
    """The rate limits' clock, stopped 15 seconds into a ten-minute window."""
    clock = SimpleNamespace(now=1_000_080_000 + 15)
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


def test_a_fourth_question_within_ten_minutes_is_refused_in_the_form_and_nothing_is_written(
    index, community, limits_clock
):
    page = disclose(index)
    client = client_of(resident_of(community))
    for n in range(3):
        assert ask(client, page, f"第{n + 1}个问题").status_code == 302
    traced = TraceEntry.objects.count()

    response = ask(client, page, "第4个问题")

    assert response.status_code == 400
    error = "You are doing this too often. Please try again in 10 minutes."
    assert f'<div class="error" id="id_text_error" role="alert"><p>{error}</p></div>' in html(
        response
    )
    assert "第4个问题</textarea>" in html(response)
    assert DisclosureQuestion.objects.count() == 3
    assert TraceEntry.objects.count() == traced


def test_a_limited_resident_asks_again_in_the_next_window_and_neighbours_ask_meanwhile(
    index, community, limits_clock
):
    page = disclose(index)
    resident, neighbour = resident_of(community), resident_of(community)
    for n in range(3):
        services.ask_question(resident, page, f"第{n + 1}个问题")
    with pytest.raises(ValidationError):
        services.ask_question(resident, page, "第4个问题")

    services.ask_question(neighbour, page, "邻居的问题")
    limits_clock.now += 600
    services.ask_question(resident, page, "第4个问题")

    assert DisclosureQuestion.objects.filter(asker=resident).count() == 4


def test_a_refused_empty_question_uses_no_room(index, community, limits_clock):
    page = disclose(index)
    resident = resident_of(community)
    for _ in range(3):
        with pytest.raises(ValidationError):
            services.ask_question(resident, page, " ")
    for n in range(3):
        services.ask_question(resident, page, f"第{n + 1}个问题")
    assert DisclosureQuestion.objects.count() == 3


def test_question_is_overdue_after_exactly_seven_days_and_not_before(client, index, frozen):
    page = disclose(index)
    now = frozen(timezone.now())
    waiting = asked(page, "再等一分钟", at=now - WEEK + MINUTE)
    due = asked(page, "正好七天", at=now - WEEK)

    assert not waiting.is_overdue() and due.is_overdue()
    body = html(client.get(page.url))
    waiting_html = body.split(f'id="question-{waiting.pk}"')[1].split("</article>")[0]
    due_html = body.split(f'id="question-{due.pk}"')[1].split("</article>")[0]
    assert "Overdue" not in waiting_html and "Unanswered for 6 days" in waiting_html
    assert '<span class="badge badge-overdue">Overdue</span>' in due_html
    assert "Unanswered for 7 days" in due_html


def test_answered_question_shows_the_answer_and_its_date(client, index, committee):
    page = disclose(index)
    question = services.answer_question(committee, asked(page), ANSWER)
    body = html(client.get(page.url))
    item = body.split(f'id="question-{question.pk}"')[1].split("</article>")[0]
    assert f"Answered on {timezone.localdate(question.answered_at):%Y-%m-%d}" in item
    assert ANSWER in item and "Unanswered" not in item


# ---------------------------------------------------------------- answering in the back office


def cells(body: str, text: str) -> list[str]:
    """The text of each cell in the listing's row that shows `text`."""
    row = body.split(text, 1)[1].split("</tr>")[0]
    return [cell.strip() for cell in re.findall(r"<td\s*>(.*?)</td>", row, re.S)]


def edit_url(question) -> str:
    return f"{QUESTIONS}edit/{question.pk}/"


def test_editor_lists_the_questions_of_their_community_unanswered_first(
    index, other_index, committee, frozen
):
    page = disclose(index)
    now = frozen(timezone.now())
    answered = services.answer_question(committee, asked(page, "已答复", at=now - 3 * WEEK), "答复")
    old = asked(page, "久未答复", at=now - 2 * WEEK)
    new = asked(page, "新问题", at=now - MINUTE)
    asked(disclose(other_index), "别的社区")

    response = staff_client(committee).get(QUESTIONS)

    assert response.status_code == 200
    assert list(response.context["object_list"]) == [old, new, answered]
    body = html(response)
    assert "overdue" in cells(body, "久未答复")
    assert "waiting for an answer" in cells(body, "新问题")
    assert f'href="{edit_url(old)}"' in body
    assert "别的社区" not in body
    assert f'href="{QUESTIONS}new/"' not in body


def test_editor_filters_the_overdue_questions(index, committee, frozen):
    page = disclose(index)
    now = frozen(timezone.now())
    overdue = asked(page, "逾期", at=now - WEEK)
    asked(page, "未逾期", at=now - WEEK + MINUTE)
    response = staff_client(committee).get(QUESTIONS, {"state": "overdue"})
    assert list(response.context["object_list"]) == [overdue]


def test_editor_answers_and_the_answer_is_public(client, index, committee):
    page = disclose(index)
    question = asked(page)
    editor = staff_client(committee)

    form = editor.get(edit_url(question))
    assert form.status_code == 200
    assert list(form.context["form"].fields) == ["answer"]
    assert QUESTION in html(form)
    response = editor.post(edit_url(question), {"answer": f"<i>{ANSWER}</i>"})

    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.answer, question.answered_by) == (ANSWER, committee)
    assert TraceEntry.objects.filter(action="disclosure.question_answered").count() == 1
    assert ANSWER in html(client.get(page.url))


def test_empty_answer_is_refused_and_nothing_changes(index, committee):
    question = asked(disclose(index))
    response = staff_client(committee).post(edit_url(question), {"answer": "  "})
    assert response.status_code == 200
    assert "Write the answer." in html(response)
    question.refresh_from_db()
    assert not question.is_answered
    assert not TraceEntry.objects.filter(action="disclosure.question_answered").exists()


def test_numbers_written_in_a_question_and_its_answer_are_masked(index, community, committee):
    page = disclose(index)
    question = services.ask_question(resident_of(community), page, "请联系我13812345678")
    services.answer_question(committee, question, "已致电，户主身份证230602199001011234已核对")
    question.refresh_from_db()
    assert question.text == "请联系我138****5678"
    assert question.answer == "已致电，户主身份证230602********1234已核对"


def test_too_long_answer_is_refused_and_nothing_changes(index, committee):
    question = asked(disclose(index))
    response = staff_client(committee).post(
        edit_url(question), {"answer": "答" * (services.ANSWER_MAX_LENGTH + 1)}
    )
    assert response.status_code == 200
    assert f"An answer has at most {services.ANSWER_MAX_LENGTH} characters." in html(response)
    question.refresh_from_db()
    assert not question.is_answered


def test_editor_of_another_community_cannot_see_or_answer(index, other_community):
    question = asked(disclose(index))
    stranger = staff_client(staff_of(other_community))
    assert question not in stranger.get(QUESTIONS).context["object_list"]
    response = stranger.post(edit_url(question), {"answer": "越权答复"})
    assert response.status_code == 404
    question.refresh_from_db()
    assert not question.is_answered


def test_supervisory_committee_and_residents_do_not_answer(index, community):
    question = asked(disclose(index))
    supervisor = staff_client(staff_of(community, "supervisory_committee"))
    assert supervisor.get(QUESTIONS).status_code == 302
    supervisor.post(edit_url(question), {"answer": "答复"})
    client_of(resident_of(community)).post(edit_url(question), {"answer": "答复"})
    question.refresh_from_db()
    assert not question.is_answered


def test_questions_are_neither_added_nor_deleted_in_the_back_office(index, committee):
    question = asked(disclose(index))
    editor = staff_client(committee)
    assert editor.get(f"{QUESTIONS}new/").status_code == 404
    assert editor.post(f"{QUESTIONS}delete/{question.pk}/").status_code == 404
    assert DisclosureQuestion.objects.filter(pk=question.pk).exists()


@pytest.mark.parametrize("rows", [1, 50])
def test_question_listing_query_count_does_not_grow(
    index, committee, rows, django_assert_max_num_queries
):
    page = disclose(index)
    for number in range(rows):
        asked(page, f"问题{number}")
    editor = staff_client(committee)
    with django_assert_max_num_queries(30):
        response = editor.get(QUESTIONS)
    assert len(response.context["object_list"]) == rows


def test_overdue_questions_are_flagged_on_the_dashboard(index, other_community, committee, frozen):
    page = disclose(index)
    now = frozen(timezone.now())
    overdue = asked(page, "逾期未答的问题", at=now - WEEK)
    asked(page, "刚提的问题", at=now - MINUTE)

    body = html(staff_client(committee).get("/admin/"))

    assert "1 question on disclosures is overdue" in body
    assert f'href="{edit_url(overdue)}">逾期未答的问题</a>' in body
    assert "刚提的问题" not in body
    assert f'href="{QUESTIONS}?state=overdue"' not in body  # all of them are listed
    assert "is overdue" not in html(staff_client(staff_of(other_community)).get("/admin/"))


def test_dashboard_shows_the_ten_longest_overdue_and_links_to_all(index, committee, frozen):
    page = disclose(index)
    now = frozen(timezone.now())
    for number in range(11):
        asked(page, f"逾期{number}", at=now - WEEK - number * MINUTE)
    body = html(staff_client(committee).get("/admin/"))
    assert "11 questions on disclosures are overdue" in body
    assert body.count(f'href="{QUESTIONS}edit/') == 10
    assert ">逾期10</a>" in body and ">逾期0</a>" not in body
    assert f'href="{QUESTIONS}?state=overdue"' in body


def test_editors_find_the_questions_in_the_menu(index, community):
    menu_link = f'"url": "{QUESTIONS}"'
    assert menu_link in html(staff_client(staff_of(community)).get("/admin/"))
    supervisor = staff_client(staff_of(community, "supervisory_committee"))
    assert menu_link not in html(supervisor.get("/admin/"))


# ---------------------------------------------------------------- withdrawal


def withdraw_url(page) -> str:
    return f"/admin/disclosures/{page.pk}/withdraw/"


def test_editor_withdraws_with_a_public_reason(client, index, committee):
    page = disclose(index)
    editor = staff_client(committee)
    assert withdraw_url(page) in html(editor.get(f"/admin/pages/{page.pk}/edit/"))

    response = editor.post(withdraw_url(page), {"reason": REASON})

    assert response.status_code == 302
    withdrawal = Withdrawal.objects.get(page=page)
    assert (withdrawal.reason, withdrawal.withdrawn_by) == (REASON, committee)
    assert TraceEntry.objects.filter(action="disclosure.withdrawn", is_public=True).count() == 1
    assert f"Reason: {REASON}" in html(client.get(page.url))
    assert "badge-withdrawn" in html(client.get(index.url))
    assert withdraw_url(page) not in html(editor.get(f"/admin/pages/{page.pk}/edit/"))


@pytest.mark.parametrize(
    "reason, error",
    [
        ("", "Give the reason for withdrawing it; it will be public."),
        (" <br> ", "Give the reason for withdrawing it; it will be public."),
        ("错" * 501, "The reason has at most 500 characters."),
    ],
)
def test_withdrawal_without_a_fit_reason_is_refused(index, committee, reason, error):
    page = disclose(index)
    response = staff_client(committee).post(withdraw_url(page), {"reason": reason})
    assert response.status_code == 400
    assert error in html(response)
    assert not Withdrawal.objects.exists()
    assert not TraceEntry.objects.filter(action="disclosure.withdrawn").exists()


def test_disclosure_cannot_be_withdrawn_twice(index, committee):
    page = disclose(index)
    editor = staff_client(committee)
    editor.post(withdraw_url(page), {"reason": "第一次"})

    form = editor.get(withdraw_url(page))
    response = editor.post(withdraw_url(page), {"reason": "第二次"})

    assert "This disclosure was withdrawn on" in html(form) and 'name="reason"' not in html(form)
    assert response.status_code == 400
    assert "This disclosure has already been withdrawn." in html(response)
    assert list(Withdrawal.objects.values_list("reason", flat=True)) == ["第一次"]


def test_draft_cannot_be_withdrawn(index, committee):
    unpublished = draft(index)
    editor = staff_client(committee)
    assert 'name="reason"' not in html(editor.get(withdraw_url(unpublished)))
    response = editor.post(withdraw_url(unpublished), {"reason": "草稿"})
    assert response.status_code == 400
    assert "Only a published disclosure can be withdrawn." in html(response)
    assert not Withdrawal.objects.exists()


@pytest.mark.parametrize("who", ["other community's committee", "supervisory committee"])
def test_only_editors_of_its_community_withdraw(index, community, other_community, who):
    page = disclose(index)
    user = {
        "other community's committee": lambda: staff_of(other_community),
        "supervisory committee": lambda: staff_of(community, "supervisory_committee"),
    }[who]()
    client = staff_client(user)
    assert client.get(withdraw_url(page)).status_code == 403
    assert client.post(withdraw_url(page), {"reason": "越权"}).status_code == 403
    assert not Withdrawal.objects.exists()
