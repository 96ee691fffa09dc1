"""Who may do what with community pages: plain functions of (user, object)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from deliberation.models import Membership, Role
from deliberation.policies import is_signed_in

from .scope import community_of_page

EDITOR_KINDS = (Role.Kind.RESIDENTS_COMMITTEE, Role.Kind.PARTY_ORGANISATION)


@dataclass(frozen=True)
class Reach:
    """Where a resident's verified memberships are: what notices are addressed to them."""

    communities: frozenset[int]
    compounds: frozenset[int]
    buildings: frozenset[int]

    def covers(self, community_id: int | None, compound_id, building_id) -> bool:
        if community_id not in self.communities:
            return False
        if building_id:
            return building_id in self.buildings
        if compound_id:
            return compound_id in self.compounds
        return True


NOWHERE = Reach(frozenset(), frozenset(), frozenset())


def reach_of(user) -> Reach:
    if not is_signed_in(user):
        return NOWHERE
    rows = Membership.objects.filter(user=user, status=Membership.Status.VERIFIED).values_list(
        "dwelling__building__compound__community_id",
        "dwelling__building__compound_id",
        "dwelling__building_id",
    )
    rows = list(rows)
    return Reach(
        frozenset(r[0] for r in rows), frozenset(r[1] for r in rows), frozenset(r[2] for r in rows)
    )


def notice_addressed_to(reach: Reach, notice, community_id: int | None) -> bool:
    return reach.covers(community_id, notice.compound_id, notice.building_id)


def can_confirm_read(user, notice) -> bool:
    community = community_of_page(notice)
    return (
        notice.live
        and notice.is_urgent
        and notice_addressed_to(reach_of(user), notice, community.pk if community else None)
    )


def is_verified_resident_of(user, community_id: int | None) -> bool:
    return community_id is not None and community_id in reach_of(user).communities


def can_ask_question(user, page) -> bool:
    community = community_of_page(page)
    return page.live and is_verified_resident_of(user, community.pk if community else None)


def is_editor_of(user, community_id: int | None) -> bool:
    """Residents' committee and party organisation members write the community's pages."""
    if not is_signed_in(user) or community_id is None:
        return False
    if user.is_superuser:
        return True
    return Role.objects.filter(
        user=user, community_id=community_id, kind__in=EDITOR_KINDS, compound__isnull=True
    ).exists()


def can_answer_question(user, question) -> bool:
    community = community_of_page(question.page)
    return is_editor_of(user, community.pk if community else None)


def can_withdraw(user, page) -> bool:
    community = community_of_page(page)
    return is_editor_of(user, community.pk if community else None)


def editor_community_filter(user, field: str) -> Q:
    """Rows of the communities where `user` edits pages (`field` leads to a community id)."""
    if user.is_superuser:
        return Q()
    ids = Role.objects.filter(user=user, kind__in=EDITOR_KINDS, compound__isnull=True).values(
        "community_id"
    )
    return Q(**{f"{field}__in": ids})
