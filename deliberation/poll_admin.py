"""The back office for polls: the listing, creating a poll, its page with the voter roll,
roll corrections, opening, paper ballots, closing, publishing and the tally.

A poll belongs to the place of its electorate. Staff see the polls of the places their
seats reach and act on them only through a seat that carries polls.change_poll there
(the residents' and owners' committees); the party organisation and the supervisory
committee watch. Every change goes through deliberation.services.polls, so the voting
engine checks it and the trace records it.
"""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.admin_url_finder import ModelAdminURLFinder
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import AdminDateTimeInput

from polls import registry
from polls.models import Poll, RollEntry
from polls.services import close_due_polls, close_if_due
from polls.tally import tally

from . import policies, queries
from .models import Building, Community, Compound
from .services import polls as poll_services

ROLL_PAGE_SIZE = 50

# ---------------------------------------------------------------------------- forms

KIND_CHOICES = [
    ("owners", gettext_lazy("Owners: one vote per owner, weighted by floor area")),
    ("households", gettext_lazy("Households: one vote per dwelling with verified residents")),
    ("residents", gettext_lazy("Residents: one vote per verified resident")),
]
QUESTION_KINDS = [
    ("yes_no", gettext_lazy("Agree / disagree / abstain")),
    ("single", gettext_lazy("One choice among options")),
    ("multiple", gettext_lazy("Several choices among options")),
]


def _place_value(place) -> str:
    return f"{type(place).__name__.lower()}:{place.pk}"


def places_in_scope(user, model, action: str) -> list:
    """The communities, compounds and buildings where the person's seats may `action`
    `model` objects: what a place picker offers."""
    scope = policies.back_office_scope(user, model, action)
    return [
        *queries.listing(Community, policies.scope_filter(Community, scope)),
        *queries.listing(Compound, policies.scope_filter(Compound, scope)),
        *queries.listing(Building, policies.scope_filter(Building, scope)),
    ]


def place_choices(places) -> tuple[dict[str, object], list]:
    """A place picker's choices, grouped by level, and the place behind each value."""
    groups = {Community: _("Communities"), Compound: _("Compounds"), Building: _("Buildings")}
    choices = [("", "---------")] + [
        (label, [(_place_value(p), str(p)) for p in places if isinstance(p, model)])
        for model, label in groups.items()
        if any(isinstance(p, model) for p in places)
    ]
    return {_place_value(place): place for place in places}, choices


class PollForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    kind = forms.ChoiceField(label=gettext_lazy("Who votes"), choices=KIND_CHOICES)
    place = forms.ChoiceField(label=gettext_lazy("Where"))
    entrance = forms.CharField(
        label=gettext_lazy("Entrance"),
        max_length=20,
        required=False,
        help_text=gettext_lazy(
            "Only with a building, e.g. 2 or 二单元: then only that entrance votes "
            "(an elevator retrofit, for instance)."
        ),
    )
    rule_name = forms.ChoiceField(
        label=gettext_lazy("Rule set"),
        required=False,
        help_text=gettext_lazy(
            "Left open, owners vote under the rule for ordinary matters of owners (民法典 "
            "第278条), households under the residents' meeting rule and residents by simple "
            "majority. Maintenance funds, rebuilding or a new use of common parts need the "
            "rule for special matters."
        ),
    )
    secrecy = forms.ChoiceField(
        label=gettext_lazy("Secrecy"), choices=Poll.Secrecy.choices, initial=Poll.Secrecy.PUBLIC
    )
    results = forms.ChoiceField(
        label=gettext_lazy("Results"),
        choices=Poll.Results.choices,
        initial=Poll.Results.HIDDEN_UNTIL_CLOSED,
    )
    allow_change = forms.BooleanField(
        label=gettext_lazy("Online ballots may be changed until the poll closes"), required=False
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Opens at"), required=False, widget=AdminDateTimeInput
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes at"), required=False, widget=AdminDateTimeInput
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.places, self.fields["place"].choices = place_choices(places)
        self.fields["rule_name"].choices = [("", _("Suggested for who votes"))] + registry.choices()

    def clean_place(self):
        return self.places[self.cleaned_data["place"]]

    def clean(self):
        data = super().clean()
        if data.get("entrance") and not isinstance(data.get("place"), Building):
            self.add_error("entrance", _("An entrance can only be chosen with a building."))
        opens_at, closes_at = data.get("opens_at"), data.get("closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add_error("closes_at", _("The poll must close after it opens."))
        return data


class QuestionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of question"), choices=QUESTION_KINDS, initial="yes_no"
    )
    text = forms.CharField(label=gettext_lazy("Question"), max_length=300)
    options = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "One option per line, at least two. Not needed for agree / disagree / abstain."
        ),
    )
    max_picks = forms.IntegerField(
        label=gettext_lazy("At most this many choices"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Only for several choices; left empty, any number."),
    )

    def clean(self):
        data = super().clean()
        labels = [line.strip() for line in data.get("options", "").splitlines() if line.strip()]
        data["labels"] = labels
        kind = data.get("kind")
        if kind in ("single", "multiple") and len(labels) < 2:
            self.add_error("options", _("Give at least two options, one per line."))
        elif kind == "multiple" and data.get("max_picks") and data["max_picks"] > len(labels):
            self.add_error("max_picks", _("There are only %(n)d options.") % {"n": len(labels)})
        return data

    def spec(self) -> dict:
        data = self.cleaned_data
        spec = {"kind": data["kind"], "text": data["text"], "options": data["labels"]}
        if data["kind"] == "multiple":
            spec.update(min_picks=1, max_picks=data.get("max_picks") or len(data["labels"]))
        return spec


class BaseQuestionFormSet(forms.BaseFormSet):
    def initial_form_count(self) -> int:
        # Every slot is new, so a slot left blank is left out, not required.
        return 0

    def specs(self) -> list[dict]:
        """The filled-in questions; blank extra slots are left out."""
        return [form.spec() for form in self.forms if form.has_changed() and form.cleaned_data]


QuestionFormSet = forms.formset_factory(
    QuestionForm, formset=BaseQuestionFormSet, extra=0, min_num=1, validate_min=True
)


class RollCorrectionForm(forms.Form):
    change = forms.ChoiceField(
        label=gettext_lazy("Correction"),
        choices=[
            ("area", gettext_lazy("Correct the area")),
            ("remove", gettext_lazy("Remove this entry from the roll")),
        ],
        widget=forms.RadioSelect,
        initial="area",
    )
    area = forms.DecimalField(
        label=gettext_lazy("Corrected area (m²)"),
        required=False,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Recorded in the trace, e.g. the register shows 87.60 m²."),
    )

    def clean(self):
        data = super().clean()
        if data.get("change") == "area" and data.get("area") is None:
            self.add_error("area", _("Give the corrected area, zero or more."))
        return data


SPOILED = "spoiled"


class PaperBallotForm(forms.Form):
    """One paper ballot. The voter is found by their key on the roll or by one of their
    dwellings; a one-question poll offers "spoiled" among its choices."""

    voter = forms.CharField(
        label=gettext_lazy("Voter"),
        max_length=200,
        help_text=gettext_lazy(
            "The voter key shown on the roll (e.g. owner:phone:+8613812345678) or one of "
            "their dwellings exactly as the roll shows it (e.g. 幸福里 3号楼 1单元 301)."
        ),
    )
    scan = forms.FileField(label=gettext_lazy("Scan of the paper ballot"), required=False)

    def __init__(self, *args, poll: Poll, questions, **kwargs):
        super().__init__(*args, **kwargs)
        self.poll = poll
        self.questions = questions
        self.one_question = len(questions) == 1 and questions[0].kind in ("yes_no", "single")
        for question in questions:
            choices = [(str(option.pk), option.label) for option in question.options.all()]
            if question.kind == "multiple":
                field = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
            elif question.kind in ("yes_no", "single"):
                if self.one_question:
                    choices.append((SPOILED, _("spoiled ballot")))
                field = forms.ChoiceField(widget=forms.RadioSelect)
            else:
                continue
            field.choices, field.label, field.required = choices, question.text, False
            self.fields[f"q{question.pk}"] = field
        if not self.one_question:
            self.fields["spoiled"] = forms.BooleanField(
                label=gettext_lazy("Spoiled ballot"), required=False
            )

    @cached_property
    def unsupported(self) -> bool:
        """Ranked and score questions are not entered from paper here."""
        return any(q.kind not in ("yes_no", "single", "multiple") for q in self.questions)

    def clean_voter(self) -> RollEntry:
        text = self.cleaned_data["voter"]
        matches = queries.roll_entries_matching(self.poll, text)
        if not matches:
            raise ValidationError(_("No voter on this poll's roll has this key or dwelling."))
        if len(matches) > 1:
            raise ValidationError(_("Several voters match; enter the voter key from the roll."))
        return matches[0]

    def clean(self):
        data = super().clean()
        if self.unsupported:
            raise ValidationError(_("Ballots with ranked or score questions are entered online."))
        spoiled, choices = bool(data.get("spoiled")), {}
        for question in self.questions:
            picked = data.get(f"q{question.pk}")
            if picked == SPOILED:
                spoiled = True
            elif picked:
                choices[question.pk] = picked
        for question in [] if spoiled else self.questions:
            name = f"q{question.pk}"
            if question.pk not in choices and name not in self.errors:
                self.add_error(name, _("Enter the choice on the ballot, or mark it spoiled."))
        data["spoiled"], data["choices"] = spoiled, {} if spoiled else choices
        return data


# ---------------------------------------------------------------------------- views


def _forbidden(request):
    return render(request, "deliberation/admin/polls/forbidden.html", status=403)


def _may(user, place, action: str) -> bool:
    return policies.can_handle_polls_in(user, place, action)


def _poll(request, pk: int) -> tuple[Poll, object]:
    """The poll and its place, if the person may see it; otherwise it does not exist."""
    try:
        poll = queries.poll_with_roll(pk)
    except Poll.DoesNotExist:
        raise Http404 from None
    place = poll_services.place_of(poll)
    if not _may(request.user, place, "view"):
        raise Http404
    return poll, place


def _context(poll: Poll, title: str, **extra) -> dict:
    return {
        "poll": poll,
        "page_title": title,
        "page_subtitle": poll.title,
        "header_icon": "tasks",
        **extra,
    }


def _act(request, poll: Poll, service, success: str) -> None:
    """Call a service; say what happened or why it was refused. A PermissionDenied
    from the service goes up to the view."""
    try:
        service(request.user, poll)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, success)


