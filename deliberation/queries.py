"""The read side: querysets that fetch what a page shows in a fixed number of queries."""

from django.db.models import QuerySet

from .models import Membership, Role, TraceEntry


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related(
        "dwelling__building__compound__community"
    )


def roles_of(user) -> QuerySet[Role]:
    return Role.objects.filter(user=user).select_related("community", "compound")


def public_trace() -> QuerySet[TraceEntry]:
    return TraceEntry.objects.filter(is_public=True).order_by("-seq")


def pending_memberships(community_ids) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(
            status=Membership.Status.PENDING,
            dwelling__building__compound__community_id__in=community_ids,
        )
        .select_related("user", "dwelling__building__compound__community")
        .order_by("claimed_at")
    )
