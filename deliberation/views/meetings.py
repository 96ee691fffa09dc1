"""Resident pages of meetings: the list, a meeting's page with its live room, and the
secretary's page.

Every page works without JavaScript. The room is rendered from the same snapshot the
live room sends on joining (`queries.room_snapshot`), and each of its actions is a plain
form that calls the same service as the room's socket, then redirects back (303). With
JavaScript, static/js/meeting-room.js sends those forms over the socket instead and
keeps the same elements up to date.
"""

from datetime import datetime
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from polls import policies as poll_policies
from polls import queries as poll_queries
from polls.forms import BallotForm
from polls.models import Poll

from .. import policies, queries
from ..meeting_forms import (
    ChairActionForm,
    MeetingFilterForm,
    MinutesForm,
    OnsiteAttendanceForm,
    OnsiteVoterForm,
    RaiseHandForm,
    RegistrationForm,
    RoomCommentForm,
)
from ..models import AgendaItem, Meeting, RoomComment, SpeakerRequest
from ..services import meetings as meeting_services
from ..services import room

MEETINGS_PER_PAGE = 20
SITTING = (Meeting.State.OPEN, Meeting.State.PAUSED)
# Questions the room's own little ballot can ask; other polls are voted on their page.
ROOM_BALLOT_KINDS = ("yes_no", "single")


# ---------------------------------------------------------------------------- helpers


