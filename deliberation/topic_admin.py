"""The back office for topics: the triage queue, the committee's steps, moderation, and
the consultation catalog.

Staff see the topics of the places their seats reach (`policies.topic_scope_filter`).
The seats that handle topics there (the residents' committee of the community, the
owners' committee of a compound) take the lifecycle's steps and hide comments; the seat
of the party carrying a resolution out (e.g. the property company) reports progress;
the party organisation and the supervisory committee follow. Every change goes through
deliberation.services, which check the rule again and write the trace.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.ui.tables import Column
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateTimeInput

from polls import registry
from polls.models import Poll
from polls.rules import RuleSetError

from . import policies, queries, topic_rules
from .models import CatalogEntry, Comment, Community, Topic
from .services import catalog
from .services import topics as topic_services

S = Topic.Status
PAGE_SIZE = 50

# ---------------------------------------------------------------------------- forms


class PollChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, poll: Poll) -> str:
        return f"{poll.title} · {poll.scope_label} · {poll.get_state_display()}"


class StepForm(forms.Form):
    """A step of the lifecycle; a step that links a poll offers `polls`."""

    def __init__(self, *args, polls=None, **kwargs):
        super().__init__(*args, **kwargs)
        if "poll" in self.fields:
            self.fields["poll"].queryset = polls if polls is not None else Poll.objects.none()


class DeclineForm(StepForm):
    reason = forms.CharField(
        label=gettext_lazy("Public reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": gettext_lazy("Give the residents a public reason for declining.")
        },
        help_text=gettext_lazy("Shown on the topic's page and its timeline."),
    )


class ScheduleForm(StepForm):
    note = forms.CharField(
        label=gettext_lazy("Meeting or vote"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("e.g. 3号楼加装电梯听证会, 社区议事会第5次会议"),
    )
    scheduled_for = forms.DateTimeField(
        label=gettext_lazy("When"), required=False, widget=AdminDateTimeInput
    )
    poll = PollChoiceField(
        label=gettext_lazy("Poll"),
        queryset=Poll.objects.none(),
        required=False,
        help_text=gettext_lazy("A poll of this topic's community that decides it, if any."),
    )


class ResolveForm(StepForm):
    resolution = forms.CharField(
        label=gettext_lazy("Resolution"),
        max_length=topic_services.RESOLUTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Write down what was resolved.")},
    )
    poll = PollChoiceField(
        label=gettext_lazy("Poll that decided it"),
        queryset=Poll.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "Left empty, the poll the topic was scheduled for. A poll must have closed."
        ),
    )


class ImplementForm(StepForm):
    responsible = forms.ChoiceField(
        label=gettext_lazy("Responsible party"),
        choices=[("", "---------"), *Topic.Responsible.choices],
        error_messages={"required": gettext_lazy("Choose who carries the resolution out.")},
    )
    responsible_name = forms.CharField(
        label=gettext_lazy("Name of the responsible party"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("e.g. 街道城管科, 某某物业公司"),
    )


class ProgressForm(StepForm):
    text = forms.CharField(
        label=gettext_lazy("Progress"),
        max_length=topic_services.PROGRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Write what has been done.")},
        help_text=gettext_lazy("Residents read it on the topic's page."),
    )


class HideCommentForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Public reason for hiding"),
        max_length=topic_services.REASON_MAX,
        error_messages={"required": gettext_lazy("Give a public reason for hiding the comment.")},
    )


class CatalogEntryForm(forms.ModelForm):
    """An entry of a community's catalog. Its community is chosen among those the
    person may edit, and fixed once the entry exists; it can be part of a top-level
    entry of its own community."""

    rule_name = forms.ChoiceField(
        label=gettext_lazy("Rule set"),
        required=False,
        help_text=gettext_lazy("For owners' votes: the rule set that decides."),
    )

    class Meta:
        model = CatalogEntry
        fields = [
            "community",
            "parent",
            "name",
            "covers",
            "level",
            "procedure",
            "rule_name",
            "threshold_households",
            "threshold_percent",
            "position",
        ]

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        community = self.fields["community"]
        community.queryset = communities
        community_ids = communities.values("pk")
        if self.instance.pk:
            community.disabled = True
            community_ids = [self.instance.community_id]
        parents = queries.catalog_of(community_ids).filter(parent=None)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        several = self.instance.pk is None and len(communities) > 1
        if self.instance.pk is None and len(communities) == 1:
            community.initial = communities[0].pk
        self.fields["parent"].queryset = parents
        self.fields["parent"].label_from_instance = lambda entry: (
            f"{entry.community.name} · {entry.name}" if several else entry.name
        )
        self.fields["parent"].help_text = _("Left empty, the entry is a group at the top.")
        self.fields["rule_name"].choices = [("", "---------"), *registry.choices()]

    def clean(self):
        data = super().clean()
        fields = ("threshold_households", "threshold_percent")
        given = [data[field] is not None for field in fields if field in data]
        if len(given) == 2 and given[0] == given[1]:
            # Said here, so that the check constraint's own wording never shows.
            self.add_error(
                "threshold_households",
                _("Give either a number of households or a share of households, not both."),
            )
        return data


# ---------------------------------------------------------------------------- steps


@dataclass(frozen=True)
class Step:
    """One step a topic may take in the back office: the status it leads to (None: it
    stays), its form, the service that takes it, and what staff see."""

    status: str | None
    form: type[StepForm]
    take: Callable
    button: str
    done: str


STEPS: dict[str, Step] = {
    "accept": Step(
        S.ACCEPTED,
        StepForm,
        lambda user, topic, data: topic_services.accept(user, topic),
        gettext_lazy("Accept into the queue"),
        gettext_lazy("The topic is accepted into the queue."),
    ),
    "schedule": Step(
        S.SCHEDULED,
        ScheduleForm,
        lambda user, topic, data: topic_services.schedule(
            user,
            topic,
            note=data["note"],
            scheduled_for=data["scheduled_for"],
            poll=data["poll"],
        ),
        gettext_lazy("Schedule"),
        gettext_lazy("The topic is scheduled."),
    ),
    "deliberated": Step(
        S.DELIBERATED,
        StepForm,
        lambda user, topic, data: topic_services.mark_deliberated(user, topic),
        gettext_lazy("Mark as deliberated"),
        gettext_lazy("The topic is marked as deliberated."),
    ),
    "resolve": Step(
        S.RESOLVED,
        ResolveForm,
        lambda user, topic, data: topic_services.resolve(
            user, topic, resolution=data["resolution"], poll=data["poll"]
        ),
        gettext_lazy("Record the resolution"),
        gettext_lazy("The resolution is recorded."),
    ),
    "implement": Step(
        S.IMPLEMENTING,
        ImplementForm,
        lambda user, topic, data: topic_services.start_implementation(
            user,
            topic,
            responsible=data["responsible"],
            responsible_name=data["responsible_name"],
        ),
        gettext_lazy("Start carrying it out"),
        gettext_lazy("The resolution is being carried out."),
    ),
    "progress": Step(
        None,
        ProgressForm,
        lambda user, topic, data: topic_services.post_progress(user, topic, data["text"]),
        gettext_lazy("Post progress"),
        gettext_lazy("The progress update is posted."),
    ),
    "close": Step(
        S.CLOSED,
        StepForm,
        lambda user, topic, data: topic_services.close(user, topic),
        gettext_lazy("Close the topic"),
        gettext_lazy("The topic is closed; its households may now evaluate it."),
    ),
    "decline": Step(
        S.DECLINED,
        DeclineForm,
        lambda user, topic, data: topic_services.decline(user, topic, data["reason"]),
        gettext_lazy("Decline"),
        gettext_lazy("The topic is declined; residents see the reason."),
    ),
}


def _offered_steps(user, topic: Topic) -> list[str]:
    """The steps the person may take on the topic now: the legal moves of its status
    for those who manage it, progress for the responsible party while it is carried out."""
    managing = policies.can_manage_topic(user, topic)
    legal = topic_rules.TRANSITIONS.get(topic.status, frozenset())
    names = []
    for name, step in STEPS.items():
        if step.status is None:
            if topic.status == S.IMPLEMENTING and policies.can_post_progress(user, topic):
                names.append(name)
        elif managing and step.status in legal:
            names.append(name)
    return names


def _may_take(user, topic: Topic, name: str) -> bool:
    if STEPS[name].status is None:
        return policies.can_post_progress(user, topic)
    return policies.can_manage_topic(user, topic)


def _linkable_polls(user, topic: Topic):
    """Polls of the topic's community that the person may see."""
    seen = policies.poll_scope_filter(policies.back_office_scope(user, Poll, "view"))
    of_community = policies.poll_scope_filter(frozenset({(topic.community_id, None)}))
    return queries.poll_listing(seen & of_community)


