"""Councils and meetings in the back office: who may see and do what, every form's bad
input, the agenda, on-site attendance and paper ballots, the minutes, and list pages
whose queries do not grow with their rows."""

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from deliberation import electorates
from deliberation.models import (
    AgendaItem,
    Attendance,
    Council,
    CouncilMember,
    Meeting,
    Minutes,
    Registration,
    TraceEntry,
)
from deliberation.services import meetings, people
from deliberation.services import topics as topic_services
from polls import services as engine
from polls.models import Participation, Poll, RollEntry

from .factories import (
    BuildingFactory,
    CatalogEntryFactory,
    CompoundFactory,
    CouncilFactory,
    DwellingFactory,
    MeetingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    verified_member,
    with_totp,
)

pytestmark = pytest.mark.django_db

MEETINGS = "/admin/meetings/"
NEW_MEETING = "/admin/meetings/new/"
COUNCILS = "/admin/councils/"
NEW_COUNCIL = "/admin/councils/new/"


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    """Wagtail answers in the staff member's language (the site default); these tests
    read the English wording."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def place(community, other_community):
    """A community with two compounds; 3号楼 of the first has four households in
    entrance 2."""
    compound = CompoundFactory(community=community, name="幸福里一期")
    other_compound = CompoundFactory(community=community, name="幸福里二期")
    building = BuildingFactory(compound=compound, name="3号楼")
    dwellings = [
        DwellingFactory(
            building=building, entrance="2", number=f"{n}01", registered_area=Decimal("90.00")
        )
        for n in range(1, 5)
    ]
    return SimpleNamespace(
        community=community,
        other_community=other_community,
        compound=compound,
        other_compound=other_compound,
        building=building,
        dwellings=dwellings,
    )


def seat(kind: str, community, compound=None):
    user = UserFactory()
    people.grant_role(None, user, kind, community, compound)
    user.refresh_from_db()
    return with_totp(user)


def actor(name: str, place):
    return {
        "residents_committee": lambda: staff_of(place.community, "residents_committee"),
        "residents_committee_elsewhere": lambda: staff_of(
            place.other_community, "residents_committee"
        ),
        "owners_committee_of_compound": lambda: seat(
            "owners_committee", place.community, place.compound
        ),
        "owners_committee_of_other_compound": lambda: seat(
            "owners_committee", place.community, place.other_compound
        ),
        "property_company": lambda: staff_of(place.community, "property_company"),
        "supervisory_committee": lambda: staff_of(place.community, "supervisory_committee"),
    }[name]()


def compound_meeting(place, **fields) -> Meeting:
    """A hybrid council meeting of the first compound, with its council, in an hour."""
    council = fields.pop("council", None) or CouncilFactory(
        community=place.community, compound=place.compound, name="幸福里一期小区议事会"
    )
    return MeetingFactory(
        community=place.community,
        compound=place.compound,
        council=council,
        title=fields.pop("title", "小区议事会第3次会议"),
        mode=fields.pop("mode", Meeting.Mode.HYBRID),
        **fields,
    )


def set_state(meeting: Meeting, state: str) -> Meeting:
    """Put a meeting in `state` as the room would have (the room's own tests cover how)."""
    now = timezone.now()
    fields = {"state": state}
    if state != Meeting.State.SCHEDULED:
        fields["opened_at"] = now - dt.timedelta(hours=2)
    if state == Meeting.State.CLOSED:
        fields["closed_at"] = now - dt.timedelta(minutes=5)
    Meeting.objects.filter(pk=meeting.pk).update(**fields)
    meeting.refresh_from_db()
    return meeting


def record_counts() -> tuple:
    """What a refused request must leave as it was."""
    return (
        tuple(
            model.objects.count()
            for model in (Council, CouncilMember, Meeting, AgendaItem, Attendance, Participation)
        ),
        tuple(Meeting.objects.order_by("pk").values_list("title", "venue", "state", "chair_id")),
        tuple(Minutes.objects.order_by("pk").values_list("text", "published_at")),
        TraceEntry.objects.count(),
    )


def meeting_data(place, **overrides) -> dict:
    starts = timezone.localtime() + dt.timedelta(days=3)
    data = {
        "place": f"compound:{place.compound.pk}",
        "entrance": "",
        "council": "",
        "kind": "hearing",
        "mode": "hybrid",
        "title": "3号楼2单元加装电梯听证会",
        "description": "听取各方意见",
        "starts_at": starts.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (starts + dt.timedelta(hours=2)).strftime("%Y-%m-%d %H:%M"),
        "venue": "3号楼前广场",
        "registration_limit": "",
        "speaking_seconds": "180",
        "chair_member": "",
        "chair_phone": "",
        "secretary_member": "",
        "secretary_phone": "",
    }
    data.update(overrides)
    return data


def building_poll(place, *, state: str = "open", community=None) -> Poll:
    building = (
        place.building if community is None else BuildingFactory(compound__community=community)
    )
    poll = engine.create_poll(
        None,
        title="是否同意加装电梯",
        scope_label=f"{building} · owners",
        electorate=electorates.electorate_key("owners", building),
        rule_name="owners_special",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    if state in ("open", "closed"):
        engine.open_poll(None, poll, electorates.heads(poll.electorate))
    poll.refresh_from_db()
    return poll


def option(poll: Poll, code: str) -> int:
    return poll.questions.get().options.get(code=code).pk


def body_of(response) -> str:
    return response.content.decode()


# ---------------------------------------------------------------- who may see and do what

# For a meeting of the first compound: the meeting page's status and whether its forms
# are offered; whether the meeting and its council are in the person's lists.
MATRIX = {
    "residents_committee": (200, True),
    "owners_committee_of_compound": (200, True),
    "property_company": (200, False),
    "supervisory_committee": (200, False),
    "residents_committee_elsewhere": (403, False),
    "owners_committee_of_other_compound": (403, False),
}


@pytest.mark.parametrize("who", MATRIX)
def test_pages_follow_the_seat(client, place, who):
    meeting = compound_meeting(place)
    council = meeting.council
    sign_in_staff(client, actor(who, place))
    status, manages = MATRIX[who]

    listing = body_of(client.get(MEETINGS))
    councils = body_of(client.get(COUNCILS))
    page = client.get(f"{MEETINGS}{meeting.pk}/")
    council_page = client.get(f"{COUNCILS}{council.pk}/")

    assert (f'data-meeting="{meeting.pk}"' in listing) == (status == 200)
    assert (f'data-council="{council.pk}"' in councils) == (status == 200)
    assert page.status_code == status
    assert council_page.status_code == status
    if status == 200:
        body = body_of(page)
        assert "小区议事会第3次会议" in body and f'href="/meetings/{meeting.pk}/"' in body
        assert ('data-form="agenda"' in body) == manages
        assert ("data-edit" in body) == manages
        assert ('data-form="member"' in body_of(council_page)) == manages
    else:
        assert "小区议事会第3次会议" not in body_of(page)


@pytest.mark.parametrize("who", [name for name, (_, manages) in MATRIX.items() if not manages])
def test_seats_that_do_not_run_the_meeting_are_refused_every_change(client, place, who):
    meeting = compound_meeting(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="议程一")
    member = CouncilMember.objects.create(council=meeting.council, user=UserFactory())
    sign_in_staff(client, actor(who, place))
    before = record_counts()
    base = f"{MEETINGS}{meeting.pk}/"
    posts = [
        (f"{base}edit/", meeting_data(place, title="改过的标题")),
        (f"{base}agenda/add/", {"title": "新议程"}),
        (f"{base}agenda/{item.pk}/", {"title": "改过的议程"}),
        (f"{base}agenda/{item.pk}/move/down/", {}),
        (f"{base}agenda/{item.pk}/remove/", {}),
        (f"{base}attendance/", {"name": "张三"}),
        (f"{base}minutes/", {"action": "regenerate"}),
        (f"{COUNCILS}{meeting.council_id}/members/add/", {"person": "13912345678"}),
        (f"{COUNCILS}{meeting.council_id}/members/{member.pk}/remove/", {}),
    ]

    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert client.get(f"{base}edit/").status_code == 403
    assert record_counts() == before


def test_a_seat_that_only_watches_creates_neither_councils_nor_meetings(client, place):
    sign_in_staff(client, actor("property_company", place))
    before = record_counts()

    assert client.get(NEW_MEETING).status_code == 403
    assert client.get(NEW_COUNCIL).status_code == 403
    assert client.post(NEW_MEETING, meeting_data(place)).status_code == 403
    council = {"place": f"community:{place.community.pk}", "name": "社区居民议事会"}
    assert client.post(NEW_COUNCIL, council).status_code == 403
    assert record_counts() == before


def test_another_communitys_committee_is_not_offered_this_community(client, place):
    sign_in_staff(client, actor("residents_committee_elsewhere", place))
    before = record_counts()

    form = body_of(client.get(NEW_MEETING))
    meeting = client.post(NEW_MEETING, meeting_data(place))
    council = client.post(
        NEW_COUNCIL, {"place": f"community:{place.community.pk}", "name": "社区居民议事会"}
    )

    assert f'value="community:{place.other_community.pk}"' in form
    assert f"compound:{place.compound.pk}" not in form
    assert "Select a valid choice." in body_of(meeting)
    assert "Select a valid choice." in body_of(council)
    assert record_counts() == before


def test_a_plain_resident_never_reaches_the_meeting_back_office(client, place):
    meeting = compound_meeting(place)
    client.force_login(verified_member(place.dwellings[0]))
    before = record_counts()

    for response in (
        client.get(MEETINGS),
        client.get(COUNCILS),
        client.get(f"{MEETINGS}{meeting.pk}/"),
        client.post(NEW_MEETING, meeting_data(place)),
        client.post(f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "新议程"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith("/back-office/sign-in/")
    assert record_counts() == before


def test_anonymous_visitors_are_sent_to_sign_in(client, place):
    meeting = compound_meeting(place)
    before = record_counts()

    for response in (
        client.get(MEETINGS),
        client.get(f"{COUNCILS}{meeting.council_id}/"),
        client.post(f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "新议程"}),
        client.post(NEW_COUNCIL, {"place": f"community:{place.community.pk}", "name": "议事会"}),
    ):
        assert response.status_code == 302
        assert "login" in response["Location"] or "sign-in" in response["Location"]
    assert record_counts() == before


def test_a_compound_seat_does_not_reach_a_meeting_of_the_whole_community(client, place):
    meeting = MeetingFactory(community=place.community, title="社区议事会")
    sign_in_staff(client, actor("owners_committee_of_compound", place))

    assert client.get(f"{MEETINGS}{meeting.pk}/").status_code == 403
    assert client.post(f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "议程"}).status_code == 403
    assert f'data-meeting="{meeting.pk}"' not in body_of(client.get(MEETINGS))


def test_unknown_meetings_councils_and_items_are_not_found(committee_client, place):
    meeting = compound_meeting(place)
    other = compound_meeting(place, title="另一次会议", council=meeting.council)
    item = AgendaItem.objects.create(meeting=other, position=1, title="别的议程")

    assert committee_client.get(f"{MEETINGS}999999/").status_code == 404
    assert committee_client.get(f"{COUNCILS}999999/").status_code == 404
    assert committee_client.get(f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/").status_code == 404
    assert (
        committee_client.post(f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/move/sideways/").status_code
        == 404
    )


def test_changes_answer_only_post(committee_client, place):
    meeting = compound_meeting(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="议程一")
    base = f"{MEETINGS}{meeting.pk}/"

    for url in (
        f"{base}agenda/add/",
        f"{base}agenda/{item.pk}/remove/",
        f"{base}agenda/{item.pk}/move/up/",
        f"{base}attendance/",
        f"{base}minutes/",
        f"{COUNCILS}{meeting.council_id}/members/add/",
    ):
        assert committee_client.get(url).status_code == 405, url
    assert AgendaItem.objects.filter(pk=item.pk).exists()


# ---------------------------------------------------------------- councils


def test_committee_sets_up_a_council_and_seats_its_members(committee_client, committee, place):
    chair = UserFactory(phone="+8613911112222", display_name="王主任")
    secretary = UserFactory(phone="+8613933334444", display_name="李秘书")

    response = committee_client.post(
        NEW_COUNCIL,
        {
            "place": f"community:{place.community.pk}",
            "entrance": "",
            "name": "幸福里社区居民议事会",
            "description": "社区层面的议事协商",
        },
    )

    council = Council.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{COUNCILS}{council.pk}/"
    assert council.community == place.community and council.compound is None
    for phone, office in (("139 1111 2222", "chair"), ("13933334444", "secretary")):
        added = committee_client.post(
            f"{COUNCILS}{council.pk}/members/add/", {"person": phone, "office": office}
        )
        assert added.status_code == 302
    page = body_of(committee_client.get(f"{COUNCILS}{council.pk}/"))
    assert page.index("王主任") < page.index("李秘书")
    assert "139****2222" in page and "+8613911112222" not in page
    assert set(council.members.values_list("user", "office")) == {
        (chair.pk, "chair"),
        (secretary.pk, "secretary"),
    }
    listing = body_of(committee_client.get(COUNCILS))
    assert "幸福里社区居民议事会" in listing and "data-members>2<" in listing

    member = council.members.get(user=secretary)
    removed = committee_client.post(f"{COUNCILS}{council.pk}/members/{member.pk}/remove/")

    assert removed.status_code == 302
    assert list(council.members.values_list("user", flat=True)) == [chair.pk]
    assert TraceEntry.objects.filter(action="council.member_removed").get().actor == committee


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": ""}, "Give the council a name."),
        ({"place": ""}, "Choose the council&#x27;s place."),
        ({"place": "community:999999"}, "Select a valid choice."),
        ({"entrance": "2"}, "An entrance can only be chosen with a building."),
        ({"name": "x" * 101}, "Ensure this value has at most 100 characters"),
    ],
)
def test_bad_council_is_refused_and_writes_nothing(committee_client, place, data, message):
    before = record_counts()
    values = {"place": f"community:{place.community.pk}", "name": "居民议事会"} | data

    response = committee_client.post(NEW_COUNCIL, values)

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_a_second_council_of_the_same_name_is_refused(committee_client, place):
    CouncilFactory(community=place.community, name="居民议事会")
    before = record_counts()

    response = committee_client.post(
        NEW_COUNCIL, {"place": f"compound:{place.compound.pk}", "name": "居民议事会"}
    )

    assert "This community already has a council named “居民议事会”." in body_of(response)
    assert record_counts() == before


def test_a_compound_seat_sets_up_councils_in_its_compound_only(client, place):
    sign_in_staff(client, actor("owners_committee_of_compound", place))

    form = body_of(client.get(NEW_COUNCIL))
    elsewhere = client.post(
        NEW_COUNCIL, {"place": f"community:{place.community.pk}", "name": "社区议事会"}
    )
    building = client.post(
        NEW_COUNCIL,
        {"place": f"building:{place.building.pk}", "entrance": "2", "name": "3号楼2单元议事会"},
    )

    assert f'value="compound:{place.compound.pk}"' in form
    assert f'value="community:{place.community.pk}"' not in form
    assert f'value="compound:{place.other_compound.pk}"' not in form
    assert "Select a valid choice." in body_of(elsewhere)
    assert building.status_code == 302
    council = Council.objects.get()
    assert (council.building, council.entrance) == (place.building, "2")


@pytest.mark.parametrize(
    "data,message",
    [
        ({"person": ""}, "Give the person&#x27;s mobile number."),
        ({"person": "12345"}, "Enter a mobile number, such as 13812345678."),
        ({"person": "13800000999"}, "No account has this mobile number."),
        ({"office": "treasurer"}, "Select a valid choice."),
    ],
)
def test_bad_council_member_is_refused_and_writes_nothing(committee_client, place, data, message):
    council = CouncilFactory(community=place.community)
    UserFactory(phone="+8613912345678")
    before = record_counts()

    response = committee_client.post(
        f"{COUNCILS}{council.pk}/members/add/",
        {"person": "13912345678", "office": "member"} | data,
    )

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_seating_someone_in_the_office_they_hold_says_so(committee_client, place):
    council = CouncilFactory(community=place.community)
    person = UserFactory(phone="+8613912345678")
    CouncilMember.objects.create(council=council, user=person, office="chair")
    before = record_counts()

    response = committee_client.post(
        f"{COUNCILS}{council.pk}/members/add/", {"person": "13912345678", "office": "chair"}
    )

    assert "already sits on the council as chair" in body_of(response)
    assert record_counts() == before


# ---------------------------------------------------------------- scheduling


def test_committee_schedules_a_hearing_with_a_chair_by_phone(committee_client, committee, place):
    chair = UserFactory(phone="+8613911112222", display_name="王主任")
    secretary = UserFactory(display_name="李秘书")
    council = CouncilFactory(community=place.community, compound=place.compound)
    member = CouncilMember.objects.create(council=council, user=secretary, office="member")

    response = committee_client.post(
        NEW_MEETING,
        meeting_data(place)
        | {
            "place": f"building:{place.building.pk}",
            "entrance": "2",
            "council": str(council.pk),
            "chair_phone": "13911112222",
            "secretary_member": str(member.pk),
            "registration_limit": "30",
        },
    )

    meeting = Meeting.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{MEETINGS}{meeting.pk}/"
    assert (meeting.building, meeting.entrance, meeting.council) == (place.building, "2", council)
    assert (meeting.chair, meeting.secretary) == (chair, secretary)
    assert (meeting.kind, meeting.registration_limit) == ("hearing", 30)
    assert TraceEntry.objects.filter(action="meeting.scheduled").get().actor == committee


def test_a_council_meeting_takes_the_councils_chair_and_secretary(committee_client, place):
    council = CouncilFactory(community=place.community, compound=place.compound)
    chair = CouncilMember.objects.create(council=council, user=UserFactory(), office="chair")
    secretary = CouncilMember.objects.create(
        council=council, user=UserFactory(), office="secretary"
    )

    form = body_of(committee_client.get(NEW_MEETING, {"council": council.pk}))
    response = committee_client.post(
        NEW_MEETING, meeting_data(place, kind="council_meeting", council=str(council.pk))
    )

    assert f'<option value="{council.pk}" selected>' in form
    assert f'<option value="compound:{place.compound.pk}" selected>' in form
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    assert (meeting.chair, meeting.secretary) == (chair.user, secretary.user)


@pytest.mark.parametrize(
    "overrides,message",
    [
        ({"title": ""}, "Give the meeting a title."),
        ({"starts_at": ""}, "Say when the meeting starts."),
        ({"starts_at": "下周三"}, "Enter a valid date/time."),
        ({"kind": "party"}, "Select a valid choice."),
        ({"place": "compound:999999"}, "Select a valid choice."),
        ({"entrance": "2"}, "An entrance can only be chosen with a building."),
        ({"ends_at": "2020-01-01 10:00"}, "The meeting must end after it starts."),
        ({"speaking_seconds": "5"}, "Ensure this value is greater than or equal to 30."),
        ({"registration_limit": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"chair_phone": "13800000999"}, "No account has this mobile number."),
        ({"chair_phone": ""}, "Choose who chairs the meeting."),
        (
            {"secretary_phone": "13911112222"},
            "The chair and the secretary must be two people.",
        ),
        ({"venue": ""}, "Say where the meeting is held: people attend on site."),
        (
            {"starts_at": "2020-01-01 10:00", "ends_at": ""},
            "A meeting is scheduled for a time still to come.",
        ),
    ],
)
def test_bad_meeting_is_refused_and_writes_nothing(committee_client, place, overrides, message):
    UserFactory(phone="+8613911112222")
    before = record_counts()
    data = meeting_data(place, chair_phone="13911112222") | overrides

    response = committee_client.post(NEW_MEETING, data)

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_a_council_of_another_place_cannot_hold_the_meeting(committee_client, place):
    council = CouncilFactory(community=place.community, compound=place.other_compound)
    CouncilMember.objects.create(council=council, user=UserFactory(), office="chair")
    before = record_counts()

    response = committee_client.post(NEW_MEETING, meeting_data(place, council=str(council.pk)))

    assert "does not cover" in body_of(response)
    assert record_counts() == before


def test_committee_changes_a_scheduled_meeting(committee_client, place):
    meeting = compound_meeting(place)
    chair = meeting.chair
    form = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/edit/"))

    response = committee_client.post(
        f"{MEETINGS}{meeting.pk}/edit/",
        {k: v for k, v in meeting_data(place, venue="社区会议室").items() if k != "place"},
    )

    assert 'value="社区活动室"' in form
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.venue, meeting.title, meeting.chair) == (
        "社区会议室",
        "3号楼2单元加装电梯听证会",
        chair,
    )
    assert TraceEntry.objects.filter(action="meeting.changed").exists()


def test_a_meeting_that_has_opened_is_not_changed(committee_client, place):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    before = record_counts()

    page = committee_client.get(f"{MEETINGS}{meeting.pk}/")
    response = committee_client.post(f"{MEETINGS}{meeting.pk}/edit/", meeting_data(place))

    assert "data-edit" not in body_of(page)
    assert response.status_code == 302
    assert "Only a meeting that has not opened yet can be changed." in body_of(
        committee_client.get(response["Location"])
    )
    assert record_counts() == before


# ---------------------------------------------------------------- the agenda


def test_committee_builds_the_agenda_with_a_topic_and_a_poll(committee_client, place):
    meeting = compound_meeting(place)
    entry = CatalogEntryFactory(community=place.community, name="公共设施维护")
    proposer = verified_member(place.dwellings[0])
    topic = topic_services.propose(
        proposer,
        topic_services.save_draft(
            proposer,
            catalog_entry=entry,
            scope=topic_services.scope_key(place.building),
            title="3号楼2单元加装电梯",
            body="老人上下楼困难。",
        ),
    )
    poll = building_poll(place, state="draft")
    base = f"{MEETINGS}{meeting.pk}/"

    page = body_of(committee_client.get(base))
    first = committee_client.post(
        f"{base}agenda/add/",
        {"title": "加装电梯方案", "description": "介绍方案", "topic": topic.pk, "poll": poll.pk},
    )
    second = committee_client.post(f"{base}agenda/add/", {"title": "其他事项"})

    assert f'<option value="{topic.pk}">' in page and f'<option value="{poll.pk}">' in page
    assert first.status_code == second.status_code == 302
    items = list(meeting.agenda.order_by("position"))
    assert [(i.title, i.topic, i.poll) for i in items] == [
        ("加装电梯方案", topic, poll),
        ("其他事项", None, None),
    ]

    moved = committee_client.post(f"{base}agenda/{items[1].pk}/move/up/")
    assert moved.status_code == 302
    assert list(meeting.agenda.order_by("position").values_list("title", flat=True)) == [
        "其他事项",
        "加装电梯方案",
    ]
    refused = committee_client.post(f"{base}agenda/{items[1].pk}/move/up/")
    assert "This item is already the first." in body_of(committee_client.get(refused["Location"]))

    edited = committee_client.post(
        f"{base}agenda/{items[0].pk}/", {"title": "电梯方案表决", "poll": poll.pk}
    )
    assert edited.status_code == 302
    items[0].refresh_from_db()
    assert (items[0].title, items[0].topic, items[0].poll) == ("电梯方案表决", None, poll)

    removed = committee_client.post(f"{base}agenda/{items[1].pk}/remove/")
    assert removed.status_code == 302
    assert list(meeting.agenda.values_list("title", flat=True)) == ["电梯方案表决"]
    assert "电梯方案表决" in body_of(committee_client.get(base))


@pytest.mark.parametrize(
    "data,message",
    [
        ({"title": ""}, "Give the agenda item a title."),
        ({"title": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"topic": "999999"}, "Select a valid choice."),
        ("other_poll", "Select a valid choice."),
    ],
)
def test_bad_agenda_item_is_refused_and_writes_nothing(committee_client, place, data, message):
    meeting = compound_meeting(place)
    if data == "other_poll":
        data = {"poll": building_poll(place, state="draft", community=place.other_community).pk}
    before = record_counts()

    response = committee_client.post(
        f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "议程"} | data
    )

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_a_poll_on_another_meetings_agenda_is_refused(committee_client, place):
    poll = building_poll(place, state="draft")
    AgendaItem.objects.create(meeting=compound_meeting(place, title="前一次会议"), poll=poll)
    meeting = compound_meeting(place, council=AgendaItem.objects.get().meeting.council)
    before = record_counts()

    response = committee_client.post(
        f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "表决", "poll": poll.pk}
    )

    assert "This poll is already on the agenda of “前一次会议”." in body_of(response)
    assert record_counts() == before


