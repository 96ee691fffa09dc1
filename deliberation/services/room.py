"""A meeting's live room: what the chair, the secretary and the participants do while it
sits, each a service like any other.

Every change is written with an event numbered in the meeting's own sequence
(`RoomEvent`), in the change's transaction, with the meeting row locked, so numbers are
given in commit order and never twice; the event goes to the room's channel-layer
group once the transaction commits. A client that missed some asks for them by number
(`queries.room_events_after`). What is broadcast is what the whole room may see; the
person's own answers (a vote's receipt) go back to them alone.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from polls import policies as poll_policies
from polls import queries as poll_queries
from polls import services as engine
from polls.models import Poll

from .. import broadcast, electorates, policies, queries, ratelimits, trace
from ..models import (
    AgendaItem,
    Attendance,
    Meeting,
    Presence,
    RoomComment,
    RoomEvent,
    SpeakerRequest,
)
from ..sanitize import clean_required


def locked(meeting: Meeting) -> Meeting:
    """The meeting as stored now, its row locked until the transaction ends: every
    change to the room goes through here, so its events are numbered one at a time.
    The lock only serializes these changes (none changes the meeting's key), so it is
    PostgreSQL's FOR NO KEY UPDATE: rows that point at the meeting (a presence, a
    comment) are still written meanwhile."""
    return Meeting.objects.select_for_update(no_key=True).get(pk=meeting.pk)


def frame(event: RoomEvent) -> dict:
    """What clients receive for a stored event, the first time and on replay alike."""
    return {"type": event.type, "seq": event.seq, "at": event.created_at.isoformat(), **event.data}


def emit(meeting: Meeting, type: str, data: dict) -> RoomEvent:
    """Store the room's next event and broadcast it after commit. Call it inside the
    change's transaction, on a meeting from `locked()`."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("room.emit() must run inside the transaction of its change")
    meeting.last_seq += 1
    Meeting.objects.filter(pk=meeting.pk).update(last_seq=meeting.last_seq)
    event = RoomEvent.objects.create(
        meeting=meeting, seq=meeting.last_seq, type=type, data=data, created_at=timezone.now()
    )
    broadcast.on_commit_send(meeting.group_name, frame(event))
    return event


# ---------------------------------------------------------------------------- rules

S = Meeting.State

# The chair moves the meeting between these states; anything else is refused.
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "open": {"to": S.OPEN, "from": (S.SCHEDULED,)},
    "pause": {"to": S.PAUSED, "from": (S.OPEN,)},
    "resume": {"to": S.OPEN, "from": (S.PAUSED,)},
    "close": {"to": S.CLOSED, "from": (S.OPEN, S.PAUSED)},
}
# While the room sits (open or paused) people write and ask to speak; the floor is
# given and votes are opened only while it is in session.
SITTING = (S.OPEN, S.PAUSED)
COMMENT_MAX = 500
REASON_MAX = 200


def _require(user, meeting: Meeting, needed: str) -> str:
    role = policies.room_role(user, meeting)
    if policies.room_allows(role, needed):
        return role
    if needed == policies.CHAIR:
        raise PermissionDenied(_("Only the chair of this meeting can do this."))
    if needed == policies.SECRETARY:
        raise PermissionDenied(_("Only the secretary or the chair of this meeting can do this."))
    if role is None:
        raise PermissionDenied(_("Sign in to take part in the meeting."))
    raise PermissionDenied(
        _(
            "Only verified residents of the meeting's scope, its council and the "
            "committees of the community take part; you can follow the meeting."
        )
    )


def _require_state(meeting: Meeting, states: tuple[str, ...], message: str) -> None:
    if meeting.state not in states:
        raise ValidationError(message)


def _record(actor, meeting: Meeting, action: str, *, after=None, public=True) -> None:
    trace.record(actor=actor, action=action, obj=meeting, after=after, public=public)


def _emit_speakers(meeting: Meeting) -> None:
    emit(meeting, "speakers", queries.room_speakers(meeting))


def _emit_attendance(meeting: Meeting) -> None:
    emit(meeting, "attendance", queries.attendance_counts(meeting))


# ---------------------------------------------------------------------------- state