# ---------------------------------------------------------------------------- views


def _forbidden(request):
    # Wagtail turns a raised PermissionDenied into a redirect to the dashboard; say no plainly.
    return render(request, "deliberation/admin/topics/forbidden.html", status=403)


def _error_messages(error: ValidationError) -> str:
    return " ".join(error.messages)


def _topic(pk: int) -> Topic:
    """A public topic; drafts are their writer's alone."""
    try:
        topic = queries.topic(pk)
    except Topic.DoesNotExist:
        raise Http404 from None
    if not topic.is_public:
        raise Http404
    return topic


def queue_of(user):
    """The person's triage queue; the menu item counts this same queryset."""
    return queries.triage_queue(policies.topic_scope_filter(user, "view"))


def _moderated_comments(user) -> Q:
    """Comments on the topics the person may manage, where they may hide comments."""
    if not user.has_perm("deliberation.change_topic"):
        return Q(pk__in=[])
    return policies.scope_filter(Comment, policies.back_office_scope(user, Topic, "change"))


# Drafts are their writer's alone and never listed for staff.
STATUS_FILTERS = [(status, label) for status, label in S.choices if status != S.DRAFT]


def topic_queue(request):
    user = request.user
    if not user.has_perm("deliberation.view_topic"):
        return _forbidden(request)
    status = request.GET.get("status", "")
    where = policies.topic_scope_filter(user, "view")
    if status == "all":
        listing = queries.topics(where & ~Q(status=S.DRAFT))
    elif status in dict(STATUS_FILTERS):
        listing = queries.topics(where & Q(status=status))
    else:
        status, listing = "", queries.triage_queue(where)
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    for topic in page.object_list:
        topic.households_needed = topic_rules.households_needed(
            topic.catalog_entry, topic.households_in_scope
        )
        topic.days_waiting = (now - topic.proposed_at).days if topic.proposed_at else None
    can_moderate = user.has_perm("deliberation.change_topic")
    return render(
        request,
        "deliberation/admin/topics/queue.html",
        {
            "page": page,
            "status": status,
            "statuses": STATUS_FILTERS,
            "can_moderate": can_moderate,
            "reported": (
                queries.reported_comments(_moderated_comments(user)).count() if can_moderate else 0
            ),
            "page_title": _("Topics"),
            "header_icon": "clipboard-list",
        },
    )


