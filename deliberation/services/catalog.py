"""The consultation catalog (社区协商事项目录): each community starts with a default
catalog, which its residents' committee then edits in the back office."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from polls.registry import get_ruleset
from polls.rules import RuleSetError

from .. import policies, trace
from ..models import CatalogEntry, Community

P = CatalogEntry.Procedure

# (name, what it covers, level, procedure, rule set, households, per cent, children).
# Thresholds are deliberately low: they only decide when a resident's topic reaches the
# committee's queue; the petitions of domain-rules.md apply on top, whatever the entry.
DEFAULT_CATALOG = [
    (
        "公共设施与环境",
        "小区和社区公共设施、环境卫生、绿化、安全等公共事务。",
        "compound",
        P.COUNCIL_MEETING,
        "",
        5,
        None,
        [
            (
                "公共设施维护",
                "道路、照明、健身器材、休闲座椅、非机动车棚等公共设施的维修和增设。",
                "compound",
                P.COUNCIL_MEETING,
                "",
                5,
                None,
            ),
            (
                "环境卫生与垃圾分类",
                "垃圾分类投放点设置、清运时间、楼道堆物清理、环境整治。",
                "compound",
                P.COUNCIL_MEETING,
                "",
                5,
                None,
            ),
            (
                "绿化养护",
                "绿地补种、树木修剪、毁绿种菜整治。",
                "compound",
                P.COUNCIL_MEETING,
                "",
                5,
                None,
            ),
            (
                "公共安全",
                "消防通道、电动车入户充电、高空抛物、监控设施等安全隐患。",
                "community",
                P.COUNCIL_MEETING,
                "",
                3,
                None,
            ),
        ],
    ),
    (
        "物业与停车",
        "物业服务质量、收费和小区停车秩序。",
        "compound",
        P.HEARING,
        "",
        None,
        10,
        [
            (
                "物业服务",
                "物业服务标准、收费、续聘或选聘物业服务企业。",
                "compound",
                P.HEARING,
                "",
                None,
                10,
            ),
            ("停车管理", "车位划分、停车收费、外来车辆管理。", "compound", P.HEARING, "", None, 10),
        ],
    ),
    (
        "楼栋事务",
        "一栋楼或一个单元的住户共同面对的事务。",
        "building",
        P.COUNCIL_MEETING,
        "",
        3,
        None,
        [
            (
                "加装电梯",
                "既有住宅加装电梯：方案、费用分摊、对低层住户的补偿。须经本单元业主表决。",
                "building",
                P.OWNERS_VOTE,
                "owners_special",
                3,
                None,
            ),
            (
                "宠物饲养",
                "文明养犬、楼道和绿地卫生、宠物扰民。",
                "compound",
                P.COUNCIL_MEETING,
                "",
                5,
                None,
            ),
            (
                "邻里纠纷",
                "漏水、噪声、占用公共空间等邻里之间的纠纷调解。",
                "building",
                P.COORDINATION_MEETING,
                "",
                2,
                None,
            ),
        ],
    ),
    (
        "共有资金与共有部分",
        "业主共有的收益和资金的使用，共有部分的用途。",
        "compound",
        P.OWNERS_VOTE,
        "owners_ordinary",
        None,
        10,
        [
            (
                "公共收益使用",
                "电梯广告、公共停车位等公共收益的收支和使用。",
                "compound",
                P.OWNERS_VOTE,
                "owners_ordinary",
                None,
                10,
            ),
            (
                "维修资金使用",
                "使用住宅专项维修资金维修屋面、外墙、管线、电梯等共用部位和设施。",
                "building",
                P.OWNERS_VOTE,
                "owners_special",
                None,
                10,
            ),
        ],
    ),
    (
        "社区公共事务",
        "涉及全体居民利益的社区重大事项，由居民会议讨论决定。",
        "community",
        P.RESIDENTS_MEETING,
        "residents_assembly",
        None,
        2,
        [],
    ),
]


def _entry(community, parent, position, row) -> CatalogEntry:
    name, covers, level, procedure, rule_name, households, percent = row[:7]
    return CatalogEntry.objects.create(
        community=community,
        parent=parent,
        name=name,
        covers=covers,
        level=level,
        procedure=procedure,
        rule_name=rule_name,
        threshold_households=households,
        threshold_percent=percent,
        position=position,
    )


def provision_default_catalog(community: Community) -> int:
    """Give a community the default catalog, once: a community that has entries (its
    own, or the default as its committee edited it) is left alone."""
    with transaction.atomic():
        if CatalogEntry.objects.filter(community=community).exists():
            return 0
        created = 0
        for position, row in enumerate(DEFAULT_CATALOG):
            parent = _entry(community, None, position * 10, row)
            created += 1
            for child_position, child in enumerate(row[7]):
                _entry(community, parent, position * 10 + child_position + 1, child)
                created += 1
        trace.record(
            actor=None, action="catalog.provisioned", obj=community, after={"entries": created}
        )
    return created


def _check(entry: CatalogEntry) -> None:
    if (entry.threshold_households is None) == (entry.threshold_percent is None):
        raise ValidationError(
            _("Give either a number of households or a share of households, not both.")
        )
    # Called from services as well as from the back office's form, which is the only
    # one to run the fields' validators: a threshold of none would accept every topic.
    if (entry.threshold_households is not None and entry.threshold_households < 1) or (
        entry.threshold_percent is not None and not 1 <= entry.threshold_percent <= 100
    ):
        raise ValidationError(
            _("A threshold is at least one household, or a share from 1 to 100 per cent.")
        )
    if entry.parent_id is not None:
        if entry.parent.community_id != entry.community_id:
            raise ValidationError(_("An entry can only be part of an entry of its community."))
        has_children = entry.pk is not None and entry.children.exists()
        if entry.parent.parent_id is not None or has_children:
            raise ValidationError(_("The catalog has two levels: a group and its entries."))
    same_name = CatalogEntry.objects.filter(community_id=entry.community_id, name=entry.name)
    if same_name.exclude(pk=entry.pk).exists():
        raise ValidationError(
            _("The catalog already has an entry called %(name)s.") % {"name": entry.name}
        )
    if entry.procedure == P.OWNERS_VOTE and not entry.rule_name:
        raise ValidationError(_("Name the rule set of the owners' vote."))
    if entry.rule_name:
        try:
            get_ruleset(entry.rule_name)
        except RuleSetError as error:
            raise ValidationError(str(error)) from error


FIELDS = ["name", "level", "procedure", "rule_name", "threshold_households", "threshold_percent"]


def save_entry(user, entry: CatalogEntry, *, created: bool) -> CatalogEntry:
    action = "add" if created else "change"
    communities = [entry.community]
    if not created:  # moving an entry needs the right in the community it leaves too
        communities.append(CatalogEntry.objects.get(pk=entry.pk).community)
    if not all(policies.can_edit_catalog(user, c, action) for c in communities):
        raise PermissionDenied(_("Only the residents' committee edits its community's catalog."))
    _check(entry)
    with transaction.atomic():
        before = {}
        if not created:
            before = trace.snapshot(CatalogEntry.objects.get(pk=entry.pk), FIELDS)
        entry.save()
        trace.record(
            actor=user,
            action="catalog.entry_saved",
            obj=entry,
            before=before,
            after=trace.snapshot(entry, FIELDS),
            public=True,
        )
    return entry


def delete_entry(user, entry: CatalogEntry) -> None:
    if not policies.can_edit_catalog(user, entry.community, "delete"):
        raise PermissionDenied(_("Only the residents' committee edits its community's catalog."))
    if entry.topics.exists() or entry.children.exists():
        raise ValidationError(
            _("Topics or entries still belong to this entry; it can be renamed, not deleted.")
        )
    with transaction.atomic():
        trace.record(
            actor=user,
            action="catalog.entry_deleted",
            obj=entry,
            before=trace.snapshot(entry, FIELDS),
            public=True,
        )
        entry.delete()
