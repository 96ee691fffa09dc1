"""Resident pages for topics: the catalog, the topic list, proposing, co-signing,
discussing, following and evaluating, and a person's notifications. Every page works
without JavaScript: plain forms, and a redirect after each successful post."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from polls import registry
from polls.models import Poll

from .. import policies, queries, topic_rules
from ..models import (
    Building,
    Comment,
    Community,
    Compound,
    Follow,
    Topic,
)
from ..services import topics as topic_services
from ..topic_forms import CommentForm, EvaluationForm, ReportForm, TopicFilterForm, TopicForm

S = Topic.Status
TOPICS_PER_PAGE = 20
NOTIFICATIONS_PER_PAGE = 20
FOLLOWED_PER_PAGE = 20
HOME_PANEL_SIZE = 5

# What the public timeline shows of a step's recorded details, in this order.
TIMELINE_DETAILS = (
    ("catalog_entry", gettext_lazy("Matter")),
    ("scope", gettext_lazy("Where it applies")),
    ("households_in_scope", gettext_lazy("Households in scope")),
    ("accepted_by", gettext_lazy("How")),
    ("signatures", gettext_lazy("Co-signing households")),
    ("needed", gettext_lazy("Needed")),
    ("households", gettext_lazy("Households in scope")),
    ("owners", gettext_lazy("Co-signing owners")),
    ("owners_in_scope", gettext_lazy("Owners in scope")),
    ("reason", gettext_lazy("Reason")),
    ("note", gettext_lazy("Meeting or vote")),
    ("scheduled_for", gettext_lazy("Date")),
    ("poll", gettext_lazy("Vote")),
    ("resolution", gettext_lazy("Resolution")),
    ("responsible", gettext_lazy("Responsible party")),
    ("name", gettext_lazy("Name")),
    ("by", gettext_lazy("By")),
    ("text", gettext_lazy("Progress")),
)


# ---------------------------------------------------------------------------- helpers


def _refuse(request, message: str, *, topic: Topic | None = None, status: int = 403):
    return render(
        request,
        "deliberation/topics/refused.html",
        {"message": message, "topic": topic},
        status=status,
    )


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _visible_topic(request, pk: int) -> Topic:
    """The topic with what its page shows; a draft is not found by anyone but its author."""
    try:
        topic = queries.topic(pk)
    except Topic.DoesNotExist:
        raise Http404 from None
    if not policies.can_see_topic(request.user, topic):
        raise Http404
    return topic


def _own_draft(request, pk: int) -> Topic:
    topic = _visible_topic(request, pk)
    if topic.proposed_by_id != request.user.pk:
        raise Http404
    return topic


def _to_topic(topic: Topic | int, anchor: str = ""):
    pk = topic if isinstance(topic, int) else topic.pk
    url = reverse("deliberation:topic", args=[pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


def _signed_in_post(back: str):
    """A POST-only endpoint for signed-in people. Anyone else is sent to sign in and
    then back to the page the form was on (`back`, a URL name taking the view's pk)."""

    def decorator(view):
        @require_POST
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(reverse(back, kwargs=kwargs))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def _with_progress(topics) -> list[Topic]:
    """Each topic with the co-signatures its catalog entry needs for the queue."""
    topics = list(topics)
    for topic in topics:
        topic.households_needed = topic_rules.households_needed(
            topic.catalog_entry, topic.households_in_scope
        )
    return topics


def _timeline(topic: Topic) -> list[dict]:
    steps = []
    for entry in queries.topic_timeline(topic):
        details = []
        for key, label in TIMELINE_DETAILS:
            value = entry.after.get(key)
            if value in (None, "", []):
                continue
            if key == "accepted_by" and value in Topic.AcceptedBy.values:
                value = Topic.AcceptedBy(value).label
            elif key == "scheduled_for" and parse_datetime(value):
                value = date_format(localtime(parse_datetime(value)), "Y-m-d H:i")
            details.append((label, value))
        steps.append({"entry": entry, "details": details})
    return steps


def _poll_outcome(poll: Poll | None) -> list[dict] | None:
    """The decided questions of a linked poll whose result is published, for everyone."""
    if poll is None or poll.state != Poll.State.PUBLISHED:
        return None
    result = getattr(poll, "result", None)
    if result is None:
        return None
    return [
        {"text": q["text"], "passed": q["decision"]["passed"]}
        for q in result.data.get("questions", [])
        if q.get("decision")
    ]


def _viewer(user, topic: Topic) -> dict:
    """What this person may do on the topic's page, or why not."""
    signed_in = policies.is_signed_in(user)

    sign_refusal = None
    if topic.status not in topic_rules.SIGNING_OPEN:
        sign_refusal = (
            _("Co-signing opens when the topic is proposed.")
            if topic.status == S.DRAFT
            else _("Co-signing is closed.")
        )
    elif not signed_in:
        sign_refusal = _("Sign in to co-sign.")
    else:
        sign_refusal = topic_services.signing_refusal(user, topic)

    comment_refusal = None
    if topic.status not in topic_rules.COMMENTS_OPEN:
        comment_refusal = (
            _("The discussion opens when the topic is proposed.")
            if topic.status == S.DRAFT
            else _("The discussion of this topic is closed.")
        )
    elif not signed_in:
        comment_refusal = _("Sign in to take part in the discussion.")
    elif not policies.can_comment(user, topic):
        comment_refusal = _(
            "Only verified residents of this community can take part in the discussion."
        )

    evaluation_refusal = None
    if topic.status == S.CLOSED and signed_in:
        evaluation_refusal = topic_services.evaluation_refusal(user, topic)

    return {
        "signed_in": signed_in,
        "is_author": signed_in and topic.proposed_by_id == user.pk,
        "may_sign": sign_refusal is None,
        "sign_refusal": sign_refusal,
        "may_comment": comment_refusal is None,
        "comment_refusal": comment_refusal,
        "following": signed_in and Follow.objects.filter(topic=topic, user=user).exists(),
        "may_evaluate": topic.status == S.CLOSED and signed_in and evaluation_refusal is None,
        "evaluation_refusal": evaluation_refusal,
    }


def _reply_target(request) -> int | None:
    try:
        return int(request.GET.get("reply", ""))
    except ValueError:
        return None


def _topic_page(
    request,
    topic: Topic,
    *,
    comment_form: CommentForm | None = None,
    reply_to: int | None = None,
    evaluation_form: EvaluationForm | None = None,
    status: int = 200,
):
    viewer = _viewer(request.user, topic)
    comments = list(queries.topic_comments(topic))
    if reply_to is None and comment_form is None:
        reply_to = _reply_target(request)
    if not viewer["may_comment"] or not any(c.pk == reply_to for c in comments):
        reply_to = None
    if reply_to is not None:
        reply_form = comment_form or CommentForm(initial={"parent": reply_to}, auto_id="reply_%s")
        comment_form = CommentForm()
    else:
        reply_form = None
        comment_form = comment_form or CommentForm()
    context = {
        "topic": topic,
        "viewer": viewer,
        "households_needed": topic_rules.households_needed(
            topic.catalog_entry, topic.households_in_scope
        ),
        "residents_meeting_needed": topic_rules.least_for_share(
            topic.households_in_scope, topic_rules.RESIDENTS_MEETING_SHARE
        ),
        "owners_assembly_needed": topic_rules.least_for_share(
            topic.owners_in_scope, topic_rules.OWNERS_ASSEMBLY_SHARE
        ),
        "rule_label": dict(registry.choices()).get(topic.catalog_entry.rule_name, "")
        if topic.catalog_entry.rule_name
        else "",
        "poll_outcome": _poll_outcome(topic.poll),
        "meetings": queries.meetings_on_topic(topic),
        "progress_updates": list(topic.progress_updates.all()),
        "comments": comments,
        "comment_form": comment_form,
        "reply_form": reply_form,
        "reply_to": reply_to,
        "evaluation_form": evaluation_form or EvaluationForm(),
        "timeline": _timeline(topic),
    }
    return render(request, "deliberation/topics/detail.html", context, status=status)


# ---------------------------------------------------------------------------- finding


@require_GET
def topic_list(request):
    entries = list(queries.catalog_of(Community.objects.values("pk")))
    form = TopicFilterForm(
        request.GET or None,
        entries=entries,
        compounds=Compound.objects.select_related("community").order_by("community__name", "name"),
        buildings=Building.objects.select_related("compound__community").order_by(
            "compound__community__name", "compound__name", "name"
        ),
    )
    filters = form.filters() if form.is_bound else {}
    paginator = Paginator(queries.public_topics(**filters), TOPICS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    page.object_list = _with_progress(page.object_list)
    return render(
        request,
        "deliberation/topics/list.html",
        {"form": form, "page": page, "filtered": any(filters.values()) if filters else False},
    )


@require_GET
def catalog(request):
    """Each community's consultation catalog: its groups and the matters in them."""
    communities = list(Community.objects.order_by("name"))
    entries = list(queries.catalog_of([c.pk for c in communities]))
    rule_labels = dict(registry.choices())
    for entry in entries:
        entry.rule_label = rule_labels.get(entry.rule_name, "") if entry.rule_name else ""
    for community in communities:
        top = [e for e in entries if e.community_id == community.pk and e.parent_id is None]
        for group in top:
            group.entries = [e for e in entries if e.parent_id == group.pk]
        community.groups = top
    return render(request, "deliberation/topics/catalog.html", {"communities": communities})


@require_GET
def topic_detail(request, pk: int):
    return _topic_page(request, _visible_topic(request, pk))


# ---------------------------------------------------------------------------- drafts


def _save_draft(request, form: TopicForm, topic: Topic | None = None):
    """Save the form's draft and, if asked, propose it. Returns a redirect, or None with
    the refusal added to the form."""
    data = form.cleaned_data
    try:
        topic = topic_services.save_draft(
            request.user,
            catalog_entry=data["catalog_entry"],
            scope=data["scope"],
            title=data["title"],
            body=data["body"],
            topic=topic,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return None
    if request.POST.get("action") != "propose":
        messages.success(request, _("Draft saved. Only you can see it until you propose it."))
        return _to_topic(topic)
    return _propose(request, topic)


def _propose(request, topic: Topic):
    try:
        topic_services.propose(request.user, topic)
    except ValidationError as error:
        messages.error(
            request,
            _("Your draft is saved but was not proposed: %(reason)s")
            % {"reason": _error_text(error)},
        )
    else:
        messages.success(
            request,
            _("Your topic is public now. Your household has co-signed it; ask your neighbours to."),
        )
    return _to_topic(topic)


@login_required
@require_http_methods(["GET", "POST"])
def topic_new(request):
    memberships = list(queries.verified_memberships_of(request.user))
    if not memberships:
        return render(request, "deliberation/topics/no_membership.html")
    form = TopicForm(request.POST or None, memberships=memberships)
    if request.method == "POST" and form.is_valid():
        try:
            done = _save_draft(request, form)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal))
        if done:
            return done
    return render(
        request,
        "deliberation/topics/form.html",
        {"form": form, "topic": None},
        status=400 if form.is_bound else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_edit(request, pk: int):
    topic = _own_draft(request, pk)
    if topic.status != S.DRAFT:
        messages.error(request, _("A proposed topic can no longer be changed."))
        return _to_topic(topic)
    memberships = list(queries.verified_memberships_of(request.user))
    form = TopicForm(
        request.POST or None, memberships=memberships, initial=TopicForm.initial_of(topic)
    )
    if request.method == "POST" and form.is_valid():
        try:
            done = _save_draft(request, form, topic)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), topic=topic)
        if done:
            return done
    return render(
        request,
        "deliberation/topics/form.html",
        {"form": form, "topic": topic},
        status=400 if form.is_bound else 200,
    )


