"""The consultation catalog (社区协商事项目录): the default every community starts with,
and the residents' committee's edits, each checked and traced in public."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from deliberation.models import CatalogEntry, Community, TraceEntry
from deliberation.services import catalog, people, places, topics
from polls.registry import get_ruleset

from .factories import (
    CatalogEntryFactory,
    CommunityFactory,
    DwellingFactory,
    UserFactory,
    staff_of,
    verified_member,
)

pytestmark = pytest.mark.django_db

P = CatalogEntry.Procedure


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def group(community) -> CatalogEntry:
    return CatalogEntryFactory(community=community, name="楼栋事务", level="building")


def new_entry(community, **fields) -> CatalogEntry:
    fields.setdefault("name", "楼道照明")
    fields.setdefault("level", "building")
    fields.setdefault("procedure", P.COUNCIL_MEETING)
    fields.setdefault("threshold_households", 3)
    return CatalogEntry(community=community, **fields)


def refused(user, entry, *, created=True) -> str:
    entries, traced = CatalogEntry.objects.count(), TraceEntry.objects.count()
    with pytest.raises(ValidationError) as error:
        catalog.save_entry(user, entry, created=created)
    assert (CatalogEntry.objects.count(), TraceEntry.objects.count()) == (entries, traced)
    return error.value.messages[0]


def default_names() -> list[str]:
    names = []
    for row in catalog.DEFAULT_CATALOG:
        names.append(row[0])
        names.extend(child[0] for child in row[7])
    return names


# ---------------------------------------------------------------- the default catalog


def test_default_catalog_is_created_as_groups_and_their_entries(community):
    created = catalog.provision_default_catalog(community)

    entries = CatalogEntry.objects.filter(community=community)
    assert created == entries.count() == len(default_names())
    groups = entries.filter(parent=None)
    assert [g.name for g in groups] == [row[0] for row in catalog.DEFAULT_CATALOG]
    assert not entries.filter(parent__parent__isnull=False).exists()
    for row in catalog.DEFAULT_CATALOG:
        children = entries.filter(parent__name=row[0]).order_by("position")
        assert [c.name for c in children] == [child[0] for child in row[7]]


def test_default_catalog_is_created_once(community):
    catalog.provision_default_catalog(community)
    before = list(CatalogEntry.objects.values_list("pk", "name"))

    assert catalog.provision_default_catalog(community) == 0
    assert list(CatalogEntry.objects.values_list("pk", "name")) == before
    assert TraceEntry.objects.filter(action="catalog.provisioned").count() == 1


def test_a_community_whose_committee_edited_its_catalog_is_left_alone(community, group):
    assert catalog.provision_default_catalog(community) == 0
    assert list(CatalogEntry.objects.values_list("name", flat=True)) == ["楼栋事务"]


def test_setting_up_the_default_catalog_is_traced(community):
    created = catalog.provision_default_catalog(community)
    entry = TraceEntry.objects.get(action="catalog.provisioned")
    assert (entry.community_id, entry.actor_label, entry.after) == (
        community.pk,
        "system",
        {"entries": created},
    )


def test_a_community_created_in_the_back_office_gets_the_default_catalog():
    admin = UserFactory(is_superuser=True)
    community = places.save_place(
        admin, Community(name="新建社区", district="测试区"), created=True
    )
    assert CatalogEntry.objects.filter(community=community).count() == len(default_names())


def test_a_community_given_its_groups_gets_the_default_catalog_and_only_once(community):
    people.ensure_community_groups(community)
    people.ensure_community_groups(community)
    assert CatalogEntry.objects.filter(community=community).count() == len(default_names())


def test_every_rule_set_the_default_catalog_names_exists():
    named = [row[4] for row in catalog.DEFAULT_CATALOG]
    named += [child[4] for row in catalog.DEFAULT_CATALOG for child in row[7]]
    assert "owners_special" in named
    for name in filter(None, named):
        assert get_ruleset(name).name == name


def test_owners_votes_of_the_default_catalog_name_a_rule_set_and_every_entry_one_threshold(
    community,
):
    catalog.provision_default_catalog(community)
    for entry in CatalogEntry.objects.filter(community=community):
        assert (entry.threshold_households is None) != (entry.threshold_percent is None)
        if entry.procedure == P.OWNERS_VOTE:
            assert entry.rule_name, entry.name


@pytest.mark.parametrize(
    "matter",
    [
        "公共设施",
        "垃圾分类",
        "停车",
        "物业服务",
        "加装电梯",
        "宠物",
        "公共收益",
        "维修资金",
        "邻里纠纷",
        "绿化",
        "公共安全",
    ],
)
def test_default_catalog_covers_the_matters_residents_consult_on(matter):
    assert any(matter in name for name in default_names())


def test_elevator_retrofit_goes_to_an_owners_vote_under_owners_special(community):
    catalog.provision_default_catalog(community)
    elevator = CatalogEntry.objects.get(community=community, name="加装电梯")
    assert (elevator.level, elevator.procedure, elevator.rule_name) == (
        "building",
        P.OWNERS_VOTE,
        "owners_special",
    )


# ---------------------------------------------------------------- the committee's edits


def test_residents_committee_adds_an_entry_under_a_group_and_it_is_traced_publicly(
    community, committee, group
):
    entry = catalog.save_entry(committee, new_entry(community, parent=group), created=True)

    assert CatalogEntry.objects.get(pk=entry.pk).parent == group
    trace = TraceEntry.objects.get(action="catalog.entry_saved")
    assert trace.is_public and trace.actor == committee
    assert (trace.object_id, trace.before, trace.after["name"]) == (str(entry.pk), {}, "楼道照明")


def test_a_change_to_an_entry_is_traced_with_what_it_was(community, committee, group):
    group.threshold_households, group.threshold_percent = None, 15
    catalog.save_entry(committee, group, created=False)

    trace = TraceEntry.objects.get(action="catalog.entry_saved")
    assert trace.is_public
    assert (trace.before["threshold_households"], trace.before["threshold_percent"]) == (3, None)
    assert (trace.after["threshold_households"], trace.after["threshold_percent"]) == (None, 15)


def test_an_owners_vote_under_a_known_rule_set_is_saved(community, committee):
    entry = new_entry(community, procedure=P.OWNERS_VOTE, rule_name="owners_special")
    assert catalog.save_entry(committee, entry, created=True).pk


@pytest.mark.parametrize(
    "households, percent",
    [(3, 10), (None, None)],
    ids=["both", "neither"],
)
def test_an_entry_needs_exactly_one_threshold(community, committee, households, percent):
    entry = new_entry(community, threshold_households=households, threshold_percent=percent)
    assert refused(committee, entry) == (
        "Give either a number of households or a share of households, not both."
    )


@pytest.mark.parametrize(
    "households, percent",
    [(0, None), (None, 0), (None, 101)],
    ids=["no household", "no share", "more than everyone"],
)
def test_a_threshold_outside_what_households_can_reach_is_refused(
    community, committee, households, percent
):
    entry = new_entry(community, threshold_households=households, threshold_percent=percent)
    assert refused(committee, entry) == (
        "A threshold is at least one household, or a share from 1 to 100 per cent."
    )


def test_the_catalog_has_two_levels_and_no_third(community, committee, group):
    child = CatalogEntryFactory(community=community, parent=group, name="加装电梯")
    assert refused(committee, new_entry(community, parent=child)) == (
        "The catalog has two levels: a group and its entries."
    )


def test_a_group_with_entries_cannot_become_an_entry_of_another_group(community, committee, group):
    CatalogEntryFactory(community=community, parent=group, name="加装电梯")
    other_group = CatalogEntryFactory(community=community, name="物业与停车")
    group.parent = other_group
    assert refused(committee, group, created=False) == (
        "The catalog has two levels: a group and its entries."
    )
    assert CatalogEntry.objects.get(pk=group.pk).parent is None


def test_an_entry_cannot_be_its_own_group(community, committee, group):
    group.parent = group
    assert refused(committee, group, created=False) == (
        "The catalog has two levels: a group and its entries."
    )


def test_an_entry_can_only_belong_to_a_group_of_its_community(
    community, other_community, committee
):
    foreign = CatalogEntryFactory(community=other_community, name="楼栋事务")
    assert refused(committee, new_entry(community, parent=foreign)) == (
        "An entry can only be part of an entry of its community."
    )


def test_an_owners_vote_must_name_its_rule_set(community, committee):
    entry = new_entry(community, procedure=P.OWNERS_VOTE, rule_name="")
    assert refused(committee, entry) == "Name the rule set of the owners' vote."


def test_an_unknown_rule_set_is_refused(community, committee):
    entry = new_entry(community, procedure=P.OWNERS_VOTE, rule_name="owners_by_magic")
    assert refused(committee, entry) == "There is no rule set called owners_by_magic."


def test_two_entries_of_a_community_cannot_share_a_name(community, committee, group):
    assert refused(committee, new_entry(community, name=group.name)) == (
        "The catalog already has an entry called 楼栋事务."
    )


def test_another_community_may_use_the_same_name(other_community, group):
    committee = staff_of(other_community, "residents_committee")
    assert catalog.save_entry(committee, new_entry(other_community, name=group.name), created=True)


@pytest.mark.parametrize(
    "who",
    ["committee of another community", "owners' committee", "resident", "anonymous"],
)
def test_only_the_residents_committee_of_the_community_edits_its_catalog(
    community, other_community, group, who
):
    user = {
        "committee of another community": lambda: staff_of(other_community),
        "owners' committee": lambda: staff_of(community, "owners_committee"),
        "resident": lambda: verified_member(
            DwellingFactory(building__compound__community=community)
        ),
        "anonymous": AnonymousUser,
    }[who]()
    traced = TraceEntry.objects.count()

    with pytest.raises(PermissionDenied):
        catalog.save_entry(user, new_entry(community), created=True)
    group.name = "改名"
    with pytest.raises(PermissionDenied):
        catalog.save_entry(user, group, created=False)
    with pytest.raises(PermissionDenied):
        catalog.delete_entry(user, group)

    assert list(CatalogEntry.objects.values_list("name", flat=True)) == ["楼栋事务"]
    assert TraceEntry.objects.count() == traced


def test_a_committee_cannot_pull_another_communitys_entry_into_its_own(
    community, other_community, group
):
    """Saving checks the community an entry leaves as well as the one it goes to."""
    thief = staff_of(other_community)
    group.community = other_community

    with pytest.raises(PermissionDenied):
        catalog.save_entry(thief, group, created=False)

    assert CatalogEntry.objects.get(pk=group.pk).community == community


def test_an_unused_entry_is_deleted_and_the_deletion_is_traced_publicly(
    community, committee, group
):
    entry = CatalogEntryFactory(community=community, parent=group, name="楼道照明")
    catalog.delete_entry(committee, entry)

    assert not CatalogEntry.objects.filter(pk=entry.pk).exists()
    trace = TraceEntry.objects.get(action="catalog.entry_deleted")
    assert trace.is_public and trace.before["name"] == "楼道照明"


def test_a_group_with_entries_is_not_deleted(community, committee, group):
    CatalogEntryFactory(community=community, parent=group, name="加装电梯")
    traced = TraceEntry.objects.count()

    with pytest.raises(ValidationError) as error:
        catalog.delete_entry(committee, group)

    assert error.value.messages == [
        "Topics or entries still belong to this entry; it can be renamed, not deleted."
    ]
    assert CatalogEntry.objects.filter(pk=group.pk).exists()
    assert TraceEntry.objects.count() == traced


def test_an_entry_with_topics_is_not_deleted(community, committee, group):
    dwelling = DwellingFactory(building__compound__community=community)
    resident = verified_member(dwelling)
    topics.save_draft(
        resident,
        catalog_entry=group,
        scope=topics.scope_key(dwelling.building),
        title="楼道灯不亮",
        body="三楼楼道灯坏了一个月。",
    )
    traced = TraceEntry.objects.count()

    with pytest.raises(ValidationError):
        catalog.delete_entry(committee, group)

    assert CatalogEntry.objects.filter(pk=group.pk).exists()
    assert TraceEntry.objects.count() == traced


def test_a_new_community_has_no_catalog_until_it_is_provisioned():
    assert not CatalogEntry.objects.filter(community=CommunityFactory()).exists()
