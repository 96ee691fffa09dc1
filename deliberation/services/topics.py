"""Topics (议题): from a resident's draft to a resolution carried out and evaluated.

Each step checks its rule (`topic_rules`) and who may take it (`policies`), runs in one
transaction on the locked topic, writes a public trace entry (the topic's timeline is
read from the trace), and tells the topic's followers.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from polls.models import Poll

from .. import electorates, policies, ratelimits, topic_rules, trace
from ..models import (
    Building,
    CatalogEntry,
    Comment,
    CommentReport,
    Community,
    Compound,
    Dwelling,
    Evaluation,
    Follow,
    Membership,
    Notification,
    ProgressUpdate,
    Signature,
    Topic,
)
from ..models.places import normalize_entrance
from ..models.trace import ACTION_LABELS
from ..sanitize import clean_optional, clean_plain
from ..sanitize import clean_required as _clean
from . import notify

S = Topic.Status
Place = Community | Compound | Building

TITLE_MAX = 80
BODY_MAX = 5000
COMMENT_MAX = 1000
REASON_MAX = 200
RESOLUTION_MAX = 5000
PROGRESS_MAX = 2000


# ---------------------------------------------------------------------------- scope


def scope_key(place: Place, entrance: str = "") -> str:
    """How a form names a topic's scope: "building:12:2" for entrance 2 of building 12."""
    return electorates.electorate_key("households", place, entrance).removeprefix("households:")


def place_from_key(key: str) -> tuple[Place, str]:
    """The place and entrance a scope key names; a clear error for anything else."""
    try:
        _kind, level, pk, entrance = electorates.parse(f"households:{key}")
    except electorates.UnknownElectorate:
        raise ValidationError(_("Choose where the topic applies.")) from None
    place = electorates.PLACES[level].objects.filter(pk=pk).first()
    if place is None or (entrance and level != "building"):
        raise ValidationError(_("Choose where the topic applies."))
    return place, normalize_entrance(entrance)


def _topic_key(topic: Topic, kind: str = "households") -> str:
    return electorates.electorate_key(kind, topic.place, topic.entrance)


def scope_dwellings(topic: Topic):
    return electorates.dwellings_of(_topic_key(topic))


def scope_households(topic: Topic):
    """The dwellings of the scope that house a household: unsold and undelivered
    dwellings house nobody (their developer counts as one owner, never as households)."""
    return scope_dwellings(topic).filter(developer_held=False, delivered=True)


def memberships_in_scope(user, topic: Topic):
    """The person's verified memberships in households the topic concerns: those that
    raise, co-sign and evaluate it, and count in `households_in_scope`."""
    if not policies.is_signed_in(user):
        return Membership.objects.none()
    return Membership.objects.filter(
        user=user,
        status=Membership.Status.VERIFIED,
        dwelling__in=scope_households(topic),
    ).order_by("dwelling_id", "pk")


def _count_scope(topic: Topic) -> None:
    """Households and owners of the scope, counted when the topic is proposed (its
    record date, as a poll's roll): owners count as in an owners' vote (the developer
    once, a buyer of several once)."""
    topic.households_in_scope = scope_households(topic).count()
    topic.owners_in_scope = len(electorates.heads(_topic_key(topic, "owners")))


# ---------------------------------------------------------------------------- helpers


def _locked(topic: Topic) -> Topic:
    return (
        Topic.objects.select_for_update(of=("self",))
        .select_related("community", "compound", "building__compound", "catalog_entry")
        .get(pk=topic.pk)
    )


def _require_manager(user, topic: Topic) -> None:
    if not policies.can_manage_topic(user, topic):
        raise PermissionDenied(_("You hold no seat that handles topics in this place."))


def topic_url(topic: Topic) -> str:
    return reverse("deliberation:topic", args=[topic.pk])


def _notify(topic: Topic, action: str, actor, *, also: set[int] = frozenset()) -> None:
    """Tell the topic's followers (and the people in `also`) of a step, in the app and,
    if they gave one, by email once the step commits. The actor is not told."""
    recipient_ids = set(Follow.objects.filter(topic=topic).values_list("user_id", flat=True))
    recipient_ids = (recipient_ids | set(also)) - {getattr(actor, "pk", None)}
    with translation.override(settings.LANGUAGE_CODE):
        text = f"“{topic.title}”：{ACTION_LABELS.get(action, action)}"[:300]

    def mail() -> tuple[str, str]:
        context = {
            "topic": topic,
            "text": text,
            "url": settings.WAGTAILADMIN_BASE_URL.rstrip("/") + topic_url(topic),
        }
        return (
            render_to_string("deliberation/email/topic_subject.txt", context),
            render_to_string("deliberation/email/topic_step.txt", context),
        )

    notify.deliver(recipient_ids, action=action, text=text, mail=mail, topic=topic)


