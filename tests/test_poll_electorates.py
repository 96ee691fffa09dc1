"""deliberation offers electorates to the voting engine and records its events."""

from decimal import Decimal

import pytest

from deliberation import electorates
from deliberation.models import TraceEntry
from deliberation.services import people
from polls import services
from polls.models import Poll

from .factories import BuildingFactory, DwellingFactory, UserFactory, staff_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def building(community):
    building = BuildingFactory(compound__community=community)
    for n in range(4):
        DwellingFactory(
            building=building,
            entrance="1",
            number=f"10{n}",
            registered_area=Decimal("90.00"),
            owner_phone=f"+86138000000{n % 3}",  # the owner of 100 also owns 103
        )
    DwellingFactory(
        building=building,
        entrance="2",
        number="201",
        registered_area=Decimal("80.00"),
        developer_held=True,
    )
    DwellingFactory(
        building=building,
        entrance="2",
        number="202",
        registered_area=Decimal("70.00"),
        delivered=False,
        owner_name="已售未交付",
    )
    return building


def test_owners_of_a_building_follow_the_counting_rules(building):
    heads = electorates.heads(electorates.electorate_key("owners", building))
    assert len(heads) == 4  # 3 owners (one holds two flats) + the developer
    developer = next(h for h in heads if h.key == "developer")
    assert developer.area == Decimal("150.00")
    assert sorted(h.area for h in heads) == [
        Decimal("90.00"),
        Decimal("90.00"),
        Decimal("150.00"),
        Decimal("180.00"),
    ]


def test_owners_of_one_entrance(building):
    heads = electorates.heads(electorates.electorate_key("owners", building, entrance="1"))
    assert len(heads) == 3 and all(h.key != "developer" for h in heads)


def test_households_and_residents_count_only_verified_memberships(building, community):
    staff = staff_of(community)
    dwellings = list(building.dwellings.order_by("number"))
    couple = [UserFactory(), UserFactory()]
    for user in couple:
        people.verify_membership(staff, people.claim_dwelling(user, dwellings[0], "family"))
    people.claim_dwelling(UserFactory(), dwellings[1], "tenant")  # pending: no rights
    households = electorates.heads(electorates.electorate_key("households", building))
    residents = electorates.heads(electorates.electorate_key("residents", building))
    assert len(households) == 1
    assert {h.user_id for h in residents} == {u.pk for u in couple}


def test_a_household_votes_through_its_owner_even_when_a_tenant_was_verified_first(
    building, community
):
    staff = staff_of(community)
    dwelling = building.dwellings.order_by("number").first()
    tenant, owner = UserFactory(), UserFactory()
    people.verify_membership(staff, people.claim_dwelling(tenant, dwelling, "tenant"))
    people.verify_membership(staff, people.claim_dwelling(owner, dwelling, "owner"))
    (household,) = electorates.heads(electorates.electorate_key("households", building))
    assert household.user_id == owner.pk


def test_without_an_owner_the_household_votes_through_the_member_who_claimed_first(
    building, community
):
    staff = staff_of(community)
    dwelling = building.dwellings.order_by("number").first()
    first, second = UserFactory(), UserFactory()
    for user in (first, second):
        people.verify_membership(staff, people.claim_dwelling(user, dwelling, "family"))
    (household,) = electorates.heads(electorates.electorate_key("households", building))
    assert household.user_id == first.pk


def test_a_later_sale_changes_nothing_for_an_open_poll(building):
    key = electorates.electorate_key("owners", building)
    poll = services.create_poll(
        None,
        title="维修资金",
        scope_label=str(building),
        electorate=key,
        rule_name="owners_special",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    services.open_poll(None, poll, electorates.heads(key))
    building.dwellings.filter(developer_held=True).update(
        developer_held=False, owner_phone="+8613912345678"
    )
    poll.roll.refresh_from_db()
    assert poll.roll.heads_total == 4
    assert len(electorates.heads(key)) == 5


def test_poll_events_are_traced_in_the_community(building, community):
    key = electorates.electorate_key("owners", building)
    poll = services.create_poll(
        None,
        title="维修资金",
        scope_label=str(building),
        electorate=key,
        rule_name="owners_ordinary",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    services.open_poll(None, poll, electorates.heads(key))
    question = poll.questions.get()
    entry = poll.roll.entries.first()
    services.cast_ballot(poll, entry, {question.pk: question.options.get(code="yes").pk})
    services.close_poll(None, poll)
    actions = list(
        TraceEntry.objects.filter(object_type="polls.poll")
        .order_by("seq")
        .values_list("action", "is_public", "community_id")
    )
    assert [a for a, _p, _c in actions] == [
        "poll.created",
        "poll.roll_prepared",
        "poll.opened",
        "poll.ballot_cast",
        "poll.closed",
    ]
    assert all(c == community.pk for _a, _p, c in actions)
    assert {a: p for a, p, _c in actions}["poll.ballot_cast"] is False
    ballot_entry = TraceEntry.objects.get(action="poll.ballot_cast")
    assert "yes" not in str(ballot_entry.after)
    assert Poll.objects.get().state == "closed"


def test_an_unknown_electorate_key_is_refused():
    with pytest.raises(electorates.UnknownElectorate):
        electorates.heads("voters:galaxy:1")


def test_an_owner_stays_one_owner_when_one_of_their_dwellings_is_linked(community):
    building = BuildingFactory(compound__community=community)
    first, second = (
        DwellingFactory(
            building=building,
            number=n,
            registered_area=Decimal("89.50"),
            owner_phone="+8613800000000",
        )
        for n in ("101", "102")
    )
    owner = UserFactory(phone="+8613800000000")
    staff = staff_of(community)
    people.verify_membership(staff, people.claim_dwelling(owner, first, "owner"))
    heads = electorates.heads(electorates.electorate_key("owners", building))
    assert len(heads) == 1
    assert heads[0].area == Decimal("179.00") and heads[0].user_id == owner.pk
    assert second.pk  # both dwellings are in the one head


def test_opening_is_refused_when_the_register_changed_after_the_roll_was_prepared(
    building, community
):
    from django.core.exceptions import ValidationError

    from deliberation.services import polls as poll_services

    chair = staff_of(community)
    poll = poll_services.create_poll(
        chair,
        kind="owners",
        place=building,
        rule_name="owners_ordinary",
        title="t",
        questions=[{"kind": "yes_no", "text": "q?"}],
    )
    poll_services.prepare_roll(chair, poll)
    building.dwellings.filter(developer_held=True).update(
        developer_held=False, owner_phone="+8613912345678"
    )
    with pytest.raises(ValidationError):
        poll_services.open_poll(chair, poll)
    poll.refresh_from_db()
    assert poll.state == "draft"
    poll_services.prepare_roll(chair, poll)
    poll_services.open_poll(chair, poll)
    assert poll.roll.entries.count() == 5