def test_a_closed_meetings_agenda_stays_as_it_was(committee_client, place):
    meeting = compound_meeting(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="议程一")
    set_state(meeting, Meeting.State.CLOSED)
    before = record_counts()

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    added = committee_client.post(f"{MEETINGS}{meeting.pk}/agenda/add/", {"title": "补充议程"})
    removed = committee_client.post(f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/remove/")

    assert 'data-form="agenda"' not in page
    assert "The meeting is closed: its agenda is on the record." in body_of(added)
    assert "The meeting is closed" in body_of(committee_client.get(removed["Location"]))
    assert record_counts() == before


# ---------------------------------------------------------------- registrations and attendance


def test_the_meeting_page_shows_registered_speakers_with_stance_and_statement(
    committee_client, place
):
    meeting = compound_meeting(place, kind=Meeting.Kind.HEARING)
    speaker = verified_member(place.dwellings[0], display_name="赵大爷")
    listener = verified_member(place.dwellings[1], display_name="钱阿姨")
    Registration.objects.create(
        meeting=meeting,
        user=speaker,
        wants_to_speak=True,
        stance="for",
        statement="老人上下楼太难。\n希望尽快加装。",
    )
    Registration.objects.create(meeting=meeting, user=listener, withdrawn_at=timezone.now())

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))

    assert "赵大爷" in page and 'data-stance="for"' in page
    assert "老人上下楼太难。<br>希望尽快加装。" in page
    assert "钱阿姨" in page and "withdrawn" in page
    assert page.index("赵大爷") < page.index("钱阿姨")


