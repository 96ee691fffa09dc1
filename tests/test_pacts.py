"""Pacts: drafting, amendments, reconciliation, versions and adoption by vote."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from deliberation.models import Amendment, CouncilMember, Pact, PactEvent
from deliberation.services import pacts
from deliberation.services import polls as poll_services
from deliberation.services.pacts import ArticleInput
from tests.factories import (
    BuildingFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    staff_of,
    verified_member,
)

ARTICLES = [
    ArticleInput("养犬应当办理登记，出户牵绳。", heading="养犬", chapter="第一章 文明居住"),
    ArticleInput("车辆按位停放，不占消防通道。", heading="停车", chapter="第一章 文明居住"),
    ArticleInput("垃圾分类投放，定时定点。", heading="垃圾分类", chapter="第二章 环境卫生"),
]


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
    council = CouncilFactory(community=building.compound.community, compound=building.compound)
    return council


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


def soon():
    return timezone.now() + timedelta(days=7)


def texts(version):
    return list(version.articles.order_by("position").values_list("position", "key", "text"))


def test_a_pact_goes_from_draft_to_adoption_by_the_owners(pact, member, staff, owners):
    v1 = pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    assert v1.number == 1 and v1.is_published
    pact.refresh_from_db()
    assert pact.state == Pact.State.AMENDING

    a = pacts.propose_amendment(
        owners[0],
        pact,
        article_key=1,
        kind="replace",
        text="养犬应当登记并接种疫苗，出户牵绳。",
        rationale="防疫",
    )
    b = pacts.propose_amendment(
        owners[1],
        pact,
        article_key=1,
        kind="insert_after",
        text="禁止在公共区域遛狗不清理粪便。",
        rationale="卫生",
    )
    pacts.take_position(owners[2], a, "support")
    pacts.take_position(owners[3], a, "oppose")
    pacts.take_position(owners[3], a, "support")
    a.refresh_from_db()
    assert (a.supporters, a.opponents) == (2, 0)

    pacts.decide_amendment(member, a, accept=True)
    pacts.decide_amendment(member, b, accept=True)
    draft = pacts.working_draft(pact)
    assert texts(draft) == [
        (1, 1, "养犬应当登记并接种疫苗，出户牵绳。"),
        (2, 4, "禁止在公共区域遛狗不清理粪便。"),
        (3, 2, "车辆按位停放，不占消防通道。"),
        (4, 3, "垃圾分类投放，定时定点。"),
    ]
    pacts.consolidate(member, pact)
    v2 = pacts.start_vote(staff, pact, summary="采纳两条修正案")
    assert v2.number == 2 and v2.poll is not None
    poll = v2.poll
    question = poll.questions.get()
    yes = question.options.get(code="yes").pk
    for entry in poll.roll.entries.all()[:5]:
        poll_services.enter_paper_ballot(staff, poll, entry, {question.pk: yes})
    poll_services.close_poll(staff, poll)
    pact.refresh_from_db()
    assert pact.state == Pact.State.ADOPTED
    assert pact.in_force == v2
    seqs = list(PactEvent.objects.filter(pact=pact).values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))


def test_two_accepted_changes_of_one_article_must_be_reconciled(pact, member, staff, owners):
    pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    a = pacts.propose_amendment(
        owners[0], pact, article_key=2, kind="replace", text="甲", rationale="r"
    )
    b = pacts.propose_amendment(owners[1], pact, article_key=2, kind="delete", rationale="r")
    pacts.decide_amendment(member, a, accept=True)
    pacts.decide_amendment(member, b, accept=True)
    assert pacts.clashing_keys(pact) == {2}
    pacts.consolidate(member, pact)
    with pytest.raises(ValidationError, match="reconciled"):
        pacts.start_vote(staff, pact, summary="x")
    pacts.reconcile(member, pact, 2, text="车辆按位停放。", note="合并")
    assert pacts.clashing_keys(pact) == set()
    version = pacts.start_vote(staff, pact, summary="x")
    assert texts(version)[1] == (2, 2, "车辆按位停放。")


def test_a_failed_vote_returns_the_draft_to_consolidation(pact, member, staff, owners):
    pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    pacts.consolidate(member, pact)
    version = pacts.start_vote(staff, pact)
    assert version.number == 1
    poll = version.poll
    question = poll.questions.get()
    no = question.options.get(code="no").pk
    for entry in poll.roll.entries.all()[:5]:
        poll_services.enter_paper_ballot(staff, poll, entry, {question.pk: no})
    poll_services.close_poll(staff, poll)
    pact.refresh_from_db()
    assert pact.state == Pact.State.CONSOLIDATING
    assert pacts.working_draft(pact).number == 2
    assert pact.in_force is None


def test_a_resident_of_another_building_cannot_amend(pact, member, community):
    pacts.open_amendments(member, pact, closes_at=soon(), summary="初稿")
    stranger = verified_member(DwellingFactory(building__compound__community=community))
    with pytest.raises(PermissionDenied):
        pacts.propose_amendment(stranger, pact, article_key=1, kind="delete", rationale="r")
    assert not Amendment.objects.exists()