def _roll(poll: Poll):
    try:
        return poll.roll
    except Poll.roll.RelatedObjectDoesNotExist:
        return None


def poll_create(request):
    user = request.user
    places = places_in_scope(user, Poll, "add")
    if not places:
        return _forbidden(request)
    data = request.POST if request.method == "POST" else None
    form = PollForm(data, places=places)
    questions = QuestionFormSet(data, prefix="questions")
    if data is not None and "add_question" in data:
        more = data.copy()
        more["questions-TOTAL_FORMS"] = str(int(data.get("questions-TOTAL_FORMS") or 1) + 1)
        form = PollForm(initial=data.dict(), places=places)
        rows = _question_initial(data, int(more["questions-TOTAL_FORMS"]))
        questions = QuestionFormSet(initial=rows, prefix="questions")
        questions.extra = len(rows) - questions.min_num
    elif data is not None and form.is_valid() and questions.is_valid():
        fields = dict(form.cleaned_data)
        try:
            poll = poll_services.create_poll(
                user,
                kind=fields.pop("kind"),
                place=fields.pop("place"),
                entrance=fields.pop("entrance"),
                rule_name=fields.pop("rule_name"),
                questions=questions.specs(),
                **fields,
            )
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The poll “%(title)s” is drafted.") % {"title": poll})
            return redirect("poll_admin:detail", poll.pk)
    return render(
        request,
        "deliberation/admin/polls/create.html",
        {
            "form": form,
            "questions": questions,
            "page_title": _("New poll"),
            "header_icon": "tasks",
        },
    )


