"""Pacts: drafting, amendments, reconciliation, versions and adoption by vote.

Every test drives the services as people would and checks what the database holds
afterwards. `Scene` is a compound's house rules with the people around them and the
steps they take; `snapshot` is everything a step could change, so that a refused step
is shown to have changed nothing (no row, no event, no trace entry, no notification).
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.utils import timezone, translation

from deliberation import live, ratelimits, signals
from deliberation.models import (
    Amendment,
    AmendmentComment,
    AmendmentPosition,
    Article,
    CouncilMember,
    Membership,
    Notification,
    Pact,
    PactEvent,
    PactVersion,
    Reconciliation,
    TraceEntry,
)
from deliberation.models.trace import ACTION_LABELS
from deliberation.services import pacts
from deliberation.services import polls as poll_services
from deliberation.services.pacts import ArticleInput
from polls.models import Poll
from polls.services import close_due_polls
from tests.factories import (
    BuildingFactory,
    CouncilFactory,
    DwellingFactory,
    UserFactory,
    staff_of,
    verified_member,
)

DRAFTING, AMENDING, CONSOLIDATING, VOTING, ADOPTED = Pact.State.values
CH1, CH2 = "第一章 文明居住", "第二章 环境卫生"
ARTICLES = [
    ArticleInput("养犬应当办理登记，出户牵绳。", heading="养犬", chapter=CH1),
    ArticleInput("车辆按位停放，不占消防通道。", heading="停车", chapter=CH1),
    ArticleInput("垃圾分类投放，定时定点。", heading="垃圾分类", chapter=CH2),
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def building(community):
    return BuildingFactory(compound__community=community)


@pytest.fixture
def owners(building):
    return [verified_member(DwellingFactory(building=building)) for _ in range(6)]


@pytest.fixture
def tenant(owners):
    """A verified tenant in the first owner's flat: a resident of the scope, not an owner."""
    dwelling = owners[0].memberships.get().dwelling
    return verified_member(dwelling, kind=Membership.Kind.TENANT)


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
def kind():
    return Pact.Kind.HOUSE_RULES


@pytest.fixture
def pact(staff, building, council, owners, kind):
    return pacts.create_pact(
        staff,
        kind=kind,
        title="幸福里小区家规",
        place=building.compound,
        committee=council,
        articles=ARTICLES,
    )


@pytest.fixture
def scene(pact, member, staff, owners, tenant):
    return Scene(pact, member, staff, owners, tenant)


@pytest.fixture
def clock(monkeypatch):
    """The rate limits' clock, stopped in the middle of an hour; a fixed-window counter
    would otherwise let a test that straddles the hour through."""
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: 1_000_080_000 + 1800))


def soon():
    return timezone.now() + timedelta(days=7)


class Scene:
    """The house rules of a compound (articles 1 and 2 in chapter one, 3 in chapter two),
    the owners of its six flats, a tenant, the drafting committee's chair (`member`) and
    the owners' committee (`staff`), with the steps they take."""

    def __init__(self, pact, member, staff, owners, tenant):
        self.pact, self.member, self.staff = pact, member, staff
        self.owners, self.tenant = owners, tenant
        self.round: Amendment | None = None  # proposed by owners[5] when amendments open
        self.voted: PactVersion | None = None  # the version put to the vote

    def refresh(self) -> Pact:
        self.pact.refresh_from_db()
        return self.pact

    def open(self, closes_at=None) -> PactVersion:
        return pacts.open_amendments(
            self.member, self.pact, closes_at=closes_at or soon(), summary="征求意见稿"
        )

    def propose(
        self,
        author,
        key: int = 2,
        kind: str = "replace",
        text: str = "车辆停放在划线车位内。",
        rationale: str = "写得更清楚",
        heading: str = "",
    ) -> Amendment:
        return pacts.propose_amendment(
            author,
            self.pact,
            article_key=key,
            kind=kind,
            text=text,
            heading=heading,
            rationale=rationale,
        )

    def accept(self, *amendments: Amendment) -> None:
        for amendment in amendments:
            pacts.decide_amendment(self.member, amendment, accept=True)

    def consolidate(self) -> None:
        pacts.consolidate(self.member, self.pact)

    def start_vote(self, summary: str = "付诸表决") -> PactVersion:
        self.voted = pacts.start_vote(self.staff, self.pact, summary=summary)
        return self.voted

    def vote(self, version: PactVersion, *, yes: int = 0, no: int = 0):
        """Paper ballots of the first owners on the roll, then close the poll."""
        poll = version.poll
        question = poll.questions.get()
        options = {option.code: option.pk for option in question.options.all()}
        entries = list(poll.roll.entries.order_by("pk"))
        for entry, code in zip(entries, ["yes"] * yes + ["no"] * no, strict=False):
            poll_services.enter_paper_ballot(self.staff, poll, entry, {question.pk: options[code]})
        return poll_services.close_poll(self.staff, poll)

    def to(self, state: str) -> None:
        """Take the pact to `state` the way people would."""
        if state == DRAFTING:
            return
        self.open()
        self.round = self.propose(self.owners[5])
        if state == AMENDING:
            return
        self.consolidate()
        if state == CONSOLIDATING:
            return
        self.accept(self.round)
        self.start_vote()
        if state == VOTING:
            return
        self.vote(self.voted, yes=5)

    def reach(self, at) -> None:
        """`at` is a state, or a function that prepares the scene."""
        if callable(at):
            at(self)
        else:
            self.to(at)

    def pending(self) -> Amendment:
        """An amendment still proposed: this round's, or, at a step where the services
        leave none, one written directly, so that only the step can be what refuses."""
        proposed = self.pact.amendments.filter(state=Amendment.State.PROPOSED).first()
        if proposed is not None:
            return proposed
        version = pacts.latest_published(self.pact) or pacts.working_draft(self.pact)
        return Amendment.objects.create(
            pact=self.pact,
            version=version,
            article_key=1,
            kind=Amendment.Kind.DELETE,
            rationale="直接写入",
            author=self.owners[5],
        )

    def ready_to_vote(self) -> None:
        """Amendments closed, this round's accepted."""
        self.to(CONSOLIDATING)
        self.accept(self.round)

    def clash_on_2(self) -> tuple[Amendment, Amendment]:
        """Amendments open, two accepted replacements of article 2."""
        self.to(AMENDING)
        other = self.propose(self.owners[4], text="车辆停放不得占用消防通道。")
        self.accept(self.round, other)
        return self.round, other


def texts(version):
    return list(version.articles.order_by("position").values_list("position", "key", "text"))


def keys(version) -> list[int]:
    """The article identities in order, after checking the numbers run 1..n."""
    rows = list(version.articles.order_by("position").values_list("position", "key"))
    assert [position for position, _key in rows] == list(range(1, len(rows) + 1))
    return [key for _position, key in rows]


def snapshot(pact: Pact) -> dict:
    """Everything a step on `pact` could change."""
    return {
        "pact": list(
            Pact.objects.filter(pk=pact.pk).values(
                "state", "amendments_close_at", "in_force", "last_seq", "title", "summary"
            )
        ),
        "versions": list(
            PactVersion.objects.filter(pact=pact)
            .order_by("number")
            .values(
                "number",
                "preamble",
                "change_summary",
                "published_at",
                "poll",
                "adopted_at",
                "superseded_at",
            )
        ),
        "articles": list(
            Article.objects.filter(version__pact=pact)
            .order_by("version__number", "position")
            .values_list("version__number", "position", "key", "chapter", "heading", "text")
        ),
        "amendments": list(
            Amendment.objects.filter(pact=pact)
            .order_by("pk")
            .values(
                "state",
                "decided_at",
                "decision_reason",
                "merged_into",
                "inserted_key",
                "supporters",
                "opponents",
            )
        ),
        "positions": list(
            AmendmentPosition.objects.filter(amendment__pact=pact)
            .order_by("pk")
            .values_list("amendment", "user", "side")
        ),
        "comments": list(
            AmendmentComment.objects.filter(amendment__pact=pact)
            .order_by("pk")
            .values_list("text", "hidden_at")
        ),
        "reconciliations": list(
            Reconciliation.objects.filter(version__pact=pact)
            .order_by("pk")
            .values_list("article_key", "deleted", "text")
        ),
        "events": PactEvent.objects.filter(pact=pact).count(),
        "trace": TraceEntry.objects.count(),
        "notifications": Notification.objects.count(),
        "polls": Poll.objects.count(),
        "pacts": Pact.objects.count(),
    }


