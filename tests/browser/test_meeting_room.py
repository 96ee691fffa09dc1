"""The live room with two pages: the chair on a laptop and a resident on a 360 px phone,
on uvicorn serving HTTP and WebSockets. A comment typed in one page appears in the
other without a reload; the resident raises a hand and the chair's "next speaker" puts
the resident's name and the countdown on both pages."""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from deliberation.models import Presence, RoomComment, SpeakerRequest
from deliberation.services import meetings as meeting_services
from deliberation.services import polls as poll_services
from deliberation.services import room
from polls.models import Participation

from ..factories import (
    AgendaItemFactory,
    BuildingFactory,
    CommunityFactory,
    CompoundFactory,
    DwellingFactory,
    MeetingFactory,
    staff_of,
    verified_member,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

LAPTOP_VIEWPORT = {"width": 1280, "height": 900}
PHONE_VIEWPORT = {"width": 360, "height": 740}
COUNTDOWN = re.compile(r"^-?\d+:\d\d$")


def in_thread(function, *args, **kwargs):
    """Services broadcast after commit through async_to_sync, which refuses to run in
    this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.fixture
def open_as(browser, asgi_server):
    """A signed-in page on the ASGI server, at the given viewport, in Chinese."""
    contexts = []

    def open_page(user, viewport):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=asgi_server)
        context.set_default_timeout(10_000)
        context.add_cookies(
            [
                {
                    "name": settings.SESSION_COOKIE_NAME,
                    "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                    "url": asgi_server,
                }
            ]
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


# Keeps each WebSocket the page opens, so that the test can drop the connection.
RECORD_SOCKETS = """
window.openedSockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) { super(...args); window.openedSockets.push(this); }
};
"""


def live(page) -> None:
    """Wait until the page's room is connected: the "who is here" button shows then."""
    expect(page.locator("#room-who")).to_be_visible()


