"""Issue 6 on the demo: the chair runs the hearing on 3号楼2单元加装电梯 from a laptop
while residents join from 360 px phones. They raise hands (a point of order goes first),
speak in turn with a countdown on every screen, comment, and vote under owners_special
in the room; a phone that loses its connection comes back with nothing missing and
nothing twice; the secretary records someone on site, enters a paper ballot, edits the
drafted minutes and publishes them on the meeting's page and the community's site."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cms.models import MinutesIndexPage
from deliberation.models import (
    Attendance,
    Meeting,
    Minutes,
    RoomComment,
    RoomEvent,
    SpeakerRequest,
    User,
)
from polls.models import Participation, Poll

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HEARING = "听证会：3号楼2单元加装电梯方案"
ELEVATOR_POLL = "3号楼2单元加装电梯及使用维修资金"
ITEMS = ("主持人说明听证规则", "设计单位介绍加装电梯方案", "登记发言人陈述意见", "业主表决")
LAPTOP_VIEWPORT = {"width": 1280, "height": 900}
PHONE_WIDTH = 360
COUNTDOWN = re.compile(r"^-?\d+:\d\d$")
LIVE_WAIT = 15_000  # ms: a page that was offline reconnects after its back-off

# Keeps each WebSocket the page opens, to check how the page reconnects, and the highest
# event number it received.
RECORD_SOCKETS = """
window.openedSockets = [];
window.lastSeq = 0;
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    window.openedSockets.push(this);
    this.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (typeof frame.seq === "number") window.lastSeq = Math.max(window.lastSeq, frame.seq);
    });
  }
};
"""


def in_thread(function, *args, **kwargs):
    """Services broadcast after commit through async_to_sync, which refuses to run in
    this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def person(phone: str) -> User:
    return User.objects.get(phone=phone)


def live(page, timeout: int = 10_000) -> None:
    """The room is connected: the "who is here" button shows only then."""
    expect(page.locator("#room-who")).to_be_visible(timeout=timeout)


def submit(page, form: str) -> None:
    page.locator(f"{form} [type=submit]").click()


def chair_does(laptop, data_type: str) -> None:
    """Clicks one of the chair's controls; over the socket, they answer without a reload."""
    submit(laptop, f"form[data-type='{data_type}']")
    expect(laptop.locator("#room-errors")).to_be_hidden()


def comment(page, text: str) -> None:
    page.fill("#room-comment-form textarea", text)
    submit(page, "#room-comment-form")
    expect(page.locator("#room-comment-form textarea")).to_have_value("")


def comments_with(page, text: str):
    return page.locator("#room-comments li", has_text=text)


