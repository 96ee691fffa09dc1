"""Resident pages of pacts: the list, a pact's page with its text and the amendments to
it, proposing an amendment, an amendment's page, a version, the differences between two
versions, and the drafting committee's page.

Every page works without JavaScript: plain forms that call a service, then redirect
(303) with a message; bad input re-renders the form with what was typed and the reason,
and changes nothing. The pact's page carries the ids and data attributes that the live
module keeps up to date (static/js/pact-live.js, written separately).
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from polls.models import Poll

from .. import pact_queries, pact_text, policies
from ..models import Amendment, AmendmentComment, Article, Pact, PactVersion
from ..pact_forms import (
    AmendmentCommentForm,
    AmendmentForm,
    ArticleForm,
    CompareForm,
    DecisionForm,
    HideCommentForm,
    OpenAmendmentsForm,
    PositionForm,
    PreambleForm,
    ReconcileForm,
    VoteForm,
)
from ..services import pacts as pact_services
from .meetings import _error_text, _see_other, _signed_in_post

S = Pact.State
PACTS_PER_PAGE = 20
STEPS = (S.DRAFTING, S.AMENDING, S.CONSOLIDATING, S.VOTING, S.ADOPTED)
# While these steps last, the pact's page shows the amendments under each article.
AMENDMENT_STEPS = (S.AMENDING, S.CONSOLIDATING)
# The committee edits the working draft, decides and reconciles amendments in these.
EDITING_STEPS = (S.DRAFTING, S.CONSOLIDATING)
DECIDING_STEPS = (S.AMENDING, S.CONSOLIDATING)


# ---------------------------------------------------------------------------- helpers


def _pact(request, pk: int) -> Pact:
    """The pact, once a version of it is published; before that, only for those who
    steer it."""
    try:
        pact = pact_queries.pact_page(pk)
    except Pact.DoesNotExist:
        raise Http404 from None
    if not policies.can_read_pact(request.user, pact):
        raise Http404
    return pact


def _amendment(pact: Pact, pk: int) -> Amendment:
    try:
        return pact_queries.amendment_page(pact, pk)
    except Amendment.DoesNotExist:
        raise Http404 from None


def _url(name: str, pact: Pact, *args, anchor: str = "") -> str:
    url = reverse(f"deliberation:{name}", args=[pact.pk, *args])
    return f"{url}#{anchor}" if anchor else url


def _refuse(request, message: str, pact: Pact, *, status: int = 403):
    return render(
        request,
        "deliberation/pacts/refused.html",
        {"message": message, "pact": pact},
        status=status,
    )


def _viewer(user, pact: Pact) -> dict:
    """What this person may do on the pact's pages, or why not."""
    signed_in = policies.is_signed_in(user)
    may_amend = policies.can_amend_pact(user, pact)
    if not signed_in:
        refusal = _("Sign in to propose, support or oppose amendments.")
    elif not may_amend:
        refusal = _(
            "Only verified residents of this pact's scope take part in amending it; you can "
            "follow it."
        )
    else:
        refusal = None
    return {
        "signed_in": signed_in,
        "may_amend": may_amend,
        "may_steer": policies.can_steer_pact(user, pact),
        "open": pact_services.amendments_open(pact),
        "refusal": refusal,
        "user_id": user.pk if signed_in else None,
    }


def _steps(pact: Pact) -> list[dict]:
    current = STEPS.index(pact.state)
    return [
        {
            "state": state,
            "label": S(state).label,
            "status": "done" if n < current else "current" if n == current else "todo",
        }
        for n, state in enumerate(STEPS)
    ]


def _vote(version: PactVersion | None) -> dict | None:
    """A version's adoption vote and how it ended, if it was put to one."""
    if version is None or version.poll is None:
        return None
    poll = version.poll
    if version.adopted_at:
        outcome = "adopted"
    elif poll.state in (Poll.State.DRAFT, Poll.State.OPEN):
        outcome = "open"
    else:
        outcome = "not_adopted"
    return {"poll": poll, "outcome": outcome}