def _record(actor, topic: Topic, action: str, *, before=None, after=None, public=True) -> None:
    trace.record(actor=actor, action=action, obj=topic, before=before, after=after, public=public)


def _move(
    actor,
    topic: Topic,
    status: str,
    action: str,
    *,
    after: dict | None = None,
    fields: tuple[str, ...] = (),
    also: set[int] = frozenset(),
) -> Topic:
    """Take one step of the lifecycle on a locked topic: refuse an illegal one, save,
    trace publicly and tell the followers."""
    reason = topic_rules.refusal(topic.status, status)
    if reason:
        raise ValidationError(reason, code="illegal_step")
    before = {"status": topic.status}
    topic.status = status
    topic.status_changed_at = timezone.now()
    changed = ["status", "status_changed_at"]
    if status == S.PROPOSED:
        topic.proposed_at = topic.status_changed_at
        changed.append("proposed_at")
    topic.save(update_fields=[*fields, *changed])
    _record(actor, topic, action, before=before, after={"status": status, **(after or {})})
    _notify(topic, action, actor, also=also)
    return topic


def _text_for_search(topic: Topic) -> str:
    return "\n".join([topic.title, topic.body, topic.catalog_entry.name, topic.scope_label])


# ---------------------------------------------------------------------------- drafts


def save_draft(
    user,
    *,
    catalog_entry: CatalogEntry,
    scope: str,
    title: str,
    body: str,
    topic: Topic | None = None,
) -> Topic:
    """Write or rewrite a draft. Only a verified member of a household of the scope may
    raise a topic there, under an entry of that community's catalog."""
    if not policies.is_signed_in(user):
        raise PermissionDenied(_("Sign in to raise a topic."))
    place, entrance = place_from_key(scope)
    title = _clean(
        title,
        TITLE_MAX,
        _("Give the topic a title."),
        _("Keep the title under %(limit)s characters."),
    )
    body = _clean(
        body,
        BODY_MAX,
        _("Describe the matter: what is wrong and what you propose."),
        _("Keep the description under %(limit)s characters."),
    )
    community = place if isinstance(place, Community) else None
    if isinstance(place, Compound):
        community = place.community
    elif isinstance(place, Building):
        community = place.compound.community
    if catalog_entry.community_id != community.pk:
        raise ValidationError(_("Choose a matter from the catalog of this community."))
    with transaction.atomic():
        if topic is None:
            topic = Topic(proposed_by=user)
        else:
            topic = _locked(topic)
            if topic.proposed_by_id != user.pk:
                raise PermissionDenied(_("Only the person who wrote a draft may change it."))
            if topic.status != S.DRAFT:
                raise ValidationError(_("A proposed topic can no longer be changed."))
        topic.community = community
        topic.compound = place if isinstance(place, Compound) else getattr(place, "compound", None)
        topic.building = place if isinstance(place, Building) else None
        topic.entrance = entrance
        topic.catalog_entry = catalog_entry
        topic.title, topic.body = title, body
        if entrance and not scope_dwellings(topic).exists():
            raise ValidationError(_("This building has no such entrance."))
        if not memberships_in_scope(user, topic).exists():
            raise ValidationError(
                _("Only verified members of a household in %(scope)s can raise a topic there.")
                % {"scope": topic.scope_label}
            )
        created = topic.pk is None
        if created:
            ratelimits.hit(user, "topic.propose")
        topic.search_text = _text_for_search(topic)
        topic.save()
        _record(
            user,
            topic,
            "topic.drafted" if created else "topic.draft_changed",
            after={"title": title, "scope": topic.scope_label},
            public=False,
        )
        if created:
            Follow.objects.get_or_create(topic=topic, user=user)
    return topic


def delete_draft(user, topic: Topic) -> None:
    with transaction.atomic():
        topic = _locked(topic)
        if topic.proposed_by_id != user.pk:
            raise PermissionDenied(_("Only the person who wrote a draft may delete it."))
        if topic.status != S.DRAFT:
            raise ValidationError(_("A proposed topic is public and stays on the record."))
        _record(user, topic, "topic.draft_deleted", after={"title": topic.title}, public=False)
        topic.delete()