def _with_hide_forms(comments, can_hide: bool) -> None:
    """Give each visible comment its own hide form (ids stay unique on the page)."""
    for comment in comments:
        if can_hide and not comment.is_hidden:
            comment.hide_form = HideCommentForm(auto_id=f"hide-{comment.pk}-%s")


def _render_topic(request, topic: Topic, bound: dict | None = None, status: int = 200):
    user = request.user
    names = _offered_steps(user, topic)
    polls = None
    if any("poll" in STEPS[name].form.base_fields for name in names):
        polls = _linkable_polls(user, topic)
    forms_by_step = {}
    for name in names:
        form = (bound or {}).get(name)
        if form is None:
            # A second hearing or the resolution keeps the poll already linked.
            form = STEPS[name].form(initial={"poll": topic.poll_id}, polls=polls)
        forms_by_step[name] = form
    steps = [(name, STEPS[name], form) for name, form in forms_by_step.items()]
    can_manage = policies.can_manage_topic(user, topic)
    comments = list(queries.topic_comments(topic).prefetch_related("reports", "replies__reports"))
    for comment in comments:
        _with_hide_forms([comment, *comment.replies.all()], can_manage)
    entry = topic.catalog_entry
    try:
        rule_label = registry.get_ruleset(entry.rule_name).label if entry.rule_name else ""
    except RuleSetError:
        rule_label = entry.rule_name
    poll_url = None
    if topic.poll and policies.can_watch_poll(user, topic.poll):
        poll_url = reverse("poll_admin:detail", args=[topic.poll_id])
    return render(
        request,
        "deliberation/admin/topics/topic.html",
        {
            "topic": topic,
            "entry": entry,
            "rule_label": rule_label,
            "households_needed": topic_rules.households_needed(entry, topic.households_in_scope),
            "steps": steps,
            "can_manage": can_manage,
            "comments": comments,
            "progress_updates": topic.progress_updates.select_related("author"),
            "poll_url": poll_url,
            "public_url": topic_services.topic_url(topic),
            "page_title": _("Topic"),
            "page_subtitle": topic.title,
            "header_icon": "clipboard-list",
        },
        status=status,
    )


def topic_detail(request, pk: int):
    topic = _topic(pk)
    if not policies.can_open_topic_in_back_office(request.user, topic):
        return _forbidden(request)
    return _render_topic(request, topic)


@require_POST
def topic_step(request, pk: int, step: str):
    if step not in STEPS:
        raise Http404
    topic = _topic(pk)
    user = request.user
    if not policies.can_open_topic_in_back_office(user, topic) or not _may_take(user, topic, step):
        return _forbidden(request)
    polls = _linkable_polls(user, topic) if "poll" in STEPS[step].form.base_fields else None
    form = STEPS[step].form(request.POST, polls=polls)
    if form.is_valid():
        try:
            STEPS[step].take(user, topic, form.cleaned_data)
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            messages.error(request, _error_messages(error))
        else:
            messages.success(request, STEPS[step].done)
            return redirect("topic_admin:topic", topic.pk)
    else:
        messages.error(request, _("The step was not taken: see the form below."))
    return _render_topic(request, topic, bound={step: form})