def _move(chair, meeting: Meeting, step: str) -> Meeting:
    rule = TRANSITIONS[step]
    with transaction.atomic():
        meeting = locked(meeting)
        _require(chair, meeting, policies.CHAIR)
        if meeting.state not in rule["from"]:
            raise ValidationError(
                _("A meeting that is %(state)s cannot be %(step)s.")
                % {"state": meeting.get_state_display(), "step": STEP_LABELS[step]}
            )
        now = timezone.now()
        before = meeting.state
        meeting.state = rule["to"]
        fields = ["state"]
        if step == "open":
            meeting.opened_at = now
            fields.append("opened_at")
        if step == "close":
            _close_record(meeting, now)
            meeting.closed_at = now
            fields += ["closed_at", "current_item"]
        meeting.save(update_fields=fields)
        # One event for the whole room, stored and replayed: its label is in the site's
        # language, not in whichever the chair happens to use.
        with translation.override(settings.LANGUAGE_CODE):
            label = str(meeting.get_state_display())
        emit(meeting, "meeting.state", {"state": meeting.state, "state_label": label})
        if step == "open":
            _attend_those_present(meeting, now)
        _record(chair, meeting, f"meeting.{STEP_ACTIONS[step]}", after={"from": before})
        if step == "close":
            from . import meetings  # meetings builds on the room (locked, emit)

            meetings.draft_minutes(meeting)
    return meeting


STEP_LABELS = {
    "open": pgettext_lazy("meeting step", "opened"),
    "pause": pgettext_lazy("meeting step", "paused"),
    "resume": pgettext_lazy("meeting step", "resumed"),
    "close": pgettext_lazy("meeting step", "closed"),
}
STEP_ACTIONS = {"open": "opened", "pause": "paused", "resume": "resumed", "close": "closed"}


def _close_record(meeting: Meeting, now) -> None:
    """What closing ends: the speech under way, the requests never heard, the current
    item. A vote still open must be closed first: its result belongs to the minutes."""
    item = meeting.current_item
    if AgendaItem.objects.filter(meeting=meeting, poll__state=Poll.State.OPEN).exists():
        raise ValidationError(_("Close the votes still open before closing the meeting."))
    speaking = SpeakerRequest.objects.filter(meeting=meeting, state=SpeakerRequest.State.SPEAKING)
    speaking.update(state=SpeakerRequest.State.DONE, ended_at=now)
    SpeakerRequest.objects.filter(meeting=meeting, state=SpeakerRequest.State.WAITING).update(
        state=SpeakerRequest.State.WITHDRAWN, ended_at=now
    )
    _emit_speakers(meeting)
    if item is not None:
        AgendaItem.objects.filter(pk=item.pk).update(ended_at=now)
    meeting.current_item = None


def open_meeting(chair, meeting: Meeting) -> Meeting:
    return _move(chair, meeting, "open")


def pause_meeting(chair, meeting: Meeting) -> Meeting:
    return _move(chair, meeting, "pause")


def resume_meeting(chair, meeting: Meeting) -> Meeting:
    return _move(chair, meeting, "resume")


def close_meeting(chair, meeting: Meeting) -> Meeting:
    """Close the meeting and draft its minutes from the record."""
    return _move(chair, meeting, "close")


# ---------------------------------------------------------------------------- agenda


def go_to_item(chair, meeting: Meeting, item: AgendaItem) -> Meeting:
    def chosen(meeting: Meeting) -> AgendaItem:
        found = AgendaItem.objects.filter(pk=item.pk, meeting=meeting).first()
        if found is None:
            raise ValidationError(_("That item is not on this meeting's agenda."))
        if meeting.current_item_id == found.pk:
            raise ValidationError(_("This item is already under discussion."))
        return found

    return _take_up(chair, meeting, chosen)


def next_item(chair, meeting: Meeting) -> Meeting:
    """Take up the item after the current one (the first, if none is current)."""

    def following(meeting: Meeting) -> AgendaItem:
        agenda = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
        ids = [item.pk for item in agenda]
        current = meeting.current_item_id
        rest = agenda[ids.index(current) + 1 :] if current in ids else agenda
        if not rest:
            raise ValidationError(_("This is the last item of the agenda."))
        return rest[0]

    return _take_up(chair, meeting, following)


