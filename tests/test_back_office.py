"""The back office for places and people, and the verification queue."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.db import transaction
from django.utils import translation

from deliberation import policies, trace
from deliberation.models import Building, Community, Dwelling, Membership, Role, TraceEntry
from deliberation.services import people, places

from .factories import (
    BuildingFactory,
    CompoundFactory,
    DwellingFactory,
    MembershipFactory,
    UserFactory,
    sign_in_staff,
    staff_of,
    with_totp,
)

pytestmark = pytest.mark.django_db

QUEUE = "/admin/verification/"


@pytest.fixture(autouse=True)
def _english_back_office(settings):
    """Wagtail answers in the staff member's language (the site default); these tests
    read the English wording."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def claim(dwelling):
    return MembershipFactory(dwelling=dwelling, user__display_name="王阿姨")


def trace_count() -> int:
    return TraceEntry.objects.count()


def traced(obj, action: str, *, public: bool = False) -> TraceEntry:
    """A trace entry about `obj`, private unless said otherwise."""
    with transaction.atomic():
        return trace.record(actor=None, action=action, obj=obj, public=public)


def listed(client, url: str, **params) -> list:
    response = client.get(url, params)
    assert response.status_code == 200
    return list(response.context["object_list"])


def filter_choices(client, url: str, field: str) -> list:
    form = client.get(url).context["filters"].form
    return [value for value, _ in form.fields[field].choices if value]


# ---------------------------------------------------------------- the verification queue


def test_queue_lists_only_claims_in_own_community(committee_client, claim, other_community):
    foreign = MembershipFactory(
        dwelling__building__compound__community=other_community, user__display_name="李先生"
    )
    claim.dwelling.owner_name = "王某某"
    claim.dwelling.save()

    response = committee_client.get(QUEUE)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-verify="{claim.pk}"' in page
    assert f'action="/admin/verification/{claim.pk}/verify/"' in page
    assert f'href="/admin/verification/{claim.pk}/reject/"' in page
    assert "王阿姨" in page and "王某某" in page and claim.user.masked_phone in page
    assert claim.user.phone not in page
    assert f'data-verify="{foreign.pk}"' not in page


def test_queue_lists_oldest_claim_first(committee_client, community):
    newer = MembershipFactory(dwelling__building__compound__community=community)
    older = MembershipFactory(dwelling__building__compound__community=community)
    Membership.objects.filter(pk=older.pk).update(claimed_at=newer.claimed_at.replace(year=2020))

    page = committee_client.get(QUEUE).content.decode()

    assert page.index(f'data-verify="{older.pk}"') < page.index(f'data-verify="{newer.pk}"')


def test_verifying_a_claim_marks_it_verified_and_traces_it(committee_client, committee, claim):
    response = committee_client.post(f"/admin/verification/{claim.pk}/verify/")

    assert response.status_code == 302
    assert response["Location"] == QUEUE
    claim.refresh_from_db()
    assert claim.status == Membership.Status.VERIFIED
    assert claim.decided_by == committee
    entry = TraceEntry.objects.get(action="membership.verified")
    assert entry.object_id == str(claim.pk)
    assert entry.actor == committee


def test_verify_answers_only_post(committee_client, claim):
    response = committee_client.get(f"/admin/verification/{claim.pk}/verify/")

    assert response.status_code == 405
    claim.refresh_from_db()
    assert claim.status == Membership.Status.PENDING


def test_rejecting_a_claim_with_a_reason_records_the_reason(committee_client, claim):
    form = committee_client.get(f"/admin/verification/{claim.pk}/reject/")
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()

    response = committee_client.post(
        f"/admin/verification/{claim.pk}/reject/", {"reason": "房产证上没有此人"}
    )

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == Membership.Status.REJECTED
    assert claim.rejection_reason == "房产证上没有此人"
    entry = TraceEntry.objects.get(action="membership.rejected")
    assert entry.after["rejection_reason"] == "房产证上没有此人"


@pytest.mark.parametrize("reason", ["", "   "])
def test_rejecting_without_a_reason_is_refused_and_changes_nothing(committee_client, claim, reason):
    before = trace_count()

    response = committee_client.post(f"/admin/verification/{claim.pk}/reject/", {"reason": reason})

    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    claim.refresh_from_db()
    assert claim.status == Membership.Status.PENDING
    assert trace_count() == before


