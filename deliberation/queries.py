"""The read side: querysets that fetch what a page shows in a fixed number of queries."""

from django.db.models import Case, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from polls.models import Participation, Poll, RollEntry

from . import electorates, policies
from .models import (
    AgendaItem,
    Attendance,
    Building,
    CatalogEntry,
    Comment,
    Community,
    Compound,
    Council,
    CouncilMember,
    Dwelling,
    Meeting,
    Membership,
    Minutes,
    Notification,
    Presence,
    Registration,
    Role,
    RoomComment,
    RoomEvent,
    SpeakerRequest,
    Topic,
    TraceEntry,
    User,
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


# ---------------------------------------------------------------------------- the live room

REPLAY_LIMIT = 500
"""A client further behind than this many events gets a snapshot instead of a replay."""
SNAPSHOT_COMMENTS = 100


def room_building_ids(meeting: Meeting, user_ids) -> dict[int, int]:
    """The building each person lives in within the meeting's scope (their first
    verified dwelling there): how the room groups who is present and who speaks."""
    key = electorates.electorate_key("households", meeting.place, meeting.entrance)
    rows = (
        Membership.objects.filter(
            user_id__in=set(user_ids),
            status=Membership.Status.VERIFIED,
            dwelling__in=electorates.dwellings_of(key),
        )
        .order_by("user_id", "pk")
        .values_list("user_id", "dwelling__building_id")
    )
    found: dict[int, int] = {}
    for user_id, building_id in rows:
        found.setdefault(user_id, building_id)
    return found


def _people(meeting: Meeting, user_ids) -> dict[int, tuple[str, str]]:
    """(name, building name) of each person, in two queries whatever their number."""
    user_ids = set(user_ids)
    if not user_ids:
        return {}
    buildings = room_building_ids(meeting, user_ids)
    building_names = dict(
        Building.objects.filter(pk__in=set(buildings.values())).values_list("pk", "name")
    )
    return {
        user.pk: (str(user), building_names.get(buildings.get(user.pk), ""))
        for user in User.objects.filter(pk__in=user_ids).only("pk", "display_name", "phone")
    }


def _time(value) -> str | None:
    return value.isoformat() if value else None


def room_speakers(meeting: Meeting) -> dict:
    """The floor and the queue (points of order first, then in the order asked)."""
    open_requests = list(
        SpeakerRequest.objects.filter(
            meeting=meeting,
            state__in=[SpeakerRequest.State.WAITING, SpeakerRequest.State.SPEAKING],
        ).order_by("-point_of_order", "requested_at", "pk")
    )
    people = _people(meeting, [r.user_id for r in open_requests])
    floor, queue = None, []
    for request in open_requests:
        name, building = people.get(request.user_id, ("", ""))
        data = {
            "request": request.pk,
            "user": request.user_id,
            "name": name,
            "building": building,
            "point_of_order": request.point_of_order,
        }
        if request.state == SpeakerRequest.State.SPEAKING:
            floor = data | {"began_at": _time(request.began_at), "seconds": request.seconds}
        else:
            queue.append(data | {"requested_at": _time(request.requested_at)})
    return {"floor": floor, "queue": queue}


def attendance_counts(meeting: Meeting) -> dict:
    counts = dict(
        Attendance.objects.filter(meeting=meeting)
        .order_by()
        .values_list("channel")
        .annotate(n=Count("pk"))
    )
    return {
        "online": counts.get(Attendance.Channel.ONLINE, 0),
        "onsite": counts.get(Attendance.Channel.ONSITE, 0),
    }


def room_comment_data(meeting: Meeting, comment: RoomComment, people=None) -> dict:
    """A comment as the room shows it; a hidden one only by its reason."""
    if comment.is_hidden:
        return {"id": comment.pk, "hidden": True, "reason": comment.hidden_reason}
    people = people if people is not None else _people(meeting, [comment.author_id])
    name, building = people.get(comment.author_id, ("", ""))
    return {
        "id": comment.pk,
        "author": name,
        "building": building,
        "text": comment.text,
        "item": comment.item_id,
        "at": _time(comment.created_at),
    }


def room_comments(meeting: Meeting, limit: int = SNAPSHOT_COMMENTS) -> list[dict]:
    """The latest comments, oldest first."""
    comments = list(
        RoomComment.objects.filter(meeting=meeting).order_by("-created_at", "-pk")[:limit]
    )
    comments.reverse()
    people = _people(meeting, [c.author_id for c in comments if not c.is_hidden])
    return [room_comment_data(meeting, comment, people) for comment in comments]


def room_presence(meeting: Meeting) -> dict:
    """How many are in the room, and the participants by building."""
    rows = Presence.objects.filter(meeting=meeting).order_by()
    total = rows.values("user_id").distinct().count()
    by_building = (
        rows.filter(participant=True)
        .values("building__name")
        .annotate(n=Count("user_id", distinct=True))
        .order_by("building__name")
    )
    buildings = [
        {"building": row["building__name"] or "", "count": row["n"]} for row in by_building
    ]
    return {
        "total": total,
        "participants": sum(row["count"] for row in buildings),
        "buildings": buildings,
    }


def room_presence_names(meeting: Meeting) -> list[dict]:
    """Who of the participants is in the room, by building."""
    rows = (
        Presence.objects.filter(meeting=meeting, participant=True)
        .order_by("building__name", "user_id")
        .values_list("building__name", "user_id")
        .distinct()
    )
    people = _people(meeting, [user_id for _building, user_id in rows])
    grouped: dict[str, list[str]] = {}
    for building, user_id in rows:
        grouped.setdefault(building or "", []).append(people[user_id][0])
    return [{"building": building, "names": names} for building, names in grouped.items()]


def room_poll(meeting: Meeting) -> dict | None:
    item = meeting.current_item
    if item is None or item.poll_id is None:
        return None
    poll = item.poll
    return {"poll": poll.pk, "item": item.pk, "title": poll.title, "state": poll.state}


def meetings_on_topic(topic: Topic) -> list[Meeting]:
    """The meetings whose agenda takes the topic up, soonest first."""
    return list(Meeting.objects.filter(agenda__topic=topic).distinct().order_by("starts_at", "pk"))


def room_agenda(meeting: Meeting) -> list[dict]:
    return [
        {
            "id": item.pk,
            "title": item.title,
            "description": item.description,
            "topic": item.topic_id,
            "poll": item.poll_id,
            "started_at": _time(item.started_at),
            "ended_at": _time(item.ended_at),
        }
        for item in AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk")
    ]


def room_snapshot(meeting: Meeting, user) -> dict:
    """Everything the room shows, as of the meeting's last event (`seq`): what a client
    gets on joining, or when it is too far behind to be sent what it missed. `now` is
    the server's clock, for the client's countdowns."""
    meeting = Meeting.objects.select_related("current_item__poll", "chair", "secretary").get(
        pk=meeting.pk
    )
    agenda = room_agenda(meeting)
    role = policies.room_role(user, meeting)
    hand = (
        SpeakerRequest.objects.filter(
            meeting=meeting,
            user_id=getattr(user, "pk", None),
            state__in=[SpeakerRequest.State.WAITING, SpeakerRequest.State.SPEAKING],
        )
        .values_list("pk", flat=True)
        .first()
    )
    return {
        "type": "snapshot",
        "seq": meeting.last_seq,
        "now": timezone.now().isoformat(),
        "role": role,
        "you": {"user": getattr(user, "pk", None), "name": str(user) if role else "", "hand": hand},
        "meeting": {
            "id": meeting.pk,
            "title": meeting.title,
            "kind": meeting.kind,
            "state": meeting.state,
            "state_label": str(meeting.get_state_display()),
            "speaking_seconds": meeting.speaking_seconds,
            "chair": str(meeting.chair),
            "secretary": str(meeting.secretary) if meeting.secretary else "",
        },
        "agenda": agenda,
        "current_item": meeting.current_item_id,
        "speakers": room_speakers(meeting),
        "comments": room_comments(meeting),
        "poll": room_poll(meeting),
        "attendance": attendance_counts(meeting),
        "presence": room_presence(meeting),
    }


def room_events_after(meeting: Meeting, after: int) -> list[dict] | None:
    """The stored events after number `after`, in order, as clients receive them; None
    when `after` is not a number this room has given or is too far behind to replay
    (the client gets a snapshot instead). Comments hidden since are sent hidden."""
    last = Meeting.objects.values_list("last_seq", flat=True).get(pk=meeting.pk)
    if after > last or last - after > REPLAY_LIMIT:
        return None
    events = list(RoomEvent.objects.filter(meeting=meeting, seq__gt=after).order_by("seq"))
    posted = [e.data["comment"]["id"] for e in events if e.type == "comment.posted"]
    hidden = dict(
        RoomComment.objects.filter(pk__in=posted, hidden_at__isnull=False).values_list(
            "pk", "hidden_reason"
        )
    )
    frames = []
    for event in events:
        frame = {"type": event.type, "seq": event.seq, "at": event.created_at.isoformat()}
        data = event.data
        if event.type == "comment.posted" and data["comment"]["id"] in hidden:
            comment_id = data["comment"]["id"]
            data = {"comment": {"id": comment_id, "hidden": True, "reason": hidden[comment_id]}}
        frames.append(frame | data)
    return frames


# ---------------------------------------------------------------------------- meeting pages


def meeting_listing(*, kind: str = "", state: str = "") -> QuerySet[Meeting]:
    """Meetings for the public list: those to come or sitting first, soonest first, then
    the closed ones, latest first; each with its place and council."""
    where = Q()
    if kind:
        where &= Q(kind=kind)
    if state:
        where &= Q(state=state)
    closed = Q(state=Meeting.State.CLOSED)
    return (
        Meeting.objects.filter(where)
        .select_related("community", "compound", "building__compound", "council")
        .annotate(past=closed)
        .order_by(
            "past",
            Case(When(closed, then=F("starts_at"))).desc(nulls_last=True),
            "starts_at",
            "pk",
        )
    )


def meeting_page(pk: int) -> Meeting:
    """One meeting with what its page shows around the room: place, council, chair,
    secretary, the current item's poll and the minutes."""
    return Meeting.objects.select_related(
        "community",
        "compound",
        "building__compound",
        "council",
        "chair",
        "secretary",
        "current_item__poll",
        "minutes",
    ).get(pk=pk)


def hearing_speakers(meeting: Meeting) -> QuerySet:
    """Who registered to speak at a hearing, with their stance and statement, in the
    order they registered."""
    return (
        meeting.registrations.filter(wants_to_speak=True, withdrawn_at=None)
        .select_related("user")
        .order_by("registered_at", "pk")
    )


def registered_count(meeting: Meeting) -> int:
    return meeting.registrations.filter(withdrawn_at=None).count()


def registration_of(user, meeting: Meeting):
    """The person's registration, withdrawn or not, if they ever registered."""
    if not policies.is_signed_in(user):
        return None
    return meeting.registrations.filter(user=user).first()


def buildings_of(meeting: Meeting) -> QuerySet[Building]:
    """The buildings of the meeting's scope, for recording where someone on site lives."""
    if meeting.building_id:
        where = Q(pk=meeting.building_id)
    elif meeting.compound_id:
        where = Q(compound_id=meeting.compound_id)
    else:
        where = Q(compound__community_id=meeting.community_id)
    return (
        Building.objects.filter(where)
        .select_related("compound")
        .order_by("compound__name", "name", "pk")
    )


def attendance_of(meeting: Meeting) -> QuerySet[Attendance]:
    return (
        Attendance.objects.filter(meeting=meeting)
        .select_related("building__compound")
        .order_by("arrived_at", "pk")
    )


def unvoted_roll_entries(poll: Poll) -> QuerySet[RollEntry]:
    """The voters on the poll's roll who have not voted yet, online or on paper."""
    voted = Participation.objects.filter(poll=poll).values("entry_id")
    return RollEntry.objects.filter(roll__poll=poll).exclude(pk__in=voted).order_by("label", "pk")


# ------------------------------------------------------------- councils and meetings, back office

OFFICE_ORDER = Case(
    When(office=CouncilMember.Office.CHAIR, then=0),
    When(office=CouncilMember.Office.SECRETARY, then=1),
    default=2,
)


def council_listing(where: Q) -> QuerySet[Council]:
    """Councils with their place and how many members they have, by community and name."""
    return (
        Council.objects.filter(where)
        .select_related("community", "compound", "building__compound")
        .annotate(member_count=Count("members"))
        .order_by("community__name", "name", "pk")
    )


def members_of_councils(council_ids) -> QuerySet[CouncilMember]:
    """The members of the councils, each council's chair first, then its secretary."""
    return (
        CouncilMember.objects.filter(council_id__in=council_ids)
        .select_related("council", "user")
        .order_by("council__name", "council_id", OFFICE_ORDER, "joined_at", "pk")
    )


def back_office_meetings(where: Q) -> QuerySet[Meeting]:
    """The back office's meetings in the order of the public list, with the chair and
    how many are registered."""
    return (
        meeting_listing()
        .filter(where)
        .select_related("chair")
        .annotate(registered=Count("registrations", filter=Q(registrations__withdrawn_at=None)))
    )


def agenda_of(meeting: Meeting) -> QuerySet[AgendaItem]:
    return (
        AgendaItem.objects.filter(meeting=meeting)
        .select_related("topic", "poll")
        .order_by("position", "pk")
    )


def registrations_of(meeting: Meeting) -> QuerySet[Registration]:
    """Everyone who registered: those still registered first, speakers first, in the
    order they registered."""
    return (
        Registration.objects.filter(meeting=meeting)
        .select_related("user")
        .order_by(F("withdrawn_at").asc(nulls_first=True), "-wants_to_speak", "registered_at", "pk")
    )


def published_minutes(community_id: int) -> QuerySet[Minutes]:
    """A community's published minutes, newest first, with what the minutes index shows
    of each meeting."""
    return (
        Minutes.objects.filter(meeting__community_id=community_id, published_at__isnull=False)
        .select_related(
            "meeting__community",
            "meeting__compound",
            "meeting__building__compound",
            "meeting__council",
        )
        .order_by("-published_at", "-pk")
    )