def _take_up(chair, meeting: Meeting, choose) -> Meeting:
    """Move the room to the item `choose` picks from the meeting as locked now."""
    with transaction.atomic():
        meeting = locked(meeting)
        _require(chair, meeting, policies.CHAIR)
        _require_state(meeting, SITTING, _("The meeting is not sitting."))
        item = choose(meeting)
        now = timezone.now()
        if meeting.current_item_id:
            AgendaItem.objects.filter(pk=meeting.current_item_id).update(ended_at=now)
        if item.started_at is None:
            item.started_at = now
        item.ended_at = None
        item.save(update_fields=["started_at", "ended_at"])
        meeting.current_item = item
        meeting.save(update_fields=["current_item"])
        emit(meeting, "agenda.current", {"item": item.pk, "title": item.title})
        _record(chair, meeting, "meeting.item_taken_up", after={"item": item.pk})
    return meeting


# ---------------------------------------------------------------------------- comments


def post_comment(user, meeting: Meeting, text: str) -> RoomComment:
    text = clean_required(
        text,
        COMMENT_MAX,
        _("Write something first."),
        _("Keep it under %(limit)s characters."),
    )
    with transaction.atomic():
        meeting = locked(meeting)
        role = _require(user, meeting, policies.PARTICIPANT)
        _require_state(meeting, SITTING, _("Comments are open while the meeting sits."))
        if not policies.room_allows(role, policies.SECRETARY):
            ratelimits.hit(user, "room.comment")
        comment = RoomComment.objects.create(
            meeting=meeting, item_id=meeting.current_item_id, author=user, text=text
        )
        emit(meeting, "comment.posted", {"comment": queries.room_comment_data(meeting, comment)})
        _record(user, meeting, "meeting.commented", after={"comment": comment.pk}, public=False)
    return comment


def hide_comment(chair, comment: RoomComment, reason: str) -> RoomComment:
    reason = clean_required(
        reason,
        REASON_MAX,
        _("Give the reason for hiding the comment: it is shown in its place."),
        _("Keep the reason under %(limit)s characters."),
    )
    with transaction.atomic():
        meeting = locked(comment.meeting)
        _require(chair, meeting, policies.CHAIR)
        comment = RoomComment.objects.select_for_update().get(pk=comment.pk)
        if comment.is_hidden:
            raise ValidationError(_("This comment is already hidden."))
        comment.hidden_at, comment.hidden_by, comment.hidden_reason = timezone.now(), chair, reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        emit(meeting, "comment.hidden", {"comment": comment.pk, "reason": reason})
        _record(
            chair,
            meeting,
            "meeting.comment_hidden",
            after={"comment": comment.pk, "reason": reason},
        )
    return comment


# ---------------------------------------------------------------------------- speakers


def raise_hand(user, meeting: Meeting, point_of_order: bool = False) -> SpeakerRequest:
    """Ask to speak; a point of order goes before everyone waiting."""
    with transaction.atomic():
        meeting = locked(meeting)
        _require(user, meeting, policies.PARTICIPANT)
        _require_state(meeting, SITTING, _("You can ask to speak while the meeting sits."))
        if SpeakerRequest.objects.filter(
            meeting=meeting,
            user=user,
            state__in=[SpeakerRequest.State.WAITING, SpeakerRequest.State.SPEAKING],
        ).exists():
            raise ValidationError(_("You are already on the list of speakers."))
        request = SpeakerRequest.objects.create(
            meeting=meeting,
            item_id=meeting.current_item_id,
            user=user,
            point_of_order=bool(point_of_order),
        )
        _emit_speakers(meeting)
        _record(
            user,
            meeting,
            "meeting.hand_raised",
            after={"request": request.pk, "point_of_order": request.point_of_order},
            public=False,
        )
    return request


def lower_hand(user, meeting: Meeting) -> None:
    with transaction.atomic():
        meeting = locked(meeting)
        waiting = SpeakerRequest.objects.filter(
            meeting=meeting, user=user, state=SpeakerRequest.State.WAITING
        )
        if not waiting.update(state=SpeakerRequest.State.WITHDRAWN, ended_at=timezone.now()):
            raise ValidationError(_("You are not waiting to speak."))
        _emit_speakers(meeting)