def test_the_secretary_records_people_present_on_site(committee_client, committee, place):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    resident = verified_member(place.dwellings[0], phone="+8613955556666", display_name="孙先生")
    base = f"{MEETINGS}{meeting.pk}/"

    page = body_of(committee_client.get(base))
    by_name = committee_client.post(
        f"{base}attendance/", {"name": "周老师", "building": place.building.pk}
    )
    by_phone = committee_client.post(f"{base}attendance/", {"person": "13955556666"})

    assert 'data-form="attendance"' in page
    assert by_name.status_code == by_phone.status_code == 302
    rows = list(meeting.attendance.order_by("pk").values_list("name", "building", "user"))
    assert rows == [("周老师", place.building.pk, None), ("孙先生", place.building.pk, resident.pk)]
    assert "0 online, 2 on site" in body_of(committee_client.get(base))


@pytest.mark.parametrize(
    "state,data,message",
    [
        (
            "open",
            {"name": ""},
            "Write the name of the person present, or give their mobile number.",
        ),
        ("open", {"name": "x" * 51}, "Keep the name under 50 characters."),
        ("open", {"name": "周老师", "building": "999999"}, "Choose a building from the list."),
        ("open", {"person": "13800000999"}, "No account has this mobile number."),
        ("scheduled", {"name": "周老师"}, "Attendance is recorded once the meeting opens."),
    ],
)
def test_bad_attendance_is_refused_and_writes_nothing(
    committee_client, place, state, data, message
):
    meeting = set_state(compound_meeting(place), state)
    before = record_counts()

    response = committee_client.post(f"{MEETINGS}{meeting.pk}/attendance/", data)

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_an_online_meeting_records_no_one_on_site(committee_client, place):
    meeting = set_state(compound_meeting(place, mode=Meeting.Mode.ONLINE), Meeting.State.OPEN)
    before = record_counts()

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    response = committee_client.post(f"{MEETINGS}{meeting.pk}/attendance/", {"name": "周老师"})

    assert 'data-form="attendance"' not in page
    assert "held online only" in body_of(response)
    assert record_counts() == before


