"""Places: a community holds compounds, a compound buildings, a building dwellings."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Community(models.Model):
    """The area of one residents' committee (社区)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    district = models.CharField(_("district"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("community")
        verbose_name_plural = _("communities")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Compound(models.Model):
    """A gated residential estate (小区) inside a community."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="compounds", verbose_name=_("community")
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("compound")
        verbose_name_plural = _("compounds")
        ordering = ["community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="compound_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Building(models.Model):
    """A building (楼栋); its dwellings are reached through one or more entrances (单元)."""

    compound = models.ForeignKey(
        Compound, on_delete=models.PROTECT, related_name="buildings", verbose_name=_("compound")
    )
    name = models.CharField(_("name"), max_length=50, help_text=_("For example 3号楼"))

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["compound__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["compound", "name"], name="building_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.compound.name} {self.name}"


class AreaSource(models.TextChoices):
    """Where a dwelling's area comes from, in the order the law prefers them."""

    REGISTERED = "registered", _("real-estate register")
    SURVEYED = "surveyed", _("survey")
    CONTRACT = "contract", _("sales contract")


class Dwelling(models.Model):
    """An exclusively owned unit (户 / 专有部分); its floor area counts in owners' votes."""

    building = models.ForeignKey(
        Building, on_delete=models.PROTECT, related_name="dwellings", verbose_name=_("building")
    )
    entrance = models.CharField(_("entrance"), max_length=20, blank=True)
    floor = models.SmallIntegerField(_("floor"), null=True, blank=True)
    number = models.CharField(_("number"), max_length=20)
    registered_area = models.DecimalField(
        _("floor area (m²)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    area_source = models.CharField(
        _("area source"), max_length=12, choices=AreaSource, default=AreaSource.REGISTERED
    )
    developer_held = models.BooleanField(_("held by the developer"), default=False)
    delivered = models.BooleanField(_("delivered"), default=True)
    owner_name = models.CharField(_("owner of record"), max_length=100, blank=True)
    owner_phone = models.CharField(_("owner's phone"), max_length=20, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_dwellings",
        verbose_name=_("owner's account"),
    )

    class Meta:
        verbose_name = _("dwelling")
        verbose_name_plural = _("dwellings")
        ordering = ["building__compound__name", "building__name", "entrance", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "entrance", "number"], name="dwelling_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(registered_area__gt=0), name="dwelling_area_positive"
            ),
        ]

    def __str__(self) -> str:
        if not self.entrance:
            return f"{self.building} {self.number}"
        entrance = _("entrance %(entrance)s") % {"entrance": self.entrance}
        return f"{self.building} {entrance} {self.number}"

    @property
    def counts_with_developer(self) -> bool:
        """Unsold or undelivered dwellings of the developer count together as one owner."""
        return self.developer_held or not self.delivered


_CHINESE_DIGITS = dict(zip("一二三四五六七八九", "123456789", strict=True))


def _chinese_number(text: str) -> str | None:
    """一 → 1, 十 → 10, 十二 → 12, 二十三 → 23 (the numbers entrances have)."""
    tens, ten, ones = text.partition("十")
    if not ten:
        return _CHINESE_DIGITS.get(text)
    if (tens and tens not in _CHINESE_DIGITS) or (ones and ones not in _CHINESE_DIGITS):
        return None
    return str(int(_CHINESE_DIGITS.get(tens, "1")) * 10 + int(_CHINESE_DIGITS.get(ones, "0")))


def normalize_entrance(text: str) -> str:
    """The one spelling of an entrance: "2", whether written 2, 02, 2单元, 二单元 or 2 单元."""
    entrance = "".join((text or "").split()).removesuffix("单元")
    entrance = _chinese_number(entrance) or entrance
    return str(int(entrance)) if entrance.isdigit() else entrance
