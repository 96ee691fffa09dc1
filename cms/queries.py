"""The read side of the community pages: lists whose query count does not grow with
their rows."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.utils import timezone
from wagtail.models import PageLogEntry

from .models import (
    CommunityPage,
    DisclosurePage,
    DisclosureQuestion,
    NoticePage,
    NoticeRead,
    Withdrawal,
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


# ---------------------------------------------------------------- disclosures: versions, questions

# Publishing at once and publishing on schedule both make a revision the live one.
PUBLISH_ACTIONS = ("wagtail.publish", "wagtail.publish.scheduled")


def publications(page) -> QuerySet[PageLogEntry]:
    """The page's publications, newest first, each with the revision it made live.
    Filtering on a column of the revision joins it, which leaves out entries whose
    revision has since been purged (the log keeps no database constraint on it)."""
    return (
        PageLogEntry.objects.filter(
            page=page, action__in=PUBLISH_ACTIONS, revision__created_at__isnull=False
        )
        .select_related("revision")
        .order_by("-timestamp", "-pk")
    )


def withdrawal_of(page) -> Withdrawal | None:
    return Withdrawal.objects.filter(page_id=page.pk).first()


def questions_in(communities: Q) -> QuerySet[DisclosureQuestion]:
    """Questions on the disclosures of the communities matching `communities` (a filter
    on `CommunityPage`), in one query: unanswered ones first, the longest waiting first;
    then answered ones, the latest answered first."""
    # The community's home page is above the disclosure: its path begins the page's path.
    home_above = CommunityPage.objects.filter(
        communities, path=Substr(OuterRef("page__path"), 1, Length("path"))
    )
    return (
        DisclosureQuestion.objects.filter(Exists(home_above))
        .select_related("page")
        .order_by(F("answered_at").desc(nulls_first=True), "asked_at", "pk")
    )


def overdue(questions: QuerySet[DisclosureQuestion], *, now=None) -> QuerySet[DisclosureQuestion]:
    """Those of `questions` still unanswered after the days allowed, as
    `DisclosureQuestion.is_overdue` says of one."""
    days = dt.timedelta(days=settings.YISHI_QUESTION_ANSWER_DAYS)
    return questions.filter(answered_at__isnull=True, asked_at__lte=(now or timezone.now()) - days)