def propose(user, topic: Topic) -> Topic:
    """Make a draft public and open it for co-signing; the proposer's household signs first."""
    with transaction.atomic():
        topic = _locked(topic)
        if topic.proposed_by_id != user.pk:
            raise PermissionDenied(_("Only the person who wrote a draft may propose it."))
        if topic.status == S.DRAFT and not memberships_in_scope(user, topic).exists():
            raise ValidationError(
                _("Only verified members of a household in %(scope)s can raise a topic there.")
                % {"scope": topic.scope_label}
            )
        _count_scope(topic)
        _move(
            user,
            topic,
            S.PROPOSED,
            "topic.proposed",
            after={
                "title": topic.title,
                "scope": topic.scope_label,
                "catalog_entry": topic.catalog_entry.name,
                "households_in_scope": topic.households_in_scope,
            },
            fields=("households_in_scope", "owners_in_scope"),
        )
        _sign(user, topic)
    return topic


# ---------------------------------------------------------------------------- co-signing


def sign(user, topic: Topic) -> list[Signature]:
    """Co-sign a topic for the person's households in its scope (one signature per
    household). Reaching the catalog's threshold puts the topic in the queue; reaching
    a petition threshold is flagged to the committee."""
    with transaction.atomic():
        return _sign(user, _locked(topic))


def _signing_plan(user, topic: Topic) -> tuple[list[Signature], list[Signature]]:
    """The signatures the person would give (households not signed yet) and those they
    would back as the owner (households a tenant or family member signed for); a
    ValidationError says why there are none."""
    if topic.status not in topic_rules.SIGNING_OPEN:
        raise ValidationError(_("This topic is no longer open for co-signing."))
    memberships = list(
        memberships_in_scope(user, topic).select_related("dwelling__building__compound")
    )
    if not memberships:
        raise ValidationError(
            _("Only verified members of a household in %(scope)s can co-sign.")
            % {"scope": topic.scope_label}
        )
    existing = {
        signature.dwelling_id: signature
        for signature in Signature.objects.filter(
            topic=topic, dwelling_id__in=[m.dwelling_id for m in memberships]
        ).select_related("dwelling__building__compound")
    }
    new: dict[int, Signature] = {}
    backed: list[Signature] = []
    for membership in memberships:
        owner = user if membership.is_owner else None
        signature = existing.get(membership.dwelling_id)
        if signature is None:
            signature = new.setdefault(
                membership.dwelling_id,
                Signature(topic=topic, dwelling=membership.dwelling, user=user),
            )
            signature.owner = signature.owner or owner
        elif owner is not None and signature.owner_id is None:
            # A tenant or family member signed for the household first; its owner now
            # backs that signature and counts towards the owners' petition.
            signature.owner = owner
            backed.append(signature)
    if not new and not backed:
        raise ValidationError(_("Your household has already co-signed this topic."))
    return list(new.values()), backed


def signing_refusal(user, topic: Topic) -> str | None:
    """Why the person cannot co-sign the topic now, or None if they can (for pages)."""
    try:
        _signing_plan(user, topic)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def _sign(user, topic: Topic) -> list[Signature]:
    new, backed = _signing_plan(user, topic)
    try:
        with transaction.atomic():
            signatures = Signature.objects.bulk_create(new)
            Signature.objects.bulk_update(backed, ["owner"])
    except IntegrityError:
        raise ValidationError(_("Your household has already co-signed this topic.")) from None
    topic.signature_count = Signature.objects.filter(topic=topic).count()
    topic.owner_signature_count = (
        Signature.objects.filter(topic=topic, owner__isnull=False)
        .values("owner")
        .distinct()
        .count()
    )
    topic.save(update_fields=["signature_count", "owner_signature_count"])
    _record(
        user,
        topic,
        "topic.signed",
        after={
            "households": [str(s.dwelling) for s in signatures],
            "backed_as_owner": [str(s.dwelling) for s in backed],
            "total": topic.signature_count,
        },
        public=False,
    )
    Follow.objects.get_or_create(topic=topic, user=user)
    _check_thresholds(topic)
    return signatures + backed


