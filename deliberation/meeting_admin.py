"""The back office for councils and meetings: councils and their members, scheduling a
meeting, its agenda, who registered and who came, on-site attendance and paper ballots
of a hybrid or on-site meeting, and the minutes once it has closed.

Staff see the councils and meetings of the places their seats reach
(`policies.meeting_scope_filter`). The seats that run meetings there (the residents'
committee of the community, the owners' committee of a compound) set them up and keep
their record; the property company, the party organisation and the supervisory committee
follow. Every change goes through deliberation.services.meetings, which checks the rule
again and writes the trace.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail.admin.widgets import AdminDateTimeInput

from polls.models import Poll

from . import meeting_forms, policies, queries
from .models import AgendaItem, Building, Council, CouncilMember, Meeting, Minutes, Topic, User
from .phones import normalize_phone
from .poll_admin import PaperBallotForm, place_choices, places_in_scope
from .services import meetings
from .topic_admin import PollChoiceField

PAGE_SIZE = 50
Office = CouncilMember.Office

# ---------------------------------------------------------------------------- forms


class PersonField(forms.CharField):
    """A person with an account, found by the mobile number they signed up with."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "help_text", gettext_lazy("The number they signed up with, e.g. 13812345678.")
        )
        super().__init__(**kwargs)

    def clean(self, value) -> User | None:
        value = super().clean(value)
        if not value:
            return None
        user = User.objects.filter(phone=normalize_phone(value), is_active=True).first()
        if user is None:
            raise ValidationError(
                _("No account has this mobile number. Ask the person to sign up first.")
            )
        return user


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member: CouncilMember) -> str:
        return f"{member.council.name} · {member.user} ({member.get_office_display()})"


class TopicChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, topic: Topic) -> str:
        return f"{topic.title} · {topic.scope_label} · {topic.get_status_display()}"


class PlaceFormMixin:
    """A community, compound or building among those the person may act in, and an
    entrance only with a building."""

    def set_places(self, places) -> None:
        self.places, self.fields["place"].choices = place_choices(places)

    def clean_place(self):
        return self.places[self.cleaned_data["place"]]

    def value_of(self, place) -> str | None:
        return next((value for value, p in self.places.items() if p == place), None)

    def clean_entrance(self) -> str:
        entrance, place = self.cleaned_data["entrance"].strip(), self.cleaned_data.get("place")
        if entrance and place is not None and not isinstance(place, Building):
            raise ValidationError(_("An entrance can only be chosen with a building."))
        return entrance


ENTRANCE_HELP = gettext_lazy(
    "Only with a building, e.g. 2 or 二单元: then it concerns that entrance alone."
)


