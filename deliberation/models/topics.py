"""The consultation catalog (社区协商事项目录) and the topics (议题) residents raise under it.

A topic goes from a resident's draft to a resolution carried out and evaluated by the
households it concerns. Each step is a service (deliberation.services.topics) that
writes the trace; a topic's public timeline is read back from that trace.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .people import Role
from .places import Building, Community, Compound, Dwelling


class Level(models.TextChoices):
    """The place a matter is handled at, and the scope a topic concerns."""

    COMMUNITY = "community", _("community")
    COMPOUND = "compound", _("compound")
    BUILDING = "building", _("building")


class Scoped(models.Model):
    """Something that concerns a place: a whole community, a compound, a building, or one
    entrance of a building. The most precise place set is the scope."""

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="%(class)ss",
        verbose_name=_("community"),
    )
    compound = models.ForeignKey(
        Compound,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("compound"),
    )
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="%(class)ss",
        verbose_name=_("building"),
    )
    entrance = models.CharField(_("entrance"), max_length=20, blank=True)

    class Meta:
        abstract = True

    @property
    def level(self) -> str:
        if self.building_id:
            return Level.BUILDING
        if self.compound_id:
            return Level.COMPOUND
        return Level.COMMUNITY

    @property
    def place(self):
        return self.building or self.compound or self.community

    @property
    def scope_label(self) -> str:
        label = str(self.place)
        if self.entrance:
            label = " ".join([label, _("entrance %(entrance)s") % {"entrance": self.entrance}])
        return label


class CatalogEntry(models.Model):
    """One matter of a community's consultation catalog: who handles it, how it must be
    decided, and how many households must co-sign a resident's topic before the
    committee takes it up."""

    class Procedure(models.TextChoices):
        COUNCIL_MEETING = "council_meeting", _("council meeting")
        HEARING = "hearing", _("hearing")
        COORDINATION_MEETING = "coordination_meeting", _("coordination meeting")
        RESIDENTS_MEETING = "residents_meeting", _("residents' meeting")
        OWNERS_VOTE = "owners_vote", _("owners' vote")

    community = models.ForeignKey(
        Community,
        on_delete=models.PROTECT,
        related_name="catalog_entries",
        verbose_name=_("community"),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("part of"),
    )
    name = models.CharField(_("name"), max_length=100)
    covers = models.TextField(_("what it covers"), blank=True)
    level = models.CharField(_("handled at"), max_length=12, choices=Level)
    procedure = models.CharField(_("procedure"), max_length=24, choices=Procedure)
    rule_name = models.CharField(
        _("rule set"),
        max_length=60,
        blank=True,
        help_text=_("For owners' votes: the rule set that decides, e.g. owners_special."),
    )
    threshold_households = models.PositiveIntegerField(
        _("co-signing households needed"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("A number of households, or leave empty and give a share."),
    )
    threshold_percent = models.PositiveSmallIntegerField(
        _("co-signing share needed (%)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("A share of the households of the topic's scope, in per cent."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("catalog entry")
        verbose_name_plural = _("consultation catalog")
        ordering = ["community__name", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="catalog_entry_unique_name"),
            models.CheckConstraint(
                condition=models.Q(threshold_households__isnull=False, threshold_percent=None)
                | models.Q(threshold_households=None, threshold_percent__isnull=False),
                name="catalog_entry_one_threshold",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def threshold_label(self) -> str:
        if self.threshold_households is not None:
            return _("%(count)s households") % {"count": self.threshold_households}
        return _("%(percent)s%% of households") % {"percent": self.threshold_percent}


class Topic(Scoped):
    """A matter a resident raises for consultation (议题)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PROPOSED = "proposed", _("proposed, open for co-signing")
        ACCEPTED = "accepted", _("accepted into the queue")
        DECLINED = "declined", _("declined")
        SCHEDULED = "scheduled", _("scheduled")
        DELIBERATED = "deliberated", _("deliberated")
        RESOLVED = "resolved", _("resolved")
        IMPLEMENTING = "implementing", _("being carried out")
        CLOSED = "closed", pgettext_lazy("topic status", "closed")

    class Responsible(models.TextChoices):
        RESIDENTS_COMMITTEE = Role.Kind.RESIDENTS_COMMITTEE, _("residents' committee")
        OWNERS_COMMITTEE = Role.Kind.OWNERS_COMMITTEE, _("owners' committee")
        PROPERTY_COMPANY = Role.Kind.PROPERTY_COMPANY, _("property company")
        GOVERNMENT = "government", _("government department")

    class AcceptedBy(models.TextChoices):
        THRESHOLD = "threshold", _("co-signing threshold reached")
        COMMITTEE = "committee", _("picked by the committee")

    catalog_entry = models.ForeignKey(
        CatalogEntry,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("catalog entry"),
    )
    title = models.CharField(_("title"), max_length=80)
    body = models.TextField(_("description"))
    search_text = models.TextField(editable=False, default="")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topics",
        verbose_name=_("proposed by"),
    )
    status = models.CharField(
        _("status"), max_length=14, choices=Status, default=Status.DRAFT, db_index=True
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    proposed_at = models.DateTimeField(_("proposed at"), null=True, blank=True, db_index=True)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    households_in_scope = models.PositiveIntegerField(_("households in scope"), default=0)
    owners_in_scope = models.PositiveIntegerField(_("owners in scope"), default=0)
    signature_count = models.PositiveIntegerField(_("co-signing households"), default=0)
    owner_signature_count = models.PositiveIntegerField(_("co-signing owners"), default=0)
    comment_count = models.PositiveIntegerField(_("comments"), default=0)
    accepted_by = models.CharField(_("accepted by"), max_length=10, choices=AcceptedBy, blank=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True)
    residents_meeting_due_at = models.DateTimeField(
        _("residents' meeting petition reached at"), null=True, blank=True
    )
    owners_assembly_due_at = models.DateTimeField(
        _("owners' assembly petition reached at"), null=True, blank=True
    )
    schedule_note = models.CharField(_("meeting or vote"), max_length=200, blank=True)
    scheduled_for = models.DateTimeField(_("scheduled for"), null=True, blank=True)
    poll = models.ForeignKey(
        "polls.Poll",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="topics",
        verbose_name=_("poll"),
    )
    resolution = models.TextField(_("resolution"), blank=True)
    responsible = models.CharField(
        _("responsible party"), max_length=24, choices=Responsible, blank=True
    )
    responsible_name = models.CharField(
        _("name of the responsible party"),
        max_length=100,
        blank=True,
        help_text=_("e.g. 街道城管科, 某某物业公司"),
    )
    evaluation_count = models.PositiveIntegerField(_("evaluations"), default=0)
    satisfaction_total = models.PositiveIntegerField(_("sum of satisfaction"), default=0)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["-proposed_at", "-pk"]
        indexes = [
            models.Index(fields=["community", "status", "-proposed_at"]),
            models.Index(fields=["status", "-signature_count", "proposed_at"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.status != self.Status.DRAFT

    @property
    def average_satisfaction(self):
        if not self.evaluation_count:
            return None
        return round(self.satisfaction_total / self.evaluation_count, 1)


class Signature(models.Model):
    """A household's co-signature (联署) of a topic, given by one verified member. It counts
    once towards the households; its owner, if one backs it, counts towards the owners'
    petition (one owner once, however many dwellings they hold)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("topic")
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topic_signatures",
        verbose_name=_("signed by"),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("backed by the owner"),
        help_text=_(
            "The verified owner (or co-owners' representative) who backs the household's "
            "signature: the signer, or the owner who co-signed after a tenant or family "
            "member had signed for the household."
        ),
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    class Meta:
        verbose_name = _("co-signature")
        verbose_name_plural = _("co-signatures")
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "dwelling"], name="signature_one_per_household"
            )
        ]

    def __str__(self) -> str:
        return f"{self.topic} · {self.dwelling}"


class Hideable(models.Model):
    """What residents write: a moderator hides it with a public reason, never deletes."""

    hidden_at = models.DateTimeField(_("hidden at"), null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hidden by"),
    )
    hidden_reason = models.CharField(_("reason for hiding"), max_length=200, blank=True)

    class Meta:
        abstract = True

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Comment(Hideable):
    """A resident's comment on a topic, or a reply to one (one level deep)."""

    class Stance(models.TextChoices):
        SUPPORT = "support", _("support")
        OPPOSE = "oppose", _("oppose")
        NEUTRAL = "neutral", _("neutral")

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="comments", verbose_name=_("topic")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="replies",
        verbose_name=_("reply to"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="topic_comments",
        verbose_name=_("author"),
    )
    stance = models.CharField(_("stance"), max_length=8, choices=Stance, default=Stance.NEUTRAL)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)
    report_count = models.PositiveIntegerField(_("reports"), default=0)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} · {self.text[:30]}"


class CommentReport(models.Model):
    """A resident tells the moderators a comment is abusive."""

    comment = models.ForeignKey(
        Comment, on_delete=models.CASCADE, related_name="reports", verbose_name=_("comment")
    )
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now)

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        constraints = [
            models.UniqueConstraint(fields=["comment", "reporter"], name="report_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.comment_id} · {self.reason[:30]}"


class ProgressUpdate(models.Model):
    """What the responsible party reports while a resolution is carried out."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="progress_updates", verbose_name=_("topic")
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    on_behalf_of = models.CharField(_("on behalf of"), max_length=100)
    text = models.TextField(_("progress"))
    created_at = models.DateTimeField(_("posted at"), default=timezone.now)

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.topic} · {self.created_at:%Y-%m-%d}"


class Evaluation(models.Model):
    """A household's verdict on how a closed topic was handled (评议)."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="evaluations", verbose_name=_("topic")
    )
    dwelling = models.ForeignKey(
        Dwelling, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by")
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("satisfaction"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(_("evaluated at"), default=timezone.now)

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["topic", "dwelling"], name="evaluation_one_per_household"
            ),
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5),
                name="evaluation_satisfaction_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} · {self.satisfaction}"


class Follow(models.Model):
    """A person follows a topic and is told of each step."""

    topic = models.ForeignKey(
        Topic, on_delete=models.CASCADE, related_name="follows", verbose_name=_("topic")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="topic_follows",
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["topic", "user"], name="follow_once")]

    def __str__(self) -> str:
        return f"{self.user} → {self.topic}"


class Notification(models.Model):
    """An in-app message to one person: a step of a topic they follow, or a meeting
    announced to the residents of its scope."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    topic = models.ForeignKey(
        Topic,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("topic"),
    )
    meeting = models.ForeignKey(
        "Meeting",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("meeting"),
    )
    pact = models.ForeignKey(
        "Pact",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("pact"),
    )
    action = models.CharField(_("action"), max_length=60)
    text = models.CharField(_("text"), max_length=300)
    created_at = models.DateTimeField(_("time"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self) -> str:
        return self.text
