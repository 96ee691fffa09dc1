"""An adopted pact is published on its community's site by itself: one page per pact
under the community's pacts index, with the text in force, the vote that adopted it,
the version history and the amendments' fates; a later adoption publishes a new
revision of the same page; a failed vote publishes nothing; on paper only the official
text is printed."""

import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from cms import services as cms_services
from cms.models import CommunityPage, PactIndexPage, PactPage
from deliberation.models import Amendment, CouncilMember, Pact
from deliberation.services import pacts
from deliberation.services import polls as poll_services
from deliberation.services.pacts import ArticleInput

from .factories import (
    BuildingFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    verified_member,
    with_totp,
)

pytestmark = pytest.mark.django_db

ARTICLES = [
    ArticleInput("养犬应当办理登记，出户牵绳。", heading="养犬", chapter="第一章 文明居住"),
    ArticleInput("车辆按位停放，不占消防通道。", heading="停车", chapter="第一章 文明居住"),
    ArticleInput("垃圾分类投放，定时定点。", heading="垃圾分类", chapter="第二章 环境卫生"),
]


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def building(community):
    return BuildingFactory(compound__community=community)


@pytest.fixture
def owners(building):
    return [verified_member(DwellingFactory(building=building)) for _ in range(6)]


@pytest.fixture
def staff(community):
    return staff_of(community, "owners_committee")


@pytest.fixture
def council(building):
    return CouncilFactory(community=building.compound.community, compound=building.compound)


@pytest.fixture
def member(council):
    user = UserFactory()
    CouncilMember.objects.create(council=council, user=user, office=CouncilMember.Office.CHAIR)
    return user


@pytest.fixture
def pact(staff, building, council, owners):
    return pacts.create_pact(
        staff,
        kind=Pact.Kind.HOUSE_RULES,
        title="幸福里小区家规",
        place=building.compound,
        committee=council,
        articles=ARTICLES,
    )


@pytest.fixture
def other_index(other_community) -> PactIndexPage:
    """Another community with its own pacts index, which must stay empty."""
    return PactIndexPage.objects.child_of(cms_services.provision_community(other_community)).get()


def soon():
    return timezone.now() + timedelta(days=7)


def vote(staff, version, code: str, ballots: int = 5) -> None:
    """Paper ballots from the first `ballots` owners on the roll, then the poll closes."""
    poll = version.poll
    question = poll.questions.get()
    option = question.options.get(code=code).pk
    for entry in poll.roll.entries.all()[:ballots]:
        poll_services.enter_paper_ballot(staff, poll, entry, {question.pk: option})
    poll_services.close_poll(staff, poll)


def adopt_first_version(pact, member, staff, owners):
    """Version 1 opened for amendments; one accepted, one rejected, one withdrawn; the
    consolidated version 2 adopted by the owners."""
    pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    accepted = pacts.propose_amendment(
        owners[0],
        pact,
        article_key=1,
        kind="replace",
        text="养犬应当登记并接种疫苗，出户牵绳。",
        rationale="防疫",
    )
    pacts.take_position(owners[2], accepted, "support")
    pacts.take_position(owners[3], accepted, "oppose")
    rejected = pacts.propose_amendment(
        owners[1], pact, article_key=2, kind="delete", rationale="车位够用"
    )
    withdrawn = pacts.propose_amendment(
        owners[4], pact, article_key=3, kind="replace", text="每天清运。", rationale="卫生"
    )
    pacts.decide_amendment(member, accepted, accept=True)
    pacts.decide_amendment(member, rejected, accept=False, reason="消防通道必须保持畅通")
    pacts.withdraw_amendment(owners[4], withdrawn)
    pacts.consolidate(member, pact)
    version = pacts.start_vote(staff, pact, summary="采纳养犬条修正案")
    vote(staff, version, "yes")
    return version


def pages_of(community) -> list[PactPage]:
    home = CommunityPage.objects.get(community=community)
    return list(PactPage.objects.descendant_of(home))


def body_of(client, page) -> str:
    response = client.get(page.url)
    assert response.status_code == 200
    return response.content.decode()


def official_text_section(body: str) -> str:
    """The text in force as shown: the official article, before the history."""
    return body[body.index('<div class="pact-text"') : body.index('id="vote-h"')]


def test_adoption_publishes_one_live_page_under_the_community_pacts_index(
    pact, member, staff, owners, community, other_index
):
    version = adopt_first_version(pact, member, staff, owners)

    [page] = pages_of(community)
    index = PactIndexPage.objects.child_of(CommunityPage.objects.get(community=community)).get()
    assert page.get_parent().pk == index.pk
    assert page.live and page.first_published_at is not None
    assert not page.has_unpublished_changes
    assert (page.pact, page.version, page.title) == (pact, version, "幸福里小区家规")
    assert page.revisions.count() == 1
    assert not other_index.get_children().exists()
    assert "第一条【养犬】 养犬应当登记并接种疫苗，出户牵绳。" in page.text
    assert "第二章 环境卫生" in page.text