# ---------------------------------------------------------------- paper ballots on site


def test_paper_ballots_handed_in_on_site_count_in_the_items_poll(
    committee_client, committee, place
):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    poll = building_poll(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="表决", poll=poll)
    entries = list(RollEntry.objects.filter(roll__poll=poll).order_by("pk"))
    url = f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/ballot/"

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    form = committee_client.get(url)
    by_dwelling = committee_client.post(
        url, {"voter": entries[0].dwellings[0], f"q{poll.questions.get().pk}": option(poll, "yes")}
    )
    by_key = committee_client.post(
        url, {"voter": entries[1].key, f"q{poll.questions.get().pk}": "spoiled"}
    )

    assert "data-ballot" in page
    assert form.status_code == 200 and "scan" not in body_of(form)
    assert by_dwelling.status_code == by_key.status_code == 302
    paper = Participation.objects.filter(poll=poll).order_by("pk")
    assert list(paper.values_list("entry", "channel", "entered_by")) == [
        (entries[0].pk, "paper", committee.pk),
        (entries[1].pk, "paper", committee.pk),
    ]


@pytest.mark.parametrize(
    "voter,pick,message",
    [
        ("nobody", "yes", "No voter on this poll&#x27;s roll has this key or dwelling."),
        ("", "yes", "This field is required."),
        (None, "", "Enter the choice on the ballot, or mark it spoiled."),
        (None, "maybe", "Select a valid choice."),
    ],
)
def test_bad_paper_ballot_is_refused_and_writes_nothing(
    committee_client, place, voter, pick, message
):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    poll = building_poll(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="表决", poll=poll)
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    before = record_counts()

    response = committee_client.post(
        f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/ballot/",
        {
            "voter": entry.key if voter is None else voter,
            f"q{poll.questions.get().pk}": option(poll, pick) if pick == "yes" else pick,
        },
    )

    assert response.status_code == 200
    assert message in body_of(response)
    assert record_counts() == before


