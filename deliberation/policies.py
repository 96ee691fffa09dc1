"""Who may do what: plain functions of (user, object), used by views, consumers,
services and templates alike."""

from django.db.models import Q

from .models import Community, Membership, Role, TraceEntry
from .roles import VERIFYING_KINDS


def is_signed_in(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def staff_community_ids(user, kinds=None) -> set[int]:
    """The communities where the person holds a seat (of the given kinds)."""
    if not is_signed_in(user):
        return set()
    if user.is_superuser:
        return set(Community.objects.values_list("pk", flat=True))
    roles = Role.objects.filter(user=user)
    if kinds is not None:
        roles = roles.filter(kind__in=kinds)
    return set(roles.values_list("community_id", flat=True))


def holds_staff_role(user) -> bool:
    """Staff roles require two-factor authentication."""
    if not is_signed_in(user):
        return False
    return user.is_superuser or user.is_staff or Role.objects.filter(user=user).exists()


def can_claim_dwelling(user) -> bool:
    return is_signed_in(user)


def can_verify_membership(user, membership: Membership) -> bool:
    if not is_signed_in(user):
        return False
    if user.is_superuser:
        return True
    if membership.user_id == user.pk:
        return False  # nobody verifies their own claim
    building = membership.dwelling.building
    return Role.objects.filter(
        Q(compound__isnull=True) | Q(compound_id=building.compound_id),
        user=user,
        kind__in=VERIFYING_KINDS,
        community_id=building.compound.community_id,
    ).exists()


def can_manage_roles(user, community: Community) -> bool:
    if not is_signed_in(user):
        return False
    return (
        user.is_superuser
        or Role.objects.filter(
            user=user, community=community, kind=Role.Kind.RESIDENTS_COMMITTEE
        ).exists()
    )


def can_read_trace_entry(user, entry: TraceEntry) -> bool:
    return entry.is_public or (is_signed_in(user) and holds_staff_role(user))