@_signed_in_post("deliberation:topic")
def topic_propose(request, pk: int):
    topic = _own_draft(request, pk)
    try:
        return _propose(request, topic)
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), topic=topic)


@_signed_in_post("deliberation:topic")
def topic_delete(request, pk: int):
    topic = _own_draft(request, pk)
    try:
        topic_services.delete_draft(request.user, topic)
    except ValidationError as error:
        messages.error(request, _error_text(error))
        return _to_topic(topic)
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), topic=topic)
    messages.success(request, _("The draft was deleted."))
    return redirect("deliberation:my_topics")


# ---------------------------------------------------------------------------- taking part


@_signed_in_post("deliberation:topic")
def topic_sign(request, pk: int):
    topic = _visible_topic(request, pk)
    try:
        signatures = topic_services.sign(request.user, topic)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), topic=topic)
    else:
        messages.success(
            request,
            ngettext(
                "Your household co-signed this topic.",
                "Your %(count)d households co-signed this topic.",
                len(signatures),
            )
            % {"count": len(signatures)},
        )
    return _to_topic(topic, "cosign")


@_signed_in_post("deliberation:topic")
def topic_follow(request, pk: int):
    topic = _visible_topic(request, pk)
    try:
        topic_services.follow(request.user, topic)
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), topic=topic)
    messages.success(request, _("You follow this topic and will be told of each step."))
    return _to_topic(topic)