def test_deciding_an_already_decided_claim_shows_an_error_and_writes_nothing(
    committee_client, claim
):
    committee_client.post(f"/admin/verification/{claim.pk}/verify/")
    before = trace_count()

    with translation.override("en"):
        response = committee_client.post(
            f"/admin/verification/{claim.pk}/reject/", {"reason": "弄错了"}, follow=True
        )

    assert "This claim was already decided" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == Membership.Status.VERIFIED
    assert claim.rejection_reason == ""
    assert trace_count() == before


def test_staff_of_another_community_may_neither_verify_nor_reject(client, claim, other_community):
    sign_in_staff(client, staff_of(other_community, "residents_committee"))
    before = trace_count()

    verify = client.post(f"/admin/verification/{claim.pk}/verify/")
    reject_form = client.get(f"/admin/verification/{claim.pk}/reject/")
    reject = client.post(f"/admin/verification/{claim.pk}/reject/", {"reason": "不认识"})

    assert (verify.status_code, reject_form.status_code, reject.status_code) == (403, 403, 403)
    claim.refresh_from_db()
    assert claim.status == Membership.Status.PENDING
    assert trace_count() == before


def test_staff_without_a_verifying_seat_cannot_open_the_queue(client, community):
    sign_in_staff(client, staff_of(community, "property_company"))

    assert client.get(QUEUE).status_code == 403


def test_a_resident_without_a_role_is_refused_the_back_office(client, resident, claim):
    client.force_login(resident)

    dashboard = client.get("/admin/")
    queue = client.get(QUEUE)
    verify = client.post(f"/admin/verification/{claim.pk}/verify/")

    for response in (dashboard, queue, verify):
        assert response.status_code == 302
        assert response["Location"].startswith("/back-office/sign-in/")
        assert client.get(response["Location"]).status_code == 403
    claim.refresh_from_db()
    assert claim.status == Membership.Status.PENDING


@pytest.mark.parametrize("rows", [1, 50])
def test_queue_query_count_does_not_grow_with_rows(
    committee_client, community, django_assert_max_num_queries, rows
):
    building = BuildingFactory(compound__community=community)
    for _ in range(rows):
        MembershipFactory(dwelling=DwellingFactory(building=building))

    with django_assert_max_num_queries(18):
        response = committee_client.get(QUEUE)

    assert response.content.decode().count("data-verify=") == rows


def test_menu_shows_how_many_claims_wait(committee_client, claim):
    with translation.override("en"):
        page = committee_client.get("/admin/").content.decode()

    assert "Verification queue (1)" in page


# ---------------------------------------------------------------- places, scoped per community