def _see_other(url: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _to_meeting(meeting: Meeting, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("deliberation:meeting", args=[meeting.pk])
    return _see_other(f"{url}#{anchor}" if anchor else url)


def _to_secretary(meeting: Meeting, anchor: str = "") -> HttpResponseRedirect:
    url = reverse("deliberation:meeting_secretary", args=[meeting.pk])
    return _see_other(f"{url}#{anchor}" if anchor else url)


def _meeting(pk: int) -> Meeting:
    try:
        return queries.meeting_page(pk)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


def _refuse(request, message: str, meeting: Meeting, *, status: int = 403):
    return render(
        request,
        "deliberation/meetings/refused.html",
        {"message": message, "meeting": meeting},
        status=status,
    )


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


def _clock(seconds: int) -> str:
    """A duration as m:ss; an overrun as -m:ss."""
    sign = "-" if seconds < 0 else ""
    minutes, rest = divmod(abs(int(seconds)), 60)
    return f"{sign}{minutes}:{rest:02d}"


def _at(value: str | None) -> datetime | None:
    return parse_datetime(value) if value else None


def _room(snapshot: dict) -> dict:
    """The snapshot as the template shows it: times as datetimes, the speech's time left."""
    comments = [
        comment if comment.get("hidden") else {**comment, "at": _at(comment.get("at"))}
        for comment in snapshot["comments"]
    ]
    floor = snapshot["speakers"]["floor"]
    if floor is not None:
        began_at = _at(floor["began_at"])
        elapsed = (timezone.now() - began_at).total_seconds() if began_at else 0
        remaining = int(floor["seconds"] - elapsed)
        floor = {
            **floor,
            "remaining": _clock(remaining),
            "overtime": remaining < 0,
            "limit": _clock(floor["seconds"]),
        }
    current = snapshot["current_item"]
    you = snapshot["you"]["user"]
    if floor is not None and you is not None and floor["user"] == you:
        hand = "speaking"
    elif any(waiting["user"] == you for waiting in snapshot["speakers"]["queue"]):
        hand = "waiting"
    else:
        hand = "none"
    return {
        **snapshot,
        "comments": comments,
        "floor": floor,
        "queue": snapshot["speakers"]["queue"],
        "current_title": next(
            (item["title"] for item in snapshot["agenda"] if item["id"] == current), ""
        ),
        "hand": hand,
    }


def _viewer(user, meeting: Meeting, role: str | None) -> dict:
    """What this person may do on the meeting's page, or why not."""
    signed_in = policies.is_signed_in(user)
    participant = policies.room_allows(role, policies.PARTICIPANT)
    if not signed_in:
        take_part_refusal = _("Sign in to take part in the meeting.")
    elif not participant:
        take_part_refusal = _(
            "Only verified residents of the meeting's scope, its council and the committees "
            "of the community take part; you can follow the meeting."
        )
    else:
        take_part_refusal = None
    return {
        "signed_in": signed_in,
        "role": role,
        "participant": participant,
        "is_secretary": policies.room_allows(role, policies.SECRETARY),
        "is_chair": policies.room_allows(role, policies.CHAIR),
        "take_part_refusal": take_part_refusal,
    }


def _poll_panel(user, meeting: Meeting) -> dict | None:
    """The current item's vote as the room shows it: a small ballot when this person may
    vote and the questions are yes/no or single choice, otherwise the way to the poll's
    own page."""
    item = meeting.current_item
    poll = item.poll if item is not None else None
    if poll is None:
        return None
    entry = poll_queries.roll_entry(user, poll)
    participation = poll_queries.participation(poll, entry)
    refusal = poll_policies.vote_refusal(user, poll, entry, participation)
    rows = None
    if poll.state == Poll.State.OPEN and refusal is None:
        questions = poll_queries.questions(poll)
        if all(q.kind in ROOM_BALLOT_KINDS for q in questions):
            prefill = poll_queries.current_choices(participation)
            rows = BallotForm(questions=questions, prefill=prefill).rows()
    return {
        "poll": poll,
        "item": item,
        "rows": rows,
        "refusal": refusal,
        "participation": participation,
        "results_shown": poll.state != Poll.State.DRAFT,
    }


def _room_strings() -> dict:
    """What the room's script says, through the catalog like every other string."""
    return {
        "live": _("Live: the room updates by itself."),
        "connecting": _("Connecting to the room…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "offline": _("Not live: reload the page to see what is new."),
        "noBuilding": _("No building"),
        "newComment": _("New comment from {name}"),
        "hasFloor": _("{name} has the floor"),
        "floorFree": _("Nobody has the floor."),
        "itemNow": _("Now on the agenda: {title}"),
        "stateNow": _("The meeting is {state}."),
        "pollOpened": _("The vote “{title}” is open."),
        "pollClosed": _("The vote is closed."),
        "voted": _("Your ballot is cast."),
        "votedChanged": _("Your ballot is changed."),
        "receipt": _(
            "Your receipt code: {code}. Write it down to check later that it was counted."
        ),
        "done": _("Done."),
        "nobodyHere": _("Nobody is in the room."),
    }


def _meeting_page(
    request,
    meeting: Meeting,
    *,
    comment_form: RoomCommentForm | None = None,
    registration_form: RegistrationForm | None = None,
    status: int = 200,
):
    user = request.user
    snapshot = queries.room_snapshot(meeting, user)
    viewer = _viewer(user, meeting, snapshot["role"])
    registration = queries.registration_of(user, meeting)
    registered = registration is not None and registration.withdrawn_at is None
    registration_refusal = None
    if meeting.state == Meeting.State.CLOSED:
        registration_refusal = _("The meeting is closed.")
    elif not viewer["signed_in"]:
        registration_refusal = _("Sign in to register for the meeting.")
    elif not registered:
        registration_refusal = meeting_services.registration_refusal(user, meeting)
    if registration_form is None:
        initial = {}
        if registration is not None:
            initial = {
                "wants_to_speak": registration.wants_to_speak,
                "stance": registration.stance,
                "statement": registration.statement,
            }
        # Speakers register before a hearing opens; afterwards one registers to attend.
        speakers_register = meeting.is_hearing and meeting.state == Meeting.State.SCHEDULED
        registration_form = RegistrationForm(hearing=speakers_register, initial=initial)
    context = {
        "meeting": meeting,
        "room": _room(snapshot),
        "viewer": viewer,
        "sitting": meeting.state in SITTING,
        "ws_url": f"/ws/meetings/{meeting.pk}/" if viewer["signed_in"] else "",
        "room_strings": _room_strings(),
        "room_initial": {
            "seq": snapshot["seq"],
            "now": snapshot["now"],
            "you": snapshot["you"],
            "current_item": snapshot["current_item"],
            "agenda": [{"id": item["id"], "poll": item["poll"]} for item in snapshot["agenda"]],
            "speakers": snapshot["speakers"],
        },
        "comment_form": comment_form or RoomCommentForm(),
        "hand_form": RaiseHandForm(),
        "registration": registration,
        "registered": registered,
        "registration_refusal": registration_refusal,
        "registration_form": registration_form,
        "registered_count": queries.registered_count(meeting),
        "speakers": list(queries.hearing_speakers(meeting)) if meeting.is_hearing else [],
        "poll_panel": _poll_panel(user, meeting),
        "minutes": _published_minutes(meeting),
    }
    return render(request, "deliberation/meetings/detail.html", context, status=status)


def _published_minutes(meeting: Meeting):
    minutes = getattr(meeting, "minutes", None)
    return minutes if minutes is not None and minutes.is_published else None


# ---------------------------------------------------------------------------- pages


@require_GET
def meeting_list(request):
    form = MeetingFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else {}
    paginator = Paginator(queries.meeting_listing(**filters), MEETINGS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(
        request,
        "deliberation/meetings/list.html",
        {"form": form, "page": page, "filtered": any(filters.values()) if filters else False},
    )


@require_GET
def meeting_detail(request, pk: int):
    return _meeting_page(request, _meeting(pk))


@require_GET
def meeting_minutes(request, pk: int):
    meeting = _meeting(pk)
    minutes = _published_minutes(meeting)
    if minutes is None:
        raise Http404
    return render(
        request, "deliberation/meetings/minutes.html", {"meeting": meeting, "minutes": minutes}
    )


# ---------------------------------------------------------------------------- the room


@_signed_in_post("deliberation:meeting")
def meeting_comment(request, pk: int):
    meeting = _meeting(pk)
    form = RoomCommentForm(request.POST)
    if form.is_valid():
        try:
            room.post_comment(request.user, meeting, form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), meeting)
        else:
            return _to_meeting(meeting, "room-comments-section")
    return _meeting_page(request, meeting, comment_form=form, status=400)


def _room_step(request, meeting: Meeting, step, *args, done: str, anchor: str):
    """Run one room service; its refusal is shown on the meeting's page."""
    try:
        step(request.user, meeting, *args)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), meeting)
    else:
        messages.success(request, done)
    return _to_meeting(meeting, anchor)


@_signed_in_post("deliberation:meeting")
def meeting_raise_hand(request, pk: int):
    meeting = _meeting(pk)
    form = RaiseHandForm(request.POST)
    form.is_valid()  # a checkbox: anything not "on" is simply not a point of order
    point_of_order = bool(form.cleaned_data.get("point_of_order"))
    return _room_step(
        request,
        meeting,
        room.raise_hand,
        point_of_order,
        done=_("You are on the list of speakers."),
        anchor="room-speakers-section",
    )


@_signed_in_post("deliberation:meeting")
def meeting_lower_hand(request, pk: int):
    return _room_step(
        request,
        _meeting(pk),
        room.lower_hand,
        done=_("You are no longer waiting to speak."),
        anchor="room-speakers-section",
    )


@_signed_in_post("deliberation:meeting")
def meeting_yield_floor(request, pk: int):
    return _room_step(
        request,
        _meeting(pk),
        room.end_floor,
        done=_("You have yielded the floor."),
        anchor="room-speakers-section",
    )


def _in_meeting(model, meeting: Meeting, pk: int | None, message: str):
    found = model.objects.filter(meeting=meeting, pk=pk).first() if pk is not None else None
    if found is None:
        raise ValidationError(message)
    return found


def _chair_step(chair, meeting: Meeting, data: dict) -> str:
    """Carry out one chair control; returns what to tell the chair."""
    action = data["action"]
    if action in ("open", "pause", "resume", "close"):
        step, done = {
            "open": (room.open_meeting, _("The meeting is open.")),
            "pause": (room.pause_meeting, _("The meeting is paused.")),
            "resume": (room.resume_meeting, _("The meeting resumes.")),
            "close": (room.close_meeting, _("The meeting is closed; the minutes are drafted.")),
        }[action]
        step(chair, meeting)
        return done
    if action == "next_item":
        meeting = room.next_item(chair, meeting)
        return _("Now on the agenda: %(title)s") % {"title": meeting.current_item}
    if action == "go_item":
        item = _in_meeting(
            AgendaItem, meeting, data["item"], _("That item is not on this meeting's agenda.")
        )
        room.go_to_item(chair, meeting, item)
        return _("Now on the agenda: %(title)s") % {"title": item.title}
    if action == "give_floor":
        request = None
        if data["request"] is not None:
            request = _in_meeting(
                SpeakerRequest,
                meeting,
                data["request"],
                _("That person is not on this meeting's list of speakers."),
            )
        speech = room.give_floor(chair, meeting, request)
        return _("%(name)s has the floor.") % {"name": speech.user}
    if action == "end_floor":
        room.end_floor(chair, meeting)
        return _("The speech is ended.")
    if action == "open_poll":
        room.open_item_poll(chair, meeting)
        return _("The vote is open.")
    if action == "close_poll":
        room.close_item_poll(chair, meeting)
        return _("The vote is closed.")
    comment = _in_meeting(
        RoomComment, meeting, data["comment"], _("That comment is not in this meeting.")
    )
    room.hide_comment(chair, comment, data["reason"])
    return _("The comment is hidden; the reason shows in its place.")


@_signed_in_post("deliberation:meeting")
def meeting_chair(request, pk: int):
    meeting = _meeting(pk)
    if not policies.room_allows(policies.room_role(request.user, meeting), policies.CHAIR):
        return _refuse(request, _("Only the chair of this meeting can do this."), meeting)
    form = ChairActionForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _to_meeting(meeting, "room")
    try:
        done = _chair_step(request.user, meeting, form.cleaned_data)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), meeting)
    else:
        messages.success(request, done)
    return _to_meeting(meeting, "room")


