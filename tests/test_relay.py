"""The per-process relay: one subscription per group and process whatever the number of
sockets, each event encoded once for all of them, refresh hints coalesced, a broken
socket dropped without harming the others, and a slow one holding nobody back. With the
in-memory channel layer, and with the Redis pub/sub layer too when `REDIS_URL` is set (as
in CI's second run)."""

import asyncio
import json

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from channels_redis.pubsub import RedisPubSubChannelLayer
from django.urls import path

from deliberation import relay

pytestmark = pytest.mark.asyncio

INTERVAL = 0.5  # the coalescing interval in these tests, seconds
PROMPTLY = 0.25  # what "at once" means here: well within the interval, seconds


class RoomSocket(AsyncWebsocketConsumer):
    """The least a consumer does to watch a room through the relay."""

    channel_layer_alias = None

    async def connect(self):
        await self.accept()
        self.group = self.scope["url_route"]["kwargs"]["group"]
        await relay.join(self.group, self)

    async def disconnect(self, code):
        await relay.leave(self.group, self)


application = URLRouter([path("rooms/<str:group>/", RoomSocket.as_asgi())])


class FakeSocket:
    """A socket that records what it is sent and how it was closed; it fails to send when
    `broken`, and each send waits for `gate` when given (a client not reading)."""

    def __init__(self, broken: bool = False, gate: asyncio.Event | None = None):
        self.broken = broken
        self.gate = gate
        self.frames: list[str] = []
        self.attempts = 0
        self.closed_with: list[int] = []

    async def send(self, text_data=None):
        self.attempts += 1
        if self.broken:
            raise ConnectionResetError("the phone went into a tunnel")
        if self.gate is not None:
            await self.gate.wait()
        self.frames.append(text_data)

    async def close(self, code=None):
        self.closed_with.append(code)


@pytest.fixture(params=["memory", "redis"], autouse=True)
def layer(request, settings):
    """A fresh channel layer for each test."""
    if request.param == "redis":
        if not settings.REDIS_URL:
            pytest.skip("REDIS_URL is not set")
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                "CONFIG": {
                    "hosts": [settings.REDIS_URL],
                    "prefix": f"{settings.REDIS_PREFIX}-relay",
                },
            }
        }
    else:
        settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    return get_channel_layer()


@pytest.fixture(autouse=True)
def _database_left_alone(django_db_blocker):
    """These consumers use no database, but Channels closes stale database connections
    around each of their handlers, which may touch one an earlier test left open."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture(autouse=True)
def short_interval(monkeypatch):
    monkeypatch.setattr(relay, "COALESCE_INTERVAL", INTERVAL)


async def sockets_in(group: str, count: int) -> list[WebsocketCommunicator]:
    """`count` sockets watching the group, once the relay relays to all of them (a socket
    is accepted before it joins)."""
    watching = relay.current().watching(group)
    sockets = [WebsocketCommunicator(application, f"/rooms/{group}/") for _ in range(count)]
    for socket in sockets:
        connected, _ = await socket.connect()
        assert connected
    await until(lambda: relay.current().watching(group) == watching + count)
    return sockets


async def disconnect(sockets) -> None:
    for socket in sockets:
        await socket.disconnect()


def subscriptions(layer, group: str) -> int:
    """How many channels of this process the layer has in the group."""
    if isinstance(layer, RedisPubSubChannelLayer):
        group = layer._get_group_channel_name(group)
    return len(layer.groups.get(group, ()))


async def until(condition, timeout: float = 2.0) -> None:
    """Wait for the relay (and Redis) to get there."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_one_subscription_per_group_whatever_the_number_of_sockets(layer):
    here = await sockets_in("room.a", 5)
    there = await sockets_in("room.b", 2)

    assert subscriptions(layer, "room.a") == 1
    assert subscriptions(layer, "room.b") == 1
    await disconnect(here + there)


async def test_every_socket_gets_the_event_encoded_once(layer, monkeypatch):
    encoded = []

    def counting_encode(event):
        encoded.append(event)
        return relay.json.dumps(event)

    monkeypatch.setattr(relay, "encode", counting_encode)
    sockets = await sockets_in("room.a", 4)

    await layer.group_send("room.a", {"type": "speaker.called", "name": "王阿姨"})

    frames = [await socket.receive_from() for socket in sockets]
    assert len(encoded) == 1
    assert all(frame is frames[0] for frame in frames)
    assert json.loads(frames[0]) == {"type": "speaker.called", "name": "王阿姨"}
    await disconnect(sockets)


