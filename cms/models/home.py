from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from ..personal_data import PersonalDataGuardMixin


class HomePage(PersonalDataGuardMixin, Page):
    """The site's front page: what Yishi is, and the way in for residents."""

    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["cms.CommunityPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")
