"""The resident side of the voting engine: the polls a person is on the roll of, the
ballot, the receipt, the results and the printable result notice. Every page works
without JavaScript; poll-results.js only refreshes the results while a poll is open."""

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from . import charts, exports, policies, queries, services
from .forms import BallotForm
from .models import Poll

RECEIPT_CODE = re.compile(f"[{services.RECEIPT_ALPHABET}]{{10}}")
RECEIPTS_PER_PAGE = 500


def _refuse(request, message: str, *, poll: Poll | None = None, status: int = 403):
    return render(request, "polls/refused.html", {"message": message, "poll": poll}, status=status)


def _poll(pk: int) -> Poll:
    """The poll as it stands now: closed first if its closing time has passed, for a
    deployment where no timer runs `close_due_polls`."""
    poll = queries.poll(pk)
    if services.close_if_due(poll):
        poll = queries.poll(pk)
    return poll


def _shown_poll(request, pk: int):
    """The poll, the viewer's entry on its roll, and the answer to give when the poll
    is not shown to them (None when it is)."""
    poll = _poll(pk)
    entry = queries.roll_entry(request.user, poll)
    refusal = None
    if not policies.can_see_poll(request.user, poll, entry):
        refusal = _not_shown(request, poll)
    return poll, entry, refusal


def _not_shown(request, poll: Poll):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return _refuse(request, _("This poll is shown only to the voters on its roll and to staff."))


def _receipt_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw).upper()


def _rule(poll: Poll) -> dict:
    return {
        "rule_words": charts.rule_in_words(poll.rule),
        "noun": charts.heads_noun(poll.rule["counting"]),
        "with_area": poll.rule["counting"] == "owner_area",
        "roll": getattr(poll, "roll", None),
    }


def _results(request, poll: Poll, entry, questions=None) -> dict:
    visible = policies.can_see_results(request.user, poll, entry)
    results = None
    if visible:
        if questions is None:
            max_scores = queries.max_scores(poll)
        else:
            max_scores = {q.pk: q.max_score for q in questions if q.kind == "score"}
        results = charts.present(queries.figures(poll), max_scores)
    return {
        "results": results,
        "live": visible and poll.state == Poll.State.OPEN,
    }


@login_required
@require_GET
def index(request):
    polls = queries.polls_of(request.user)
    services.close_due_polls(among=polls)
    return render(request, "polls/index.html", {"polls": polls})


@require_GET
def detail(request, pk: int):
    poll, entry, refusal = _shown_poll(request, pk)
    if refusal:
        return refusal
    return _poll_page(request, poll, entry)


def _poll_page(request, poll: Poll, entry, form: BallotForm | None = None, status: int = 200):
    participation = queries.participation(poll, entry)
    questions = queries.questions(poll)
    refusal = policies.vote_refusal(request.user, poll, entry, participation)
    if form is None and refusal is None:
        form = BallotForm(questions=questions, prefill=queries.current_choices(participation))
    context = {
        "poll": poll,
        "entry": entry,
        "participation": participation,
        "receipt": queries.receipt_of(participation),
        "questions": questions,
        "form": form,
        "rows": form.rows() if form is not None else None,
        "refusal": refusal,
        **_rule(poll),
        "finished": policies.is_finished(poll),
        **_results(request, poll, entry, questions),
    }
    return render(request, "polls/detail.html", context, status=status)


@login_required
@require_POST
def vote(request, pk: int):
    poll = _poll(pk)
    entry = queries.roll_entry(request.user, poll)
    participation = queries.participation(poll, entry)
    refusal = policies.vote_refusal(request.user, poll, entry, participation)
    if refusal is not None:
        return _refuse(request, refusal, poll=poll if entry is not None else None)
    questions = queries.questions(poll)
    form = BallotForm(request.POST, questions=questions)
    if form.is_valid():
        try:
            cast = services.cast_ballot(
                poll, entry, form.choices, voter=request.user, questions=questions
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if cast.changed:
                messages.success(request, _("Your ballot was changed. Your receipt code stays."))
            if poll.secrecy == Poll.Secrecy.SECRET:
                # Shown once, in this answer only: never in a URL, where proxies and
                # browser history would keep it next to the voter.
                response = render(
                    request, "polls/receipt.html", {"poll": poll, "code": cast.receipt}
                )
                response["Cache-Control"] = "no-store"
                return response
            url = reverse("polls:receipt", args=[poll.pk])
            response = HttpResponseRedirect(f"{url}?{urlencode({'code': cast.receipt})}")
            response.status_code = 303
            return response
    return _poll_page(request, poll, entry, form=form, status=400)


@login_required
@require_GET
def receipt(request, pk: int):
    poll, entry, refusal = _shown_poll(request, pk)
    if refusal:
        return refusal
    code = _receipt_code(request.GET.get("code", ""))
    if not RECEIPT_CODE.fullmatch(code):
        return _refuse(
            request,
            _("That is not a receipt code: a receipt code has 10 letters and digits."),
            poll=poll,
            status=400,
        )
    return render(request, "polls/receipt.html", {"poll": poll, "code": code})


@require_GET
def results(request, pk: int):
    poll, entry, refusal = _shown_poll(request, pk)
    if refusal:
        return refusal
    context = {
        "poll": poll,
        **_rule(poll),
        "finished": policies.is_finished(poll),
        **_results(request, poll, entry),
    }
    if context["results"] is not None:
        context["voters"] = exports.voter_rows(poll)
        context["question_texts"] = [q["text"] for q in context["results"]["questions"]]
    return render(request, "polls/results.html", context)


@require_GET
def results_fragment(request, pk: int):
    poll = _poll(pk)
    entry = queries.roll_entry(request.user, poll)
    if not policies.can_see_poll(request.user, poll, entry):
        return _refuse(
            request, _("This poll is shown only to the voters on its roll and to staff.")
        )
    return render(request, "polls/_results.html", {"poll": poll, **_results(request, poll, entry)})


@require_GET
def notice(request, pk: int):
    poll, entry, refusal = _shown_poll(request, pk)
    if refusal:
        return refusal
    if not policies.can_see_notice(request.user, poll, entry):
        return _refuse(
            request, _("The result notice is issued when the poll closes."), poll=poll, status=404
        )
    context = {
        "poll": poll,
        **_rule(poll),
        **_results(request, poll, entry),
    }
    return render(request, "polls/notice.html", context)


@require_GET
def receipts(request, pk: int):
    poll, entry, refusal = _shown_poll(request, pk)
    if refusal:
        return refusal
    if not policies.can_see_receipts(request.user, poll, entry):
        return _refuse(
            request,
            _("The list of receipt codes is published when the poll closes."),
            poll=poll,
            status=404,
        )
    search = None
    if "code" in request.GET:
        code = _receipt_code(request.GET["code"])
        if RECEIPT_CODE.fullmatch(code):
            search = {"code": code, "found": queries.receipt_counted(poll, code)}
        else:
            search = {
                "code": request.GET["code"],
                "error": _("A receipt code has 10 letters and digits, e.g. 7KX2M9PQ4R."),
            }
    page = Paginator(queries.receipts(poll), RECEIPTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "polls/receipts.html", {"poll": poll, "page": page, "search": search})