def assert_refused(pact: Pact, step, error=ValidationError, match: str | None = None):
    """`step` is refused with `error` (its message matching `match`) and changes nothing."""
    before = snapshot(pact)
    with pytest.raises(error, match=match):
        step()
    assert snapshot(pact) == before


# ---------------------------------------------------------------------------- the whole path


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


# ---------------------------------------------------------------------------- illegal steps


def _at_step(state: str) -> str:
    return re.escape(f"at the step “{Pact.State(state).label}”")


NOT_AMENDING = "This pact is not open for amendments now"
# step → (what it does, given the scene and an amendment still proposed; the steps at
# which it is legal; the message it is refused with at the others)
STEPS = {
    "open_amendments": (lambda s, a: s.open(), {DRAFTING, CONSOLIDATING}, _at_step),
    "consolidate": (lambda s, a: s.consolidate(), {AMENDING}, _at_step),
    "propose": (lambda s, a: s.propose(s.owners[1], key=1), {AMENDING}, NOT_AMENDING),
    "take_position": (
        lambda s, a: pacts.take_position(s.owners[2], a, "support"),
        {AMENDING},
        NOT_AMENDING,
    ),
    "comment": (
        lambda s, a: pacts.comment_on_amendment(s.owners[2], a, "赞成"),
        {AMENDING, CONSOLIDATING},
        "Comments on amendments are closed",
    ),
    "decide": (
        lambda s, a: pacts.decide_amendment(s.member, a, accept=True),
        {AMENDING, CONSOLIDATING},
        _at_step,
    ),
    "reconcile": (
        lambda s, a: pacts.reconcile(s.member, s.pact, 2, text="车辆按位停放。"),
        {AMENDING, CONSOLIDATING},
        _at_step,
    ),
    "start_vote": (lambda s, a: s.start_vote(), {CONSOLIDATING}, _at_step),
    "start_revision": (lambda s, a: pacts.start_revision(s.member, s.pact), {ADOPTED}, _at_step),
    "edit_article": (
        lambda s, a: pacts.edit_article(s.member, s.pact, 1, ArticleInput("养犬须登记。")),
        {DRAFTING, CONSOLIDATING},
        _at_step,
    ),
    "add_article": (
        lambda s, a: pacts.add_article(s.member, s.pact, ArticleInput("新条文。"), after_key=1),
        {DRAFTING, CONSOLIDATING},
        _at_step,
    ),
    "delete_article": (
        lambda s, a: pacts.delete_article(s.member, s.pact, 1),
        {DRAFTING, CONSOLIDATING},
        _at_step,
    ),
    "set_preamble": (
        lambda s, a: pacts.set_preamble(s.member, s.pact, "为了共同的家园。"),
        {DRAFTING, CONSOLIDATING},
        _at_step,
    ),
}
ILLEGAL = [
    (state, step)
    for step, (_do, legal, _message) in STEPS.items()
    for state in Pact.State.values
    if state not in legal
]


@pytest.mark.parametrize(("state", "step"), ILLEGAL)
def test_a_step_out_of_turn_is_refused_and_changes_nothing(scene, state, step):
    do, _legal, message = STEPS[step]
    scene.to(state)
    amendment = scene.pending()
    match = message(state) if callable(message) else message
    assert_refused(scene.pact, lambda: do(scene, amendment), match=match)
    assert scene.refresh().state == state


def test_proposals_and_positions_are_refused_from_the_moment_amendments_close(scene, monkeypatch):
    closes = timezone.now() + timedelta(days=3)
    scene.open(closes_at=closes)
    monkeypatch.setattr(timezone, "now", lambda: closes - timedelta(seconds=1))
    amendment = scene.propose(scene.owners[0])
    pacts.take_position(scene.owners[1], amendment, "support")

    monkeypatch.setattr(timezone, "now", lambda: closes)
    assert_refused(scene.pact, lambda: scene.propose(scene.owners[2], key=1), match=NOT_AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.take_position(scene.owners[2], amendment, "oppose"),
        match=NOT_AMENDING,
    )
    assert scene.pact.amendments.count() == 1


def test_closing_amendments_early_moves_their_deadline_to_now(scene):
    scene.open()
    scene.consolidate()
    pact = scene.refresh()
    assert pact.state == CONSOLIDATING
    assert pact.amendments_close_at <= timezone.now()


# ---------------------------------------------------------------------------- who may do what

PEOPLE = (
    "anonymous",
    "signed_in_non_resident",
    "resident_of_another_compound",
    "owner",
    "tenant",
    "committee_member",
    "staff_of_the_place",
    "staff_of_another_community",
)
RESIDENTS = {"owner", "tenant", "committee_member"}
STEERING = {"committee_member", "staff_of_the_place"}


@pytest.fixture
def people(scene, community, other_community):
    return {
        "anonymous": AnonymousUser(),
        "signed_in_non_resident": UserFactory(),
        "resident_of_another_compound": verified_member(
            DwellingFactory(building__compound__community=community)
        ),
        "owner": scene.owners[0],
        "tenant": scene.tenant,
        "committee_member": scene.member,
        "staff_of_the_place": scene.staff,
        "staff_of_another_community": staff_of(other_community, "owners_committee"),
    }


@dataclass(frozen=True)
class Permission:
    at: object  # a state, or a function that prepares the scene
    do: object  # (scene, person) → the step
    done: object  # (scene, person) → whether it took effect
    allowed: set[str]


PERMISSIONS = {
    "propose": Permission(
        AMENDING,
        lambda s, who: s.propose(who, key=1),
        lambda s, who: s.pact.amendments.filter(author=who).exists(),
        RESIDENTS,
    ),
    "take_position": Permission(
        AMENDING,
        lambda s, who: pacts.take_position(who, s.round, "support"),
        lambda s, who: AmendmentPosition.objects.filter(amendment=s.round, user=who).exists(),
        RESIDENTS,
    ),
    "comment": Permission(
        AMENDING,
        lambda s, who: pacts.comment_on_amendment(who, s.round, "赞成"),
        lambda s, who: AmendmentComment.objects.filter(amendment=s.round, author=who).exists(),
        RESIDENTS,
    ),
    "decide": Permission(
        AMENDING,
        lambda s, who: pacts.decide_amendment(who, s.round, accept=False, reason="已有规定"),
        lambda s, who: Amendment.objects.filter(pk=s.round.pk, decided_by=who).exists(),
        STEERING,
    ),
    "reconcile": Permission(
        Scene.clash_on_2,
        lambda s, who: pacts.reconcile(who, s.pact, 2, text="车辆按位停放，不占消防通道。"),
        lambda s, who: Reconciliation.objects.filter(version__pact=s.pact, by=who).exists(),
        STEERING,
    ),
    "edit_draft": Permission(
        DRAFTING,
        lambda s, who: pacts.edit_article(who, s.pact, 1, ArticleInput("养犬须登记。")),
        lambda s, who: pacts.working_draft(s.pact).articles.get(key=1).text == "养犬须登记。",
        STEERING,
    ),
    "open_amendments": Permission(
        DRAFTING,
        lambda s, who: pacts.open_amendments(who, s.pact, closes_at=soon(), summary="征求意见稿"),
        lambda s, who: s.refresh().state == AMENDING,
        STEERING,
    ),
    "start_vote": Permission(
        Scene.ready_to_vote,
        lambda s, who: pacts.start_vote(who, s.pact, summary="付诸表决"),
        lambda s, who: s.refresh().state == VOTING,
        {"staff_of_the_place"},  # a seat that runs votes, not only the drafting committee
    ),
    "start_revision": Permission(
        ADOPTED,
        lambda s, who: pacts.start_revision(who, s.pact),
        lambda s, who: s.refresh().state == DRAFTING,
        STEERING,
    ),
}