def _question_initial(data, total: int) -> list[dict]:
    """What was typed into the question slots, to show again with one more slot."""
    fields = ("kind", "text", "options", "max_picks")
    rows = [{f: data.get(f"questions-{i}-{f}", "") for f in fields} for i in range(total)]
    return [{k: v for k, v in row.items() if v} or {"kind": "yes_no"} for row in rows]


def _current(poll: Poll) -> Poll:
    """The poll closed first if its closing time has passed, as the close_due_polls
    timer would have done."""
    return queries.poll_with_roll(poll.pk) if close_if_due(poll) else poll


def poll_detail(request, pk: int):
    poll, place = _poll(request, pk)
    poll = _current(poll)
    roll = _roll(poll)
    page = Paginator(queries.roll_entries(poll), ROLL_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/admin/polls/detail.html",
        _context(
            poll,
            _("Poll"),
            roll=roll,
            page=page if roll else None,
            can_act=_may(request.user, place, "change"),
            turnout=queries.participation_by_channel(poll),
        ),
    )


def _post_action(request, pk: int, service, success: str):
    poll, place = _poll(request, pk)
    if request.method != "POST":
        return redirect("poll_admin:detail", poll.pk)
    if not _may(request.user, place, "change"):
        return _forbidden(request)
    try:
        _act(request, poll, service, success)
    except PermissionDenied:
        return _forbidden(request)
    return redirect("poll_admin:detail", poll.pk)


def poll_prepare_roll(request, pk: int):
    return _post_action(
        request,
        pk,
        poll_services.prepare_roll,
        _("The voter roll is read from the register. Check it before opening the poll."),
    )


def roll_correct(request, pk: int, entry_pk: int):
    poll, place = _poll(request, pk)
    if not _may(request.user, place, "change"):
        return _forbidden(request)
    entry = queries.roll_entries(poll).filter(pk=entry_pk).select_related("roll__poll").first()
    if entry is None:
        raise Http404
    form = RollCorrectionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll_services.correct_roll_entry(
                request.user,
                entry,
                area=data["area"],
                remove=data["change"] == "remove",
                reason=data["reason"],
            )
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The roll entry of %(voter)s is corrected.") % {"voter": entry.label}
            )
            return redirect("poll_admin:detail", poll.pk)
    return render(
        request,
        "deliberation/admin/polls/correct.html",
        _context(poll, _("Correct a roll entry"), entry=entry, form=form),
    )


def _confirm(request, pk: int, action: str, service, success: str):
    poll, place = _poll(request, pk)
    if not _may(request.user, place, "change"):
        return _forbidden(request)
    if request.method == "POST":
        try:
            _act(request, poll, service, success)
        except PermissionDenied:
            return _forbidden(request)
        return redirect("poll_admin:detail", poll.pk)
    titles = {
        "open": _("Open the poll"),
        "close": _("Close the poll"),
        "publish": _("Publish the result"),
    }
    return render(
        request,
        "deliberation/admin/polls/confirm.html",
        _context(poll, titles[action], action=action, roll=_roll(poll)),
    )


def poll_open(request, pk: int):
    return _confirm(
        request, pk, "open", poll_services.open_poll, _("The poll is open; its roll is frozen.")
    )


def poll_close(request, pk: int):
    return _confirm(
        request,
        pk,
        "close",
        poll_services.close_poll,
        _("The poll is closed; its tally is kept as a record."),
    )


def poll_publish(request, pk: int):
    return _confirm(
        request, pk, "publish", poll_services.publish_result, _("The result is published.")
    )