async def test_the_last_socket_to_leave_discards_the_group(layer):
    first, second = await sockets_in("room.a", 2)

    await first.disconnect()
    assert subscriptions(layer, "room.a") == 1
    await second.disconnect()
    assert subscriptions(layer, "room.a") == 0
    assert not layer.channels  # the relay's own channel is gone too

    (again,) = await sockets_in("room.a", 1)
    await layer.group_send("room.a", {"type": "meeting.opened"})
    assert json.loads(await again.receive_from()) == {"type": "meeting.opened"}
    await again.disconnect()


async def test_a_socket_that_left_gets_nothing_more(layer):
    staying, leaving = await sockets_in("room.a", 2)
    await leaving.disconnect()

    await layer.group_send("room.a", {"type": "meeting.opened"})

    assert json.loads(await staying.receive_from()) == {"type": "meeting.opened"}
    await staying.disconnect()


async def test_a_failing_socket_is_dropped_and_the_others_still_get_every_event(layer):
    broken = FakeSocket(broken=True)
    before, after = FakeSocket(), FakeSocket()
    for socket in (before, broken, after):
        await relay.join("room.a", socket)

    await layer.group_send("room.a", {"type": "event", "n": 1})
    await layer.group_send("room.a", {"type": "event", "n": 2})
    await until(lambda: len(after.frames) == 2)

    expected = ['{"type":"event","n":1}', '{"type":"event","n":2}']
    assert before.frames == expected
    assert after.frames == expected
    assert broken.attempts == 1
    for socket in (before, after):
        await relay.leave("room.a", socket)
    assert subscriptions(layer, "room.a") == 0


async def test_a_group_whose_only_socket_fails_is_discarded(layer):
    await relay.join("room.a", FakeSocket(broken=True))

    await layer.group_send("room.a", {"type": "event"})

    await until(lambda: subscriptions(layer, "room.a") == 0)


def numbered(count: int) -> list[str]:
    return [f'{{"type":"event","n":{n}}}' for n in range(count)]


async def test_a_socket_that_writes_slowly_holds_nobody_back_and_gets_every_frame_in_order(
    layer,
):
    gate = asyncio.Event()
    slow, fast = FakeSocket(gate=gate), FakeSocket()
    for socket in (slow, fast):
        await relay.join("room.a", socket)

    for n in range(10):
        await layer.group_send("room.a", {"type": "event", "n": n})
    await until(lambda: len(fast.frames) == 10)
    assert slow.frames == []
    gate.set()
    await until(lambda: len(slow.frames) == 10)

    assert slow.frames == fast.frames == numbered(10)
    assert slow.closed_with == []
    for socket in (slow, fast):
        await relay.leave("room.a", socket)


async def test_a_socket_too_far_behind_is_closed_with_4408_and_the_others_get_everything(
    layer, monkeypatch
):
    monkeypatch.setattr(relay, "OUTBOX_LIMIT", 4)
    stuck = FakeSocket(gate=asyncio.Event())
    before, after = FakeSocket(), FakeSocket()
    for socket in (before, stuck, after):
        await relay.join("room.a", socket)

    for n in range(10):
        await layer.group_send("room.a", {"type": "event", "n": n})
    await until(lambda: len(after.frames) == 10 and stuck.closed_with)

    assert before.frames == after.frames == numbered(10)
    assert stuck.closed_with == [relay.CLOSE_TOO_SLOW]
    assert relay.current().watching("room.a") == 2
    for socket in (before, after):
        await relay.leave("room.a", socket)
    assert subscriptions(layer, "room.a") == 0


async def test_a_burst_of_events_drops_no_socket_that_keeps_up(layer, monkeypatch):
    monkeypatch.setattr(relay, "OUTBOX_LIMIT", 4)
    sockets = [FakeSocket() for _ in range(3)]
    for socket in sockets:
        await relay.join("room.a", socket)

    await asyncio.gather(
        *(layer.group_send("room.a", {"type": "event", "n": n}) for n in range(20))
    )
    await until(lambda: all(len(socket.frames) == 20 for socket in sockets))

    assert all(socket.frames == numbered(20) for socket in sockets)
    assert relay.current().watching("room.a") == 3
    for socket in sockets:
        await relay.leave("room.a", socket)


async def test_events_that_are_not_coalesced_all_arrive_in_order(layer):
    (socket,) = await sockets_in("room.a", 1)

    for n in range(30):
        await layer.group_send("room.a", {"type": "comment.added", "seq": n})

    received = [json.loads(await socket.receive_from())["seq"] for _ in range(30)]
    assert received == list(range(30))
    assert await socket.receive_nothing(timeout=INTERVAL)
    await socket.disconnect()