def _check_thresholds(topic: Topic) -> None:
    now = timezone.now()
    committee = policies.topic_manager_ids(topic)
    if topic.status == S.PROPOSED and topic_rules.queue_threshold_reached(
        topic.catalog_entry, topic.signature_count, topic.households_in_scope
    ):
        topic.accepted_by = Topic.AcceptedBy.THRESHOLD
        _move(
            None,
            topic,
            S.ACCEPTED,
            "topic.accepted",
            after={
                "accepted_by": topic.accepted_by,
                "signatures": topic.signature_count,
                "needed": topic_rules.households_needed(
                    topic.catalog_entry, topic.households_in_scope
                ),
            },
            fields=("accepted_by",),
            also=committee,
        )
    if topic.residents_meeting_due_at is None and topic_rules.residents_meeting_required(
        topic.signature_count, topic.households_in_scope
    ):
        topic.residents_meeting_due_at = now
        topic.save(update_fields=["residents_meeting_due_at"])
        _record(
            None,
            topic,
            "topic.residents_meeting_due",
            after={"signatures": topic.signature_count, "households": topic.households_in_scope},
        )
        _notify(topic, "topic.residents_meeting_due", None, also=committee)
    if topic.owners_assembly_due_at is None and topic_rules.owners_assembly_required(
        topic.owner_signature_count, topic.owners_in_scope
    ):
        topic.owners_assembly_due_at = now
        topic.save(update_fields=["owners_assembly_due_at"])
        _record(
            None,
            topic,
            "topic.owners_assembly_due",
            after={"owners": topic.owner_signature_count, "owners_in_scope": topic.owners_in_scope},
        )
        _notify(topic, "topic.owners_assembly_due", None, also=committee)


# ---------------------------------------------------------------------------- the committee's steps


def accept(staff, topic: Topic) -> Topic:
    """The committee picks a proposed topic for its queue before the threshold is met."""
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        topic.accepted_by = Topic.AcceptedBy.COMMITTEE
        return _move(
            staff,
            topic,
            S.ACCEPTED,
            "topic.accepted",
            after={"accepted_by": topic.accepted_by},
            fields=("accepted_by",),
        )


def decline(staff, topic: Topic, reason: str) -> Topic:
    reason = _clean(
        reason,
        1000,
        _("Give the residents a public reason for declining."),
        _("Keep the reason under %(limit)s characters."),
    )
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        topic.decline_reason = reason
        return _move(
            staff,
            topic,
            S.DECLINED,
            "topic.declined",
            after={"reason": reason},
            fields=("decline_reason",),
        )


def _check_poll(topic: Topic, poll: Poll | None) -> None:
    if poll is not None and electorates.community_id(poll.electorate) != topic.community_id:
        raise ValidationError(_("Choose a poll of this topic's community."))


def schedule(
    staff,
    topic: Topic,
    *,
    note: str,
    scheduled_for: datetime | None = None,
    poll: Poll | None = None,
) -> Topic:
    """Put an accepted topic on a meeting's agenda or to a vote (or both)."""
    note = clean_plain(note or "").strip()
    if not note and poll is None:
        raise ValidationError(_("Say which meeting or vote will take the topic up."))
    if len(note) > 200:
        raise ValidationError(_("Keep the note under 200 characters."))
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        _check_poll(topic, poll)
        topic.schedule_note, topic.scheduled_for, topic.poll = note, scheduled_for, poll
        return _move(
            staff,
            topic,
            S.SCHEDULED,
            "topic.scheduled",
            after={
                "note": note,
                "scheduled_for": scheduled_for,
                "poll": poll.title if poll else "",
            },
            fields=("schedule_note", "scheduled_for", "poll"),
        )


def mark_deliberated(staff, topic: Topic) -> Topic:
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        return _move(staff, topic, S.DELIBERATED, "topic.deliberated")


def resolve(staff, topic: Topic, *, resolution: str, poll: Poll | None = None) -> Topic:
    """Record what was decided; a linked poll must have closed, and its result is shown."""
    resolution = _clean(
        resolution,
        RESOLUTION_MAX,
        _("Write down what was resolved."),
        _("Keep the resolution under %(limit)s characters."),
    )
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        poll = poll or topic.poll
        _check_poll(topic, poll)
        if poll is not None and poll.state not in (Poll.State.CLOSED, Poll.State.PUBLISHED):
            raise ValidationError(_("The linked poll has not closed yet."))
        topic.resolution, topic.poll = resolution, poll
        return _move(
            staff,
            topic,
            S.RESOLVED,
            "topic.resolved",
            after={
                "resolution": resolution,
                "poll": poll.title if poll else "",
            },
            fields=("resolution", "poll"),
        )