def paper_ballot(request, pk: int):
    poll, place = _poll(request, pk)
    if not _may(request.user, place, "change"):
        return _forbidden(request)
    questions = list(poll.questions.prefetch_related("options"))
    bound = request.method == "POST"
    form = PaperBallotForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        poll=poll,
        questions=questions,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll_services.enter_paper_ballot(
                request.user,
                poll,
                data["voter"],
                data["choices"],
                spoiled=data["spoiled"],
                scan=data.get("scan"),
            )
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("The paper ballot of %(voter)s is counted.") % {"voter": data["voter"].label},
            )
            return redirect("poll_admin:paper_ballot", poll.pk)
    return render(
        request,
        "deliberation/admin/polls/paper_ballot.html",
        _context(poll, _("Enter a paper ballot"), form=form),
    )


def poll_tally(request, pk: int):
    """The recorded result once the poll is closed; the running count only for a poll
    whose results are live."""
    poll, _place = _poll(request, pk)
    poll = _current(poll)
    figures = None
    if poll.state in (Poll.State.CLOSED, Poll.State.PUBLISHED):
        figures = poll.result.data
    elif poll.state == Poll.State.OPEN and poll.results == Poll.Results.LIVE:
        figures = tally(poll)
    return render(
        request,
        "deliberation/admin/polls/tally.html",
        _context(poll, _("Tally"), figures=figures),
    )


# ---------------------------------------------------------------------------- viewset


class PollIndexView(IndexView):
    def get_base_queryset(self):
        scope = policies.back_office_scope(self.request.user, Poll, "view")
        where = policies.poll_scope_filter(scope)
        close_due_polls(among=Poll.objects.filter(where))
        return queries.poll_listing(where)

    def get_edit_url(self, instance):
        # Every viewer opens the poll's page; what they may do there depends on their seat.
        return reverse("poll_admin:detail", args=(instance.pk,))

    def get_list_more_buttons(self, instance):
        return []


def _rule_label(poll: Poll) -> str:
    return poll.rule.get("label") or poll.rule_name


def _turnout(poll: Poll) -> str:
    if poll.voters is None:
        return _("%(ballots)d / no roll yet") % {"ballots": poll.ballots_cast}
    return f"{poll.ballots_cast} / {poll.voters}"


class PollViewSet(ModelViewSet):
    model = Poll
    name = "polls"
    url_prefix = "polls"
    url_namespace = "poll_admin"  # "polls" is the residents' pages
    icon = "tasks"
    menu_label = gettext_lazy("Polls")
    menu_order = 160
    add_to_admin_menu = True
    index_view_class = PollIndexView
    copy_view_enabled = False
    add_to_reference_index = False
    list_per_page = 50
    search_fields = ["title", "scope_label"]
    list_filter = ["state"]
    list_display = [
        "title",
        "scope_label",
        Column("rule", label=gettext_lazy("Rule set"), accessor=_rule_label),
        "state",
        "secrecy",
        DateColumn("opens_at", label=gettext_lazy("Opens at"), sort_key="opens_at"),
        DateColumn("closes_at", label=gettext_lazy("Closes at"), sort_key="closes_at"),
        Column("turnout", label=gettext_lazy("Ballots cast / voters"), accessor=_turnout),
    ]

    def get_common_view_kwargs(self, **kwargs):
        view_kwargs = super().get_common_view_kwargs(**kwargs)
        view_kwargs.update(
            history_url_name=None,
            usage_url_name=None,
            edit_url_name=self.get_url_name("detail"),
            delete_url_name=None,
        )
        return view_kwargs

    @property
    def url_finder_class(self):
        return type(
            "PollURLFinder", (ModelAdminURLFinder,), {"edit_url_name": self.get_url_name("detail")}
        )

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("new/", poll_create, name="add"),
            path("<int:pk>/", poll_detail, name="detail"),
            path("<int:pk>/roll/prepare/", poll_prepare_roll, name="prepare_roll"),
            path("<int:pk>/roll/<int:entry_pk>/correct/", roll_correct, name="correct_entry"),
            path("<int:pk>/open/", poll_open, name="open"),
            path("<int:pk>/paper/", paper_ballot, name="paper_ballot"),
            path("<int:pk>/close/", poll_close, name="close"),
            path("<int:pk>/publish/", poll_publish, name="publish"),
            path("<int:pk>/tally/", poll_tally, name="tally"),
        ]
