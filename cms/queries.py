"""The read side of the community pages: lists whose query count does not grow with
their rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Length, Substr
from django.utils import timezone
from wagtail.models import Page, PageLogEntry

from deliberation.models import Amendment, Article, Building, Membership, Pact, PactVersion
from polls.charts import percent

from .models import (
    CommunityPage,
    DisclosurePage,
    DisclosureQuestion,
    NoticePage,
    NoticeRead,
    PactPage,
    Withdrawal,
)
from .policies import Reach


def _current(now=None) -> Q:
    now = now or timezone.now()
    return Q(valid_from__lte=now) & (Q(valid_until__isnull=True) | Q(valid_until__gt=now))


def notices_under(page, *, current_only: bool = False) -> QuerySet[NoticePage]:
    notices = (
        NoticePage.objects.live()
        .descendant_of(page)
        .select_related("compound", "building__compound")
    )
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
        .select_related("compound", "building__compound")
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


# Pages that were never published through a revision have no first publication date:
# they sort last, on SQLite and PostgreSQL alike.
_NEWEST_FIRST = (F("first_published_at").desc(nulls_last=True), "-pk")
_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)
# What a list of notices or disclosures shows beside the title.
_LIST_RELATED = {NoticePage: ("compound", "building__compound"), DisclosurePage: ("withdrawal",)}


def _newest_published(root, where: Q, limit: int) -> list:
    """The newest `limit` live notices and disclosures under `root` that match `where`."""
    found = []
    for model in (NoticePage, DisclosurePage):
        found.extend(
            model.objects.live()
            .descendant_of(root)
            .filter(where)
            .select_related(*_LIST_RELATED[model])
            .order_by(*_NEWEST_FIRST)[:limit]
        )
    found.sort(key=lambda page: (page.first_published_at or _NEVER, page.pk), reverse=True)
    return found[:limit]


def search(root, text: str, *, limit: int = 50) -> list:
    """Live notices and disclosures under `root` (a community's home page, or the site's)
    whose text contains `text`, as a plain substring (搜索“停车”找到《关于小区停车位调整的通知》)
    on any database: the newest `limit` of them."""
    return _newest_published(root, Q(title__icontains=text) | Q(search_text__icontains=text), limit)


# ---------------------------------------------------------------- notices: board, reach, reads


def current_notices_under(page, *, now=None) -> QuerySet[NoticePage]:
    """The notice board: pinned notices first, then urgent ones, then the newest."""
    return (
        notices_under(page)
        .filter(_current(now))
        .order_by("-pinned", "-urgency", "-valid_from", "-pk")
    )


def past_notices_under(page, *, now=None) -> QuerySet[NoticePage]:
    return (
        notices_under(page)
        .filter(valid_until__lte=now or timezone.now())
        .order_by("-valid_until", "-pk")
    )


def residents_addressed(notice: NoticePage, community_id: int | None) -> QuerySet:
    """The people a notice is addressed to, through a verified membership in its scope:
    each once, however many dwellings they have."""
    building = "memberships__dwelling__building"
    # One filter() call: the same membership must be verified and in scope.
    scope = Q(
        memberships__status=Membership.Status.VERIFIED,
        **{f"{building}__compound__community_id": community_id},
    )
    if notice.building_id:
        scope &= Q(**{f"{building}_id": notice.building_id})
    elif notice.compound_id:
        scope &= Q(**{f"{building}__compound_id": notice.compound_id})
    return get_user_model().objects.filter(scope, is_active=True).distinct()


@dataclass(frozen=True)
class ReadTally:
    """How many of the residents a notice is addressed to have confirmed reading it."""

    label: str
    residents: int
    read: int

    @property
    def not_read(self) -> int:
        return self.residents - self.read

    @property
    def percent(self) -> str:
        """The share for reading, rounded half up like every share on the site."""
        return percent(self.read, self.residents)


def reads_by_building(notice: NoticePage, community_id: int | None) -> list[ReadTally]:
    """One tally per building in the notice's scope, in the order of the register."""
    person = "dwellings__memberships__user"
    counted = Q(
        dwellings__memberships__status=Membership.Status.VERIFIED,
        dwellings__memberships__user__is_active=True,
    )
    readers = NoticeRead.objects.filter(notice=notice).values("user_id")
    buildings = Building.objects.filter(compound__community_id=community_id)
    if notice.building_id:
        buildings = buildings.filter(pk=notice.building_id)
    elif notice.compound_id:
        buildings = buildings.filter(compound_id=notice.compound_id)
    buildings = (
        buildings.select_related("compound")
        .annotate(
            residents=Count(person, filter=counted, distinct=True),
            read=Count(person, filter=counted & Q(**{f"{person}__in": readers}), distinct=True),
        )
        .order_by("compound__name", "name", "pk")
    )
    return [ReadTally(str(b), b.residents, b.read) for b in buildings]