def test_a_second_ballot_of_the_same_voter_is_refused(committee_client, place):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    poll = building_poll(place)
    item = AgendaItem.objects.create(meeting=meeting, position=1, title="表决", poll=poll)
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    url = f"{MEETINGS}{meeting.pk}/agenda/{item.pk}/ballot/"
    data = {"voter": entry.key, f"q{poll.questions.get().pk}": option(poll, "yes")}
    committee_client.post(url, data)
    before = record_counts()

    response = committee_client.post(url, data)

    assert response.status_code == 200
    assert "already" in body_of(response)
    assert record_counts() == before


def test_no_paper_ballots_for_an_online_meeting_or_an_item_without_a_poll(committee_client, place):
    online = set_state(compound_meeting(place, mode=Meeting.Mode.ONLINE), Meeting.State.OPEN)
    poll = building_poll(place)
    voted = AgendaItem.objects.create(meeting=online, position=1, title="表决", poll=poll)
    talk = AgendaItem.objects.create(meeting=online, position=2, title="讨论")
    entry = RollEntry.objects.filter(roll__poll=poll).first()
    before = record_counts()

    refused = committee_client.post(
        f"{MEETINGS}{online.pk}/agenda/{voted.pk}/ballot/",
        {"voter": entry.key, f"q{poll.questions.get().pk}": option(poll, "yes")},
    )
    missing = committee_client.get(f"{MEETINGS}{online.pk}/agenda/{talk.pk}/ballot/")

    assert refused.status_code == 302
    assert "An online meeting takes no paper ballots." in body_of(
        committee_client.get(refused["Location"])
    )
    assert missing.status_code == 404
    assert record_counts() == before