def start_implementation(
    staff, topic: Topic, *, responsible: str, responsible_name: str = ""
) -> Topic:
    if responsible not in Topic.Responsible.values:
        raise ValidationError(_("Choose who carries the resolution out."))
    responsible_name = clean_plain(responsible_name or "").strip()
    if len(responsible_name) > 100:
        raise ValidationError(_("Keep the name under 100 characters."))
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        topic.responsible, topic.responsible_name = responsible, responsible_name
        return _move(
            staff,
            topic,
            S.IMPLEMENTING,
            "topic.implementing",
            after={
                "responsible": Topic.Responsible(responsible).label,
                "name": responsible_name,
            },
            fields=("responsible", "responsible_name"),
        )


def post_progress(user, topic: Topic, text: str) -> ProgressUpdate:
    """The responsible party (or the committee on its behalf) reports progress."""
    text = _clean(
        text,
        PROGRESS_MAX,
        _("Write what has been done."),
        _("Keep the update under %(limit)s characters."),
    )
    with transaction.atomic():
        topic = _locked(topic)
        if not policies.can_post_progress(user, topic):
            raise PermissionDenied(_("Only the party responsible may report progress."))
        if topic.status != S.IMPLEMENTING:
            raise ValidationError(_("Progress is reported while a resolution is carried out."))
        on_behalf_of = topic.responsible_name or topic.get_responsible_display()
        update = ProgressUpdate.objects.create(
            topic=topic, author=user, on_behalf_of=on_behalf_of, text=text
        )
        _record(user, topic, "topic.progress", after={"by": on_behalf_of, "text": text})
        _notify(topic, "topic.progress", user)
    return update


def close(staff, topic: Topic) -> Topic:
    """The matter is done; the households of its scope may now evaluate how it went."""
    with transaction.atomic():
        topic = _locked(topic)
        _require_manager(staff, topic)
        return _move(staff, topic, S.CLOSED, "topic.closed")


def _households_to_evaluate(user, topic: Topic) -> list[int]:
    """The person's households of the scope that have not evaluated the topic yet; a
    ValidationError says why there are none."""
    if topic.status != S.CLOSED:
        raise ValidationError(_("A topic is evaluated once it is closed."))
    dwelling_ids = list(memberships_in_scope(user, topic).values_list("dwelling_id", flat=True))
    if not dwelling_ids:
        raise ValidationError(
            _("Only verified members of a household in %(scope)s can evaluate it.")
            % {"scope": topic.scope_label}
        )
    done = set(
        Evaluation.objects.filter(topic=topic, dwelling_id__in=dwelling_ids).values_list(
            "dwelling_id", flat=True
        )
    )
    open_ids = [pk for pk in dwelling_ids if pk not in done]
    if not open_ids:
        raise ValidationError(_("Your household has already evaluated this topic."))
    return open_ids


def evaluation_refusal(user, topic: Topic) -> str | None:
    """Why the person cannot evaluate the topic now, or None if they can (for pages)."""
    try:
        _households_to_evaluate(user, topic)
    except ValidationError as error:
        return " ".join(error.messages)
    return None


def evaluate(user, topic: Topic, *, satisfaction: int, comment: str = "") -> Evaluation:
    """A household of the scope says how satisfied it is (1–5), once."""
    if satisfaction not in range(1, 6):
        raise ValidationError(_("Choose a satisfaction from 1 to 5."))
    comment = clean_optional(
        comment, COMMENT_MAX, _("Keep the comment under %(limit)s characters.")
    )
    with transaction.atomic():
        topic = _locked(topic)
        open_ids = _households_to_evaluate(user, topic)
        try:
            with transaction.atomic():
                evaluation = Evaluation.objects.create(
                    topic=topic,
                    dwelling=Dwelling.objects.get(pk=open_ids[0]),
                    user=user,
                    satisfaction=satisfaction,
                    comment=comment,
                )
        except IntegrityError:
            raise ValidationError(_("Your household has already evaluated this topic.")) from None
        Topic.objects.filter(pk=topic.pk).update(
            evaluation_count=F("evaluation_count") + 1,
            satisfaction_total=F("satisfaction_total") + satisfaction,
        )
        _record(user, topic, "topic.evaluated", after={"satisfaction": satisfaction}, public=False)
    return evaluation


