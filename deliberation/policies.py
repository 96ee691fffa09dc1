"""Who may do what: plain functions of (user, object), used by views, consumers,
services and templates alike."""

from django.db import models
from django.db.models import CharField, Q
from django.db.models.functions import Cast

from polls.models import Poll

from . import electorates
from .models import (
    Building,
    CatalogEntry,
    Comment,
    Community,
    Compound,
    Council,
    Dwelling,
    Meeting,
    Membership,
    Pact,
    Role,
    Topic,
    TraceEntry,
    community_id_of,
)
from .roles import PERMISSIONS_BY_KIND, VERIFYING_KINDS


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def staff_community_ids(user) -> set[int]:
    """The communities where the person holds a seat, of any kind and reach."""
    if not is_signed_in(user):
        return set()
    if user.is_superuser:
        return set(Community.objects.values_list("pk", flat=True))
    return set(Role.objects.filter(user=user).values_list("community_id", flat=True))


def holds_staff_role(user) -> bool:
    """Staff roles require two-factor authentication. `is_staff` is kept in step with
    the roles a person holds by the role services."""
    return is_signed_in(user) and (user.is_staff or user.is_superuser)


def can_verify_membership(user, membership: Membership) -> bool:
    if not is_signed_in(user) or membership.user_id == user.pk:
        return False  # nobody verifies their own claim, superusers included
    if user.is_superuser:
        return True
    building = membership.dwelling.building
    return Role.objects.filter(
        Q(compound__isnull=True) | Q(compound_id=building.compound_id),
        user=user,
        kind__in=VERIFYING_KINDS,
        community_id=building.compound.community_id,
    ).exists()


def can_manage_roles(user, community: Community) -> bool:
    """Seats are granted by the residents' committee of the whole community."""
    if not is_signed_in(user):
        return False
    return (
        user.is_superuser
        or Role.objects.filter(
            user=user,
            community=community,
            kind=Role.Kind.RESIDENTS_COMMITTEE,
            compound__isnull=True,
        ).exists()
    )


# A seat's reach in the back office: (community id, compound id), where a compound id
# of None means the whole community.
Seat = tuple[int, int | None]

# How each back-office model reaches its community and its compound. Communities have
# no compound: a compound's seat may read its community but never change it.
COMMUNITY_LOOKUP = {
    Community: "pk",
    Compound: "community_id",
    Building: "compound__community_id",
    Dwelling: "building__compound__community_id",
    Membership: "dwelling__building__compound__community_id",
    Role: "community_id",
    TraceEntry: "community_id",
    Topic: "community_id",
    CatalogEntry: "community_id",
    Comment: "topic__community_id",
    Council: "community_id",
    Meeting: "community_id",
    Pact: "community_id",
}
COMPOUND_LOOKUP = {
    Community: None,
    Compound: "pk",
    Building: "compound_id",
    Dwelling: "building__compound_id",
    Membership: "dwelling__building__compound_id",
    Role: "compound_id",
    Topic: "compound_id",
    CatalogEntry: None,
    Comment: "topic__compound_id",
    Council: "compound_id",
    Meeting: "compound_id",
    Pact: "compound_id",
}


def seats_with_permission(user, permission: str) -> set[Seat]:
    """The seats of the person that carry a back-office permission.

    Group permissions are global in Django; this ties each one back to the community
    (and compound) of the seat that grants it, so a seat in one place gives no rights
    in another.
    """
    if not is_signed_in(user):
        return set()
    kinds = [kind for kind, perms in PERMISSIONS_BY_KIND.items() if permission in perms]
    if not kinds:
        return set()
    seats = Role.objects.filter(user=user, kind__in=kinds).order_by()
    return set(seats.values_list("community_id", "compound_id"))


def back_office_scope(user, model, action: str) -> frozenset[Seat] | None:
    """The seats through which the person may `action` (view, add, change, delete)
    `model` objects in the back office; None means everything (superusers)."""
    if is_signed_in(user) and user.is_superuser:
        return None
    opts = model._meta
    seats = seats_with_permission(user, f"{opts.app_label}.{action}_{opts.model_name}")
    if model is Community and action == "view":
        seats = {(community_id, None) for community_id, _ in seats}
    return frozenset(seats)


def _split(seats) -> tuple[set[int], set[int]]:
    """Communities covered whole, and single compounds."""
    whole = {community_id for community_id, compound_id in seats if compound_id is None}
    compounds = {compound_id for _, compound_id in seats if compound_id is not None}
    return whole, compounds