# ---------------------------------------------------------------------------- registering


@_signed_in_post("deliberation:meeting")
def meeting_register(request, pk: int):
    meeting = _meeting(pk)
    form = RegistrationForm(request.POST, hearing=meeting.is_hearing)
    if form.is_valid():
        try:
            meeting_services.register(request.user, meeting, **form.service_kwargs())
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), meeting)
        else:
            messages.success(request, _("You are registered for the meeting."))
            return _to_meeting(meeting, "registration")
    return _meeting_page(request, meeting, registration_form=form, status=400)


@_signed_in_post("deliberation:meeting")
def meeting_withdraw(request, pk: int):
    meeting = _meeting(pk)
    try:
        meeting_services.withdraw_registration(request.user, meeting)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    except PermissionDenied as refusal:
        return _refuse(request, str(refusal), meeting)
    else:
        messages.success(request, _("Your registration is withdrawn."))
    return _to_meeting(meeting, "registration")


# ---------------------------------------------------------------------------- the secretary


def _ballot_target(meeting: Meeting) -> tuple[AgendaItem | None, Poll | None]:
    """The current item and its poll, when that poll is open for ballots."""
    item = meeting.current_item
    poll = item.poll if item is not None else None
    if poll is None or poll.state != Poll.State.OPEN:
        return item, None
    return item, poll