@pytest.mark.parametrize("person", PEOPLE)
@pytest.mark.parametrize("step", PERMISSIONS)
def test_who_may_take_each_step(scene, people, step, person):
    rule = PERMISSIONS[step]
    scene.reach(rule.at)
    who = people[person]
    if person in rule.allowed:
        rule.do(scene, who)
        assert rule.done(scene, who)
    else:
        assert_refused(scene.pact, lambda: rule.do(scene, who), error=PermissionDenied)


def test_a_resident_of_another_building_cannot_amend_a_buildings_pact(
    staff, building, council, owners
):
    pact = pacts.create_pact(
        staff,
        kind=Pact.Kind.HOUSE_RULES,
        title="3号楼楼规",
        place=building,
        committee=council,
        articles=ARTICLES,
    )
    pacts.open_amendments(staff, pact, closes_at=soon(), summary="初稿")
    neighbour = verified_member(DwellingFactory(building__compound=building.compound))
    assert_refused(
        pact,
        lambda: pacts.propose_amendment(
            neighbour, pact, article_key=1, kind="delete", rationale="不需要"
        ),
        error=PermissionDenied,
        match="verified residents of this pact's scope",
    )
    assert not Amendment.objects.exists()


def test_only_its_author_withdraws_an_amendment_and_only_before_it_is_decided(scene):
    scene.to(AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.withdraw_amendment(scene.owners[0], scene.round),
        error=PermissionDenied,
        match="Only its author",
    )
    decided = scene.propose(scene.owners[0], key=1)
    scene.accept(decided)
    assert_refused(
        scene.pact,
        lambda: pacts.withdraw_amendment(scene.owners[0], decided),
        match="not yet decided",
    )
    pacts.withdraw_amendment(scene.owners[5], scene.round)
    scene.round.refresh_from_db()
    assert scene.round.state == Amendment.State.WITHDRAWN and scene.round.decided_at


def test_only_the_committee_hides_a_comment_with_a_reason_and_only_once(scene):
    scene.to(AMENDING)
    comment = pacts.comment_on_amendment(scene.owners[0], scene.round, "广告：出售车位")
    for who in (scene.owners[1], scene.tenant, UserFactory()):
        assert_refused(
            scene.pact,
            lambda who=who: pacts.hide_comment(who, comment, "广告"),
            error=PermissionDenied,
        )
    assert_refused(
        scene.pact, lambda: pacts.hide_comment(scene.member, comment, "  "), match="public reason"
    )
    pacts.hide_comment(scene.member, comment, "广告")
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_reason == "广告"
    assert comment.hidden_by == scene.member
    assert_refused(
        scene.pact,
        lambda: pacts.hide_comment(scene.staff, comment, "重复"),
        match="hidden already",
    )


# ---------------------------------------------------------------------------- bad input

LONG = "字" * 2001


def _create(staff, building, council, **changes):
    fields = {
        "kind": Pact.Kind.HOUSE_RULES,
        "title": "幸福里小区家规",
        "place": building.compound,
        "committee": council,
        "articles": ARTICLES,
    } | changes
    return pacts.create_pact(staff, **fields)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "constitution"}, "Choose the kind of pact"),
        ({"title": " <b></b> "}, "Give the pact a title"),
        ({"title": "家" * 101}, "A title has at most 100 characters"),
        ({"summary": "字" * 2001}, "The summary has at most 2000 characters"),
        ({"preamble": "字" * 5001}, "The preamble has at most 5000 characters"),
        ({"articles": []}, "A pact needs at least one article"),
        ({"articles": [ARTICLES[0], ArticleInput("  ")]}, "Article 2: Write the article's text"),
        ({"articles": [ArticleInput(LONG)]}, "Article 1: An article has at most 2000"),
        ({"articles": [ArticleInput("文", heading="题" * 41)]}, "A heading has at most 40"),
        ({"articles": [ArticleInput("文", chapter="章" * 61)]}, "A chapter's title has at most 60"),
        ({"articles": [ArticleInput("文")] * 301}, "A pact has at most 300 articles"),
    ],
)
def test_a_pact_with_bad_input_is_not_created(staff, building, council, changes, message):
    with pytest.raises(ValidationError, match=message):
        _create(staff, building, council, **changes)
    assert not Pact.objects.exists() and not TraceEntry.objects.filter(action="pact.created")


def test_a_pact_needs_a_drafting_committee_that_takes_in_its_whole_scope(
    staff, building, community
):
    other_compound = CouncilFactory(
        community=community, compound=BuildingFactory(compound__community=community).compound
    )
    with pytest.raises(ValidationError, match="takes in the whole scope"):
        _create(staff, building, other_compound)
    assert not Pact.objects.exists()


def test_only_a_seat_that_runs_pacts_in_the_place_starts_one(
    building, council, owners, other_community
):
    for who in (owners[0], staff_of(other_community, "owners_committee")):
        with pytest.raises(PermissionDenied, match="starts pacts in this place"):
            _create(who, building, council)
    assert not Pact.objects.exists()


def test_a_pact_is_created_with_its_first_working_draft_and_a_trace_entry(pact, staff):
    draft = pacts.working_draft(pact)
    assert (pact.state, draft.number, draft.is_published) == (DRAFTING, 1, False)
    assert list(draft.articles.values_list("position", "key", "heading", "chapter")) == [
        (1, 1, "养犬", CH1),
        (2, 2, "停车", CH1),
        (3, 3, "垃圾分类", CH2),
    ]
    entry = TraceEntry.objects.get(action="pact.created")
    assert (entry.object_id, entry.actor) == (str(pact.pk), staff)


DRAFT_EDITS = {
    "edit: empty": (
        lambda s: pacts.edit_article(s.member, s.pact, 1, ArticleInput(" <p></p> ")),
        "Write the article's text",
    ),
    "edit: too long": (
        lambda s: pacts.edit_article(s.member, s.pact, 1, ArticleInput(LONG)),
        "An article has at most 2000 characters",
    ),
    "edit: long heading": (
        lambda s: pacts.edit_article(s.member, s.pact, 1, ArticleInput("文", heading="题" * 41)),
        "A heading has at most 40",
    ),
    "edit: unknown article": (
        lambda s: pacts.edit_article(s.member, s.pact, 99, ArticleInput("文")),
        "The working draft has no such article",
    ),
    "add: after an unknown article": (
        lambda s: pacts.add_article(s.member, s.pact, ArticleInput("文"), after_key=99),
        "The working draft has no such article",
    ),
    "add: empty": (
        lambda s: pacts.add_article(s.member, s.pact, ArticleInput(""), after_key=1),
        "Write the article's text",
    ),
    "delete: unknown article": (
        lambda s: pacts.delete_article(s.member, s.pact, 99),
        "The working draft has no such article",
    ),
    "preamble: too long": (
        lambda s: pacts.set_preamble(s.member, s.pact, "字" * 5001),
        "The preamble has at most 5000",
    ),
}


@pytest.mark.parametrize("case", DRAFT_EDITS)
def test_a_bad_edit_of_the_working_draft_is_refused_and_changes_nothing(scene, case):
    do, message = DRAFT_EDITS[case]
    assert_refused(scene.pact, lambda: do(scene), match=message)


def test_the_last_article_cannot_be_deleted(scene):
    pacts.delete_article(scene.member, scene.pact, 1)
    pacts.delete_article(scene.member, scene.pact, 2)
    assert_refused(
        scene.pact,
        lambda: pacts.delete_article(scene.member, scene.pact, 3),
        match="at least one article",
    )