def test_two_pages_share_the_room_live(open_as, screenshot):
    community = CommunityFactory(name="幸福里社区")
    building = BuildingFactory(
        compound=CompoundFactory(community=community, name="幸福里"), name="3号楼"
    )
    chair = verified_member(DwellingFactory(building=building), display_name="张主任")
    resident = verified_member(DwellingFactory(building=building), display_name="赵大爷")
    meeting = MeetingFactory(
        community=community,
        building=building,
        compound=building.compound,
        chair=chair,
        kind="hearing",
        title="3号楼2单元加装电梯听证会",
        venue="3号楼架空层",
        speaking_seconds=120,
    )
    staff = staff_of(community)
    poll = poll_services.create_poll(
        staff,
        kind="households",
        place=building,
        title="是否同意加装电梯",
        questions=[{"kind": "yes_no", "text": "是否同意在3号楼加装电梯？"}],
    )
    poll_services.prepare_roll(staff, poll)
    AgendaItemFactory(meeting=meeting, title="加装电梯方案介绍")
    AgendaItemFactory(meeting=meeting, title="表决：是否加装电梯", poll=poll)
    in_thread(room.open_meeting, chair, meeting)
    in_thread(room.next_item, chair, meeting)

    laptop = open_as(chair, LAPTOP_VIEWPORT)
    phone = open_as(resident, PHONE_VIEWPORT)
    phone.add_init_script(RECORD_SOCKETS)
    for page in (laptop, phone):
        page.goto(f"/meetings/{meeting.pk}/")
        live(page)
        # A marker that a reload would lose: the forms must go over the socket.
        page.evaluate("window.stayedOnPage = true")

    # The resident comments from the phone; the chair sees it, and the other way round.
    phone.fill("#room-comment-form textarea", "一楼住户担心采光，请说明方案。")
    phone.locator("#room-comment-form [type=submit]").click()
    for page in (phone, laptop):
        expect(page.locator("#room-comments")).to_contain_text("一楼住户担心采光，请说明方案。")
        expect(page.locator("#room-comments")).to_contain_text("赵大爷")
    expect(phone.locator("#room-comment-form textarea")).to_have_value("")
    laptop.fill("#room-comment-form textarea", "请赵大爷稍后发言。")
    laptop.locator("#room-comment-form [type=submit]").click()
    expect(phone.locator("#room-comments")).to_contain_text("请赵大爷稍后发言。")
    assert RoomComment.objects.filter(meeting=meeting).count() == 2

    # The phone loses its connection; what is said meanwhile is there when it is back.
    phone.evaluate("window.openedSockets.at(-1).close()")
    laptop.fill("#room-comment-form textarea", "断线期间的发言")
    laptop.locator("#room-comment-form [type=submit]").click()
    expect(laptop.locator("#room-comments")).to_contain_text("断线期间的发言")
    expect(phone.locator("#room-comments")).to_contain_text("断线期间的发言")
    assert phone.evaluate("window.openedSockets.length") == 2
    assert "?after=" in phone.evaluate("window.openedSockets.at(-1).url")
    expect(phone.locator("#room-comments li")).to_have_count(3)
    live(phone)

    # Staff add an item to the agenda while the meeting sits: both pages show it.
    in_thread(
        meeting_services.add_agenda_item, staff, meeting, title="其他事项", description="临时动议"
    )
    for page in (phone, laptop):
        expect(page.locator("#room-agenda li")).to_have_count(3)
        expect(page.locator("#room-agenda li").last).to_contain_text("临时动议")
        expect(page.locator("#room-agenda li.current")).to_contain_text("加装电梯方案介绍")
    expect(laptop.locator("#chair-go-item option")).to_have_count(3)

    # Who is here, by building.
    phone.locator("#room-who").click()
    expect(phone.locator("#room-who-list")).to_contain_text("3号楼")
    expect(phone.locator("#room-who-list")).to_contain_text("张主任")

    # The resident raises a hand; both pages show the queue.
    phone.locator("#hand-raise-form [type=submit]").click()
    for page in (phone, laptop):
        expect(page.locator("#room-queue")).to_contain_text("赵大爷")
    expect(phone.locator("#hand-lower-form")).to_be_visible()
    expect(phone.locator("#hand-raise-form")).to_be_hidden()

    # The chair gives the floor to the next speaker: name and countdown on both pages.
    laptop.locator("#chair-next-speaker").click()
    for page in (phone, laptop):
        expect(page.locator("#room-floor")).to_contain_text("赵大爷")
        expect(page.locator("#room-countdown")).to_have_text(COUNTDOWN)
        expect(page.locator("#room-queue li")).to_have_count(0)
    expect(phone.locator("#floor-yield-form")).to_be_visible()
    first = phone.locator("#room-countdown").inner_text()
    minutes, seconds = first.split(":")
    expect(phone.locator("#room-errors")).to_be_hidden()
    assert 100 <= int(minutes) * 60 + int(seconds) <= 120
    expect(phone.locator("#room-countdown")).not_to_have_text(first, timeout=3_000)
    assert SpeakerRequest.objects.get(meeting=meeting).state == "speaking"

    # The chair hides a comment: both pages show only the reason in its place.
    comment = RoomComment.objects.get(text="一楼住户担心采光，请说明方案。")
    hidden = laptop.locator(f"#room-comment-{comment.pk}")
    hidden.locator("summary").click()
    hidden.locator("input[name=reason]").fill("与议题无关")
    hidden.locator("[type=submit]").click()
    for page in (phone, laptop):
        shown = page.locator(f"#room-comment-{comment.pk}")
        expect(shown).to_contain_text("与议题无关")
        expect(shown).not_to_contain_text("一楼住户担心采光")

    # A refused action is said in the page's alert region; nothing is written.
    phone.locator("#room-comment-form [type=submit]").click()
    expect(phone.locator("#room-errors")).to_be_visible()
    expect(phone.locator("#room-errors")).not_to_be_empty()
    assert RoomComment.objects.filter(meeting=meeting).count() == 3

    # The chair moves to the item with the vote and opens it; the resident votes in the room.
    laptop.locator("form[data-type='agenda.next'] [type=submit]").click()
    for page in (phone, laptop):
        expect(page.locator("#room-current-item")).to_have_text("表决：是否加装电梯")
        expect(page.locator("#room-agenda li.current")).to_contain_text("表决")
    laptop.locator("form[data-type='poll.open'] [type=submit]").click()
    ballot = phone.locator("#room-poll form.room-vote")
    expect(ballot).to_be_visible()
    ballot.locator("input[type=radio]").first.check()
    ballot.locator("[type=submit]").click()
    expect(phone.locator("#room-vote-receipt")).to_be_visible()
    expect(phone.locator("#room-poll form.room-vote")).to_have_count(0)
    entry = poll.roll.entries.get(user=resident)
    assert Participation.objects.get(poll=poll, entry=entry).channel == "online"

    for page in (phone, laptop):
        assert page.evaluate("window.stayedOnPage") is True

    screenshot(phone, "30-meeting-room-phone")
    screenshot(laptop, "31-meeting-room-chair")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the phone page is {width}px wide"