@_signed_in_post("deliberation:topic")
def topic_unfollow(request, pk: int):
    topic = _visible_topic(request, pk)
    topic_services.unfollow(request.user, topic)
    messages.success(request, _("You no longer follow this topic."))
    return _to_topic(topic)


@_signed_in_post("deliberation:topic")
def topic_comment(request, pk: int):
    topic = _visible_topic(request, pk)
    form = CommentForm(request.POST)
    form.is_valid()
    parent_id = form.cleaned_data.get("parent")
    parent = Comment.objects.filter(pk=parent_id).first() if parent_id is not None else None
    if parent_id is not None and parent is None:
        form.add_error(None, _("You can only reply to a comment on this topic."))
    # A refused reply is shown again under the comment it answers, with its text.
    reply_to = None
    if parent is not None and parent.topic_id == topic.pk:
        reply_to = parent.parent_id or parent.pk
        form.auto_id = "reply_%s"
    if not form.errors:
        try:
            comment = topic_services.post_comment(
                request.user,
                topic,
                text=form.cleaned_data["text"],
                stance=form.cleaned_data["stance"],
                parent=parent,
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), topic=topic)
        else:
            messages.success(request, _("Your comment is posted."))
            return _to_topic(topic, f"comment-{comment.pk}")
    return _topic_page(request, topic, comment_form=form, reply_to=reply_to, status=400)


