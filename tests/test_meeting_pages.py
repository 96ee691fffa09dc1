"""The resident pages of meetings: the list and its filters, a meeting's page with its
room as plain forms (comment, raise and lower a hand, the chair's controls, the vote of
the current item), registering, and the secretary's page (on-site attendance, paper
ballots, minutes). Every form is tried with bad input: a clear message, nothing changes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from deliberation.models import (
    Attendance,
    Meeting,
    Minutes,
    Notification,
    Registration,
    RoomComment,
    SpeakerRequest,
)
from deliberation.services import meetings as meeting_services
from deliberation.services import room
from polls import services as engine
from polls.electorate import Head
from polls.models import Participation

from .factories import (
    AgendaItemFactory,
    BuildingFactory,
    CompoundFactory,
    DwellingFactory,
    MeetingFactory,
    UserFactory,
    verified_member,
)

pytestmark = pytest.mark.django_db

MEETINGS = reverse("deliberation:meetings")


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def building(community):
    return BuildingFactory(
        compound=CompoundFactory(community=community, name="幸福里"), name="3号楼"
    )


@pytest.fixture
def neighbour(building):
    return verified_member(DwellingFactory(building=building), display_name="王阿姨")


@pytest.fixture
def chair(building):
    return verified_member(DwellingFactory(building=building), display_name="张主任")


@pytest.fixture
def secretary(building):
    return verified_member(DwellingFactory(building=building), display_name="李秘书")


@pytest.fixture
def observer(db):
    return UserFactory(display_name="路人")


@pytest.fixture
def meeting(community, chair, secretary):
    return MeetingFactory(
        community=community, chair=chair, secretary=secretary, title="3号楼加装电梯议事会"
    )


@pytest.fixture
def items(meeting):
    return [
        AgendaItemFactory(meeting=meeting, title="加装电梯方案"),
        AgendaItemFactory(meeting=meeting, title="费用分摊"),
    ]


@pytest.fixture
def sitting(meeting, chair, items):
    room.open_meeting(chair, meeting)
    room.next_item(chair, meeting)
    meeting.refresh_from_db()
    return meeting


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def url(name: str, meeting: Meeting) -> str:
    return reverse(f"deliberation:{name}", args=[meeting.pk])


def page(response) -> str:
    return response.content.decode()


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def follow(client, response):
    """The page a 303 leads to, with the messages it carries."""
    assert response.status_code == 303, response.status_code
    return client.get(response["Location"])


def last_seq(meeting: Meeting) -> int:
    return Meeting.objects.values_list("last_seq", flat=True).get(pk=meeting.pk)


# ---------------------------------------------------------------------------- the list


def test_the_list_shows_kind_time_place_venue_mode_and_state(client, meeting, building):
    MeetingFactory(
        community=meeting.community,
        compound=building.compound,
        building=building,
        kind=Meeting.Kind.HEARING,
        mode=Meeting.Mode.ONLINE,
        title="3号楼2单元加装电梯听证会",
        venue="3号楼架空层",
    )
    body = page(client.get(MEETINGS))
    assert "3号楼加装电梯议事会" in body and "3号楼2单元加装电梯听证会" in body
    assert "hearing" in body and "council meeting" in body
    assert "幸福里 3号楼" in body and "3号楼架空层" in body and "社区活动室" in body
    assert "online" in body and "online and on site" in body
    assert 'class="badge badge-state-scheduled"' in body
    assert (
        meeting.starts_at.astimezone(timezone.get_current_timezone()).strftime("%Y-%m-%d %H:%M")
        in body
    )


def test_meetings_to_come_are_listed_before_closed_ones(client, community, chair):
    now = timezone.now()
    MeetingFactory(
        community=community, title="早已结束", starts_at=now - timedelta(days=9), state="closed"
    )
    MeetingFactory(
        community=community, title="刚结束", starts_at=now - timedelta(days=1), state="closed"
    )
    MeetingFactory(community=community, title="后天", starts_at=now + timedelta(days=2))
    MeetingFactory(community=community, title="明天", starts_at=now + timedelta(days=1))
    body = page(client.get(MEETINGS))
    order = [
        body.index(t)
        for t in ("Coming up and sitting", "明天", "后天", "Past meetings", "刚结束", "早已结束")
    ]
    assert order == sorted(order)


def test_the_list_filters_by_kind_and_state(client, community, meeting):
    MeetingFactory(community=community, kind=Meeting.Kind.HEARING, title="听证会一")
    MeetingFactory(community=community, kind=Meeting.Kind.HEARING, title="听证会二", state="open")
    body = page(client.get(MEETINGS, {"kind": "hearing", "state": "open"}))
    assert "听证会二" in body
    assert "听证会一" not in body and meeting.title not in body


def test_a_bad_filter_is_reported_and_left_out(client, meeting):
    response = client.get(MEETINGS, {"kind": "party", "state": "sleeping"})
    assert response.status_code == 200
    body = page(response)
    assert "Choose a kind of meeting from the list." in body
    assert "Choose a state from the list." in body
    assert meeting.title in body


def test_the_lists_query_count_does_not_grow_with_its_meetings(
    client, community, building, django_assert_max_num_queries
):
    MeetingFactory(community=community, building=building, compound=building.compound)
    with django_assert_max_num_queries(10) as one:
        assert client.get(MEETINGS).status_code == 200
    for n in range(49):
        MeetingFactory(
            community=community,
            compound=building.compound if n % 2 else None,
            building=building if n % 4 == 1 else None,
            state="closed" if n % 3 == 0 else "scheduled",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(MEETINGS)
    assert page(response).count('class="meeting-item-title"') == 20


# ---------------------------------------------------------------------------- the page, read


def test_anyone_reads_the_meeting_page_without_taking_part(client, sitting, neighbour):
    room.post_comment(neighbour, sitting, "支持加装电梯")
    response = client.get(url("meeting", sitting))
    assert response.status_code == 200
    body = page(response)
    assert "3号楼加装电梯议事会" in body and "张主任" in body and "李秘书" in body
    assert "加装电梯方案" in body and "费用分摊" in body
    assert "支持加装电梯" in body and "王阿姨" in body
    assert "Sign in to take part in the meeting." in body
    assert 'id="room-comment-form"' not in body
    assert 'id="hand-raise-form"' not in body
    assert 'name="action" value="open"' not in body
    assert 'data-ws-url=""' in body
    assert "meeting-room.js" not in body


def test_the_current_item_is_marked(client, sitting, items):
    body = page(client.get(url("meeting", sitting)))
    assert f'<li data-item="{items[0].pk}" class="current" aria-current="step">' in body
    assert f'<li data-item="{items[1].pk}">' in body
    assert '<strong id="room-current-item">加装电梯方案</strong>' in body


def test_a_hidden_comment_shows_only_the_public_reason(client, sitting, neighbour, chair):
    comment = room.post_comment(neighbour, sitting, "某某是骗子")
    room.hide_comment(chair, comment, "人身攻击")
    body = page(client.get(url("meeting", sitting)))
    assert "某某是骗子" not in body
    assert "This comment has been hidden" in body and "人身攻击" in body


def test_comment_text_is_escaped(client, sitting, neighbour):
    room.post_comment(neighbour, sitting, "a < b & <i>c</i>")
    body = page(client.get(url("meeting", sitting)))
    assert "<i>c</i>" not in body


def test_the_floor_the_countdown_and_the_queue_show(client, sitting, neighbour, chair, secretary):
    room.raise_hand(neighbour, sitting)
    room.raise_hand(secretary, sitting, point_of_order=True)
    room.give_floor(chair, sitting)  # the point of order first
    room.raise_hand(chair, sitting)
    body = page(signed_in(neighbour).get(url("meeting", sitting)))
    floor = body[body.index('id="room-floor"') : body.index('id="room-queue"')]
    assert "李秘书" in floor and 'id="room-countdown"' in floor
    assert "2:59" in floor or "3:00" in floor
    queue = body[body.index('id="room-queue"') : body.index('id="room-queue-empty"')]
    assert queue.index("王阿姨") < queue.index("张主任")
    # 王阿姨 waits: her page offers to lower her hand, not to raise it.
    lower = 'id="hand-lower-form" data-type="hand.lower" data-show-in="open paused"'
    assert f'{lower} data-hand="waiting">' in body
    assert 'data-hand="none" hidden>' in body


def test_a_hearing_shows_its_registered_speakers_with_stance_and_statement(
    client, community, neighbour, chair
):
    hearing = MeetingFactory(community=community, chair=chair, kind=Meeting.Kind.HEARING)
    meeting_services.register(
        neighbour, hearing, wants_to_speak=True, stance="against", statement="一楼采光受影响"
    )
    body = page(client.get(url("meeting", hearing)))
    assert "Registered speakers" in body
    assert "王阿姨" in body and "badge-stance-against" in body and "一楼采光受影响" in body


def test_the_meeting_page_of_a_missing_meeting_is_not_found(client):
    assert client.get(reverse("deliberation:meeting", args=[999])).status_code == 404


def test_the_meeting_pages_query_count_does_not_grow_with_its_comments(
    sitting, neighbour, chair, django_assert_max_num_queries
):
    room.post_comment(neighbour, sitting, "第一条")
    client = signed_in(chair)
    with django_assert_max_num_queries(40) as one:
        assert client.get(url("meeting", sitting)).status_code == 200
    people = [neighbour, chair] + [
        verified_member(DwellingFactory(building=neighbour.memberships.first().dwelling.building))
        for _ in range(5)
    ]
    now = timezone.now()
    for n in range(49):
        RoomComment.objects.create(
            meeting=sitting,
            item=sitting.current_item,
            author=people[n % len(people)],
            text=f"评论{n}",
            hidden_at=now if n % 7 == 0 else None,
            hidden_by=chair if n % 7 == 0 else None,
            hidden_reason="离题" if n % 7 == 0 else "",
        )
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(url("meeting", sitting))
    assert page(response).count('class="room-comment') >= 50


def test_a_notification_about_a_meeting_links_to_its_page(sitting, neighbour):
    Notification.objects.create(
        recipient=neighbour, meeting=sitting, action="meeting.announced", text="议事会通知"
    )
    body = page(signed_in(neighbour).get(reverse("deliberation:notifications")))
    assert f'href="{url("meeting", sitting)}">议事会通知' in body


# ---------------------------------------------------------------------------- comments


def test_a_participant_comments_in_the_room(sitting, neighbour):
    client = signed_in(neighbour)
    response = client.post(url("meeting_comment", sitting), {"text": "我支持"})
    assert response.status_code == 303
    assert response["Location"].endswith("#room-comments-section")
    assert RoomComment.objects.get().text == "我支持"
    assert "我支持" in page(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write something first."), ("   ", "Write something first."), ("长" * 501, "under 500")],
)
def test_a_bad_comment_is_refused_with_the_text_kept(sitting, neighbour, text, message):
    seq = last_seq(sitting)
    response = signed_in(neighbour).post(url("meeting_comment", sitting), {"text": text})
    assert response.status_code == 400
    assert message in page(response)
    assert not RoomComment.objects.exists()
    assert last_seq(sitting) == seq


def test_no_comment_before_the_meeting_sits(meeting, neighbour):
    response = signed_in(neighbour).post(url("meeting_comment", meeting), {"text": "早到了"})
    assert response.status_code == 400
    assert "Comments are open while the meeting sits." in page(response)
    assert not RoomComment.objects.exists()


def test_an_observer_cannot_comment(sitting, observer):
    client = signed_in(observer)
    body = page(client.get(url("meeting", sitting)))
    assert 'id="room-comment-form"' not in body
    assert "you can follow the meeting" in body
    response = client.post(url("meeting_comment", sitting), {"text": "路过"})
    assert response.status_code == 403
    assert not RoomComment.objects.exists()


def test_someone_signed_out_is_sent_to_sign_in(client, sitting):
    response = client.post(url("meeting_comment", sitting), {"text": "匿名"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not RoomComment.objects.exists()


# ---------------------------------------------------------------------------- hands


def test_a_participant_raises_and_lowers_a_hand(sitting, neighbour):
    client = signed_in(neighbour)
    response = client.post(url("meeting_raise_hand", sitting), {"point_of_order": "on"})
    assert "You are on the list of speakers." in messages_of(follow(client, response))
    request = SpeakerRequest.objects.get()
    assert (request.user, request.point_of_order, request.state) == (neighbour, True, "waiting")
    response = client.post(url("meeting_lower_hand", sitting))
    follow(client, response)
    request.refresh_from_db()
    assert request.state == "withdrawn"


def test_a_second_raised_hand_and_a_hand_not_raised_are_refused(sitting, neighbour):
    client = signed_in(neighbour)
    client.post(url("meeting_raise_hand", sitting))
    seq = last_seq(sitting)
    response = follow(client, client.post(url("meeting_raise_hand", sitting)))
    assert "You are already on the list of speakers." in messages_of(response)
    assert SpeakerRequest.objects.count() == 1 and last_seq(sitting) == seq
    client.post(url("meeting_lower_hand", sitting))
    response = follow(client, client.post(url("meeting_lower_hand", sitting)))
    assert "You are not waiting to speak." in messages_of(response)


def test_no_hand_before_the_meeting_sits_and_none_for_an_observer(meeting, neighbour, observer):
    client = signed_in(neighbour)
    response = follow(client, client.post(url("meeting_raise_hand", meeting)))
    assert "You can ask to speak while the meeting sits." in messages_of(response)
    room.open_meeting(meeting.chair, meeting)
    assert signed_in(observer).post(url("meeting_raise_hand", meeting)).status_code == 403
    assert not SpeakerRequest.objects.exists()


def test_the_speaker_yields_the_floor(sitting, neighbour, chair):
    room.raise_hand(neighbour, sitting)
    room.give_floor(chair, sitting)
    client = signed_in(neighbour)
    body = page(client.get(url("meeting", sitting)))
    yield_form = 'id="floor-yield-form" data-type="floor.end" data-show-in="open paused"'
    assert f'{yield_form} data-hand="speaking">' in body
    follow(client, client.post(url("meeting_yield_floor", sitting)))
    request = SpeakerRequest.objects.get()
    assert request.state == "done" and request.ended_at


# ---------------------------------------------------------------------------- the chair


def chair_post(client, meeting, **data):
    return client.post(url("meeting_chair", meeting), data)


def test_chair_controls_show_only_to_the_chair(sitting, chair, neighbour, secretary):
    assert 'id="room-chair"' in page(signed_in(chair).get(url("meeting", sitting)))
    for person in (neighbour, secretary):
        assert 'id="room-chair"' not in page(signed_in(person).get(url("meeting", sitting)))


def test_only_the_chair_may_use_the_chairs_controls(meeting, neighbour, secretary, observer):
    for person in (neighbour, secretary, observer):
        response = chair_post(signed_in(person), meeting, action="open")
        assert response.status_code == 403
        assert "Only the chair" in page(response)
    meeting.refresh_from_db()
    assert meeting.state == "scheduled" and meeting.last_seq == 0


def test_the_chair_runs_the_meeting_without_javascript(meeting, items, chair, neighbour):
    client = signed_in(chair)
    follow(client, chair_post(client, meeting, action="open"))
    response = follow(client, chair_post(client, meeting, action="next_item"))
    assert "Now on the agenda: 加装电梯方案" in messages_of(response)
    follow(client, chair_post(client, meeting, action="go_item", item=items[1].pk))
    meeting.refresh_from_db()
    assert meeting.current_item == items[1]
    room.raise_hand(neighbour, meeting)
    response = follow(client, chair_post(client, meeting, action="give_floor"))
    assert "王阿姨 has the floor." in messages_of(response)
    assert SpeakerRequest.objects.get().state == "speaking"
    follow(client, chair_post(client, meeting, action="end_floor"))
    assert SpeakerRequest.objects.get().state == "done"
    comment = room.post_comment(neighbour, meeting, "离题的话")
    follow(
        client,
        chair_post(client, meeting, action="hide_comment", comment=comment.pk, reason="离题"),
    )
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "离题"
    follow(client, chair_post(client, meeting, action="pause"))
    follow(client, chair_post(client, meeting, action="resume"))
    response = follow(client, chair_post(client, meeting, action="close"))
    assert "The meeting is closed; the minutes are drafted." in messages_of(response)
    meeting.refresh_from_db()
    assert meeting.state == "closed"
    assert Minutes.objects.filter(meeting=meeting).exists()


def test_the_chair_gives_the_floor_to_someone_in_particular(sitting, chair, neighbour, secretary):
    room.raise_hand(neighbour, sitting)
    later = room.raise_hand(secretary, sitting)
    follow(
        signed_in(chair),
        chair_post(signed_in(chair), sitting, action="give_floor", request=later.pk),
    )
    later.refresh_from_db()
    assert later.state == "speaking"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Choose what to do."),
        ({"action": "explode"}, "That is not one of the chair's controls."),
        ({"action": "go_item"}, "Choose an item of the agenda."),
        ({"action": "go_item", "item": "x"}, "Choose an item of the agenda."),
        ({"action": "go_item", "item": 99999}, "That item is not on this meeting's agenda."),
        ({"action": "give_floor"}, "Nobody is waiting to speak."),
        ({"action": "give_floor", "request": 99999}, "not on this meeting's list of speakers"),
        ({"action": "end_floor"}, "Nobody has the floor."),
        ({"action": "hide_comment"}, "Choose a comment of this meeting."),
        ({"action": "hide_comment", "comment": 99999}, "That comment is not in this meeting."),
        ({"action": "open_poll"}, "The current item has no vote."),
        ({"action": "open"}, "cannot be"),
    ],
)
def test_a_bad_chair_control_is_refused_and_changes_nothing(sitting, chair, data, message):
    seq = last_seq(sitting)
    client = signed_in(chair)
    response = follow(client, chair_post(client, sitting, **data))
    assert any(message in m for m in messages_of(response)), messages_of(response)
    assert last_seq(sitting) == seq


def test_hiding_a_comment_needs_a_reason(sitting, chair, neighbour):
    comment = room.post_comment(neighbour, sitting, "一条评论")
    seq = last_seq(sitting)
    client = signed_in(chair)
    response = follow(
        client, chair_post(client, sitting, action="hide_comment", comment=comment.pk)
    )
    assert any("Give the reason" in m for m in messages_of(response))
    comment.refresh_from_db()
    assert not comment.is_hidden and last_seq(sitting) == seq


def test_an_item_of_another_meeting_cannot_be_taken_up(sitting, chair, community):
    other = AgendaItemFactory(meeting=MeetingFactory(community=community, chair=chair))
    client = signed_in(chair)
    response = follow(client, chair_post(client, sitting, action="go_item", item=other.pk))
    assert "That item is not on this meeting's agenda." in messages_of(response)
    sitting.refresh_from_db()
    assert sitting.current_item != other


# ---------------------------------------------------------------------------- the vote


def poll_for(voters):
    poll = engine.create_poll(
        None,
        title="是否同意加装电梯",
        scope_label="3号楼",
        electorate="test",
        rule_name="simple_majority",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    engine.prepare_roll(
        None, poll, [Head(key=f"u{u.pk}", label=str(u), user_id=u.pk) for u in voters]
    )
    return poll


@pytest.fixture
def voting(sitting, chair, neighbour, secretary, monkeypatch):
    """The current item has a poll with 王阿姨 and 李秘书 on its roll, open."""
    voters = [neighbour, secretary]
    poll = poll_for(voters)
    monkeypatch.setattr(
        "deliberation.electorates.heads",
        lambda key: [Head(key=f"u{u.pk}", label=str(u), user_id=u.pk) for u in voters],
    )
    AgendaItemFactory(meeting=sitting, poll=poll, title="表决")
    room.go_to_item(chair, sitting, sitting.agenda.get(poll=poll))
    room.open_item_poll(chair, sitting)
    sitting.refresh_from_db()
    return poll


def test_a_voter_sees_a_small_ballot_and_the_way_to_the_polls_page(voting, sitting, neighbour):
    body = page(signed_in(neighbour).get(url("meeting", sitting)))
    poll_section = body[body.index('id="room-poll"') : body.index('id="room-vote-receipt"')]
    assert "是否同意加装电梯" in poll_section
    assert f'action="{reverse("polls:vote", args=[voting.pk])}"' in poll_section
    assert 'data-type="vote"' in poll_section and "是否同意？" in poll_section
    assert reverse("polls:detail", args=[voting.pk]) in poll_section
    assert reverse("polls:results_fragment", args=[voting.pk]) in poll_section


def test_without_javascript_the_rooms_ballot_is_cast_by_the_polls_page(voting, sitting, neighbour):
    client = signed_in(neighbour)
    question = voting.questions.get()
    body = page(client.get(url("meeting", sitting)))
    assert f'name="q{question.pk}"' in body
    response = client.post(reverse("polls:vote", args=[voting.pk]), yes_of(voting))
    assert response.status_code in (200, 302, 303)
    entry = voting.roll.entries.get(user=neighbour)
    assert Participation.objects.get(entry=entry).channel == "online"


def test_someone_not_on_the_roll_sees_why_not_and_no_ballot(voting, sitting, chair):
    body = page(signed_in(chair).get(url("meeting", sitting)))
    poll_section = body[body.index('id="room-poll"') : body.index('id="room-vote-receipt"')]
    assert 'data-type="vote"' not in poll_section
    assert "You are not on the voter roll" in poll_section
    assert 'value="close_poll"' in poll_section


def test_the_chair_closes_the_vote_without_javascript(voting, sitting, chair):
    client = signed_in(chair)
    response = follow(client, chair_post(client, sitting, action="close_poll"))
    assert "The vote is closed." in messages_of(response)
    voting.refresh_from_db()
    assert voting.state != "open"


# ---------------------------------------------------------------------------- registering


def test_a_resident_registers_and_withdraws(meeting, neighbour):
    client = signed_in(neighbour)
    response = follow(client, client.post(url("meeting_register", meeting)))
    assert "You are registered for the meeting." in messages_of(response)
    assert "Withdraw my registration" in page(response)
    registration = Registration.objects.get()
    assert registration.user == neighbour and registration.withdrawn_at is None
    follow(client, client.post(url("meeting_withdraw", meeting)))
    registration.refresh_from_db()
    assert registration.withdrawn_at is not None


def test_a_resident_registers_to_speak_at_a_hearing(community, chair, neighbour):
    hearing = MeetingFactory(community=community, chair=chair, kind=Meeting.Kind.HEARING)
    client = signed_in(neighbour)
    body = page(client.get(url("meeting", hearing)))
    assert 'name="wants_to_speak"' in body and 'name="statement"' in body
    follow(
        client,
        client.post(
            url("meeting_register", hearing),
            {"wants_to_speak": "on", "stance": "for", "statement": "老人上下楼不便"},
        ),
    )
    registration = Registration.objects.get()
    assert (registration.wants_to_speak, registration.stance) == (True, "for")
    assert registration.statement == "老人上下楼不便"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"wants_to_speak": "on", "statement": "我要发言"}, "for, against or neutral"),
        ({"wants_to_speak": "on", "stance": "maybe"}, "Choose for, against or neutral."),
        ({"wants_to_speak": "on", "stance": "for", "statement": "长" * 2001}, "under 2000"),
    ],
)
def test_a_bad_speakers_registration_is_refused(community, chair, neighbour, data, message):
    hearing = MeetingFactory(community=community, chair=chair, kind=Meeting.Kind.HEARING)
    response = signed_in(neighbour).post(url("meeting_register", hearing), data)
    assert response.status_code == 400
    assert message in page(response)
    assert not Registration.objects.exists()


def test_an_observer_cannot_register_and_sees_why(meeting, observer):
    client = signed_in(observer)
    body = page(client.get(url("meeting", meeting)))
    assert 'action="{}"'.format(url("meeting_register", meeting)) not in body
    assert "Only verified residents of" in body
    response = client.post(url("meeting_register", meeting))
    assert response.status_code == 400
    assert not Registration.objects.exists()


def test_a_full_meeting_refuses_registration(meeting, neighbour, secretary):
    Meeting.objects.filter(pk=meeting.pk).update(registration_limit=1)
    meeting_services.register(secretary, meeting)
    response = signed_in(neighbour).post(url("meeting_register", meeting))
    assert response.status_code == 400
    assert "All 1 places are taken." in page(response)
    assert Registration.objects.count() == 1


def test_withdrawing_without_registering_is_refused(meeting, neighbour):
    client = signed_in(neighbour)
    response = follow(client, client.post(url("meeting_withdraw", meeting)))
    assert "You are not registered for this meeting." in messages_of(response)


# ---------------------------------------------------------------------------- minutes


def closed(meeting, chair) -> Minutes:
    room.open_meeting(chair, meeting)
    room.close_meeting(chair, meeting)
    return Minutes.objects.get(meeting=meeting)


def test_published_minutes_are_linked_from_the_meeting_page(client, meeting, chair, secretary):
    minutes = closed(meeting, chair)
    assert client.get(url("meeting_minutes", meeting)).status_code == 404
    assert "Read the minutes" not in page(client.get(url("meeting", meeting)))
    meeting_services.publish_minutes(secretary, minutes)
    assert url("meeting_minutes", meeting) in page(client.get(url("meeting", meeting)))
    response = client.get(url("meeting_minutes", meeting))
    assert response.status_code == 200 and meeting.title in page(response)


# ---------------------------------------------------------------------------- the secretary


def test_the_secretarys_page_is_for_the_secretary_and_the_chair(
    client, meeting, secretary, chair, neighbour
):
    for person in (secretary, chair):
        assert signed_in(person).get(url("meeting_secretary", meeting)).status_code == 200
    response = signed_in(neighbour).get(url("meeting_secretary", meeting))
    assert response.status_code == 403
    assert "Only the secretary or the chair" in page(response)
    assert client.get(url("meeting_secretary", meeting)).status_code == 302
    response = signed_in(neighbour).post(url("secretary_attendance", meeting), {"name": "张三"})
    assert response.status_code == 403
    assert not Attendance.objects.exists()


def test_the_secretary_records_on_site_attendance(sitting, secretary, building):
    client = signed_in(secretary)
    response = client.post(
        url("secretary_attendance", sitting), {"name": "孙大爷", "building": building.pk}
    )
    assert "孙大爷 is recorded as attending on site." in messages_of(follow(client, response))
    attendance = Attendance.objects.get(channel="onsite")
    assert (attendance.name, attendance.building, attendance.recorded_by) == (
        "孙大爷",
        building,
        secretary,
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "Write the name of the person who came."),
        ({"name": "长" * 51}, "under 50"),
        ({"name": "孙大爷", "building": 99999}, "Choose a building from the list."),
    ],
)
def test_bad_on_site_attendance_is_refused(sitting, secretary, data, message):
    response = signed_in(secretary).post(url("secretary_attendance", sitting), data)
    assert response.status_code == 400
    assert message in page(response)
    assert not Attendance.objects.filter(channel="onsite").exists()


def test_attendance_of_a_meeting_not_yet_open_is_refused(meeting, secretary):
    response = signed_in(secretary).post(url("secretary_attendance", meeting), {"name": "孙大爷"})
    assert response.status_code == 400
    assert "Attendance is recorded once the meeting opens." in page(response)
    assert not Attendance.objects.exists()


def test_a_building_of_another_community_is_not_offered(sitting, secretary, other_community):
    elsewhere = BuildingFactory(compound=CompoundFactory(community=other_community))
    response = signed_in(secretary).post(
        url("secretary_attendance", sitting), {"name": "外人", "building": elsewhere.pk}
    )
    assert response.status_code == 400
    assert not Attendance.objects.filter(channel="onsite").exists()


def yes_of(poll) -> dict:
    question = poll.questions.get()
    return {f"q{question.pk}": question.options.get(code="yes").pk}


def voters_offered(client, meeting) -> str:
    body = page(client.get(url("meeting_secretary", meeting)))
    return body[body.index('name="voter"') : body.index("</select>", body.index('name="voter"'))]


def test_the_secretary_enters_an_on_site_paper_ballot(voting, sitting, secretary, neighbour):
    client = signed_in(secretary)
    entry = voting.roll.entries.get(user=neighbour)
    assert f'<option value="{entry.pk}">王阿姨' in voters_offered(client, sitting)
    response = client.post(url("secretary_ballot", sitting), {"voter": entry.pk, **yes_of(voting)})
    assert "The paper ballot of 王阿姨 is counted." in messages_of(follow(client, response))
    participation = Participation.objects.get(entry=entry)
    assert participation.channel == "paper" and participation.entered_by == secretary
    # Who has voted is no longer offered.
    assert f'<option value="{entry.pk}">' not in voters_offered(client, sitting)


def test_a_spoiled_paper_ballot_needs_no_choice(voting, sitting, secretary, neighbour):
    entry = voting.roll.entries.get(user=neighbour)
    client = signed_in(secretary)
    follow(
        client, client.post(url("secretary_ballot", sitting), {"voter": entry.pk, "spoiled": "on"})
    )
    assert Participation.objects.get(entry=entry).ballot.spoiled


def test_bad_paper_ballots_are_refused(voting, sitting, secretary, neighbour, chair):
    client = signed_in(secretary)
    entry = voting.roll.entries.get(user=neighbour)
    cases = [
        ({**yes_of(voting)}, "Choose the voter from the roll."),
        ({"voter": 99999, **yes_of(voting)}, "Choose the voter from the roll of this vote."),
        ({"voter": entry.pk}, "Answer “是否同意？”."),
        ({"voter": entry.pk, f"q{voting.questions.get().pk}": 99999}, "That is not an option"),
    ]
    for data, message in cases:
        response = client.post(url("secretary_ballot", sitting), data)
        assert response.status_code == 400, data
        assert message in page(response), (data, message)
    room.cast_vote(neighbour, sitting, {str(k[1:]): v for k, v in yes_of(voting).items()})
    response = client.post(url("secretary_ballot", sitting), {"voter": entry.pk, **yes_of(voting)})
    assert response.status_code == 400
    assert Participation.objects.get(entry=entry).channel == "online"


def test_no_paper_ballot_without_an_open_vote(sitting, secretary):
    client = signed_in(secretary)
    assert "Paper ballots are entered while" in page(client.get(url("meeting_secretary", sitting)))
    response = follow(client, client.post(url("secretary_ballot", sitting), {"voter": 1}))
    assert "The current item has no vote open for ballots." in messages_of(response)
    assert not Participation.objects.exists()


def test_the_secretary_edits_and_publishes_the_minutes(meeting, chair, secretary):
    minutes = closed(meeting, chair)
    client = signed_in(secretary)
    response = client.post(
        url("secretary_minutes", meeting), {"text": "会议纪要正文", "action": "save"}
    )
    assert "The minutes are saved." in messages_of(follow(client, response))
    minutes.refresh_from_db()
    assert (minutes.text, minutes.edited_by, minutes.is_published) == (
        "会议纪要正文",
        secretary,
        False,
    )
    response = client.post(
        url("secretary_minutes", meeting), {"text": "会议纪要定稿", "action": "publish"}
    )
    assert "The minutes are published." in messages_of(follow(client, response))
    minutes.refresh_from_db()
    assert minutes.text == "会议纪要定稿" and minutes.is_published


def test_empty_minutes_are_refused_and_nothing_changes(meeting, chair, secretary):
    minutes = closed(meeting, chair)
    draft = minutes.text
    response = signed_in(secretary).post(
        url("secretary_minutes", meeting), {"text": "", "action": "publish"}
    )
    assert response.status_code == 400
    assert "The minutes cannot be empty." in page(response)
    minutes.refresh_from_db()
    assert minutes.text == draft and not minutes.is_published and minutes.edited_at is None


def test_minutes_before_the_meeting_closes_are_refused(meeting, secretary):
    client = signed_in(secretary)
    assert "drafted from the meeting's record when the chair closes" in page(
        client.get(url("meeting_secretary", meeting))
    )
    response = follow(client, client.post(url("secretary_minutes", meeting), {"text": "提前写"}))
    assert "The minutes are drafted when the meeting closes." in messages_of(response)
    assert not Minutes.objects.exists()
