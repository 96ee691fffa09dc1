"""Rules residents write for themselves: resident pacts (居民公约), compound house rules
(小区家规) and owners' management rules (管理规约).

A pact is drafted by a council as numbered articles, opened for amendments, consolidated,
and put to a vote under its kind's rule set; the version adopted is in force until an
amended version is adopted in its turn. Versions are immutable once published. An
article keeps its `key` from version to version, whatever its number (an article
inserted before it renumbers it), so that amendments, differences and history follow
the article, not its number. Like a meeting's room, a pact's page is a stream of
events numbered in the pact's own sequence (`PactEvent`) and stored before they are
broadcast.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .meetings import Council, NumberedEvent
from .topics import Hideable, Scoped


class Pact(Scoped):
    class Kind(models.TextChoices):
        RESIDENT_PACT = "resident_pact", _("resident pact")
        HOUSE_RULES = "house_rules", _("house rules")
        MANAGEMENT_RULES = "management_rules", _("owners' management rules")

    class State(models.TextChoices):
        DRAFTING = "drafting", _("drafting")
        AMENDING = "amending", _("open for amendments")
        CONSOLIDATING = "consolidating", _("consolidation")
        VOTING = "voting", _("adoption vote")
        ADOPTED = "adopted", _("adopted")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    title = models.CharField(_("title"), max_length=100)
    summary = models.TextField(_("summary"), blank=True)
    committee = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        related_name="pacts",
        verbose_name=_("drafting committee"),
    )
    state = models.CharField(
        _("state"), max_length=15, choices=State, default=State.DRAFTING, db_index=True
    )
    amendments_close_at = models.DateTimeField(_("amendments close at"), null=True, blank=True)
    in_force = models.ForeignKey(
        "PactVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("version in force"),
    )
    last_seq = models.PositiveIntegerField(default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("pact")
        verbose_name_plural = _("pacts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def group_name(self) -> str:
        return f"pact.{self.pk}"


class PactVersion(models.Model):
    """One text of a pact. The working draft (not yet published) is the only one that
    changes; a published version never does."""

    pact = models.ForeignKey(
        Pact, on_delete=models.CASCADE, related_name="versions", verbose_name=_("pact")
    )
    number = models.PositiveIntegerField(_("version"))
    preamble = models.TextField(_("preamble"), blank=True)
    change_summary = models.TextField(_("summary of changes"), blank=True)
    based_on = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("based on"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    poll = models.OneToOneField(
        "polls.Poll",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="pact_version",
        verbose_name=_("adoption vote"),
    )
    adopted_at = models.DateTimeField(_("adopted at"), null=True, blank=True)
    superseded_at = models.DateTimeField(_("superseded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pact version")
        verbose_name_plural = _("pact versions")
        ordering = ["pact", "number"]
        constraints = [
            models.UniqueConstraint(fields=["pact", "number"], name="pact_version_number"),
            models.UniqueConstraint(
                fields=["pact"],
                condition=Q(published_at__isnull=True),
                name="pact_one_working_draft",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pact} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Article(models.Model):
    """An article of one version. Its number is its position (第一条 is position 1);
    `key` is the article's identity in the pact, kept across versions. Positions are
    rewritten 1..n whenever an article is inserted or deleted (not unique in the
    database: shifting them one by one would collide midway)."""

    version = models.ForeignKey(
        PactVersion, on_delete=models.CASCADE, related_name="articles", verbose_name=_("version")
    )
    key = models.PositiveIntegerField(_("article identity"))
    position = models.PositiveIntegerField(_("number"))
    chapter = models.CharField(_("chapter"), max_length=60, blank=True)
    heading = models.CharField(_("heading"), max_length=40, blank=True)
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="article_key"),
        ]

    def __str__(self) -> str:
        return f"{self.version} §{self.position}"


class Amendment(models.Model):
    """A resident's proposal to change one article of a published version."""

    class Kind(models.TextChoices):
        REPLACE = "replace", _("replace the article")
        INSERT_AFTER = "insert_after", _("insert a new article after it")
        DELETE = "delete", _("delete the article")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("proposed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        WITHDRAWN = "withdrawn", _("withdrawn")

    pact = models.ForeignKey(
        Pact, on_delete=models.CASCADE, related_name="amendments", verbose_name=_("pact")
    )
    version = models.ForeignKey(
        PactVersion,
        on_delete=models.PROTECT,
        related_name="amendments",
        verbose_name=_("version amended"),
    )
    article_key = models.PositiveIntegerField(_("article"))
    kind = models.CharField(_("kind"), max_length=15, choices=Kind)
    heading = models.CharField(_("heading"), max_length=40, blank=True)
    text = models.TextField(_("proposed text"), blank=True)
    rationale = models.TextField(_("rationale"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="amendments",
        verbose_name=_("proposed by"),
    )
    created_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.PROPOSED, db_index=True
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    merged_into = models.ForeignKey(
        PactVersion,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_amendments",
        verbose_name=_("entered version"),
    )
    inserted_key = models.PositiveIntegerField(
        _("identity of the article it inserted"), null=True, blank=True
    )
    supporters = models.PositiveIntegerField(_("supporters"), default=0)
    opponents = models.PositiveIntegerField(_("opponents"), default=0)

    class Meta:
        verbose_name = _("amendment")
        verbose_name_plural = _("amendments")
        ordering = ["pact", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.pact} #{self.pk}"


class AmendmentPosition(models.Model):
    """One resident's support for, or opposition to, an amendment; one each, which they
    may change while amendments are open."""

    class Side(models.TextChoices):
        SUPPORT = "support", _("support")
        OPPOSE = "oppose", _("oppose")

    amendment = models.ForeignKey(
        Amendment, on_delete=models.CASCADE, related_name="positions", verbose_name=_("amendment")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("person"),
    )
    side = models.CharField(pgettext_lazy("stance", "position"), max_length=8, choices=Side)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("position on an amendment")
        verbose_name_plural = _("positions on amendments")
        constraints = [
            models.UniqueConstraint(fields=["amendment", "user"], name="amendment_one_position")
        ]

    def __str__(self) -> str:
        return f"{self.amendment} {self.side}"


class AmendmentComment(Hideable):
    amendment = models.ForeignKey(
        Amendment, on_delete=models.CASCADE, related_name="comments", verbose_name=_("amendment")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment on an amendment")
        verbose_name_plural = _("comments on amendments")
        ordering = ["amendment", "created_at", "pk"]


class Reconciliation(models.Model):
    """The committee's text for an article that two or more accepted amendments change
    (replace or delete): none of them is applied over another silently."""

    version = models.ForeignKey(
        PactVersion,
        on_delete=models.CASCADE,
        related_name="reconciliations",
        verbose_name=_("version"),
    )
    article_key = models.PositiveIntegerField(_("article"))
    amendments = models.ManyToManyField(Amendment, related_name="+", verbose_name=_("amendments"))
    deleted = models.BooleanField(_("the article is deleted"), default=False)
    heading = models.CharField(_("heading"), max_length=40, blank=True)
    text = models.TextField(_("reconciled text"), blank=True)
    note = models.TextField(_("note"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        constraints = [
            models.UniqueConstraint(fields=["version", "article_key"], name="reconciled_once")
        ]

    def __str__(self) -> str:
        return f"{self.version} key {self.article_key}"


class PactEvent(NumberedEvent):
    """An event of a pact's page."""

    pact = models.ForeignKey(Pact, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["pact", "seq"]
        constraints = [models.UniqueConstraint(fields=["pact", "seq"], name="pact_event_seq")]


class PactViewer(models.Model):
    """An open connection to a pact's page: how many are reading it now."""

    pact = models.ForeignKey(Pact, on_delete=models.CASCADE, related_name="viewers")
    channel_name = models.CharField(max_length=100, unique=True)
    since = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.pact_id} · {self.channel_name}"
