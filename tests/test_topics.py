"""Topics (议题) through their services: a resident's draft, co-signing into the
committee's queue and the petitions that force a meeting, the committee's steps to a
resolution carried out and evaluated, the discussion and its moderation, following and
notifications, the public timeline read from the trace, and who may do what."""

from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils import translation

from deliberation import electorates, policies, queries, ratelimits, topic_rules, trace
from deliberation.models import (
    CatalogEntry,
    Comment,
    CommentReport,
    Dwelling,
    Evaluation,
    Follow,
    Membership,
    Notification,
    ProgressUpdate,
    Signature,
    Topic,
    TraceEntry,
    User,
)
from deliberation.models.trace import ACTION_LABELS
from deliberation.sanitize import clean_plain
from deliberation.services import people, topics
from polls import services as polls
from polls.models import Poll

from .factories import (
    BuildingFactory,
    CatalogEntryFactory,
    CompoundFactory,
    DwellingFactory,
    MembershipFactory,
    UserFactory,
    staff_of,
    verified_member,
)

pytestmark = pytest.mark.django_db

S = Topic.Status
OWNER, TENANT, FAMILY = Membership.Kind.OWNER, Membership.Kind.TENANT, Membership.Kind.FAMILY
TITLE = "3号楼楼道照明改造"
BODY = "楼道灯经常不亮，老人晚上上下楼不安全，建议换成声控灯。"
NOTE = "3月5日小区居民议事会"
RESOLUTION = "由物业在一个月内更换全部楼道灯，费用从公共收益中支出。"
REASON = "此事已列入街道改造计划。"
PROGRESS = "已更换1至3层楼道灯。"


@pytest.fixture(autouse=True)
def _english():
    """The person acting reads English; what the site writes for everyone (the trace's
    labels, mails) stays in the site's language, zh-hans."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The rate limits' clock, stopped, so no test straddles the end of a window."""
    clock = SimpleNamespace(now=1_000_080_000)
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def compound(community):
    return CompoundFactory(community=community, name="幸福里小区")


@pytest.fixture
def building(compound):
    return BuildingFactory(compound=compound, name="3号楼")


@pytest.fixture
def neighbour_building(compound):
    return BuildingFactory(compound=compound, name="5号楼")


@pytest.fixture
def other_compound(community):
    return CompoundFactory(community=community, name="阳光小区")


@pytest.fixture
def entry(community) -> CatalogEntry:
    return CatalogEntryFactory(community=community, name="公共设施维护", threshold_households=3)


@pytest.fixture
def proposer(building) -> User:
    return neighbour(building, display_name="王阿姨")


@pytest.fixture
def topic(proposer, entry, building) -> Topic:
    """A proposed topic of a building of 20 households: 3 co-signing households put it in
    the queue, 4 force a residents' meeting."""
    DwellingFactory.create_batch(19, building=building)
    return proposed(proposer, entry, building)


def household(building, entrance="1", **fields) -> Dwelling:
    return DwellingFactory(building=building, entrance=entrance, **fields)


def neighbour(building, kind=OWNER, entrance="1", **user) -> User:
    """A verified member of a new household of `building`."""
    return verified_member(household(building, entrance), kind, **user)


def also_member(user, dwelling, kind=OWNER) -> User:
    MembershipFactory(user=user, dwelling=dwelling, kind=kind, status=Membership.Status.VERIFIED)
    if kind == OWNER:
        Dwelling.objects.filter(pk=dwelling.pk).update(owner=user)
    return user


def seat(kind, community, compound=None, **user) -> User:
    person = UserFactory(**user)
    people.grant_role(None, person, kind, community, compound)
    return User.objects.get(pk=person.pk)


def draft(user, entry, place, entrance="", *, title=TITLE, body=BODY) -> Topic:
    return topics.save_draft(
        user,
        catalog_entry=entry,
        scope=topics.scope_key(place, entrance),
        title=title,
        body=body,
    )


def proposed(user, entry, place, entrance="", **text) -> Topic:
    return topics.propose(user, draft(user, entry, place, entrance, **text))


def fresh(topic: Topic) -> Topic:
    return Topic.objects.get(pk=topic.pk)


def step(staff, topic: Topic, status: str) -> Topic:
    """Take the step of the lifecycle that leads to `status`, through its service."""
    services = {
        S.PROPOSED: lambda: topics.propose(topic.proposed_by, topic),
        S.ACCEPTED: lambda: topics.accept(staff, topic),
        S.DECLINED: lambda: topics.decline(staff, topic, REASON),
        S.SCHEDULED: lambda: topics.schedule(staff, topic, note=NOTE),
        S.DELIBERATED: lambda: topics.mark_deliberated(staff, topic),
        S.RESOLVED: lambda: topics.resolve(staff, topic, resolution=RESOLUTION),
        S.IMPLEMENTING: lambda: topics.start_implementation(
            staff,
            topic,
            responsible=Topic.Responsible.PROPERTY_COMPANY,
            responsible_name="安居物业",
        ),
        S.CLOSED: lambda: topics.close(staff, topic),
    }
    return services[status]()


PATH = [S.DRAFT, S.PROPOSED, S.ACCEPTED, S.SCHEDULED, S.DELIBERATED, S.RESOLVED]
PATH += [S.IMPLEMENTING, S.CLOSED]


def walk_to(staff, topic: Topic, status: str) -> Topic:
    """Take a topic along the lifecycle from where it is to `status`, step by step."""
    path = [S.DRAFT, S.PROPOSED, S.DECLINED] if status == S.DECLINED else PATH
    path = path[: path.index(status) + 1]
    for next_status in path[path.index(fresh(topic).status) + 1 :]:
        topic = step(staff, topic, next_status)
    return fresh(topic)


def trace_count() -> int:
    return TraceEntry.objects.count()


def notified(topic: Topic, action: str) -> set[User]:
    return {n.recipient for n in Notification.objects.filter(topic=topic, action=action)}


def refused(call, error=ValidationError) -> str:
    """Run a service expected to refuse; return its message."""
    with pytest.raises(error) as refusal:
        call()
    return refusal.value.messages[0] if error is ValidationError else str(refusal.value)


def snapshot(topic: Topic):
    """A snapshot of a topic and of what its steps write, to compare after a refusal."""
    return (
        Topic.objects.filter(pk=topic.pk).values().first(),
        trace_count(),
        Signature.objects.count(),
        Comment.objects.count(),
        CommentReport.objects.count(),
        Evaluation.objects.count(),
        ProgressUpdate.objects.count(),
        Notification.objects.count(),
        Follow.objects.count(),
    )