def _texts(articles: list[Article]) -> list[pact_text.ArticleText]:
    return [pact_text.ArticleText(a.key, a.text, a.heading, a.chapter) for a in articles]


def _with_amendments(request, articles: list[Article], version: PactVersion) -> list:
    """Each article carries the amendments proposed to it, each amendment the viewer's
    position on it."""
    amendments = pact_queries.amendments_of(version)
    sides = pact_queries.positions_of(request.user, amendments)
    by_key: dict[int, list[Amendment]] = {}
    for amendment in amendments:
        amendment.my_side = sides.get(amendment.pk)
        by_key.setdefault(amendment.article_key, []).append(amendment)
    for article in articles:
        article.amendments_here = by_key.get(article.key, [])
    return amendments


# ---------------------------------------------------------------------------- reading


@require_GET
def pact_list(request):
    paginator = Paginator(pact_queries.pact_listing(request.user), PACTS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "deliberation/pacts/list.html", {"page": page})


@require_GET
def pact_detail(request, pk: int):
    pact = _pact(request, pk)
    versions = pact_queries.published_versions(pact)
    for previous, version in zip([None, *versions], versions, strict=False):
        version.previous_number = previous.number if previous else None
    latest = versions[-1] if versions else None
    shown = pact.in_force if pact.state == S.ADOPTED else latest
    articles = pact_queries.articles_of(shown) if shown else []
    amendments = []
    if shown is not None and pact.state in AMENDMENT_STEPS:
        amendments = _with_amendments(request, articles, shown)
    context = {
        "pact": pact,
        "viewer": _viewer(request.user, pact),
        "steps": _steps(pact),
        "versions": versions,
        "latest": latest,
        "version": shown,
        "articles": articles,
        "amendments": amendments,
        "show_amendments": pact.state in AMENDMENT_STEPS,
        "vote": _vote(latest),
        "in_force_vote": _vote(pact.in_force),
        "live_strings": {key: str(text) for key, text in LIVE_STRINGS.items()},
    }
    return render(request, "deliberation/pacts/detail.html", context)


@require_GET
def pact_amendment_card(request, pk: int, amendment: int):
    """One amendment's card as the pact's page shows it to this person: what the live
    page fetches when an amendment arrives or changes."""
    pact = _pact(request, pk)
    try:
        card = pact_queries.amendment_card(pact, amendment)
    except Amendment.DoesNotExist:
        raise Http404 from None
    card.my_side = pact_queries.positions_of(request.user, [card]).get(card.pk)
    context = {"a": card, "pact": pact, "viewer": _viewer(request.user, pact)}
    return render(
        request, "deliberation/pacts/_amendment.html", context | {"back": "pact", "link": True}
    )


LIVE_STRINGS = {
    "connecting": gettext_lazy("Connecting…"),
    "live": gettext_lazy("Live: new amendments and support appear as they come."),
    "reconnecting": gettext_lazy("Connection lost. Reconnecting…"),
    "offline": gettext_lazy("Not live: reload the page to see the latest."),
    "changed": gettext_lazy("This pact has moved on since the page was loaded."),
    "reload": gettext_lazy("Reload"),
    "newAmendment": gettext_lazy("A new amendment has been proposed."),
}


@require_GET
def pact_version(request, pk: int, number: int):
    pact = _pact(request, pk)
    try:
        version = pact_queries.version_of(pact, number)
    except PactVersion.DoesNotExist:
        raise Http404 from None
    context = {
        "pact": pact,
        "version": version,
        "articles": pact_queries.articles_of(version),
        "vote": _vote(version),
        "merged": pact_queries.merged_into(version),
        "in_force": pact.in_force_id == version.pk,
    }
    return render(request, "deliberation/pacts/version.html", context)


def _compare_rows(rows: list[pact_text.ArticleChange]) -> list[dict]:
    """The comparison's rows, each run of unchanged articles folded into one item."""
    items: list[dict] = []
    for row in rows:
        if row.status == pact_text.UNCHANGED:
            if items and "unchanged" in items[-1]:
                items[-1]["unchanged"].append(row)
            else:
                items.append({"unchanged": [row]})
        else:
            items.append({"row": row})
    return items