@pytest.mark.parametrize(
    ("closes_at", "summary", "message"),
    [
        (None, "初稿", "close at a time still to come"),
        (timedelta(minutes=-1), "初稿", "close at a time still to come"),
        (timedelta(days=7), "  ", "Say in a few words what changed"),
        (timedelta(days=7), "字" * 2001, "summary of changes has at most 2000"),
    ],
)
def test_amendments_need_a_deadline_to_come_and_a_summary_of_changes(
    scene, closes_at, summary, message
):
    when = None if closes_at is None else timezone.now() + closes_at
    assert_refused(
        scene.pact,
        lambda: pacts.open_amendments(scene.member, scene.pact, closes_at=when, summary=summary),
        match=message,
    )


PROPOSALS = {
    "unknown kind": ({"kind": "move"}, "Choose what the amendment does"),
    "no rationale": ({"rationale": " "}, "Say why you propose this amendment"),
    "rationale too long": ({"rationale": LONG}, "The rationale has at most 2000"),
    "replacement empty": ({"text": "<br>"}, "Write the article's text"),
    "insertion empty": ({"kind": "insert_after", "text": ""}, "Write the article's text"),
    "text too long": ({"text": LONG}, "An article has at most 2000"),
    "heading too long": ({"heading": "题" * 41}, "A heading has at most 40"),
    "unknown article": ({"key": 99}, "The published version has no such article"),
    "same text": ({"text": " 车辆按位停放，不占消防通道。 "}, "same as the article's"),
    "same text and heading": (
        {"text": "车辆按位停放，不占消防通道。", "heading": "停车"},
        "same as the article's",
    ),
}


@pytest.mark.parametrize("case", PROPOSALS)
def test_a_bad_amendment_is_refused_and_changes_nothing(scene, case):
    changes, message = PROPOSALS[case]
    scene.open()
    assert_refused(scene.pact, lambda: scene.propose(scene.owners[0], **changes), match=message)


def test_an_amendment_to_an_article_only_the_working_draft_has_is_refused(scene):
    scene.to(AMENDING)
    insertion = scene.propose(scene.owners[0], key=1, kind="insert_after", text="遛狗清理粪便。")
    scene.accept(insertion)
    insertion.refresh_from_db()
    assert insertion.inserted_key == 4
    assert_refused(
        scene.pact,
        lambda: scene.propose(scene.owners[1], key=4, kind="delete"),
        match="The published version has no such article",
    )


def test_a_new_heading_alone_is_a_real_replacement(scene):
    scene.open()
    amendment = scene.propose(scene.owners[0], text="车辆按位停放，不占消防通道。", heading="车辆")
    assert (amendment.text, amendment.heading) == ("车辆按位停放，不占消防通道。", "车辆")


def test_the_sixth_amendment_in_an_hour_is_refused(scene, clock):
    scene.open()
    for n in range(5):
        scene.propose(scene.owners[0], text=f"第{n}稿。")
    assert_refused(
        scene.pact,
        lambda: scene.propose(scene.owners[0], text="第六稿。"),
        match="You are doing this too often",
    )
    scene.propose(scene.owners[1], text="另一位业主的修正案。")
    assert scene.pact.amendments.filter(author=scene.owners[0]).count() == 5


def test_an_unknown_side_is_refused(scene):
    scene.to(AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.take_position(scene.owners[0], scene.round, "abstain"),
        match="Choose to support or to oppose",
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [(" <i></i>", "Write a comment"), ("评" * 1001, "A comment has at most 1000")],
)
def test_a_bad_comment_is_refused(scene, text, message):
    scene.to(AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.comment_on_amendment(scene.owners[0], scene.round, text),
        match=message,
    )


@pytest.mark.parametrize(
    ("accept", "reason", "message"),
    [
        (False, "", "Give the public reason for rejecting"),
        (False, " <b> </b>", "Give the public reason for rejecting"),
        (False, "理" * 501, "A reason has at most 500"),
        (True, "理" * 501, "A reason has at most 500"),
    ],
)
def test_a_decision_with_a_bad_reason_is_refused(scene, accept, reason, message):
    scene.to(AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.decide_amendment(scene.member, scene.round, accept=accept, reason=reason),
        match=message,
    )


def test_an_acceptance_needs_no_reason_and_a_rejection_keeps_its_reason(scene):
    scene.to(AMENDING)
    other = scene.propose(scene.owners[0], key=1, kind="delete")
    pacts.decide_amendment(scene.member, scene.round, accept=True)
    pacts.decide_amendment(scene.member, other, accept=False, reason="养犬须有规定")
    scene.round.refresh_from_db()
    other.refresh_from_db()
    assert (scene.round.state, scene.round.decision_reason) == (Amendment.State.ACCEPTED, "")
    assert (other.state, other.decision_reason) == (Amendment.State.REJECTED, "养犬须有规定")


def test_an_amendment_is_decided_only_once(scene):
    scene.to(AMENDING)
    scene.accept(scene.round)
    assert_refused(
        scene.pact,
        lambda: pacts.decide_amendment(scene.member, scene.round, accept=False, reason="改主意"),
        match="decided already",
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": ""}, "Write the article's text"),
        ({"text": LONG}, "An article has at most 2000"),
        ({"text": "车辆按位停放。", "note": "注" * 501}, "A note has at most 500"),
    ],
)
def test_a_bad_reconciliation_is_refused(scene, changes, message):
    scene.clash_on_2()
    assert_refused(
        scene.pact, lambda: pacts.reconcile(scene.member, scene.pact, 2, **changes), match=message
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"summary": ""}, "Say in a few words what changed"),
        ({"closes_at": timedelta(minutes=-1)}, "close at a time still to come"),
    ],
)
def test_a_vote_needs_a_summary_of_changes_and_a_closing_time_to_come(scene, changes, message):
    scene.ready_to_vote()
    fields = {"summary": "付诸表决"} | changes
    if "closes_at" in fields:
        fields["closes_at"] = timezone.now() + fields["closes_at"]
    assert_refused(
        scene.pact, lambda: pacts.start_vote(scene.staff, scene.pact, **fields), match=message
    )


# ---------------------------------------------------------------------------- numbering


def chapters(version) -> list[str]:
    return list(version.articles.order_by("position").values_list("chapter", flat=True))


def test_an_article_added_at_the_start_is_number_one_in_the_first_chapter(scene):
    added = pacts.add_article(scene.member, scene.pact, ArticleInput("总则。"), after_key=None)
    draft = pacts.working_draft(scene.pact)
    assert keys(draft) == [4, 1, 2, 3]
    assert (added.key, added.position, added.chapter) == (4, 1, CH1)


def test_an_article_added_with_its_own_chapter_keeps_it(scene):
    pacts.add_article(scene.member, scene.pact, ArticleInput("附则。", chapter="附则"), after_key=3)
    assert chapters(pacts.working_draft(scene.pact)) == [CH1, CH1, CH2, "附则"]


@pytest.mark.parametrize(
    ("after", "order", "chapter"),
    [(1, [1, 4, 2, 3], CH1), (2, [1, 2, 4, 3], CH1), (3, [1, 2, 3, 4], CH2)],
)
def test_an_accepted_insertion_is_numbered_in_place_and_joins_the_chapter_it_follows(
    scene, after, order, chapter
):
    scene.to(AMENDING)
    insertion = scene.propose(scene.owners[0], key=after, kind="insert_after", text="新条文。")
    scene.accept(insertion)
    draft = pacts.working_draft(scene.pact)
    assert keys(draft) == order
    assert draft.articles.get(key=4).chapter == chapter
    insertion.refresh_from_db()
    assert insertion.inserted_key == 4


def test_two_insertions_after_one_article_follow_the_order_they_were_accepted_in(scene):
    scene.to(AMENDING)
    first_proposed = scene.propose(scene.owners[0], key=1, kind="insert_after", text="甲。")
    second_proposed = scene.propose(scene.owners[1], key=1, kind="insert_after", text="乙。")
    scene.accept(second_proposed, first_proposed)
    draft = pacts.working_draft(scene.pact)
    assert [text for _n, _key, text in texts(draft)][:3] == [ARTICLES[0].text, "乙。", "甲。"]
    assert keys(draft) == [1, 4, 5, 2, 3]