def test_dwelling_list_shows_only_own_community(committee_client, dwelling, other_community):
    foreign = DwellingFactory(building__compound__community=other_community, number="999")

    response = committee_client.get("/admin/dwellings/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f"/admin/dwellings/edit/{dwelling.pk}/" in page
    assert f"/admin/dwellings/edit/{foreign.pk}/" not in page


def test_editing_another_communitys_dwelling_is_not_found(committee_client, other_community):
    foreign = DwellingFactory(building__compound__community=other_community)

    assert committee_client.get(f"/admin/dwellings/edit/{foreign.pk}/").status_code == 404
    response = committee_client.post(
        f"/admin/dwellings/edit/{foreign.pk}/", dwelling_form(foreign, registered_area="1.00")
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.registered_area == Decimal("89.50")


def test_seat_in_one_community_gives_no_edit_rights_in_another(client, dwelling, other_community):
    user = staff_of(other_community, "residents_committee")
    people.grant_role(None, user, "property_company", dwelling.building.compound.community)
    sign_in_staff(client, user)

    listing = client.get("/admin/dwellings/").content.decode()
    assert str(dwelling) in listing
    assert f"/admin/dwellings/edit/{dwelling.pk}/" not in listing
    assert client.get(f"/admin/dwellings/edit/{dwelling.pk}/").status_code == 404


@pytest.mark.parametrize("rows", [1, 50])
def test_dwelling_list_query_count_does_not_grow_with_rows(
    committee_client, community, django_assert_max_num_queries, rows
):
    building = BuildingFactory(compound__community=community)
    DwellingFactory.create_batch(rows, building=building)

    with django_assert_max_num_queries(22):
        response = committee_client.get("/admin/dwellings/")

    assert len(response.context["object_list"]) == rows


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("viewer", ["superuser", "committee"])
def test_membership_role_and_trace_lists_are_scoped_and_query_count_does_not_grow(
    client, community, other_community, django_assert_max_num_queries, rows, viewer
):
    if viewer == "superuser":
        user = with_totp(UserFactory(is_superuser=True, is_staff=True))
    else:
        user = staff_of(community, "residents_committee")  # one seat, one role.granted entry
    sign_in_staff(client, user)
    building = BuildingFactory(compound__community=community)
    for _ in range(rows):
        MembershipFactory(dwelling=DwellingFactory(building=building))
        staff_of(community, "supervisory_committee")
    MembershipFactory(dwelling__building__compound__community=other_community)
    staff_of(other_community, "supervisory_committee")
    # Besides the rows: the committee sees its own seat and its role.granted entry, the
    # superuser the other community's seat, entry and claim.
    others = 1 if viewer == "superuser" else 0

    for url, expected in (
        ("/admin/memberships/", rows + others),
        ("/admin/roles/", rows + 1),
        ("/admin/trace/", rows + 1),
    ):
        with django_assert_max_num_queries(20):
            response = client.get(url)
        assert response.status_code == 200
        assert response.context["paginator"].count == expected


def dwelling_form(dwelling: Dwelling, **changes) -> dict:
    data = {
        "building": dwelling.building_id,
        "entrance": dwelling.entrance,
        "floor": dwelling.floor or "",
        "number": dwelling.number,
        "registered_area": str(dwelling.registered_area),
        "area_source": dwelling.area_source,
        "owner_name": dwelling.owner_name,
        "owner_phone": dwelling.owner_phone,
        "delivered": "on",
    }
    data.update(changes)
    return data


def test_editing_a_dwellings_area_traces_before_and_after(committee_client, committee, dwelling):
    response = committee_client.post(
        f"/admin/dwellings/edit/{dwelling.pk}/", dwelling_form(dwelling, registered_area="92.30")
    )

    assert response.status_code == 302
    dwelling.refresh_from_db()
    assert dwelling.registered_area == Decimal("92.30")
    entry = TraceEntry.objects.get(action="dwelling.changed")
    assert entry.before == {"registered_area": "89.50"}
    assert entry.after == {"registered_area": "92.30"}
    assert entry.actor == committee


@pytest.mark.parametrize(
    ("area", "error"),
    [
        ("abc", "Enter a number."),
        ("-5", "Ensure this value is greater than or equal to 0.01."),
        ("0", "Ensure this value is greater than or equal to 0.01."),
        ("1234567890.123", "Ensure that there are no more than 10 digits in total."),
    ],
)
def test_a_malformed_area_is_refused_and_nothing_changes(committee_client, dwelling, area, error):
    before = trace_count()

    response = committee_client.post(
        f"/admin/dwellings/edit/{dwelling.pk}/", dwelling_form(dwelling, registered_area=area)
    )

    assert response.status_code == 200
    assert response.context["form"].errors["registered_area"] == [error]
    dwelling.refresh_from_db()
    assert dwelling.registered_area == Decimal("89.50")
    assert trace_count() == before


def test_a_building_cannot_be_moved_into_another_communitys_compound(
    committee_client, community, other_community
):
    building = BuildingFactory(compound__community=community)
    foreign_compound = CompoundFactory(community=other_community)
    before = trace_count()

    response = committee_client.post(
        f"/admin/buildings/edit/{building.pk}/",
        {"compound": foreign_compound.pk, "name": building.name},
    )

    assert response.status_code == 200
    assert building.compound.name in response.content.decode()
    assert foreign_compound.name not in response.content.decode()
    assert Building.objects.get(pk=building.pk).compound_id == building.compound_id
    assert trace_count() == before


def test_creating_a_community_gives_it_its_five_groups(client):
    superuser = with_totp(UserFactory(is_superuser=True, is_staff=True))
    sign_in_staff(client, superuser)

    response = client.post("/admin/communities/new/", {"name": "新建社区", "district": "东城区"})

    assert response.status_code == 302
    community = Community.objects.get(name="新建社区")
    assert Group.objects.filter(name__startswith="新建社区·").count() == 5
    assert TraceEntry.objects.get(action="community.created").object_id == str(community.pk)


def test_staff_cannot_create_communities(committee_client):
    response = committee_client.post("/admin/communities/new/", {"name": "新建社区"})

    assert not Community.objects.filter(name="新建社区").exists()
    assert response.status_code in (302, 403)


def test_places_offer_no_delete(committee_client, dwelling):
    building = dwelling.building
    for url in (
        f"/admin/dwellings/delete/{dwelling.pk}/",
        f"/admin/buildings/delete/{building.pk}/",
        f"/admin/compounds/delete/{building.compound_id}/",
        f"/admin/communities/delete/{building.compound.community_id}/",
    ):
        assert committee_client.post(url).status_code == 404
    assert Dwelling.objects.filter(pk=dwelling.pk).exists()


# ---------------------------------------------------------------- roles and the trace


def test_granting_and_revoking_a_role_through_the_back_office(committee_client, community):
    person = UserFactory()

    response = committee_client.post(
        "/admin/roles/new/",
        {
            "phone": person.phone.removeprefix("+86"),
            "kind": "owners_committee",
            "community": community.pk,
            "title": "委员",
        },
    )

    assert response.status_code == 302
    role = Role.objects.get(user=person, kind="owners_committee")
    assert role.group in person.groups.all()
    assert TraceEntry.objects.filter(action="role.granted", object_id=str(role.pk)).exists()

    response = committee_client.post(f"/admin/roles/delete/{role.pk}/")

    assert response.status_code == 302
    assert not Role.objects.filter(pk=role.pk).exists()
    assert TraceEntry.objects.filter(action="role.revoked", object_id=str(role.pk)).exists()


def test_granting_a_role_to_an_unknown_number_is_refused(committee_client, community):
    roles, before = Role.objects.count(), trace_count()

    with translation.override("en"):
        response = committee_client.post(
            "/admin/roles/new/",
            {"phone": "13900000000", "kind": "owners_committee", "community": community.pk},
        )

    assert response.status_code == 200
    assert "No account has this mobile number" in response.content.decode()
    assert (Role.objects.count(), trace_count()) == (roles, before)


def test_granting_a_role_in_another_community_is_refused(committee_client, other_community):
    person = UserFactory()

    response = committee_client.post(
        "/admin/roles/new/",
        {"phone": person.phone, "kind": "owners_committee", "community": other_community.pk},
    )

    assert response.status_code == 200
    assert not Role.objects.filter(user=person).exists()


def test_the_trace_listing_is_read_only(client, committee_client, claim):
    committee_client.post(f"/admin/verification/{claim.pk}/verify/")
    entry = TraceEntry.objects.latest("seq")

    response = committee_client.get("/admin/trace/", {"action": "membership.verified"})

    assert response.status_code == 200
    assert [e.action for e in response.context["object_list"]] == ["membership.verified"]
    page = response.content.decode()
    assert "/admin/trace/new/" not in page and "/admin/trace/edit/" not in page
    for url in ("/admin/trace/new/", f"/admin/trace/edit/{entry.pk}/"):
        assert committee_client.get(url).status_code == 404
    assert committee_client.post(f"/admin/trace/delete/{entry.pk}/").status_code == 404
    assert TraceEntry.objects.filter(pk=entry.pk).exists()


def test_save_place_writes_nothing_when_nothing_changed(committee, dwelling):
    before = trace_count()

    places.save_place(committee, Dwelling.objects.get(pk=dwelling.pk), created=False)

    assert trace_count() == before


def test_dashboard_shows_own_community_figures_only(committee_client, claim, other_community):
    DwellingFactory(building__compound__community=other_community)
    page = committee_client.get("/admin/").content.decode()
    assert "community_overview" in page or "overview__community" in page
    assert claim.dwelling.building.compound.community.name in page
    assert other_community.name not in page
    assert "Open the verification queue" in page


@pytest.mark.parametrize("rows", [1, 50])
def test_dashboard_query_count_does_not_grow_with_dwellings(
    committee_client, community, rows, django_assert_max_num_queries
):
    building = BuildingFactory(compound__community=community)
    for _ in range(rows):
        MembershipFactory(dwelling=DwellingFactory(building=building))
    with django_assert_max_num_queries(40):
        response = committee_client.get("/admin/")
    assert response.status_code == 200


def claims_waiting(dashboard) -> list[int]:
    return [int(n) for n in re.findall(r"<dt>Claims waiting</dt><dd>(\d+)</dd>", dashboard)]


def test_dashboard_claims_waiting_equals_the_queue_and_leaves_out_the_viewers_own_claim(
    committee_client, committee, claim
):
    MembershipFactory(user=committee, dwelling__building=claim.dwelling.building)

    queue = committee_client.get(QUEUE).content.decode()
    dashboard = committee_client.get("/admin/").content.decode()

    assert queue.count("data-verify=") == 1
    assert claims_waiting(dashboard) == [1]


# ---------------------------------------------------------------- listings of people and the trace


def test_trace_listing_shows_private_entries_of_own_community_only(
    committee_client, community, dwelling, other_community, resident
):
    own = traced(dwelling, "dwelling.changed")
    foreign = traced(
        MembershipFactory(dwelling__building__compound__community=other_community),
        "membership.verified",
    )
    of_no_community = traced(resident, "user.deactivated")

    entries = listed(committee_client, "/admin/trace/")
    filtered = listed(committee_client, "/admin/trace/", action="membership.verified")

    assert own in entries
    assert foreign not in entries and of_no_community not in entries
    assert set(entries) == set(TraceEntry.objects.filter(community=community))
    assert foreign not in filtered


def test_trace_filters_offer_only_actions_and_types_of_own_community(
    committee_client, dwelling, other_community
):
    traced(dwelling, "dwelling.changed")
    traced(
        MembershipFactory(dwelling__building__compound__community=other_community),
        "membership.verified",
    )

    actions = filter_choices(committee_client, "/admin/trace/", "action")
    types = filter_choices(committee_client, "/admin/trace/", "object_type")

    assert actions == ["dwelling.changed", "role.granted"]
    assert types == ["deliberation.dwelling", "deliberation.role"]


def test_superuser_trace_listing_includes_entries_of_no_community(client, resident):
    entry = traced(resident, "user.deactivated")
    superuser = with_totp(UserFactory(is_superuser=True, is_staff=True))
    sign_in_staff(client, superuser)

    assert entry in listed(client, "/admin/trace/")


def test_reading_a_private_trace_entry_needs_a_seat_with_the_trace_in_its_community(
    committee, community, dwelling, other_community
):
    foreign_dwelling = DwellingFactory(building__compound__community=other_community)
    own = traced(dwelling, "dwelling.changed")
    foreign = traced(foreign_dwelling, "dwelling.changed")
    public_foreign = traced(foreign_dwelling, "dwelling.created", public=True)
    property_company = staff_of(community, "property_company")

    assert policies.can_read_trace_entry(committee, own)
    assert not policies.can_read_trace_entry(committee, foreign)
    assert policies.can_read_trace_entry(committee, public_foreign)
    assert not policies.can_read_trace_entry(property_company, own)
    assert policies.can_read_trace_entry(AnonymousUser(), public_foreign)
    assert not policies.can_read_trace_entry(AnonymousUser(), own)


def test_property_company_gets_no_trace_or_membership_listing(client, community, claim):
    traced(claim, "membership.claimed")
    sign_in_staff(client, staff_of(community, "property_company"))

    for url in (
        "/admin/trace/",
        "/admin/trace/results/",
        "/admin/memberships/",
        "/admin/memberships/results/",
    ):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_membership_listing_shows_own_communitys_claims_only(
    committee_client, claim, other_community
):
    MembershipFactory(dwelling__building__compound__community=other_community)

    assert listed(committee_client, "/admin/memberships/") == [claim]


def test_role_listing_shows_own_communitys_seats_only(committee_client, committee, other_community):
    staff_of(other_community, "residents_committee")

    assert [role.user for role in listed(committee_client, "/admin/roles/")] == [committee]


# ---------------------------------------------------------------- seats of one compound


@pytest.fixture
def compounds(community):
    """Two compounds of one community, each with a pending claim."""
    ours = CompoundFactory(community=community, name="幸福里一期")
    theirs = CompoundFactory(community=community, name="幸福里二期")
    for compound in (ours, theirs):
        MembershipFactory(dwelling__building__compound=compound)
    return ours, theirs


def seat_of_compound(compound, kind: str = "owners_committee"):
    user = UserFactory()
    people.grant_role(None, user, kind, compound.community, compound)
    user.refresh_from_db()
    return with_totp(user)


def test_compound_seat_lists_only_its_compounds_places_and_claims(client, community, compounds):
    ours, _ = compounds
    claim = Membership.objects.get(dwelling__building__compound=ours)
    dwelling = claim.dwelling
    sign_in_staff(client, seat_of_compound(ours))

    assert listed(client, "/admin/dwellings/") == [dwelling]
    assert listed(client, "/admin/buildings/") == [dwelling.building]
    assert listed(client, "/admin/compounds/") == [ours]
    assert listed(client, "/admin/memberships/") == [claim]
    assert listed(client, "/admin/communities/") == [community]
    assert filter_choices(client, "/admin/dwellings/", "compound") == [ours.pk]
    assert filter_choices(client, "/admin/dwellings/", "building") == [dwelling.building_id]


def test_compound_seat_sees_the_seats_of_its_compound_only(client, committee, compounds):
    ours, theirs = compounds
    seat = seat_of_compound(ours)
    seat_of_compound(theirs)
    sign_in_staff(client, seat)

    assert [role.user for role in listed(client, "/admin/roles/")] == [seat]


def test_compound_seat_queue_and_dashboard_count_its_compound_only(client, compounds):
    ours, theirs = compounds
    theirs_claim = Membership.objects.get(dwelling__building__compound=theirs)
    sign_in_staff(client, seat_of_compound(ours))

    queue = client.get(QUEUE).content.decode()
    dashboard = client.get("/admin/").content.decode()
    verify = client.post(f"/admin/verification/{theirs_claim.pk}/verify/")

    assert queue.count("data-verify=") == 1
    assert f'data-verify="{theirs_claim.pk}"' not in queue
    assert claims_waiting(dashboard) == [1]
    assert verify.status_code == 403
    theirs_claim.refresh_from_db()
    assert theirs_claim.status == Membership.Status.PENDING


def test_compound_seat_cannot_open_another_compounds_dwelling_or_the_community(
    client, community, compounds
):
    ours, theirs = compounds
    own = Dwelling.objects.get(building__compound=ours)
    foreign = Dwelling.objects.get(building__compound=theirs)
    sign_in_staff(client, seat_of_compound(ours, "residents_committee"))
    before = trace_count()

    own_form = client.get(f"/admin/dwellings/edit/{own.pk}/")
    foreign_form = client.get(f"/admin/dwellings/edit/{foreign.pk}/")
    foreign_post = client.post(
        f"/admin/dwellings/edit/{foreign.pk}/", dwelling_form(foreign, registered_area="1.00")
    )
    communities = client.get("/admin/communities/").content.decode()

    assert own_form.status_code == 200
    assert list(own_form.context["form"].fields["building"].queryset) == [own.building]
    assert (foreign_form.status_code, foreign_post.status_code) == (404, 404)
    assert community.name in communities
    assert f"/admin/communities/edit/{community.pk}/" not in communities
    assert client.get(f"/admin/communities/edit/{community.pk}/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.registered_area == Decimal("89.50")
    assert trace_count() == before


def test_compound_seat_trace_shows_entries_about_its_compound_only(client, compounds):
    ours, theirs = compounds
    seat = seat_of_compound(ours)
    own = traced(Dwelling.objects.get(building__compound=ours), "dwelling.changed")
    foreign = traced(
        Membership.objects.get(dwelling__building__compound=theirs), "membership.verified"
    )
    own_seat = TraceEntry.objects.get(action="role.granted", object_id=str(seat.roles.get().pk))
    sign_in_staff(client, seat)

    assert set(listed(client, "/admin/trace/")) == {own, own_seat}
    assert policies.can_read_trace_entry(seat, own)
    assert not policies.can_read_trace_entry(seat, foreign)
