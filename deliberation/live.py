"""Numbered live streams: a meeting's room, a pact's page. Each event is numbered in its
owner's own sequence (`last_seq`) and stored in the transaction of the change it
reports, with the owner's row locked, so numbers are given in commit order and never
twice; it goes to the owner's channel-layer group once the transaction commits. A client
that missed some asks for them by number and is never left wrong.

Low level, like the broadcaster: services call it; it imports no consumer and no service.
"""

from __future__ import annotations

from django.db import models, transaction
from django.utils import timezone

from . import broadcast

REPLAY_LIMIT = 500
"""How far behind a client may be and still be sent the events it missed; further
behind, it is sent a snapshot instead."""


def frame(event: models.Model) -> dict:
    """What clients receive for a stored event, the first time and on replay alike."""
    return {"type": event.type, "seq": event.seq, "at": event.created_at.isoformat(), **event.data}


def emit(owner: models.Model, event_model: type[models.Model], type: str, data: dict):
    """Store `owner`'s next event and broadcast it after commit. Call it inside the
    change's transaction, on an owner whose row that transaction locked."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("live.emit() must run inside the transaction of its change")
    owner.last_seq += 1
    owner.__class__.objects.filter(pk=owner.pk).update(last_seq=owner.last_seq)
    event = event_model.objects.create(
        **{owner._meta.model_name: owner},
        seq=owner.last_seq,
        type=type,
        data=data,
        created_at=timezone.now(),
    )
    broadcast.on_commit_send(owner.group_name, frame(event))
    return event


def events_after(owner: models.Model, event_model: type[models.Model], after: int) -> list | None:
    """The stored events after number `after`, in order; None when `after` is a number
    the owner has not given yet, or too far behind to replay."""
    last = owner.__class__.objects.values_list("last_seq", flat=True).get(pk=owner.pk)
    if after > last or last - after > REPLAY_LIMIT:
        return None
    return list(
        event_model.objects.filter(**{owner._meta.model_name: owner}, seq__gt=after).order_by("seq")
    )
