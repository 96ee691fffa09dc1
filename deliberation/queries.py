"""The read side: querysets that fetch what a page shows in a fixed number of queries."""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Building, Community, Compound, Dwelling, Membership, Role, TraceEntry


def memberships_of(user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related(
        "dwelling__building__compound__community"
    )


def roles_of(user) -> QuerySet[Role]:
    return Role.objects.filter(user=user).select_related("community", "compound")


def public_trace() -> QuerySet[TraceEntry]:
    return TraceEntry.objects.filter(is_public=True).order_by("-seq")


def pending_memberships(where: Q) -> QuerySet[Membership]:
    """Claims waiting for a decision, oldest first, among the memberships `where` matches."""
    return (
        Membership.objects.filter(where, status=Membership.Status.PENDING)
        .select_related("user", "dwelling__building__compound__community")
        .order_by("claimed_at")
    )


# What the back office's list rows show of each model.
LIST_RELATED = {
    Community: (),
    Compound: ("community",),
    Building: ("compound__community",),
    Dwelling: ("building__compound__community",),
    Membership: ("user", "dwelling__building__compound__community", "decided_by"),
    Role: ("user", "community", "compound"),
    TraceEntry: (),
}


def listing(model, where: Q) -> QuerySet:
    """`model`'s objects that `where` matches, with what their list rows show."""
    return model.objects.filter(where).select_related(*LIST_RELATED[model])


def membership_with_place() -> QuerySet[Membership]:
    return Membership.objects.select_related("user", "dwelling__building__compound__community")


def trace_values(field: str, where: Q) -> list[str]:
    """The distinct values of one trace column among the entries `where` matches, for
    the back office's filters."""
    return list(
        TraceEntry.objects.filter(where).order_by(field).values_list(field, flat=True).distinct()
    )


def community_overview(community_ids, queue: QuerySet[Membership]) -> QuerySet[Community]:
    """Each community with its number of dwellings and verified memberships, and how
    many claims of the viewer's verification `queue` it has waiting."""
    verified = Q(compounds__buildings__dwellings__memberships__status=Membership.Status.VERIFIED)
    community = "dwelling__building__compound__community"
    waiting = (
        queue.filter(**{community: OuterRef("pk")})
        .order_by()
        .values(community)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return (
        Community.objects.filter(pk__in=community_ids)
        .annotate(
            dwelling_count=Count("compounds__buildings__dwellings", distinct=True),
            verified_count=Count(
                "compounds__buildings__dwellings__memberships", filter=verified, distinct=True
            ),
            pending_count=Coalesce(Subquery(waiting), 0),
        )
        .order_by("name")
    )
