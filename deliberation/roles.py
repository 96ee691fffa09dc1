"""Roles map to Django groups, one per (community, role kind), carrying back-office
permissions. What each kind may do in the back office is declared here as data."""

from django.contrib.auth.models import Group, Permission

from .models import Community, Role, RoleGroup

VIEW_PLACES = [
    "deliberation.view_community",
    "deliberation.view_compound",
    "deliberation.view_building",
    "deliberation.view_dwelling",
    "deliberation.view_role",
]
# Who claimed which dwelling, and the private trace: committees that answer for them.
VIEW_PEOPLE = ["deliberation.view_membership", "deliberation.view_traceentry"]
EDIT_PLACES = [
    "deliberation.change_community",
    "deliberation.add_compound",
    "deliberation.change_compound",
    "deliberation.add_building",
    "deliberation.change_building",
    "deliberation.add_dwelling",
    "deliberation.change_dwelling",
]
VERIFY = ["deliberation.change_membership"]
MANAGE_ROLES = ["deliberation.add_role", "deliberation.delete_role"]
RUN_POLLS = ["polls.add_poll", "polls.change_poll", "polls.view_poll"]
WATCH_POLLS = ["polls.view_poll"]
ADMIN = ["wagtailadmin.access_admin"]
# Triage and steer topics, hide comments; the catalog is the residents' committee's.
HANDLE_TOPICS = [
    "deliberation.view_topic",
    "deliberation.change_topic",
    "deliberation.view_comment",
    "deliberation.change_comment",
    "deliberation.view_catalogentry",
]
EDIT_CATALOG = [
    "deliberation.add_catalogentry",
    "deliberation.change_catalogentry",
    "deliberation.delete_catalogentry",
]
WATCH_TOPICS = ["deliberation.view_topic", "deliberation.view_catalogentry"]
# Set up councils and meetings, their agendas, and publish minutes.
RUN_MEETINGS = [
    "deliberation.view_council",
    "deliberation.add_council",
    "deliberation.change_council",
    "deliberation.view_meeting",
    "deliberation.add_meeting",
    "deliberation.change_meeting",
]
WATCH_MEETINGS = ["deliberation.view_council", "deliberation.view_meeting"]
# Start resident pacts, house rules and management rules, and name their drafting committee.
RUN_PACTS = ["deliberation.view_pact", "deliberation.add_pact", "deliberation.change_pact"]
WATCH_PACTS = ["deliberation.view_pact"]

PERMISSIONS_BY_KIND: dict[str, list[str]] = {
    Role.Kind.RESIDENTS_COMMITTEE: ADMIN
    + VIEW_PLACES
    + VIEW_PEOPLE
    + EDIT_PLACES
    + VERIFY
    + MANAGE_ROLES
    + RUN_POLLS
    + HANDLE_TOPICS
    + EDIT_CATALOG
    + RUN_MEETINGS
    + RUN_PACTS,
    Role.Kind.OWNERS_COMMITTEE: ADMIN
    + VIEW_PLACES
    + VIEW_PEOPLE
    + VERIFY
    + RUN_POLLS
    + HANDLE_TOPICS
    + RUN_MEETINGS
    + RUN_PACTS,
    Role.Kind.PROPERTY_COMPANY: ADMIN + VIEW_PLACES + WATCH_TOPICS + WATCH_MEETINGS + WATCH_PACTS,
    Role.Kind.PARTY_ORGANISATION: ADMIN
    + VIEW_PLACES
    + WATCH_POLLS
    + WATCH_TOPICS
    + WATCH_MEETINGS
    + WATCH_PACTS,
    Role.Kind.SUPERVISORY_COMMITTEE: ADMIN
    + VIEW_PLACES
    + VIEW_PEOPLE
    + WATCH_POLLS
    + WATCH_TOPICS
    + WATCH_MEETINGS
    + WATCH_PACTS,
}

# Role kinds whose holders verify residents' claims to dwellings.
VERIFYING_KINDS = (Role.Kind.RESIDENTS_COMMITTEE, Role.Kind.OWNERS_COMMITTEE)


# Group names are shown to staff in the back office; they stay in Chinese whatever the
# language of the request that created them.
GROUP_SUFFIX = {
    Role.Kind.RESIDENTS_COMMITTEE: "居委会",
    Role.Kind.OWNERS_COMMITTEE: "业委会",
    Role.Kind.PROPERTY_COMPANY: "物业",
    Role.Kind.PARTY_ORGANISATION: "党组织",
    Role.Kind.SUPERVISORY_COMMITTEE: "居务监督委员会",
}


def group_name(community: Community, kind: str) -> str:
    return f"{community.name}·{GROUP_SUFFIX[kind]}"[:150]


def group_for(community: Community, kind: str) -> Group:
    """The group of one role kind in one community, created with its permissions."""
    link = RoleGroup.objects.select_related("group").filter(community=community, kind=kind).first()
    if link:
        return link.group
    name = group_name(community, kind)
    if Group.objects.filter(name=name).exists():  # a renamed community left this name behind
        name = f"{name} #{community.pk}"
    group = Group.objects.create(name=name)
    RoleGroup.objects.create(community=community, kind=kind, group=group)
    sync_group_permissions(group, kind)
    return group


def sync_all_role_groups() -> None:
    """Bring every role group's permissions in line with PERMISSIONS_BY_KIND."""
    for link in RoleGroup.objects.select_related("group"):
        sync_group_permissions(link.group, link.kind)


def sync_group_permissions(group: Group, kind: str) -> None:
    wanted = PERMISSIONS_BY_KIND[kind]
    perms = [
        p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in=[w.split(".")[1] for w in wanted]
        )
        if f"{p.content_type.app_label}.{p.codename}" in wanted
    ]
    group.permissions.set(perms)