def _trace_about_compounds(compound_ids: set[int]) -> Q:
    """Trace entries about a compound or the buildings, dwellings, claims and seats in it.

    An entry names its object by type and id, so this matches the objects that still
    exist: the entry of a seat revoked since is not found this way.
    """
    about = Q(pk__in=[])
    for model, lookup in COMPOUND_LOOKUP.items():
        if lookup is None:
            continue
        keys = (
            model.objects.filter(**{f"{lookup}__in": compound_ids})
            .annotate(key=Cast("pk", CharField()))
            .values("key")
        )
        about |= Q(object_type=model._meta.label_lower, object_id__in=keys)
    return about


def scope_filter(model, scope: frozenset[Seat] | None) -> Q:
    """A filter on `model` matching the objects the seats of `scope` reach."""
    if scope is None:
        return Q()
    whole, compounds = _split(scope)
    reach = Q(pk__in=[])
    if whole:
        reach |= Q(**{f"{COMMUNITY_LOOKUP[model]}__in": whole})
    if compounds and model is TraceEntry:
        reach |= _trace_about_compounds(compounds)
    elif compounds and COMPOUND_LOOKUP[model]:
        reach |= Q(**{f"{COMPOUND_LOOKUP[model]}__in": compounds})
    return reach


def compound_id_of(obj: models.Model) -> int | None:
    """The compound of a place, membership or role; None for a community or a seat of a
    whole community."""
    if isinstance(obj, Compound):
        return obj.pk
    if isinstance(obj, Building | Role | Topic | Council | Meeting | Pact):
        return obj.compound_id
    if isinstance(obj, Dwelling):
        return obj.building.compound_id
    if isinstance(obj, Membership):
        return obj.dwelling.building.compound_id
    return None


def scope_covers(scope: frozenset[Seat] | None, obj: models.Model) -> bool:
    """Whether one of the seats of `scope` reaches `obj` (the Python side of `scope_filter`
    for places, memberships and roles)."""
    if scope is None:
        return True
    whole, compounds = _split(scope)
    if community_id_of(obj) in whole:
        return True
    compound_id = compound_id_of(obj)
    return compound_id is not None and compound_id in compounds


def can_read_trace_entry(user, entry: TraceEntry) -> bool:
    """Public entries are for everyone; the others for staff whose seats carry
    `view_traceentry` for the entry's community (or, for a compound's seat, whose
    entry is about that compound)."""
    if entry.is_public:
        return True
    scope = back_office_scope(user, TraceEntry, "view")
    if scope is None:
        return True
    whole, compounds = _split(scope)
    if entry.community_id is not None and entry.community_id in whole:
        return True
    return bool(compounds) and (
        TraceEntry.objects.filter(pk=entry.pk).filter(scope_filter(TraceEntry, scope)).exists()
    )


def can_save_place(user, place, *, created: bool) -> bool:
    opts = place._meta
    action = "add" if created else "change"
    if not is_signed_in(user) or not user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}"):
        return False
    return scope_covers(back_office_scope(user, type(place), action), place)


def can_see_verification_queue(user) -> bool:
    return is_signed_in(user) and (
        user.is_superuser or Role.objects.filter(user=user, kind__in=VERIFYING_KINDS).exists()
    )