class CouncilForm(PlaceFormMixin, forms.Form):
    place = forms.ChoiceField(
        label=gettext_lazy("Where"),
        error_messages={"required": gettext_lazy("Choose the council's place.")},
    )
    entrance = forms.CharField(
        label=gettext_lazy("Entrance"), max_length=20, required=False, help_text=ENTRANCE_HELP
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("e.g. 幸福里社区居民议事会, 3号楼楼栋议事会"),
        error_messages={"required": gettext_lazy("Give the council a name.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_places(places)


class CouncilMemberForm(forms.Form):
    person = PersonField(
        label=gettext_lazy("Mobile number of the person"),
        error_messages={"required": gettext_lazy("Give the person's mobile number.")},
    )
    office = forms.ChoiceField(
        label=gettext_lazy("Office"), choices=Office.choices, initial=Office.MEMBER
    )


# The meeting's own fields among the form's; the people and the council are chosen apart.
DETAILS = tuple(
    name for name in meetings.MEETING_FIELDS if name not in ("chair", "secretary", "council")
)


class MeetingDetailsForm(forms.Form):
    """What can be changed while a meeting is scheduled. The chair and the secretary
    are chosen among council members or by their mobile number."""

    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=Meeting.Kind.choices)
    mode = forms.ChoiceField(
        label=gettext_lazy("Mode"), choices=Meeting.Mode.choices, initial=Meeting.Mode.HYBRID
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=100,
        help_text=gettext_lazy("e.g. 3号楼2单元加装电梯听证会"),
        error_messages={"required": gettext_lazy("Give the meeting a title.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts at"),
        widget=AdminDateTimeInput,
        error_messages={"required": gettext_lazy("Say when the meeting starts.")},
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Planned end"), required=False, widget=AdminDateTimeInput
    )
    venue = forms.CharField(
        label=gettext_lazy("Venue"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Where those on site meet, e.g. 社区活动室."),
    )
    registration_limit = forms.IntegerField(
        label=gettext_lazy("Registration limit"),
        required=False,
        min_value=1,
        help_text=gettext_lazy("Leave empty for no limit."),
    )
    speaking_seconds = forms.IntegerField(
        label=gettext_lazy("Speaking time per speaker (seconds)"),
        min_value=meetings.SPEAKING_SECONDS[0],
        max_value=meetings.SPEAKING_SECONDS[1],
        initial=180,
    )
    chair_member = MemberChoiceField(
        label=gettext_lazy("Chair, from a council"),
        queryset=CouncilMember.objects.none(),
        required=False,
    )
    chair_phone = PersonField(label=gettext_lazy("or the chair's mobile number"), required=False)
    secretary_member = MemberChoiceField(
        label=gettext_lazy("Secretary, from a council"),
        queryset=CouncilMember.objects.none(),
        required=False,
    )
    secretary_phone = PersonField(
        label=gettext_lazy("or the secretary's mobile number"), required=False
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("chair_member", "secretary_member"):
            self.fields[name].queryset = members

    def _person(self, data: dict, office: str) -> User | None:
        member, by_phone = data.get(f"{office}_member"), data.get(f"{office}_phone")
        if member and by_phone and member.user_id != by_phone.pk:
            self.add_error(
                f"{office}_phone",
                _("Choose the person from a council or give a mobile number, not both."),
            )
        return by_phone or (member.user if member else None)

    def clean(self):
        data = super().clean()
        starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
        if starts_at and ends_at and ends_at <= starts_at:
            self.add_error("ends_at", _("The meeting must end after it starts."))
        data["chair"] = self._person(data, "chair")
        data["secretary"] = self._person(data, "secretary")
        if data["chair"] and data["chair"] == data["secretary"]:
            self.add_error("secretary_phone", _("The chair and the secretary must be two people."))
        return data

    def service_fields(self) -> dict:
        """The cleaned data as keyword arguments of the meeting services; a chair or
        secretary not named is left to the service (the council's, or the one before)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in DETAILS}
        fields.update({office: data[office] for office in ("chair", "secretary") if data[office]})
        return fields


class MeetingForm(PlaceFormMixin, MeetingDetailsForm):
    """A new meeting: its place (and council) besides its details. Left unnamed, the
    chair and the secretary are those of the council."""

    place = forms.ChoiceField(
        label=gettext_lazy("Where"),
        error_messages={"required": gettext_lazy("Choose where the meeting is held for.")},
    )
    entrance = forms.CharField(
        label=gettext_lazy("Entrance"), max_length=20, required=False, help_text=ENTRANCE_HELP
    )
    council = forms.ModelChoiceField(
        label=gettext_lazy("Council"),
        queryset=Council.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "For a council meeting. Its chair and secretary are taken unless you name others."
        ),
    )
    field_order = ["place", "entrance", "council"]

    def __init__(self, *args, places, councils, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_places(places)
        self.fields["council"].queryset = councils

    def service_fields(self) -> dict:
        data = self.cleaned_data
        fields = super().service_fields()
        fields.update(place=data["place"], entrance=data["entrance"], council=data["council"])
        return fields


class MeetingEditForm(MeetingDetailsForm):
    """A scheduled meeting's details; a chair or secretary left unnamed stays."""

    def __init__(self, *args, meeting: Meeting, **kwargs):
        super().__init__(*args, **kwargs)
        for office in ("chair", "secretary"):
            holder = getattr(meeting, office)
            if holder is not None:
                self.fields[f"{office}_member"].help_text = _("Left empty, %(person)s stays.") % {
                    "person": holder
                }


class AgendaItemForm(forms.Form):
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=100,
        error_messages={"required": gettext_lazy("Give the agenda item a title.")},
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    topic = TopicChoiceField(
        label=gettext_lazy("Topic"),
        queryset=Topic.objects.none(),
        required=False,
        help_text=gettext_lazy("A topic of this community that the item deliberates, if any."),
    )
    poll = PollChoiceField(
        label=gettext_lazy("Poll"),
        queryset=Poll.objects.none(),
        required=False,
        help_text=gettext_lazy("A poll of this place that the chair opens during the item."),
    )

    def __init__(self, *args, topics, polls, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics
        self.fields["poll"].queryset = polls


class AttendanceForm(meeting_forms.OnsiteAttendanceForm):
    """Someone who came in person; their account, if they have one, by mobile number
    (then the name may be left out)."""

    person = PersonField(
        label=gettext_lazy("Mobile number, if they have an account"),
        required=False,
        help_text=gettext_lazy("Links the attendance to their account, so it is counted once."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False

    def clean(self):
        data = super().clean()
        if not data.get("name") and not data.get("person") and not self.errors:
            self.add_error(
                "name", _("Write the name of the person present, or give their mobile number.")
            )
        return data


class OnsiteBallotForm(PaperBallotForm):
    """A paper ballot handed in at the meeting: found on the roll like any paper ballot;
    the meeting's record keeps it, so no scan is asked for."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["scan"]


# ---------------------------------------------------------------------------- helpers


def _forbidden(request):
    # Wagtail turns a raised PermissionDenied into a redirect to the dashboard; say no plainly.
    return render(request, "deliberation/admin/meetings/forbidden.html", status=403)


def _refusal(error: ValidationError) -> str:
    return " ".join(error.messages)


def _may_view(user, scoped) -> bool:
    return policies.can_run_meetings_in(user, scoped.place, "view")


def _may_change_council(user, council: Council) -> bool:
    return policies.can_run_meetings_in(user, council.place, "change")


def _councils(user, action: str):
    return queries.council_listing(policies.meeting_scope_filter(user, action))


def _members(user, action: str):
    """Members of the councils the person may `action` meetings of: who may chair or
    take the minutes."""
    return queries.members_of_councils(_councils(user, action).values("pk"))


def _council(pk: int) -> Council:
    council = queries.council_listing(Q(pk=pk)).first()
    if council is None:
        raise Http404
    return council


def _meeting(pk: int) -> Meeting:
    try:
        return queries.meeting_page(pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _agenda_item(meeting: Meeting, item_pk: int) -> AgendaItem:
    item = meeting.agenda.select_related("poll").filter(pk=item_pk).first()
    if item is None:
        raise Http404
    return item


def _linkable_topics(meeting: Meeting):
    """Topics of the meeting's community that residents can read."""
    return queries.topics(Q(community_id=meeting.community_id) & ~Q(status=Topic.Status.DRAFT))


def _linkable_polls(user, meeting: Meeting):
    """Polls of the meeting's place (its community, or its compound) that the person may
    see."""
    seen = policies.poll_scope_filter(policies.back_office_scope(user, Poll, "view"))
    of_place = policies.poll_scope_filter(frozenset({(meeting.community_id, meeting.compound_id)}))
    return queries.poll_listing(seen & of_place)


def _agenda_form(request, meeting: Meeting, data=None, **kwargs) -> AgendaItemForm:
    return AgendaItemForm(
        data,
        topics=_linkable_topics(meeting),
        polls=_linkable_polls(request.user, meeting),
        **kwargs,
    )


def _takes_onsite(meeting: Meeting) -> bool:
    return meeting.mode in (Meeting.Mode.ONSITE, Meeting.Mode.HYBRID)


def _takes_attendance(meeting: Meeting, minutes: Minutes | None) -> bool:
    """Whether on-site attendance may be recorded now: while the meeting sits, or from
    the paper list within a day of its closing, before the minutes are published."""
    if not _takes_onsite(meeting) or meeting.state == Meeting.State.SCHEDULED:
        return False
    if meeting.state != Meeting.State.CLOSED:
        return True
    recent = timezone.now() - meeting.closed_at <= meetings.ONSITE_LIST_AFTER_CLOSING
    return recent and not (minutes and minutes.is_published)


def _minutes(meeting: Meeting) -> Minutes | None:
    try:
        return meeting.minutes
    except Minutes.DoesNotExist:
        return None


def _back_to(meeting: Meeting, anchor: str = ""):
    url = reverse("meeting_admin:meeting", args=[meeting.pk])
    return redirect(f"{url}#{anchor}" if anchor else url)


# ---------------------------------------------------------------------------- councils


def council_list(request):
    user = request.user
    if not user.has_perm("deliberation.view_council"):
        return _forbidden(request)
    listing = _councils(user, "view")
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/admin/meetings/council_list.html",
        {
            "page": page,
            "can_add": user.has_perm("deliberation.add_council"),
            "page_title": _("Councils"),
            "header_icon": "group",
        },
    )


def council_create(request):
    user = request.user
    places = places_in_scope(user, Meeting, "add")
    if not places or not user.has_perm("deliberation.add_council"):
        return _forbidden(request)
    form = CouncilForm(request.POST if request.method == "POST" else None, places=places)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            council = meetings.create_council(
                user,
                place=data["place"],
                entrance=data["entrance"],
                name=data["name"],
                description=data["description"],
            )
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The council “%(name)s” is set up.") % {"name": council})
            return redirect("council_admin:council", council.pk)
    return render(
        request,
        "deliberation/admin/meetings/council_form.html",
        {"form": form, "page_title": _("New council"), "header_icon": "group"},
    )


def _render_council(request, council: Council, member_form=None):
    user = request.user
    can_change = _may_change_council(user, council)
    if can_change and member_form is None:
        member_form = CouncilMemberForm()
    return render(
        request,
        "deliberation/admin/meetings/council.html",
        {
            "council": council,
            "members": queries.members_of_councils([council.pk]),
            "meetings": queries.meeting_listing().filter(council=council)[:PAGE_SIZE],
            "can_change": can_change,
            "can_schedule": policies.can_run_meetings_in(user, council.place, "add"),
            "member_form": member_form if can_change else None,
            "page_title": _("Council"),
            "page_subtitle": council.name,
            "header_icon": "group",
        },
    )


def council_detail(request, pk: int):
    council = _council(pk)
    if not _may_view(request.user, council):
        return _forbidden(request)
    return _render_council(request, council)


@require_POST
def council_member_add(request, pk: int):
    council = _council(pk)
    user = request.user
    if not _may_change_council(user, council):
        return _forbidden(request)
    form = CouncilMemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("No one was added: see the form below."))
        return _render_council(request, council, member_form=form)
    person = form.cleaned_data["person"]
    try:
        meetings.set_council_member(user, council, person, form.cleaned_data["office"])
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _render_council(request, council, member_form=form)
    messages.success(request, _("%(person)s is on the council now.") % {"person": person})
    return redirect("council_admin:council", council.pk)


@require_POST
def council_member_remove(request, pk: int, member_pk: int):
    council = _council(pk)
    user = request.user
    if not _may_change_council(user, council):
        return _forbidden(request)
    member = council.members.select_related("user").filter(pk=member_pk).first()
    if member is None:
        raise Http404
    try:
        meetings.remove_council_member(user, council, member.user)
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(
            request, _("%(person)s is no longer on the council.") % {"person": member.user}
        )
    return redirect("council_admin:council", council.pk)


council_urlpatterns = [
    path("", council_list, name="index"),
    path("new/", council_create, name="add"),
    path("<int:pk>/", council_detail, name="council"),
    path("<int:pk>/members/add/", council_member_add, name="add_member"),
    path("<int:pk>/members/<int:member_pk>/remove/", council_member_remove, name="remove_member"),
]


# ---------------------------------------------------------------------------- meetings


def meeting_list(request):
    user = request.user
    if not user.has_perm("deliberation.view_meeting"):
        return _forbidden(request)
    listing = queries.back_office_meetings(policies.meeting_scope_filter(user, "view"))
    page = Paginator(listing, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/admin/meetings/meeting_list.html",
        {
            "page": page,
            "can_add": user.has_perm("deliberation.add_meeting"),
            "page_title": _("Meetings"),
            "header_icon": "date",
        },
    )


def meeting_create(request):
    user = request.user
    places = places_in_scope(user, Meeting, "add")
    if not places:
        return _forbidden(request)
    councils = _councils(user, "add")
    data = request.POST if request.method == "POST" else None
    form = MeetingForm(data, places=places, councils=councils, members=_members(user, "add"))
    council_pk = request.GET.get("council", "")
    council = councils.filter(pk=council_pk).first() if council_pk.isdigit() else None
    if data is None and council is not None:
        # "Schedule a meeting" on a council's page: the council and its place.
        form.initial.update(council=council.pk, place=form.value_of(council.place))
    if data is not None and form.is_valid():
        try:
            meeting = meetings.schedule_meeting(user, **form.service_fields())
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, _("The meeting “%(title)s” is scheduled.") % {"title": meeting}
            )
            return redirect("meeting_admin:meeting", meeting.pk)
    return render(
        request,
        "deliberation/admin/meetings/meeting_form.html",
        {
            "form": form,
            "action": reverse("meeting_admin:add"),
            "cancel": reverse("meeting_admin:index"),
            "page_title": _("New meeting"),
            "header_icon": "date",
        },
    )


def _render_meeting(request, meeting: Meeting, **bound):
    user = request.user
    can_manage = policies.can_manage_meeting(user, meeting)
    scheduled = meeting.state == Meeting.State.SCHEDULED
    agenda = list(queries.agenda_of(meeting))
    onsite = _takes_onsite(meeting)
    minutes = _minutes(meeting)
    closed = meeting.state == Meeting.State.CLOSED
    context = {
        "meeting": meeting,
        "agenda": agenda,
        "registrations": queries.registrations_of(meeting),
        "attendance": queries.attendance_of(meeting),
        "counts": queries.attendance_counts(meeting),
        "minutes": minutes,
        "can_manage": can_manage,
        "can_edit": can_manage and scheduled,
        "onsite": onsite,
        "room_url": meetings.meeting_url(meeting),
        "page_title": _("Meeting"),
        "page_subtitle": meeting.title,
        "header_icon": "date",
    }
    if can_manage and not closed:
        context["agenda_form"] = bound.get("agenda_form") or _agenda_form(request, meeting)
    if can_manage and _takes_attendance(meeting, minutes):
        context["attendance_form"] = bound.get("attendance_form") or AttendanceForm(
            buildings=queries.buildings_of(meeting)
        )
    if can_manage and closed and not (minutes and minutes.is_published):
        context["minutes_form"] = bound.get("minutes_form") or meeting_forms.MinutesForm(
            initial={"text": minutes.text if minutes else ""}
        )
    return render(request, "deliberation/admin/meetings/meeting.html", context)


def meeting_detail(request, pk: int):
    meeting = _meeting(pk)
    if not _may_view(request.user, meeting):
        return _forbidden(request)
    return _render_meeting(request, meeting)


def _managed_meeting(request, pk: int) -> tuple[Meeting, bool]:
    """The meeting, and whether the person may manage it."""
    meeting = _meeting(pk)
    return meeting, policies.can_manage_meeting(request.user, meeting)


def meeting_edit(request, pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    if meeting.state != Meeting.State.SCHEDULED:
        messages.error(request, _("Only a meeting that has not opened yet can be changed."))
        return _back_to(meeting)
    data = request.POST if request.method == "POST" else None
    form = MeetingEditForm(
        data,
        meeting=meeting,
        members=_members(request.user, "change"),
        initial={name: getattr(meeting, name) for name in DETAILS},
    )
    if data is not None and form.is_valid():
        try:
            meetings.update_meeting(request.user, meeting, **form.service_fields())
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The meeting is updated."))
            return _back_to(meeting)
    return render(
        request,
        "deliberation/admin/meetings/meeting_form.html",
        {
            "form": form,
            "meeting": meeting,
            "action": reverse("meeting_admin:edit", args=[meeting.pk]),
            "cancel": reverse("meeting_admin:meeting", args=[meeting.pk]),
            "page_title": _("Change the meeting"),
            "page_subtitle": meeting.title,
            "header_icon": "date",
        },
    )


def _agenda_fields(form: AgendaItemForm) -> dict:
    data = form.cleaned_data
    return {name: data[name] for name in ("title", "description", "topic", "poll")}


@require_POST
def agenda_add(request, pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    form = _agenda_form(request, meeting, request.POST)
    if not form.is_valid():
        messages.error(request, _("The item was not added: see the form below."))
        return _render_meeting(request, meeting, agenda_form=form)
    try:
        meetings.add_agenda_item(request.user, meeting, **_agenda_fields(form))
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _render_meeting(request, meeting, agenda_form=form)
    messages.success(request, _("The item is on the agenda."))
    return _back_to(meeting, "agenda")


def agenda_edit(request, pk: int, item_pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    item = _agenda_item(meeting, item_pk)
    data = request.POST if request.method == "POST" else None
    form = _agenda_form(
        request,
        meeting,
        data,
        initial={
            "title": item.title,
            "description": item.description,
            "topic": item.topic_id,
            "poll": item.poll_id,
        },
    )
    if data is not None and form.is_valid():
        try:
            meetings.update_agenda_item(request.user, item, **_agenda_fields(form))
        except PermissionDenied:
            return _forbidden(request)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The agenda item is updated."))
            return _back_to(meeting, "agenda")
    return render(
        request,
        "deliberation/admin/meetings/agenda_item.html",
        {
            "form": form,
            "meeting": meeting,
            "item": item,
            "page_title": _("Agenda item"),
            "page_subtitle": meeting.title,
            "header_icon": "date",
        },
    )


@require_POST
def agenda_move(request, pk: int, item_pk: int, direction: str):
    if direction not in ("up", "down"):
        raise Http404
    return _agenda_step(
        request, pk, item_pk, lambda user, item: meetings.move_agenda_item(user, item, direction)
    )


@require_POST
def agenda_remove(request, pk: int, item_pk: int):
    return _agenda_step(
        request,
        pk,
        item_pk,
        meetings.remove_agenda_item,
        _("The item is taken off the agenda."),
    )


def _agenda_step(request, pk: int, item_pk: int, service, success: str = ""):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    item = _agenda_item(meeting, item_pk)
    try:
        service(request.user, item)
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
    else:
        if success:
            messages.success(request, success)
    return _back_to(meeting, "agenda")


@require_POST
def attendance_add(request, pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    form = AttendanceForm(request.POST, buildings=queries.buildings_of(meeting))
    if not form.is_valid():
        messages.error(request, _("No one was recorded: see the form below."))
        return _render_meeting(request, meeting, attendance_form=form)
    data = form.cleaned_data
    try:
        attendance = meetings.record_onsite_attendance(
            request.user, meeting, name=data["name"], building=data["building"], user=data["person"]
        )
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        return _render_meeting(request, meeting, attendance_form=form)
    messages.success(
        request, _("%(name)s is recorded as present on site.") % {"name": attendance.name}
    )
    return _back_to(meeting, "attendance")


def onsite_ballot(request, pk: int, item_pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    item = _agenda_item(meeting, item_pk)
    if item.poll is None:
        raise Http404
    if not _takes_onsite(meeting):
        messages.error(request, _("An online meeting takes no paper ballots."))
        return _back_to(meeting, "agenda")
    poll = item.poll
    bound = request.method == "POST"
    form = OnsiteBallotForm(
        request.POST if bound else None,
        poll=poll,
        questions=list(poll.questions.prefetch_related("options")),
    )
    if bound and form.is_valid():
        data = form.cleaned_data
        try:
            meetings.enter_onsite_ballot(
                request.user, meeting, item, data["voter"], data["choices"], spoiled=data["spoiled"]
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
            return redirect("meeting_admin:ballot", meeting.pk, item.pk)
    return render(
        request,
        "deliberation/admin/meetings/ballot.html",
        {
            "form": form,
            "meeting": meeting,
            "item": item,
            "poll": poll,
            "page_title": _("Enter a paper ballot"),
            "page_subtitle": f"{meeting.title} · {item.title}",
            "header_icon": "date",
        },
    )


MINUTES_ACTIONS = ("save", "publish", "regenerate")


@require_POST
def minutes_action(request, pk: int):
    meeting, may = _managed_meeting(request, pk)
    if not may:
        return _forbidden(request)
    action = request.POST.get("action", "")
    if action not in MINUTES_ACTIONS:
        messages.error(request, _("Choose to save, publish or draft the minutes again."))
        return _back_to(meeting, "minutes")
    user, minutes = request.user, _minutes(meeting)
    if action == "regenerate":
        form = None
    else:
        form = meeting_forms.MinutesForm(request.POST)
        if minutes is None:
            messages.error(request, _("The minutes have not been drafted yet."))
            return _back_to(meeting, "minutes")
        if not form.is_valid():
            messages.error(request, _("The minutes were not saved: see the form below."))
            return _render_meeting(request, meeting, minutes_form=form)
    try:
        with transaction.atomic():
            if action == "regenerate":
                meetings.draft_minutes(meeting)
                done = _("The minutes are drafted again from the meeting's record.")
            else:
                text = form.cleaned_data["text"]
                if text != minutes.text:
                    minutes = meetings.edit_minutes(user, minutes, text)
                done = _("The minutes are saved.")
                if action == "publish":
                    meetings.publish_minutes(user, minutes)
                    done = _("The minutes are published to the community's minutes index.")
    except PermissionDenied:
        return _forbidden(request)
    except ValidationError as error:
        messages.error(request, _refusal(error))
        if form is None:
            return _back_to(meeting, "minutes")
        return _render_meeting(request, meeting, minutes_form=form)
    messages.success(request, done)
    return _back_to(meeting, "minutes")


urlpatterns = [
    path("", meeting_list, name="index"),
    path("new/", meeting_create, name="add"),
    path("<int:pk>/", meeting_detail, name="meeting"),
    path("<int:pk>/edit/", meeting_edit, name="edit"),
    path("<int:pk>/agenda/add/", agenda_add, name="add_item"),
    path("<int:pk>/agenda/<int:item_pk>/", agenda_edit, name="edit_item"),
    path("<int:pk>/agenda/<int:item_pk>/move/<slug:direction>/", agenda_move, name="move_item"),
    path("<int:pk>/agenda/<int:item_pk>/remove/", agenda_remove, name="remove_item"),
    path("<int:pk>/agenda/<int:item_pk>/ballot/", onsite_ballot, name="ballot"),
    path("<int:pk>/attendance/", attendance_add, name="attendance"),
    path("<int:pk>/minutes/", minutes_action, name="minutes"),
]