def test_the_adopted_text_is_searchable(pact, member, staff, owners):
    adopt_first_version(pact, member, staff, owners)

    # Wagtail's index finds a clause of the text (its database backend splits Chinese at
    # punctuation only); the plain copy finds any substring, as the site's search does.
    found = PactPage.objects.live().search("养犬应当登记并接种疫苗")
    assert [page.title for page in found] == ["幸福里小区家规"]
    assert PactPage.objects.live().filter(search_text__icontains="接种疫苗").count() == 1


def test_the_page_shows_text_vote_history_and_amendments_to_anyone(
    client, pact, member, staff, owners, community
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)

    body = body_of(client, page)

    assert "<h1" in body and "幸福里小区家规</h1>" in body
    text = official_text_section(body)
    assert "第一条" in text and "第三条" in text
    assert "第一章 文明居住" in text and "第二章 环境卫生" in text
    assert "养犬应当登记并接种疫苗，出户牵绳。" in text
    assert "House rules" in body
    adoption = re.search(r'<p class="pact-adoption" data-adoption>(.*?)</ul>', body, re.S).group(1)
    assert "Version 2, adopted on" in adoption
    assert "业主共同决定一般事项" in adoption
    assert "5 of the 5 owners taking part agreed; 5 of 6 on the roll took part." in adoption
    assert "at least 2/3" in adoption and "more than 1/2" in adoption
    assert "✓ Passed" in body
    assert 'data-version="1"' in body and 'data-version="2"' in body
    assert "初稿" in body and "采纳养犬条修正案" in body
    assert "Not put to a vote." in body
    # The amendments and their fates, with the public reason of the rejection.
    assert body.count('class="card pact-amendment state-') == 3
    assert "state-accepted" in body and "state-rejected" in body and "state-withdrawn" in body
    assert "消防通道必须保持畅通" in body
    assert "1 support, 1 oppose" in body
    accepted = Amendment.objects.get(state="accepted")
    card = body[body.index(f'data-amendment="{accepted.pk}"') :]
    assert "version 2" in card[: card.index("</li>")]


def test_the_page_links_the_versions_on_the_deliberation_pages(
    client, pact, member, staff, owners, community
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)

    body = body_of(client, page)

    assert f'href="/pacts/{pact.pk}/versions/1/"' in body
    assert f'href="/pacts/{pact.pk}/versions/2/"' in body
    assert f'href="/pacts/{pact.pk}/compare/?from=1&amp;to=2"' in body


def test_the_print_stylesheet_prints_only_the_official_text(
    client, pact, member, staff, owners, community
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)

    body = body_of(client, page)

    assert re.search(r'<link rel="stylesheet" href="[^"]*pact-print\.css" media="print">', body)
    with open(finders.find("css/pact-print.css"), encoding="utf-8") as sheet:
        css = sheet.read()
    hidden = re.search(r"([^{}]+)\{\s*display:\s*none", css).group(1)
    for selector in (".site-header", ".breadcrumbs", "form", ".pact-history", ".pact-amendments"):
        assert selector in hidden
    assert re.search(r"\.pact-article\s*\{[^}]*break-inside:\s*avoid", css)
    assert re.search(r"\.pact-chapter-title\s*\{[^}]*break-after:\s*avoid", css)
    # What print hides is marked so on the page: the vote, history and amendments.
    for section in ("pact-vote no-print", "pact-history no-print", "pact-amendments no-print"):
        assert section in body


def test_adopting_a_revision_publishes_a_new_revision_of_the_same_page(
    client, pact, member, staff, owners, community
):
    first = adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    pacts.start_revision(member, pact)
    pacts.edit_article(member, pact, 1, ArticleInput("禁止饲养烈性犬。", heading="养犬"))
    pacts.open_amendments(member, pact, closes_at=soon(), summary="修订养犬条")
    pacts.consolidate(member, pact)
    second = pacts.start_vote(staff, pact)
    vote(staff, second, "yes")

    [again] = pages_of(community)
    assert again.pk == page.pk
    assert again.version == second and again.revisions.count() == 2
    assert "禁止饲养烈性犬。" in again.text and "接种疫苗" not in again.text
    body = body_of(client, again)
    text = official_text_section(body)
    assert "禁止饲养烈性犬。" in text and "接种疫苗" not in text
    first.refresh_from_db()
    assert first.superseded_at is not None
    history = body[body.index('id="history-h"') :]
    for number in (1, 2, 3):
        assert f'data-version="{number}"' in history
    assert history.count("badge-in-force") == 1 and "Superseded" in history
    assert f"Version {second.number}, adopted on" in body


