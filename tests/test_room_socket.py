"""The meeting room over WebSocket, through `config.asgi.application` with real sessions
and the real channel layer: every message type, bad input, permissions, and catching
up after a lost connection with nothing missing and nothing twice."""

import asyncio
import json
from datetime import datetime

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from django.utils import timezone
from uvicorn.protocols.utils import ClientDisconnected

from config.asgi import application
from deliberation import consumers, relay
from deliberation.models import Meeting, Presence, RoomComment, RoomEvent, SpeakerRequest
from deliberation.services import room
from polls.electorate import Head
from polls.models import Participation

from .factories import (
    AgendaItemFactory,
    CommunityFactory,
    DwellingFactory,
    MeetingFactory,
    UserFactory,
    verified_member,
)
from .test_room import poll_for

ORIGIN = b"http://127.0.0.1:8000"

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def _cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


class People:
    """A sitting community meeting: its chair, a resident, and someone from elsewhere."""

    def __init__(self):
        community = CommunityFactory()
        dwelling = DwellingFactory(building__compound__community=community)
        self.chair = verified_member(dwelling, display_name="张主任")
        self.resident = verified_member(
            DwellingFactory(building=dwelling.building), display_name="王阿姨"
        )
        self.observer = UserFactory(display_name="路人甲")
        self.meeting = MeetingFactory(community=community, chair=self.chair)
        self.item = AgendaItemFactory(meeting=self.meeting, title="加装电梯方案")
        room.open_meeting(self.chair, self.meeting)


@pytest_asyncio.fixture
async def people():
    return await database_sync_to_async(People)()


async def join(meeting, user=None, after=None, *, expect="snapshot", app=application):
    """A socket in the room once its catch-up frame has come (the relay then relays the
    room's events to it)."""
    headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1:8000")]
    if user is not None:
        headers.append((b"cookie", await database_sync_to_async(_cookie)(user)))
    path = f"/ws/meetings/{meeting.pk}/" + (f"?after={after}" if after is not None else "")
    socket = WebsocketCommunicator(app, path, headers=headers)
    connected, _ = await socket.connect()
    assert connected
    if expect:
        first = await socket.receive_json_from(timeout=5)
        assert first["type"] == expect, first
        socket.first = first
    return socket


async def frames_until(socket, kind: str, limit: int = 20) -> list[dict]:
    """Frames up to and including the first of `kind` (presence refreshes come and go)."""
    seen = []
    for _ in range(limit):
        frame = await socket.receive_json_from(timeout=5)
        seen.append(frame)
        if frame["type"] == kind:
            return seen
    raise AssertionError(f"no {kind} among {seen}")


async def next_of(socket, kind: str, where=lambda frame: True) -> dict:
    """The next frame of `kind` that `where` accepts."""
    for _ in range(20):
        frame = (await frames_until(socket, kind))[-1]
        if where(frame):
            return frame
    raise AssertionError(f"no {kind} as wanted")


async def event_count(meeting) -> int:
    return await RoomEvent.objects.filter(meeting=meeting).acount()


async def until_closed(socket) -> int:
    """The code the server closed the socket with, whatever came before."""
    for _ in range(1000):
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            return output["code"]
    raise AssertionError("the socket was never closed")


class Transport:
    """The server's side of the sockets: once the client is `gone`, writing to it fails
    as it does in uvicorn; `on_write` sees each message before it is written."""

    def __init__(self):
        self.gone = False
        self.on_write = None

    async def app(self, scope, receive, send):
        async def write(message):
            if self.gone:
                raise ClientDisconnected()
            if self.on_write is not None:
                await self.on_write(message)
            await send(message)

        await application(scope, receive, write)