def reported_comments(request):
    user = request.user
    if not user.has_perm("deliberation.change_topic"):
        return _forbidden(request)
    listing = queries.reported_comments(_moderated_comments(user))
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    _with_hide_forms(page.object_list, True)
    return render(
        request,
        "deliberation/admin/topics/reported.html",
        {"page": page, "page_title": _("Reported comments"), "header_icon": "warning"},
    )


@require_POST
def hide_comment(request, pk: int):
    comment = Comment.objects.select_related("topic").filter(pk=pk).first()
    if comment is None:
        raise Http404
    if not policies.can_manage_topic(request.user, comment.topic):
        return _forbidden(request)
    form = HideCommentForm(request.POST)
    if form.is_valid():
        try:
            topic_services.hide_comment(request.user, comment, form.cleaned_data["reason"])
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            messages.error(request, _error_messages(error))
        else:
            messages.success(request, _("The comment is hidden; its place shows your reason."))
    else:
        messages.error(request, " ".join(form.errors["reason"]))
    return redirect(
        get_valid_next_url_from_request(request)
        or reverse("topic_admin:topic", args=[comment.topic_id])
    )


urlpatterns = [
    path("", topic_queue, name="queue"),
    path("reported/", reported_comments, name="reported"),
    path("<int:pk>/", topic_detail, name="topic"),
    path("<int:pk>/<slug:step>/", topic_step, name="step"),
    path("comments/<int:pk>/hide/", hide_comment, name="hide_comment"),
]


# ---------------------------------------------------------------------------- the catalog


def _catalog_communities(user, action: str):
    """The communities whose catalog the person may `action` (view, add, change, delete):
    a catalog belongs to the whole community, so only seats of a whole community count."""
    scope = policies.back_office_scope(user, CatalogEntry, action)
    return queries.listing(Community, policies.scope_filter(Community, scope)).order_by("name")


def _catalog(user, action: str):
    return queries.catalog_of(_catalog_communities(user, action).values("pk"))


class CatalogIndexView(IndexView):
    def get_base_queryset(self):
        return _catalog(self.request.user, "view")

    @cached_property
    def _reach(self) -> dict[str, set[int]]:
        user = self.request.user
        return {
            action: set(_catalog_communities(user, action).values_list("pk", flat=True))
            for action in ("change", "delete")
        }

    def get_edit_url(self, instance):
        url = super().get_edit_url(instance)
        return url if url and instance.community_id in self._reach["change"] else None

    def get_delete_url(self, instance):
        url = super().get_delete_url(instance)
        return url if url and instance.community_id in self._reach["delete"] else None


class CatalogFormMixin:
    scope_action = "add"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["communities"] = _catalog_communities(self.request.user, self.scope_action)
        return kwargs

    def save_instance(self):
        return catalog.save_entry(
            self.request.user, self.form.save(commit=False), created=self.scope_action == "add"
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except PermissionDenied:
            return _forbidden(self.request)
        except ValidationError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


class CatalogCreateView(CatalogFormMixin, CreateView):
    scope_action = "add"


class CatalogEditView(CatalogFormMixin, EditView):
    scope_action = "change"

    def get_queryset(self):
        return _catalog(self.request.user, "change")


class CatalogDeleteView(DeleteView):
    def get_queryset(self):
        return _catalog(self.request.user, "delete")

    def form_valid(self, form):
        try:
            catalog.delete_entry(self.request.user, self.object)
        except PermissionDenied:
            return _forbidden(self.request)
        except ValidationError as error:
            messages.error(self.request, _error_messages(error))
        else:
            messages.success(self.request, self.get_success_message())
        return redirect(self.get_success_url())


class CatalogViewSet(ModelViewSet):
    """The consultation catalog of the communities the person's seats reach; the
    residents' committee edits its own through deliberation.services.catalog."""

    model = CatalogEntry
    name = "catalog"
    icon = "list-ul"
    menu_label = gettext_lazy("Consultation catalog")
    menu_order = 175
    add_to_admin_menu = True
    index_view_class = CatalogIndexView
    add_view_class = CatalogCreateView
    edit_view_class = CatalogEditView
    delete_view_class = CatalogDeleteView
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    search_fields = ["name", "covers"]
    list_filter = ["level", "procedure"]
    list_display = [
        "name",
        "parent",
        "community",
        "level",
        "procedure",
        "rule_name",
        Column("threshold", label=gettext_lazy("Co-signing needed"), accessor="threshold_label"),
    ]

    def get_form_class(self, for_update=False):
        return CatalogEntryForm

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(history_url_name=None, usage_url_name=None)
        return view_kwargs

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", self.add_view, name="add"),
            path("edit/<int:pk>/", self.edit_view, name="edit"),
            path("delete/<int:pk>/", self.delete_view, name="delete"),
        ]