def _end_speech(meeting: Meeting, now) -> SpeakerRequest | None:
    speech = SpeakerRequest.objects.filter(
        meeting=meeting, state=SpeakerRequest.State.SPEAKING
    ).first()
    if speech is not None:
        speech.state, speech.ended_at = SpeakerRequest.State.DONE, now
        speech.save(update_fields=["state", "ended_at"])
    return speech


def give_floor(chair, meeting: Meeting, request: SpeakerRequest | None = None) -> SpeakerRequest:
    """Give the floor to `request`, or to the next in line (points of order first, then
    in the order asked); whoever was speaking is done."""
    with transaction.atomic():
        meeting = locked(meeting)
        _require(chair, meeting, policies.CHAIR)
        _require_state(meeting, (S.OPEN,), _("The floor is given while the meeting is in session."))
        waiting = SpeakerRequest.objects.filter(
            meeting=meeting, state=SpeakerRequest.State.WAITING
        ).order_by("-point_of_order", "requested_at", "pk")
        if request is not None:
            waiting = waiting.filter(pk=request.pk)
        chosen = waiting.select_for_update().first()
        if chosen is None:
            raise ValidationError(
                _("That person is not waiting to speak.")
                if request is not None
                else _("Nobody is waiting to speak.")
            )
        now = timezone.now()
        _end_speech(meeting, now)
        chosen.state, chosen.began_at = SpeakerRequest.State.SPEAKING, now
        chosen.seconds = meeting.speaking_seconds
        chosen.save(update_fields=["state", "began_at", "seconds"])
        _emit_speakers(meeting)
        _record(
            chair,
            meeting,
            "meeting.floor_given",
            after={"request": chosen.pk, "speaker": str(chosen.user)},
        )
    return chosen


def end_floor(user, meeting: Meeting) -> SpeakerRequest:
    """The speaker yields, or the chair ends the speech."""
    with transaction.atomic():
        meeting = locked(meeting)
        speech = SpeakerRequest.objects.filter(
            meeting=meeting, state=SpeakerRequest.State.SPEAKING
        ).first()
        if speech is None:
            raise ValidationError(_("Nobody has the floor."))
        if speech.user_id != getattr(user, "pk", None):
            _require(user, meeting, policies.CHAIR)
        speech = _end_speech(meeting, timezone.now())
        _emit_speakers(meeting)
        _record(user, meeting, "meeting.floor_ended", after={"request": speech.pk})
    return speech


# ---------------------------------------------------------------------------- votes


def _item_poll(meeting: Meeting) -> Poll:
    item = meeting.current_item
    if item is None or item.poll_id is None:
        raise ValidationError(_("The current item has no vote."))
    return item.poll


def open_item_poll(chair, meeting: Meeting) -> Poll:
    """Open the vote of the current item, with the voter roll staff prepared for it."""
    with transaction.atomic():
        meeting = locked(meeting)
        _require(chair, meeting, policies.CHAIR)
        _require_state(meeting, (S.OPEN,), _("Votes are opened while the meeting is in session."))
        poll = _item_poll(meeting)
        if poll.state != Poll.State.DRAFT:
            raise ValidationError(_("This vote has already been opened."))
        poll = engine.open_poll(chair, poll, register=electorates.heads(poll.electorate))
        emit(
            meeting,
            "poll.opened",
            {"item": meeting.current_item_id, "poll": poll.pk, "title": poll.title},
        )
    return poll


def close_item_poll(chair, meeting: Meeting) -> Poll:
    with transaction.atomic():
        meeting = locked(meeting)
        _require(chair, meeting, policies.CHAIR)
        poll = _item_poll(meeting)
        if poll.state != Poll.State.OPEN:
            raise ValidationError(_("This vote is not open."))
        engine.close_poll(chair, poll)
        emit(meeting, "poll.closed", {"item": meeting.current_item_id, "poll": poll.pk})
    return poll


DIGITS = re.compile(r"[0-9]{1,10}")


def _id(key: str, message: str) -> int:
    """An id given as a JSON object's key: ASCII digits only (not " 1", not "１")."""
    if not DIGITS.fullmatch(key):
        raise ValidationError(message)
    return int(key)