@_signed_in_post("deliberation:topic")
def topic_evaluate(request, pk: int):
    topic = _visible_topic(request, pk)
    form = EvaluationForm(request.POST)
    if form.is_valid():
        try:
            topic_services.evaluate(
                request.user,
                topic,
                satisfaction=form.cleaned_data["satisfaction"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            # Nothing the person could correct in the form: the page says why.
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("Thank you: your household's evaluation is recorded."))
        return _to_topic(topic, "evaluation")
    return _topic_page(request, topic, evaluation_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def comment_report(request, pk: int):
    comment = get_object_or_404(Comment.objects.select_related("topic", "author"), pk=pk)
    if not policies.can_see_topic(request.user, comment.topic):
        raise Http404
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            topic_services.report_comment(request.user, comment, form.cleaned_data["reason"])
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), topic=comment.topic)
        else:
            messages.success(request, _("Thank you. The moderators will look at the comment."))
            return _to_topic(comment.topic, f"comment-{comment.pk}")
    return render(
        request,
        "deliberation/topics/report.html",
        {"form": form, "comment": comment, "topic": comment.topic},
        status=400 if form.is_bound else 200,
    )


# ---------------------------------------------------------------------------- my topics


@login_required
@require_GET
def my_topics(request):
    user = request.user
    followed = queries.topics(Q(follows__user=user) & ~Q(status=S.DRAFT) & ~Q(proposed_by=user))
    page = Paginator(followed, FOLLOWED_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _with_progress(page.object_list)
    return render(
        request,
        "deliberation/topics/my_topics.html",
        {
            "drafts": queries.topics(Q(proposed_by=user, status=S.DRAFT)),
            "proposed": _with_progress(queries.topics(Q(proposed_by=user) & ~Q(status=S.DRAFT))),
            "page": page,
        },
    )


@login_required
@require_GET
def notifications(request):
    page = Paginator(queries.notifications_of(request.user), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "deliberation/topics/notifications.html",
        {"page": page, "unread": queries.unread_notification_count(request.user)},
    )


@_signed_in_post("deliberation:notifications")
def notifications_read(request):
    count = topic_services.mark_notifications_read(request.user)
    if count:
        messages.success(
            request,
            ngettext(
                "%(count)d notification marked as read.",
                "%(count)d notifications marked as read.",
                count,
            )
            % {"count": count},
        )
    return redirect("deliberation:notifications")


def home_panel(request) -> str | None:
    """Unread notifications and the way to one's topics, on the resident's home page."""
    if not policies.is_signed_in(request.user):
        return None
    return render_to_string(
        "deliberation/topics/home_panel.html",
        {
            "unread": queries.unread_notification_count(request.user),
            "latest": list(queries.notifications_of(request.user)[:HOME_PANEL_SIZE]),
        },
        request=request,
    )