async def test_rapid_hints_make_one_at_once_and_the_last_one_after_the_interval(layer):
    """Five hints in a burst: the first goes out at once, the other four are held back
    and only the fifth follows, one interval after the first, without the marker."""
    sockets = await sockets_in("room.a", 2)
    loop = asyncio.get_running_loop()
    start = loop.time()

    for n in range(1, 6):
        await layer.group_send("room.a", {"type": "poll.updated", "n": n, "coalesce": True})

    for socket in sockets:
        assert await socket.receive_from(timeout=PROMPTLY) == '{"type":"poll.updated","n":1}'
    await asyncio.sleep(INTERVAL / 2 - (loop.time() - start))
    assert all([await socket.receive_nothing(timeout=0) for socket in sockets])
    for socket in sockets:
        assert await socket.receive_from(timeout=INTERVAL) == '{"type":"poll.updated","n":5}'
    assert loop.time() - start >= INTERVAL
    assert all([await socket.receive_nothing(timeout=INTERVAL * 1.5) for socket in sockets])
    await disconnect(sockets)


async def test_a_hint_after_a_quiet_interval_goes_out_at_once(layer):
    (socket,) = await sockets_in("room.a", 1)
    hint = {"type": "poll.updated", "coalesce": True}

    await layer.group_send("room.a", hint)
    await socket.receive_from(timeout=PROMPTLY)
    await asyncio.sleep(INTERVAL * 1.2)
    await layer.group_send("room.a", hint)

    assert await socket.receive_from(timeout=PROMPTLY) == '{"type":"poll.updated"}'
    await socket.disconnect()


async def test_hints_of_different_types_are_coalesced_apart(layer):
    (socket,) = await sockets_in("room.a", 1)

    await layer.group_send("room.a", {"type": "poll.updated", "coalesce": True})
    await layer.group_send("room.a", {"type": "speakers.changed", "coalesce": True})

    received = {await socket.receive_from(timeout=PROMPTLY) for _ in range(2)}
    assert received == {'{"type":"poll.updated"}', '{"type":"speakers.changed"}'}
    await socket.disconnect()


async def test_events_that_are_not_coalesced_pass_held_hints(layer):
    (socket,) = await sockets_in("room.a", 1)

    await layer.group_send("room.a", {"type": "poll.updated", "n": 1, "coalesce": True})
    await layer.group_send("room.a", {"type": "poll.updated", "n": 2, "coalesce": True})
    await layer.group_send("room.a", {"type": "meeting.closed"})

    assert await socket.receive_from(timeout=PROMPTLY) == '{"type":"poll.updated","n":1}'
    assert await socket.receive_from(timeout=PROMPTLY) == '{"type":"meeting.closed"}'
    assert await socket.receive_from(timeout=2 * INTERVAL) == '{"type":"poll.updated","n":2}'
    await socket.disconnect()


async def test_leaving_drops_the_held_hint(layer):
    watcher = FakeSocket()
    await relay.join("room.a", watcher)
    await layer.group_send("room.a", {"type": "poll.updated", "n": 1, "coalesce": True})
    await layer.group_send("room.a", {"type": "poll.updated", "n": 2, "coalesce": True})
    await until(lambda: watcher.frames)
    await asyncio.sleep(0.1)

    await relay.leave("room.a", watcher)
    await asyncio.sleep(INTERVAL * 1.5)

    assert watcher.frames == ['{"type":"poll.updated","n":1}']


async def test_joins_racing_the_first_subscription_make_one(layer):
    sockets = [FakeSocket() for _ in range(20)]

    await asyncio.gather(*(relay.join("room.a", socket) for socket in sockets))

    assert subscriptions(layer, "room.a") == 1
    await layer.group_send("room.a", {"type": "event"})
    await until(lambda: all(socket.frames == ['{"type":"event"}'] for socket in sockets))

    await asyncio.gather(*(relay.leave("room.a", socket) for socket in sockets))
    assert subscriptions(layer, "room.a") == 0


async def test_a_join_racing_the_last_leave_stays_subscribed(layer):
    leaving, joining = FakeSocket(), FakeSocket()
    await relay.join("room.a", leaving)

    await asyncio.gather(relay.leave("room.a", leaving), relay.join("room.a", joining))

    assert subscriptions(layer, "room.a") == 1
    await layer.group_send("room.a", {"type": "event"})
    await until(lambda: joining.frames == ['{"type":"event"}'])
    assert leaving.frames == []
    await relay.leave("room.a", joining)
    assert subscriptions(layer, "room.a") == 0


async def test_leaving_a_group_never_joined_changes_nothing(layer):
    await relay.leave("room.a", FakeSocket())

    assert subscriptions(layer, "room.a") == 0
