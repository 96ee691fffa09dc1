"""Notices (公告): what the committee tells the residents of a community, a compound or
one building, and who has read the urgent ones."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from ..personal_data import PersonalDataGuardMixin
from .community import CommunityPage
from .texts import SearchTextMixin


class NoticeForm(WagtailAdminPageForm):
    """Offers only the compounds and buildings of the notice's own community."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        home = CommunityPage.above(self.parent_page or self.instance)
        if home is None:
            return
        community = home.community
        for name, lookup in (("compound", "community"), ("building", "compound__community")):
            if name in self.fields:
                field = self.fields[name]
                field.queryset = field.queryset.filter(**{lookup: community})

    def clean(self):
        cleaned = super().clean()
        compound, building = cleaned.get("compound"), cleaned.get("building")
        if compound and building and building.compound_id != compound.pk:
            self.add_error("building", _("This building is not in the chosen compound."))
        valid_from, valid_until = cleaned.get("valid_from"), cleaned.get("valid_until")
        if valid_from and valid_until and valid_until <= valid_from:
            self.add_error("valid_until", _("A notice must end after it starts."))
        return cleaned


class NoticePage(PersonalDataGuardMixin, SearchTextMixin, Page):
    class Urgency(models.TextChoices):
        NORMAL = "normal", _("normal")
        URGENT = "urgent", _("urgent: residents confirm they have read it")

    compound = models.ForeignKey(
        "deliberation.Compound",
        verbose_name=_("compound"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for the whole community."),
    )
    building = models.ForeignKey(
        "deliberation.Building",
        verbose_name=_("building"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty for the whole compound or community."),
    )
    urgency = models.CharField(
        _("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    valid_from = models.DateTimeField(_("valid from"), default=timezone.now)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    body = RichTextField(_("text"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])

    base_form_class = NoticeForm
    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("compound"), FieldPanel("building")]),
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldRowPanel([FieldPanel("urgency"), FieldPanel("pinned")]),
            ],
            heading=_("Who and when"),
        ),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.NoticeIndexPage"]
    subpage_types: list[str] = []
    template = "cms/notice_page.html"
    search_text_fields = ["body"]

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    @property
    def is_urgent(self) -> bool:
        return self.urgency == self.Urgency.URGENT

    def scope_label(self) -> str:
        if self.building_id:
            return str(self.building)
        if self.compound_id:
            return str(self.compound)
        return str(_("the whole community"))


class NoticeRead(models.Model):
    """A resident confirmed reading an urgent notice."""

    notice = models.ForeignKey(NoticePage, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"), default=timezone.now)

    class Meta:
        verbose_name = _("notice read")
        constraints = [
            models.UniqueConstraint(fields=["notice", "user"], name="one_read_per_notice_and_user")
        ]

    def __str__(self) -> str:
        return f"{self.notice} · {self.user}"


class NoticeMailing(models.Model):
    """A notice is mailed once, when first published, to the residents in scope with an
    email address."""

    notice = models.OneToOneField(NoticePage, on_delete=models.CASCADE, related_name="mailing")
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.notice} ({self.recipients})"