def test_deletions_renumber_the_articles_and_keep_their_identities(scene):
    scene.to(AMENDING)
    scene.accept(scene.propose(scene.owners[0], key=1, kind="delete"))
    scene.consolidate()
    pacts.delete_article(scene.member, scene.pact, 3)
    draft = pacts.working_draft(scene.pact)
    assert texts(draft) == [(1, 2, ARTICLES[1].text)]


def test_an_insertion_after_a_deleted_article_follows_the_nearest_article_before_it(scene):
    scene.to(AMENDING)
    deletion = scene.propose(scene.owners[0], key=2, kind="delete")
    insertion = scene.propose(scene.owners[1], key=2, kind="insert_after", text="乙后。")
    scene.accept(deletion, insertion)
    draft = pacts.working_draft(scene.pact)
    assert keys(draft) == [1, 4, 3]
    assert chapters(draft) == [CH1, CH1, CH2]


def test_an_insertion_after_a_deleted_article_stays_in_that_articles_chapter(scene):
    scene.to(AMENDING)
    deletion = scene.propose(scene.owners[0], key=3, kind="delete")
    insertion = scene.propose(scene.owners[1], key=3, kind="insert_after", text="分类新规。")
    scene.accept(deletion, insertion)
    draft = pacts.working_draft(scene.pact)
    assert keys(draft) == [1, 2, 4]
    assert chapters(draft) == [CH1, CH1, CH2]


def test_insertions_keep_the_order_of_the_articles_they_follow_around_a_deleted_one(scene):
    scene.to(AMENDING)
    after_deleted = scene.propose(scene.owners[0], key=2, kind="insert_after", text="乙后。")
    after_first = scene.propose(scene.owners[1], key=1, kind="insert_after", text="甲后。")
    deletion = scene.propose(scene.owners[2], key=2, kind="delete")
    scene.accept(deletion, after_deleted, after_first)
    draft = pacts.working_draft(scene.pact)
    assert [text for _n, _key, text in texts(draft)] == [
        "养犬应当办理登记，出户牵绳。",
        "甲后。",
        "乙后。",
        ARTICLES[2].text,
    ]


def test_an_insertion_after_the_first_article_deleted_goes_to_the_start(scene):
    scene.to(AMENDING)
    deletion = scene.propose(scene.owners[0], key=1, kind="delete")
    insertion = scene.propose(scene.owners[1], key=1, kind="insert_after", text="首条。")
    scene.accept(deletion, insertion)
    draft = pacts.working_draft(scene.pact)
    assert keys(draft) == [4, 2, 3]
    assert chapters(draft) == [CH1, CH1, CH2]


# ---------------------------------------------------------------------------- reconciliation


def test_two_accepted_replacements_of_one_article_must_be_reconciled(scene):
    first, second = scene.clash_on_2()
    first.refresh_from_db()
    second.refresh_from_db()
    draft = pacts.working_draft(scene.pact)
    # the first entered the draft; the second waits for the committee's text
    assert draft.articles.get(key=2).text == first.text
    assert (first.merged_into, second.merged_into) == (draft, None)
    assert pacts.clashing_keys(scene.pact) == {2}
    event = PactEvent.objects.filter(pact=scene.pact, type="amendment.decided").last()
    assert event.data["clash"] is True

    reconciliation = pacts.reconcile(
        scene.member, scene.pact, 2, text="车辆停放在划线车位内，不得占用消防通道。", note="合并"
    )
    assert pacts.clashing_keys(scene.pact) == set()
    assert draft.articles.get(key=2).text == "车辆停放在划线车位内，不得占用消防通道。"
    assert set(reconciliation.amendments.all()) == {first, second}
    assert (reconciliation.version, reconciliation.by, reconciliation.note) == (
        draft,
        scene.member,
        "合并",
    )
    assert set(Amendment.objects.filter(merged_into=draft)) == {first, second}


def test_a_replacement_and_a_deletion_of_one_article_must_be_reconciled(scene):
    scene.to(AMENDING)
    deletion = scene.propose(scene.owners[0], kind="delete")
    scene.accept(scene.round, deletion)
    assert pacts.clashing_keys(scene.pact) == {2}
    draft = pacts.working_draft(scene.pact)
    assert draft.articles.get(key=2).text == scene.round.text  # the deletion is not applied
    pacts.reconcile(scene.member, scene.pact, 2, text="车辆按位停放。")
    assert texts(draft)[1] == (2, 2, "车辆按位停放。")


def test_two_deletions_of_one_article_are_reconciled_by_deleting_it(scene):
    scene.to(AMENDING)
    one = scene.propose(scene.owners[0], kind="delete")
    two = scene.propose(scene.owners[1], kind="delete", rationale="重复规定")
    scene.accept(one, two)
    assert pacts.clashing_keys(scene.pact) == {2}
    reconciliation = pacts.reconcile(scene.member, scene.pact, 2, deleted=True)
    assert reconciliation.deleted and reconciliation.text == ""
    assert keys(pacts.working_draft(scene.pact)) == [1, 3]
    assert pacts.clashing_keys(scene.pact) == set()


def test_reconciling_a_replaced_article_as_deleted_takes_it_out(scene):
    scene.clash_on_2()
    pacts.reconcile(scene.member, scene.pact, 2, deleted=True, text="不用的文字")
    assert keys(pacts.working_draft(scene.pact)) == [1, 3]


def test_a_deleted_article_reconciled_with_a_text_comes_back_in_its_place(scene):
    scene.to(AMENDING)
    deletion = scene.propose(scene.owners[0], kind="delete")
    after_first = scene.propose(scene.owners[1], key=1, kind="insert_after", text="甲后。")
    after_second = scene.propose(scene.owners[2], key=2, kind="insert_after", text="乙后。")
    scene.accept(deletion, after_first, after_second, scene.round)
    assert pacts.clashing_keys(scene.pact) == {2}
    pacts.reconcile(scene.member, scene.pact, 2, text="车辆按位停放。")
    draft = pacts.working_draft(scene.pact)
    assert [text for _n, _key, text in texts(draft)] == [
        ARTICLES[0].text,
        "甲后。",
        "车辆按位停放。",
        "乙后。",
        ARTICLES[2].text,
    ]
    restored = draft.articles.get(text="车辆按位停放。")
    assert (restored.key, restored.chapter, restored.heading) == (2, CH1, "停车")


def test_a_third_accepted_change_after_reconciling_reopens_the_clash(scene):
    scene.clash_on_2()
    pacts.reconcile(scene.member, scene.pact, 2, text="车辆按位停放。")
    third = scene.propose(scene.owners[3], kind="delete")
    scene.accept(third)
    assert pacts.clashing_keys(scene.pact) == {2}
    reconciliation = pacts.reconcile(scene.member, scene.pact, 2, text="车辆按位停放，有序进出。")
    assert reconciliation.amendments.count() == 3
    assert Reconciliation.objects.filter(version__pact=scene.pact).count() == 1


def test_reconciling_an_article_no_clash_touches_is_refused(scene):
    scene.to(AMENDING)
    scene.accept(scene.round)
    for key in (1, 2):
        assert_refused(
            scene.pact,
            lambda key=key: pacts.reconcile(scene.member, scene.pact, key, text="文"),
            match="No accepted amendments clash on this article",
        )


def test_an_accepted_change_of_an_article_the_committee_rewrote_must_be_reconciled(scene):
    scene.to(CONSOLIDATING)
    pacts.edit_article(scene.member, scene.pact, 2, ArticleInput("车辆停放须经物业登记。"))
    scene.accept(scene.round)
    draft = pacts.working_draft(scene.pact)
    assert draft.articles.get(key=2).text == "车辆停放须经物业登记。"
    assert pacts.clashing_keys(scene.pact) == {2}
    pacts.reconcile(scene.member, scene.pact, 2, text="车辆停放在划线车位内，并经物业登记。")
    assert pacts.clashing_keys(scene.pact) == set()
    assert draft.articles.get(key=2).text == "车辆停放在划线车位内，并经物业登记。"
    scene.round.refresh_from_db()
    assert scene.round.merged_into == draft