# ---------------------------------------------------------------------------- discussion


def post_comment(
    user,
    topic: Topic,
    *,
    text: str,
    stance: str = Comment.Stance.NEUTRAL,
    parent: Comment | None = None,
) -> Comment:
    text = _clean(
        text,
        COMMENT_MAX,
        _("Write a comment first."),
        _("Keep the comment under %(limit)s characters."),
    )
    if stance not in Comment.Stance.values:
        raise ValidationError(_("Choose support, oppose or neutral."))
    with transaction.atomic():
        topic = _locked(topic)
        if not policies.can_comment(user, topic):
            raise PermissionDenied(
                _("Only verified residents of this community can take part in the discussion.")
            )
        if topic.status not in topic_rules.COMMENTS_OPEN:
            raise ValidationError(_("The discussion of this topic is closed."))
        if parent is not None:
            # As stored now: a moderator may have hidden it since the caller read it.
            parent = Comment.objects.select_related("parent").get(pk=parent.pk)
            if parent.topic_id != topic.pk:
                raise ValidationError(_("You can only reply to a comment on this topic."))
            if parent.parent_id is not None:
                parent = parent.parent  # replies stay one level deep
            if parent.is_hidden:
                raise ValidationError(_("A hidden comment cannot be replied to."))
        ratelimits.hit(user, "topic.comment")
        comment = Comment.objects.create(
            topic=topic, parent=parent, author=user, stance=stance, text=text
        )
        Topic.objects.filter(pk=topic.pk).update(comment_count=F("comment_count") + 1)
        _record(
            user,
            topic,
            "topic.commented",
            after={"comment": comment.pk, "stance": stance},
            public=False,
        )
    return comment


def report_comment(user, comment: Comment, reason: str) -> CommentReport:
    reason = _clean(
        reason,
        REASON_MAX,
        _("Say what is wrong with the comment."),
        _("Keep the reason under %(limit)s characters."),
    )
    # As stored now: a moderator may have hidden it since the caller read it.
    comment = Comment.objects.select_related("topic").get(pk=comment.pk)
    if not policies.can_comment(user, comment.topic):
        raise PermissionDenied(_("Only verified residents of this community can report comments."))
    if comment.author_id == user.pk:
        raise ValidationError(_("You cannot report your own comment."))
    if comment.is_hidden:
        raise ValidationError(_("This comment is already hidden."))
    ratelimits.hit(user, "comment.report")
    try:
        with transaction.atomic():
            report = CommentReport.objects.create(comment=comment, reporter=user, reason=reason)
            Comment.objects.filter(pk=comment.pk).update(report_count=F("report_count") + 1)
            trace.record(
                actor=user,
                action="topic.comment_reported",
                obj=comment,
                after={"reason": reason},
            )
    except IntegrityError:
        raise ValidationError(_("You have already reported this comment.")) from None
    return report


def hide_comment(staff, comment: Comment, reason: str) -> Comment:
    """Moderators hide, never delete: the comment stays on record, its place shows the
    public reason."""
    reason = _clean(
        reason,
        REASON_MAX,
        _("Give a public reason for hiding the comment."),
        _("Keep the reason under %(limit)s characters."),
    )
    with transaction.atomic():
        comment = Comment.objects.select_for_update().select_related("topic").get(pk=comment.pk)
        _require_manager(staff, comment.topic)
        if comment.is_hidden:
            raise ValidationError(_("This comment is already hidden."))
        comment.hidden_at, comment.hidden_by, comment.hidden_reason = timezone.now(), staff, reason
        comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])
        _record(
            staff,
            comment.topic,
            "topic.comment_hidden",
            after={"comment": comment.pk, "author": str(comment.author), "reason": reason},
        )
    return comment


# ---------------------------------------------------------------------------- following


def follow(user, topic: Topic) -> Follow:
    if not policies.can_see_topic(user, topic):
        raise PermissionDenied(_("This topic is not public."))
    return Follow.objects.get_or_create(topic=topic, user=user)[0]


def unfollow(user, topic: Topic) -> None:
    Follow.objects.filter(topic=topic, user=user).delete()


def mark_notifications_read(user, ids: list[int] | None = None) -> int:
    unread = Notification.objects.filter(recipient=user, read_at=None)
    if ids is not None:
        unread = unread.filter(pk__in=ids)
    return unread.update(read_at=timezone.now())
