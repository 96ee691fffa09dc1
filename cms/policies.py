"""Who may do what with community pages: plain functions of (user, object)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext as _

from deliberation.models import Membership, Role
from deliberation.policies import is_signed_in

from .models import (
    FRAME_PAGES,
    DisclosurePage,
    PactPage,
)
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


def can_see_reads(user, notice) -> bool:
    """Editors of the community follow who has read its urgent notices, building by
    building."""
    if not notice.is_urgent:
        return False
    community = community_of_page(notice)
    return is_editor_of(user, community.pk if community else None)


def edits_any_community(user) -> bool:
    """Whether the person writes the pages of some community (and so answers questions
    on its disclosures)."""
    if not is_signed_in(user):
        return False
    return (
        user.is_superuser
        or Role.objects.filter(user=user, kind__in=EDITOR_KINDS, compound__isnull=True).exists()
    )


def question_refusal(user, page) -> str | None:
    """Why the person may not ask about a disclosure, for the page to explain:
    "unpublished", "sign_in" or "not_resident"; None when they may."""
    if can_ask_question(user, page):
        return None
    if not page.live:
        return "unpublished"
    if not is_signed_in(user):
        return "sign_in"
    return "not_resident"


def _holds_published_disclosures(page) -> bool:
    return (
        DisclosurePage.objects.descendant_of(page, inclusive=True)
        .filter(first_published_at__isnull=False)
        .exists()
    )


def _is_structure(page) -> bool:
    """A community's home page and its sections are made by provisioning and stay."""
    return page.specific_class in FRAME_PAGES


def adopted_pact_refusal(page) -> str | None:
    """Why nobody, superusers included, may change, move, unpublish or delete this page
    by hand: it is, or holds, the text residents adopted by vote, which the site
    publishes and changes only when they adopt a new version."""
    if not PactPage.objects.descendant_of(page, inclusive=True).exists():
        return None
    return _(
        "“%(title)s” is the text the residents adopted by vote, published by the site: it "
        "changes only when they adopt a new version of the pact."
    ) % {"title": page.title}


def move_refusal(page) -> str | None:
    return adopted_pact_refusal(page)


def delete_refusal(page) -> str | None:
    """Why nobody, superusers included, may delete this page: a disclosure that was ever
    published stays on the record, and so does every page above one. A disclosure is
    withdrawn instead, with a reason that stays public. None when it may be deleted."""
    if _is_structure(page):
        return _(
            "“%(title)s” is part of the community's site, made with the community: it "
            "cannot be deleted."
        ) % {"title": page.title}
    if refusal := adopted_pact_refusal(page):
        return refusal
    if not _holds_published_disclosures(page):
        return None
    if page.specific_class is DisclosurePage:
        return _(
            "A published disclosure is never deleted. Withdraw it instead: the reason you "
            "give stays public beside it."
        )
    return _(
        "“%(title)s” holds published disclosures, which are never deleted. Withdraw a "
        "disclosure instead: the reason you give stays public beside it."
    ) % {"title": page.title}


def unpublish_refusal(page) -> str | None:
    """Why nobody, superusers included, may unpublish this page: a published disclosure
    stays online, and so does every page above one; a withdrawn one stays visible, marked
    as withdrawn, with its reason. None when it may be unpublished."""
    if _is_structure(page):
        return _(
            "“%(title)s” is part of the community's site, made with the community: it "
            "cannot be taken offline."
        ) % {"title": page.title}
    if refusal := adopted_pact_refusal(page):
        return refusal
    if not _holds_published_disclosures(page):
        return None
    if page.specific_class is DisclosurePage:
        return _(
            "A published disclosure is never unpublished. Withdraw it instead: it stays "
            "visible, marked as withdrawn, with the reason you give."
        )
    return _(
        "“%(title)s” holds published disclosures, which never go offline. Withdraw a "
        "disclosure instead: it stays visible, marked as withdrawn, with the reason you give."
    ) % {"title": page.title}
