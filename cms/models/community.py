"""A community's own corner of the site: its home page and the indexes under it.

The tree is created for every community by `cms.services.provision_community`, never by
hand: CommunityPage → notices, disclosures, adopted pacts and minutes, one index each.
"""

from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import RichTextField
from wagtail.models import Page

from deliberation import queries as deliberation_queries

from ..personal_data import PersonalDataGuardMixin


class CommunityPage(PersonalDataGuardMixin, Page):
    """The home page of one community (社区), tied to its `Community`."""

    community = models.OneToOneField(
        "deliberation.Community",
        verbose_name=_("community"),
        on_delete=models.PROTECT,
        related_name="page",
    )
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = [
        "cms.NoticeIndexPage",
        "cms.DisclosureIndexPage",
        "cms.PactIndexPage",
        "cms.MinutesIndexPage",
    ]
    # Communities get their page from provisioning, with the community set.
    is_creatable = False
    template = "cms/community_page.html"

    class Meta:
        verbose_name = _("community home page")

    @classmethod
    def above(cls, page) -> "CommunityPage | None":
        """The community home page at or above `page` (None for pages of no community)."""
        if page is None or not page.pk:
            return None
        return cls.objects.ancestor_of(page, inclusive=True).select_related("community").first()


class _CommunitySection(PersonalDataGuardMixin, Page):
    """An index directly under a community's home page, one of each kind."""

    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link"])

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.CommunityPage"]
    max_count_per_parent = 1

    class Meta:
        abstract = True


class NoticeIndexPage(_CommunitySection):
    is_creatable = False  # Wagtail resets it for each subclass
    subpage_types = ["cms.NoticePage"]
    template = "cms/notice_index_page.html"

    class Meta:
        verbose_name = _("notices")


class DisclosureIndexPage(_CommunitySection):
    is_creatable = False  # Wagtail resets it for each subclass
    subpage_types = ["cms.DisclosurePage"]
    template = "cms/disclosure_index_page.html"

    class Meta:
        verbose_name = _("disclosures")


class PactIndexPage(_CommunitySection):
    """Adopted pacts, one page each, published here when their vote passes
    (cms.services.publish_pact), not written by hand."""

    is_creatable = False  # Wagtail resets it for each subclass

    subpage_types = ["cms.PactPage"]
    template = "cms/pacts_index_page.html"

    class Meta:
        verbose_name = _("adopted pacts")


class MinutesIndexPage(RoutablePageMixin, _CommunitySection):
    """The community's published minutes (纪要), read from the meeting record rather than
    written as pages: the list here, newest first, and each at `<index url><id>/`."""

    is_creatable = False  # Wagtail resets it for each subclass

    subpage_types: list[str] = []
    template = "cms/minutes_index.html"
    page_size = 20

    class Meta:
        verbose_name = _("minutes")

    def _published(self):
        home = CommunityPage.above(self)
        if home is None:
            raise Http404
        return deliberation_queries.published_minutes(home.community_id)

    @path("")
    def minutes_list(self, request):
        page = Paginator(self._published(), self.page_size).get_page(request.GET.get("page"))
        base = self.get_url(request)
        for minutes in page.object_list:
            minutes.url = base + self.reverse_subpage("minutes", args=[minutes.pk])
        return self.render(request, context_overrides={"minutes_page": page})

    @path("<int:minutes_id>/", name="minutes")
    def minutes(self, request, minutes_id: int):
        minutes = self._published().filter(pk=minutes_id).first()
        if minutes is None:
            raise Http404
        return self.render(
            request, template="cms/minutes_detail.html", context_overrides={"minutes": minutes}
        )


# A community's home page and its sections: made by provisioning, never by hand, and they
# stay.
FRAME_PAGES = (CommunityPage, NoticeIndexPage, DisclosureIndexPage, PactIndexPage, MinutesIndexPage)