def verifiable_memberships(user) -> Q:
    """A filter on memberships matching `can_verify_membership`, for listing a queue."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return ~Q(user=user)
    roles = Role.objects.filter(user=user, kind__in=VERIFYING_KINDS).order_by()
    seats = frozenset(roles.values_list("community_id", "compound_id"))
    return scope_filter(Membership, seats) & ~Q(user=user)


# ---------------------------------------------------------------------------- polls
# A poll belongs to the place of its electorate, whose key names it as
# kind:level:id[:entrance] (see electorates): "owners:building:12:2".


def can_handle_polls_in(user, place, action: str) -> bool:
    """Whether the person may `action` (view, add, change) polls whose electorate lives in
    `place` (a community, compound or building). A compound's seat reaches the polls of
    its compound and its buildings, not those of the whole community."""
    if not is_signed_in(user) or place is None:
        return False
    if not user.has_perm(f"polls.{action}_poll"):
        return False
    scope = back_office_scope(user, Poll, action)
    if isinstance(place, Community) and scope is not None:
        return place.pk in _split(scope)[0]
    return scope_covers(scope, place)


def poll_scope_filter(scope: frozenset[Seat] | None) -> Q:
    """A filter on polls matching those whose electorate lives in a place the seats of
    `scope` reach (the SQL side of `can_handle_polls_in`)."""
    if scope is None:
        return Q()
    whole, compounds = _split(scope)
    places = {
        "community": whole,
        "compound": set(
            Compound.objects.filter(Q(community_id__in=whole) | Q(pk__in=compounds))
            .order_by()
            .values_list("pk", flat=True)
        ),
        "building": set(
            Building.objects.filter(
                Q(compound__community_id__in=whole) | Q(compound_id__in=compounds)
            )
            .order_by()
            .values_list("pk", flat=True)
        ),
    }
    alternatives = [
        f"{level}:({'|'.join(str(pk) for pk in sorted(ids))})"
        for level, ids in places.items()
        if ids
    ]
    if not alternatives:
        return Q(pk__in=[])
    return Q(electorate__regex=rf"^[a-z]+:({'|'.join(alternatives)})(:|$)")


def can_watch_poll(user, poll) -> bool:
    """polls' staff policy (settings.POLLS_STAFF_POLICY): staff see a poll's pages and
    live results only where they hold a seat that may view the polls of its place."""
    return can_handle_polls_in(user, electorates.place_of(poll.electorate), "view")


# ---------------------------------------------------------------------------- topics


def can_manage_topic(user, topic: Topic) -> bool:
    """Triage and steer a topic, hide its comments: seats that handle topics and reach
    its place (a compound's owners' committee reaches the topics of its compound)."""
    if not is_signed_in(user) or not user.has_perm("deliberation.change_topic"):
        return False
    return scope_covers(back_office_scope(user, Topic, "change"), topic)


def topic_manager_ids(topic: Topic) -> set[int]:
    """The people `can_manage_topic` lets steer `topic` (superusers aside): the
    committee that is told when a topic enters the queue or forces a meeting."""
    kinds = [k for k, perms in PERMISSIONS_BY_KIND.items() if "deliberation.change_topic" in perms]
    seats = Role.objects.filter(kind__in=kinds, community_id=topic.community_id).filter(
        Q(compound__isnull=True) | Q(compound_id=topic.compound_id)
    )
    return set(seats.values_list("user_id", flat=True))


def can_post_progress(user, topic: Topic) -> bool:
    """The party responsible for carrying a resolution out reports its progress; the
    committee may post on behalf of one that has no seat (a government department)."""
    if can_manage_topic(user, topic):
        return True
    if not is_signed_in(user) or not topic.responsible:
        return False
    return (
        Role.objects.filter(user=user, kind=topic.responsible, community_id=topic.community_id)
        .filter(Q(compound__isnull=True) | Q(compound_id=topic.compound_id))
        .exists()
    )


def can_open_topic_in_back_office(user, topic: Topic) -> bool:
    """Seats that see topics and reach the topic's place, and the responsible party."""
    seen = user.has_perm("deliberation.view_topic") and scope_covers(
        back_office_scope(user, Topic, "view"), topic
    )
    return seen or can_post_progress(user, topic)


def can_see_topic(user, topic: Topic) -> bool:
    return topic.is_public or (is_signed_in(user) and topic.proposed_by_id == user.pk)


def can_comment(user, topic: Topic) -> bool:
    """Verified residents of the topic's community, and its seat holders, who answer."""
    if not is_signed_in(user) or not topic.is_public:
        return False
    return (
        Membership.objects.filter(
            user=user,
            status=Membership.Status.VERIFIED,
            dwelling__building__compound__community_id=topic.community_id,
        ).exists()
        or Role.objects.filter(user=user, community_id=topic.community_id).exists()
        or user.is_superuser
    )


def topic_scope_filter(user, action: str = "view") -> Q:
    """A filter on topics the person's seats reach for `action` in the back office."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_topic"):
        return Q(pk__in=[])
    return scope_filter(Topic, back_office_scope(user, Topic, action))


def can_edit_catalog(user, community: Community, action: str) -> bool:
    """The residents' committee of the whole community edits its catalog."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_catalogentry"):
        return False
    scope = back_office_scope(user, CatalogEntry, action)
    return scope is None or community.pk in _split(scope)[0]


# ---------------------------------------------------------------------------- meetings

# What a person is in a meeting's room, from least to most.
OBSERVER, PARTICIPANT, SECRETARY, CHAIR = "observer", "participant", "secretary", "chair"