# ---------------------------------------------------------------- minutes


def closed_with_draft(place) -> Meeting:
    meeting = compound_meeting(place)
    AgendaItem.objects.create(meeting=meeting, position=1, title="加装电梯方案")
    set_state(meeting, Meeting.State.CLOSED)
    meetings.draft_minutes(meeting)
    return meeting


def test_the_secretary_edits_and_publishes_the_minutes(committee_client, committee, place):
    meeting = closed_with_draft(place)
    draft = meeting.minutes.text
    url = f"{MEETINGS}{meeting.pk}/minutes/"

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    saved = committee_client.post(url, {"action": "save", "text": draft + "\n补充：会后整理。"})
    meeting.minutes.refresh_from_db()
    edited = meeting.minutes.text
    published = committee_client.post(url, {"action": "publish", "text": edited + "\n定稿。"})

    assert 'data-form="minutes"' in page and "加装电梯方案" in page
    assert saved.status_code == published.status_code == 302
    assert "补充：会后整理。" in edited and meeting.minutes.edited_by == committee
    meeting.minutes.refresh_from_db()
    assert meeting.minutes.is_published and meeting.minutes.text.endswith("定稿。")
    after = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    assert "data-minutes-published" in after and 'data-form="minutes"' not in after
    actions = list(
        TraceEntry.objects.filter(action__startswith="minutes.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["minutes.drafted", "minutes.edited", "minutes.edited", "minutes.published"]


def test_drafting_again_replaces_the_secretarys_text(committee_client, place):
    meeting = closed_with_draft(place)
    draft = meeting.minutes.text
    url = f"{MEETINGS}{meeting.pk}/minutes/"
    committee_client.post(url, {"action": "save", "text": "随手改的"})

    response = committee_client.post(url, {"action": "regenerate"})

    assert response.status_code == 302
    meeting.minutes.refresh_from_db()
    assert meeting.minutes.text == draft and meeting.minutes.edited_at is None


def test_a_closed_meeting_without_minutes_offers_to_draft_them(committee_client, place):
    meeting = set_state(compound_meeting(place), Meeting.State.CLOSED)

    page = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))
    response = committee_client.post(f"{MEETINGS}{meeting.pk}/minutes/", {"action": "regenerate"})

    assert 'value="regenerate"' in page and 'data-form="minutes"' not in page
    assert response.status_code == 302
    assert Minutes.objects.filter(meeting=meeting).exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"action": "save", "text": ""}, "The minutes cannot be empty."),
        ({"action": "publish", "text": "   "}, "The minutes cannot be empty."),
        ({"action": "save", "text": "x" * 50_001}, "Keep the minutes under"),
        ({"action": "delete", "text": "x"}, "Choose to save, publish or draft the minutes again."),
    ],
)
def test_bad_minutes_are_refused_and_write_nothing(committee_client, place, data, message):
    meeting = closed_with_draft(place)
    before = record_counts()

    response = committee_client.post(f"{MEETINGS}{meeting.pk}/minutes/", data, follow=True)

    assert message in body_of(response)
    assert record_counts() == before


