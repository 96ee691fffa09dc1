"""Councils and meetings through their services: setting up a council and its offices,
scheduling a meeting and announcing it to the residents in scope, the agenda,
registration (with a limit, and hearing speakers), the secretary's on-site attendance and
paper ballots, and minutes drafted from the record, edited and published — each refused
with a clear message and nothing changed when not allowed."""

from datetime import datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation import broadcast
from deliberation.models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    Membership,
    Minutes,
    Notification,
    Registration,
    RoomComment,
    RoomEvent,
    SpeakerRequest,
    Topic,
    TraceEntry,
    User,
)
from deliberation.models.trace import ACTION_LABELS
from deliberation.services import meetings, room
from deliberation.services import polls as poll_services
from polls import services as engine
from polls.models import Participation, Poll

from .factories import (
    AgendaItemFactory,
    BuildingFactory,
    CatalogEntryFactory,
    CompoundFactory,
    CouncilFactory,
    DwellingFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
    staff_of,
    verified_member,
)

pytestmark = pytest.mark.django_db

S = Meeting.State
OFFICE = CouncilMember.Office
STATEMENT = "电梯噪音会影响低层住户，希望先做噪音评估。"


@pytest.fixture(autouse=True)
def _english(settings):
    """What the site writes for everyone (notifications, minutes) in one language the
    assertions read."""
    settings.LANGUAGE_CODE = "en"


# ---------------------------------------------------------------------------- places and people


@pytest.fixture
def compound(community):
    return CompoundFactory(community=community, name="幸福里小区")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, name="3号楼")


@pytest.fixture
def other_building(compound):
    return BuildingFactory(compound=compound, name="5号楼")


@pytest.fixture
def anonymous():
    return AnonymousUser()


@pytest.fixture
def resident(building):
    return verified_member(DwellingFactory(building=building), display_name="王阿姨")


@pytest.fixture
def unverified(building):
    return MembershipFactory(
        dwelling=DwellingFactory(building=building), status=Membership.Status.PENDING
    ).user


@pytest.fixture
def neighbour(other_building):
    """A verified resident of another building of the same compound."""
    return verified_member(DwellingFactory(building=other_building), display_name="李叔")


@pytest.fixture
def outsider(other_community):
    return verified_member(DwellingFactory(building__compound__community=other_community))


@pytest.fixture
def chair(db):
    return UserFactory(display_name="主持人")


@pytest.fixture
def secretary(db):
    return UserFactory(display_name="记录人")


@pytest.fixture
def council_member(db):
    return UserFactory(display_name="议事代表")


@pytest.fixture
def foreign_staff(other_community):
    return staff_of(other_community)


@pytest.fixture
def council(community, compound, building, chair, secretary, council_member):
    council = CouncilFactory(
        community=community, compound=compound, building=building, name="3号楼议事会"
    )
    CouncilMember.objects.create(council=council, user=chair, office=OFFICE.CHAIR)
    CouncilMember.objects.create(council=council, user=secretary, office=OFFICE.SECRETARY)
    CouncilMember.objects.create(council=council, user=council_member)
    return council


@pytest.fixture
def meeting(community, compound, building, council, chair, secretary):
    """A hybrid meeting of building 3's council, an hour from now."""
    return MeetingFactory(
        community=community,
        compound=compound,
        building=building,
        council=council,
        chair=chair,
        secretary=secretary,
        title="3号楼加装电梯议事会",
    )


@pytest.fixture
def hearing(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(kind=Meeting.Kind.HEARING)
    return fresh(meeting)


EVERYONE = [
    "anonymous",
    "unverified",
    "neighbour",
    "outsider",
    "resident",
    "council_member",
    "chair",
    "secretary",
    "committee",
    "foreign_staff",
]
OFFICERS = ["chair", "secretary", "committee"]
PARTICIPANTS = ["resident", "council_member", "chair", "secretary", "committee"]


def fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def refused(call, error=ValidationError) -> str:
    """Run a service expected to refuse; return its message."""
    with pytest.raises(error) as refusal:
        call()
    return refusal.value.messages[0] if error is ValidationError else str(refusal.value)


def record() -> tuple:
    """What the services write, to compare after a refusal."""
    return (
        list(Council.objects.values()),
        list(CouncilMember.objects.order_by("pk").values()),
        list(Meeting.objects.order_by("pk").values()),
        list(AgendaItem.objects.order_by("pk").values()),
        list(Registration.objects.order_by("pk").values()),
        list(Attendance.objects.order_by("pk").values()),
        list(Minutes.objects.order_by("pk").values()),
        Participation.objects.count(),
        Notification.objects.count(),
        RoomEvent.objects.count(),
        TraceEntry.objects.count(),
    )


def later(**delta) -> datetime:
    return timezone.now() + timedelta(**delta)


def set_state(meeting, state, **fields) -> Meeting:
    Meeting.objects.filter(pk=meeting.pk).update(state=state, **fields)
    return fresh(meeting)


def last_trace(action: str) -> TraceEntry:
    return TraceEntry.objects.filter(action=action).order_by("-seq").first()


# ---------------------------------------------------------------------------- councils


def test_the_committee_sets_up_a_building_council_on_the_public_record(committee, building):
    council = meetings.create_council(
        committee, place=building, name=" 3号楼议事会 ", description="<b>楼栋</b>议事"
    )

    assert (council.community, council.compound, council.building) == (
        building.compound.community,
        building.compound,
        building,
    )
    assert (council.name, council.description) == ("3号楼议事会", "楼栋议事")
    entry = last_trace("council.created")
    assert entry.is_public and entry.after == {"name": "3号楼议事会", "scope": "幸福里小区 3号楼"}


@pytest.mark.parametrize("who", [p for p in EVERYONE if p != "committee"])
def test_only_staff_who_run_meetings_there_set_up_a_council(request, who, building):
    actor = request.getfixturevalue(who)
    before = record()
    refused(
        lambda: meetings.create_council(actor, place=building, name="3号楼议事会"),
        PermissionDenied,
    )
    assert record() == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"name": "  "}, "Give the council a name."),
        ({"name": "议" * 101}, "Keep the name under 100 characters."),
        (
            {"name": "3号楼议事会", "entrance": "9"},
            "幸福里小区 3号楼 has no dwellings in entrance 9.",
        ),
        ({"name": "3号楼议事会", "description": "议" * 5001}, "Keep the description under"),
    ],
)
def test_a_council_needs_a_name_and_an_entrance_that_exists(committee, building, fields, message):
    DwellingFactory(building=building, entrance="1")
    before = record()
    assert refused(lambda: meetings.create_council(committee, place=building, **fields)).startswith(
        message
    )
    assert record() == before


