"""A pact's page over WebSocket (`/ws/pacts/<pk>/`), through `config.asgi.application`
and the real channel layer: catching up by number, events as they happen, how many are
reading, and bad input."""

import json
from datetime import timedelta

import pytest
import pytest_asyncio
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.utils import timezone

from config.asgi import application
from deliberation.models import Pact, PactEvent, PactViewer
from deliberation.services import pacts
from deliberation.services.pacts import ArticleInput

from .factories import (
    BuildingFactory,
    CommunityFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    staff_of,
    verified_member,
)
from .test_room_socket import ORIGIN, frames_until, until_closed

pytestmark = [pytest.mark.asyncio, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


class Scene:
    """A compound's house rules open for amendments, and two of its owners."""

    def __init__(self):
        community = CommunityFactory()
        building = BuildingFactory(compound__community=community)
        self.owners = [
            verified_member(DwellingFactory(building=building), display_name=name)
            for name in ("王阿姨", "赵大爷")
        ]
        staff = staff_of(community, "owners_committee")
        self.member = UserFactory(display_name="刘委员")
        council = CouncilFactory(community=community, compound=building.compound)
        council.members.create(user=self.member, office="chair")
        self.pact = pacts.create_pact(
            staff,
            kind=Pact.Kind.HOUSE_RULES,
            title="小区家规",
            place=building.compound,
            committee=council,
            articles=[
                ArticleInput("养犬应当登记。", "养宠"),
                ArticleInput("车辆按位停放。", "停车"),
            ],
        )
        pacts.open_amendments(
            self.member, self.pact, closes_at=timezone.now() + timedelta(days=3), summary="初稿"
        )
        self.pact.refresh_from_db()

    def propose(self, owner=0, text="养犬应当登记并接种疫苗。"):
        return pacts.propose_amendment(
            self.owners[owner],
            self.pact,
            article_key=1,
            kind="replace",
            text=text,
            rationale="防疫",
        )


@pytest_asyncio.fixture
async def scene():
    return await database_sync_to_async(Scene)()


async def watch(pact_pk, after=None, *, expect="snapshot"):
    headers = [(b"origin", ORIGIN), (b"host", b"127.0.0.1:8000")]
    path = f"/ws/pacts/{pact_pk}/" + (f"?after={after}" if after is not None else "")
    socket = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await socket.connect()
    assert connected
    if expect:
        socket.caught_up = (await frames_until(socket, expect))[-1]
    return socket


async def sequenced(socket, count: int) -> list[dict]:
    """The next `count` numbered frames (the readers' count comes and goes between)."""
    frames = []
    while len(frames) < count:
        frame = await socket.receive_json_from(timeout=5)
        if "seq" in frame and frame["type"] not in ("snapshot", "resynced"):
            frames.append(frame)
    return frames


async def test_a_reader_without_a_number_is_told_where_the_stream_is(scene):
    socket = await watch(scene.pact.pk)
    assert socket.caught_up["seq"] == scene.pact.last_seq > 0
    assert "now" in socket.caught_up
    await socket.disconnect()


async def test_a_new_amendment_reaches_every_reader_in_order(scene):
    first, second = await watch(scene.pact.pk), await watch(scene.pact.pk)
    amendment = await database_sync_to_async(scene.propose)()
    for socket in (first, second):
        (frame,) = await sequenced(socket, 1)
        assert frame["type"] == "amendment.proposed"
        assert frame["seq"] == scene.pact.last_seq + 1
        assert frame["amendment"]["id"] == amendment.pk
        assert frame["amendment"]["text"] == "养犬应当登记并接种疫苗。"
    await database_sync_to_async(pacts.take_position)(scene.owners[1], amendment, "support")
    for socket in (first, second):
        (frame,) = await sequenced(socket, 1)
        assert (frame["type"], frame["supporters"], frame["opponents"]) == (
            "amendment.counts",
            1,
            0,
        )
        await socket.disconnect()


async def test_a_reader_that_reconnects_gets_exactly_what_it_missed(scene):
    seen = scene.pact.last_seq
    await database_sync_to_async(scene.propose)()
    await database_sync_to_async(scene.propose)(1, "养犬应当登记，出户牵绳。")
    socket = await watch(scene.pact.pk, after=seen, expect=None)
    frames = await frames_until(socket, "resynced")
    numbered = [f["seq"] for f in frames if f["type"] == "amendment.proposed"]
    assert numbered == [seen + 1, seen + 2]
    assert frames[-1]["seq"] == seen + 2 and "now" in frames[-1]
    await socket.disconnect()


async def test_a_resync_answers_with_the_missed_events_and_its_ref(scene):
    socket = await watch(scene.pact.pk)
    seen = socket.caught_up["seq"]
    await database_sync_to_async(scene.propose)()
    await sequenced(socket, 1)
    await socket.send_to(text_data=json.dumps({"type": "resync", "after": seen, "ref": "r1"}))
    frames = await frames_until(socket, "resynced")
    assert [f["seq"] for f in frames if f["type"] == "amendment.proposed"] == [seen + 1]
    assert frames[-1]["ref"] == "r1"
    await socket.disconnect()


async def test_a_reader_far_behind_gets_a_snapshot(scene):
    socket = await watch(scene.pact.pk, after=scene.pact.last_seq + 5)
    assert socket.caught_up["type"] == "snapshot"
    assert socket.caught_up["seq"] == scene.pact.last_seq
    await socket.disconnect()


async def test_readers_are_counted_and_forgotten_when_they_leave(scene):
    first = await watch(scene.pact.pk)
    second = await watch(scene.pact.pk)
    assert await PactViewer.objects.filter(pact=scene.pact).acount() == 2
    counts = [f["count"] for f in await frames_until(second, "viewers") if f["type"] == "viewers"]
    assert counts[-1] in (1, 2)
    await second.disconnect()
    await first.disconnect()
    assert not await PactViewer.objects.filter(pact=scene.pact).aexists()


@pytest.mark.parametrize(
    "message",
    [
        "not json",
        json.dumps(["resync"]),
        json.dumps({"type": "amendment.propose", "article": 1}),
        json.dumps({"type": "resync", "after": "3"}),
        json.dumps({"type": "resync", "after": True}),
        json.dumps({"type": "resync", "after": 0, "ref": "x" * 41}),
        json.dumps({"type": "resync", "after": 0, "pad": "字" * 2000}),
    ],
)
async def test_bad_messages_get_an_error_and_change_nothing(scene, message):
    socket = await watch(scene.pact.pk)
    events = await PactEvent.objects.filter(pact=scene.pact).acount()
    await socket.send_to(text_data=message)
    error = (await frames_until(socket, "error"))[-1]
    assert error["code"] == "invalid" and error["message"]
    assert await PactEvent.objects.filter(pact=scene.pact).acount() == events
    await socket.disconnect()


async def test_binary_data_is_refused(scene):
    socket = await watch(scene.pact.pk)
    await socket.send_to(bytes_data=b"\x00\x01")
    error = (await frames_until(socket, "error"))[-1]
    assert error["code"] == "invalid"
    await socket.disconnect()


async def test_no_such_pact_closes_with_4404_and_leaves_no_reader(db):
    socket = await watch(999999, expect=None)
    assert await until_closed(socket) == 4404
    assert not await PactViewer.objects.aexists()


async def test_a_flooding_reader_is_closed_with_4429(scene):
    socket = await watch(scene.pact.pk)
    for _ in range(60):
        await socket.send_to(text_data=json.dumps({"type": "ping"}))
    assert await until_closed(socket) == 4429
    await socket.disconnect()


async def test_a_pact_not_yet_published_is_not_streamed_to_the_public(scene):
    draft = await database_sync_to_async(Pact.objects.create)(
        kind=Pact.Kind.HOUSE_RULES,
        title="草稿中的家规",
        community_id=scene.pact.community_id,
        compound_id=scene.pact.compound_id,
        committee_id=scene.pact.committee_id,
    )
    socket = await watch(draft.pk, expect=None)
    assert await until_closed(socket) == 4404
    assert not await PactViewer.objects.filter(pact=draft).aexists()


async def test_a_hidden_comment_is_not_replayed(scene):
    amendment = await database_sync_to_async(scene.propose)()
    comment = await database_sync_to_async(pacts.comment_on_amendment)(
        scene.owners[1], amendment, "联系电话一三八零零零零零零零一"
    )
    await database_sync_to_async(pacts.hide_comment)(scene.member, comment, "含个人信息")
    socket = await watch(scene.pact.pk, after=0, expect=None)
    frames = await frames_until(socket, "resynced")
    assert "联系电话" not in json.dumps(frames, ensure_ascii=False)
    await socket.disconnect()
