"""Who may do what: plain functions of (user, object), used by views, consumers,
services and templates alike."""

from django.db.models import Q

from .models import (
    Community,
    Membership,
    Role,
    TraceEntry,
    community_id_of,
)
from .roles import PERMISSIONS_BY_KIND, VERIFYING_KINDS


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


def community_ids_with_permission(user, permission: str) -> set[int]:
    """The communities where one of the person's seats carries a back-office permission.

    Group permissions are global in Django; this ties each one back to the community of
    the seat that grants it, so a seat in one community gives no rights in another.
    """
    if not is_signed_in(user):
        return set()
    if user.is_superuser:
        return staff_community_ids(user)
    kinds = [kind for kind, perms in PERMISSIONS_BY_KIND.items() if permission in perms]
    return staff_community_ids(user, kinds) if kinds else set()


def back_office_scope(user, model, action: str) -> set[int] | None:
    """Communities whose `model` objects the person may `action` (view, add, change,
    delete) in the back office; None means every community (superusers)."""
    if is_signed_in(user) and user.is_superuser:
        return None
    opts = model._meta
    return community_ids_with_permission(user, f"{opts.app_label}.{action}_{opts.model_name}")


def can_save_place(user, place, *, created: bool) -> bool:
    opts = place._meta
    permission = f"{opts.app_label}.{'add' if created else 'change'}_{opts.model_name}"
    if not is_signed_in(user) or not user.has_perm(permission):
        return False
    if user.is_superuser:
        return True
    return community_id_of(place) in community_ids_with_permission(user, permission)


def can_see_verification_queue(user) -> bool:
    return is_signed_in(user) and (
        user.is_superuser or Role.objects.filter(user=user, kind__in=VERIFYING_KINDS).exists()
    )


def verifiable_memberships(user) -> Q:
    """A filter on memberships matching `can_verify_membership`, for listing a queue."""
    if not is_signed_in(user):
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    scope = Q(pk__in=[])
    for community_id, compound_id in Role.objects.filter(
        user=user, kind__in=VERIFYING_KINDS
    ).values_list("community_id", "compound_id"):
        if compound_id is None:
            scope |= Q(dwelling__building__compound__community_id=community_id)
        else:
            scope |= Q(dwelling__building__compound_id=compound_id)
    return scope & ~Q(user=user)