def test_an_entrance_belongs_to_a_building(committee, compound):
    assert refused(
        lambda: meetings.create_council(committee, place=compound, entrance="2", name="议事会")
    ) == ("An entrance can only be chosen with a building.")


def test_two_councils_of_a_community_never_share_a_name(committee, building, council):
    before = record()
    message = refused(lambda: meetings.create_council(committee, place=building, name=council.name))
    assert message == "This community already has a council named “3号楼议事会”."
    assert record() == before


def test_a_new_chair_takes_the_office_and_the_old_one_stays_a_member(
    committee, council, chair, resident
):
    seat = meetings.set_council_member(committee, council, resident, OFFICE.CHAIR)

    offices = dict(CouncilMember.objects.filter(council=council).values_list("user_id", "office"))
    assert seat.office == OFFICE.CHAIR
    assert offices[resident.pk] == OFFICE.CHAIR and offices[chair.pk] == OFFICE.MEMBER
    entry = last_trace("council.member_set")
    assert entry.is_public
    assert entry.before == {"office": None}
    assert entry.after == {"person": "王阿姨", "office": "chair", "replaces": "主持人"}


def test_a_member_becomes_secretary_in_place_of_the_old_one(
    committee, council, council_member, secretary
):
    meetings.set_council_member(committee, council, council_member, OFFICE.SECRETARY)
    offices = dict(CouncilMember.objects.filter(council=council).values_list("user_id", "office"))
    assert offices[council_member.pk] == OFFICE.SECRETARY
    assert offices[secretary.pk] == OFFICE.MEMBER
    assert CouncilMember.objects.filter(council=council, office=OFFICE.SECRETARY).count() == 1


def test_seating_someone_again_in_the_same_office_is_refused(committee, council, council_member):
    before = record()
    message = refused(lambda: meetings.set_council_member(committee, council, council_member))
    assert message == "议事代表 already sits on the council as member."
    assert record() == before


def test_an_unknown_office_is_refused(committee, council, resident):
    before = record()
    assert refused(
        lambda: meetings.set_council_member(committee, council, resident, "president")
    ) == ("Choose chair, secretary or member.")
    assert record() == before


@pytest.mark.parametrize("who", ["resident", "chair", "foreign_staff", "anonymous"])
def test_only_staff_of_the_place_seat_and_remove_members(request, who, council, resident, chair):
    actor = request.getfixturevalue(who)
    before = record()
    refused(lambda: meetings.set_council_member(actor, council, resident), PermissionDenied)
    refused(lambda: meetings.remove_council_member(actor, council, chair), PermissionDenied)
    assert record() == before


def test_a_member_is_removed_on_the_record(committee, council, council_member):
    meetings.remove_council_member(committee, council, council_member)

    assert not CouncilMember.objects.filter(council=council, user=council_member).exists()
    entry = last_trace("council.member_removed")
    assert entry.is_public and entry.before == {"person": "议事代表", "office": "member"}


def test_removing_someone_not_on_the_council_is_refused(committee, council, resident):
    before = record()
    message = refused(lambda: meetings.remove_council_member(committee, council, resident))
    assert message == "This person does not sit on the council."
    assert record() == before


# ---------------------------------------------------------------------------- scheduling


def schedule(actor, building, council=None, **fields):
    values = {
        "place": building,
        "kind": Meeting.Kind.COUNCIL_MEETING,
        "mode": Meeting.Mode.HYBRID,
        "title": "3号楼加装电梯议事会",
        "starts_at": later(days=2),
        "venue": "社区活动室",
        "council": council,
    } | fields
    return meetings.schedule_meeting(actor, **values)


def test_the_committee_schedules_a_council_meeting_chaired_by_the_councils_officers(
    committee, building, council, chair, secretary
):
    starts = later(days=2)
    meeting = schedule(
        committee,
        building,
        council,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        description="讨论<script>x</script>方案",
        registration_limit=30,
        speaking_seconds=120,
    )

    meeting = fresh(meeting)
    assert (meeting.chair, meeting.secretary, meeting.council) == (chair, secretary, council)
    assert (meeting.building, meeting.state, meeting.description) == (
        building,
        S.SCHEDULED,
        "讨论方案",
    )
    assert (meeting.registration_limit, meeting.speaking_seconds) == (30, 120)
    entry = last_trace("meeting.scheduled")
    assert entry.is_public
    assert entry.after["scope"] == "幸福里小区 3号楼"
    assert entry.after["chair"] == "主持人" and entry.after["council"] == "3号楼议事会"


def test_named_officers_take_precedence_over_the_councils(committee, building, council, resident):
    meeting = schedule(committee, building, council, chair=resident)
    assert meeting.chair == resident


def test_the_councils_secretary_named_chair_is_not_secretary_too(
    committee, building, council, secretary
):
    meeting = schedule(committee, building, council, chair=secretary)
    assert (meeting.chair, meeting.secretary) == (secretary, None)


def test_a_community_meeting_needs_no_council(committee, community, chair):
    meeting = schedule(committee, community, chair=chair, mode=Meeting.Mode.ONLINE, venue="")
    assert meeting.level == "community" and meeting.council is None and meeting.venue == ""


@pytest.mark.parametrize("who", [p for p in EVERYONE if p != "committee"])
def test_only_staff_who_run_meetings_there_schedule_one(request, who, building, council):
    actor = request.getfixturevalue(who)
    before = record()
    refused(lambda: schedule(actor, building, council), PermissionDenied)
    assert record() == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": " "}, "Give the meeting a title."),
        ({"title": "会" * 101}, "Keep the title under 100 characters."),
        ({"kind": "party"}, "Choose the kind of meeting."),
        ({"mode": "radio"}, "Choose online, on site or both."),
        ({"starts_at": timezone.now() - timedelta(minutes=1)}, "A meeting is scheduled for a time"),
        ({"ends_at": "start"}, "The meeting must end after it starts."),
        ({"venue": ""}, "Say where the meeting is held: people attend on site."),
        ({"mode": Meeting.Mode.ONSITE, "venue": " "}, "Say where the meeting is held"),
        ({"venue": "室" * 201}, "Keep the venue under 200 characters."),
        ({"speaking_seconds": 29}, "Give each speaker between 30 and 1800 seconds."),
        ({"speaking_seconds": 1801}, "Give each speaker between 30 and 1800 seconds."),
        ({"registration_limit": 0}, "Set a registration limit of at least 1"),
        ({"secretary": "chair"}, "The chair and the secretary must be two people."),
    ],
)
def test_a_meeting_is_checked_before_it_is_scheduled(
    committee, building, council, chair, fields, message
):
    starts = later(days=2)
    fields = dict(fields)
    if fields.get("ends_at") == "start":
        fields |= {"starts_at": starts, "ends_at": starts}
    if fields.get("secretary") == "chair":
        fields["secretary"] = chair
    before = record()
    assert refused(lambda: schedule(committee, building, council, **fields)).startswith(message)
    assert record() == before


