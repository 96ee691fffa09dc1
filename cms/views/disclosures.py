"""Disclosures beyond what Wagtail serves: what the index and the disclosure pages show
besides their own fields (the filtered list; the withdrawal, what changed and the
questions), residents asking a question, and a finance statement as CSV."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from .. import changes, policies, queries, services
from ..finance import Statement, to_csv
from ..models import DisclosurePage, DisclosureQuestion

INDEX_PAGE_SIZE = 20
STATEMENT_BLOCK = "finance_statement"
# Characters a file name may not hold on common systems, and control characters.
_UNSAFE_IN_FILE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


class DisclosureFilterForm(forms.Form):
    """The index's filters, read from the query string: any of them may be left empty."""

    category = forms.ChoiceField(
        label=gettext_lazy("Category"),
        required=False,
        choices=[("", gettext_lazy("All categories")), *DisclosurePage.Category.choices],
    )
    year = forms.TypedChoiceField(
        label=gettext_lazy("Year"), required=False, coerce=int, empty_value=None
    )
    period_kind = forms.ChoiceField(
        label=gettext_lazy("Period"),
        required=False,
        choices=[("", gettext_lazy("All periods")), *DisclosurePage.PeriodKind.choices],
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [
            ("", _("All years")),
            *((year, str(year)) for year in years),
        ]

    def filters(self) -> dict:
        """The filters that hold a valid value; a value that is not one is left out (and
        the form says so beside its field)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class QuestionForm(forms.Form):
    # Not `required`: the service says what is wrong with an empty or too long question,
    # so residents read one wording whichever way they ask.
    text = forms.CharField(
        label=gettext_lazy("Your question"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": services.QUESTION_MAX_LENGTH}),
        help_text=gettext_lazy(
            "Your question and the committee's answer are public under this disclosure; "
            "your name is not shown."
        ),
    )


@dataclass(frozen=True)
class QuestionRow:
    question: DisclosureQuestion
    overdue: bool
    days_waiting: int


def listing(request, index_page) -> dict:
    """The disclosures under an index page, filtered and paginated by the query string."""
    form = DisclosureFilterForm(request.GET, years=queries.disclosure_years(index_page))
    filters = form.filters()
    disclosures = queries.disclosures_under(index_page, **filters)
    return {
        "form": form,
        "filtered": bool(filters),
        "disclosures": Paginator(disclosures, INDEX_PAGE_SIZE).get_page(request.GET.get("page")),
    }


def extras(request, page: DisclosurePage, *, question_form: QuestionForm | None = None) -> dict:
    """What a disclosure page shows besides its fields: the withdrawal, the latest update
    and what it changed, the questions, and the form to ask one or why one may not."""
    if page.pk is None:  # a preview of a page never saved has none of these yet
        return {}
    now = timezone.now()
    refusal = policies.question_refusal(request.user, page)
    return {
        "withdrawal": queries.withdrawal_of(page),
        "update": changes.last_update(page),
        "questions": [
            QuestionRow(question, question.is_overdue(now), (now - question.asked_at).days)
            for question in queries.questions_on(page)
        ],
        "answer_days": settings.YISHI_QUESTION_ANSWER_DAYS,
        "refusal": refusal,
        "form": question_form or (QuestionForm() if refusal is None else None),
    }


def _visible(request, page) -> bool:
    """Wagtail checks a page's view restrictions when it serves the page; these views
    serve parts of it, so they check them too."""
    return all(restriction.accept_request(request) for restriction in page.get_view_restrictions())


def _live_disclosure(request, page_id: int) -> DisclosurePage:
    page = get_object_or_404(DisclosurePage.objects.live(), pk=page_id)
    if not _visible(request, page):
        raise Http404
    return page


@require_POST
def ask_question(request, page_id: int):
    page = _live_disclosure(request, page_id)
    form = QuestionForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            question = services.ask_question(request.user, page, form.cleaned_data["text"])
        except PermissionDenied:
            # The page explains why (sign in, or verify a home in this community).
            form, status = None, 403
        except ValidationError as error:
            form.add_error("text", error)
        else:
            messages.success(
                request,
                ngettext(
                    "Your question is published. The committee answers within %(days)s day.",
                    "Your question is published. The committee answers within %(days)s days.",
                    settings.YISHI_QUESTION_ANSWER_DAYS,
                )
                % {"days": settings.YISHI_QUESTION_ANSWER_DAYS},
            )
            return redirect(f"{page.get_url(request)}#question-{question.pk}")
    context = {**page.get_context(request), "question_form": form}
    return TemplateResponse(request, page.get_template(request), context, status=status)


def _file_name(text: str) -> str:
    return _UNSAFE_IN_FILE_NAME.sub("_", text).strip() or "statement"


@require_GET
def statement_csv(request, page_id: int, block_id: str):
    """One finance statement of a published disclosure, for a spreadsheet."""
    page = _live_disclosure(request, page_id)
    block = next(
        (b for b in page.body if b.id == block_id and b.block_type == STATEMENT_BLOCK), None
    )
    if block is None:
        raise Http404
    statement = Statement.from_value(block.value)
    name = _file_name(statement.title or page.title)
    response = HttpResponse(to_csv(statement), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{page.pk}-{block_id}.csv"; '
        f"filename*=UTF-8''{quote(name + '.csv', safe='')}"
    )
    return response
