"""Councils (议事会) and their meetings, from the announcement to the published minutes.

Staff set up councils and schedule meetings for a place; the residents of that place
(and the council's members) are told. People register (at a hearing, perhaps to speak,
with a stance and a written statement); the secretary records who came on site and
enters their paper ballots in the same record as the online ones. When the chair closes
the meeting (services.room), its minutes are drafted from that record; the secretary
edits and publishes them. Each step runs in one transaction and writes the trace.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from polls import queries as poll_queries
from polls import services as engine
from polls.models import Participation, Poll, RollEntry

from .. import electorates, policies, queries, trace
from ..models import (
    AgendaItem,
    Attendance,
    Building,
    Community,
    Compound,
    Council,
    CouncilMember,
    Meeting,
    Membership,
    Minutes,
    Registration,
    RoomComment,
    SpeakerRequest,
    Stance,
    Topic,
    User,
)
from ..models.places import normalize_entrance
from ..models.trace import ACTION_LABELS
from ..sanitize import clean_optional, clean_plain, clean_required
from . import notify, room

Place = Community | Compound | Building
S = Meeting.State

NAME_MAX = 100
TITLE_MAX = 100
DESCRIPTION_MAX = 5000
ITEM_DESCRIPTION_MAX = 2000
VENUE_MAX = 200
STATEMENT_MAX = 2000
ATTENDEE_NAME_MAX = 50
MINUTES_MAX = 20000
SPEAKING_SECONDS = (30, 1800)
# The secretary types the paper attendance list after the meeting, within this time.
ONSITE_LIST_AFTER_CLOSING = timedelta(hours=24)
# What a meeting's announcement says; a change to any of them is told to the registered.
WHEN_AND_WHERE = ("starts_at", "ends_at", "venue", "mode")
# What schedule_meeting takes and update_meeting may change (the place stays).
MEETING_FIELDS = (
    "kind",
    "mode",
    "title",
    "description",
    "starts_at",
    "ends_at",
    "venue",
    "registration_limit",
    "speaking_seconds",
    "chair",
    "secretary",
    "council",
)


# ---------------------------------------------------------------------------- helpers


def meeting_url(meeting: Meeting) -> str:
    return reverse("deliberation:meeting", args=[meeting.pk])


def _record(actor, obj, action: str, *, before=None, after=None, public=True) -> None:
    trace.record(actor=actor, action=action, obj=obj, before=before, after=after, public=public)


def scope_fields(place, entrance: str) -> dict[str, Any]:
    """The scope fields of a council, meeting or pact for `place` (one entrance of a building
    if given)."""
    entrance = normalize_entrance(entrance)
    if isinstance(place, Community):
        fields = {"community": place, "compound": None, "building": None}
    elif isinstance(place, Compound):
        fields = {"community": place.community, "compound": place, "building": None}
    elif isinstance(place, Building):
        fields = {"community": place.compound.community, "compound": place.compound}
        fields["building"] = place
    else:
        raise ValidationError(_("Choose the community, compound or building it is for."))
    if entrance and not isinstance(place, Building):
        raise ValidationError(_("An entrance can only be chosen with a building."))
    if (
        entrance
        and not electorates.dwellings_of(
            electorates.electorate_key("households", place, entrance)
        ).exists()
    ):
        raise ValidationError(
            _("%(building)s has no dwellings in entrance %(entrance)s.")
            % {"building": place, "entrance": entrance}
        )
    return fields | {"entrance": entrance}


def covers(council: Council, scoped) -> bool:
    """Whether the council's place takes in the whole of a meeting's (or pact's) scope."""
    if council.community_id != scoped.community_id:
        return False
    if council.building_id:
        return council.building_id == scoped.building_id and council.entrance in (
            "",
            scoped.entrance,
        )
    if council.compound_id:
        return council.compound_id == scoped.compound_id
    return True


def _require_run_meetings(actor, place, action: str = "add") -> None:
    if not policies.can_run_meetings_in(actor, place, action):
        raise PermissionDenied(_("You hold no seat that runs meetings in this place."))


def _require_manager(actor, meeting: Meeting) -> None:
    if not policies.can_manage_meeting(actor, meeting):
        raise PermissionDenied(_("You hold no seat that runs meetings in this place."))


def _is_officer(actor, meeting: Meeting) -> bool:
    """The meeting's secretary or chair, or staff whose seat runs meetings there."""
    role = policies.room_role(actor, meeting)
    return policies.room_allows(role, policies.SECRETARY) or policies.can_manage_meeting(
        actor, meeting
    )


def _require_officer(actor, meeting: Meeting) -> None:
    if not _is_officer(actor, meeting):
        raise PermissionDenied(
            _(
                "Only the secretary or the chair of this meeting, or a committee that "
                "runs it, can do this."
            )
        )


def _span(start, end) -> str:
    """2025-03-05 19:00–21:00, the end's date only when it is another day."""
    if not start:
        return "—"
    begins = timezone.localtime(start)
    text = f"{begins:%Y-%m-%d %H:%M}"
    if end:
        ends = timezone.localtime(end)
        text += f"–{ends:%H:%M}" if ends.date() == begins.date() else f"–{ends:%Y-%m-%d %H:%M}"
    return text


def _when(meeting: Meeting) -> str:
    return _span(meeting.starts_at, meeting.ends_at)


def _digest(text: str) -> str:
    """Minutes can be long: the trace keeps the fingerprint of each version, enough to
    show which text was published and that none was changed after."""
    return hashlib.sha256(text.encode()).hexdigest()


def _notify(meeting: Meeting, action: str, actor, recipient_ids) -> None:
    """Tell people of a meeting's step, in the app and, if they gave one, by email once
    the step commits. The actor is not told."""
    recipient_ids = set(recipient_ids) - {getattr(actor, "pk", None)}
    with translation.override(settings.LANGUAGE_CODE):
        text = f"“{meeting.title}”：{ACTION_LABELS.get(action, action)}，{_when(meeting)}"
        if meeting.venue:
            text += f"，{meeting.venue}"

    def mail() -> tuple[str, str]:
        context = {
            "meeting": meeting,
            "text": text,
            "when": _when(meeting),
            "kind": meeting.get_kind_display(),
            "mode": meeting.get_mode_display(),
            "url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + meeting_url(meeting),
        }
        return (
            render_to_string("deliberation/email/meeting_announced_subject.txt", context),
            render_to_string("deliberation/email/meeting_announced_body.txt", context),
        )

    notify.deliver(recipient_ids, action=action, text=text, mail=mail, meeting=meeting)


def _residents_ids(meeting: Meeting) -> set[int]:
    """The verified residents of the meeting's scope (as `policies.verified_memberships_in`
    counts them)."""
    key = electorates.electorate_key("households", meeting.place, meeting.entrance)
    return set(
        Membership.objects.filter(
            status=Membership.Status.VERIFIED, dwelling__in=electorates.dwellings_of(key)
        ).values_list("user_id", flat=True)
    )


def _registered_ids(meeting: Meeting) -> set[int]:
    return set(
        Registration.objects.filter(meeting=meeting, withdrawn_at=None).values_list(
            "user_id", flat=True
        )
    )


# ---------------------------------------------------------------------------- councils


def create_council(
    actor, *, place: Place, entrance: str = "", name: str, description: str = ""
) -> Council:
    """A building, compound or community council (楼栋/小区/社区议事会)."""
    _require_run_meetings(actor, place)
    name = clean_required(
        name,
        NAME_MAX,
        _("Give the council a name."),
        _("Keep the name under %(limit)s characters."),
    )
    description = clean_optional(
        description, DESCRIPTION_MAX, _("Keep the description under %(limit)s characters.")
    )
    council = Council(name=name, description=description, **scope_fields(place, entrance))
    try:
        with transaction.atomic():
            council.save()
            _record(
                actor,
                council,
                "council.created",
                after={"name": name, "scope": council.scope_label},
            )
    except IntegrityError:
        raise ValidationError(
            _("This community already has a council named “%(name)s”.") % {"name": name}
        ) from None
    return council


def set_council_member(
    actor, council: Council, user, office: str = CouncilMember.Office.MEMBER
) -> CouncilMember:
    """Seat someone on the council, or change their office. A council has one chair and
    one secretary: whoever held the office before stays on as a member."""
    _require_run_meetings(actor, council.place, "change")
    if office not in CouncilMember.Office.values:
        raise ValidationError(_("Choose chair, secretary or member."))
    if not policies.is_signed_in(user):
        raise ValidationError(_("Choose a person with an active account."))
    with transaction.atomic():
        council = Council.objects.select_for_update().get(pk=council.pk)
        seat = CouncilMember.objects.filter(council=council, user=user).first()
        before = {"office": seat.office if seat else None}
        if seat is not None and seat.office == office:
            raise ValidationError(
                _("%(person)s already sits on the council as %(office)s.")
                % {"person": user, "office": seat.get_office_display()}
            )
        after: dict[str, Any] = {"person": str(user), "office": office}
        if office != CouncilMember.Office.MEMBER:
            previous = (
                CouncilMember.objects.filter(council=council, office=office)
                .exclude(user=user)
                .select_related("user")
                .first()
            )
            if previous is not None:
                previous.office = CouncilMember.Office.MEMBER
                previous.save(update_fields=["office"])
                after["replaces"] = str(previous.user)
        if seat is None:
            seat = CouncilMember.objects.create(council=council, user=user, office=office)
        else:
            seat.office = office
            seat.save(update_fields=["office"])
        _record(actor, council, "council.member_set", before=before, after=after)
    return seat


def remove_council_member(actor, council: Council, user) -> None:
    _require_run_meetings(actor, council.place, "change")
    with transaction.atomic():
        seat = (
            CouncilMember.objects.select_for_update()
            .filter(council=council, user_id=getattr(user, "pk", None))
            .first()
        )
        if seat is None:
            raise ValidationError(_("This person does not sit on the council."))
        _record(
            actor,
            council,
            "council.member_removed",
            before={"person": str(user), "office": seat.office},
        )
        seat.delete()


# ---------------------------------------------------------------------------- meetings


def _check_meeting(meeting: Meeting, *, new_start: bool) -> None:
    """Clean and check a meeting's fields in place; a clear error for the first wrong one."""
    if meeting.kind not in Meeting.Kind.values:
        raise ValidationError(_("Choose the kind of meeting."))
    if meeting.mode not in Meeting.Mode.values:
        raise ValidationError(_("Choose online, on site or both."))
    meeting.title = clean_required(
        meeting.title,
        TITLE_MAX,
        _("Give the meeting a title."),
        _("Keep the title under %(limit)s characters."),
    )
    meeting.description = clean_optional(
        meeting.description, DESCRIPTION_MAX, _("Keep the description under %(limit)s characters.")
    )
    if not isinstance(meeting.starts_at, datetime):
        raise ValidationError(_("Say when the meeting starts."))
    if new_start and meeting.starts_at <= timezone.now():
        raise ValidationError(_("A meeting is scheduled for a time still to come."))
    if meeting.ends_at is not None and meeting.ends_at <= meeting.starts_at:
        raise ValidationError(_("The meeting must end after it starts."))
    meeting.venue = clean_optional(
        meeting.venue, VENUE_MAX, _("Keep the venue under %(limit)s characters.")
    )
    if meeting.mode != Meeting.Mode.ONLINE and not meeting.venue:
        raise ValidationError(_("Say where the meeting is held: people attend on site."))
    limit = meeting.registration_limit
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise ValidationError(_("Set a registration limit of at least 1, or leave it empty."))
    low, high = SPEAKING_SECONDS
    seconds = meeting.speaking_seconds
    if isinstance(seconds, bool) or not isinstance(seconds, int) or not low <= seconds <= high:
        raise ValidationError(
            _("Give each speaker between %(low)s and %(high)s seconds.")
            % {"low": low, "high": high}
        )
    if meeting.council is not None and not covers(meeting.council, meeting):
        raise ValidationError(
            _("The council of %(council)s does not cover %(scope)s.")
            % {"council": meeting.council.scope_label, "scope": meeting.scope_label}
        )
    if meeting.chair_id is None:
        raise ValidationError(_("Choose who chairs the meeting."))
    if meeting.secretary_id is not None and meeting.secretary_id == meeting.chair_id:
        raise ValidationError(_("The chair and the secretary must be two people."))


def _facts(meeting: Meeting) -> dict[str, Any]:
    """The meeting's fields as the trace keeps them: people and the council by name."""
    return {
        "kind": meeting.kind,
        "mode": meeting.mode,
        "title": meeting.title,
        "description": meeting.description,
        "starts_at": meeting.starts_at,
        "ends_at": meeting.ends_at,
        "venue": meeting.venue,
        "registration_limit": meeting.registration_limit,
        "speaking_seconds": meeting.speaking_seconds,
        "chair": str(meeting.chair) if meeting.chair_id else "",
        "secretary": str(meeting.secretary) if meeting.secretary_id else "",
        "council": meeting.council.name if meeting.council_id else "",
    }


def schedule_meeting(
    actor,
    *,
    place: Place,
    entrance: str = "",
    kind: str,
    mode: str,
    title: str,
    description: str = "",
    starts_at: datetime,
    ends_at: datetime | None = None,
    venue: str = "",
    registration_limit: int | None = None,
    speaking_seconds: int = 180,
    chair=None,
    secretary=None,
    council: Council | None = None,
) -> Meeting:
    """Schedule a meeting for a place and announce it to the verified residents there
    and to the council's members. The chair and the secretary are the council's unless
    others are named."""
    _require_run_meetings(actor, place)
    meeting = Meeting(
        kind=kind,
        mode=mode,
        title=title,
        description=description,
        starts_at=starts_at,
        ends_at=ends_at,
        venue=venue,
        registration_limit=registration_limit,
        speaking_seconds=speaking_seconds,
        council=council,
        **scope_fields(place, entrance),
    )
    if council is not None:
        officers = dict(
            CouncilMember.objects.filter(
                council=council,
                office__in=[CouncilMember.Office.CHAIR, CouncilMember.Office.SECRETARY],
            ).values_list("office", "user_id")
        )
        chair = chair or User.objects.filter(pk=officers.get("chair")).first()
        if secretary is None and officers.get("secretary") != getattr(chair, "pk", None):
            secretary = User.objects.filter(pk=officers.get("secretary")).first()
    meeting.chair, meeting.secretary = chair, secretary
    _check_meeting(meeting, new_start=True)
    with transaction.atomic():
        meeting.save()
        _record(
            actor,
            meeting,
            "meeting.scheduled",
            after={"scope": meeting.scope_label, **_facts(meeting)},
        )
        members = set()
        if council is not None:
            members = set(
                CouncilMember.objects.filter(council=council).values_list("user_id", flat=True)
            )
        officers = {meeting.chair_id, meeting.secretary_id}
        _notify(meeting, "meeting.scheduled", actor, _residents_ids(meeting) | members | officers)
    return meeting


def update_meeting(actor, meeting: Meeting, **fields: Any) -> Meeting:
    """Change a meeting not yet opened. Who registered is told of a new time or venue."""
    unknown = set(fields) - set(MEETING_FIELDS)
    if unknown:
        raise TypeError(f"update_meeting() got unexpected fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        meeting = room.locked(meeting)
        _require_manager(actor, meeting)
        if meeting.state != S.SCHEDULED:
            raise ValidationError(_("Only a meeting that has not opened yet can be changed."))
        before = _facts(meeting)
        old_start = meeting.starts_at
        for name, value in fields.items():
            setattr(meeting, name, value)
        _check_meeting(meeting, new_start=meeting.starts_at != old_start)
        after = _facts(meeting)
        changed = [name for name in MEETING_FIELDS if before[name] != after[name]]
        if not changed:
            return meeting
        meeting.save()
        _record(
            actor,
            meeting,
            "meeting.changed",
            before={name: before[name] for name in changed},
            after={name: after[name] for name in changed},
        )
        if set(changed) & set(WHEN_AND_WHERE):
            _notify(meeting, "meeting.rescheduled", actor, _registered_ids(meeting))
    return meeting


# ---------------------------------------------------------------------------- agenda


def _require_not_closed(meeting: Meeting) -> None:
    if meeting.state == S.CLOSED:
        raise ValidationError(_("The meeting is closed: its agenda is on the record."))


def _check_item(meeting: Meeting, item_pk: int | None, topic: Topic | None, poll: Poll | None):
    if topic is not None and (topic.community_id != meeting.community_id or not topic.is_public):
        raise ValidationError(_("Choose a public topic of this meeting's community."))
    if poll is None:
        return
    if electorates.community_id(poll.electorate) != meeting.community_id:
        raise ValidationError(_("Choose a poll of this meeting's community."))
    elsewhere = (
        AgendaItem.objects.filter(poll=poll)
        .exclude(meeting__state=S.CLOSED)
        .exclude(pk=item_pk)
        .select_related("meeting")
        .first()
    )
    if elsewhere is not None:
        raise ValidationError(
            _("This poll is already on the agenda of “%(meeting)s”.")
            % {"meeting": elsewhere.meeting.title}
        )


def _item_text(title: str, description: str) -> tuple[str, str]:
    title = clean_required(
        title,
        TITLE_MAX,
        _("Give the agenda item a title."),
        _("Keep the title under %(limit)s characters."),
    )
    description = clean_optional(
        description, ITEM_DESCRIPTION_MAX, _("Keep the description under %(limit)s characters.")
    )
    return title, description


def _item_facts(item: AgendaItem) -> dict[str, Any]:
    return {
        "item": item.pk,
        "position": item.position,
        "title": item.title,
        "description": item.description,
        "topic": item.topic.title if item.topic_id else "",
        "poll": item.poll.title if item.poll_id else "",
    }


def _emit_agenda(meeting: Meeting) -> None:
    """Tell the room the agenda as it stands now (on a meeting from `room.locked`)."""
    room.emit(meeting, "agenda", {"agenda": queries.room_agenda(meeting)})


def add_agenda_item(
    actor,
    meeting: Meeting,
    *,
    title: str,
    description: str = "",
    topic: Topic | None = None,
    poll: Poll | None = None,
) -> AgendaItem:
    """Add an item at the end of the agenda; it may take up a topic and put a poll to
    the vote."""
    with transaction.atomic():
        meeting = room.locked(meeting)
        _require_officer(actor, meeting)
        _require_not_closed(meeting)
        title, description = _item_text(title, description)
        _check_item(meeting, None, topic, poll)
        last = AgendaItem.objects.filter(meeting=meeting).aggregate(last=Max("position"))["last"]
        item = AgendaItem.objects.create(
            meeting=meeting,
            position=(last or 0) + 1,
            title=title,
            description=description,
            topic=topic,
            poll=poll,
        )
        _record(actor, meeting, "meeting.agenda_item_added", after=_item_facts(item))
        _emit_agenda(meeting)
    return item


def update_agenda_item(
    actor,
    item: AgendaItem,
    *,
    title: str,
    description: str = "",
    topic: Topic | None = None,
    poll: Poll | None = None,
) -> AgendaItem:
    with transaction.atomic():
        meeting = room.locked(item.meeting)
        _require_officer(actor, meeting)
        _require_not_closed(meeting)
        title, description = _item_text(title, description)
        item = AgendaItem.objects.select_related("topic", "poll").get(pk=item.pk)
        poll_changes = item.poll_id is not None and item.poll_id != getattr(poll, "pk", None)
        if poll_changes and item.poll.state != Poll.State.DRAFT:
            raise ValidationError(_("The vote of this item has opened: it stays with the item."))
        _check_item(meeting, item.pk, topic, poll)
        before = _item_facts(item)
        item.title, item.description, item.topic, item.poll = title, description, topic, poll
        after = _item_facts(item)
        if after == before:
            return item
        item.save(update_fields=["title", "description", "topic", "poll"])
        _record(actor, meeting, "meeting.agenda_item_changed", before=before, after=after)
        _emit_agenda(meeting)
    return item


def move_agenda_item(actor, item: AgendaItem, direction: str) -> None:
    """Swap an item with the one before ("up") or after ("down") it."""
    if direction not in ("up", "down"):
        raise ValidationError(_("Move an item up or down."))
    with transaction.atomic():
        meeting = room.locked(item.meeting)
        _require_officer(actor, meeting)
        _require_not_closed(meeting)
        agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
        index = next((i for i, row in enumerate(agenda) if row.pk == item.pk), None)
        if index is None:
            raise ValidationError(_("That item is not on this meeting's agenda."))
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(agenda):
            raise ValidationError(
                _("This item is already the first.")
                if direction == "up"
                else _("This item is already the last.")
            )
        agenda[index], agenda[other] = agenda[other], agenda[index]
        # Numbered afresh, so two items that shared a position cannot stay tied.
        for position, row in enumerate(agenda, start=1):
            row.position = position
        AgendaItem.objects.bulk_update(agenda, ["position"])
        _record(
            actor,
            meeting,
            "meeting.agenda_item_moved",
            after={"item": item.pk, "title": item.title, "direction": direction},
        )
        _emit_agenda(meeting)


def remove_agenda_item(actor, item: AgendaItem) -> None:
    """Remove an item never taken up: one taken up belongs to the record."""
    with transaction.atomic():
        meeting = room.locked(item.meeting)
        _require_officer(actor, meeting)
        _require_not_closed(meeting)
        item = AgendaItem.objects.select_related("topic", "poll").get(pk=item.pk)
        if item.started_at is not None:
            raise ValidationError(_("This item has been taken up: it stays on the record."))
        _record(actor, meeting, "meeting.agenda_item_removed", before=_item_facts(item))
        item.delete()
        _emit_agenda(meeting)


# ---------------------------------------------------------------------------- registration


def _registration_check(user, meeting: Meeting) -> Registration | None:
    """The person's withdrawn registration to reuse (or None); a ValidationError says
    why they cannot register."""
    if not policies.is_signed_in(user):
        raise ValidationError(_("Sign in to register for the meeting."))
    if meeting.state == S.CLOSED:
        raise ValidationError(_("The meeting is over."))
    if not policies.is_meeting_participant(user, meeting):
        raise ValidationError(
            _(
                "Only verified residents of %(scope)s, its council and the committees of "
                "the community register for this meeting."
            )
            % {"scope": meeting.scope_label}
        )
    existing = Registration.objects.filter(meeting=meeting, user=user).first()
    if existing is not None and existing.withdrawn_at is None:
        raise ValidationError(_("You are already registered for this meeting."))
    if meeting.registration_limit is not None:
        taken = Registration.objects.filter(meeting=meeting, withdrawn_at=None).count()
        if taken >= meeting.registration_limit:
            raise ValidationError(
                _("All %(limit)s places are taken.") % {"limit": meeting.registration_limit}
            )
    return existing


def registration_refusal(user, meeting: Meeting) -> str | None:
    """Why the person cannot register for the meeting now, or None if they can (for pages)."""
    try:
        _registration_check(user, meeting)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def register(
    user, meeting: Meeting, *, wants_to_speak: bool = False, stance: str = "", statement: str = ""
) -> Registration:
    """Register to attend; at a hearing, perhaps to speak, with a stance and a written
    statement submitted in advance."""
    statement = clean_plain(statement or "").strip()
    stance = stance or ""
    if wants_to_speak:
        if stance not in Stance.values:
            raise ValidationError(_("Say whether you speak for, against or neutral."))
        if len(statement) > STATEMENT_MAX:
            raise ValidationError(
                _("Keep the statement under %(limit)s characters.") % {"limit": STATEMENT_MAX}
            )
    elif stance or statement:
        raise ValidationError(_("A stance and a statement come with registering to speak."))
    with transaction.atomic():
        meeting = room.locked(meeting)
        registration = _registration_check(user, meeting)
        if wants_to_speak and not meeting.is_hearing:
            raise ValidationError(_("Speakers register in advance only for hearings."))
        if wants_to_speak and meeting.state != S.SCHEDULED:
            raise ValidationError(_("Speakers register before the hearing opens."))
        if registration is None:
            registration = Registration(meeting=meeting, user=user)
        registration.registered_at = timezone.now()
        registration.withdrawn_at = None
        registration.wants_to_speak = bool(wants_to_speak)
        registration.stance, registration.statement = stance, statement
        registration.save()
        _record(
            user,
            meeting,
            "meeting.registered",
            after={"speaker": registration.wants_to_speak, "stance": stance},
            public=False,
        )
    return registration


def withdraw_registration(user, meeting: Meeting) -> None:
    with transaction.atomic():
        meeting = room.locked(meeting)
        if meeting.state == S.CLOSED:
            raise ValidationError(_("The meeting is over."))
        registration = (
            Registration.objects.filter(
                meeting=meeting, user_id=getattr(user, "pk", None), withdrawn_at=None
            )
            .select_for_update()
            .first()
        )
        if registration is None:
            raise ValidationError(_("You are not registered for this meeting."))
        registration.withdrawn_at = timezone.now()
        registration.save(update_fields=["withdrawn_at"])
        _record(user, meeting, "meeting.registration_withdrawn", public=False)


# ---------------------------------------------------------------------------- on site


def _require_onsite(meeting: Meeting) -> None:
    if meeting.mode == Meeting.Mode.ONLINE:
        raise ValidationError(_("This meeting is held online only: nobody attends on site."))


def record_onsite_attendance(
    actor, meeting: Meeting, *, name: str = "", building: Building | None = None, user=None
) -> Attendance:
    """The secretary records someone present on site, with or without an account: while
    the meeting sits, or from the paper list within a day of its closing."""
    with transaction.atomic():
        meeting = room.locked(meeting)
        _require_officer(actor, meeting)
        _require_onsite(meeting)
        if user is not None and not (name or "").strip():
            name = str(user)[:ATTENDEE_NAME_MAX]
        name = clean_required(
            name,
            ATTENDEE_NAME_MAX,
            _("Write the name of the person present."),
            _("Keep the name under %(limit)s characters."),
        )
        if meeting.state == S.SCHEDULED:
            raise ValidationError(_("Attendance is recorded once the meeting opens."))
        if meeting.state == S.CLOSED:
            if timezone.now() - meeting.closed_at > ONSITE_LIST_AFTER_CLOSING:
                raise ValidationError(_("The attendance list closed a day after the meeting did."))
            if Minutes.objects.filter(meeting=meeting, published_at__isnull=False).exists():
                raise ValidationError(_("The minutes are published: the attendance is final."))
        if building is not None and building.compound.community_id != meeting.community_id:
            raise ValidationError(_("Choose a building of this meeting's community."))
        if user is not None:
            present = Attendance.objects.filter(meeting=meeting, user=user).first()
            if present is not None:
                message = (
                    _("%(name)s is already present online.")
                    if present.channel == Attendance.Channel.ONLINE
                    else _("%(name)s is already on the attendance list.")
                )
                raise ValidationError(message % {"name": name})
            if building is None:
                building_id = queries.room_building_ids(meeting, [user.pk]).get(user.pk)
                building = Building.objects.filter(pk=building_id).first()
        elif Attendance.objects.filter(
            meeting=meeting, user=None, name=name, building=building
        ).exists():
            raise ValidationError(_("%(name)s is already on the attendance list.") % {"name": name})
        attendance = Attendance.objects.create(
            meeting=meeting,
            user=user,
            name=name,
            building=building,
            channel=Attendance.Channel.ONSITE,
            recorded_by=actor,
        )
        room.emit(meeting, "attendance", queries.attendance_counts(meeting))
        _record(
            actor,
            meeting,
            "meeting.attended_onsite",
            after={"name": name, "building": str(building or "")},
            public=False,
        )
        _redraft_if_untouched(meeting)
    return attendance


def enter_onsite_ballot(
    actor,
    meeting: Meeting,
    item: AgendaItem,
    entry: RollEntry,
    choices: dict[int, Any],
    *,
    spoiled: bool = False,
) -> engine.Cast:
    """Enter a paper ballot cast on site in the poll of an agenda item: the same poll,
    the same roll, one ballot per voter whatever the channel."""
    _require_officer(actor, meeting)
    _require_onsite(meeting)
    if item.meeting_id != meeting.pk:
        raise ValidationError(_("That item is not on this meeting's agenda."))
    if item.poll_id is None:
        raise ValidationError(_("This item has no vote."))
    return engine.cast_ballot(
        item.poll,
        entry,
        choices,
        channel=Participation.Channel.PAPER,
        entered_by=actor,
        spoiled=spoiled,
    )


# ---------------------------------------------------------------------------- minutes


def _line(label: str, value) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _clock(moment) -> str:
    return f"{timezone.localtime(moment):%H:%M}" if moment else "—"


def _duration(start, end) -> str:
    seconds = int((end - start).total_seconds()) if start and end else 0
    return _("%(minutes)d min %(seconds)d s") % {
        "minutes": seconds // 60,
        "seconds": seconds % 60,
    }


def _names(names: list[str]) -> str:
    return pgettext("list separator", ", ").join(names)


def _attendance_lines(meeting: Meeting) -> list[str]:
    rows = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("building")
        .order_by("building__name", "arrived_at", "pk")
    )
    lines = []
    for channel, label in Attendance.Channel.choices:
        present = [row for row in rows if row.channel == channel]
        lines.append(_line(label, len(present)))
        by_building: dict[str, list[str]] = {}
        for row in present:
            place = row.building.name if row.building_id else _("no building on record")
            by_building.setdefault(place, []).append(row.name)
        lines += [f"- {_line(place, _names(names))}" for place, names in by_building.items()]
    return lines


def _speaker_lines(requests: list[SpeakerRequest], buildings) -> list[str]:
    lines = []
    for request in requests:
        who = str(request.user)
        if buildings.get(request.user_id):
            who += f" ({buildings[request.user_id]})"
        line = (
            f"- {_clock(request.began_at)}–{_clock(request.ended_at)} "
            f"({_duration(request.began_at, request.ended_at)}) {who}"
        )
        if request.point_of_order:
            line += " · " + _("point of order")
        lines.append(line)
    return lines


def _poll_lines(poll: Poll) -> list[str]:
    title = _line(_("Vote"), f"“{poll.title}”")
    if poll.state == Poll.State.DRAFT:
        return [title, _("The vote was not held.")]
    if poll.state == Poll.State.OPEN:
        return [title, _("The vote had not closed when the meeting did.")]
    figures = poll_queries.figures(poll)
    lines = [
        title,
        _("%(ballots)s ballots of %(voters)s voters (%(spoiled)s spoiled).")
        % {
            "ballots": figures["ballots"],
            "voters": figures["electorate"]["heads"],
            "spoiled": figures["spoiled"]["heads"],
        },
    ]
    for question in figures["questions"]:
        options = {option["id"]: option["label"] for option in question["options"]}
        counts = _names([f"{option['label']} {option['heads']}" for option in question["options"]])
        lines.append(f"- {_line(question['text'], counts)}")
        decision = question.get("decision")
        if decision is not None:
            outcome = _("passed") if decision["passed"] else _("not passed")
            outcome = f"{outcome} ({decision['rule_label']})"
            lines.append("- " + _line(_("Result"), outcome))
        elif question.get("winner") is not None:
            lines.append("- " + _line(_("Result"), options.get(question["winner"], "")))
    return lines


def _heading(text: str) -> str:
    return f"【{text}】"


def _minutes_text(meeting: Meeting) -> str:
    meeting = Meeting.objects.select_related("chair", "secretary", "council").get(pk=meeting.pk)
    lines = [meeting.title, ""]
    facts = [
        (_("Kind"), meeting.get_kind_display()),
        (_("Scope"), meeting.scope_label),
        (_("Council"), meeting.council.name if meeting.council_id else ""),
        (_("Time"), _span(meeting.opened_at, meeting.closed_at)),
        (_("Venue"), meeting.venue),
        (_("Mode"), meeting.get_mode_display()),
        (_("Chair"), str(meeting.chair)),
        (_("Secretary"), str(meeting.secretary) if meeting.secretary_id else ""),
    ]
    lines += [f"- {_line(label, value)}" for label, value in facts if value]
    lines += ["", _heading(_("Attendance")), "", *_attendance_lines(meeting)]

    agenda = list(
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("topic", "poll")
        .order_by("position", "pk")
    )
    requests = list(
        SpeakerRequest.objects.filter(meeting=meeting, state=SpeakerRequest.State.DONE)
        .select_related("user")
        .order_by("began_at", "pk")
    )
    speaker_ids = {request.user_id for request in requests}
    building_ids = queries.room_building_ids(meeting, speaker_ids)
    building_names = dict(
        Building.objects.filter(pk__in=set(building_ids.values())).values_list("pk", "name")
    )
    buildings = {user: building_names.get(pk, "") for user, pk in building_ids.items()}
    lines += ["", _heading(_("Agenda"))]
    for number, item in enumerate(agenda, start=1):
        lines += ["", f"{number}. {item.title}", ""]
        if item.started_at:
            lines.append(
                "- "
                + _line(_("Taken up"), _clock(item.started_at))
                + "; "
                + _line(pgettext("agenda item", "left"), _clock(item.ended_at))
            )
        else:
            lines.append("- " + _("Not taken up."))
        if item.topic_id:
            lines.append("- " + _line(_("Topic"), f"“{item.topic.title}”"))
        if item.poll_id:
            lines.append("- " + _line(_("Vote"), f"“{item.poll.title}”"))
        spoken = [request for request in requests if request.item_id == item.pk]
        if spoken:
            lines += ["", _("Speakers:"), *_speaker_lines(spoken, buildings)]
    outside = [request for request in requests if request.item_id is None]
    if outside:
        lines += ["", _("Outside the agenda"), ""]
        lines += _speaker_lines(outside, buildings)

    voted = [item.poll for item in agenda if item.poll_id]
    if voted:
        lines += ["", _heading(_("Decisions"))]
        for poll in voted:
            lines += ["", *_poll_lines(poll)]

    if meeting.is_hearing:
        statements = list(
            Registration.objects.filter(meeting=meeting, withdrawn_at=None, wants_to_speak=True)
            .select_related("user")
            .order_by("registered_at", "pk")
        )
        lines += ["", _heading(_("Registered speakers"))]
        if not statements:
            lines += ["", _("Nobody registered to speak.")]
        for registration in statements:
            lines += ["", f"- {_line(str(registration.user), registration.get_stance_display())}"]
            lines += [f"    {line}" for line in registration.statement.splitlines() if line]

    comments = RoomComment.objects.filter(meeting=meeting)
    lines += [
        "",
        _heading(_("Comments")),
        "",
        _("%(count)s comments were written in the room; %(hidden)s of them hidden by the chair.")
        % {"count": comments.count(), "hidden": comments.filter(hidden_at__isnull=False).count()},
    ]
    return "\n".join(lines).strip() + "\n"


def draft_minutes(meeting: Meeting) -> Minutes:
    """Draft the minutes of a closed meeting from its record (again, while they are not
    published: the secretary's edits give way to the fresh draft)."""
    if meeting.state != S.CLOSED:
        raise ValidationError(_("Minutes are drafted once the meeting has closed."))
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        minutes = Minutes.objects.select_for_update().filter(meeting=meeting).first()
        if minutes is not None and minutes.is_published:
            raise ValidationError(_("The minutes are published and stay as they are."))
        text = _minutes_text(meeting)
        if minutes is None:
            minutes = Minutes(meeting=meeting)
        minutes.text, minutes.drafted_at = text, timezone.now()
        minutes.edited_at = minutes.edited_by = None
        minutes.save()
        _record(
            None,
            meeting,
            "minutes.drafted",
            after={"minutes": minutes.pk, "sha256": _digest(text)},
            public=False,
        )
    return minutes


def _redraft_if_untouched(meeting: Meeting) -> None:
    """Keep an unedited draft in step with the record that changes after the meeting
    closes (the on-site list typed in afterwards)."""
    if Minutes.objects.filter(meeting=meeting, published_at=None, edited_at=None).exists():
        draft_minutes(meeting)


def edit_minutes(actor, minutes: Minutes, text: str) -> Minutes:
    text = clean_required(
        text,
        MINUTES_MAX,
        _("The minutes cannot be empty."),
        _("Keep the minutes under %(limit)s characters."),
    )
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
        _require_officer(actor, minutes.meeting)
        if minutes.is_published:
            raise ValidationError(_("The minutes are published and stay as they are."))
        before = {"sha256": _digest(minutes.text)}
        minutes.text, minutes.edited_at, minutes.edited_by = text, timezone.now(), actor
        minutes.save(update_fields=["text", "edited_at", "edited_by"])
        _record(
            actor,
            minutes.meeting,
            "minutes.edited",
            before=before,
            after={"minutes": minutes.pk, "sha256": _digest(text)},
            public=False,
        )
    return minutes


def publish_minutes(actor, minutes: Minutes) -> Minutes:
    """Publish the minutes; those who registered or attended with an account are told."""
    with transaction.atomic():
        minutes = Minutes.objects.select_for_update().select_related("meeting").get(pk=minutes.pk)
        meeting = minutes.meeting
        _require_officer(actor, meeting)
        if meeting.state != S.CLOSED:
            raise ValidationError(_("Minutes are published once the meeting has closed."))
        if minutes.is_published:
            raise ValidationError(_("The minutes are already published."))
        minutes.published_at = timezone.now()
        minutes.save(update_fields=["published_at"])
        _record(
            actor,
            meeting,
            "minutes.published",
            after={"minutes": minutes.pk, "sha256": _digest(minutes.text)},
        )
        attendees = set(
            Attendance.objects.filter(meeting=meeting, user__isnull=False).values_list(
                "user_id", flat=True
            )
        )
        _notify(meeting, "minutes.published", actor, _registered_ids(meeting) | attendees)
    return minutes
