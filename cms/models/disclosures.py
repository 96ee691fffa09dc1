"""Disclosures (党务、居务、财务公开): published only with the supervisory committee's
approval, never deleted once published, withdrawn only with a public reason, and open
to residents' questions (质询)."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page

from ..blocks import DisclosureBodyBlock
from ..personal_data import PersonalDataGuardMixin
from .texts import SearchTextMixin


class DisclosureForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        kind, number = cleaned.get("period_kind"), cleaned.get("period_number")
        limits = {DisclosurePage.PeriodKind.MONTH: 12, DisclosurePage.PeriodKind.QUARTER: 4}
        if kind in limits and not (number and 1 <= number <= limits[kind]):
            self.add_error(
                "period_number",
                _("Give the month (1–12).")
                if kind == DisclosurePage.PeriodKind.MONTH
                else _("Give the quarter (1–4)."),
            )
        if kind == DisclosurePage.PeriodKind.YEAR and number:
            self.add_error("period_number", _("A yearly disclosure has no month or quarter."))
        return cleaned


class DisclosurePage(PersonalDataGuardMixin, SearchTextMixin, Page):
    class Category(models.TextChoices):
        PARTY = "party", _("party affairs")
        RESIDENCE = "residence", _("residence affairs")
        FINANCE = "finance", _("finance")

    class PeriodKind(models.TextChoices):
        MONTH = "month", _("month")
        QUARTER = "quarter", _("quarter")
        YEAR = "year", _("year")

    category = models.CharField(_("category"), max_length=10, choices=Category.choices)
    period_kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    period_number = models.PositiveSmallIntegerField(_("month or quarter"), null=True, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    body = StreamField(DisclosureBodyBlock(), verbose_name=_("content"))

    base_form_class = DisclosureForm
    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldPanel("category"),
                FieldRowPanel(
                    [FieldPanel("period_kind"), FieldPanel("year"), FieldPanel("period_number")]
                ),
            ],
            heading=_("What and when"),
        ),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    parent_page_types = ["cms.DisclosureIndexPage"]
    subpage_types: list[str] = []
    template = "cms/disclosure_page.html"
    search_text_fields = ["summary", "body"]

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("disclosures")
        indexes = [models.Index(fields=["category", "year"])]

    def clean(self):
        # An expiry date would have publish_scheduled take the disclosure offline.
        super().clean()
        if self.expire_at:
            raise ValidationError(
                {
                    "expire_at": _(
                        "A disclosure does not expire. When it must no longer stand, "
                        "withdraw it: the reason you give stays public beside it."
                    )
                }
            )

    def period_label(self) -> str:
        if self.period_kind == self.PeriodKind.MONTH:
            return _("%(year)s, month %(number)s") % {
                "year": self.year,
                "number": self.period_number,
            }
        if self.period_kind == self.PeriodKind.QUARTER:
            return _("%(year)s, quarter %(number)s") % {
                "year": self.year,
                "number": self.period_number,
            }
        return _("year %(year)s") % {"year": self.year}


class Withdrawal(models.Model):
    """A published disclosure withdrawn, with the reason that stays public beside it."""

    page = models.OneToOneField(DisclosurePage, on_delete=models.PROTECT, related_name="withdrawal")
    reason = models.TextField(_("reason"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), default=timezone.now)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("withdrawal")

    def __str__(self) -> str:
        return f"{self.page} ({self.withdrawn_at:%Y-%m-%d})"


class DisclosureQuestion(models.Model):
    """A verified resident's question under a published disclosure, and staff's answer."""

    page = models.ForeignKey(DisclosurePage, on_delete=models.PROTECT, related_name="questions")
    asker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosure_questions"
    )
    text = models.TextField(_("question"))
    asked_at = models.DateTimeField(_("asked at"), default=timezone.now, db_index=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("question on a disclosure")
        verbose_name_plural = _("questions on disclosures")
        ordering = ["asked_at", "pk"]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None

    def is_overdue(self, now=None) -> bool:
        if self.is_answered:
            return False
        days = settings.YISHI_QUESTION_ANSWER_DAYS
        return (now or timezone.now()) - self.asked_at >= dt.timedelta(days=days)