def _secretary_page(
    request,
    meeting: Meeting,
    *,
    attendance_form: OnsiteAttendanceForm | None = None,
    voter_form: OnsiteVoterForm | None = None,
    ballot_form: BallotForm | None = None,
    minutes_form: MinutesForm | None = None,
    status: int = 200,
):
    item, poll = _ballot_target(meeting)
    if poll is not None:
        questions = poll_queries.questions(poll)
        voter_form = voter_form or OnsiteVoterForm(entries=queries.unvoted_roll_entries(poll))
        ballot_form = ballot_form or BallotForm(questions=questions)
    minutes = getattr(meeting, "minutes", None)
    if minutes is not None and minutes_form is None:
        minutes_form = MinutesForm(initial={"text": minutes.text})
    context = {
        "meeting": meeting,
        "attendance": list(queries.attendance_of(meeting)),
        "counts": queries.attendance_counts(meeting),
        "attendance_form": attendance_form
        or OnsiteAttendanceForm(buildings=queries.buildings_of(meeting)),
        "item": item,
        "poll": poll,
        "voter_form": voter_form,
        "ballot_rows": ballot_form.rows() if ballot_form is not None else None,
        "ballot_errors": ballot_form.non_field_errors() if ballot_form is not None else [],
        "minutes": minutes,
        "minutes_form": minutes_form,
    }
    return render(request, "deliberation/meetings/secretary.html", context, status=status)