@require_GET
def pact_compare(request, pk: int):
    pact = _pact(request, pk)
    versions = {v.number: v for v in pact_queries.published_versions(pact)}
    numbers = sorted(versions)
    context = {"pact": pact, "numbers": numbers}
    if len(numbers) < 2:
        context["nothing"] = True
        return render(request, "deliberation/pacts/compare.html", context)
    asked = "from" in request.GET or "to" in request.GET
    data = request.GET if asked else {"from": numbers[-2], "to": numbers[-1]}
    form = CompareForm(data, numbers=numbers)
    context["form"] = form
    if not form.is_valid():
        return render(request, "deliberation/pacts/compare.html", context, status=400)
    old, new = versions[form.cleaned_data["from"]], versions[form.cleaned_data["to"]]
    rows = pact_text.article_diff(
        _texts(pact_queries.articles_of(old)), _texts(pact_queries.articles_of(new))
    )
    context.update(
        {
            "old": old,
            "new": new,
            "items": _compare_rows(rows),
            "counts": pact_text.summary(rows),
            "preamble_ops": pact_text.char_diff(old.preamble, new.preamble)
            if old.preamble != new.preamble
            else None,
        }
    )
    return render(request, "deliberation/pacts/compare.html", context)


# ---------------------------------------------------------------------------- amendments


def _amend_page(request, pact: Pact, article: Article, form: AmendmentForm, status: int = 200):
    return render(
        request,
        "deliberation/pacts/amend.html",
        {"pact": pact, "article": article, "form": form},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def pact_amend(request, pk: int, key: int):
    pact = _pact(request, pk)
    version = pact_services.latest_published(pact)
    article = version.articles.filter(key=key).first() if version else None
    if article is None:
        raise Http404
    if not policies.can_amend_pact(request.user, pact):
        return _refuse(
            request,
            _("Only verified residents of this pact's scope can propose amendments."),
            pact,
        )
    if request.method == "GET":
        if not pact_services.amendments_open(pact):
            messages.error(request, _("This pact is not open for amendments now."))
            return _see_other(_url("pact", pact))
        kind = request.GET.get("kind")
        if kind not in Amendment.Kind.values:
            kind = Amendment.Kind.REPLACE
        initial = {"kind": kind}
        if kind == Amendment.Kind.REPLACE:
            initial.update(text=article.text, heading=article.heading)
        form = AmendmentForm(initial=initial, article=article)
        return _amend_page(request, pact, article, form)
    form = AmendmentForm(request.POST, article=article)
    if form.is_valid():
        data = form.cleaned_data
        try:
            amendment = pact_services.propose_amendment(
                request.user,
                pact,
                article_key=key,
                kind=data["kind"],
                text=data["text"],
                heading=data["heading"],
                rationale=data["rationale"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), pact)
        else:
            messages.success(request, _("Your amendment is proposed."))
            return _see_other(_url("pact", pact, anchor=f"amendment-{amendment.pk}"))
    return _amend_page(request, pact, article, form, status=400)


def _changes(amendment: Amendment) -> dict:
    """What the amendment does to its article, by character."""
    article = amendment.article
    old_text = article.text if article else ""
    kind = amendment.kind
    if kind == Amendment.Kind.REPLACE:
        ops = pact_text.char_diff(old_text, amendment.text)
        old_heading = article.heading if article else ""
        new_heading = amendment.heading or old_heading
        heading_ops = (
            pact_text.char_diff(old_heading, new_heading) if new_heading != old_heading else None
        )
    elif kind == Amendment.Kind.DELETE:
        ops, heading_ops = pact_text.char_diff(old_text, ""), None
    else:
        ops, heading_ops = pact_text.char_diff("", amendment.text), None
    return {"ops": ops, "heading_ops": heading_ops}


def _amendment_page(
    request, pact: Pact, amendment: Amendment, *, comment_form=None, status: int = 200
):
    sides = pact_queries.positions_of(request.user, [amendment])
    amendment.my_side = sides.get(amendment.pk)
    context = {
        "pact": pact,
        "a": amendment,
        "article": amendment.article,
        "viewer": _viewer(request.user, pact),
        "changes": _changes(amendment),
        "comments": pact_queries.comments_of(amendment),
        "comments_open": pact.state in (S.AMENDING, S.CONSOLIDATING),
        "comment_form": comment_form or AmendmentCommentForm(),
        "hide_form": HideCommentForm(),
    }
    return render(request, "deliberation/pacts/amendment.html", context, status=status)


@require_GET
def pact_amendment(request, pk: int, amendment: int):
    pact = _pact(request, pk)
    return _amendment_page(request, pact, _amendment(pact, amendment))


@_signed_in_post("deliberation:pact_amendment")
def pact_position(request, pk: int, amendment: int):
    pact = _pact(request, pk)
    found = _amendment(pact, amendment)
    form = PositionForm(request.POST)
    back_to_pact = request.POST.get("back") == "pact"
    back = (
        _url("pact", pact, anchor=f"amendment-{found.pk}")
        if back_to_pact
        else _url("pact_amendment", pact, found.pk, anchor="positions")
    )
    if not form.is_valid():
        messages.error(request, _("Choose to support or to oppose the amendment."))
        return _see_other(back)
    side = form.side_value()
    try:
        pact_services.take_position(request.user, found, side)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), pact)
    else:
        done = {
            "support": _("You support this amendment."),
            "oppose": _("You oppose this amendment."),
            None: _("Your position is taken back."),
        }[side]
        messages.success(request, done)
    return _see_other(back)


