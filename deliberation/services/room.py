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

from django.db import transaction
from django.utils import timezone

from .. import broadcast
from ..models import Meeting, RoomEvent


def locked(meeting: Meeting) -> Meeting:
    """The meeting as stored now, its row locked until the transaction ends: every
    change to the room goes through here, so its events are numbered one at a time."""
    return Meeting.objects.select_for_update().get(pk=meeting.pk)


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