def _secretary_only(view):
    """The secretary's pages: for the meeting's secretary and its chair."""

    @login_required
    @wraps(view)
    def wrapper(request, pk: int):
        meeting = _meeting(pk)
        role = policies.room_role(request.user, meeting)
        if not policies.room_allows(role, policies.SECRETARY):
            return _refuse(
                request,
                _("Only the secretary or the chair of this meeting can do this."),
                meeting,
            )
        return view(request, meeting)

    return wrapper


@require_GET
@_secretary_only
def meeting_secretary(request, meeting: Meeting):
    return _secretary_page(request, meeting)


@require_POST
@_secretary_only
def secretary_attendance(request, meeting: Meeting):
    form = OnsiteAttendanceForm(request.POST, buildings=queries.buildings_of(meeting))
    if form.is_valid():
        data = form.cleaned_data
        try:
            meeting_services.record_onsite_attendance(
                request.user, meeting, name=data["name"], building=data["building"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), meeting)
        else:
            messages.success(
                request, _("%(name)s is recorded as attending on site.") % {"name": data["name"]}
            )
            return _to_secretary(meeting, "attendance")
    return _secretary_page(request, meeting, attendance_form=form, status=400)


@require_POST
@_secretary_only
def secretary_ballot(request, meeting: Meeting):
    item, poll = _ballot_target(meeting)
    if poll is None:
        messages.error(request, _("The current item has no vote open for ballots."))
        return _to_secretary(meeting, "ballot")
    voter_form = OnsiteVoterForm(request.POST, entries=queries.unvoted_roll_entries(poll))
    ballot_form = BallotForm(request.POST, questions=poll_queries.questions(poll))
    voter_ok = voter_form.is_valid()
    spoiled = voter_ok and voter_form.cleaned_data["spoiled"]
    # A spoiled ballot has no choices to read.
    if voter_ok and (spoiled or ballot_form.is_valid()):
        entry = voter_form.cleaned_data["voter"]
        try:
            meeting_services.enter_onsite_ballot(
                request.user,
                meeting,
                item,
                entry,
                {} if spoiled else ballot_form.choices,
                spoiled=spoiled,
            )
        except ValidationError as error:
            voter_form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), meeting)
        else:
            messages.success(
                request, _("The paper ballot of %(voter)s is counted.") % {"voter": entry.label}
            )
            return _to_secretary(meeting, "ballot")
    elif not voter_ok:
        ballot_form.is_valid()
    return _secretary_page(
        request, meeting, voter_form=voter_form, ballot_form=ballot_form, status=400
    )


@require_POST
@_secretary_only
def secretary_minutes(request, meeting: Meeting):
    minutes = getattr(meeting, "minutes", None)
    if minutes is None:
        messages.error(request, _("The minutes are drafted when the meeting closes."))
        return _to_secretary(meeting, "minutes")
    form = MinutesForm(request.POST)
    publish = request.POST.get("action") == "publish"
    if form.is_valid():
        try:
            # Saved and published together, or neither.
            with transaction.atomic():
                if form.cleaned_data["text"] != minutes.text:
                    meeting_services.edit_minutes(request.user, minutes, form.cleaned_data["text"])
                if publish:
                    meeting_services.publish_minutes(request.user, minutes)
        except ValidationError as error:
            form.add_error(None, error)
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal), meeting)
        else:
            messages.success(
                request,
                _("The minutes are published.") if publish else _("The minutes are saved."),
            )
            return _to_secretary(meeting, "minutes")
    return _secretary_page(request, meeting, minutes_form=form, status=400)