@_signed_in_post("deliberation:pact_amendment")
def pact_comment(request, pk: int, amendment: int):
    pact = _pact(request, pk)
    found = _amendment(pact, amendment)
    form = AmendmentCommentForm(request.POST)
    if form.is_valid():
        try:
            comment = pact_services.comment_on_amendment(
                request.user, found, form.cleaned_data["text"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), pact)
        else:
            messages.success(request, _("Your comment is posted."))
            return _see_other(
                _url("pact_amendment", pact, found.pk, anchor=f"comment-{comment.pk}")
            )
    return _amendment_page(request, pact, found, comment_form=form, status=400)


@_signed_in_post("deliberation:pact_amendment")
def pact_withdraw(request, pk: int, amendment: int):
    pact = _pact(request, pk)
    found = _amendment(pact, amendment)
    try:
        pact_services.withdraw_amendment(request.user, found)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), pact)
    else:
        messages.success(request, _("Your amendment is withdrawn."))
    return _see_other(_url("pact_amendment", pact, found.pk))


# ---------------------------------------------------------------------------- the committee


def _committee_only(view):
    """The committee's page and its forms: for those who steer the pact. Anyone signed
    out is sent to sign in, then to the committee's page."""

    @wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(reverse("deliberation:pact_committee", args=[pk]))
        pact = _pact(request, pk)
        if not policies.can_steer_pact(request.user, pact):
            return _refuse(
                request,
                _("Only the drafting committee, or a committee that runs this place, can do this."),
                pact,
            )
        return view(request, pact, *args, **kwargs)

    return wrapper


def _form_for(bound: tuple | None, name: str, key, make):
    """The form that was posted, if it is this one (to show its errors and what was
    typed), else a fresh one."""
    if bound is not None and bound[0] == name and bound[1] == key:
        return bound[2]
    return make()


