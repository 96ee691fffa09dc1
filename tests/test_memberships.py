"""Claiming a dwelling, verifying claims, and roles that map to groups."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from deliberation.models import Membership, Role, TraceEntry
from deliberation.roles import group_name
from deliberation.services import people

from .factories import (
    CommunityFactory,
    DwellingFactory,
    MembershipFactory,
    UserFactory,
    staff_of,
)

pytestmark = pytest.mark.django_db


def claim_form(dwelling, **overrides):
    data = {
        "building": dwelling.building.pk,
        "entrance": dwelling.entrance,
        "number": dwelling.number,
        "kind": "owner",
    }
    data.update(overrides)
    return data


def test_resident_claims_a_dwelling_and_sees_it_pending(resident_client, resident, dwelling):
    response = resident_client.post("/me/claim/", claim_form(dwelling))
    assert response.status_code == 302
    membership = Membership.objects.get()
    assert (membership.user, membership.dwelling) == (resident, dwelling)
    assert membership.status == Membership.Status.PENDING
    page = resident_client.get("/me/").content.decode()
    assert "status-pending" in page
    entry = TraceEntry.objects.get(action="membership.claimed")
    assert entry.actor == resident


def test_entrance_may_be_written_with_its_chinese_suffix(resident_client, dwelling):
    resident_client.post("/me/claim/", claim_form(dwelling, entrance=f"{dwelling.entrance}单元"))
    assert Membership.objects.filter(dwelling=dwelling).exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"number": "9999"},
        {"number": ""},
        {"building": "999999"},
        {"building": "not-a-number"},
        {"kind": "landlord"},
        {"entrance": "7"},
        {"number": "x" * 50},
    ],
)
def test_bad_claim_is_refused_with_a_message_and_writes_nothing(
    resident_client, dwelling, overrides
):
    with translation.override("en"):
        response = resident_client.post("/me/claim/", claim_form(dwelling, **overrides))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'class="error"' in page or 'class="errors"' in page
    assert not Membership.objects.exists()
    assert not TraceEntry.objects.exists()


def test_same_number_in_two_entrances_asks_for_the_entrance(resident_client, dwelling):
    DwellingFactory(building=dwelling.building, entrance="2", number=dwelling.number)
    response = resident_client.post("/me/claim/", claim_form(dwelling, entrance=""))
    assert response.status_code == 200
    assert not Membership.objects.exists()


def test_second_claim_of_the_same_dwelling_is_refused(resident_client, dwelling):
    resident_client.post("/me/claim/", claim_form(dwelling))
    response = resident_client.post("/me/claim/", claim_form(dwelling))
    assert response.status_code == 200
    assert Membership.objects.count() == 1


def test_a_rejected_claim_may_be_made_again(resident, dwelling, community):
    staff = staff_of(community)
    first = people.claim_dwelling(resident, dwelling, "owner")
    people.reject_membership(staff, first, "产权证姓名不符")
    second = people.claim_dwelling(resident, dwelling, "owner")
    assert second.pk != first.pk


def test_owner_claim_on_a_dwelling_with_a_verified_owner_is_refused(dwelling, community):
    staff = staff_of(community)
    people.verify_membership(staff, people.claim_dwelling(UserFactory(), dwelling, "owner"))
    with pytest.raises(ValidationError):
        people.claim_dwelling(UserFactory(), dwelling, "owner")
    # a tenant of the same dwelling is fine
    people.claim_dwelling(UserFactory(), dwelling, "tenant")


def test_claim_page_needs_sign_in(client):
    response = client.get("/me/claim/")
    assert response.status_code == 302


def test_staff_verifies_a_claim_and_the_trace_records_before_and_after(resident, dwelling):
    staff = staff_of(dwelling.building.compound.community)
    membership = people.claim_dwelling(resident, dwelling, "tenant")
    people.verify_membership(staff, membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.VERIFIED
    assert membership.decided_by == staff and membership.decided_at
    entry = TraceEntry.objects.get(action="membership.verified")
    assert entry.before["status"] == "pending" and entry.after["status"] == "verified"


def test_staff_of_another_community_may_not_verify(resident, dwelling):
    outsider = staff_of(CommunityFactory())
    membership = people.claim_dwelling(resident, dwelling, "owner")
    with pytest.raises(PermissionDenied):
        people.verify_membership(outsider, membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


def test_nobody_verifies_their_own_claim(dwelling):
    staff = staff_of(dwelling.building.compound.community)
    membership = people.claim_dwelling(staff, dwelling, "owner")
    with pytest.raises(PermissionDenied):
        people.verify_membership(staff, membership)


def test_property_company_may_not_verify(resident, dwelling):
    property_staff = staff_of(dwelling.building.compound.community, "property_company")
    membership = people.claim_dwelling(resident, dwelling, "owner")
    with pytest.raises(PermissionDenied):
        people.verify_membership(property_staff, membership)


def test_a_decided_claim_cannot_be_decided_again(resident, dwelling):
    staff = staff_of(dwelling.building.compound.community)
    membership = people.claim_dwelling(resident, dwelling, "owner")
    people.reject_membership(staff, membership, "不是本户")
    with pytest.raises(ValidationError):
        people.verify_membership(staff, membership)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.REJECTED


@pytest.mark.parametrize("reason", ["", "   ", "长" * 201])
def test_rejection_needs_a_short_reason(resident, dwelling, reason):
    staff = staff_of(dwelling.building.compound.community)
    membership = people.claim_dwelling(resident, dwelling, "owner")
    with pytest.raises(ValidationError):
        people.reject_membership(staff, membership, reason)
    membership.refresh_from_db()
    assert membership.status == Membership.Status.PENDING


def test_my_home_shows_the_rejection_reason(resident_client, resident, dwelling):
    staff = staff_of(dwelling.building.compound.community)
    people.reject_membership(staff, people.claim_dwelling(resident, dwelling, "owner"), "房号不符")
    page = resident_client.get("/me/").content.decode()
    assert "status-rejected" in page and "房号不符" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_my_home_query_count_does_not_grow_with_memberships(
    resident_client, resident, rows, django_assert_max_num_queries
):
    MembershipFactory.create_batch(rows, user=resident)
    with django_assert_max_num_queries(8):
        response = resident_client.get("/me/")
    assert response.content.decode().count("membership status-") == rows


def test_granting_a_role_adds_the_community_group_and_staff_flag(community):
    user = UserFactory()
    role = people.grant_role(None, user, Role.Kind.SUPERVISORY_COMMITTEE, community)
    user.refresh_from_db()
    assert user.is_staff
    assert user.groups.filter(name=group_name(community, "supervisory_committee")).exists()
    assert user.has_perm("wagtailadmin.access_admin")
    assert not user.has_perm("deliberation.change_membership")
    people.revoke_role(None, role)
    user.refresh_from_db()
    assert not user.is_staff and not user.groups.exists()
    assert TraceEntry.objects.filter(action__in=["role.granted", "role.revoked"]).count() == 2


def test_only_the_residents_committee_grants_roles(community):
    supervisor = staff_of(community, "supervisory_committee")
    with pytest.raises(PermissionDenied):
        people.grant_role(supervisor, UserFactory(), Role.Kind.PROPERTY_COMPANY, community)
    chair = staff_of(community, "residents_committee")
    people.grant_role(chair, UserFactory(), Role.Kind.PROPERTY_COMPANY, community)


def test_a_compound_of_another_community_is_refused_for_a_role(community):
    other = DwellingFactory().building.compound
    with pytest.raises(ValidationError):
        people.grant_role(None, UserFactory(), Role.Kind.OWNERS_COMMITTEE, community, other)
    assert not Role.objects.exists()


def test_ensure_community_groups_creates_one_group_per_role_kind(community):
    groups = people.ensure_community_groups(community)
    assert len(groups) == len(Role.Kind.values)
    assert all(g.permissions.filter(codename="access_admin").exists() for g in groups)


def test_two_pending_owner_claims_cannot_both_be_verified(dwelling):
    staff = staff_of(dwelling.building.compound.community)
    first = people.claim_dwelling(UserFactory(), dwelling, "owner")
    second = people.claim_dwelling(UserFactory(), dwelling, "co_owner_rep")
    people.verify_membership(staff, first)
    with pytest.raises(ValidationError):
        people.verify_membership(staff, second)
    second.refresh_from_db()
    assert second.status == Membership.Status.PENDING
    assert Membership.objects.filter(dwelling=dwelling, status="verified").count() == 1


def test_verifying_an_owner_links_the_dwelling_to_their_account(resident, dwelling):
    staff = staff_of(dwelling.building.compound.community)
    people.verify_membership(staff, people.claim_dwelling(resident, dwelling, "owner"))
    dwelling.refresh_from_db()
    assert dwelling.owner == resident
    entry = TraceEntry.objects.get(action="membership.verified")
    assert entry.before["owner_account"] is None and entry.after["owner_account"] == resident.pk


def test_verifying_a_tenant_leaves_the_owner_link_alone(resident, dwelling):
    staff = staff_of(dwelling.building.compound.community)
    people.verify_membership(staff, people.claim_dwelling(resident, dwelling, "tenant"))
    dwelling.refresh_from_db()
    assert dwelling.owner is None


def test_a_superuser_does_not_verify_their_own_claim(dwelling):
    admin = UserFactory(is_superuser=True, is_staff=True)
    membership = people.claim_dwelling(admin, dwelling, "owner")
    with pytest.raises(PermissionDenied):
        people.verify_membership(admin, membership)


def test_trace_entries_know_their_community(resident, dwelling):
    membership = people.claim_dwelling(resident, dwelling, "owner")
    entry = TraceEntry.objects.get(action="membership.claimed")
    assert entry.community_id == dwelling.building.compound.community_id
    assert entry.object_id == str(membership.pk)


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("2", "2"),
        ("02", "2"),
        ("2单元", "2"),
        ("二单元", "2"),
        (" 2 单元 ", "2"),
        ("十二", "12"),
        ("二十三单元", "23"),
        ("东", "东"),
        ("", ""),
    ],
)
def test_entrances_have_one_spelling(written, stored):
    from deliberation.models.places import normalize_entrance

    assert normalize_entrance(written) == stored


def test_claim_finds_the_entrance_written_in_chinese(resident_client, dwelling):
    dwelling.entrance = "2"
    dwelling.save()
    resident_client.post("/me/claim/", claim_form(dwelling, entrance="二单元"))
    assert Membership.objects.filter(dwelling=dwelling).exists()


def test_a_residents_committee_seat_of_one_compound_grants_no_roles(dwelling):
    compound = dwelling.building.compound
    community = compound.community
    clerk = UserFactory()
    people.grant_role(None, clerk, Role.Kind.RESIDENTS_COMMITTEE, community, compound)
    with pytest.raises(PermissionDenied):
        people.grant_role(clerk, UserFactory(), Role.Kind.PROPERTY_COMPANY, community)