def test_a_meeting_without_a_council_needs_a_chair(committee, building):
    before = record()
    assert refused(lambda: schedule(committee, building)) == "Choose who chairs the meeting."
    assert record() == before


def test_the_council_must_cover_the_meetings_place(committee, compound, other_building, council):
    before = record()
    message = refused(lambda: schedule(committee, other_building, council))
    assert message == "The council of 幸福里小区 3号楼 does not cover 幸福里小区 5号楼."
    message = refused(lambda: schedule(committee, compound, council))
    assert message == "The council of 幸福里小区 3号楼 does not cover 幸福里小区."
    assert record() == before


def test_a_council_of_another_community_is_refused(committee, building, chair, other_community):
    foreign = CouncilFactory(community=other_community, name="向阳议事会")
    before = record()
    assert refused(lambda: schedule(committee, building, foreign, chair=chair)) == (
        "The council of 向阳社区 does not cover 幸福里小区 3号楼."
    )
    assert record() == before


def test_a_compound_council_covers_its_buildings(committee, compound, building, chair):
    council = CouncilFactory(community=compound.community, compound=compound, name="小区议事会")
    assert schedule(committee, building, council, chair=chair).council == council


# ---------------------------------------------------------------------------- announcements


def notified(meeting, action) -> set[User]:
    return {n.recipient for n in Notification.objects.filter(meeting=meeting, action=action)}


def test_the_announcement_goes_to_the_residents_in_scope_and_the_council(
    committee,
    building,
    council,
    resident,
    unverified,
    neighbour,
    outsider,
    foreign_staff,
    chair,
    secretary,
    council_member,
):
    tenant = verified_member(DwellingFactory(building=building), Membership.Kind.TENANT)

    meeting = schedule(committee, building, council)

    assert notified(meeting, "meeting.scheduled") == {
        resident,
        tenant,
        chair,
        secretary,
        council_member,
    }
    notification = Notification.objects.get(recipient=resident, meeting=meeting)
    when = timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")
    assert notification.topic is None
    assert notification.text == (
        f"“3号楼加装电梯议事会”：{ACTION_LABELS['meeting.scheduled']}，{when}，社区活动室"
    )


def test_the_actor_is_not_told_of_their_own_announcement(committee, building, council):
    CouncilMember.objects.create(council=council, user=committee)
    meeting = schedule(committee, building, council)
    assert committee not in notified(meeting, "meeting.scheduled")


def test_the_announcement_reaches_each_recipients_own_channel_after_commit(
    committee, building, council, resident, monkeypatch
):
    sent = []
    monkeypatch.setattr(
        broadcast, "on_commit_send_many", lambda groups, event: sent.append((groups, event))
    )
    meeting = schedule(committee, building, council)

    [(groups, event)] = sent
    recipients = Notification.objects.filter(meeting=meeting).values_list("recipient_id", flat=True)
    assert sorted(groups) == sorted(broadcast.user_group(pk) for pk in recipients)
    assert event == {"type": "notification.new"}


def test_residents_with_an_email_are_mailed_once_the_meeting_is_scheduled(
    committee,
    building,
    council,
    resident,
    neighbour,
    django_capture_on_commit_callbacks,
):
    User.objects.filter(pk=resident.pk).update(email="wang@example.com")
    User.objects.filter(pk=neighbour.pk).update(email="li@example.com")
    User.objects.filter(pk=committee.pk).update(email="staff@example.com")

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        meeting = schedule(committee, building, council)
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    [message] = mail.outbox  # the neighbour lives elsewhere; the committee scheduled it
    assert message.to == ["wang@example.com"]
    assert message.subject.startswith("[Yishi] “3号楼加装电梯议事会”：")
    assert "Where: 社区活动室" in message.body
    assert meetings.meeting_url(meeting) in message.body


def test_a_refused_meeting_is_announced_to_nobody(
    committee, building, council, resident, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=resident.pk).update(email="wang@example.com")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        schedule(committee, building, council, title="")
    assert mail.outbox == [] and Notification.objects.count() == 0


# ---------------------------------------------------------------------------- changes


def test_a_new_time_is_traced_and_told_to_those_registered(
    committee, meeting, resident, council_member, neighbour
):
    meetings.register(resident, meeting)
    meetings.register(council_member, meeting)
    meetings.withdraw_registration(council_member, meeting)
    new = later(days=3)

    meetings.update_meeting(committee, meeting, starts_at=new, venue="3号楼架空层")

    meeting = fresh(meeting)
    assert (meeting.starts_at, meeting.venue) == (new, "3号楼架空层")
    entry = last_trace("meeting.changed")
    assert entry.is_public
    assert set(entry.before) == set(entry.after) == {"starts_at", "venue"}
    assert (entry.before["venue"], entry.after["venue"]) == ("社区活动室", "3号楼架空层")
    assert entry.before["starts_at"] != entry.after["starts_at"]
    assert notified(meeting, "meeting.rescheduled") == {resident}


def test_a_new_title_is_traced_but_told_to_nobody(committee, meeting, resident):
    meetings.register(resident, meeting)
    meetings.update_meeting(committee, meeting, title="3号楼加装电梯（第二次）")
    assert last_trace("meeting.changed").after == {"title": "3号楼加装电梯（第二次）"}
    assert notified(meeting, "meeting.rescheduled") == set()


def test_a_change_that_changes_nothing_leaves_no_trace(committee, meeting):
    before = record()
    meetings.update_meeting(committee, meeting, title=meeting.title)
    assert record() == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"ends_at": "before start"}, "The meeting must end after it starts."),
        ({"starts_at": "past"}, "A meeting is scheduled for a time still to come."),
        ({"secretary": "chair"}, "The chair and the secretary must be two people."),
        ({"speaking_seconds": 10}, "Give each speaker between 30 and 1800 seconds."),
    ],
)
def test_a_change_is_checked_as_the_schedule_was(committee, meeting, chair, fields, message):
    fields = dict(fields)
    if fields.get("ends_at") == "before start":
        fields["ends_at"] = meeting.starts_at - timedelta(minutes=5)
    if fields.get("starts_at") == "past":
        fields["starts_at"] = later(minutes=-5)
    if fields.get("secretary") == "chair":
        fields["secretary"] = chair
    before = record()
    assert refused(lambda: meetings.update_meeting(committee, meeting, **fields)) == message
    assert record() == before