def _committee_page(request, pact: Pact, *, bound: tuple | None = None, error: str = ""):
    """The committee's page. `bound` is (form name, key, form) of a form posted with
    bad input, shown again in its place; `error` says at the top what went wrong."""
    draft = pact_queries.working_draft(pact)
    latest = pact_services.latest_published(pact)
    editable = draft is not None and pact.state in EDITING_STEPS
    articles = pact_queries.articles_of(draft) if draft else []
    for article in articles:
        article.edit_form = _form_for(
            bound,
            "edit",
            article.key,
            lambda a=article: ArticleForm(
                initial={"heading": a.heading, "chapter": a.chapter, "text": a.text},
                auto_id=f"id_edit{a.key}_%s",
            ),
        )
        article.add_form = _form_for(
            bound,
            "add",
            article.key,
            lambda a=article: ArticleForm(auto_id=f"id_add{a.key}_%s"),
        )
    deciding = pact.state in DECIDING_STEPS
    waiting = pact_queries.waiting_amendments(pact) if deciding else []
    base = pact_queries.articles_by_key(latest, {a.article_key for a in waiting})
    for amendment in waiting:
        amendment.article = base.get(amendment.article_key)
        amendment.decision_form = _form_for(
            bound,
            "decide",
            amendment.pk,
            lambda a=amendment: DecisionForm(auto_id=f"id_decide{a.pk}_%s"),
        )
    clashes = []
    keys = pact_services.clashing_keys(pact) if deciding else set()
    groups = pact_queries.clashing_amendments(pact, keys, draft)
    in_draft = pact_queries.articles_by_key(draft, keys)
    in_latest = pact_queries.articles_by_key(latest, keys)
    for key in sorted(keys, key=lambda k: in_latest[k].position if k in in_latest else k):
        current = in_draft.get(key) or in_latest.get(key)
        form = _form_for(
            bound,
            "reconcile",
            key,
            lambda c=current, k=key: ReconcileForm(
                initial={"text": c.text if c else "", "heading": c.heading if c else ""},
                auto_id=f"id_reconcile{k}_%s",
            ),
        )
        clashes.append(
            {
                "key": key,
                "article": in_latest.get(key),
                "current": in_draft.get(key),
                "amendments": groups.get(key, []),
                "form": form,
            }
        )
    context = {
        "pact": pact,
        "steps": _steps(pact),
        "draft": draft,
        "latest": latest,
        "articles": articles,
        "editable": editable,
        "first_form": _form_for(bound, "add", None, lambda: ArticleForm(auto_id="id_add0_%s")),
        "preamble_form": _form_for(
            bound,
            "preamble",
            None,
            lambda: PreambleForm(initial={"preamble": draft.preamble if draft else ""}),
        ),
        "waiting": waiting,
        "clashes": clashes,
        "open_form": _form_for(bound, "open", None, OpenAmendmentsForm),
        "vote_form": _form_for(bound, "vote", None, VoteForm),
        "may_start_vote": policies.can_handle_polls_in(request.user, pact.place, "add"),
        "error": error,
    }
    status = 400 if bound is not None or error else 200
    return render(request, "deliberation/pacts/committee.html", context, status=status)


@require_GET
@_committee_only
def pact_committee(request, pact: Pact):
    return _committee_page(request, pact)


def _committee_step(request, pact: Pact, form, name: str, key, call, done: str, anchor: str):
    """Check the form, run the service; on success go back to the committee's page with
    `done`, else show the page again with the form as typed and the reason."""
    if form is not None and not form.is_valid():
        return _committee_page(
            request,
            pact,
            bound=(name, key, form),
            error=_("Nothing was changed: correct the form below."),
        )
    try:
        call(form.cleaned_data if form is not None else None)
    except ValidationError as failure:
        if form is not None:
            form.add_error(None, failure)
            return _committee_page(
                request, pact, bound=(name, key, form), error=_error_text(failure)
            )
        return _committee_page(request, pact, error=_error_text(failure))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), pact)
    messages.success(request, done)
    return _see_other(_url("pact_committee", pact, anchor=anchor))


@require_POST
@_committee_only
def pact_hide_comment(request, pact: Pact, amendment: int, comment: int):
    found = _amendment(pact, amendment)
    target = AmendmentComment.objects.filter(amendment=found, pk=comment).first()
    if target is None:
        raise Http404
    back = _url("pact_amendment", pact, found.pk, anchor=f"comment-{target.pk}")
    form = HideCommentForm(request.POST)
    if not form.is_valid():
        for error in form.errors["reason"]:
            messages.error(request, error)
        return _see_other(back)
    try:
        pact_services.hide_comment(request.user, target, form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), pact)
    else:
        messages.success(request, _("The comment is hidden; the reason shows in its place."))
    return _see_other(back)