def test_an_insertion_and_a_replacement_of_one_article_do_not_clash(scene):
    scene.to(AMENDING)
    insertion = scene.propose(scene.owners[0], kind="insert_after", text="电动车不进楼道。")
    scene.accept(insertion, scene.round)
    assert pacts.clashing_keys(scene.pact) == set()
    assert texts(pacts.working_draft(scene.pact))[1:3] == [
        (2, 2, scene.round.text),
        (3, 4, "电动车不进楼道。"),
    ]


def test_no_version_is_published_while_a_clash_remains(scene):
    scene.clash_on_2()
    scene.consolidate()
    for publish in (scene.open, scene.start_vote):
        assert_refused(scene.pact, publish, match="must be reconciled first: 第二条")
    pacts.reconcile(scene.member, scene.pact, 2, text="车辆按位停放。")
    version = scene.start_vote()
    assert texts(version)[1] == (2, 2, "车辆按位停放。")


def test_no_version_is_published_while_an_amendment_waits_for_a_decision(scene):
    scene.to(CONSOLIDATING)
    for publish in (scene.open, scene.start_vote):
        assert_refused(scene.pact, publish, match="1 amendment is still waiting")
    scene.accept(scene.round)
    assert scene.open().number == 2


def test_a_clash_on_an_article_both_deleted_names_its_published_number(scene):
    scene.open()
    scene.accept(scene.propose(scene.owners[0], key=3, kind="delete"))
    scene.accept(scene.propose(scene.owners[1], key=3, kind="delete", rationale="没必要"))
    scene.consolidate()
    assert_refused(scene.pact, scene.start_vote, match="reconciled first: 第三条")


def test_reconciling_back_to_the_published_text_still_puts_a_new_version_to_the_vote(scene):
    first, second = scene.clash_on_2()
    pacts.reconcile(scene.member, scene.pact, 2, text=ARTICLES[1].text, heading="停车")
    scene.consolidate()
    version = scene.start_vote()
    assert version.number == 2 and version.poll is not None
    assert set(Amendment.objects.filter(merged_into=version)) == {first, second}


def test_accepting_a_replacement_of_an_article_the_committee_deleted_is_refused(scene):
    scene.to(CONSOLIDATING)
    pacts.delete_article(scene.member, scene.pact, 2)
    assert_refused(
        scene.pact,
        lambda: scene.accept(scene.round),
        match="The working draft no longer has this article",
    )
    pacts.decide_amendment(scene.member, scene.round, accept=False, reason="条文已删去")


def test_a_change_accepted_in_an_earlier_round_does_not_clash_with_one_of_this_round(scene):
    scene.to(AMENDING)
    scene.accept(scene.round)
    scene.consolidate()
    v2 = scene.open()
    later = scene.propose(scene.owners[0], text="车辆停放在划线车位内，夜间不鸣笛。")
    assert later.version == v2
    scene.accept(later)
    assert pacts.clashing_keys(scene.pact) == set()
    assert pacts.working_draft(scene.pact).articles.get(key=2).text == later.text


# ---------------------------------------------------------------------------- positions


def positions(amendment) -> tuple[int, int]:
    amendment.refresh_from_db()
    sides = AmendmentPosition.objects.filter(amendment=amendment)
    stored = (sides.filter(side="support").count(), sides.filter(side="oppose").count())
    assert stored == (amendment.supporters, amendment.opponents)
    return stored


def test_each_person_takes_one_position_and_may_change_or_take_it_back(scene):
    scene.to(AMENDING)
    owner = scene.owners[0]
    pacts.take_position(owner, scene.round, "support")
    unchanged = snapshot(scene.pact)
    pacts.take_position(owner, scene.round, "support")  # the same again changes nothing
    assert snapshot(scene.pact) == unchanged
    assert positions(scene.round) == (1, 0)
    pacts.take_position(owner, scene.round, "oppose")
    assert positions(scene.round) == (0, 1)
    pacts.take_position(owner, scene.round, None)
    assert positions(scene.round) == (0, 0)
    assert not AmendmentPosition.objects.filter(user=owner).exists()


def test_counts_add_up_the_positions_of_many(scene):
    scene.to(AMENDING)
    sides = ["support", "support", "oppose", "support", "oppose"]
    for person, side in zip([*scene.owners[:4], scene.tenant], sides, strict=True):
        pacts.take_position(person, scene.round, side)
    pacts.take_position(scene.member, scene.round, "support")
    assert positions(scene.round) == (4, 2)
    event = PactEvent.objects.filter(pact=scene.pact, type="amendment.counts").last()
    assert (event.data["supporters"], event.data["opponents"]) == (4, 2)


def test_the_author_takes_no_position_on_their_own_amendment(scene):
    scene.to(AMENDING)
    assert_refused(
        scene.pact,
        lambda: pacts.take_position(scene.owners[5], scene.round, "support"),
        match="You proposed this amendment",
    )


def test_positions_are_refused_once_the_amendment_is_decided(scene):
    scene.to(AMENDING)
    pacts.take_position(scene.owners[0], scene.round, "support")
    scene.accept(scene.round)
    for side in ("oppose", None):
        assert_refused(
            scene.pact,
            lambda side=side: pacts.take_position(scene.owners[0], scene.round, side),
            match="decided already",
        )
    assert positions(scene.round) == (1, 0)


def test_positions_are_refused_once_amendments_close(scene):
    scene.to(AMENDING)
    pacts.take_position(scene.owners[0], scene.round, "support")
    scene.consolidate()
    assert_refused(
        scene.pact,
        lambda: pacts.take_position(scene.owners[0], scene.round, None),
        match=NOT_AMENDING,
    )
    assert positions(scene.round) == (1, 0)


# ---------------------------------------------------------------------------- versions


def published(pact) -> list:
    return list(
        Article.objects.filter(version__pact=pact, version__published_at__isnull=False)
        .order_by("version__number", "position")
        .values_list("version__number", "key", "position", "chapter", "heading", "text")
    )


def test_a_published_version_never_changes_when_the_working_draft_does(scene):
    v1 = scene.open()
    before = published(scene.pact)
    preamble = v1.preamble
    scene.round = scene.propose(scene.owners[5])
    scene.accept(scene.round, scene.propose(scene.owners[0], key=1, kind="insert_after", text="新"))
    scene.consolidate()
    pacts.edit_article(scene.member, scene.pact, 1, ArticleInput("养犬须登记。"))
    pacts.add_article(scene.member, scene.pact, ArticleInput("附则。"), after_key=3)
    pacts.delete_article(scene.member, scene.pact, 3)
    pacts.set_preamble(scene.member, scene.pact, "为了共同的家园。")
    assert published(scene.pact) == before
    v1.refresh_from_db()
    assert v1.preamble == preamble
    draft = pacts.working_draft(scene.pact)
    assert (draft.number, draft.based_on, draft.preamble) == (2, v1, "为了共同的家园。")
    assert keys(draft) == [1, 4, 2, 5]


def test_versions_are_numbered_in_order_each_with_its_summary_and_publisher(scene):
    v1 = scene.open()
    scene.round = scene.propose(scene.owners[5])
    scene.accept(scene.round)
    scene.consolidate()
    v2 = scene.start_vote(summary="第二条改为划线停车")
    rows = list(
        PactVersion.objects.filter(pact=scene.pact).values_list(
            "number", "change_summary", "published_by", "based_on"
        )
    )
    assert rows == [
        (1, "征求意见稿", scene.member.pk, None),
        (2, "第二条改为划线停车", scene.staff.pk, v1.pk),
    ]
    assert v1.published_at <= v2.published_at
    assert not PactVersion.objects.filter(pact=scene.pact, published_at=None).exists()