def can_manage_meeting(user, meeting: Meeting) -> bool:
    """Set up a meeting, its agenda and chair, in the back office: seats that run
    meetings and reach its place."""
    if not is_signed_in(user) or not user.has_perm("deliberation.change_meeting"):
        return False
    return scope_covers(back_office_scope(user, Meeting, "change"), meeting)


def can_run_meetings_in(user, place, action: str = "add") -> bool:
    """Create councils and meetings for a place."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_meeting"):
        return False
    return scope_covers(back_office_scope(user, Meeting, action), place)


def meeting_scope_filter(user, action: str = "view") -> Q:
    """A filter on meetings (and, with `model`, councils) the person's seats reach."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_meeting"):
        return Q(pk__in=[])
    return scope_filter(Meeting, back_office_scope(user, Meeting, action))


def verified_memberships_in(user, scoped) -> models.QuerySet[Membership]:
    """The person's verified memberships in dwellings of a meeting's (or a topic's)
    scope."""
    if not is_signed_in(user):
        return Membership.objects.none()
    key = electorates.electorate_key("households", scoped.place, scoped.entrance)
    return Membership.objects.filter(
        user=user, status=Membership.Status.VERIFIED, dwelling__in=electorates.dwellings_of(key)
    )


def is_meeting_participant(user, meeting: Meeting) -> bool:
    """Who speaks, writes and votes in the room: verified residents of its scope, the
    members of its council, and seat holders of its community (the property company
    answers at a hearing)."""
    if not is_signed_in(user):
        return False
    if meeting.chair_id == user.pk or meeting.secretary_id == user.pk:
        return True
    if meeting.council_id and meeting.council.members.filter(user=user).exists():
        return True
    if Role.objects.filter(user=user, community_id=meeting.community_id).exists():
        return True
    return verified_memberships_in(user, meeting).exists()


def room_role(user, meeting: Meeting) -> str | None:
    """Chair, secretary, participant or observer (anyone signed in); None for someone
    not signed in, who reads the meeting's page instead."""
    if not is_signed_in(user):
        return None
    if meeting.chair_id == user.pk:
        return CHAIR
    if meeting.secretary_id == user.pk:
        return SECRETARY
    return PARTICIPANT if is_meeting_participant(user, meeting) else OBSERVER


ROOM_RANK = {OBSERVER: 0, PARTICIPANT: 1, SECRETARY: 2, CHAIR: 3}


def room_allows(role: str | None, needed: str) -> bool:
    """Whether a room role reaches `needed` (the chair may do what the secretary may,
    who may do what a participant may)."""
    return role is not None and ROOM_RANK[role] >= ROOM_RANK[needed]


# ---------------------------------------------------------------------------- pacts


def can_start_pacts_in(user, place, action: str = "add") -> bool:
    """Start a pact for a place and name its drafting committee: seats that run
    meetings and pacts and reach the place."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_pact"):
        return False
    return scope_covers(back_office_scope(user, Pact, action), place)


def pact_scope_filter(user, action: str = "view") -> Q:
    """A filter on the pacts the person's seats reach in the back office."""
    if not is_signed_in(user) or not user.has_perm(f"deliberation.{action}_pact"):
        return Q(pk__in=[])
    return scope_filter(Pact, back_office_scope(user, Pact, action))


def is_drafting_committee(user, pact: Pact) -> bool:
    """A member of the pact's drafting committee (any office)."""
    return is_signed_in(user) and pact.committee.members.filter(user=user).exists()


def can_steer_pact(user, pact: Pact) -> bool:
    """Edit the working draft, decide amendments, reconcile them and move the pact
    through its steps: the drafting committee, and the seats that reach its place."""
    return is_drafting_committee(user, pact) or can_start_pacts_in(user, pact, "change")


def can_read_pact(user, pact: Pact) -> bool:
    """Anyone, once a version of the pact is published; before that, those who steer it.
    (A pact read for a page may carry `published`, saving the query.)"""
    published = getattr(pact, "published", None)
    if published is None:
        published = pact.versions.filter(published_at__isnull=False).exists()
    return published or can_steer_pact(user, pact)


def can_amend_pact(user, pact: Pact) -> bool:
    """Propose amendments, support or oppose them and comment on them: the verified
    residents of the pact's scope, and its drafting committee."""
    if not is_signed_in(user):
        return False
    return verified_memberships_in(user, pact).exists() or is_drafting_committee(user, pact)