@require_POST
@_committee_only
def pact_article_edit(request, pact: Pact, key: int):
    form = ArticleForm(request.POST, auto_id=f"id_edit{key}_%s")
    return _committee_step(
        request,
        pact,
        form,
        "edit",
        key,
        lambda data: pact_services.edit_article(request.user, pact, key, form.article()),
        _("The article is saved."),
        f"draft-{key}",
    )


@require_POST
@_committee_only
def pact_article_add(request, pact: Pact):
    raw = request.POST.get("after", "")
    after = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None
    form = ArticleForm(request.POST, auto_id=f"id_add{after or 0}_%s")
    if raw and after is None:
        form.is_valid()
        form.add_error(None, _("The working draft has no such article."))
    return _committee_step(
        request,
        pact,
        form,
        "add",
        after,
        lambda data: pact_services.add_article(request.user, pact, form.article(), after_key=after),
        _("The article is added."),
        "draft",
    )


@require_POST
@_committee_only
def pact_article_delete(request, pact: Pact, key: int):
    return _committee_step(
        request,
        pact,
        None,
        "delete",
        key,
        lambda data: pact_services.delete_article(request.user, pact, key),
        _("The article is deleted."),
        "draft",
    )


@require_POST
@_committee_only
def pact_preamble(request, pact: Pact):
    form = PreambleForm(request.POST)
    return _committee_step(
        request,
        pact,
        form,
        "preamble",
        None,
        lambda data: pact_services.set_preamble(request.user, pact, data["preamble"]),
        _("The preamble is saved."),
        "draft",
    )


@require_POST
@_committee_only
def pact_decide(request, pact: Pact, amendment: int):
    found = _amendment(pact, amendment)
    form = DecisionForm(request.POST, auto_id=f"id_decide{found.pk}_%s")
    accept = request.POST.get("decision") == "accept"
    return _committee_step(
        request,
        pact,
        form,
        "decide",
        found.pk,
        lambda data: pact_services.decide_amendment(
            request.user, found, accept=data["decision"] == "accept", reason=data["reason"]
        ),
        _("The amendment is accepted.") if accept else _("The amendment is rejected."),
        "waiting",
    )


@require_POST
@_committee_only
def pact_reconcile(request, pact: Pact, key: int):
    form = ReconcileForm(request.POST, auto_id=f"id_reconcile{key}_%s")
    return _committee_step(
        request,
        pact,
        form,
        "reconcile",
        key,
        lambda data: pact_services.reconcile(
            request.user,
            pact,
            key,
            deleted=data["deleted"],
            text=data["text"],
            heading=data["heading"],
            note=data["note"],
        ),
        _("The article is reconciled."),
        "clashes",
    )


@require_POST
@_committee_only
def pact_open(request, pact: Pact):
    form = OpenAmendmentsForm(request.POST)
    return _committee_step(
        request,
        pact,
        form,
        "open",
        None,
        lambda data: pact_services.open_amendments(
            request.user, pact, closes_at=data["closes_at"], summary=data["summary"]
        ),
        _("The version is published and open for amendments."),
        "steps",
    )


@require_POST
@_committee_only
def pact_consolidate(request, pact: Pact):
    return _committee_step(
        request,
        pact,
        None,
        "consolidate",
        None,
        lambda data: pact_services.consolidate(request.user, pact),
        _("Amendments are closed; the committee consolidates them."),
        "steps",
    )


@require_POST
@_committee_only
def pact_start_vote(request, pact: Pact):
    form = VoteForm(request.POST)
    return _committee_step(
        request,
        pact,
        form,
        "vote",
        None,
        lambda data: pact_services.start_vote(
            request.user, pact, summary=data["summary"], closes_at=data["closes_at"]
        ),
        _("The adoption vote is open."),
        "steps",
    )


@require_POST
@_committee_only
def pact_revise(request, pact: Pact):
    return _committee_step(
        request,
        pact,
        None,
        "revise",
        None,
        lambda data: pact_services.start_revision(request.user, pact),
        _("A revision is started from the text in force."),
        "draft",
    )
