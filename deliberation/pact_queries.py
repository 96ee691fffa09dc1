"""The read side of the pact pages: querysets that fetch what a page shows in a fixed
number of queries, however many pacts, articles or amendments there are."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from . import policies
from .models import (
    Amendment,
    AmendmentComment,
    AmendmentPosition,
    Article,
    CouncilMember,
    Pact,
    PactVersion,
)

PLACE = ("community", "compound", "building__compound")


def _published() -> Exists:
    return Exists(PactVersion.objects.filter(pact=OuterRef("pk"), published_at__isnull=False))


def pact_listing(user) -> QuerySet[Pact]:
    """The pacts anyone may read (a version of them has been published), newest first;
    for those who steer a pact, also the ones still in their first draft."""
    visible = Q(published=True)
    if policies.is_signed_in(user):
        on_committee = Exists(
            CouncilMember.objects.filter(council=OuterRef("committee"), user=user)
        )
        visible |= Q(on_committee) | policies.pact_scope_filter(user, "change")
    return (
        Pact.objects.annotate(published=_published())
        .filter(visible)
        .select_related(*PLACE, "committee")
        .order_by("-created_at", "-pk")
    )


def pact_page(pk: int) -> Pact:
    """One pact with its place, drafting committee and the version in force."""
    return (
        Pact.objects.annotate(published=_published())
        .select_related(*PLACE, "committee", "in_force__poll")
        .get(pk=pk)
    )


def published_versions(pact: Pact) -> list[PactVersion]:
    """The pact's published versions, oldest first, with their adoption votes."""
    return list(
        PactVersion.objects.filter(pact=pact, published_at__isnull=False)
        .select_related("poll", "published_by")
        .order_by("number")
    )


def working_draft(pact: Pact) -> PactVersion | None:
    return PactVersion.objects.filter(pact=pact, published_at=None).first()


def articles_of(version: PactVersion) -> list[Article]:
    return list(version.articles.order_by("position"))


def amendments_of(version: PactVersion) -> list[Amendment]:
    """The amendments proposed to a version, in the order they came, with their authors
    and how many comments each has."""
    return list(
        Amendment.objects.filter(version=version)
        .select_related("author", "decided_by", "merged_into")
        .annotate(comment_count=Count("comments"))
        .order_by("created_at", "pk")
    )


def amendment_card(pact: Pact, pk: int) -> Amendment:
    """One amendment as its card on the pact's page shows it."""
    return (
        Amendment.objects.filter(pact=pact, pk=pk)
        .select_related("author", "decided_by", "merged_into")
        .annotate(comment_count=Count("comments"))
        .get()
    )


def positions_of(user, amendments: list[Amendment]) -> dict[int, str]:
    """The side this person took on each of these amendments (by amendment id)."""
    if not policies.is_signed_in(user) or not amendments:
        return {}
    return dict(
        AmendmentPosition.objects.filter(
            user=user, amendment__in=[a.pk for a in amendments]
        ).values_list("amendment_id", "side")
    )


def amendment_page(pact: Pact, pk: int) -> Amendment:
    """One amendment of this pact with the version it amends and the article it is on."""
    amendment = Amendment.objects.select_related(
        "author", "decided_by", "merged_into", "version"
    ).get(pact=pact, pk=pk)
    amendment.article = Article.objects.filter(
        version=amendment.version_id, key=amendment.article_key
    ).first()
    return amendment


def comments_of(amendment: Amendment) -> QuerySet[AmendmentComment]:
    return amendment.comments.select_related("author").order_by("created_at", "pk")


def version_of(pact: Pact, number: int) -> PactVersion:
    """A published version of the pact (the working draft is not a version to read)."""
    return PactVersion.objects.select_related("poll", "published_by", "based_on").get(
        pact=pact, number=number, published_at__isnull=False
    )


def merged_into(version: PactVersion) -> QuerySet[Amendment]:
    """The amendments that entered this version."""
    return (
        Amendment.objects.filter(merged_into=version)
        .select_related("author")
        .order_by("created_at", "pk")
    )


def waiting_amendments(pact: Pact) -> list[Amendment]:
    """Amendments waiting for the committee's decision, oldest first."""
    return list(
        pact.amendments.filter(state=Amendment.State.PROPOSED)
        .select_related("author", "version")
        .order_by("created_at", "pk")
    )


def clashing_amendments(pact: Pact, keys: set[int], draft: PactVersion | None) -> dict:
    """For each clashing article key, the accepted changes of this round that clash on it."""
    if not keys:
        return {}
    round_ = Q(merged_into=None) | Q(merged_into=draft) if draft else Q(merged_into=None)
    found: dict[int, list[Amendment]] = {key: [] for key in keys}
    for amendment in (
        pact.amendments.filter(
            round_,
            state=Amendment.State.ACCEPTED,
            kind__in=(Amendment.Kind.REPLACE, Amendment.Kind.DELETE),
            article_key__in=keys,
        )
        .select_related("author")
        .order_by("created_at", "pk")
    ):
        found[amendment.article_key].append(amendment)
    return found


def articles_by_key(version: PactVersion | None, keys: set[int]) -> dict[int, Article]:
    if version is None or not keys:
        return {}
    return {a.key: a for a in version.articles.filter(key__in=keys)}
