"""The read side: querysets that fetch what a page shows in a fixed number of queries."""

from django.db.models import Count, Q, QuerySet

from .models import Building, Community, Compound, Dwelling, Membership, Role, TraceEntry


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


# How each back-office model reaches its community, and what its list rows show.
COMMUNITY_LOOKUP = {
    Community: "pk",
    Compound: "community_id",
    Building: "compound__community_id",
    Dwelling: "building__compound__community_id",
    Membership: "dwelling__building__compound__community_id",
    Role: "community_id",
}
LIST_RELATED = {
    Community: (),
    Compound: ("community",),
    Building: ("compound__community",),
    Dwelling: ("building__compound__community",),
    Membership: ("user", "dwelling__building__compound__community", "decided_by"),
    Role: ("user", "community", "compound"),
}


def in_communities(model, community_ids) -> QuerySet:
    """`model`'s objects in the given communities (all of them when `community_ids` is None)."""
    queryset = model.objects.select_related(*LIST_RELATED[model])
    if community_ids is None:
        return queryset
    return queryset.filter(**{f"{COMMUNITY_LOOKUP[model]}__in": community_ids})


def membership_with_place() -> QuerySet[Membership]:
    return Membership.objects.select_related("user", "dwelling__building__compound__community")


def trace_values(field: str) -> list[str]:
    """The distinct values of one trace column, for the back office's filters."""
    return list(TraceEntry.objects.order_by(field).values_list(field, flat=True).distinct())


def community_overview(community_ids) -> QuerySet[Community]:
    """Each community with its number of dwellings, verified and pending memberships."""
    verified = Q(compounds__buildings__dwellings__memberships__status=Membership.Status.VERIFIED)
    pending = Q(compounds__buildings__dwellings__memberships__status=Membership.Status.PENDING)
    return (
        Community.objects.filter(pk__in=community_ids)
        .annotate(
            dwelling_count=Count("compounds__buildings__dwellings", distinct=True),
            verified_count=Count(
                "compounds__buildings__dwellings__memberships", filter=verified, distinct=True
            ),
            pending_count=Count(
                "compounds__buildings__dwellings__memberships", filter=pending, distinct=True
            ),
        )
        .order_by("name")
    )