@pytest.fixture
def made(monkeypatch) -> list:
    """The room consumers made during the test."""
    made = []
    init = consumers.MeetingRoomConsumer.__init__

    def recording_init(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(consumers.MeetingRoomConsumer, "__init__", recording_init)
    return made


def numbered(seq: int, mark: str) -> str:
    """A room event as the relay hands it to a socket."""
    return json.dumps({"type": "test.event", "seq": seq, "mark": mark}, separators=(",", ":"))


# ---------------------------------------------------------------------------- connecting


async def test_anonymous_is_closed_with_4401(people):
    socket = await join(people.meeting, expect=None)
    assert (await socket.receive_output(timeout=5)) == {"type": "websocket.close", "code": 4401}


async def test_an_unknown_meeting_is_closed_with_4404(people):
    socket = await join(Meeting(pk=999999), people.resident, expect=None)
    assert (await socket.receive_output(timeout=5))["code"] == 4404


async def test_joining_sends_a_snapshot_with_the_persons_role(people):
    socket = await join(people.meeting, people.resident)
    snapshot = socket.first
    assert snapshot["role"] == "participant"
    assert snapshot["seq"] == 2  # opened, then the resident's online attendance
    assert snapshot["attendance"] == {"online": 1, "onsite": 0}
    assert snapshot["meeting"]["state"] == "open"
    assert [item["title"] for item in snapshot["agenda"]] == ["加装电梯方案"]
    observer = await join(people.meeting, people.observer)
    assert observer.first["role"] == "observer"
    await socket.disconnect()
    await observer.disconnect()


# ---------------------------------------------------------------------------- live events


async def test_a_comment_typed_in_one_socket_reaches_the_others_numbered(people):
    resident = await join(people.meeting, people.resident)
    observer = await join(people.meeting, people.observer)
    await resident.send_json_to({"type": "comment.post", "text": "支持！", "ref": "c1"})
    ok = await next_of(resident, "ok")
    assert ok == {"type": "ok", "ref": "c1", "for": "comment.post"}
    posted = await next_of(observer, "comment.posted")
    assert posted["seq"] == observer.first["seq"] + 1
    assert posted["comment"]["text"] == "支持！"
    assert posted["comment"]["author"] == "王阿姨"
    await resident.disconnect()
    await observer.disconnect()


async def test_the_chair_runs_the_room_and_everyone_sees_each_step(people):
    chair = await join(people.meeting, people.chair)
    resident = await join(people.meeting, people.resident)

    await chair.send_json_to({"type": "agenda.next"})
    assert (await next_of(resident, "agenda.current"))["item"] == people.item.pk
    await resident.send_json_to({"type": "hand.raise", "point_of_order": False})
    queue = (await next_of(chair, "speakers"))["queue"]
    assert [q["name"] for q in queue] == ["王阿姨"]
    await chair.send_json_to({"type": "floor.give"})
    floor = (await next_of(resident, "speakers", lambda f: f["floor"]))["floor"]
    assert floor["name"] == "王阿姨" and floor["seconds"] == people.meeting.speaking_seconds
    await resident.send_json_to({"type": "floor.end"})
    await next_of(chair, "speakers", lambda f: f["floor"] is None)

    await resident.send_json_to({"type": "comment.post", "text": "跑题的话"})
    comment_id = (await next_of(chair, "comment.posted"))["comment"]["id"]
    await chair.send_json_to({"type": "comment.hide", "comment": comment_id, "reason": "跑题"})
    hidden = await next_of(resident, "comment.hidden")
    assert hidden["comment"] == comment_id and hidden["reason"] == "跑题"

    await chair.send_json_to({"type": "meeting.pause"})
    assert (await next_of(resident, "meeting.state"))["state"] == "paused"
    await chair.send_json_to({"type": "meeting.resume"})
    assert (await next_of(resident, "meeting.state"))["state"] == "open"
    await chair.send_json_to({"type": "meeting.close"})
    assert (await next_of(resident, "meeting.state"))["state"] == "closed"
    await chair.disconnect()
    await resident.disconnect()


async def test_presence_says_how_many_are_in_the_room_and_who_by_building(people):
    resident = await join(people.meeting, people.resident)
    observer = await join(people.meeting, people.observer)
    await observer.send_json_to({"type": "presence.who", "ref": "w"})
    who = await next_of(observer, "presence.who")
    assert who["ref"] == "w"
    assert [name for b in who["buildings"] for name in b["names"]] == ["王阿姨"]
    presence = await next_of(resident, "presence")
    assert presence["total"] >= 1
    await resident.disconnect()
    await observer.disconnect()


# ---------------------------------------------------------------------------- bad input


BAD_FRAMES = [
    ("not json", "invalid", "not valid JSON"),
    ("[1, 2]", "invalid", "JSON object"),
    ('{"text": "no type"}', "invalid", "JSON object"),
    ('{"type": "meeting.explode"}', "invalid", "Unknown message type"),
    ('{"type": "comment.post", "text": 42}', "invalid", "must be text"),
    ('{"type": "comment.post", "text": "x", "ref": 7}', "invalid", "ref"),
    ('{"type": "comment.hide", "comment": "one", "reason": "x"}', "invalid", "whole number"),
    ('{"type": "comment.hide", "comment": 99999, "reason": "x"}', "invalid", "no such"),
    ('{"type": "hand.raise", "point_of_order": "yes"}', "invalid", "true or false"),
    ('{"type": "floor.give", "request": -1}', "invalid", "whole number"),
    ('{"type": "agenda.go", "item": 100000000000000000000}', "invalid", "whole number"),
    ('{"type": "agenda.go"}', "invalid", "whole number"),
    ('{"type": "agenda.go", "item": 99999}', "invalid", "no such"),
    ('{"type": "resync", "after": "x"}', "invalid", "whole number"),
    ('{"type": "vote", "choices": "yes"}', "refused", "no vote"),
    ('{"type": "comment.post", "text": ""}', "refused", "Write something"),
    ('{"type": "hand.lower"}', "refused", "not waiting"),
    ('{"type": "floor.end"}', "refused", "Nobody has the floor"),
    ('{"type": "poll.open"}', "forbidden", "Only the chair"),
    ('{"type": "meeting.close"}', "forbidden", "Only the chair"),
    ('{"type": "agenda.next"}', "forbidden", "Only the chair"),
    ('{"type": "floor.give"}', "forbidden", "Only the chair"),
]


@pytest.mark.parametrize(("text", "code", "message"), BAD_FRAMES)
async def test_bad_input_gets_an_error_and_changes_nothing(people, text, code, message):
    socket = await join(people.meeting, people.resident)
    before = await event_count(people.meeting)
    await socket.send_to(text_data=text)
    error = await next_of(socket, "error")
    assert error["code"] == code
    assert message in error["message"]
    assert await event_count(people.meeting) == before
    assert not await RoomComment.objects.aexists()
    await socket.disconnect()


def _open_vote(people, monkeypatch) -> dict:
    """The resident's vote on the current item, open: the question's id and its "yes"."""
    poll = poll_for([people.resident])
    head = Head(key=f"u{people.resident.pk}", label="", user_id=people.resident.pk)
    monkeypatch.setattr("deliberation.electorates.heads", lambda key: [head])
    item = AgendaItemFactory(meeting=people.meeting, poll=poll)
    room.go_to_item(people.chair, people.meeting, item)
    room.open_item_poll(people.chair, people.meeting)
    question = poll.questions.get()
    return {"question": question.pk, "yes": question.options.get(code="yes").pk}


def fullwidth(number: int) -> str:
    return "".join(chr(ord(digit) + 0xFEE0) for digit in str(number))


BAD_CHOICES = [
    (lambda v: {str(v["question"]): str(v["yes"])}, "by its number"),
    (lambda v: {str(v["question"]): float(v["yes"])}, "by its number"),
    (lambda v: {str(v["question"]): True}, "by its number"),
    (lambda v: {str(v["question"]): [True]}, "by its number"),
    (lambda v: {fullwidth(v["question"]): v["yes"]}, "Choose an answer"),
    (lambda v: {f" {v['question']}": v["yes"]}, "Choose an answer"),
]


@pytest.mark.parametrize(
    ("choices", "message"),
    BAD_CHOICES,
    ids=["text", "float", "true", "list of true", "fullwidth key", "spaced key"],
)
async def test_a_vote_must_name_its_question_and_options_by_number(
    people, monkeypatch, choices, message
):
    vote = await database_sync_to_async(_open_vote)(people, monkeypatch)
    socket = await join(people.meeting, people.resident)

    await socket.send_json_to({"type": "vote", "choices": choices(vote), "ref": "v"})

    error = await next_of(socket, "error")
    assert (error["code"], error["ref"]) == ("refused", "v")
    assert message in error["message"]
    assert not await Participation.objects.aexists()
    await socket.send_json_to({"type": "vote", "choices": {str(vote["question"]): vote["yes"]}})
    assert (await next_of(socket, "ok"))["receipt"]
    await socket.disconnect()


async def test_an_oversized_message_is_refused_unread(people):
    socket = await join(people.meeting, people.resident)
    await socket.send_to(text_data=json.dumps({"type": "comment.post", "text": "长" * 2000}))
    error = await next_of(socket, "error")
    assert "too long" in error["message"]
    assert not await RoomComment.objects.aexists()
    await socket.disconnect()


async def test_binary_data_is_refused(people):
    socket = await join(people.meeting, people.resident)
    await socket.send_to(bytes_data=b"\x00\x01")
    assert (await next_of(socket, "error"))["code"] == "invalid"
    await socket.disconnect()


async def test_an_observer_may_not_speak_write_or_vote(people):
    socket = await join(people.meeting, people.observer)
    for message in (
        {"type": "comment.post", "text": "你好"},
        {"type": "hand.raise"},
        {"type": "vote", "choices": {"1": 1}},
    ):
        await socket.send_json_to(message)
        assert (await next_of(socket, "error"))["code"] == "forbidden"
    assert await event_count(people.meeting) == 1
    assert not await SpeakerRequest.objects.aexists()
    await socket.disconnect()


async def test_a_client_that_floods_is_closed_with_4429(people):
    socket = await join(people.meeting, people.resident)
    for _ in range(consumers.FLOOD_BURST * 5):
        await socket.send_to(text_data='{"type": "nothing"}')
    for _ in range(1000):
        output = await socket.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            assert output["code"] == consumers.CLOSE_FLOOD
            return
    raise AssertionError("the flooding client was never closed")


async def test_nothing_a_client_sends_after_its_flood_close_is_carried_out(people, monkeypatch):
    monkeypatch.setattr(consumers, "FLOOD_RATE", 0.0)
    socket = await join(people.meeting, people.resident)
    for _ in range(consumers.FLOOD_BURST + 1):
        await socket.send_to(text_data='{"type": "nothing"}')
    assert await until_closed(socket) == consumers.CLOSE_FLOOD
    monkeypatch.setattr(consumers, "FLOOD_RATE", 1e9)  # as if enough time had passed

    await socket.send_json_to({"type": "comment.post", "text": "关了还说"})
    await socket.send_to(text_data='{"type": "nothing"}')
    await socket.disconnect(timeout=5)

    assert socket.output_queue.empty()
    assert not await RoomComment.objects.aexists()


async def test_a_resync_costs_five_messages_of_the_flood_allowance(people, monkeypatch):
    monkeypatch.setattr(consumers, "FLOOD_RATE", 0.0)
    socket = await join(people.meeting, people.resident)
    seq = socket.first["seq"]
    for n in range(consumers.FLOOD_BURST // consumers.RESYNC_COST - 1):
        await socket.send_json_to({"type": "resync", "after": seq, "ref": f"r{n}"})
        assert (await next_of(socket, "resynced"))["ref"] == f"r{n}"
    await socket.send_json_to({"type": "presence.who"})
    await next_of(socket, "presence.who")  # four messages' worth left: not enough

    await socket.send_json_to({"type": "resync", "after": seq, "ref": "one too many"})

    error = await next_of(socket, "error")
    assert (error["code"], error["ref"]) == ("flood", "one too many")
    assert await until_closed(socket) == consumers.CLOSE_FLOOD


async def test_the_answer_to_a_resync_carries_its_ref(people):
    socket = await join(people.meeting, people.resident)
    seq = socket.first["seq"]

    await socket.send_json_to({"type": "resync", "after": seq, "ref": "gap"})
    assert (await next_of(socket, "resynced"))["ref"] == "gap"
    await socket.send_json_to({"type": "resync", "after": seq + 100, "ref": "ahead"})
    assert (await next_of(socket, "snapshot"))["ref"] == "ahead"
    await socket.send_json_to({"type": "resync", "after": "x", "ref": "bad"})
    error = await next_of(socket, "error")
    assert (error["code"], error["ref"]) == ("invalid", "bad")
    await socket.disconnect()


async def test_a_message_that_fails_on_the_server_keeps_the_socket_open(people, monkeypatch):
    def broken(user, meeting, text):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(room, "post_comment", broken)
    socket = await join(people.meeting, people.resident)
    await socket.send_json_to({"type": "comment.post", "text": "你好", "ref": "x"})
    error = await next_of(socket, "error")
    assert (error["code"], error["ref"]) == ("server", "x")
    await socket.send_json_to({"type": "presence.who"})
    assert (await next_of(socket, "presence.who"))["buildings"]
    await socket.disconnect()


async def test_permissions_are_checked_on_every_message(people):
    """A chair replaced while connected loses the chair's powers at the next message."""
    socket = await join(people.meeting, people.chair)
    await database_sync_to_async(Meeting.objects.filter(pk=people.meeting.pk).update)(
        chair=people.resident
    )
    await socket.send_json_to({"type": "meeting.pause"})
    assert (await next_of(socket, "error"))["code"] == "forbidden"
    await socket.disconnect()


# ---------------------------------------------------------------------------- catching up


async def post(meeting, user, text):
    await database_sync_to_async(room.post_comment)(user, meeting, text)


async def test_a_client_that_reconnects_gets_exactly_what_it_missed(people):
    socket = await join(people.meeting, people.resident)
    seq = socket.first["seq"]
    await socket.disconnect()
    for n in range(3):
        await post(people.meeting, people.chair, f"错过的第{n}条")
    back = await join(people.meeting, people.resident, after=seq, expect=None)
    frames = await frames_until(back, "resynced")
    numbered = [f for f in frames if "seq" in f and f["type"] != "resynced"]
    assert [f["seq"] for f in numbered] == [seq + 1, seq + 2, seq + 3]
    assert [f["comment"]["text"] for f in numbered] == [f"错过的第{n}条" for n in range(3)]
    assert frames[-1] == {"type": "resynced", "seq": seq + 3, "now": frames[-1]["now"]}
    await post(people.meeting, people.chair, "新的一条")
    assert (await next_of(back, "comment.posted"))["seq"] == seq + 4
    await back.disconnect()


async def test_the_snapshot_and_the_end_of_a_replay_tell_the_servers_time(people):
    before = timezone.now()
    socket = await join(people.meeting, people.resident)
    await socket.send_json_to({"type": "resync", "after": socket.first["seq"]})
    resynced = await next_of(socket, "resynced")
    after = timezone.now()

    assert before <= datetime.fromisoformat(socket.first["now"]) <= after
    assert before <= datetime.fromisoformat(resynced["now"]) <= after
    await socket.disconnect()


@pytest.mark.parametrize("after", ["²", "-1", "x", "99999999999999999999"])
async def test_a_reconnect_with_a_strange_after_gets_a_snapshot(people, after):
    socket = await join(people.meeting, people.resident, after=after)
    assert socket.first["seq"] >= 1
    await socket.disconnect()


async def test_a_client_too_far_behind_gets_a_snapshot(people, monkeypatch):
    monkeypatch.setattr("deliberation.queries.REPLAY_LIMIT", 2)
    for n in range(4):
        await post(people.meeting, people.chair, f"第{n}条")
    back = await join(people.meeting, people.resident, after=0)
    assert back.first["seq"] == 6  # opened, four comments, the resident's attendance
    assert [c["text"] for c in back.first["comments"]] == [f"第{n}条" for n in range(4)]
    await back.disconnect()


async def test_a_resync_message_sends_the_gap_and_nothing_twice(people):
    socket = await join(people.meeting, people.resident)
    seq = socket.first["seq"]
    for n in range(2):
        await post(people.meeting, people.chair, f"第{n}条")
    live = [(await next_of(socket, "comment.posted"))["seq"] for _ in range(2)]
    assert live == [seq + 1, seq + 2]
    await socket.send_json_to({"type": "resync", "after": seq})
    frames = await frames_until(socket, "resynced")
    assert [f["seq"] for f in frames if f["type"] == "comment.posted"] == [seq + 1, seq + 2]
    await post(people.meeting, people.chair, "之后")
    assert (await next_of(socket, "comment.posted"))["seq"] == seq + 3
    await socket.disconnect()


async def test_events_broadcast_while_a_client_catches_up_are_held_not_lost(people):
    """Events that reach the socket between joining the relay and sending the snapshot
    come after it, and those the snapshot already includes are not sent again."""
    original = consumers._catch_up

    def slow_catch_up(user, meeting, after):
        frames = original(user, meeting, after)
        room.post_comment(people.chair, people.meeting, "追赶期间")
        return frames

    consumers_catch_up = consumers._catch_up
    consumers._catch_up = slow_catch_up
    try:
        socket = await join(people.meeting, people.resident)
    finally:
        consumers._catch_up = consumers_catch_up
    posted = await next_of(socket, "comment.posted")
    assert posted["seq"] == socket.first["seq"] + 1
    assert posted["comment"]["text"] == "追赶期间"
    await socket.disconnect()


@pytest.mark.parametrize(
    "message",
    [
        '{"type": "resync", "after": 1}',
        '{"type": "presence.who"}',
        "not json",
    ],
)
async def test_a_client_gone_when_answered_leaves_the_room_and_the_relay(
    people, made, caplog, message
):
    transport = Transport()
    socket = await join(people.meeting, people.resident, app=transport.app)
    (consumer,) = made
    transport.gone = True

    await socket.send_to(text_data=message)
    await socket.wait(timeout=5)  # the consumer ends, without waiting for a disconnect

    assert not await Presence.objects.aexists()
    assert relay.current().watching(people.meeting.group_name) == 0
    assert (consumer.catching_up, consumer.held) == (False, [])
    assert not [record for record in caplog.records if record.levelname == "ERROR"]


async def test_a_client_that_falls_too_far_behind_while_catching_up_is_closed_with_4408(
    people, made, monkeypatch
):
    monkeypatch.setattr(consumers, "HELD_LIMIT", 3)
    catch_up = consumers.MeetingRoomConsumer._catch_up

    async def while_events_pour_in(self, frames):
        for n in range(consumers.HELD_LIMIT + 1):
            await self.send(text_data=numbered(1000 + n, "late"))  # as the relay does
        await catch_up(self, frames)

    monkeypatch.setattr(consumers.MeetingRoomConsumer, "_catch_up", while_events_pour_in)
    socket = await join(people.meeting, people.resident, expect=None)

    assert await socket.receive_output(timeout=5) == {
        "type": "websocket.close",
        "code": consumers.CLOSE_TOO_SLOW,
    }
    assert made[0].held == []
    await socket.disconnect()
    assert not await Presence.objects.aexists()


async def test_events_held_during_a_catch_up_are_all_sent_before_any_goes_straight_out(
    people, made, monkeypatch
):
    """An event that reaches the socket while the held ones are being written is held
    too, and written after them, not before."""
    transport = Transport()
    catch_up = consumers.MeetingRoomConsumer._catch_up
    seq = {}

    async def with_two_held(self, frames):
        seq["snapshot"] = frames[-1]["seq"]
        for n in (1, 2):
            await self.send(text_data=numbered(seq["snapshot"] + n, f"held {n}"))
        await catch_up(self, frames)

    async def an_event_arrives_meanwhile(message):
        if '"mark":"held 1"' in message.get("text", ""):
            await made[0].send(text_data=numbered(seq["snapshot"] + 3, "meanwhile"))

    monkeypatch.setattr(consumers.MeetingRoomConsumer, "_catch_up", with_two_held)
    transport.on_write = an_event_arrives_meanwhile
    socket = await join(people.meeting, people.resident, app=transport.app)

    marks = []
    while len(marks) < 3:  # presence refreshes come and go
        frame = await socket.receive_json_from(timeout=5)
        marks += [frame["mark"]] if "mark" in frame else []
    assert marks == ["held 1", "held 2", "meanwhile"]
    await socket.disconnect()


async def test_leaving_forgets_the_connection(people):
    socket = await join(people.meeting, people.resident)
    await socket.disconnect()
    for _ in range(100):
        if not relay.current().watching(people.meeting.group_name):
            break
        await asyncio.sleep(0.01)

    assert not await Presence.objects.aexists()