def test_published_minutes_stay_as_they_are(committee_client, committee, place):
    meeting = closed_with_draft(place)
    meetings.publish_minutes(committee, meeting.minutes)
    before = record_counts()

    for action in ("save", "publish", "regenerate"):
        response = committee_client.post(
            f"{MEETINGS}{meeting.pk}/minutes/", {"action": action, "text": "改写"}, follow=True
        )
        assert "The minutes are" in body_of(response)
    assert record_counts() == before


def test_minutes_of_a_meeting_still_sitting_cannot_be_drafted(committee_client, place):
    meeting = set_state(compound_meeting(place), Meeting.State.OPEN)
    before = record_counts()

    response = committee_client.post(
        f"{MEETINGS}{meeting.pk}/minutes/", {"action": "regenerate"}, follow=True
    )

    assert "Minutes are drafted once the meeting has closed." in body_of(response)
    assert record_counts() == before


# ---------------------------------------------------------------- list pages


@pytest.mark.parametrize("rows", [1, 50])
def test_meeting_list_reads_in_constant_queries(client, place, rows, django_assert_max_num_queries):
    council = CouncilFactory(community=place.community, compound=place.compound)
    for number in range(rows):
        building = BuildingFactory(compound=place.compound) if number % 2 else None
        meeting = MeetingFactory(
            community=place.community,
            compound=place.compound,
            building=building,
            council=council if number % 3 else None,
            title=f"第{number}次会议",
            starts_at=timezone.now() + dt.timedelta(days=number - rows // 2),
        )
        Registration.objects.create(meeting=meeting, user=UserFactory())
    sign_in_staff(client, actor("owners_committee_of_compound", place))

    with django_assert_max_num_queries(20):
        body = body_of(client.get(MEETINGS))

    assert body.count("data-meeting=") == rows


def test_meeting_list_puts_meetings_to_come_first(committee_client, place):
    now = timezone.now()
    later = MeetingFactory(
        community=place.community, title="下周的会", starts_at=now + dt.timedelta(days=7)
    )
    sooner = MeetingFactory(
        community=place.community, title="明天的会", starts_at=now + dt.timedelta(days=1)
    )
    past = set_state(
        MeetingFactory(
            community=place.community, title="上周的会", starts_at=now - dt.timedelta(days=7)
        ),
        Meeting.State.CLOSED,
    )

    body = body_of(committee_client.get(MEETINGS))

    positions = [body.index(f'data-meeting="{m.pk}"') for m in (sooner, later, past)]
    assert positions == sorted(positions)


@pytest.mark.parametrize("rows", [1, 50])
def test_council_list_reads_in_constant_queries(
    committee_client, place, rows, django_assert_max_num_queries
):
    for number in range(rows):
        council = CouncilFactory(
            community=place.community,
            building=place.building if number % 2 else None,
            compound=place.compound if number % 2 else None,
        )
        CouncilMember.objects.create(council=council, user=UserFactory())

    with django_assert_max_num_queries(21):
        body = body_of(committee_client.get(COUNCILS))

    assert body.count("data-council=") == rows


@pytest.mark.parametrize("rows", [1, 30])
def test_meeting_page_reads_in_constant_queries(
    committee_client, place, rows, django_assert_max_num_queries
):
    meeting = set_state(compound_meeting(place, kind=Meeting.Kind.HEARING), Meeting.State.OPEN)
    for number in range(rows):
        AgendaItem.objects.create(meeting=meeting, position=number, title=f"议程{number}")
        user = UserFactory()
        Registration.objects.create(
            meeting=meeting, user=user, wants_to_speak=True, stance="for", statement="同意"
        )
        Attendance.objects.create(
            meeting=meeting,
            user=user,
            name=f"居民{number}",
            building=place.building,
            channel="online",
        )

    with django_assert_max_num_queries(40):
        body = body_of(committee_client.get(f"{MEETINGS}{meeting.pk}/"))

    assert body.count("data-item=") == rows and body.count("data-registration=") == rows
