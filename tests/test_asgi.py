"""The WebSocket side of `config.asgi.application`, through its real origin check,
session authentication and routing."""

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from deliberation.models import Membership, TraceEntry
from deliberation.services import people, topics

from .factories import (
    BuildingFactory,
    CatalogEntryFactory,
    DwellingFactory,
    MembershipFactory,
    UserFactory,
    staff_of,
    verified_member,
)

ALLOWED_ORIGIN = b"http://127.0.0.1:8000"

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


def session_cookie(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def communicator(origin: bytes, cookie: bytes | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", origin), (b"host", b"127.0.0.1:8000")]
    if cookie is not None:
        headers.append((b"cookie", cookie))
    return WebsocketCommunicator(application, "/ws/me/", headers=headers)


@pytest.fixture
def pending_claim(community, dwelling, resident) -> Membership:
    return MembershipFactory(user=resident, dwelling=dwelling)


async def test_foreign_origin_is_refused_even_when_signed_in(resident):
    cookie = await database_sync_to_async(session_cookie)(resident)
    connected, _ = await communicator(b"http://evil.example", cookie).connect()
    assert not connected


async def test_anonymous_connection_is_closed_with_4401():
    connected, code = await communicator(ALLOWED_ORIGIN).connect()
    assert not connected
    assert code == 4401


async def test_signed_in_resident_from_allowed_origin_is_accepted(resident):
    cookie = await database_sync_to_async(session_cookie)(resident)
    socket = communicator(ALLOWED_ORIGIN, cookie)
    connected, _ = await socket.connect()
    assert connected
    await socket.disconnect()


async def test_message_from_client_gets_an_error_and_changes_nothing(resident, pending_claim):
    cookie = await database_sync_to_async(session_cookie)(resident)
    socket = communicator(ALLOWED_ORIGIN, cookie)
    await socket.connect()
    await socket.send_json_to({"type": "membership.verify", "id": pending_claim.pk})
    reply = await socket.receive_json_from()
    assert reply["type"] == "error"
    await socket.disconnect()

    pending_claim = await Membership.objects.aget(pk=pending_claim.pk)
    assert pending_claim.status == Membership.Status.PENDING
    assert not await TraceEntry.objects.filter(action__startswith="membership.").aexists()


async def test_staff_verification_reaches_the_residents_socket(community, resident, pending_claim):
    cookie = await database_sync_to_async(session_cookie)(resident)
    socket = communicator(ALLOWED_ORIGIN, cookie)
    await socket.connect()
    assert await socket.receive_nothing()

    staff = await database_sync_to_async(staff_of)(community)
    await database_sync_to_async(people.verify_membership)(staff, pending_claim)

    assert await socket.receive_json_from() == {
        "type": "membership.changed",
        "id": pending_claim.pk,
    }
    await socket.disconnect()


async def test_someone_elses_verification_is_not_sent_to_this_socket(
    community, resident, pending_claim
):
    neighbour = await database_sync_to_async(UserFactory)()
    cookie = await database_sync_to_async(session_cookie)(neighbour)
    socket = communicator(ALLOWED_ORIGIN, cookie)
    await socket.connect()

    staff = await database_sync_to_async(staff_of)(community)
    await database_sync_to_async(people.verify_membership)(staff, pending_claim)

    assert await socket.receive_nothing()
    await socket.disconnect()


def proposed_topic(community):
    """A topic of a building, proposed by one verified owner there, who follows it."""
    building = BuildingFactory(compound__community=community)
    DwellingFactory.create_batch(9, building=building)
    proposer = verified_member(DwellingFactory(building=building))
    entry = CatalogEntryFactory(community=community, threshold_households=5)
    topic = topics.save_draft(
        proposer,
        catalog_entry=entry,
        scope=topics.scope_key(building),
        title="楼道灯改声控",
        body="晚上楼道太黑。",
    )
    return topics.propose(proposer, topic), proposer


async def test_a_step_of_a_followed_topic_reaches_the_followers_socket_not_the_actors(
    community,
):
    topic, proposer = await database_sync_to_async(proposed_topic)(community)
    staff = await database_sync_to_async(staff_of)(community)
    follower = communicator(ALLOWED_ORIGIN, await database_sync_to_async(session_cookie)(proposer))
    actor = communicator(ALLOWED_ORIGIN, await database_sync_to_async(session_cookie)(staff))
    assert (await follower.connect())[0] and (await actor.connect())[0]

    await database_sync_to_async(topics.accept)(staff, topic)

    assert await follower.receive_json_from() == {"type": "notification.new"}
    assert await actor.receive_nothing()
    await follower.disconnect()
    await actor.disconnect()