# ---------------------------------------------------------------------------- catching up
#
# The room's rules for numbered events (docs/live-protocol.md, "Joining, losing the
# connection, catching up"), seen from a phone whose socket the test controls: it sees
# what the room sends, can drop or reorder what the server sends, and can hand the room
# frames of its own.

CONTROL_SOCKETS = """
window.openedSockets = [];
window.roomHooks = { inbound: null, outbound: null };
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.sent = [];
    this.listeners = [];
    window.openedSockets.push(this);
  }
  send(data) {
    const frame = JSON.parse(data);
    this.sent.push(frame);
    const hook = window.roomHooks.outbound;
    if (hook && hook(frame, this) === false) return;
    super.send(data);
  }
  addEventListener(type, listener, options) {
    if (type !== "message") return super.addEventListener(type, listener, options);
    this.listeners.push(listener);
    return super.addEventListener(type, (event) => {
      const hook = window.roomHooks.inbound;
      if (hook && hook(JSON.parse(event.data), this) === false) return;
      listener(event);
    }, options);
  }
  deliver(frame) {
    const event = new MessageEvent("message", { data: JSON.stringify(frame) });
    for (const listener of this.listeners) listener(event);
  }
};
"""

# What the room sent to ask for missed events, on every socket it opened.
RESYNCS = "window.openedSockets.map((s) => s.sent.filter((f) => f.type === 'resync'))"


@pytest.fixture
def sitting_room(open_as):
    """An open meeting and a resident's phone in its room, its socket under control."""
    community = CommunityFactory(name="幸福里社区")
    building = BuildingFactory(
        compound=CompoundFactory(community=community, name="幸福里"), name="3号楼"
    )
    chair = verified_member(DwellingFactory(building=building), display_name="张主任")
    resident = verified_member(DwellingFactory(building=building), display_name="赵大爷")
    meeting = MeetingFactory(
        community=community,
        building=building,
        compound=building.compound,
        chair=chair,
        title="3号楼议事会",
        speaking_seconds=120,
    )
    AgendaItemFactory(meeting=meeting, title="停车位划线")
    in_thread(room.open_meeting, chair, meeting)
    in_thread(room.next_item, chair, meeting)

    def enter(before=None):
        if before is not None:
            before(chair, resident, meeting)
        phone = open_as(resident, PHONE_VIEWPORT)
        phone.add_init_script(CONTROL_SOCKETS)
        phone.goto(f"/meetings/{meeting.pk}/")
        live(phone)
        # The socket is open before the server has recorded the entry (and numbered its
        # attendance event): wait for it, so that the room's numbers read now include it.
        deadline = time.monotonic() + 10
        while not in_thread(Presence.objects.filter(meeting=meeting, user=resident).exists):
            assert time.monotonic() < deadline, "the phone never entered the room"
            time.sleep(0.05)
        return phone

    return meeting, chair, enter


def post(chair, meeting, *texts) -> None:
    for text in texts:
        in_thread(room.post_comment, chair, meeting, text)


def comment_texts(phone) -> list[str]:
    return phone.locator("#room-comments .comment-text").all_inner_texts()


def test_an_event_that_comes_early_waits_for_the_one_before_it(sitting_room):
    meeting, chair, enter = sitting_room
    phone = enter()
    # The server's "第一条" reaches the phone only after its "第二条".
    phone.evaluate("""() => {
      let early = null;
      window.roomHooks.inbound = (frame, socket) => {
        if (frame.type !== "comment.posted") return true;
        if (frame.comment.text === "第一条") { early = frame; return false; }
        if (frame.comment.text === "第二条" && early) {
          socket.deliver(frame);
          socket.deliver(early);
          return false;
        }
        return true;
      };
    }""")
    post(chair, meeting, "第一条", "第二条")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(["第一条", "第二条"])
    # The missing event came in time: nothing was asked again, nothing reconnected.
    assert phone.evaluate(RESYNCS) == [[]]

    post(chair, meeting, "第三条")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(
        ["第一条", "第二条", "第三条"]
    )
    assert phone.evaluate(RESYNCS) == [[]]


