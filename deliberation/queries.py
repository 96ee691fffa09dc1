"""The read side: querysets that fetch what a page shows in a fixed number of queries."""

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from polls.models import Participation, Poll, RollEntry

from .models import (
    Building,
    CatalogEntry,
    Comment,
    Community,
    Compound,
    Dwelling,
    Membership,
    Notification,
    Role,
    Topic,
    TraceEntry,
)


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


# ---------------------------------------------------------------------------- polls


def poll_listing(where: Q) -> QuerySet[Poll]:
    """Polls that `where` matches, each with its ballots cast and its number of voters."""
    return Poll.objects.filter(where).annotate(
        ballots_cast=Count("participations", distinct=True), voters=F("roll__heads_total")
    )


def poll_with_roll(pk: int) -> Poll:
    """One poll with its roll (if prepared) and its result (if closed)."""
    return Poll.objects.select_related("roll", "result", "created_by").get(pk=pk)


def roll_entries(poll: Poll) -> QuerySet[RollEntry]:
    return RollEntry.objects.filter(roll__poll=poll).order_by("pk")


def participation_by_channel(poll: Poll) -> dict[str, int]:
    """How many voters have voted, online and on paper."""
    rows = (
        Participation.objects.filter(poll=poll)
        .order_by()
        .values("channel")
        .annotate(count=Count("pk"))
    )
    return {row["channel"]: row["count"] for row in rows}


def roll_entries_matching(poll: Poll, text: str) -> list[RollEntry]:
    """The roll entries a counting clerk means by `text`: the voter key, or one of the
    dwellings the entry stands for, as the roll shows it (spaces do not matter)."""
    text = (text or "").strip()
    if not text:
        return []
    entries = roll_entries(poll).select_related("roll")
    by_key = list(entries.filter(key=text))
    if by_key:
        return by_key
    wanted = "".join(text.split())
    return [
        entry
        for entry in entries
        if any("".join(str(d).split()) == wanted for d in entry.dwellings)
    ]


# ---------------------------------------------------------------------------- topics

TOPIC_RELATED = ("community", "compound", "building__compound", "catalog_entry", "proposed_by")


def topics(where: Q) -> QuerySet[Topic]:
    """Topics with what a list row shows, newest proposal first."""
    return (
        Topic.objects.filter(where)
        .select_related(*TOPIC_RELATED)
        .order_by(F("proposed_at").desc(nulls_first=True), "-pk")
    )


def public_topics(
    *,
    status: str = "",
    catalog_entry: int | None = None,
    place: tuple[str, int] | None = None,
    text: str = "",
) -> QuerySet[Topic]:
    """The public catalog of topics, filtered as the resident asks. Search matches any
    substring of the title, description, catalog entry or place: Chinese has no spaces
    to split words at, so substrings are what people type."""
    where = ~Q(status=Topic.Status.DRAFT)
    if status:
        where &= Q(status=status)
    if catalog_entry:
        where &= Q(catalog_entry_id=catalog_entry) | Q(catalog_entry__parent_id=catalog_entry)
    if place:
        level, pk = place
        where &= Q(**{f"{level}_id": pk})
    for word in text.split():
        where &= Q(search_text__icontains=word)
    return topics(where)


def topic(pk: int) -> Topic:
    return Topic.objects.select_related(
        *TOPIC_RELATED, "poll__result", "catalog_entry__parent"
    ).get(pk=pk)


def topic_timeline(topic: Topic) -> QuerySet[TraceEntry]:
    """The public record of a topic's steps, oldest first."""
    return TraceEntry.objects.filter(
        object_type=Topic._meta.label_lower, object_id=str(topic.pk), is_public=True
    ).order_by("seq")


def topic_comments(topic: Topic) -> QuerySet[Comment]:
    """Top-level comments, each with its replies, authors and moderators fetched along."""
    replies = Comment.objects.select_related("author", "hidden_by").order_by("created_at", "pk")
    return (
        Comment.objects.filter(topic=topic, parent=None)
        .select_related("author", "hidden_by")
        .prefetch_related(Prefetch("replies", queryset=replies))
        .order_by("created_at", "pk")
    )


def triage_queue(where: Q) -> QuerySet[Topic]:
    """What the committee has to handle: proposed and accepted topics, most co-signed
    and then longest waiting first."""
    return topics(where & Q(status__in=[Topic.Status.PROPOSED, Topic.Status.ACCEPTED])).order_by(
        "-signature_count", "proposed_at", "pk"
    )


def reported_comments(where: Q) -> QuerySet[Comment]:
    return (
        Comment.objects.filter(where, report_count__gt=0, hidden_at=None)
        .select_related("author", "topic")
        .prefetch_related("reports")
        .order_by("-report_count", "created_at")
    )


def catalog_of(community_ids) -> QuerySet[CatalogEntry]:
    return (
        CatalogEntry.objects.filter(community_id__in=community_ids)
        .select_related("community", "parent")
        .order_by("community__name", "position", "name")
    )


def notifications_of(user) -> QuerySet[Notification]:
    return (
        Notification.objects.filter(recipient=user)
        .select_related("topic")
        .order_by("-created_at", "-pk")
    )


def unread_notification_count(user) -> int:
    return Notification.objects.filter(recipient=user, read_at=None).count()


def verified_memberships_of(user) -> QuerySet[Membership]:
    return memberships_of(user).filter(status=Membership.Status.VERIFIED)