def test_an_opened_meeting_is_no_longer_changed(committee, meeting):
    meeting = set_state(meeting, S.OPEN)
    before = record()
    message = refused(lambda: meetings.update_meeting(committee, meeting, title="新标题"))
    assert message == "Only a meeting that has not opened yet can be changed."
    assert record() == before


@pytest.mark.parametrize("who", [p for p in EVERYONE if p != "committee"])
def test_only_staff_who_run_meetings_there_change_one(request, who, meeting):
    actor = request.getfixturevalue(who)
    before = record()
    refused(
        lambda: meetings.update_meeting(actor, meeting, title="新标题"),
        PermissionDenied,
    )
    assert record() == before


def test_the_place_of_a_meeting_is_not_changed_by_update(committee, meeting, other_building):
    with pytest.raises(TypeError):
        meetings.update_meeting(committee, meeting, place=other_building)


# ---------------------------------------------------------------------------- agenda


@pytest.fixture
def owners(building, resident):
    """The owners of building 3: the resident and two more."""
    return [
        resident,
        verified_member(DwellingFactory(building=building), display_name="张大爷"),
        verified_member(DwellingFactory(building=building), display_name="赵阿姨"),
    ]


@pytest.fixture
def poll(committee, building, owners):
    """An owners' vote of building 3, its roll prepared."""
    poll = poll_services.create_poll(
        committee,
        kind="owners",
        place=building,
        title="加装电梯表决",
        questions=[{"kind": "yes_no", "text": "是否同意加装电梯？"}],
    )
    poll_services.prepare_roll(committee, poll)
    return poll


def topic_of(community, status=Topic.Status.PROPOSED) -> Topic:
    entry = CatalogEntryFactory(community=community)
    return Topic.objects.create(
        community=community,
        catalog_entry=entry,
        title="加装电梯",
        body="老人上下楼不便。",
        proposed_by=UserFactory(),
        status=status,
    )


def agenda(meeting) -> list[str]:
    return list(
        AgendaItem.objects.filter(meeting=meeting)
        .order_by("position")
        .values_list("title", flat=True)
    )


def test_the_secretary_adds_items_at_the_end_with_a_topic_and_a_vote(
    secretary, meeting, community, poll
):
    topic = topic_of(community)
    first = meetings.add_agenda_item(secretary, meeting, title="开场", description="<i>说明</i>")
    second = meetings.add_agenda_item(
        secretary, meeting, title="表决加装电梯", topic=topic, poll=poll
    )

    assert (first.position, second.position) == (1, 2)
    assert first.description == "说明"
    assert (second.topic, second.poll) == (topic, poll)
    entry = last_trace("meeting.agenda_item_added")
    assert (
        entry.is_public
        and entry.after["topic"] == "加装电梯"
        and entry.after["poll"] == "加装电梯表决"
    )


@pytest.mark.parametrize("who", OFFICERS)
def test_the_meetings_officers_keep_its_agenda(request, who, meeting):
    item = meetings.add_agenda_item(request.getfixturevalue(who), meeting, title="议程")
    assert item.meeting == meeting


@pytest.mark.parametrize("who", [p for p in EVERYONE if p not in OFFICERS])
def test_nobody_else_touches_the_agenda(request, who, meeting):
    item = AgendaItemFactory(meeting=meeting)
    actor = request.getfixturevalue(who)
    before = record()
    refused(lambda: meetings.add_agenda_item(actor, meeting, title="议程"), PermissionDenied)
    refused(lambda: meetings.update_agenda_item(actor, item, title="改"), PermissionDenied)
    refused(lambda: meetings.move_agenda_item(actor, item, "up"), PermissionDenied)
    refused(lambda: meetings.remove_agenda_item(actor, item), PermissionDenied)
    assert record() == before


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"title": ""}, "Give the agenda item a title."),
        ({"title": "议" * 101}, "Keep the title under 100 characters."),
        (
            {"title": "议程", "description": "说" * 2001},
            "Keep the description under 2000 characters.",
        ),
    ],
)
def test_an_item_needs_a_title(secretary, meeting, fields, message):
    before = record()
    assert refused(lambda: meetings.add_agenda_item(secretary, meeting, **fields)) == message
    assert record() == before


def test_a_topic_of_another_community_or_a_draft_is_refused(
    secretary, meeting, community, other_community
):
    before = record()
    for topic in (topic_of(other_community), topic_of(community, Topic.Status.DRAFT)):
        message = refused(
            lambda topic=topic: meetings.add_agenda_item(
                secretary, meeting, title="议", topic=topic
            )
        )
        assert message == "Choose a public topic of this meeting's community."
    assert record()[3] == before[3]


def test_a_poll_of_another_community_is_refused(secretary, meeting, other_community, foreign_staff):
    foreign = poll_services.create_poll(
        foreign_staff,
        kind="households",
        place=other_community,
        title="向阳表决",
        questions=[{"kind": "yes_no", "text": "同意？"}],
    )
    before = record()
    message = refused(
        lambda: meetings.add_agenda_item(secretary, meeting, title="议", poll=foreign)
    )
    assert message == "Choose a poll of this meeting's community."
    assert record() == before


def test_a_poll_on_the_agenda_of_a_meeting_not_closed_is_not_put_on_another(
    secretary, committee, meeting, poll, chair, building
):
    meetings.add_agenda_item(secretary, meeting, title="表决", poll=poll)
    other = MeetingFactory(community=meeting.community, title="另一次会议", chair=chair)
    before = record()
    message = refused(lambda: meetings.add_agenda_item(chair, other, title="表决", poll=poll))
    assert message == "This poll is already on the agenda of “3号楼加装电梯议事会”."
    assert record() == before

    set_state(meeting, S.CLOSED)
    assert meetings.add_agenda_item(chair, other, title="表决", poll=poll).poll == poll


