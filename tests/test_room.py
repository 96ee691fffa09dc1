"""The live room's services: the meeting's states, the agenda, comments, the list of
speakers, votes and presence — each numbered in the room's sequence, refused with a
clear message and no change when not allowed."""

import json
import re
from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from deliberation import queries
from deliberation.models import (
    AgendaItem,
    Attendance,
    Meeting,
    Presence,
    RoomComment,
    RoomEvent,
    SpeakerRequest,
    TraceEntry,
)
from deliberation.services import meetings, room
from polls import services as engine
from polls.electorate import Head

from .factories import (
    AgendaItemFactory,
    DwellingFactory,
    MeetingFactory,
    UserFactory,
    verified_member,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def chair(dwelling):
    return verified_member(DwellingFactory(building=dwelling.building), display_name="主持人")


@pytest.fixture
def neighbour(dwelling):
    return verified_member(dwelling, display_name="王阿姨")


@pytest.fixture
def observer(db):
    return UserFactory(display_name="路人")


@pytest.fixture
def meeting(community, chair):
    return MeetingFactory(community=community, chair=chair)


@pytest.fixture
def sitting(meeting, chair):
    return room.open_meeting(chair, meeting)


def events(meeting) -> list[tuple[int, str]]:
    return list(RoomEvent.objects.filter(meeting=meeting).values_list("seq", "type"))


def unchanged(meeting, before_seq: int) -> bool:
    meeting.refresh_from_db()
    return (
        meeting.last_seq == before_seq
        and not RoomEvent.objects.filter(meeting=meeting, seq__gt=before_seq).exists()
    )


# ---------------------------------------------------------------------------- states


def test_the_chair_opens_pauses_resumes_and_closes_the_meeting(meeting, chair):
    room.open_meeting(chair, meeting)
    room.pause_meeting(chair, meeting)
    room.resume_meeting(chair, meeting)
    room.close_meeting(chair, meeting)
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    assert meeting.opened_at and meeting.closed_at
    states = [
        e.data["state"] for e in RoomEvent.objects.filter(meeting=meeting, type="meeting.state")
    ]
    assert states == ["open", "paused", "open", "closed"]
    actions = set(
        TraceEntry.objects.filter(object_type="deliberation.meeting").values_list(
            "action", flat=True
        )
    )
    assert {"meeting.opened", "meeting.paused", "meeting.resumed", "meeting.closed"} <= actions


def test_the_state_label_everyone_is_sent_is_in_the_sites_language_not_the_chairs(
    sitting, chair, settings
):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("en"):
        room.pause_meeting(chair, sitting)
    event = RoomEvent.objects.filter(meeting=sitting).latest("seq")
    assert event.data == {"state": "paused", "state_label": "暂停"}


@pytest.mark.parametrize(
    ("state", "step"),
    [
        ("scheduled", "pause"),
        ("scheduled", "resume"),
        ("scheduled", "close"),
        ("open", "open"),
        ("open", "resume"),
        ("paused", "pause"),
        ("paused", "open"),
        ("closed", "open"),
        ("closed", "pause"),
        ("closed", "resume"),
        ("closed", "close"),
    ],
)
def test_an_illegal_step_is_refused_naming_the_state(meeting, chair, state, step):
    Meeting.objects.filter(pk=meeting.pk).update(state=state)
    with pytest.raises(ValidationError, match="cannot be"):
        getattr(room, f"{step}_meeting")(chair, meeting)
    assert unchanged(meeting, 0)
    assert meeting.state == state


def test_only_the_chair_changes_the_meetings_state(meeting, neighbour):
    with pytest.raises(PermissionDenied, match="Only the chair"):
        room.open_meeting(neighbour, meeting)
    assert unchanged(meeting, 0)
    assert meeting.state == Meeting.State.SCHEDULED


def test_events_are_numbered_one_by_one_in_the_rooms_own_sequence(sitting, chair, neighbour):
    other = MeetingFactory(community=sitting.community, chair=chair)
    room.open_meeting(chair, other)
    room.post_comment(neighbour, sitting, "第一条")
    room.raise_hand(neighbour, sitting)
    assert [seq for seq, _type in events(sitting)] == [1, 2, 3]
    assert [seq for seq, _type in events(other)] == [1]
    sitting.refresh_from_db()
    assert sitting.last_seq == 3


def test_an_event_is_broadcast_only_after_its_change_commits(
    meeting, chair, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        room.open_meeting(chair, meeting)
        assert RoomEvent.objects.filter(meeting=meeting).count() == 1
    assert len(callbacks) == 1


# ---------------------------------------------------------------------------- comments


def test_a_participant_comments_and_the_room_gets_the_text_with_building(sitting, neighbour):
    comment = room.post_comment(neighbour, sitting, "  <b>支持</b>加装电梯 ")
    assert comment.text == "支持加装电梯"
    event = RoomEvent.objects.get(meeting=sitting, type="comment.posted")
    assert event.data["comment"]["author"] == "王阿姨"
    assert event.data["comment"]["building"] == sitting_building_name(neighbour, sitting)
    assert event.data["comment"]["text"] == "支持加装电梯"


def sitting_building_name(user, meeting) -> str:
    return user.memberships.get().dwelling.building.name


def test_an_observer_may_not_comment(sitting, observer):
    with pytest.raises(PermissionDenied, match="verified residents"):
        room.post_comment(observer, sitting, "我也说两句")
    assert unchanged(sitting, 1)
    assert not RoomComment.objects.exists()


def test_a_resident_of_another_community_only_observes(sitting, other_community):
    stranger = verified_member(DwellingFactory(building__compound__community=other_community))
    with pytest.raises(PermissionDenied):
        room.post_comment(stranger, sitting, "路过")
    assert unchanged(sitting, 1)


def test_comments_wait_for_the_meeting_to_sit(meeting, neighbour):
    with pytest.raises(ValidationError, match="while the meeting sits"):
        room.post_comment(neighbour, meeting, "早到了")
    assert unchanged(meeting, 0)


@pytest.mark.parametrize(
    ("text", "message"), [("", "Write something"), ("<p> </p>", "Write something")]
)
def test_an_empty_comment_is_refused(sitting, neighbour, text, message):
    with pytest.raises(ValidationError, match=message):
        room.post_comment(neighbour, sitting, text)
    assert unchanged(sitting, 1)


def test_a_comment_over_the_limit_is_refused(sitting, neighbour):
    with pytest.raises(ValidationError, match="under 500"):
        room.post_comment(neighbour, sitting, "长" * 501)
    assert unchanged(sitting, 1)


def test_a_participant_is_rate_limited_but_the_chair_is_not(sitting, neighbour, chair):
    for n in range(10):
        room.post_comment(neighbour, sitting, f"第{n}条")
    with pytest.raises(ValidationError, match="too often"):
        room.post_comment(neighbour, sitting, "第十一条")
    for n in range(15):
        room.post_comment(chair, sitting, f"主持人第{n}条")
    assert RoomComment.objects.filter(author=neighbour).count() == 10
    assert RoomComment.objects.filter(author=chair).count() == 15


def test_the_chair_hides_a_comment_with_a_public_reason_and_keeps_it(sitting, neighbour, chair):
    comment = room.post_comment(neighbour, sitting, "人身攻击的话")
    room.hide_comment(chair, comment, "含人身攻击")
    comment.refresh_from_db()
    assert comment.is_hidden and comment.text == "人身攻击的话"
    hidden = RoomEvent.objects.get(meeting=sitting, type="comment.hidden")
    assert hidden.data == {"comment": comment.pk, "reason": "含人身攻击"}
    snapshot_comment = queries.room_snapshot(sitting, neighbour)["comments"][-1]
    assert snapshot_comment == {"id": comment.pk, "hidden": True, "reason": "含人身攻击"}


def test_hiding_needs_the_chair_and_a_reason_and_happens_once(sitting, neighbour, chair):
    comment = room.post_comment(neighbour, sitting, "一条评论")
    with pytest.raises(PermissionDenied):
        room.hide_comment(neighbour, comment, "不喜欢")
    with pytest.raises(ValidationError, match="reason"):
        room.hide_comment(chair, comment, " ")
    assert unchanged(sitting, 2)
    room.hide_comment(chair, comment, "跑题")
    with pytest.raises(ValidationError, match="already hidden"):
        room.hide_comment(chair, comment, "跑题")
    assert unchanged(sitting, 3)


# ---------------------------------------------------------------------------- speakers


def test_a_point_of_order_goes_before_those_waiting(sitting, neighbour, chair, dwelling):
    third = verified_member(DwellingFactory(building=dwelling.building), display_name="孙老师")
    room.raise_hand(neighbour, sitting)
    room.raise_hand(third, sitting, point_of_order=True)
    queue = queries.room_speakers(sitting)["queue"]
    assert [q["name"] for q in queue] == ["孙老师", "王阿姨"]
    assert queue[0]["point_of_order"] is True
    given = room.give_floor(chair, sitting)
    assert given.user == third
    speakers = RoomEvent.objects.filter(meeting=sitting, type="speakers").last().data
    assert speakers["floor"]["name"] == "孙老师"
    assert speakers["floor"]["seconds"] == sitting.speaking_seconds
    assert [q["name"] for q in speakers["queue"]] == ["王阿姨"]


def test_giving_the_floor_ends_the_speech_under_way_with_its_times(sitting, neighbour, chair):
    other = verified_member(DwellingFactory(building=neighbour.memberships.get().dwelling.building))
    room.raise_hand(neighbour, sitting)
    room.raise_hand(other, sitting)
    first = room.give_floor(chair, sitting)
    room.give_floor(chair, sitting)
    first.refresh_from_db()
    assert first.state == SpeakerRequest.State.DONE
    assert first.began_at <= first.ended_at


def test_asking_twice_is_refused(sitting, neighbour):
    room.raise_hand(neighbour, sitting)
    with pytest.raises(ValidationError, match="already on the list"):
        room.raise_hand(neighbour, sitting)
    assert SpeakerRequest.objects.count() == 1


def test_a_speaker_lowers_a_hand_or_yields_the_floor(sitting, neighbour, chair):
    room.raise_hand(neighbour, sitting)
    room.lower_hand(neighbour, sitting)
    assert SpeakerRequest.objects.get().state == SpeakerRequest.State.WITHDRAWN
    with pytest.raises(ValidationError, match="not waiting"):
        room.lower_hand(neighbour, sitting)
    room.raise_hand(neighbour, sitting)
    room.give_floor(chair, sitting)
    room.end_floor(neighbour, sitting)
    assert not SpeakerRequest.objects.filter(state="speaking").exists()


def test_only_the_speaker_or_the_chair_ends_a_speech(sitting, neighbour, chair, dwelling):
    other = verified_member(DwellingFactory(building=dwelling.building))
    room.raise_hand(neighbour, sitting)
    room.give_floor(chair, sitting)
    seq = Meeting.objects.get(pk=sitting.pk).last_seq
    with pytest.raises(PermissionDenied, match="Only the chair"):
        room.end_floor(other, sitting)
    assert unchanged(sitting, seq)
    room.end_floor(chair, sitting)


def test_the_floor_needs_someone_waiting_and_a_meeting_in_session(sitting, chair, neighbour):
    with pytest.raises(ValidationError, match="Nobody is waiting"):
        room.give_floor(chair, sitting)
    room.raise_hand(neighbour, sitting)
    room.pause_meeting(chair, sitting)
    with pytest.raises(ValidationError, match="in session"):
        room.give_floor(chair, sitting)
    with pytest.raises(ValidationError, match="Nobody has the floor"):
        room.end_floor(chair, sitting)


def test_the_chair_cannot_give_the_floor_to_a_request_of_another_meeting(sitting, chair, neighbour):
    other = MeetingFactory(community=sitting.community, chair=chair)
    room.open_meeting(chair, other)
    request = room.raise_hand(neighbour, other)
    with pytest.raises(ValidationError, match="not waiting"):
        room.give_floor(chair, sitting, request)


# ---------------------------------------------------------------------------- agenda


def test_the_chair_moves_through_the_agenda(sitting, chair):
    first, second = AgendaItemFactory(meeting=sitting), AgendaItemFactory(meeting=sitting)
    room.next_item(chair, sitting)
    room.next_item(chair, sitting)
    sitting.refresh_from_db()
    assert sitting.current_item == second
    first.refresh_from_db()
    assert first.started_at and first.ended_at
    with pytest.raises(ValidationError, match="last item"):
        room.next_item(chair, sitting)
    room.go_to_item(chair, sitting, first)
    current = RoomEvent.objects.filter(meeting=sitting, type="agenda.current").last()
    assert current.data == {"item": first.pk, "title": first.title}


def test_the_room_is_told_the_new_agenda_when_an_item_is_added_or_moved(sitting, chair):
    first = AgendaItemFactory(meeting=sitting)
    second = meetings.add_agenda_item(chair, sitting, title="临时动议")
    meetings.move_agenda_item(chair, second, "up")
    agendas = [
        [item["id"] for item in e.data["agenda"]]
        for e in RoomEvent.objects.filter(meeting=sitting, type="agenda").order_by("seq")
    ]
    assert agendas == [[first.pk, second.pk], [second.pk, first.pk]]


def test_an_item_of_another_meeting_is_refused(sitting, chair):
    stray = AgendaItemFactory()
    with pytest.raises(ValidationError, match="not on this meeting"):
        room.go_to_item(chair, sitting, stray)
    assert unchanged(sitting, 1)


def test_a_comment_belongs_to_the_item_under_discussion(sitting, chair, neighbour):
    item = AgendaItemFactory(meeting=sitting)
    room.next_item(chair, sitting)
    assert room.post_comment(neighbour, sitting, "关于本议程").item == item


# ---------------------------------------------------------------------------- closing


def test_closing_ends_the_speech_withdraws_the_queue_and_drafts_minutes(
    sitting, chair, neighbour, dwelling
):
    other = verified_member(DwellingFactory(building=dwelling.building))
    item = AgendaItemFactory(meeting=sitting)
    room.next_item(chair, sitting)
    room.raise_hand(neighbour, sitting)
    room.raise_hand(other, sitting)
    room.give_floor(chair, sitting)
    room.close_meeting(chair, sitting)
    states = dict(SpeakerRequest.objects.values_list("user_id", "state"))
    assert states == {neighbour.pk: "done", other.pk: "withdrawn"}
    item.refresh_from_db()
    assert item.ended_at is not None
    sitting.refresh_from_db()
    assert sitting.current_item is None
    assert sitting.minutes.text


# ---------------------------------------------------------------------------- votes


def poll_for(voters):
    poll = engine.create_poll(
        None,
        title="是否同意加装电梯",
        scope_label="3号楼2单元",
        electorate="test",
        rule_name="simple_majority",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    heads = [Head(key=f"u{u.pk}", label=str(u), user_id=u.pk) for u in voters]
    engine.prepare_roll(None, poll, heads)
    return poll


@pytest.fixture
def voting_item(sitting, chair, neighbour, monkeypatch):
    poll = poll_for([neighbour])
    # The test electorate is no register deliberation knows: opening compares the roll
    # with the register as it stands, so the register is what the roll was made from.
    monkeypatch.setattr(
        "deliberation.electorates.heads",
        lambda key: [Head(key=f"u{neighbour.pk}", label=str(neighbour), user_id=neighbour.pk)],
    )
    item = AgendaItemFactory(meeting=sitting, poll=poll)
    room.next_item(chair, sitting)
    return item


def yes(poll) -> dict:
    question = poll.questions.get()
    return {str(question.pk): question.options.get(code="yes").pk}


def test_the_chair_opens_the_items_vote_and_participants_vote_in_the_room(
    sitting, chair, neighbour, voting_item
):
    poll = room.open_item_poll(chair, sitting)
    assert poll.state == "open"
    cast = room.cast_vote(neighbour, sitting, yes(poll))
    assert cast.receipt
    with pytest.raises(ValidationError, match="already voted"):
        room.cast_vote(neighbour, sitting, yes(poll))
    room.close_item_poll(chair, sitting)
    types = [t for _seq, t in events(sitting)]
    assert types[-2:] == ["poll.opened", "poll.closed"] or "poll.opened" in types


def test_someone_not_on_the_roll_cannot_vote_in_the_room(sitting, chair, voting_item, dwelling):
    other = verified_member(DwellingFactory(building=dwelling.building))
    poll = room.open_item_poll(chair, sitting)
    with pytest.raises(ValidationError, match="not on the voter roll"):
        room.cast_vote(other, sitting, yes(poll))


@pytest.mark.parametrize("choices", [None, [], {}, {"x": 1}, "yes", {"999999": 1}])
def test_a_malformed_vote_is_refused_and_casts_nothing(
    sitting, chair, neighbour, voting_item, choices
):
    poll = room.open_item_poll(chair, sitting)
    with pytest.raises(ValidationError):
        room.cast_vote(neighbour, sitting, choices)
    assert not poll.participations.exists()


def test_a_vote_needs_an_item_with_a_poll_and_an_open_poll(sitting, chair, neighbour):
    with pytest.raises(ValidationError, match="no vote"):
        room.open_item_poll(chair, sitting)
    with pytest.raises(ValidationError, match="no vote"):
        room.cast_vote(neighbour, sitting, {})


def test_the_meeting_cannot_close_while_its_vote_is_open(sitting, chair, voting_item):
    room.open_item_poll(chair, sitting)
    with pytest.raises(ValidationError, match="Close the vote"):
        room.close_meeting(chair, sitting)
    sitting.refresh_from_db()
    assert sitting.state == Meeting.State.OPEN


def test_the_meeting_cannot_close_while_an_earlier_items_vote_is_open(sitting, chair, voting_item):
    room.open_item_poll(chair, sitting)
    AgendaItemFactory(meeting=sitting)
    room.next_item(chair, sitting)
    with pytest.raises(ValidationError, match="Close the votes"):
        room.close_meeting(chair, sitting)


# ---------------------------------------------------------------------------- presence


def test_a_participant_entering_a_sitting_meeting_attends_it_online_once(sitting, neighbour):
    assert room.enter_room(neighbour, sitting, "c1") == "participant"
    room.enter_room(neighbour, sitting, "c2")
    attendance = Attendance.objects.get(meeting=sitting)
    assert attendance.channel == "online" and attendance.user == neighbour
    assert queries.room_presence(sitting)["total"] == 1
    room.leave_room("c1")
    room.leave_room("c2")
    assert not Presence.objects.exists()


@pytest.fixture
def locks(monkeypatch) -> list:
    """The meetings `room.locked` locks during the test."""
    taken = []
    lock = room.locked

    def recording_lock(meeting):
        taken.append(meeting.pk)
        return lock(meeting)

    monkeypatch.setattr(room, "locked", recording_lock)
    return taken


def test_only_a_participant_not_yet_attending_waits_for_the_rooms_lock(
    sitting, neighbour, observer, locks
):
    room.enter_room(neighbour, sitting, "c1")
    assert locks == [sitting.pk]
    room.enter_room(neighbour, sitting, "c2")
    room.enter_room(observer, sitting, "c3")
    assert locks == [sitting.pk]
    assert Attendance.objects.get(meeting=sitting).user == neighbour
    assert queries.room_presence(sitting)["total"] == 2


def test_nobody_waits_for_the_lock_of_a_closed_meeting(sitting, chair, neighbour, locks):
    closed = room.close_meeting(chair, sitting)
    locks.clear()
    room.enter_room(neighbour, closed, "c1")
    assert locks == []
    assert not Attendance.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes no row locks")
def test_the_rooms_lock_leaves_rows_pointing_at_the_meeting_free(sitting):
    """FOR NO KEY UPDATE: a presence or a comment referring to the meeting is written
    while the room's lock is held (FOR UPDATE would make it wait)."""
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        room.locked(sitting)
    (lock,) = [q["sql"] for q in captured.captured_queries if "FOR " in q["sql"]]
    assert lock.endswith("FOR NO KEY UPDATE")


def test_an_observer_is_present_but_does_not_attend(sitting, observer):
    assert room.enter_room(observer, sitting, "c1") == "observer"
    assert not Attendance.objects.exists()
    presence = queries.room_presence(sitting)
    assert presence == {"total": 1, "participants": 0, "buildings": []}


def test_those_already_in_the_room_attend_when_the_meeting_opens(meeting, chair, neighbour):
    room.enter_room(neighbour, meeting, "c1")
    assert not Attendance.objects.exists()
    room.open_meeting(chair, meeting)
    assert Attendance.objects.filter(user=neighbour, channel="online").exists()
    assert queries.attendance_counts(meeting) == {"online": 1, "onsite": 0}


def test_presence_counts_participants_by_building(sitting, neighbour, observer):
    room.enter_room(neighbour, sitting, "c1")
    room.enter_room(observer, sitting, "c2")
    building = neighbour.memberships.get().dwelling.building.name
    assert queries.room_presence(sitting) == {
        "total": 2,
        "participants": 1,
        "buildings": [{"building": building, "count": 1}],
    }
    assert queries.room_presence_names(sitting) == [{"building": building, "names": ["王阿姨"]}]


# ---------------------------------------------------------------------------- replay


def test_a_client_behind_gets_the_missed_events_in_order(sitting, neighbour):
    for n in range(3):
        room.post_comment(neighbour, sitting, f"第{n}条")
    frames = queries.room_events_after(sitting, 2)
    assert [f["seq"] for f in frames] == [3, 4]
    assert frames[0]["type"] == "comment.posted" and frames[0]["comment"]["text"] == "第1条"
    assert queries.room_events_after(sitting, 4) == []


def test_a_client_too_far_behind_or_ahead_gets_a_snapshot_instead(sitting):
    Meeting.objects.filter(pk=sitting.pk).update(last_seq=queries.REPLAY_LIMIT + 10)
    assert queries.room_events_after(sitting, 5) is None
    assert queries.room_events_after(sitting, queries.REPLAY_LIMIT + 11) is None


def test_a_replayed_comment_that_was_hidden_since_comes_hidden(sitting, neighbour, chair):
    comment = room.post_comment(neighbour, sitting, "不当言论")
    room.hide_comment(chair, comment, "不文明")
    posted = queries.room_events_after(sitting, 1)[0]
    assert posted["comment"] == {"id": comment.pk, "hidden": True, "reason": "不文明"}


def test_the_snapshot_shows_the_room_as_of_its_number(sitting, chair, neighbour):
    item = AgendaItemFactory(meeting=sitting)
    room.next_item(chair, sitting)
    room.post_comment(neighbour, sitting, "你好")
    room.raise_hand(neighbour, sitting)
    snapshot = queries.room_snapshot(sitting, neighbour)
    assert snapshot["seq"] == 4
    assert snapshot["role"] == "participant"
    assert snapshot["current_item"] == item.pk
    assert snapshot["you"]["hand"] == SpeakerRequest.objects.get().pk
    assert [c["text"] for c in snapshot["comments"]] == ["你好"]
    assert snapshot["meeting"]["state"] == "open"


def test_the_meeting_page_gives_the_room_script_the_servers_time(sitting, neighbour, client):
    client.force_login(neighbour)
    before = timezone.now()
    page = client.get(reverse("deliberation:meeting", args=[sitting.pk]))
    after = timezone.now()
    script = re.search(r'<script id="room-initial"[^>]*>(.*?)</script>', page.content.decode())
    initial = json.loads(script[1])
    assert initial["seq"] == sitting.last_seq
    assert before <= datetime.fromisoformat(initial["now"]) <= after


def test_the_snapshot_makes_the_same_number_of_queries_with_many_comments(
    sitting, neighbour, dwelling, django_assert_max_num_queries
):
    room.post_comment(neighbour, sitting, "一")
    with django_assert_max_num_queries(20) as one:
        queries.room_snapshot(sitting, neighbour)
    for n in range(30):
        author = verified_member(DwellingFactory(building=dwelling.building))
        RoomComment.objects.create(meeting=sitting, author=author, text=f"{n}")
    RoomComment.objects.filter(meeting=sitting).update(created_at=timezone.now() - timedelta(1))
    with django_assert_max_num_queries(len(one.captured_queries)):
        queries.room_snapshot(sitting, neighbour)
    assert AgendaItem.objects.count() == 0
