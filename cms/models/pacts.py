"""Adopted pacts on the community's site: one page per pact under the community's pacts
index, published by the system when a version is adopted (cms.services.publish_pact),
never written by hand. Each later adoption publishes a new revision of the same page,
so that the page's own history follows the pact's."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page
from wagtail.search import index

from .texts import SearchTextMixin


class PactPage(SearchTextMixin, Page):
    """The official text of a pact in force, with the vote that adopted it, its version
    history and the fate of every amendment (read from the pact's record when shown).

    No personal-data guard here, unlike the pages editors write: the text is the one the
    residents adopted and already read on the pact's own pages, and refusing it would
    undo the adoption."""

    pact = models.OneToOneField(
        "deliberation.Pact",
        on_delete=models.PROTECT,
        related_name="published_page",
        verbose_name=_("pact"),
    )
    version = models.ForeignKey(
        "deliberation.PactVersion",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("version in force"),
    )
    text = models.TextField(_("official text"), editable=False)

    content_panels = [*Page.content_panels]
    search_fields = [*Page.search_fields, index.SearchField("text")]
    search_text_fields = ["text"]
    parent_page_types = ["cms.PactIndexPage"]
    subpage_types: list[str] = []
    # Published from the adoption vote only.
    is_creatable = False
    template = "cms/pact_page.html"

    class Meta:
        verbose_name = _("adopted pact")
        verbose_name_plural = _("adopted pacts")