def test_a_failed_vote_publishes_nothing(pact, member, staff, owners, community):
    cms_services.provision_community(community)
    pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    pacts.consolidate(member, pact)
    version = pacts.start_vote(staff, pact)

    vote(staff, version, "no")

    pact.refresh_from_db()
    assert pact.state == Pact.State.CONSOLIDATING
    assert not PactPage.objects.exists()
    index = PactIndexPage.objects.child_of(CommunityPage.objects.get(community=community)).get()
    assert not index.get_children().exists()


def test_the_pacts_index_lists_the_adopted_pact(client, pact, member, staff, owners, community):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    index = page.get_parent()

    body = body_of(client, index)

    assert f'href="{page.url}">幸福里小区家规</a>' in body
    assert "version 2 in force, adopted on" in body


def test_nobody_edits_unpublishes_or_deletes_an_adopted_pact_in_the_back_office(
    client, pact, member, staff, owners, community
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    sign_in_staff(client, with_totp(UserFactory(is_superuser=True, is_staff=True)))

    for action in ("edit", "unpublish", "delete"):
        response = client.post(f"/admin/pages/{page.pk}/{action}/", follow=True)
        assert "changes only when they adopt a new version" in response.content.decode()

    page.refresh_from_db()
    assert page.live and page.revisions.count() == 1 and "接种疫苗" in page.text


@pytest.mark.parametrize("rounds", [1, 30])
def test_the_page_query_count_does_not_grow_with_versions_or_amendments(
    client, pact, member, staff, owners, community, rounds, django_assert_max_num_queries
):
    """Each round publishes a version with one amendment proposed to it and decided."""
    for n in range(rounds):
        pacts.open_amendments(member, pact, closes_at=soon(), summary=f"第{n + 1}稿")
        amendment = pacts.propose_amendment(
            owners[n % len(owners)],
            pact,
            article_key=1 + n % 3,
            kind="replace",
            text=f"第{n + 1}轮修改。",
            rationale="r",
        )
        pacts.decide_amendment(member, amendment, accept=n % 2 == 0, reason="理由")
        pacts.consolidate(member, pact)
    vote(staff, pacts.start_vote(staff, pact, summary="定稿"), "yes")
    [page] = pages_of(community)

    with django_assert_max_num_queries(18):
        body = body_of(client, page)

    published = pact.versions.filter(published_at__isnull=False).count()
    assert published >= rounds
    assert body.count('class="card pact-version-row') == published
    assert body.count('class="card pact-amendment state-') == rounds


@pytest.mark.parametrize("action", ["delete", "unpublish", "move"])
def test_bulk_actions_in_the_back_office_leave_an_adopted_pact_in_place(
    client, pact, member, staff, owners, community, action
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    parent = page.get_parent()
    sign_in_staff(client, with_totp(UserFactory(is_superuser=True, is_staff=True)))
    url = reverse("wagtail_bulk_action", args=("wagtailcore", "page", action))
    fields = {"include_descendants": "on", "chooser": parent.get_parent().pk}
    client.post(f"{url}?id={page.pk}", fields, follow=True)
    found = PactPage.objects.get(pk=page.pk)
    assert found.live and found.get_parent().pk == parent.pk


def test_no_code_deletes_or_unpublishes_an_adopted_pact(pact, member, staff, owners, community):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    with pytest.raises(PermissionDenied), transaction.atomic():
        page.delete()
    page.live = False
    with pytest.raises(PermissionDenied), transaction.atomic():
        page.save()
    page.refresh_from_db()
    assert page.live


def test_a_revision_under_way_stays_off_the_official_page(
    client, pact, member, staff, owners, community
):
    adopt_first_version(pact, member, staff, owners)
    [page] = pages_of(community)
    pacts.start_revision(member, pact)
    pacts.edit_article(member, pact, 1, ArticleInput("禁止饲养烈性犬。", heading="养犬"))
    revision = pacts.open_amendments(member, pact, closes_at=soon(), summary="修订养犬条")
    pacts.propose_amendment(
        owners[0], pact, article_key=2, kind="delete", rationale="修订中提出的修正案"
    )
    body = body_of(client, page)
    history = body[body.index('id="history-h"') :]
    assert f'data-version="{revision.number}"' not in history
    assert "修订中提出的修正案" not in body and "禁止饲养烈性犬" not in body
