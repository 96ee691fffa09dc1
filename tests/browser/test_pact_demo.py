"""Issue 7 on the demo: 幸福里一期小区家规 is open for amendments. 王阿姨, an owner in
3号楼, proposes an amendment to the pets article from her phone; 钱阿姨 supports it and
the count changes on 王阿姨's phone without a reload; 刘委员, the drafting committee's
chair, accepts it, rejects the other waiting amendment with a public reason,
consolidates and puts the text to the owners' vote; the new version's differences show
by character; 王阿姨 votes online, the rest of the quorum on paper, and once the vote
closes the adopted text is on the community's site with its history, and prints as the
official text alone. Every page at 360 px."""

import re
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cms.models import PactIndexPage, PactPage
from deliberation.models import Amendment, Pact, User
from deliberation.services import polls as poll_services
from polls.models import Participation

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOUSE_RULES = "幸福里一期小区家规"
PHONE_WIDTH = 360
PETS = (
    "饲养犬只应当依法办理登记，出户时拴绳牵引，随手清理宠物粪便；"
    "不得在楼道、电梯内放任宠物活动，不得带入儿童游乐区。"
)
NOISE_REASON = "装修时间以物业管理规定为准，另行公示。"


def in_thread(function, *args, **kwargs):
    """Services broadcast after commit through async_to_sync, which refuses to run in
    this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args, **kwargs).result()


def person(phone: str) -> User:
    return User.objects.get(phone=phone)


def fits(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_WIDTH, f"{what} is {width}px wide on a phone"


def paper_ballots(actor, poll, voted) -> tuple[int, int]:
    """The owners' committee enters paper ballots for the owners on the roll, in order,
    until more than two thirds of the owners and of the area have voted (with those who
    voted online); one in ten votes no. Returns (ballots, noes)."""
    question = poll.questions.get()
    options = {option.code: option.pk for option in question.options.all()}
    entries = list(poll.roll.entries.order_by("pk"))
    total_area = sum((entry.area for entry in entries), Decimal(0))
    owners = len([entry for entry in entries if entry.pk in voted])
    area = sum((entry.area for entry in entries if entry.pk in voted), Decimal(0))
    ballots = noes = 0
    for entry in entries:
        if owners * 4 > len(entries) * 3 and area * 4 > total_area * 3:
            break
        if entry.pk in voted:
            continue
        code = "no" if ballots % 10 == 9 else "yes"
        poll_services.enter_paper_ballot(actor, poll, entry, {question.pk: options[code]})
        ballots, noes = ballots + 1, noes + (code == "no")
        owners, area = owners + 1, area + entry.area
    return ballots, noes


def test_the_house_rules_are_amended_and_adopted_on_the_demo(asgi_phone, screenshot):
    in_thread(call_command, "seed_demo", stdout=None)
    wang = person("+8613800000001")  # 王阿姨, verified owner in 3号楼
    qian = person("+8613800000004")  # 钱阿姨, a neighbour in 3号楼
    liu = person("+8613900000002")  # 刘委员, owners' committee, the drafting committee's chair
    pact = Pact.objects.get(title=HOUSE_RULES)
    assert pact.state == "amending"
    first = pact.versions.get(number=1)
    pets = first.articles.get(heading="养宠")
    waiting = Amendment.objects.get(pact=pact, state="proposed")  # 钱阿姨's, on noise
    url = f"/pacts/{pact.pk}/"

    # Everyone signs in first (see test_hearing_demo).
    wang_phone = asgi_phone(wang)
    qian_phone = asgi_phone(qian)
    liu_phone = asgi_phone(liu, staff=True)

    # 王阿姨 finds the house rules and proposes an amendment to the pets article.
    wang_phone.goto("/pacts/")
    wang_phone.get_by_role("link", name=HOUSE_RULES).first.click()
    wang_phone.wait_for_url(f"**{url}")
    qian_phone.goto(url)
    for page in (wang_phone, qian_phone):
        expect(page.locator("#pact-viewers [data-viewers]")).to_have_text("2")
    wang_phone.locator(f"#amendments-{pets.key} .amend-link a").click()
    wang_phone.wait_for_url(f"**{url}articles/{pets.key}/amend/")
    # The form starts from the article's text, for a replacement.
    expect(wang_phone.locator("textarea[name=text]")).to_have_value(pets.text)
    wang_phone.fill("textarea[name=text]", PETS)
    wang_phone.fill("textarea[name=rationale]", "小区里孩子多，狗进游乐区家长都很担心。")
    fits(wang_phone, "the amendment form")
    wang_phone.locator("form.amend-form [type=submit]").click()
    wang_phone.wait_for_url(f"**{url}#amendment-*")
    proposed = Amendment.objects.filter(pact=pact, author=wang).get()
    assert (proposed.kind, proposed.article_key, proposed.text) == ("replace", pets.key, PETS)
    mine = wang_phone.locator(f"#amendments-{pets.key} #amendment-{proposed.pk}")
    expect(mine.locator("[data-supporters]")).to_have_text("0")
    wang_phone.evaluate("window.stayedOnPage = true")

    # 钱阿姨's page shows it without a reload; she supports it, and 王阿姨 sees it live.
    theirs = qian_phone.locator(f"#amendments-{pets.key} #amendment-{proposed.pk}")
    expect(theirs).to_contain_text("不得带入儿童游乐区")
    theirs.locator("button[value=support]").click()
    qian_phone.wait_for_url(f"**{url}#amendment-{proposed.pk}")
    expect(mine.locator("[data-supporters]")).to_have_text("1")
    expect(wang_phone.locator("#pact-viewers [data-viewers]")).to_have_text("2")
    assert wang_phone.evaluate("window.stayedOnPage") is True
    mine.scroll_into_view_if_needed()
    fits(wang_phone, "the pact's page")
    screenshot(wang_phone, "50-pact-amendments-phone")

    # 刘委员, on the drafting committee's page: two amendments wait for a decision.
    liu_phone.goto(url)
    liu_phone.locator(".committee-link a").click()
    liu_phone.wait_for_url(f"**{url}committee/")
    expect(liu_phone.locator("#waiting .committee-amendment")).to_have_count(2)
    fits(liu_phone, "the committee's page")
    screenshot(liu_phone, "51-pact-committee-phone")
    # A rejection needs a public reason: without one, nothing is decided.
    noise = liu_phone.locator(f"#decide-{waiting.pk}")
    noise.locator("button[value=reject]").click()
    expect(liu_phone.locator(f"#decide-{waiting.pk} .error")).to_be_visible()
    waiting.refresh_from_db()
    assert waiting.state == "proposed"
    noise = liu_phone.locator(f"#decide-{waiting.pk}")
    noise.locator("textarea[name=reason]").fill(NOISE_REASON)
    noise.locator("button[value=reject]").click()
    liu_phone.wait_for_url(f"**{url}committee/#waiting")
    pets_decision = liu_phone.locator(f"#decide-{proposed.pk}")
    pets_decision.locator("textarea[name=reason]").fill("采纳，孩子的安全要紧。")
    pets_decision.locator("button[value=accept]").click()
    expect(liu_phone.locator("#waiting")).to_have_count(0)
    # 王阿姨's card says so at once.
    expect(mine).to_have_attribute("data-state", "accepted")
    expect(mine.locator("[data-reason]")).to_contain_text("孩子的安全要紧")

    # 刘委员 closes amendments and puts the consolidated text to the vote.
    liu_phone.locator("#consolidate-form [type=submit]").click()
    expect(liu_phone.locator("#vote-form")).to_be_visible()
    # 王阿姨's page, behind now, says so.
    expect(wang_phone.locator("#pact-stale")).to_be_visible()
    liu_phone.fill("#vote-form textarea[name=summary]", "采纳养宠、停车、电动车三条修改意见")
    liu_phone.locator("#vote-form [type=submit]").click()
    expect(liu_phone.locator("#vote-form")).to_have_count(0)
    pact.refresh_from_db()
    assert pact.state == "voting"
    second = pact.versions.get(number=2)
    expect(liu_phone.locator(f"#steps a[href='/polls/{second.poll_id}/']")).to_be_visible()
    assert second.poll is not None and second.poll.rule_name == "owners_ordinary"
    assert second.articles.get(key=pets.key).text == PETS
    proposed.refresh_from_db()
    waiting.refresh_from_db()
    assert (proposed.state, proposed.merged_into) == ("accepted", second)
    assert (waiting.state, waiting.decision_reason) == ("rejected", NOISE_REASON)

    # The new version's differences: the pets article is changed, by character.
    wang_phone.goto(url)
    wang_phone.locator("#versions .compare-link").first.click()
    wang_phone.wait_for_url(re.compile(rf"{url}compare/\?from=1&to=2$"))
    row = wang_phone.locator(f"#diff-{pets.key}")
    expect(row).to_have_attribute("data-status", "changed")
    # "及时" became "随手", and a clause was added.
    expect(row.locator("del")).to_contain_text(["及时"])
    expect(row.locator("ins")).to_contain_text(["随手", "不得带入儿童游乐区"])
    fits(wang_phone, "the comparison")
    row.scroll_into_view_if_needed()
    screenshot(wang_phone, "52-pact-compare-phone")

    # 王阿姨 votes yes online, from the pact's page.
    wang_phone.goto(url)
    wang_phone.locator(".outcome-box a").click()
    wang_phone.wait_for_url(f"**/polls/{second.poll.pk}/")
    wang_phone.locator("label.choice-yes").click()
    wang_phone.locator("form.ballot [type=submit]").click()
    wang_phone.wait_for_url(re.compile(rf"/polls/{second.poll.pk}/receipt/\?code="))
    online = Participation.objects.get(poll=second.poll, channel="online")
    assert online.entry.user == wang

    # The rest of the quorum votes on paper, entered by the owners' committee; 刘委员
    # closes the vote, which adopts the version and publishes it on the site.
    poll = second.poll
    ballots, noes = in_thread(paper_ballots, liu, poll, {online.entry_id})
    assert ballots > 0 and noes > 0
    in_thread(poll_services.close_poll, liu, poll)
    pact.refresh_from_db()
    assert (pact.state, pact.in_force) == ("adopted", second)

    # The adopted text on the community's site, under its pacts index, with its history.
    page = PactPage.objects.get(pact=pact)
    index = PactIndexPage.objects.get(pk=page.get_parent().pk)
    wang_phone.goto(index.url)
    wang_phone.locator(".pact-list a", has_text=HOUSE_RULES).click()
    official = wang_phone.locator("article.pact-official")
    expect(official.locator("h1")).to_have_text(HOUSE_RULES)
    expect(official.locator(f"#article-{pets.key}")).to_contain_text("不得带入儿童游乐区")
    expect(official.locator(".pact-adoption")).to_be_visible()
    versions = wang_phone.locator(".pact-history .pact-version-row")
    expect(versions).to_have_count(2)
    expect(versions.locator(".badge-in-force")).to_have_count(1)
    expect(
        versions.and_(wang_phone.locator("[data-version='2']")).locator(".badge-in-force")
    ).to_be_visible()
    fates = wang_phone.locator(".pact-amendment-list")
    accepted = fates.locator(f"[data-amendment='{proposed.pk}']")
    expect(accepted).to_have_class(re.compile(r"\bstate-accepted\b"))
    expect(accepted).to_contain_text("王阿姨")
    expect(accepted).to_contain_text("第2版")  # the version it entered
    rejected = fates.locator(f"[data-amendment='{waiting.pk}']")
    expect(rejected).to_have_class(re.compile(r"\bstate-rejected\b"))
    expect(rejected).to_contain_text(NOISE_REASON)
    # Every amendment of both rounds, in whatever state, is listed with its fate.
    expect(fates.locator(".pact-amendment")).to_have_count(
        Amendment.objects.filter(pact=pact).count()
    )
    fits(wang_phone, "the adopted pact's page")
    screenshot(wang_phone, "53-pact-cms-phone")

    # Printed, it is the official text alone: no navigation, forms, history or vote.
    wang_phone.emulate_media(media="print")
    expect(official.locator(".pact-text")).to_be_visible()
    expect(official.locator(".pact-adoption")).to_be_visible()
    for hidden in ("nav", "form", ".pact-history", ".pact-vote", "section.pact-amendments"):
        for element in wang_phone.locator(hidden).all():
            expect(element).to_be_hidden()
    screenshot(wang_phone, "54-pact-cms-print")
    wang_phone.emulate_media(media="screen")