def test_an_unchanged_draft_goes_to_the_vote_as_the_version_already_published(scene):
    v1 = scene.open()
    scene.consolidate()
    version = scene.start_vote(summary="")
    assert version == v1 and version.poll is not None
    assert PactVersion.objects.filter(pact=scene.pact).count() == 1


def test_each_amendments_fate_is_recorded_with_the_version_it_entered(scene):
    scene.to(AMENDING)
    rejected = scene.propose(scene.owners[0], key=1, kind="delete")
    withdrawn = scene.propose(scene.owners[1], key=3, kind="delete")
    pacts.decide_amendment(scene.member, rejected, accept=False, reason="养犬须有规定")
    pacts.withdraw_amendment(scene.owners[1], withdrawn)
    scene.accept(scene.round)
    scene.consolidate()
    v2 = scene.start_vote()
    fates = {
        a.pk: (a.state, a.merged_into_id, a.decided_by_id, a.decision_reason, bool(a.decided_at))
        for a in scene.pact.amendments.all()
    }
    assert fates == {
        scene.round.pk: (Amendment.State.ACCEPTED, v2.pk, scene.member.pk, "", True),
        rejected.pk: (Amendment.State.REJECTED, None, scene.member.pk, "养犬须有规定", True),
        withdrawn.pk: (Amendment.State.WITHDRAWN, None, None, "", True),
    }


# ---------------------------------------------------------------------------- adoption


@pytest.fixture
def adoptions():
    """The (pact, version) of each pact_adopted signal sent during the test."""
    sent = []

    def receive(sender, pact, version, **kwargs):
        sent.append((pact.pk, version.pk))

    signals.pact_adopted.connect(receive, weak=False)
    yield sent
    signals.pact_adopted.disconnect(receive)


def test_a_passing_vote_adopts_the_version_and_announces_it_once(scene, adoptions):
    scene.to(VOTING)
    version = scene.voted
    scene.vote(version, yes=4, no=1)
    pact = scene.refresh()
    version.refresh_from_db()
    assert (pact.state, pact.in_force) == (ADOPTED, version)
    assert version.adopted_at is not None and version.superseded_at is None
    assert version.poll.state == Poll.State.CLOSED
    assert adoptions == [(pact.pk, version.pk)]
    entry = TraceEntry.objects.get(action="pact.adopted")
    assert (entry.object_id, entry.actor, entry.after["version"]) == (
        str(pact.pk),
        scene.staff,
        version.number,
    )
    event = PactEvent.objects.filter(pact=pact).last()
    assert (event.type, event.data["passed"]) == ("vote.closed", True)


def test_a_failed_vote_returns_the_draft_to_consolidation_with_the_result_attached(
    scene, adoptions
):
    scene.to(VOTING)
    version = scene.voted
    scene.vote(version, yes=2, no=3)
    pact = scene.refresh()
    version.refresh_from_db()
    assert (pact.state, pact.in_force, version.adopted_at) == (CONSOLIDATING, None, None)
    draft = pacts.working_draft(pact)
    assert (draft.number, draft.based_on) == (version.number + 1, version)
    assert [(k, t) for _n, k, t in texts(draft)] == [(k, t) for _n, k, t in texts(version)]
    assert version.poll.state == Poll.State.CLOSED
    assert version.poll.result.data["questions"][0]["decision"]["passed"] is False
    assert adoptions == []
    assert TraceEntry.objects.filter(action="pact.vote_failed").count() == 1


def test_a_second_vote_after_a_failed_one_adopts_a_new_version(scene, adoptions):
    scene.to(VOTING)
    failed = scene.voted
    scene.vote(failed, no=5)
    assert_refused(scene.pact, lambda: scene.start_vote(summary=""), match="what changed")
    second = scene.start_vote(summary="再次表决")
    assert second.number == failed.number + 1 and second.poll != failed.poll
    scene.vote(second, yes=5)
    pact = scene.refresh()
    assert (pact.state, pact.in_force) == (ADOPTED, second)
    failed.refresh_from_db()
    assert failed.adopted_at is None
    assert adoptions == [(pact.pk, second.pk)]


def test_adopting_a_revision_supersedes_the_text_in_force(scene, adoptions):
    scene.to(ADOPTED)
    first = scene.voted
    draft = pacts.start_revision(scene.member, scene.pact)
    pact = scene.refresh()
    assert (pact.state, pact.in_force, pact.amendments_close_at) == (DRAFTING, first, None)
    assert (draft.number, draft.based_on, draft.is_published) == (first.number + 1, first, False)
    assert [(k, t) for _n, k, t in texts(draft)] == [(k, t) for _n, k, t in texts(first)]

    pacts.edit_article(scene.member, scene.pact, 3, ArticleInput("垃圾分类投放，每日两次。"))
    scene.open()
    scene.consolidate()
    revised = scene.start_vote()
    first.refresh_from_db()
    assert scene.refresh().in_force == first and first.superseded_at is None
    scene.vote(revised, yes=5)
    first.refresh_from_db()
    revised.refresh_from_db()
    pact = scene.refresh()
    assert (pact.state, pact.in_force) == (ADOPTED, revised)
    assert first.superseded_at is not None and revised.superseded_at is None
    assert revised.articles.get(key=3).text == "垃圾分类投放，每日两次。"
    assert adoptions == [(pact.pk, first.pk), (pact.pk, revised.pk)]


@pytest.mark.parametrize(
    ("kind", "electorate", "rule", "secrecy"),
    [
        (Pact.Kind.RESIDENT_PACT, "households", "residents_assembly", Poll.Secrecy.NAMED),
        (Pact.Kind.HOUSE_RULES, "owners", "owners_ordinary", Poll.Secrecy.PUBLIC),
        (Pact.Kind.MANAGEMENT_RULES, "owners", "owners_ordinary", Poll.Secrecy.PUBLIC),
    ],
)
def test_the_adoption_vote_follows_the_rule_set_and_voters_of_the_pacts_kind(
    scene, building, kind, electorate, rule, secrecy
):
    scene.to(VOTING)
    poll = Poll.objects.get(pact_version=scene.voted)
    assert poll.electorate == f"{electorate}:compound:{building.compound.pk}"
    assert (poll.rule_name, poll.secrecy, poll.state) == (rule, secrecy, Poll.State.OPEN)
    assert poll.roll.entries.count() == 6  # six flats: six owners, or six households
    scene.vote(scene.voted, yes=4)
    assert scene.refresh().state == ADOPTED
    assert poll.result.data["rule"]["name"] == rule


def test_a_vote_closed_by_the_clock_settles_the_pact_with_no_one_acting(scene, adoptions):
    scene.ready_to_vote()
    closes = timezone.now() + timedelta(days=3)
    version = pacts.start_vote(scene.staff, scene.pact, summary="付诸表决", closes_at=closes)
    poll = version.poll
    question = poll.questions.get()
    yes = question.options.get(code="yes").pk
    for entry in poll.roll.entries.order_by("pk")[:5]:
        poll_services.enter_paper_ballot(scene.staff, poll, entry, {question.pk: yes})
    close_due_polls(closes)
    assert (scene.refresh().state, scene.pact.in_force) == (ADOPTED, version)
    assert TraceEntry.objects.get(action="pact.adopted").actor is None
    assert adoptions == [(scene.pact.pk, version.pk)]


# ---------------------------------------------------------------------------- events and trace


@dataclass(frozen=True)
class Recorded:
    """A step, where it is taken from, who takes it, and the trace entries and events
    it writes, in order."""

    at: object  # a state, or a function that prepares the scene
    do: object
    by: object
    trace: list[str]
    events: list[str]


def _commented(s):
    s.to(AMENDING)
    s.comment = pacts.comment_on_amendment(s.owners[0], s.round, "出售车位，电话……")


