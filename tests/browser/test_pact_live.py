"""A pact's page, live, on two 360 px phones (issue 7, item 10): one resident proposes
an amendment through the plain form and it appears under its article on the other's
page without a reload; the other supports it and the count changes on the first page;
both show two readers. A phone whose connection drops while an amendment is proposed
reconnects from the number it had and shows that amendment once."""

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from deliberation.models import Amendment, Pact, PactEvent
from deliberation.services import pacts as pact_services
from deliberation.services.pacts import ArticleInput

from ..factories import (
    BuildingFactory,
    CommunityFactory,
    CompoundFactory,
    CouncilFactory,
    DwellingFactory,
    staff_of,
    verified_member,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE_WIDTH = 360
RECONNECT_WAIT = 15_000  # ms: a page that was offline reconnects after its back-off

# Keeps each WebSocket the page opens, and every numbered frame each of them received.
RECORD_SOCKETS = """
window.openedSockets = [];
const NativeWebSocket = window.WebSocket;
window.WebSocket = class extends NativeWebSocket {
  constructor(...args) {
    super(...args);
    this.numbers = [];
    window.openedSockets.push(this);
    this.addEventListener("message", (message) => {
      const frame = JSON.parse(message.data);
      if (typeof frame.seq === "number" && frame.type !== "resynced") this.numbers.push(frame.seq);
    });
  }
};
"""


def in_thread(function, *args, **kwargs):
    """Services broadcast after commit through async_to_sync, which refuses to run in
    this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@pytest.fixture
def house_rules():
    """A compound's house rules, open for amendments, and two of its verified owners."""
    community = CommunityFactory(name="幸福里社区")
    compound = CompoundFactory(community=community, name="幸福里一期")
    building = BuildingFactory(compound=compound, name="3号楼")
    wang = verified_member(DwellingFactory(building=building), display_name="王阿姨")
    qian = verified_member(DwellingFactory(building=building), display_name="钱阿姨")
    staff = staff_of(community, "owners_committee")
    council = CouncilFactory(community=community, compound=compound, name="一期议事会")

    def build():
        pact = pact_services.create_pact(
            staff,
            kind=Pact.Kind.HOUSE_RULES,
            title="幸福里一期小区家规",
            place=compound,
            committee=council,
            articles=[
                ArticleInput("饲养犬只应当拴绳牵引，及时清理粪便。", heading="养宠"),
                ArticleInput("机动车按车位停放，不占用消防通道。", heading="停车"),
            ],
        )
        pact_services.open_amendments(
            staff, pact, closes_at=timezone.now() + timedelta(days=7), summary="征求意见稿"
        )
        return pact

    pact = in_thread(build)
    keys = dict(pact_services.latest_published(pact).articles.values_list("heading", "key"))
    return pact, keys, wang, qian


def viewers(page):
    return page.locator("#pact-viewers [data-viewers]")


def propose(page, pact: Pact, key: int, text: str, rationale: str) -> Amendment:
    """Proposes an amendment through the plain form under the article; back on the pact's
    page, it shows there."""
    page.locator(f"#amendments-{key} .amend-link a").click()
    page.wait_for_url(f"**/pacts/{pact.pk}/articles/{key}/amend/")
    page.fill("textarea[name=text]", text)
    page.fill("textarea[name=rationale]", rationale)
    page.locator("form.amend-form [type=submit]").click()
    page.wait_for_url(f"**/pacts/{pact.pk}/#amendment-*")
    amendment = Amendment.objects.filter(pact=pact).latest("pk")
    expect(page.locator(f"#amendments-{key} #amendment-{amendment.pk}")).to_be_visible()
    return amendment


def test_an_amendment_and_its_support_appear_live_on_two_phones(house_rules, asgi_phone):
    pact, keys, wang, qian = house_rules
    url = f"/pacts/{pact.pk}/"
    phone_a, phone_b = asgi_phone(wang), asgi_phone(qian)
    phone_b.add_init_script(RECORD_SOCKETS)
    for page in (phone_a, phone_b):
        page.goto(url)
    for page in (phone_a, phone_b):
        expect(viewers(page)).to_have_text("2")
        expect(page.locator(".amendment")).to_have_count(0)
        # A marker that a reload would lose.
        page.evaluate("window.stayedOnPage = true")

    # 王阿姨 proposes an amendment to the pets article through the form (her page reloads)…
    pets = keys["养宠"]
    first = propose(phone_a, pact, pets, "饲养犬只应当拴绳牵引，不得进入儿童游乐区。", "孩子怕狗")
    # …and it appears under that article on 钱阿姨's phone, which did not reload.
    card = phone_b.locator(f"#amendments-{pets} #amendment-{first.pk}")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("不得进入儿童游乐区")
    expect(card).to_contain_text("王阿姨")
    expect(card.locator("[data-supporters]")).to_have_text("0")
    assert phone_b.evaluate("window.stayedOnPage") is True
    # It is marked as new, and said to screen readers.
    expect(card).to_have_class(re.compile(r"\bjust-arrived\b"))
    expect(phone_b.locator("#pact-announce[aria-live=polite]")).not_to_be_empty()
    # The card was fetched for her: she may support it; 王阿姨 may not support her own.
    expect(card.locator("form.position-form button[value=support]")).to_be_visible()
    expect(phone_a.locator(f"#amendment-{first.pk} form.position-form")).to_have_count(0)

    # 钱阿姨 supports it (her page reloads): the count changes on 王阿姨's page, live.
    phone_a.evaluate("window.stayedOnPage = true")
    card.locator("button[value=support]").click()
    phone_b.wait_for_url(f"**{url}#amendment-{first.pk}")
    expect(phone_b.locator(f"#amendment-{first.pk} [data-supporters]")).to_have_text("1")
    expect(phone_a.locator(f"#amendment-{first.pk} [data-supporters]")).to_have_text("1")
    assert phone_a.evaluate("window.stayedOnPage") is True
    for page in (phone_a, phone_b):
        expect(viewers(page)).to_have_text("2")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"the pact's page is {width}px wide on a phone"

    # 钱阿姨's phone loses its connection. Chromium's offline mode refuses new connections
    # but leaves an open WebSocket up, so the page's socket is also closed under it.
    phone_b.evaluate("window.stayedOnPage = true")
    expect(phone_b.locator("#pact-live-status")).not_to_be_empty()
    seq_before = pact.__class__.objects.get(pk=pact.pk).last_seq
    assert phone_b.evaluate("window.openedSockets.length") == 1
    phone_b.context.set_offline(True)
    phone_b.evaluate("window.openedSockets.at(-1).close()")
    phone_b.wait_for_function(
        "window.openedSockets.length > 1"
        " && window.openedSockets.at(-1).readyState === WebSocket.CLOSED"
    )

    # Meanwhile 王阿姨 proposes a second amendment, to the parking article.
    parking = keys["停车"]
    second = propose(phone_a, pact, parking, "机动车按车位停放，夜间不在主干道停放。", "太挤")
    expect(viewers(phone_a)).to_have_text("1")
    expect(phone_b.locator(f"#amendment-{second.pk}")).to_have_count(0)

    # Back online: the page reconnects from the number it had and shows it, once.
    phone_b.context.set_offline(False)
    expect(phone_b.locator(f"#amendments-{parking} #amendment-{second.pk}")).to_have_count(
        1, timeout=RECONNECT_WAIT
    )
    expect(viewers(phone_b)).to_have_text("2")
    expect(viewers(phone_a)).to_have_text("2")
    expect(phone_b.locator(".amendment")).to_have_count(2)
    expect(phone_b.locator(f"#amendment-{first.pk} [data-supporters]")).to_have_text("1")
    assert phone_b.evaluate("window.stayedOnPage") is True
    last = phone_b.evaluate("window.openedSockets.at(-1).url")
    assert last.endswith(f"?after={seq_before}"), last
    # The new connection was sent each event it missed once, and nothing it had.
    missed = list(
        PactEvent.objects.filter(pact=pact, seq__gt=seq_before)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert missed, "proposing an amendment is an event"
    assert phone_b.evaluate("window.openedSockets.at(-1).numbers") == missed