def reads_in_total(notice: NoticePage, community_id: int | None) -> ReadTally:
    """All residents in scope, each counted once even with dwellings in two buildings."""
    residents = residents_addressed(notice, community_id)
    return ReadTally(
        "",
        residents.count(),
        residents.filter(pk__in=NoticeRead.objects.filter(notice=notice).values("user_id")).count(),
    )


def read_of(notice: NoticePage, user) -> NoticeRead | None:
    """When this person confirmed reading the notice, if they have."""
    return NoticeRead.objects.filter(notice=notice, user=user).first()


# ---------------------------------------------------------------- community home, feeds, search


def community_pages(home) -> QuerySet[CommunityPage]:
    """The communities' home pages under the site's home page, by name."""
    return CommunityPage.objects.live().child_of(home).order_by("title", "pk")


def sections_of(community_page) -> QuerySet[Page]:
    """A community's sections (notices, disclosures, pacts, minutes), in the tree's order."""
    return Page.objects.live().child_of(community_page).select_related("content_type")


def published_children(page) -> QuerySet[Page]:
    return Page.objects.live().child_of(page).order_by(*_NEWEST_FIRST)


def published_under(page, *, limit: int) -> list:
    """The newest `limit` live notices and disclosures under a page: a community's feed."""
    return _newest_published(page, Q(), limit)


def community_pages_above(pages) -> dict[int, CommunityPage]:
    """The community home page above each of `pages`, by page id, in one query."""
    step = Page.steplen
    prefixes = {page.path[:end] for page in pages for end in range(step, len(page.path), step)}
    homes = list(CommunityPage.objects.filter(path__in=prefixes)) if prefixes else []
    return {page.pk: home for page in pages for home in homes if page.path.startswith(home.path)}


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


# ---------------------------------------------------------------- adopted pacts

_PACT_PLACE = ("community", "compound", "building__compound")


def pacts_index_children(index) -> QuerySet[Page]:
    """A pacts index's live children, newest first, each pact page with its pact, the
    pact's place and the version in force (`page.pactpage`), in one query."""
    return published_children(index).select_related(
        *(f"pactpage__pact__{place}" for place in _PACT_PLACE), "pactpage__version"
    )


def pact_of(page: PactPage) -> Pact:
    return Pact.objects.select_related(*_PACT_PLACE).get(pk=page.pact_id)


def version_in_force(page: PactPage) -> PactVersion:
    """The version the page publishes, with its vote and the vote's result."""
    return PactVersion.objects.select_related("poll__result").get(pk=page.version_id)


def articles_of(version: PactVersion) -> list[Article]:
    return list(Article.objects.filter(version=version).order_by("position"))


def published_versions(pact: Pact) -> list[PactVersion]:
    """Every published version of the pact, oldest first, with its vote and result."""
    return list(
        PactVersion.objects.filter(pact=pact, published_at__isnull=False)
        .select_related("poll__result")
        .order_by("number")
    )


def amendments_of(pact: Pact) -> list[Amendment]:
    """Every amendment of the pact, in the order proposed, with the version it amended
    and the one it entered."""
    return list(
        Amendment.objects.filter(pact=pact)
        .select_related("author", "version", "merged_into")
        .order_by("created_at", "pk")
    )


def article_numbers(version_ids) -> dict[tuple[int, int], int]:
    """The number (position) of each article in the given versions, by (version, key)."""
    rows = Article.objects.filter(version_id__in=set(version_ids)).values_list(
        "version_id", "key", "position"
    )
    return {(version, key): position for version, key, position in rows}