def test_a_burst_of_lost_events_is_asked_for_once(sitting_room):
    meeting, chair, enter = sitting_room
    phone = enter()
    seq = meeting.events.order_by("-seq").values_list("seq", flat=True).first()
    # Two of four events are lost on the way (not in the replay): two gaps in a row.
    phone.evaluate("""() => {
      const lose = new Set(["一", "三"]);
      window.roomHooks.inbound = (frame) =>
        !(frame.type === "comment.posted" && lose.delete(frame.comment.text));
    }""")
    post(chair, meeting, "一", "二", "三", "四")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(["一", "二", "三", "四"])
    [[resync]] = phone.evaluate(RESYNCS)
    assert resync["after"] == seq
    assert resync["ref"].startswith("resync-")

    # The room goes on: a later comment shows once.
    post(chair, meeting, "五")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(
        ["一", "二", "三", "四", "五"]
    )
    assert len(phone.evaluate(RESYNCS)[0]) == 1
    assert phone.evaluate("window.openedSockets.length") == 1


def test_a_refused_resync_makes_the_room_reconnect(sitting_room):
    meeting, chair, enter = sitting_room
    phone = enter()
    # "甲" is lost; the server answers the resync with an error.
    phone.evaluate("""() => {
      window.roomHooks.inbound = (frame, socket) =>
        socket !== window.openedSockets[0]
        || !(frame.type === "comment.posted" && frame.comment.text === "甲");
      window.roomHooks.outbound = (frame, socket) => {
        if (frame.type !== "resync" || socket !== window.openedSockets[0]) return true;
        setTimeout(() => socket.deliver({
          type: "error", code: "server", message: "服务器出错", ref: frame.ref,
        }));
        return false;
      };
    }""")
    post(chair, meeting, "甲", "乙")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(["甲", "乙"])
    assert phone.evaluate("window.openedSockets.length") == 2
    assert "?after=" in phone.evaluate("window.openedSockets[1].url")
    live(phone)
    # It was the room's own request that failed: nothing for the person to read.
    expect(phone.locator("#room-errors")).to_be_hidden()

    post(chair, meeting, "丙")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(["甲", "乙", "丙"])


def test_an_unanswered_resync_is_the_only_one_then_the_room_reconnects(sitting_room):
    meeting, chair, enter = sitting_room
    phone = enter()
    # The first socket loses "子" and "寅", and its resync never reaches the server.
    phone.evaluate("""() => {
      window.roomHooks.inbound = (frame, socket) =>
        socket !== window.openedSockets[0]
        || !(frame.type === "comment.posted" && ["子", "寅"].includes(frame.comment.text));
      window.roomHooks.outbound = (frame, socket) =>
        frame.type !== "resync" || socket !== window.openedSockets[0];
    }""")
    post(chair, meeting, "子", "丑")
    phone.wait_for_function(f"{RESYNCS}[0].length === 1")
    # Another gap while that resync is in flight.
    post(chair, meeting, "寅", "卯")
    phone.wait_for_function("window.openedSockets.length === 2")
    # The first socket asked once, then the room gave it up and came back with ?after=.
    assert len(phone.evaluate(RESYNCS)[0]) == 1
    assert "?after=" in phone.evaluate("window.openedSockets[1].url")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(["子", "丑", "寅", "卯"])

    post(chair, meeting, "辰")
    expect(phone.locator("#room-comments .comment-text")).to_have_text(
        ["子", "丑", "寅", "卯", "辰"]
    )


def test_the_countdown_follows_the_servers_clock(sitting_room, screenshot):
    meeting, chair, enter = sitting_room

    def resident_speaks(chair, resident, meeting):
        in_thread(room.raise_hand, resident, meeting)
        in_thread(room.give_floor, chair, meeting)

    phone = enter(before=resident_speaks)
    expect(phone.locator("#room-countdown")).to_have_text(re.compile(r"^(1:[45]\d|2:00)$"))
    # The server says its clock is a minute ahead of the phone's: a minute less is left.
    seq = meeting.events.order_by("-seq").values_list("seq", flat=True).first()
    phone.evaluate(
        """(seq) => window.openedSockets.at(-1).deliver({
          type: "resynced", seq, now: new Date(Date.now() + 60000).toISOString(),
        })""",
        seq,
    )
    expect(phone.locator("#room-countdown")).to_have_text(re.compile(r"^(0:[45]\d|1:00)$"))
    screenshot(phone, "32-meeting-room-countdown-phone")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_VIEWPORT["width"], f"the phone page is {width}px wide"