def _number(value, message: str) -> int:
    """An option id or a score given as a JSON value: a whole number, not true, not "1"."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(message)
    return value


def _choices(raw) -> dict[int, Any]:
    """A vote message's choices, keyed by question id, in the shapes the polls' engine
    takes (docs/live-protocol.md); a clear error for anything else. The engine, which
    also reads forms, accepts any text `int()` takes: a socket's message must say what
    it means. An unanswered question (null, [] or {}) is left to the engine to name."""
    if not isinstance(raw, dict) or not raw:
        raise ValidationError(_("Choose an answer to each question."))
    option = _("Give each option by its number.")
    choices = {}
    for question, answer in raw.items():
        question = _id(question, _("Choose an answer to each question."))
        if isinstance(answer, list):
            answer = [_number(picked, option) for picked in answer]
        elif isinstance(answer, dict):
            score = _("Give each score as a whole number.")
            answer = {_id(picked, option): _number(n, score) for picked, n in answer.items()}
        elif answer is not None:
            answer = _number(answer, option)
        choices[question] = answer
    return choices


def cast_vote(user, meeting: Meeting, choices) -> engine.Cast:
    """Vote in the room on the current item's poll, as on the poll's own page: the same
    roll, the same one ballot per voter."""
    meeting = Meeting.objects.select_related("current_item__poll").get(pk=meeting.pk)
    _require(user, meeting, policies.PARTICIPANT)
    poll = _item_poll(meeting)
    entry = poll_queries.roll_entry(user, poll)
    refusal = poll_policies.vote_refusal(user, poll, entry, poll_queries.participation(poll, entry))
    if refusal is not None:
        raise ValidationError(refusal)
    return engine.cast_ballot(poll, entry, _choices(choices), voter=user)


# ---------------------------------------------------------------------------- presence


def _attend(meeting: Meeting, user, building_id: int | None, now) -> bool:
    """Record that a participant took part online, once; whether this was the first."""
    _row, created = Attendance.objects.get_or_create(
        meeting=meeting,
        user=user,
        defaults={
            "name": str(user)[:50],
            "building_id": building_id,
            "channel": Attendance.Channel.ONLINE,
            "arrived_at": now,
        },
    )
    return created


def _attend_those_present(meeting: Meeting, now) -> None:
    present = Presence.objects.filter(meeting=meeting, participant=True).select_related("user")
    arrived = [p for p in present if _attend(meeting, p.user, p.building_id, now)]
    if arrived:
        _emit_attendance(meeting)


def _broadcast_presence(meeting: Meeting) -> None:
    """A refresh of who is in the room: not numbered (the next one replaces it), and
    coalesced by the relay when many join at once."""
    broadcast.on_commit_send(
        meeting.group_name,
        {"type": "presence", "coalesce": True, **queries.room_presence(meeting)},
    )


def enter_room(user, meeting: Meeting, channel_name: str) -> str:
    """A connection joins the room; a participant entering a sitting meeting attends it
    online. Returns the person's room role."""
    role = policies.room_role(user, meeting)
    if role is None:
        raise PermissionDenied(_("Sign in to take part in the meeting."))
    participant = policies.room_allows(role, policies.PARTICIPANT)
    building_id = queries.room_building_ids(meeting, [user.pk]).get(user.pk)
    now = timezone.now()
    # Only a participant not yet recorded may have to be, and never in a closed meeting
    # (closing is final): everyone else enters without waiting for the room's lock.
    may_attend = (
        participant
        and meeting.state != S.CLOSED
        and not Attendance.objects.filter(meeting=meeting, user=user).exists()
    )
    with transaction.atomic():
        if may_attend:
            # Decided on the meeting as locked now: the chair opening or closing it at
            # this moment neither leaves the participant out nor records them in a
            # closed meeting.
            meeting = locked(meeting)
        Presence.objects.create(
            meeting=meeting,
            user=user,
            channel_name=channel_name,
            participant=participant,
            building_id=building_id,
            since=now,
        )
        if may_attend and meeting.state in SITTING and _attend(meeting, user, building_id, now):
            _emit_attendance(meeting)
        _broadcast_presence(meeting)
    return role


def leave_room(channel_name: str) -> None:
    with transaction.atomic():
        presence = (
            Presence.objects.select_related("meeting").filter(channel_name=channel_name).first()
        )
        if presence is None:
            return
        presence.delete()
        _broadcast_presence(presence.meeting)