def test_the_elevator_hearing_on_the_demo(asgi_phone, screenshot):
    in_thread(call_command, "seed_demo", stdout=None)
    chair = person("+8613900000001")  # 张主任, residents' committee
    wang = person("+8613800000001")  # 王阿姨, 3号楼2单元 301, on the roll, not voted
    zhao = person("+8613800000007")  # 赵大爷, 3号楼2单元 1st floor
    sun = person("+8613800000005")  # 孙老师, the hearing's secretary
    qian = person("+8613800000004")  # 钱阿姨, on the roll, votes on paper on site
    hearing = Meeting.objects.get(title=HEARING)
    poll = Poll.objects.get(title=ELEVATOR_POLL)
    assert (hearing.state, hearing.is_hearing) == ("scheduled", True)
    assert (poll.state, poll.rule_name) == ("open", "owners_special")
    roll = poll.roll.entries
    wang_entry, zhao_entry, qian_entry = (roll.get(user=u) for u in (wang, zhao, qian))
    # The demo counted 赵大爷's paper ballot already: he may not vote again in the room.
    assert Participation.objects.get(poll=poll, entry=zhao_entry).channel == "paper"
    assert not Participation.objects.filter(entry__in=[wang_entry, qian_entry]).exists()
    ballots_before = Participation.objects.filter(poll=poll).count()
    url = f"/meetings/{hearing.pk}/"
    minutes_index = MinutesIndexPage.objects.get().url  # the community's site

    # Everyone signs in first: the in-memory test database takes no session writes from
    # this thread while the server is busy with the pages.
    laptop = asgi_phone(chair, staff=True)
    laptop.set_viewport_size(LAPTOP_VIEWPORT)
    wang_phone = asgi_phone(wang)
    zhao_phone = asgi_phone(zhao)
    zhao_phone.add_init_script(RECORD_SOCKETS)
    desk = asgi_phone(sun)
    phones = (wang_phone, zhao_phone)
    pages = (laptop, *phones)

    # The chair on a laptop, the residents on 360 px phones, all on the hearing's page.
    laptop.goto("/meetings/")
    laptop.get_by_role("link", name=HEARING).first.click()
    laptop.wait_for_url(f"**{url}")
    for page in phones:
        page.goto(url)
    for page in pages:
        live(page)
        expect(page.locator("#room-state")).to_have_attribute("data-state", "scheduled")
        expect(page.locator("#room-agenda li")).to_have_count(len(ITEMS))
        # A marker a reload would lose: every action below goes over the socket.
        page.evaluate("window.stayedOnPage = true")

    # The chair opens the hearing and takes up the items; the phones follow live.
    chair_does(laptop, "meeting.open")
    for page in pages:
        expect(page.locator("#room-state")).to_have_attribute("data-state", "open")
    for title in ITEMS[:3]:
        chair_does(laptop, "agenda.next")
        for page in pages:
            expect(page.locator("#room-current-item")).to_have_text(title)
            expect(page.locator("#room-agenda li.current")).to_contain_text(title)
    # Everyone in the room when it opened attends online: the chair and the two residents.
    for page in pages:
        expect(page.locator("#room-attendance-online")).to_have_text("3")

    # 王阿姨 raises her hand, then 赵大爷 raises a point of order: he goes first.
    submit(wang_phone, "#hand-raise-form")
    for page in pages:
        expect(page.locator("#room-queue li")).to_have_count(1)
    expect(wang_phone.locator("#hand-lower-form")).to_be_visible()
    zhao_phone.locator("#hand-raise-form input[name=point_of_order]").check()
    submit(zhao_phone, "#hand-raise-form")
    for page in pages:
        queue = page.locator("#room-queue li")
        expect(queue).to_have_count(2)
        expect(queue.nth(0)).to_contain_text("赵大爷")
        expect(queue.nth(0).locator(".badge-order")).to_be_visible()
        expect(queue.nth(1)).to_contain_text("王阿姨")

    # The chair gives the floor to the next in line: 赵大爷, with the countdown everywhere.
    laptop.locator("#chair-next-speaker").click()
    for page in pages:
        expect(page.locator("#room-floor-name")).to_have_text("赵大爷")
        expect(page.locator("#room-countdown")).to_have_text(COUNTDOWN)
        expect(page.locator("#room-queue li")).to_have_count(1)
    expect(zhao_phone.locator("#floor-yield-form")).to_be_visible()
    minutes, seconds = zhao_phone.locator("#room-countdown").inner_text().split(":")
    assert 150 <= int(minutes) * 60 + int(seconds) <= 180  # speaking_seconds = 180
    screenshot(zhao_phone, "40-hearing-speaker-phone")

    # Then the next: 王阿姨 has the floor, 赵大爷's speech ends.
    laptop.locator("#chair-next-speaker").click()
    for page in pages:
        expect(page.locator("#room-floor-name")).to_have_text("王阿姨")
        expect(page.locator("#room-queue li")).to_have_count(0)
    expect(wang_phone.locator("#floor-yield-form")).to_be_visible()
    expect(zhao_phone.locator("#hand-raise-form")).to_be_visible()

    # Residents comment; each comment shows on the other pages without a reload.
    comment(wang_phone, "老人上下楼太难了，希望尽快装上电梯。")
    comment(zhao_phone, "一楼的采光补偿要写进方案里。")
    for page in pages:
        expect(comments_with(page, "老人上下楼太难了")).to_have_count(1)
        expect(comments_with(page, "一楼的采光补偿")).to_have_count(1)
    # 王阿姨 has finished speaking.
    submit(wang_phone, "#floor-yield-form")
    for page in pages:
        expect(page.locator("#room-floor .floor-free")).to_be_visible()

    # 赵大爷's phone loses its connection. Chromium's offline mode refuses new connections
    # but leaves an open WebSocket up, so the page's socket is also closed under it.
    seq_before = zhao_phone.evaluate("window.lastSeq")
    assert seq_before > 0
    zhao_phone.context.set_offline(True)
    zhao_phone.evaluate("window.openedSockets.at(-1).close()")
    expect(zhao_phone.locator("#room-who")).to_be_hidden()
    sockets_before = zhao_phone.evaluate("window.openedSockets.length")
    # The page tries again and fails while offline.
    zhao_phone.wait_for_function(
        f"window.openedSockets.length > {sockets_before}"
        " && window.openedSockets.at(-1).readyState === WebSocket.CLOSED"
    )
    expect(zhao_phone.locator("#room-who")).to_be_hidden()

    # Meanwhile the chair writes and moves to the vote.
    comment(laptop, "请设计单位会后把采光分析贴在单元门口。")
    chair_does(laptop, "agenda.next")
    for page in (laptop, wang_phone):
        expect(page.locator("#room-current-item")).to_have_text(ITEMS[3])
        expect(comments_with(page, "采光分析")).to_have_count(1)
    expect(zhao_phone.locator("#room-current-item")).to_have_text(ITEMS[2])
    expect(comments_with(zhao_phone, "采光分析")).to_have_count(0)

    # Back online: the page reconnects from the event it had, and shows what it missed once.
    zhao_phone.context.set_offline(False)
    live(zhao_phone, timeout=LIVE_WAIT)
    expect(zhao_phone.locator("#room-current-item")).to_have_text(ITEMS[3])
    expect(zhao_phone.locator("#room-agenda li.current")).to_have_count(1)
    expect(zhao_phone.locator("#room-agenda li.current")).to_contain_text(ITEMS[3])
    expect(comments_with(zhao_phone, "采光分析")).to_have_count(1)
    expect(zhao_phone.locator("#room-comments li")).to_have_count(3)
    last_url = zhao_phone.evaluate("window.openedSockets.at(-1).url")
    assert zhao_phone.evaluate("window.openedSockets.length") > sockets_before
    assert last_url.endswith(f"?after={seq_before}"), last_url
    # 赵大爷 voted on paper before the hearing: the room offers him no second ballot.
    expect(zhao_phone.locator("#room-poll")).to_be_visible()
    expect(zhao_phone.locator("#room-poll form.room-vote")).to_have_count(0)

    # 孙老师, the secretary, records someone on site and a paper ballot while the vote is open.
    desk.goto(f"{url}secretary/")
    desk.fill("#attendance [name=name]", "设计单位李工")
    submit(desk, "#attendance form")
    expect(desk.locator("#attendance")).to_contain_text("设计单位李工")
    for page in pages:
        expect(page.locator("#room-attendance-onsite")).to_have_text("1")
    desk.select_option("#ballot [name=voter]", value=str(qian_entry.pk))
    desk.locator("#ballot input[type=radio]").first.check()
    submit(desk, "#ballot form")
    desk.wait_for_url(f"**{url}secretary/#ballot")
    expect(desk.locator(f"#ballot [name=voter] option[value='{qian_entry.pk}']")).to_have_count(0)

    # 王阿姨 votes in the room and sees her receipt.
    ballot = wang_phone.locator("#room-poll form.room-vote")
    expect(ballot).to_be_visible()
    ballot.locator("input[type=radio]").first.check()
    submit(wang_phone, "#room-poll form.room-vote")
    expect(wang_phone.locator("#room-vote-receipt")).to_be_visible()
    expect(wang_phone.locator("#room-vote-receipt")).not_to_be_empty()
    expect(wang_phone.locator("#room-poll form.room-vote")).to_have_count(0)
    expect(wang_phone.locator("#room-poll")).to_contain_text("您已投票")
    # The elevator vote shows its results live: the room fetches them.
    expect(wang_phone.locator("#room-poll-results")).not_to_be_empty()
    screenshot(wang_phone, "41-hearing-voted-phone")

    # The chair closes the vote, then the hearing.
    chair_does(laptop, "poll.close")
    for page in pages:
        expect(page.locator("#room-poll .badge-poll-closed")).to_be_visible()
    chair_does(laptop, "meeting.close")
    for page in pages:
        expect(page.locator("#room-state")).to_have_attribute("data-state", "closed")
        assert page.evaluate("window.stayedOnPage") is True
    screenshot(laptop, "42-hearing-chair-laptop")

    # The secretary finds the minutes drafted from the record, edits and publishes them.
    desk.goto(f"{url}secretary/")
    draft = desk.locator("#minutes textarea[name=text]").input_value()
    speakers = draft.split(f"3. {ITEMS[2]}")[1].split(f"4. {ITEMS[3]}")[0]
    assert speakers.index("赵大爷") < speakers.index("王阿姨"), speakers
    assert "设计单位李工" in draft
    assert ELEVATOR_POLL in draft
    decisions = draft.split(f"“{ELEVATOR_POLL}”")[-1]
    assert str(ballots_before + 2) in decisions, decisions  # 14 on paper, 王阿姨, 钱阿姨
    assert "通过" in decisions, decisions  # passed or not (未通过), by owners_special
    edited = draft + "\n设计单位承诺会后公示采光分析。\n"
    desk.fill("#minutes textarea[name=text]", edited)
    desk.locator("#minutes button[value=publish]").click()
    desk.wait_for_url(f"**{url}secretary/#minutes")
    expect(desk.locator("#minutes .minutes-text")).to_contain_text("设计单位承诺会后公示采光分析")

    # Published: on the meeting's own page, its minutes page, and the community's site.
    wang_phone.goto(url)
    wang_phone.locator(".minutes-link a").click()
    wang_phone.wait_for_url(f"**{url}minutes/")
    expect(wang_phone.locator("article.minutes-text")).to_contain_text(
        "设计单位承诺会后公示采光分析"
    )
    expect(wang_phone.locator("article.minutes-text")).to_contain_text("赵大爷")
    screenshot(wang_phone, "43-hearing-minutes-phone")
    width = wang_phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"the minutes are {width}px wide on a phone"
    wang_phone.goto(minutes_index)
    card = wang_phone.locator(".minutes-card", has_text=HEARING)
    expect(card).to_have_count(1)
    card.locator("a").click()
    expect(wang_phone.locator("main")).to_contain_text("设计单位承诺会后公示采光分析")

    # The record.
    hearing.refresh_from_db()
    assert hearing.state == "closed" and hearing.opened_at < hearing.closed_at
    first, second = SpeakerRequest.objects.filter(meeting=hearing).order_by("began_at")
    assert (first.user, first.point_of_order, first.state) == (zhao, True, "done")
    assert (second.user, second.point_of_order, second.state) == (wang, False, "done")
    assert first.requested_at > second.requested_at  # asked later, spoke first
    assert first.began_at < first.ended_at <= second.began_at < second.ended_at
    assert first.item.title == second.item.title == ITEMS[2]
    seqs = list(
        RoomEvent.objects.filter(meeting=hearing).order_by("seq").values_list("seq", flat=True)
    )
    assert seqs == list(range(1, hearing.last_seq + 1))
    assert RoomComment.objects.filter(meeting=hearing).count() == 3
    minutes = Minutes.objects.get(meeting=hearing)
    assert minutes.published_at is not None and "采光分析" in minutes.text
    assert minutes.edited_by == sun
    assert Participation.objects.get(poll=poll, entry=wang_entry).channel == "online"
    assert Participation.objects.get(poll=poll, entry=qian_entry).channel == "paper"
    poll.refresh_from_db()
    assert poll.state == "closed"
    assert Participation.objects.filter(poll=poll).count() == ballots_before + 2
    attendance = Attendance.objects.filter(meeting=hearing)
    assert set(attendance.filter(channel="online").values_list("user", flat=True)) >= {
        wang.pk,
        zhao.pk,
    }
    assert attendance.filter(channel="onsite", name="设计单位李工").exists()