def test_items_move_up_and_down(secretary, meeting):
    for title in ("一", "二", "三"):
        meetings.add_agenda_item(secretary, meeting, title=title)
    third = AgendaItem.objects.get(meeting=meeting, title="三")

    meetings.move_agenda_item(secretary, third, "up")
    assert agenda(meeting) == ["一", "三", "二"]
    meetings.move_agenda_item(secretary, AgendaItem.objects.get(title="一"), "down")
    assert agenda(meeting) == ["三", "一", "二"]
    assert last_trace("meeting.agenda_item_moved").after["direction"] == "down"


@pytest.mark.parametrize(
    "title, direction, message",
    [
        ("一", "up", "This item is already the first."),
        ("二", "down", "This item is already the last."),
        ("一", "sideways", "Move an item up or down."),
    ],
)
def test_an_item_does_not_move_past_the_ends(secretary, meeting, title, direction, message):
    for name in ("一", "二"):
        meetings.add_agenda_item(secretary, meeting, title=name)
    before = record()
    item = AgendaItem.objects.get(meeting=meeting, title=title)
    assert refused(lambda: meetings.move_agenda_item(secretary, item, direction)) == message
    assert record() == before


def test_an_item_is_changed_on_the_record(secretary, meeting, poll):
    item = meetings.add_agenda_item(secretary, meeting, title="表决")
    meetings.update_agenda_item(secretary, item, title="表决加装电梯", poll=poll)

    item = fresh(item)
    assert (item.title, item.poll) == ("表决加装电梯", poll)
    entry = last_trace("meeting.agenda_item_changed")
    assert (entry.before["title"], entry.after["title"]) == ("表决", "表决加装电梯")


def test_the_vote_of_an_item_stays_once_it_has_opened(secretary, committee, meeting, poll):
    item = meetings.add_agenda_item(secretary, meeting, title="表决", poll=poll)
    poll_services.open_poll(committee, poll)
    before = record()
    message = refused(lambda: meetings.update_agenda_item(secretary, item, title="表决"))
    assert message == "The vote of this item has opened: it stays with the item."
    assert record() == before


def test_an_item_never_taken_up_is_removed_on_the_record(secretary, meeting):
    item = meetings.add_agenda_item(secretary, meeting, title="临时动议")
    meetings.remove_agenda_item(secretary, item)
    assert agenda(meeting) == []
    assert last_trace("meeting.agenda_item_removed").before["title"] == "临时动议"


def test_an_item_taken_up_stays_on_the_record(secretary, meeting):
    item = AgendaItemFactory(meeting=meeting, started_at=timezone.now())
    before = record()
    message = refused(lambda: meetings.remove_agenda_item(secretary, item))
    assert message == "This item has been taken up: it stays on the record."
    assert record() == before


def test_the_agenda_of_a_closed_meeting_is_on_the_record(secretary, meeting):
    item = AgendaItemFactory(meeting=meeting)
    meeting = set_state(meeting, S.CLOSED)
    before = record()
    for call in (
        lambda: meetings.add_agenda_item(secretary, meeting, title="补充"),
        lambda: meetings.update_agenda_item(secretary, item, title="改"),
        lambda: meetings.move_agenda_item(secretary, item, "down"),
        lambda: meetings.remove_agenda_item(secretary, item),
    ):
        assert refused(call) == "The meeting is closed: its agenda is on the record."
    assert record() == before


# ---------------------------------------------------------------------------- registration


@pytest.mark.parametrize("who", PARTICIPANTS)
def test_participants_register(request, who, meeting):
    person = request.getfixturevalue(who)
    assert meetings.registration_refusal(person, meeting) is None
    registration = meetings.register(person, meeting)
    assert (registration.user, registration.withdrawn_at) == (person, None)
    assert not last_trace("meeting.registered").is_public


@pytest.mark.parametrize(
    "who, message",
    [
        ("anonymous", "Sign in to register for the meeting."),
        ("unverified", "Only verified residents of 幸福里小区 3号楼"),
        ("neighbour", "Only verified residents of 幸福里小区 3号楼"),
        ("outsider", "Only verified residents of 幸福里小区 3号楼"),
        ("foreign_staff", "Only verified residents of 幸福里小区 3号楼"),
    ],
)
def test_others_are_told_why_they_cannot_register(request, who, message, meeting):
    person = request.getfixturevalue(who)
    before = record()
    assert meetings.registration_refusal(person, meeting).startswith(message)
    assert refused(lambda: meetings.register(person, meeting)).startswith(message)
    assert record() == before


def test_the_last_place_is_taken_and_then_the_meeting_is_full(meeting, building, resident):
    meeting = set_state(meeting, S.SCHEDULED, registration_limit=2)
    second = verified_member(DwellingFactory(building=building))
    third = verified_member(DwellingFactory(building=building))
    meetings.register(resident, meeting)
    assert meetings.registration_refusal(second, meeting) is None
    meetings.register(second, meeting)  # the limit reached exactly

    before = record()
    assert meetings.registration_refusal(third, meeting) == "All 2 places are taken."
    assert refused(lambda: meetings.register(third, meeting)) == "All 2 places are taken."
    assert record() == before

    meetings.withdraw_registration(second, meeting)
    assert meetings.register(third, meeting).user == third


def test_registering_twice_is_refused(meeting, resident):
    meetings.register(resident, meeting)
    before = record()
    message = "You are already registered for this meeting."
    assert meetings.registration_refusal(resident, meeting) == message
    assert refused(lambda: meetings.register(resident, meeting)) == message
    assert record() == before


def test_a_closed_meeting_takes_no_registration(meeting, resident):
    meeting = set_state(meeting, S.CLOSED)
    before = record()
    assert refused(lambda: meetings.register(resident, meeting)) == "The meeting is over."
    assert record() == before


def test_registering_again_after_withdrawing_reuses_the_registration(meeting, resident):
    first = meetings.register(resident, meeting)
    meetings.withdraw_registration(resident, meeting)
    assert fresh(first).withdrawn_at is not None

    again = meetings.register(resident, meeting)
    assert again.pk == first.pk and fresh(again).withdrawn_at is None
    assert Registration.objects.filter(meeting=meeting).count() == 1


def test_withdrawing_without_registration_is_refused(meeting, resident):
    before = record()
    message = refused(lambda: meetings.withdraw_registration(resident, meeting))
    assert message == "You are not registered for this meeting."
    assert record() == before


