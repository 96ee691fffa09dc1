"""Writing and checking the trace.

`record()` is called by services inside their transaction, so an entry exists exactly
when its change does. Appends lock the single `TraceHead` row (a row lock on
PostgreSQL; SQLite serializes writers anyway), so concurrent writers never fork the
chain. Each entry's hash covers its content and the previous entry's hash.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone, translation

from .models import TraceEntry, TraceHead, community_id_of

GENESIS = "0" * 64


def _plain(value: dict[str, Any] | None) -> dict[str, Any]:
    """JSON-safe copy (Decimal, dates → strings) so what is hashed is what is stored."""
    return json.loads(json.dumps(value or {}, cls=DjangoJSONEncoder, ensure_ascii=False))


def entry_hash(entry: TraceEntry) -> str:
    payload = {
        "seq": entry.seq,
        "created_at": entry.created_at.astimezone(dt.UTC).isoformat(),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "before": entry.before,
        "after": entry.after,
        "is_public": entry.is_public,
        "community": entry.community_id,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def record(
    *,
    actor,
    action: str,
    obj: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = False,
    community_id: int | None = None,
) -> TraceEntry:
    """Append one entry for a change to `obj`. Must run inside the change's transaction.
    The entry's community is `obj`'s, or `community_id` for objects that do not know
    their place (a poll knows only its electorate)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("trace.record() must run inside the transaction of its change")
    head, _ = TraceHead.objects.select_for_update().get_or_create(pk=1)
    # Labels are written in the site's language, whoever's request made the change.
    with translation.override(settings.LANGUAGE_CODE):
        object_label = str(obj)[:200]
        actor_label = str(actor) if getattr(actor, "pk", None) else "system"
    entry = TraceEntry(
        seq=head.last_seq + 1,
        created_at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        actor_label=actor_label,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_label=object_label,
        before=_plain(before),
        after=_plain(after),
        is_public=public,
        community_id=community_id if community_id is not None else community_id_of(obj),
        prev_hash=head.last_hash or GENESIS,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    head.last_seq, head.last_hash = entry.seq, entry.hash
    head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class Break:
    seq: int
    reason: str


def verify(batch_size: int = 2000) -> tuple[int, Break | None]:
    """Walk the chain in order; return how many entries were checked and the first break."""
    expected_prev, expected_seq, checked = GENESIS, 1, 0
    for entry in TraceEntry.objects.order_by("seq").iterator(chunk_size=batch_size):
        if entry.seq != expected_seq:
            return checked, Break(expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != expected_prev:
            return checked, Break(entry.seq, "it does not link to the entry before it")
        if entry_hash(entry) != entry.hash:
            return checked, Break(entry.seq, "its content does not match its hash")
        expected_prev, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
    head = TraceHead.objects.filter(pk=1).first()
    if head is None and checked:
        return checked, Break(checked, "the chain head is missing, so the end cannot be checked")
    if head and head.last_seq != checked:
        return checked, Break(checked + 1, f"entries after #{checked} are missing")
    if head and head.last_seq and head.last_hash != expected_prev:
        return checked, Break(checked, "the chain head does not match the last entry")
    return checked, None


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """A short before/after picture of some fields of an object."""
    return {name: getattr(obj, name) for name in fields}
