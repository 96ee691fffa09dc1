"""Live results over WebSocket, through `config.asgi.application` with a real session:
who may watch a poll, what the socket relays (through the process's relay, ballots
coalesced into at most one refresh a second), and that it accepts no commands."""

import asyncio

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from deliberation import relay
from polls import services
from polls.electorate import Head
from polls.models import Ballot, Participation, Poll

from .factories import UserFactory

ALLOWED_ORIGIN = b"http://127.0.0.1:8000"

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def socket_for(poll_pk: int, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", ALLOWED_ORIGIN), (b"host", b"127.0.0.1:8000")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, f"/ws/polls/{poll_pk}/", headers=headers)


@database_sync_to_async
def open_poll_for(users, results="live") -> Poll:
    poll = services.create_poll(
        None,
        title="评议物业服务",
        scope_label="幸福里一期居民",
        electorate="test",
        rule_name="simple_majority",
        results=results,
        questions=[{"kind": "yes_no", "text": "是否满意？"}],
    )
    heads = [Head(key=f"u{u.pk}", label=f"居民{u.pk}", user_id=u.pk) for u in users]
    return services.open_poll(None, poll, heads + [Head(key="other", label="其他")])


@database_sync_to_async
def vote_yes(poll: Poll, user) -> None:
    entry = poll.roll.entries.get(user=user)
    question = poll.questions.get()
    services.cast_ballot(poll, entry, {question.pk: question.options.get(code="yes").pk})


async def signed_in_socket(poll: Poll, user) -> WebsocketCommunicator:
    cookie = await database_sync_to_async(session_cookie)(user)
    return socket_for(poll.pk, cookie)


async def watching(poll: Poll, user) -> WebsocketCommunicator:
    """A connected socket, once the relay relays the poll's events to it (a socket is
    accepted first, then joins)."""
    before = relay.current().watching(poll.group_name)
    socket = await signed_in_socket(poll, user)
    connected, _ = await socket.connect()
    assert connected
    for _ in range(200):
        if relay.current().watching(poll.group_name) > before:
            return socket
        await asyncio.sleep(0.01)
    raise AssertionError("the socket never joined the relay")


UPDATED = '{"type":"poll.updated","poll":%d}'


async def test_a_ballot_cast_in_a_live_poll_reaches_the_voters_socket():
    resident, neighbour = await database_sync_to_async(UserFactory.create_batch)(2)
    poll = await open_poll_for([resident, neighbour])
    socket = await watching(poll, resident)
    assert await socket.receive_nothing()

    await vote_yes(poll, neighbour)

    assert await socket.receive_json_from() == {"type": "poll.updated", "poll": poll.pk}
    await socket.disconnect()


async def test_closing_the_poll_reaches_the_socket_too():
    resident = await database_sync_to_async(UserFactory)()
    poll = await open_poll_for([resident])
    socket = await watching(poll, resident)

    await database_sync_to_async(services.close_poll)(None, poll)

    assert await socket.receive_json_from() == {"type": "poll.updated", "poll": poll.pk}
    await socket.disconnect()


async def test_every_watcher_gets_the_update_through_one_subscription():
    watchers = await database_sync_to_async(UserFactory.create_batch)(3)
    voter = await database_sync_to_async(UserFactory)()
    poll = await open_poll_for([*watchers, voter])
    sockets = [await watching(poll, watcher) for watcher in watchers]

    await vote_yes(poll, voter)

    frames = [await socket.receive_from() for socket in sockets]
    assert frames == [UPDATED % poll.pk] * 3
    assert relay.current().watching(poll.group_name) == 3
    for socket in sockets:
        await socket.disconnect()
    assert relay.current().watching(poll.group_name) == 0


async def test_a_burst_of_ballots_makes_one_update_at_once_and_one_after_the_interval(
    monkeypatch,
):
    """Three ballots within a moment: the watcher refreshes at once, and once more when
    the interval has passed, for the last ballot; not once per ballot."""
    monkeypatch.setattr(relay, "COALESCE_INTERVAL", 1.0)
    watcher, *voters = await database_sync_to_async(UserFactory.create_batch)(4)
    poll = await open_poll_for([watcher, *voters])
    socket = await watching(poll, watcher)

    for voter in voters:
        await vote_yes(poll, voter)

    assert await socket.receive_from(timeout=1) == UPDATED % poll.pk
    assert await socket.receive_from(timeout=2) == UPDATED % poll.pk
    assert await socket.receive_nothing(timeout=1.2)
    await socket.disconnect()


async def test_hidden_results_close_the_socket_with_4403():
    resident = await database_sync_to_async(UserFactory)()
    poll = await open_poll_for([resident], results="hidden_until_closed")
    connected, code = await (await signed_in_socket(poll, resident)).connect()
    assert not connected
    assert code == 4403
    assert relay.current().watching(poll.group_name) == 0


async def test_someone_not_on_the_roll_is_closed_with_4403():
    resident, stranger = await database_sync_to_async(UserFactory.create_batch)(2)
    poll = await open_poll_for([resident])
    connected, code = await (await signed_in_socket(poll, stranger)).connect()
    assert not connected
    assert code == 4403


async def test_an_unknown_poll_is_closed_with_4403():
    resident = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(session_cookie)(resident)
    connected, code = await socket_for(999999, cookie).connect()
    assert not connected
    assert code == 4403


async def test_anonymous_connection_is_closed_with_4401():
    resident = await database_sync_to_async(UserFactory)()
    poll = await open_poll_for([resident])
    connected, code = await socket_for(poll.pk).connect()
    assert not connected
    assert code == 4401


@pytest.mark.parametrize(
    "message",
    [
        {"json": {"type": "ballot.cast", "choices": {"1": 1}}},
        {"text": "not json at all"},
        {"bytes": b"\x00\x01"},
    ],
    ids=["a command", "not json", "binary"],
)
async def test_any_client_message_gets_an_error_and_changes_nothing(message):
    resident = await database_sync_to_async(UserFactory)()
    poll = await open_poll_for([resident])
    socket = await watching(poll, resident)

    if "json" in message:
        await socket.send_json_to(message["json"])
    elif "text" in message:
        await socket.send_to(text_data=message["text"])
    else:
        await socket.send_to(bytes_data=message["bytes"])
    reply = await socket.receive_json_from()

    assert reply["type"] == "error" and reply["message"]
    await socket.disconnect()
    assert not await Participation.objects.aexists()
    assert not await Ballot.objects.aexists()