MEMBER, OWNER, STAFF = (lambda s: s.member), (lambda s: s.owners[0]), (lambda s: s.staff)
DRAFT_CHANGED = (["pact.draft_changed"], ["draft.changed"])
RECORDS = {
    "edit_article": Recorded(
        DRAFTING,
        lambda s: pacts.edit_article(s.member, s.pact, 1, ArticleInput("养犬须登记。")),
        MEMBER,
        *DRAFT_CHANGED,
    ),
    "add_article": Recorded(
        DRAFTING,
        lambda s: pacts.add_article(s.member, s.pact, ArticleInput("附则。"), after_key=3),
        MEMBER,
        *DRAFT_CHANGED,
    ),
    "delete_article": Recorded(
        DRAFTING, lambda s: pacts.delete_article(s.member, s.pact, 2), MEMBER, *DRAFT_CHANGED
    ),
    "set_preamble": Recorded(
        DRAFTING, lambda s: pacts.set_preamble(s.member, s.pact, "序言。"), MEMBER, *DRAFT_CHANGED
    ),
    "open_amendments": Recorded(
        DRAFTING,
        lambda s: s.open(),
        MEMBER,
        ["pact.version_published", "pact.amendments_opened"],
        ["version.published", "pact.state"],
    ),
    "consolidate": Recorded(
        AMENDING, lambda s: s.consolidate(), MEMBER, ["pact.consolidating"], ["pact.state"]
    ),
    "propose": Recorded(
        AMENDING,
        lambda s: s.propose(s.owners[0], key=1),
        OWNER,
        ["pact.amendment_proposed"],
        ["amendment.proposed"],
    ),
    "withdraw": Recorded(
        AMENDING,
        lambda s: pacts.withdraw_amendment(s.owners[5], s.round),
        lambda s: s.owners[5],
        ["pact.amendment_withdrawn"],
        ["amendment.decided"],
    ),
    "take_position": Recorded(
        AMENDING,
        lambda s: pacts.take_position(s.owners[0], s.round, "support"),
        OWNER,
        ["pact.position_taken"],
        ["amendment.counts"],
    ),
    "comment": Recorded(
        AMENDING,
        lambda s: pacts.comment_on_amendment(s.owners[0], s.round, "赞成"),
        OWNER,
        ["pact.amendment_commented"],
        ["amendment.commented"],
    ),
    "hide_comment": Recorded(
        _commented,
        lambda s: pacts.hide_comment(s.member, s.comment, "广告"),
        MEMBER,
        ["pact.comment_hidden"],
        ["comment.hidden"],
    ),
    "accept": Recorded(
        AMENDING,
        lambda s: s.accept(s.round),
        MEMBER,
        ["pact.amendment_accepted"],
        ["draft.changed", "amendment.decided"],
    ),
    "reject": Recorded(
        AMENDING,
        lambda s: pacts.decide_amendment(s.member, s.round, accept=False, reason="不必要"),
        MEMBER,
        ["pact.amendment_rejected"],
        ["amendment.decided"],
    ),
    "reconcile": Recorded(
        Scene.clash_on_2,
        lambda s: pacts.reconcile(s.member, s.pact, 2, text="车辆按位停放。"),
        MEMBER,
        ["pact.amendments_reconciled"],
        ["draft.changed"],
    ),
    "start_vote": Recorded(
        Scene.ready_to_vote,
        lambda s: s.start_vote(),
        STAFF,
        ["pact.version_published", "pact.vote_started"],
        ["version.published", "pact.state", "vote.started"],
    ),
    "adopt": Recorded(
        VOTING,
        lambda s: s.vote(s.voted, yes=5),
        STAFF,
        ["pact.adopted"],
        ["pact.state", "vote.closed"],
    ),
    "reject_by_vote": Recorded(
        VOTING,
        lambda s: s.vote(s.voted, no=5),
        STAFF,
        ["pact.vote_failed"],
        ["pact.state", "vote.closed"],
    ),
    "start_revision": Recorded(
        ADOPTED,
        lambda s: pacts.start_revision(s.member, s.pact),
        MEMBER,
        ["pact.revision_started"],
        ["pact.state"],
    ),
}


@pytest.mark.parametrize("name", RECORDS)
def test_each_step_writes_its_trace_entries(scene, name):
    step = RECORDS[name]
    scene.reach(step.at)
    last = TraceEntry.objects.aggregate(last=Max("seq"))["last"]
    step.do(scene)
    entries = list(
        TraceEntry.objects.filter(seq__gt=last, action__startswith="pact.").order_by("seq")
    )
    assert [entry.action for entry in entries] == step.trace
    assert {entry.actor for entry in entries} == {step.by(scene)}
    assert all(entry.action in ACTION_LABELS for entry in entries)


@pytest.mark.parametrize("name", RECORDS)
def test_each_step_emits_its_events_numbered_on_from_the_last(scene, name):
    step = RECORDS[name]
    scene.reach(step.at)
    last = scene.refresh().last_seq
    step.do(scene)
    events = list(PactEvent.objects.filter(pact=scene.pact).order_by("seq"))
    assert [event.type for event in events if event.seq > last] == step.events
    assert [event.seq for event in events] == list(range(1, last + len(step.events) + 1))
    assert scene.refresh().last_seq == last + len(step.events)


async def _receive(layer, channel):
    return await asyncio.wait_for(layer.receive(channel), timeout=5)


def test_events_reach_the_pacts_group_once_the_step_commits(
    scene, settings, django_capture_on_commit_callbacks
):
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(scene.pact.group_name, channel)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        scene.open()
    events = list(PactEvent.objects.filter(pact=scene.pact).order_by("seq"))
    assert [event.type for event in events] == ["version.published", "pact.state"]
    assert scene.pact.group_name == f"pact.{scene.pact.pk}"
    for callback in callbacks:
        callback()
    received = [async_to_sync(_receive)(layer, channel) for _event in events]
    assert received == [live.frame(event) for event in events]
    assert [frame["seq"] for frame in received] == [1, 2]


def test_a_refused_step_stores_and_broadcasts_nothing(scene, django_capture_on_commit_callbacks):
    scene.open()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        assert_refused(
            scene.pact, lambda: scene.propose(scene.owners[0], key=99), match="no such article"
        )
        assert_refused(
            scene.pact,
            lambda: pacts.delete_article(scene.owners[0], scene.pact, 1),
            error=PermissionDenied,
        )
    assert callbacks == []


# ---------------------------------------------------------------------------- notifications


def told(action: str) -> set:
    return set(Notification.objects.filter(action=action).values_list("recipient", flat=True))


def ids(*users) -> set[int]:
    return {user.pk for user in users}


def test_residents_of_the_scope_are_told_when_amendments_open(scene, community):
    elsewhere = verified_member(DwellingFactory(building__compound__community=community))
    scene.open()
    # the chair opened them; the owners' committee is not a resident here
    assert told("pact.amendments_opened") == ids(*scene.owners, scene.tenant)
    assert elsewhere.pk not in told("pact.amendments_opened")
    assert set(Notification.objects.values_list("pact", flat=True)) == {scene.pact.pk}


def test_residents_and_the_committee_are_told_when_the_vote_starts(scene):
    scene.ready_to_vote()
    scene.start_vote()
    assert told("pact.vote_started") == ids(*scene.owners, scene.tenant, scene.member)


def test_the_committee_is_told_of_a_new_amendment_and_its_author_of_the_decision(scene):
    scene.to(AMENDING)
    other = scene.propose(scene.owners[0], key=1, kind="delete")
    assert told("pact.amendment_proposed") == ids(scene.member)
    scene.accept(scene.round)
    pacts.decide_amendment(scene.member, other, accept=False, reason="养犬须有规定")
    assert told("pact.amendment_accepted") == ids(scene.owners[5])
    assert told("pact.amendment_rejected") == ids(scene.owners[0])
    rejection = Notification.objects.get(action="pact.amendment_rejected")
    assert "养犬须有规定" in rejection.text and rejection.pact == scene.pact


def test_no_one_is_told_of_their_own_step(scene):
    scene.open()
    own = scene.propose(scene.member, key=1, kind="delete")
    scene.accept(own)
    assert not Notification.objects.filter(recipient=scene.member).exists()