def test_a_hearing_speaker_registers_a_stance_and_a_sanitized_statement(hearing, resident):
    registration = meetings.register(
        resident,
        hearing,
        wants_to_speak=True,
        stance="against",
        statement=f"<p>{STATEMENT}</p><script>alert(1)</script>",
    )
    registration = fresh(registration)
    assert registration.wants_to_speak and registration.stance == "against"
    assert registration.statement == STATEMENT


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"wants_to_speak": True}, "Say whether you speak for, against or neutral."),
        ({"wants_to_speak": True, "stance": "maybe"}, "Say whether you speak for, against"),
        (
            {"wants_to_speak": True, "stance": "for", "statement": "言" * 2001},
            "Keep the statement under 2000 characters.",
        ),
        ({"stance": "for"}, "A stance and a statement come with registering to speak."),
    ],
)
def test_a_speakers_registration_is_checked(hearing, resident, fields, message):
    before = record()
    assert refused(lambda: meetings.register(resident, hearing, **fields)).startswith(message)
    assert record() == before


def test_speakers_register_in_advance_only_for_hearings(meeting, resident):
    before = record()
    message = refused(
        lambda: meetings.register(resident, meeting, wants_to_speak=True, stance="for")
    )
    assert message == "Speakers register in advance only for hearings."
    assert record() == before


def test_speakers_register_before_the_hearing_opens(hearing, resident):
    hearing = set_state(hearing, S.OPEN)
    before = record()
    message = refused(
        lambda: meetings.register(resident, hearing, wants_to_speak=True, stance="for")
    )
    assert message == "Speakers register before the hearing opens."
    assert record() == before


# ---------------------------------------------------------------------------- on site


@pytest.fixture
def sitting(meeting):
    return set_state(meeting, S.OPEN, opened_at=timezone.now())


def attendance_events(meeting) -> list[dict]:
    return list(
        RoomEvent.objects.filter(meeting=meeting, type="attendance").values_list("data", flat=True)
    )


@pytest.mark.parametrize("who", OFFICERS)
def test_the_secretary_records_attendance_on_site_and_the_room_sees_the_count(
    request, who, sitting, building
):
    attendance = meetings.record_onsite_attendance(
        request.getfixturevalue(who), sitting, name="张大爷", building=building
    )

    assert (attendance.channel, attendance.name, attendance.building) == (
        Attendance.Channel.ONSITE,
        "张大爷",
        building,
    )
    assert attendance_events(sitting) == [{"online": 0, "onsite": 1}]
    assert fresh(sitting).last_seq == 1


@pytest.mark.parametrize("who", [p for p in EVERYONE if p not in OFFICERS])
def test_nobody_else_records_attendance(request, who, sitting):
    actor = request.getfixturevalue(who)
    before = record()
    refused(
        lambda: meetings.record_onsite_attendance(actor, sitting, name="某人"),
        PermissionDenied,
    )
    assert record() == before


def test_a_person_with_an_account_is_recorded_with_their_name_and_building(
    secretary, sitting, resident, building
):
    attendance = meetings.record_onsite_attendance(secretary, sitting, name="", user=resident)
    assert (attendance.name, attendance.building, attendance.user) == ("王阿姨", building, resident)


def test_someone_present_online_is_not_recorded_on_site(secretary, sitting, resident):
    Attendance.objects.create(
        meeting=sitting, user=resident, name="王阿姨", channel=Attendance.Channel.ONLINE
    )
    before = record()
    message = refused(
        lambda: meetings.record_onsite_attendance(secretary, sitting, name="", user=resident)
    )
    assert message == "王阿姨 is already present online."
    assert record() == before


def test_nobody_is_recorded_twice(secretary, sitting, resident, building):
    meetings.record_onsite_attendance(secretary, sitting, name="王阿姨", user=resident)
    meetings.record_onsite_attendance(secretary, sitting, name="访客", building=building)
    before = record()
    for call in (
        lambda: meetings.record_onsite_attendance(secretary, sitting, name="王阿姨", user=resident),
        lambda: meetings.record_onsite_attendance(
            secretary, sitting, name="访客", building=building
        ),
    ):
        assert refused(call).endswith("is already on the attendance list.")
    assert record() == before


def test_an_online_meeting_has_no_attendance_on_site(secretary, sitting):
    online = set_state(sitting, S.OPEN, mode=Meeting.Mode.ONLINE)
    before = record()
    message = refused(lambda: meetings.record_onsite_attendance(secretary, online, name="张大爷"))
    assert message == "This meeting is held online only: nobody attends on site."
    assert record() == before


def test_attendance_is_recorded_once_the_meeting_opens(secretary, meeting):
    before = record()
    message = refused(lambda: meetings.record_onsite_attendance(secretary, meeting, name="张大爷"))
    assert message == "Attendance is recorded once the meeting opens."
    assert record() == before


def test_the_paper_list_is_typed_in_within_a_day_of_closing(secretary, meeting):
    closed = set_state(meeting, S.CLOSED, closed_at=timezone.now() - timedelta(hours=23))
    assert meetings.record_onsite_attendance(secretary, closed, name="张大爷").name == "张大爷"

    closed = set_state(meeting, S.CLOSED, closed_at=timezone.now() - timedelta(hours=25))
    before = record()
    message = refused(lambda: meetings.record_onsite_attendance(secretary, closed, name="赵阿姨"))
    assert message == "The attendance list closed a day after the meeting did."
    assert record() == before


def test_a_building_of_another_community_is_refused(secretary, sitting, other_community):
    foreign = BuildingFactory(compound__community=other_community)
    before = record()
    message = refused(
        lambda: meetings.record_onsite_attendance(secretary, sitting, name="某人", building=foreign)
    )
    assert message == "Choose a building of this meeting's community."
    assert record() == before


def test_a_name_is_required(secretary, sitting):
    before = record()
    message = refused(lambda: meetings.record_onsite_attendance(secretary, sitting, name=" "))
    assert message == "Write the name of the person present."
    assert record() == before


@pytest.fixture
def voting(committee, sitting, poll):
    """The sitting meeting's item with the owners' vote, open."""
    item = AgendaItemFactory(meeting=sitting, poll=poll, title="表决加装电梯")
    poll_services.open_poll(committee, poll)
    return item


def entry_of(poll, user):
    return poll.roll.entries.get(user=user)


def yes(poll) -> dict[int, int]:
    question = poll.questions.get()
    return {question.pk: question.options.get(code="yes").pk}


@pytest.mark.parametrize("who", OFFICERS)
def test_the_secretary_enters_a_paper_ballot_of_the_items_poll(
    request, who, sitting, voting, owners
):
    actor = request.getfixturevalue(who)
    poll = fresh(voting.poll)
    cast = meetings.enter_onsite_ballot(
        actor, sitting, voting, entry_of(poll, owners[1]), yes(poll)
    )

    participation = Participation.objects.get(poll=poll)
    assert cast.receipt
    assert (participation.channel, participation.entered_by) == (Participation.Channel.PAPER, actor)