def closed_poll(place) -> Poll:
    key = electorates.electorate_key("owners", place)
    poll = polls.create_poll(
        None,
        title="楼道照明改造表决",
        scope_label=str(place),
        electorate=key,
        rule_name="owners_ordinary",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    polls.open_poll(None, poll, electorates.heads(key))
    polls.close_poll(None, poll)
    return Poll.objects.get(pk=poll.pk)


# ---------------------------------------------------------------- the whole lifecycle


def test_a_topic_goes_from_draft_to_evaluated_and_each_public_step_is_on_its_timeline(
    proposer, entry, building, committee, compound, community
):
    DwellingFactory.create_batch(17, building=building)
    first, second = neighbour(building), neighbour(building)
    property_company = seat("property_company", community, compound)

    topic = draft(proposer, entry, building)
    assert (topic.status, topic.proposed_at) == (S.DRAFT, None)
    topic = topics.propose(proposer, topic)
    assert (topic.status, topic.households_in_scope, topic.signature_count) == (S.PROPOSED, 20, 1)
    assert topic.proposed_at is not None

    topics.sign(first, topic)
    assert fresh(topic).status == S.PROPOSED
    topics.post_comment(first, topic, text="支持，晚上太黑了。", stance=Comment.Stance.SUPPORT)
    topics.sign(second, topic)
    assert (fresh(topic).status, fresh(topic).accepted_by) == (S.ACCEPTED, "threshold")

    poll = closed_poll(building)
    topics.schedule(committee, topic, note=NOTE, poll=poll)
    topics.mark_deliberated(committee, topic)
    topics.resolve(committee, topic, resolution=RESOLUTION)
    topics.start_implementation(
        committee,
        topic,
        responsible=Topic.Responsible.PROPERTY_COMPANY,
        responsible_name="安居物业",
    )
    update = topics.post_progress(property_company, topic, PROGRESS)
    topics.close(committee, topic)
    topics.evaluate(first, topic, satisfaction=5, comment="灯亮了。")
    topics.evaluate(second, topic, satisfaction=4)

    topic = fresh(topic)
    assert (topic.status, topic.resolution, topic.poll) == (S.CLOSED, RESOLUTION, poll)
    assert (topic.responsible, topic.responsible_name) == ("property_company", "安居物业")
    assert (update.on_behalf_of, update.text) == ("安居物业", PROGRESS)
    assert (topic.evaluation_count, topic.average_satisfaction) == (2, 4.5)
    timeline = list(queries.topic_timeline(topic))
    assert [e.action for e in timeline] == [
        "topic.proposed",
        "topic.accepted",
        "topic.scheduled",
        "topic.deliberated",
        "topic.resolved",
        "topic.implementing",
        "topic.progress",
        "topic.closed",
    ]
    assert [e.after.get("status") for e in timeline] == [
        S.PROPOSED,
        S.ACCEPTED,
        S.SCHEDULED,
        S.DELIBERATED,
        S.RESOLVED,
        S.IMPLEMENTING,
        None,
        S.CLOSED,
    ]
    assert timeline[4].after["poll"] == "楼道照明改造表决"
    assert timeline[6].after == {"by": "安居物业", "text": PROGRESS}
    assert [e.actor_label for e in timeline][:2] == [str(proposer), "system"]


def test_the_timeline_keeps_signatures_comments_drafts_and_evaluations_private(
    topic, building, committee
):
    signer = neighbour(building)
    topics.sign(signer, topic)
    topics.post_comment(signer, topic, text="同意。")
    walk_to(committee, fresh(topic), S.CLOSED)
    topics.evaluate(signer, topic, satisfaction=3)

    private = set(
        TraceEntry.objects.filter(object_id=str(topic.pk), object_type="deliberation.topic")
        .filter(is_public=False)
        .values_list("action", flat=True)
    )
    assert private == {"topic.drafted", "topic.signed", "topic.commented", "topic.evaluated"}
    public = {e.action for e in queries.topic_timeline(topic)}
    assert not public & private
    assert all(e.is_public for e in queries.topic_timeline(topic))


def test_a_draft_has_no_public_timeline(proposer, entry, building):
    topic = draft(proposer, entry, building)
    assert not queries.topic_timeline(topic).exists()
    assert TraceEntry.objects.get(action="topic.drafted").is_public is False


def test_the_trace_chain_holds_after_a_whole_lifecycle(topic, building, committee):
    signer = neighbour(building)
    topics.sign(signer, topic)
    comment = topics.post_comment(signer, topic, text="同意。")
    topics.hide_comment(committee, comment, "与议题无关")
    walk_to(committee, fresh(topic), S.CLOSED)
    topics.evaluate(signer, topic, satisfaction=4)

    checked, broken = trace.verify()
    assert broken is None
    assert checked == trace_count()


# ---------------------------------------------------------------- illegal steps

STEPS = [status for status in S.values if status != S.DRAFT]
ILLEGAL = [
    (current, wanted)
    for current in S.values
    for wanted in STEPS
    if wanted not in topic_rules.TRANSITIONS[current]
]


@pytest.mark.parametrize("current, wanted", ILLEGAL)
def test_an_illegal_step_is_refused_with_a_clear_message_and_nothing_changes(
    topic, committee, current, wanted
):
    if current == S.DRAFT:
        topic = draft(topic.proposed_by, topic.catalog_entry, topic.building, title="另一个议题")
    elif current != S.PROPOSED:
        topic = walk_to(committee, topic, current)
    before = snapshot(topic)

    message = refused(lambda: step(committee, topic, wanted))

    assert message == (f"A topic that is “{S(current).label}” cannot become “{S(wanted).label}”.")
    assert snapshot(topic) == before


def test_a_legal_step_from_each_status_is_taken(topic, committee, clock):
    """The other side of the illegal steps: each declared step is taken by its service."""
    for current, steps in topic_rules.TRANSITIONS.items():
        for wanted in steps:
            clock.now += 86400  # a proposer raises three topics an hour, ten a day
            if current == S.DRAFT:
                start = draft(topic.proposed_by, topic.catalog_entry, topic.building, title=wanted)
            else:
                start = walk_to(
                    committee,
                    draft(topic.proposed_by, topic.catalog_entry, topic.building, title=wanted),
                    current,
                )
            assert step(committee, start, wanted).status == wanted
            Topic.objects.filter(pk=start.pk).delete()


def test_declining_needs_a_reason_that_goes_on_the_public_timeline(topic, committee):
    before = snapshot(topic)
    assert refused(lambda: topics.decline(committee, topic, "  ")) == (
        "Give the residents a public reason for declining."
    )
    assert snapshot(topic) == before

    topics.decline(committee, topic, REASON)

    assert fresh(topic).decline_reason == REASON
    assert queries.topic_timeline(topic).last().after == {"status": S.DECLINED, "reason": REASON}


def test_scheduling_needs_a_meeting_or_a_vote(topic, committee):
    topics.accept(committee, topic)
    before = snapshot(topic)
    assert refused(lambda: topics.schedule(committee, topic, note="")) == (
        "Say which meeting or vote will take the topic up."
    )
    assert snapshot(topic) == before


def test_resolving_with_a_poll_that_has_not_closed_is_refused(topic, committee, building):
    key = electorates.electorate_key("owners", building)
    poll = polls.create_poll(
        None,
        title="表决",
        scope_label=str(building),
        electorate=key,
        rule_name="owners_ordinary",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    polls.open_poll(None, poll, electorates.heads(key))
    walk_to(committee, topic, S.DELIBERATED)
    before = snapshot(topic)

    assert refused(lambda: topics.resolve(committee, topic, resolution=RESOLUTION, poll=poll)) == (
        "The linked poll has not closed yet."
    )
    assert snapshot(topic) == before


def test_a_poll_of_another_community_cannot_be_linked(topic, committee, other_community):
    elsewhere = BuildingFactory(compound__community=other_community)
    DwellingFactory(building=elsewhere)
    foreign = closed_poll(elsewhere)
    topics.accept(committee, topic)
    before = snapshot(topic)

    assert refused(lambda: topics.schedule(committee, topic, note=NOTE, poll=foreign)) == (
        "Choose a poll of this topic's community."
    )
    assert snapshot(topic) == before


def test_progress_is_reported_only_while_a_resolution_is_carried_out(topic, committee):
    walk_to(committee, topic, S.RESOLVED)
    before = snapshot(topic)
    assert refused(lambda: topics.post_progress(committee, topic, PROGRESS)) == (
        "Progress is reported while a resolution is carried out."
    )
    assert snapshot(topic) == before


def test_carrying_out_needs_a_known_responsible_party(topic, committee):
    walk_to(committee, topic, S.RESOLVED)
    before = snapshot(topic)
    assert refused(
        lambda: topics.start_implementation(committee, topic, responsible="neighbours")
    ) == ("Choose who carries the resolution out.")
    assert snapshot(topic) == before


def test_a_person_without_a_seat_takes_no_committee_step(topic, building):
    resident = neighbour(building)
    before = snapshot(topic)
    for wanted in (S.ACCEPTED, S.DECLINED):
        assert refused(lambda w=wanted: step(resident, topic, w), PermissionDenied) == (
            "You hold no seat that handles topics in this place."
        )
    assert snapshot(topic) == before


# ---------------------------------------------------------------- co-signing and thresholds


def test_reaching_the_catalog_threshold_accepts_the_topic_and_tells_the_committee(
    topic, building, committee, compound, other_compound, community, other_community
):
    compound_committee = seat("owners_committee", community, compound)
    elsewhere = seat("owners_committee", community, other_compound)
    foreign = staff_of(other_community)
    first, second = neighbour(building), neighbour(building)

    topics.sign(first, topic)
    assert fresh(topic).status == S.PROPOSED
    topics.sign(second, topic)

    topic = fresh(topic)
    assert (topic.status, topic.accepted_by, topic.signature_count) == (S.ACCEPTED, "threshold", 3)
    accepted = TraceEntry.objects.get(action="topic.accepted")
    assert accepted.is_public
    assert (accepted.actor, accepted.actor_label) == (None, "system")
    assert accepted.after == {
        "status": S.ACCEPTED,
        "accepted_by": "threshold",
        "signatures": 3,
        "needed": 3,
    }
    told = notified(topic, "topic.accepted")
    assert {committee, compound_committee} <= told
    assert {topic.proposed_by, first, second} <= told  # followers, by signing
    assert not {elsewhere, foreign} & told


def test_a_share_threshold_counts_the_households_of_the_scope_at_proposal(
    proposer, building, community
):
    entry = CatalogEntryFactory(
        community=community, threshold_households=None, threshold_percent=10
    )
    DwellingFactory.create_batch(30, building=building)  # 31 households: 10% is 3.1, so 4
    topic = proposed(proposer, entry, building)
    for _ in range(2):
        topics.sign(neighbour(building), topic)
    assert fresh(topic).status == S.PROPOSED  # 3 signatures; the new households came later
    topics.sign(neighbour(building), topic)
    assert fresh(topic).status == S.ACCEPTED


def test_a_scope_smaller_than_the_catalogs_number_is_accepted_when_all_its_households_sign(
    entry, building
):
    DwellingFactory.create_batch(5, building=building, entrance="1")
    proposer, second = neighbour(building, entrance="2"), neighbour(building, entrance="2")
    topic = proposed(proposer, entry, building, "2")  # 2 households; the entry asks for 3
    assert fresh(topic).status == S.PROPOSED
    topics.sign(second, topic)

    topic = fresh(topic)
    assert (topic.households_in_scope, topic.status) == (2, S.ACCEPTED)
    assert TraceEntry.objects.get(action="topic.accepted").after["needed"] == 2


def test_a_topic_the_committee_picked_is_not_accepted_again_by_the_threshold(topic, committee):
    topics.accept(committee, topic)
    for building_neighbour in (neighbour(topic.building), neighbour(topic.building)):
        topics.sign(building_neighbour, topic)
    assert fresh(topic).accepted_by == "committee"
    assert TraceEntry.objects.filter(action="topic.accepted").count() == 1


def test_one_fifth_of_households_forces_a_residents_meeting_at_exactly_the_boundary(
    proposer, building, community, committee
):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    DwellingFactory.create_batch(8, building=building)
    tenant = neighbour(building, TENANT)  # 10 households
    topic = proposed(proposer, entry, building)
    assert fresh(topic).residents_meeting_due_at is None  # 1 of 10

    topics.sign(tenant, topic)  # 2 of 10: one fifth

    topic = fresh(topic)
    assert topic.residents_meeting_due_at is not None
    flagged = TraceEntry.objects.get(action="topic.residents_meeting_due")
    assert flagged.is_public and flagged.after == {"signatures": 2, "households": 10}
    assert committee in notified(topic, "topic.residents_meeting_due")
    assert topic.status == S.PROPOSED


def test_the_residents_meeting_is_flagged_once(proposer, building, community):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    DwellingFactory.create_batch(8, building=building)
    topic = proposed(proposer, entry, building)
    topics.sign(neighbour(building), topic)
    first_flag = fresh(topic).residents_meeting_due_at
    topics.sign(neighbour(building), topic)
    assert fresh(topic).residents_meeting_due_at == first_flag
    assert TraceEntry.objects.filter(action="topic.residents_meeting_due").count() == 1


@pytest.fixture
def owners_building(building):
    """Ten households and ten owners: 王 owns two flats, a tenant rents 林's, one flat
    has no owner's account, and the developer holds two unsold flats and one it has not
    delivered (one owner, no household)."""
    wang = neighbour(building, display_name="王先生")
    also_member(wang, household(building))
    others = [neighbour(building) for _ in range(6)]
    lin = household(building, owner_name="林先生", owner_phone="+8613900000001")
    tenant = verified_member(lin, TENANT)
    household(building)
    developer = [household(building, developer_held=True) for _ in range(2)]
    developer.append(household(building, delivered=False))
    return SimpleNamespace(wang=wang, others=others, tenant=tenant, developer=developer)


def test_owners_in_scope_count_a_buyer_of_two_flats_once_and_the_developer_as_one(
    owners_building, community, building
):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    topic = proposed(owners_building.tenant, entry, building)
    assert (topic.owners_in_scope, topic.households_in_scope) == (10, 10)


def test_twenty_per_cent_of_owners_force_an_owners_assembly_counting_owners_not_households(
    owners_building, community, building, committee
):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    topic = proposed(owners_building.tenant, entry, building)
    assert fresh(topic).owner_signature_count == 0  # a tenant is no owner

    topics.sign(owners_building.wang, topic)  # two households, one owner: 1 of 10
    topic = fresh(topic)
    assert (topic.signature_count, topic.owner_signature_count) == (3, 1)
    assert topic.owners_assembly_due_at is None

    topics.sign(owners_building.others[0], topic)  # 2 of 10 owners: 20%

    topic = fresh(topic)
    assert topic.owner_signature_count == 2
    assert topic.owners_assembly_due_at is not None
    flagged = TraceEntry.objects.get(action="topic.owners_assembly_due")
    assert flagged.is_public and flagged.after == {"owners": 2, "owners_in_scope": 10}
    assert committee in notified(topic, "topic.owners_assembly_due")


def test_tenants_signatures_count_for_households_and_never_for_owners(
    owners_building, community, building
):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    topic = proposed(owners_building.others[0], entry, building)
    for _ in range(3):
        topics.sign(neighbour(building, TENANT), topic)
    topic = fresh(topic)
    assert (topic.signature_count, topic.owner_signature_count) == (4, 1)
    assert topic.owners_assembly_due_at is None


def test_an_owner_backs_the_signature_a_tenant_gave_for_the_household(
    owners_building, community, building
):
    """The household counts once; its owner, signing after the tenant, still counts
    towards the owners' petition."""
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    topic = proposed(owners_building.tenant, entry, building)
    lin = owners_building.tenant.memberships.get().dwelling
    owner = verified_member(lin)

    topics.sign(owner, topic)

    topic = fresh(topic)
    assert (topic.signature_count, topic.owner_signature_count) == (1, 1)
    signature = Signature.objects.get(topic=topic)
    assert (signature.user, signature.owner) == (owners_building.tenant, owner)
    before = snapshot(topic)
    assert refused(lambda: topics.sign(owner, topic)) == (
        "Your household has already co-signed this topic."
    )
    assert snapshot(topic) == before


def test_the_developers_dwellings_never_sign(owners_building, community, building):
    entry = CatalogEntryFactory(community=community, threshold_households=100)
    topic = proposed(owners_building.tenant, entry, building)
    for dwelling in owners_building.developer:
        agent = verified_member(dwelling)
        before = snapshot(topic)
        assert refused(lambda a=agent: topics.sign(a, topic)) == (
            f"Only verified members of a household in {topic.scope_label} can co-sign."
        )
        assert snapshot(topic) == before


def test_households_in_scope_leave_out_developer_held_and_undelivered_dwellings(
    proposer, entry, building
):
    DwellingFactory.create_batch(4, building=building)
    DwellingFactory.create_batch(2, building=building, developer_held=True)
    DwellingFactory(building=building, delivered=False)
    assert proposed(proposer, entry, building).households_in_scope == 5


def test_an_entrance_scope_counts_the_households_of_that_entrance_only(entry, building):
    DwellingFactory.create_batch(3, building=building, entrance="1")
    DwellingFactory.create_batch(5, building=building, entrance="2")
    resident = neighbour(building, entrance="2")
    topic = proposed(resident, entry, building, "2")
    assert (topic.entrance, topic.households_in_scope) == ("2", 6)
    assert refused(lambda: topics.sign(neighbour(building, entrance="1"), topic)) == (
        f"Only verified members of a household in {topic.scope_label} can co-sign."
    )


def test_one_signature_per_household_the_second_member_is_refused(topic, building):
    dwelling = household(building)
    owner = verified_member(dwelling)
    family = verified_member(dwelling, FAMILY)
    topics.sign(owner, topic)
    before = snapshot(topic)

    assert refused(lambda: topics.sign(family, topic)) == (
        "Your household has already co-signed this topic."
    )
    assert snapshot(topic) == before


def test_the_same_person_cannot_sign_twice(topic, building):
    signer = neighbour(building)
    topics.sign(signer, topic)
    before = snapshot(topic)
    assert refused(lambda: topics.sign(signer, topic)) == (
        "Your household has already co-signed this topic."
    )
    assert snapshot(topic) == before


def test_a_person_with_two_households_in_scope_signs_for_both(topic, building):
    owner = neighbour(building)
    also_member(owner, household(building), TENANT)

    signatures = topics.sign(owner, topic)

    assert len(signatures) == 2
    topic = fresh(topic)
    assert (topic.signature_count, topic.owner_signature_count) == (3, 2)


@pytest.mark.parametrize("who", ["pending", "other building", "other community", "anonymous"])
def test_only_verified_members_of_the_scope_sign(
    topic, building, neighbour_building, other_community, who
):
    signer = {
        "pending": lambda: MembershipFactory(dwelling=household(building)).user,
        "other building": lambda: neighbour(neighbour_building),
        "other community": lambda: neighbour(BuildingFactory(compound__community=other_community)),
        "anonymous": AnonymousUser,
    }[who]()
    before = snapshot(topic)

    assert refused(lambda: topics.sign(signer, topic)) == (
        f"Only verified members of a household in {topic.scope_label} can co-sign."
    )
    assert snapshot(topic) == before


@pytest.mark.parametrize("status", [S.SCHEDULED, S.DELIBERATED, S.DECLINED, S.CLOSED])
def test_signing_is_open_until_the_topic_is_deliberated(topic, building, committee, status):
    topic = walk_to(committee, topic, status)
    signer = neighbour(building)
    if status == S.SCHEDULED:
        topics.sign(signer, topic)
        assert fresh(topic).signature_count == 2
        return
    before = snapshot(topic)
    assert refused(lambda: topics.sign(signer, topic)) == (
        "This topic is no longer open for co-signing."
    )
    assert snapshot(topic) == before


def test_a_draft_cannot_be_signed(proposer, entry, building):
    topic = draft(proposer, entry, building)
    assert refused(lambda: topics.sign(neighbour(building), topic)) == (
        "This topic is no longer open for co-signing."
    )


def test_the_proposers_household_signs_first(topic, proposer):
    signature = Signature.objects.get(topic=topic)
    assert (signature.user, signature.owner) == (proposer, proposer)


# ---------------------------------------------------------------- drafts


def test_a_draft_is_private_and_its_author_follows_it(proposer, entry, building):
    topic = draft(proposer, entry, building)
    assert topic.status == S.DRAFT
    assert list(Follow.objects.filter(topic=topic).values_list("user", flat=True)) == [proposer.pk]
    assert policies.can_see_topic(proposer, topic)
    assert not policies.can_see_topic(neighbour(building), topic)
    assert not queries.public_topics().filter(pk=topic.pk).exists()


def test_the_author_rewrites_a_draft(proposer, entry, building):
    topic = draft(proposer, entry, building)
    topics.save_draft(
        proposer,
        catalog_entry=entry,
        scope=topics.scope_key(building),
        title="楼道灯",
        body="<b>换灯</b>",
        topic=topic,
    )
    topic = fresh(topic)
    assert (topic.title, topic.body) == ("楼道灯", "换灯")
    assert TraceEntry.objects.filter(action="topic.draft_changed").count() == 1


def test_only_the_author_changes_deletes_or_proposes_a_draft(proposer, entry, building):
    topic = draft(proposer, entry, building)
    other = neighbour(building)
    before = snapshot(topic)

    assert (
        refused(
            lambda: topics.save_draft(
                other,
                catalog_entry=entry,
                scope=topics.scope_key(building),
                title="改掉",
                body="改掉",
                topic=topic,
            ),
            PermissionDenied,
        )
        == "Only the person who wrote a draft may change it."
    )
    assert refused(lambda: topics.delete_draft(other, topic), PermissionDenied) == (
        "Only the person who wrote a draft may delete it."
    )
    assert refused(lambda: topics.propose(other, topic), PermissionDenied) == (
        "Only the person who wrote a draft may propose it."
    )
    assert snapshot(topic) == before


def test_the_author_deletes_a_draft_and_the_private_trace_keeps_that_it_was(
    proposer, entry, building
):
    topic = draft(proposer, entry, building)
    topics.delete_draft(proposer, topic)
    assert not Topic.objects.filter(pk=topic.pk).exists()
    deleted = TraceEntry.objects.get(action="topic.draft_deleted")
    assert not deleted.is_public and deleted.after == {"title": TITLE}


def test_a_proposed_topic_is_neither_changed_nor_deleted(topic, proposer, entry, building):
    before = snapshot(topic)
    assert refused(
        lambda: topics.save_draft(
            proposer,
            catalog_entry=entry,
            scope=topics.scope_key(building),
            title="改掉",
            body="改掉",
            topic=topic,
        )
    ) == ("A proposed topic can no longer be changed.")
    assert refused(lambda: topics.delete_draft(proposer, topic)) == (
        "A proposed topic is public and stays on the record."
    )
    assert snapshot(topic) == before


def test_a_matter_from_another_communitys_catalog_is_refused(proposer, building, other_community):
    foreign = CatalogEntryFactory(community=other_community)
    traced = trace_count()
    assert refused(lambda: draft(proposer, foreign, building)) == (
        "Choose a matter from the catalog of this community."
    )
    assert (Topic.objects.count(), trace_count()) == (0, traced)


def test_a_topic_is_raised_only_where_the_author_has_a_verified_household(
    proposer, entry, neighbour_building, compound, community
):
    traced = trace_count()
    assert refused(lambda: draft(proposer, entry, neighbour_building)) == (
        "Only verified members of a household in 幸福里小区 5号楼 can raise a topic there."
    )
    pending = MembershipFactory(dwelling__building=neighbour_building).user
    assert refused(lambda: draft(pending, entry, neighbour_building)).startswith(
        "Only verified members of a household in"
    )
    assert (Topic.objects.count(), trace_count()) == (0, traced)
    # The author's household is in the compound and the community, so both are scopes.
    assert draft(proposer, entry, compound, title="小区").compound == compound
    assert draft(proposer, entry, community, title="社区").level == "community"


def test_an_entrance_without_dwellings_is_refused(proposer, entry, building):
    traced = trace_count()
    assert refused(lambda: draft(proposer, entry, building, "9")) == (
        "This building has no such entrance."
    )
    assert (Topic.objects.count(), trace_count()) == (0, traced)


def test_an_entrance_is_written_as_its_number(proposer, entry, building):
    topic = topics.save_draft(
        proposer, catalog_entry=entry, scope=f"building:{building.pk}:一", title=TITLE, body=BODY
    )
    assert topic.entrance == "1"


@pytest.mark.parametrize(
    "scope", ["", "street:1", "building:999999", "building:x", "compound:1:2", "households"]
)
def test_a_scope_that_names_no_place_is_refused(proposer, entry, scope, building):
    if scope == "compound:1:2":
        scope = f"compound:{building.compound_id}:2"
    assert refused(
        lambda: topics.save_draft(
            proposer, catalog_entry=entry, scope=scope, title=TITLE, body=BODY
        )
    ) == ("Choose where the topic applies.")
    assert not Topic.objects.exists()


@pytest.mark.parametrize(
    "title, body, message",
    [
        ("", BODY, "Give the topic a title."),
        ("<p> </p>", BODY, "Give the topic a title."),
        ("题" * 81, BODY, "Keep the title under 80 characters."),
        (TITLE, "  ", "Describe the matter: what is wrong and what you propose."),
        (TITLE, "述" * 5001, "Keep the description under 5000 characters."),
    ],
)
def test_a_draft_without_a_fit_title_or_description_is_refused(
    proposer, entry, building, title, body, message
):
    assert refused(lambda: draft(proposer, entry, building, title=title, body=body)) == message
    assert not Topic.objects.exists()


def test_the_title_and_description_are_stored_as_sanitized_text(proposer, entry, building):
    topic = draft(
        proposer, entry, building, title="<b>楼道</b>照明", body="<script>alert(1)</script>换灯"
    )
    assert (topic.title, topic.body) == ("楼道照明", "换灯")


def test_a_fourth_topic_within_the_hour_is_refused(proposer, entry, building, clock):
    for n in range(3):
        draft(proposer, entry, building, title=f"议题{n}")
    assert refused(lambda: draft(proposer, entry, building, title="第四个")).startswith(
        "You are doing this too often."
    )
    assert Topic.objects.count() == 3
    clock.now += 3600
    draft(proposer, entry, building, title="第四个")


def test_anonymous_visitors_raise_no_topic(entry, building):
    with pytest.raises(PermissionDenied):
        draft(AnonymousUser(), entry, building)


# ---------------------------------------------------------------- the discussion


@pytest.fixture
def commenter(community) -> User:
    """A verified resident of another compound of the community: the discussion is the
    community's, signing is the scope's."""
    return neighbour(BuildingFactory(compound__community=community))


def test_a_comment_is_stored_as_sanitized_text_with_its_stance_and_counted(topic, commenter):
    raw = "<p>支持<b>加装</b>声控灯</p><script>alert(1)</script>"
    comment = topics.post_comment(commenter, topic, text=raw, stance=Comment.Stance.SUPPORT)

    assert comment.text == clean_plain(raw) == "支持加装声控灯"
    assert (comment.stance, comment.parent) == ("support", None)
    assert fresh(topic).comment_count == 1
    assert TraceEntry.objects.get(action="topic.commented").is_public is False


def test_a_reply_to_a_reply_attaches_to_the_top_comment(topic, commenter, proposer):
    top = topics.post_comment(commenter, topic, text="灯早该换了。")
    reply = topics.post_comment(proposer, topic, text="同意。", parent=top)
    reply_to_reply = topics.post_comment(commenter, topic, text="谢谢。", parent=reply)

    assert reply.parent == top
    assert reply_to_reply.parent == top
    [listed] = queries.topic_comments(topic)
    assert [r.text for r in listed.replies.all()] == ["同意。", "谢谢。"]


def test_a_hidden_comment_and_its_replies_cannot_be_replied_to(
    topic, commenter, proposer, committee
):
    top = topics.post_comment(commenter, topic, text="骂人的话")
    reply = topics.post_comment(proposer, topic, text="请文明发言。", parent=top)
    topics.hide_comment(committee, top, "人身攻击")
    before = snapshot(topic)

    for parent in (top, reply):
        assert refused(
            lambda p=parent: topics.post_comment(proposer, topic, text="回复", parent=p)
        ) == ("A hidden comment cannot be replied to.")
    assert snapshot(topic) == before


def test_a_reply_to_a_comment_on_another_topic_is_refused(topic, commenter, proposer, entry):
    other = proposed(commenter, entry, commenter.memberships.get().dwelling.building)
    elsewhere = topics.post_comment(commenter, other, text="别处的评论")
    before = snapshot(topic)
    assert refused(lambda: topics.post_comment(proposer, topic, text="回复", parent=elsewhere)) == (
        "You can only reply to a comment on this topic."
    )
    assert snapshot(topic) == before


@pytest.mark.parametrize(
    "text, stance, message",
    [
        ("", "neutral", "Write a comment first."),
        ("<p></p>", "neutral", "Write a comment first."),
        ("评" * 1001, "neutral", "Keep the comment under 1000 characters."),
        ("同意", "maybe", "Choose support, oppose or neutral."),
    ],
)
def test_a_comment_without_fit_text_or_stance_is_refused(topic, commenter, text, stance, message):
    before = snapshot(topic)
    assert refused(lambda: topics.post_comment(commenter, topic, text=text, stance=stance)) == (
        message
    )
    assert snapshot(topic) == before


def test_the_sixth_comment_within_a_minute_is_refused_and_nothing_is_written(
    topic, commenter, clock
):
    for n in range(5):
        topics.post_comment(commenter, topic, text=f"第{n + 1}条")
    before = snapshot(topic)

    message = refused(lambda: topics.post_comment(commenter, topic, text="第6条"))

    assert message == "You are doing this too often. Please try again in 1 minute."
    assert snapshot(topic) == before
    clock.now += 60
    topics.post_comment(commenter, topic, text="第6条")
    assert fresh(topic).comment_count == 6


@pytest.mark.parametrize("status", [S.DECLINED, S.CLOSED])
def test_the_discussion_closes_with_the_topic(topic, commenter, committee, status):
    topic = walk_to(committee, topic, status)
    before = snapshot(topic)
    assert refused(lambda: topics.post_comment(commenter, topic, text="还想说")) == (
        "The discussion of this topic is closed."
    )
    assert snapshot(topic) == before


@pytest.mark.parametrize("who", ["pending", "other community", "anonymous"])
def test_only_verified_residents_of_the_community_take_part(topic, building, other_community, who):
    user = {
        "pending": lambda: MembershipFactory(dwelling=household(building)).user,
        "other community": lambda: neighbour(BuildingFactory(compound__community=other_community)),
        "anonymous": AnonymousUser,
    }[who]()
    before = snapshot(topic)
    assert refused(lambda: topics.post_comment(user, topic, text="路过"), PermissionDenied) == (
        "Only verified residents of this community can take part in the discussion."
    )
    assert snapshot(topic) == before


def test_nobody_comments_on_a_draft(proposer, entry, building):
    topic = draft(proposer, entry, building)
    with pytest.raises(PermissionDenied):
        topics.post_comment(proposer, topic, text="自言自语")
    assert not Comment.objects.exists()


def test_residents_report_a_comment_and_the_reports_are_counted(topic, commenter, building):
    comment = topics.post_comment(commenter, topic, text="难听的话")
    first, second = neighbour(building), neighbour(building)

    topics.report_comment(first, comment, "人身攻击")
    topics.report_comment(second, comment, "<b>辱骂</b>")

    comment.refresh_from_db()
    assert comment.report_count == 2
    assert sorted(CommentReport.objects.values_list("reason", flat=True)) == ["人身攻击", "辱骂"]
    assert list(queries.reported_comments(Q(topic=topic))) == [comment]
    assert TraceEntry.objects.filter(action="topic.comment_reported", is_public=False).count() == 2


def test_a_comment_is_not_reported_by_its_author(topic, commenter):
    comment = topics.post_comment(commenter, topic, text="我的评论")
    before = snapshot(topic)
    assert refused(lambda: topics.report_comment(commenter, comment, "不小心发错")) == (
        "You cannot report your own comment."
    )
    assert snapshot(topic) == before


def test_a_second_report_by_the_same_person_is_refused(topic, commenter, proposer):
    comment = topics.post_comment(commenter, topic, text="难听的话")
    topics.report_comment(proposer, comment, "人身攻击")
    before = snapshot(topic)

    assert refused(lambda: topics.report_comment(proposer, comment, "再举报一次")) == (
        "You have already reported this comment."
    )
    assert snapshot(topic) == before
    comment.refresh_from_db()
    assert comment.report_count == 1


def test_a_report_needs_a_reason(topic, commenter, proposer):
    comment = topics.post_comment(commenter, topic, text="难听的话")
    assert refused(lambda: topics.report_comment(proposer, comment, " ")) == (
        "Say what is wrong with the comment."
    )
    assert not CommentReport.objects.exists()


def test_moderators_hide_a_comment_with_a_public_reason_and_keep_it(topic, commenter, committee):
    comment = topics.post_comment(commenter, topic, text="骂人的话")

    topics.hide_comment(committee, comment, "人身攻击")

    comment = Comment.objects.get(pk=comment.pk)
    assert comment.text == "骂人的话"
    assert comment.is_hidden
    assert (comment.hidden_by, comment.hidden_reason) == (committee, "人身攻击")
    hidden = queries.topic_timeline(topic).last()
    assert hidden.action == "topic.comment_hidden"
    assert hidden.after == {"comment": comment.pk, "author": str(commenter), "reason": "人身攻击"}
    assert fresh(topic).comment_count == 1


def test_hiding_needs_a_public_reason(topic, commenter, committee):
    comment = topics.post_comment(commenter, topic, text="骂人的话")
    before = snapshot(topic)
    assert refused(lambda: topics.hide_comment(committee, comment, "")) == (
        "Give a public reason for hiding the comment."
    )
    assert snapshot(topic) == before
    assert not Comment.objects.get(pk=comment.pk).is_hidden


def test_a_comment_is_hidden_once_and_then_not_reported(topic, commenter, committee, proposer):
    comment = topics.post_comment(commenter, topic, text="骂人的话")
    topics.hide_comment(committee, comment, "人身攻击")
    before = snapshot(topic)
    assert refused(lambda: topics.hide_comment(committee, comment, "再藏一次")) == (
        "This comment is already hidden."
    )
    assert refused(lambda: topics.report_comment(proposer, comment, "举报")) == (
        "This comment is already hidden."
    )
    assert snapshot(topic) == before


@pytest.mark.parametrize(
    "who", ["author", "resident", "property company", "owners' committee of another compound"]
)
def test_only_those_who_handle_the_topic_hide_comments(
    topic, commenter, community, other_compound, building, who
):
    comment = topics.post_comment(commenter, topic, text="骂人的话")
    user = {
        "author": lambda: commenter,
        "resident": lambda: neighbour(building),
        "property company": lambda: seat("property_company", community),
        "owners' committee of another compound": lambda: seat(
            "owners_committee", community, other_compound
        ),
    }[who]()
    before = snapshot(topic)
    with pytest.raises(PermissionDenied):
        topics.hide_comment(user, comment, "人身攻击")
    assert snapshot(topic) == before


def test_the_owners_committee_of_the_compound_hides_comments(topic, commenter, community, compound):
    comment = topics.post_comment(commenter, topic, text="骂人的话")
    topics.hide_comment(seat("owners_committee", community, compound), comment, "人身攻击")
    assert Comment.objects.get(pk=comment.pk).is_hidden


# ---------------------------------------------------------------- following and notifications


def test_proposer_and_co_signers_follow_the_topic(topic, proposer, building):
    signer = neighbour(building)
    topics.sign(signer, topic)
    assert set(Follow.objects.filter(topic=topic).values_list("user", flat=True)) == {
        proposer.pk,
        signer.pk,
    }


def test_followers_are_told_of_each_step_except_the_one_who_took_it(
    topic, proposer, commenter, committee
):
    topics.follow(commenter, topic)
    topics.follow(committee, topic)

    topics.accept(committee, topic)
    topics.schedule(committee, topic, note=NOTE)

    for action in ("topic.accepted", "topic.scheduled"):
        assert notified(topic, action) == {proposer, commenter}
    notification = Notification.objects.get(recipient=commenter, action="topic.scheduled")
    with translation.override("zh-hans"):
        label = str(ACTION_LABELS["topic.scheduled"])
    assert notification.text == f"“{TITLE}”：{label}"
    assert notification.read_at is None


def test_the_responsible_partys_progress_is_told_to_the_committee_that_follows(
    topic, proposer, committee, community, compound
):
    property_company = seat("property_company", community, compound)
    topics.follow(committee, topic)
    walk_to(committee, topic, S.IMPLEMENTING)

    topics.post_progress(property_company, topic, PROGRESS)

    assert notified(topic, "topic.progress") == {proposer, committee}


def test_whoever_unfollows_is_told_no_more(topic, proposer, committee):
    topics.unfollow(proposer, topic)
    topics.accept(committee, topic)
    assert notified(topic, "topic.accepted") == set()


def test_a_draft_is_followed_by_its_author_only(proposer, entry, building):
    topic = draft(proposer, entry, building)
    with pytest.raises(PermissionDenied):
        topics.follow(neighbour(building), topic)
    assert Follow.objects.filter(topic=topic).count() == 1


def test_following_twice_keeps_one_follow(topic, commenter):
    assert topics.follow(commenter, topic) == topics.follow(commenter, topic)
    assert Follow.objects.filter(topic=topic, user=commenter).count() == 1


def test_followers_with_an_email_get_a_mail_in_chinese_once_the_step_commits(
    proposer, entry, building, commenter, committee, django_capture_on_commit_callbacks
):
    title = "“楼道灯” & <电梯>"
    DwellingFactory.create_batch(9, building=building)
    topic = proposed(proposer, entry, building, title=title)
    User.objects.filter(pk=commenter.pk).update(email="li@example.com")
    User.objects.filter(pk=committee.pk).update(email="staff@example.com")
    topics.follow(commenter, topic)
    topics.follow(committee, topic)

    with django_capture_on_commit_callbacks(execute=False) as callbacks, translation.override("en"):
        topics.accept(committee, topic)
    assert mail.outbox == []

    for callback in callbacks:
        callback()

    [message] = mail.outbox  # the proposer has no email; the committee took the step
    assert message.to == ["li@example.com"]
    with translation.override("zh-hans"):
        label = str(ACTION_LABELS["topic.accepted"])
    assert message.subject == f"[议事] “{title}”：{label}"
    assert message.body.startswith(f"“{title}”：{label}\n")
    assert topics.topic_url(topic) in message.body


def test_a_refused_step_sends_no_mail(
    topic, commenter, committee, django_capture_on_commit_callbacks
):
    User.objects.filter(pk=commenter.pk).update(email="li@example.com")
    topics.follow(commenter, topic)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        topics.close(committee, topic)
    assert mail.outbox == []


def test_notifications_are_marked_read(topic, proposer, committee):
    topics.accept(committee, topic)
    topics.schedule(committee, topic, note=NOTE)
    assert queries.unread_notification_count(proposer) == 2
    first = Notification.objects.filter(recipient=proposer).order_by("pk").first()

    assert topics.mark_notifications_read(proposer, [first.pk]) == 1
    assert queries.unread_notification_count(proposer) == 1
    assert topics.mark_notifications_read(proposer) == 1
    assert queries.unread_notification_count(proposer) == 0


def test_nobody_marks_anothers_notifications_read(topic, proposer, commenter, committee):
    topics.accept(committee, topic)
    ids = list(Notification.objects.filter(recipient=proposer).values_list("pk", flat=True))
    assert topics.mark_notifications_read(commenter, ids) == 0
    assert queries.unread_notification_count(proposer) == 1


# ---------------------------------------------------------------- evaluation


@pytest.fixture
def closed(topic, committee) -> Topic:
    return walk_to(committee, topic, S.CLOSED)


def test_households_evaluate_a_closed_topic_and_the_average_is_shown(closed, proposer, building):
    topics.evaluate(proposer, closed, satisfaction=5, comment="<b>很好</b>")
    evaluation = topics.evaluate(neighbour(building), closed, satisfaction=2)

    topic = fresh(closed)
    assert (topic.evaluation_count, topic.satisfaction_total) == (2, 7)
    assert topic.average_satisfaction == 3.5
    assert Evaluation.objects.get(user=proposer).comment == "很好"
    assert evaluation.satisfaction == 2


@pytest.mark.parametrize("status", [S.PROPOSED, S.RESOLVED, S.IMPLEMENTING, S.DECLINED])
def test_a_topic_is_evaluated_only_once_closed(topic, proposer, committee, status):
    if status != S.PROPOSED:
        topic = walk_to(committee, topic, status)
    before = snapshot(topic)
    assert refused(lambda: topics.evaluate(proposer, topic, satisfaction=4)) == (
        "A topic is evaluated once it is closed."
    )
    assert snapshot(topic) == before


def test_one_evaluation_per_household(closed, building):
    dwelling = household(building)
    owner, family = verified_member(dwelling), verified_member(dwelling, FAMILY)
    topics.evaluate(owner, closed, satisfaction=4)
    before = snapshot(closed)

    for person in (owner, family):
        assert refused(lambda p=person: topics.evaluate(p, closed, satisfaction=1)) == (
            "Your household has already evaluated this topic."
        )
    assert snapshot(closed) == before


def test_a_person_with_two_households_evaluates_once_for_each(closed, building):
    owner = neighbour(building)
    also_member(owner, household(building))
    topics.evaluate(owner, closed, satisfaction=4)
    topics.evaluate(owner, closed, satisfaction=2)
    assert refused(lambda: topics.evaluate(owner, closed, satisfaction=3)) == (
        "Your household has already evaluated this topic."
    )
    assert fresh(closed).evaluation_count == 2


@pytest.mark.parametrize("satisfaction", [0, 6, -1])
def test_satisfaction_is_from_one_to_five(closed, proposer, satisfaction):
    before = snapshot(closed)
    assert refused(lambda: topics.evaluate(proposer, closed, satisfaction=satisfaction)) == (
        "Choose a satisfaction from 1 to 5."
    )
    assert snapshot(closed) == before


def test_only_households_of_the_scope_evaluate(closed, commenter):
    before = snapshot(closed)
    assert refused(lambda: topics.evaluate(commenter, closed, satisfaction=5)) == (
        f"Only verified members of a household in {closed.scope_label} can evaluate it."
    )
    assert snapshot(closed) == before


def test_no_evaluation_has_no_average(closed):
    assert fresh(closed).average_satisfaction is None


# ---------------------------------------------------------------- who may do what

ROWS = [
    # who, manage, post progress, comment, see
    ("anonymous", False, False, False, True),
    ("unverified resident", False, False, False, True),
    ("resident of another community", False, False, False, True),
    ("resident of the building", False, False, True, True),
    ("resident elsewhere in the community", False, False, True, True),
    ("owners' committee of the compound", True, True, True, True),
    ("owners' committee of another compound", False, False, True, True),
    ("residents' committee", True, True, True, True),
    ("residents' committee of another community", False, False, False, True),
    ("supervisory committee", False, False, True, True),
    ("property company, responsible", False, True, True, True),
    ("property company of another compound, responsible", False, False, True, True),
    ("property company, not responsible", False, False, True, True),
    ("superuser", True, True, True, True),
]


def person(who, community, other_community, compound, other_compound, building):
    return {
        "anonymous": AnonymousUser,
        "unverified resident": lambda: MembershipFactory(dwelling=household(building)).user,
        "resident of another community": lambda: neighbour(
            BuildingFactory(compound__community=other_community)
        ),
        "resident of the building": lambda: neighbour(building),
        "resident elsewhere in the community": lambda: neighbour(
            BuildingFactory(compound=other_compound)
        ),
        "owners' committee of the compound": lambda: seat("owners_committee", community, compound),
        "owners' committee of another compound": lambda: seat(
            "owners_committee", community, other_compound
        ),
        "residents' committee": lambda: seat("residents_committee", community),
        "residents' committee of another community": lambda: seat(
            "residents_committee", other_community
        ),
        "supervisory committee": lambda: seat("supervisory_committee", community),
        "property company, responsible": lambda: seat("property_company", community, compound),
        "property company of another compound, responsible": lambda: seat(
            "property_company", community, other_compound
        ),
        "property company, not responsible": lambda: seat("property_company", community),
        "superuser": lambda: UserFactory(is_superuser=True),
    }[who]()


@pytest.mark.parametrize("who, manage, progress, comment, see", ROWS)
def test_who_may_handle_report_on_discuss_and_see_a_topic(
    topic,
    committee,
    community,
    other_community,
    compound,
    other_compound,
    building,
    who,
    manage,
    progress,
    comment,
    see,
):
    responsible = (
        Topic.Responsible.GOVERNMENT
        if who == "property company, not responsible"
        else Topic.Responsible.PROPERTY_COMPANY
    )
    topic = walk_to(committee, topic, S.RESOLVED)
    topics.start_implementation(committee, topic, responsible=responsible)
    topic = queries.topic(topic.pk)
    user = person(who, community, other_community, compound, other_compound, building)

    assert policies.can_manage_topic(user, topic) is manage
    assert policies.can_post_progress(user, topic) is progress
    assert policies.can_comment(user, topic) is comment
    assert policies.can_see_topic(user, topic) is see


@pytest.mark.parametrize("who, manage, progress, comment, see", ROWS)
def test_a_draft_is_seen_by_its_author_only_and_discussed_by_nobody(
    proposer,
    entry,
    community,
    other_community,
    compound,
    other_compound,
    building,
    who,
    manage,
    progress,
    comment,
    see,
):
    topic = draft(proposer, entry, building)
    user = person(who, community, other_community, compound, other_compound, building)
    assert not policies.can_see_topic(user, topic)
    assert not policies.can_comment(user, topic)
    assert policies.can_see_topic(proposer, topic)
    assert not policies.can_comment(proposer, topic)


def test_the_responsible_party_posts_progress_and_others_are_refused(
    topic, committee, community, compound, building
):
    topic = walk_to(committee, topic, S.RESOLVED)
    topics.start_implementation(committee, topic, responsible=Topic.Responsible.OWNERS_COMMITTEE)
    property_company = seat("property_company", community, compound)
    before = snapshot(topic)
    for user in (property_company, neighbour(building)):
        assert (
            refused(lambda u=user: topics.post_progress(u, topic, PROGRESS), PermissionDenied)
            == "Only the party responsible may report progress."
        )
    assert snapshot(topic) == before
    owners_committee = seat("owners_committee", community, compound)
    update = topics.post_progress(owners_committee, topic, PROGRESS)
    assert update.on_behalf_of == "owners' committee"


def test_the_committee_reports_for_a_government_department(topic, committee):
    topic = walk_to(committee, topic, S.RESOLVED)
    topics.start_implementation(
        committee, topic, responsible=Topic.Responsible.GOVERNMENT, responsible_name="街道城管科"
    )
    update = topics.post_progress(committee, topic, PROGRESS)
    assert (update.author, update.on_behalf_of) == (committee, "街道城管科")
