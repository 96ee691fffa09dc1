"""People: accounts, their memberships in dwellings, and the roles they hold for a place."""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, Group, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .places import Community, Compound, Dwelling


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **extra):
        """People sign in with a code sent to their phone (and TOTP for staff), never
        with a password: any password given, e.g. by createsuperuser, is discarded."""
        from ..phones import normalize_phone

        user = self.model(phone=normalize_phone(phone), **extra)
        user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("phone_verified", True)
        return self.create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The mainland mobile number, in E.164 form, is the login identity."""

    phone = models.CharField(_("phone number"), max_length=20, unique=True)
    phone_verified = models.BooleanField(_("phone number verified"), default=False)
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    email = models.EmailField(_("email"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("May sign in to the back office.")
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.masked_phone

    @property
    def masked_phone(self) -> str:
        digits = self.phone.removeprefix("+86")
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else digits

    # Wagtail's user listing and some templates ask for these.
    def get_full_name(self) -> str:
        return self.display_name or self.phone

    def get_short_name(self) -> str:
        return self.display_name or self.masked_phone

    @property
    def first_name(self) -> str:
        return self.display_name

    @property
    def last_name(self) -> str:
        return ""


class Membership(models.Model):
    """A person's tie to a dwelling. Only verified memberships carry rights."""

    class Kind(models.TextChoices):
        OWNER = "owner", _("owner")
        CO_OWNER_REPRESENTATIVE = "co_owner_rep", _("co-owner representative")
        TENANT = "tenant", _("tenant")
        FAMILY = "family", _("family member")

    class Status(models.TextChoices):
        PENDING = "pending", _("pending verification")
        VERIFIED = "verified", _("verified")
        REJECTED = "rejected", _("rejected")

    OWNER_KINDS = (Kind.OWNER, Kind.CO_OWNER_REPRESENTATIVE)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("dwelling")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.PENDING, db_index=True
    )
    rejection_reason = models.CharField(_("reason for rejection"), max_length=200, blank=True)
    claimed_at = models.DateTimeField(_("claimed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["-claimed_at"]
        constraints = [
            # A person has one live claim per dwelling; a rejected claim may be made again.
            models.UniqueConstraint(
                fields=["user", "dwelling"],
                condition=~models.Q(status="rejected"),
                name="membership_one_live_claim",
            ),
            # One owner, or one representative of the co-owners, votes for a dwelling.
            models.UniqueConstraint(
                fields=["dwelling"],
                condition=models.Q(status="verified", kind__in=["owner", "co_owner_rep"]),
                name="membership_one_verified_owner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.dwelling} · {self.get_kind_display()}"

    @property
    def is_owner(self) -> bool:
        return self.kind in self.OWNER_KINDS


class Role(models.Model):
    """A committee or organisation seat held for a community (optionally one compound).

    Each (community, kind) pair maps to one Django group that carries the back-office
    permissions; granting and revoking a role keeps the group in step.
    """

    class Kind(models.TextChoices):
        RESIDENTS_COMMITTEE = "residents_committee", _("residents' committee")
        OWNERS_COMMITTEE = "owners_committee", _("owners' committee")
        PROPERTY_COMPANY = "property_company", _("property company")
        PARTY_ORGANISATION = "party_organisation", _("party organisation")
        SUPERVISORY_COMMITTEE = "supervisory_committee", _("supervisory committee")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="roles",
        verbose_name=_("user"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="roles", verbose_name=_("community")
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="roles",
        verbose_name=_("compound"),
        help_text=_("Only for seats of one compound, such as an owners' committee."),
    )
    title = models.CharField(_("title"), max_length=50, blank=True, help_text=_("e.g. 主任, 委员"))
    group = models.ForeignKey(Group, on_delete=models.PROTECT, related_name="+", editable=False)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["community__name", "kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "community"],
                condition=models.Q(compound__isnull=True),
                name="role_unique_community_seat",
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "compound"],
                condition=models.Q(compound__isnull=False),
                name="role_unique_compound_seat",
            ),
        ]

    def __str__(self) -> str:
        place = self.compound or self.community
        return f"{place} {self.get_kind_display()} · {self.user}"


class RoleGroup(models.Model):
    """The Django group that carries the back-office permissions of one role kind in
    one community. Linked explicitly, so renaming a community never mixes up groups."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="role_groups", verbose_name=_("community")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Role.Kind)
    group = models.OneToOneField(Group, on_delete=models.PROTECT, related_name="role_group")

    class Meta:
        verbose_name = _("role group")
        verbose_name_plural = _("role groups")
        constraints = [
            models.UniqueConstraint(fields=["community", "kind"], name="role_group_unique_kind")
        ]

    def __str__(self) -> str:
        return self.group.name