def test_a_second_ballot_of_the_same_voter_is_refused(secretary, sitting, voting, owners):
    poll = fresh(voting.poll)
    entry = entry_of(poll, owners[1])
    meetings.enter_onsite_ballot(secretary, sitting, voting, entry, yes(poll))
    before = record()
    message = refused(
        lambda: meetings.enter_onsite_ballot(secretary, sitting, voting, entry, yes(poll))
    )
    assert message.startswith("This voter has already voted (paper ballot")
    assert record() == before


def test_a_paper_ballot_of_someone_who_voted_online_is_refused(
    secretary, sitting, voting, resident
):
    poll = fresh(voting.poll)
    entry = entry_of(poll, resident)
    engine.cast_ballot(poll, entry, yes(poll), voter=resident)
    before = record()
    message = refused(
        lambda: meetings.enter_onsite_ballot(secretary, sitting, voting, entry, yes(poll))
    )
    assert message.startswith("This voter has already voted (online")
    assert record() == before


def test_an_online_meeting_takes_no_paper_ballots(secretary, sitting, voting, owners):
    online = set_state(sitting, S.OPEN, mode=Meeting.Mode.ONLINE)
    poll = fresh(voting.poll)
    before = record()
    message = refused(
        lambda: meetings.enter_onsite_ballot(
            secretary, online, voting, entry_of(poll, owners[1]), yes(poll)
        )
    )
    assert message == "This meeting is held online only: nobody attends on site."
    assert record() == before


def test_a_paper_ballot_goes_to_an_item_of_this_meeting_with_a_vote(
    secretary, sitting, voting, owners, chair
):
    poll = fresh(voting.poll)
    entry = entry_of(poll, owners[1])
    elsewhere = AgendaItemFactory(poll=poll, meeting=MeetingFactory(chair=chair))
    no_vote = AgendaItemFactory(meeting=sitting)
    before = record()
    assert refused(
        lambda: meetings.enter_onsite_ballot(secretary, sitting, elsewhere, entry, yes(poll))
    ) == ("That item is not on this meeting's agenda.")
    assert refused(
        lambda: meetings.enter_onsite_ballot(secretary, sitting, no_vote, entry, yes(poll))
    ) == ("This item has no vote.")
    assert record() == before


@pytest.mark.parametrize("who", [p for p in EVERYONE if p not in OFFICERS])
def test_nobody_else_enters_paper_ballots(request, who, sitting, voting, owners):
    poll = fresh(voting.poll)
    actor = request.getfixturevalue(who)
    before = record()
    refused(
        lambda: meetings.enter_onsite_ballot(
            actor, sitting, voting, entry_of(poll, owners[1]), yes(poll)
        ),
        PermissionDenied,
    )
    assert record() == before


# ---------------------------------------------------------------------------- minutes


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    """A time of today: the meeting was held today, and its paper list is still open."""
    return timezone.localtime().replace(hour=hour, minute=minute, second=second, microsecond=0)


@pytest.fixture
def held(committee, secretary, chair, meeting, building, owners, poll):
    """A hearing held today from 19:00 to 20:30: two items, one with the owners'
    vote (two ballots of three, passed), speakers, comments, attendance both ways."""
    Meeting.objects.filter(pk=meeting.pk).update(kind=Meeting.Kind.HEARING)
    meetings.register(
        owners[0], fresh(meeting), wants_to_speak=True, stance="against", statement=STATEMENT
    )
    meeting = set_state(meeting, S.OPEN, opened_at=at(19))
    opening = AgendaItemFactory(
        meeting=meeting, position=1, title="情况介绍", started_at=at(19), ended_at=at(19, 20)
    )
    vote = AgendaItemFactory(
        meeting=meeting,
        position=2,
        title="表决加装电梯",
        poll=poll,
        started_at=at(19, 20),
        ended_at=at(20, 30),
    )
    AgendaItemFactory(meeting=meeting, position=3, title="其他事项")
    poll_services.open_poll(committee, poll)
    poll = fresh(poll)
    engine.cast_ballot(poll, entry_of(poll, owners[0]), yes(poll), voter=owners[0])
    meetings.enter_onsite_ballot(secretary, meeting, vote, entry_of(poll, owners[1]), yes(poll))
    engine.close_poll(committee, poll)

    Attendance.objects.create(
        meeting=meeting, user=owners[0], name="王阿姨", building=building, channel="online"
    )
    meetings.record_onsite_attendance(secretary, meeting, name="", user=owners[1])
    meetings.record_onsite_attendance(secretary, meeting, name="街道干部")
    done = SpeakerRequest.State.DONE
    SpeakerRequest.objects.create(
        meeting=meeting,
        item=opening,
        user=owners[0],
        state=done,
        began_at=at(19, 5),
        ended_at=at(19, 8, 12),
    )
    SpeakerRequest.objects.create(
        meeting=meeting,
        item=vote,
        user=owners[1],
        state=done,
        point_of_order=True,
        began_at=at(19, 25),
        ended_at=at(19, 26),
    )
    SpeakerRequest.objects.create(
        meeting=meeting, item=vote, user=owners[2], state=SpeakerRequest.State.WITHDRAWN
    )
    for text in ("支持", "反对"):
        RoomComment.objects.create(meeting=meeting, author=owners[0], text=text)
    RoomComment.objects.create(
        meeting=meeting, author=owners[2], text="广告", hidden_at=at(19, 30), hidden_by=chair
    )
    return set_state(meeting, S.CLOSED, closed_at=at(20, 30))


def test_the_draft_minutes_tell_the_meeting_from_its_record(held):
    minutes = meetings.draft_minutes(held)
    text = minutes.text

    assert text.startswith("3号楼加装电梯议事会\n")
    assert "#" not in text and "\n>" not in text  # plain text, shown as typed
    for line in (
        "- Kind: hearing",
        "- Scope: 幸福里小区 3号楼",
        "- Council: 3号楼议事会",
        f"- Time: {at(19):%Y-%m-%d} 19:00–20:30",
        "- Venue: 社区活动室",
        "- Chair: 主持人",
        "- Secretary: 记录人",
        # attendance, online and on site, by building
        "online: 1",
        "- 3号楼: 王阿姨",
        "on site: 2",
        "- 3号楼: 张大爷",
        "- no building on record: 街道干部",
        # the agenda with its times and speakers
        "1. 情况介绍",
        "- Taken up: 19:00; left: 19:20",
        "- 19:05–19:08 (3 min 12 s) 王阿姨 (3号楼)",
        "2. 表决加装电梯",
        "- Vote: “加装电梯表决”",
        "- 19:25–19:26 (1 min 0 s) 张大爷 (3号楼) · point of order",
        "3. 其他事项",
        "- Not taken up.",
        # the decision
        "2 ballots of 3 voters (0 spoiled).",
        "- 是否同意加装电梯？: agree 2, disagree 0, abstain 0",
        # the hearing's statements
        "- 王阿姨: against",
        f"    {STATEMENT}",
        "3 comments were written in the room; 1 of them hidden by the chair.",
    ):
        assert line in text.splitlines(), line
    assert "- Result: passed (" in text
    assert "赵阿姨" not in text  # she withdrew her request to speak
    entry = last_trace("minutes.drafted")
    assert not entry.is_public and entry.actor is None


