"""The read side of the community pages: lists whose query count does not grow with
their rows."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import (
    CommunityPage,
    DisclosurePage,
    DisclosureQuestion,
    NoticePage,
    NoticeRead,
)
from .policies import Reach


def _current(now=None) -> Q:
    now = now or timezone.now()
    return Q(valid_from__lte=now) & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def notices_under(page, *, current_only: bool = False) -> QuerySet[NoticePage]:
    notices = NoticePage.objects.live().descendant_of(page).select_related("compound", "building")
    if current_only:
        notices = notices.filter(_current())
    return notices.order_by("-pinned", "-valid_from", "-pk")


def notices_for(user, reach: Reach, *, now=None) -> QuerySet[NoticePage]:
    """Current notices addressed to a resident: their communities, compounds, buildings."""
    if not reach.communities:
        return NoticePage.objects.none()
    paths = CommunityPage.objects.filter(community_id__in=reach.communities).values_list(
        "path", flat=True
    )
    under = Q()
    for path in paths:
        under |= Q(path__startswith=path)
    if not under:
        return NoticePage.objects.none()
    addressed = (Q(building__isnull=True) | Q(building_id__in=reach.buildings)) & (
        Q(compound__isnull=True) | Q(compound_id__in=reach.compounds)
    )
    return (
        NoticePage.objects.live()
        .filter(under, addressed, _current(now))
        .select_related("compound", "building")
        .annotate(read=Exists(NoticeRead.objects.filter(notice=OuterRef("pk"), user=user)))
        .order_by("-pinned", "-urgency", "-valid_from", "-pk")
    )


def disclosures_under(page, *, category=None, year=None, period_kind=None):
    disclosures = (
        DisclosurePage.objects.live()
        .descendant_of(page)
        .select_related("withdrawal")
        .annotate(question_count=Count("questions"))
    )
    if category:
        disclosures = disclosures.filter(category=category)
    if year:
        disclosures = disclosures.filter(year=year)
    if period_kind:
        disclosures = disclosures.filter(period_kind=period_kind)
    return disclosures.order_by("-year", "-period_number", "-first_published_at", "-pk")


def disclosure_years(page) -> list[int]:
    return list(
        DisclosurePage.objects.live()
        .descendant_of(page)
        .order_by("-year")
        .values_list("year", flat=True)
        .distinct()
    )


def questions_on(page) -> QuerySet[DisclosureQuestion]:
    return page.questions.select_related("asker", "answered_by").order_by("asked_at", "pk")


def search(community_page, text: str) -> list:
    """Live notices and disclosures of one community whose text contains `text`, as a
    plain substring (搜索“停车”找到《关于小区停车位调整的通知》) on any database."""
    found = []
    for model in (NoticePage, DisclosurePage):
        found.extend(
            model.objects.live()
            .descendant_of(community_page)
            .filter(Q(title__icontains=text) | Q(search_text__icontains=text))
            .order_by("-first_published_at")[:50]
        )
    return sorted(found, key=lambda page: page.first_published_at, reverse=True)