def test_a_vote_not_held_or_still_open_is_said_so(held, poll):
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.OPEN)
    assert "The vote had not closed when the meeting did." in meetings.draft_minutes(held).text
    Poll.objects.filter(pk=poll.pk).update(state=Poll.State.DRAFT)
    assert "The vote was not held." in meetings.draft_minutes(held).text


def test_minutes_are_drafted_once_the_meeting_has_closed(meeting):
    meeting = set_state(meeting, S.OPEN)
    before = record()
    message = refused(lambda: meetings.draft_minutes(meeting))
    assert message == "Minutes are drafted once the meeting has closed."
    assert record() == before


def test_closing_the_meeting_in_the_room_drafts_its_minutes(meeting, chair):
    room.open_meeting(chair, meeting)
    room.close_meeting(chair, meeting)
    assert Minutes.objects.get(meeting=meeting).text.startswith("3号楼加装电梯议事会")


def test_drafting_again_replaces_the_draft_and_its_edits(held, secretary):
    minutes = meetings.draft_minutes(held)
    meetings.edit_minutes(secretary, minutes, "改过的纪要")

    again = meetings.draft_minutes(held)
    assert again.pk == minutes.pk
    assert again.text == minutes.text and again.edited_at is None and again.edited_by is None


def test_the_paper_list_typed_in_after_closing_joins_an_unedited_draft(held, secretary):
    meetings.draft_minutes(held)
    meetings.record_onsite_attendance(secretary, held, name="补录居民")
    assert "补录居民" in Minutes.objects.get(meeting=held).text


def test_an_edited_draft_is_not_redrafted_behind_the_secretarys_back(held, secretary):
    minutes = meetings.edit_minutes(secretary, meetings.draft_minutes(held), "改过的纪要")
    meetings.record_onsite_attendance(secretary, held, name="补录居民")
    assert fresh(minutes).text == "改过的纪要"


@pytest.mark.parametrize("who", OFFICERS)
def test_the_secretary_edits_the_minutes(request, who, held):
    actor = request.getfixturevalue(who)
    minutes = meetings.edit_minutes(actor, meetings.draft_minutes(held), "# 纪要\n\n<b>通过</b>")
    minutes = fresh(minutes)
    assert (minutes.text, minutes.edited_by) == ("# 纪要\n\n通过", actor)
    entry = last_trace("minutes.edited")
    assert not entry.is_public and entry.before["sha256"] != entry.after["sha256"]


@pytest.mark.parametrize(
    "text, message",
    [
        (" ", "The minutes cannot be empty."),
        ("纪" * 20001, "Keep the minutes under 20000 characters."),
    ],
)
def test_minutes_are_neither_empty_nor_endless(held, secretary, text, message):
    minutes = meetings.draft_minutes(held)
    before = record()
    assert refused(lambda: meetings.edit_minutes(secretary, minutes, text)) == message
    assert record() == before


@pytest.mark.parametrize("who", [p for p in EVERYONE if p not in OFFICERS])
def test_nobody_else_edits_or_publishes_minutes(request, who, held):
    minutes = meetings.draft_minutes(held)
    actor = request.getfixturevalue(who)
    before = record()
    refused(lambda: meetings.edit_minutes(actor, minutes, "改"), PermissionDenied)
    refused(lambda: meetings.publish_minutes(actor, minutes), PermissionDenied)
    assert record() == before


def test_published_minutes_are_on_the_public_record_and_told_to_those_who_took_part(
    held, secretary, owners, council_member, chair
):
    meetings.register(council_member, set_state(held, S.OPEN))
    held = set_state(held, S.CLOSED)
    minutes = meetings.draft_minutes(held)

    minutes = meetings.publish_minutes(secretary, minutes)

    assert fresh(minutes).published_at is not None
    entry = last_trace("minutes.published")
    assert entry.is_public and entry.after["sha256"] == meetings._digest(minutes.text)
    # registered (王阿姨, the council member) and attended with an account (张大爷);
    # 街道干部 has no account; the secretary published
    assert notified(held, "minutes.published") == {owners[0], owners[1], council_member}


def test_published_minutes_stay_as_they_are(held, secretary):
    minutes = meetings.publish_minutes(secretary, meetings.draft_minutes(held))
    before = record()
    message = "The minutes are published and stay as they are."
    assert refused(lambda: meetings.edit_minutes(secretary, minutes, "改")) == message
    assert refused(lambda: meetings.draft_minutes(held)) == message
    assert refused(lambda: meetings.publish_minutes(secretary, minutes)) == (
        "The minutes are already published."
    )
    assert refused(lambda: meetings.record_onsite_attendance(secretary, held, name="晚到")) == (
        "The minutes are published: the attendance is final."
    )
    assert record() == before


def test_minutes_are_published_once_the_meeting_has_closed(meeting, secretary):
    minutes = Minutes.objects.create(meeting=set_state(meeting, S.OPEN), text="草稿")
    before = record()
    message = refused(lambda: meetings.publish_minutes(secretary, minutes))
    assert message == "Minutes are published once the meeting has closed."
    assert record() == before


def test_every_action_traced_here_has_a_label():
    for action in (
        "council.created",
        "council.member_set",
        "council.member_removed",
        "meeting.scheduled",
        "meeting.changed",
        "meeting.rescheduled",
        "meeting.agenda_item_added",
        "meeting.agenda_item_changed",
        "meeting.agenda_item_moved",
        "meeting.agenda_item_removed",
        "meeting.registered",
        "meeting.registration_withdrawn",
        "meeting.attended_onsite",
        "minutes.drafted",
        "minutes.edited",
        "minutes.published",
    ):
        assert action in ACTION_LABELS
