"""The voting engine's records: polls and their questions, the frozen voter roll, and
ballots. polls knows users and voter rolls, never buildings or pages."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from polymorphic.models import PolymorphicModel


class Poll(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")
        PUBLISHED = "published", _("result published")

    class Secrecy(models.TextChoices):
        PUBLIC = "public", _("public: choices visible per voter")
        NAMED = "named", _("named: the committee sees who chose what, residents see totals")
        SECRET = "secret", _("secret: no ballot can be traced to its voter")

    class Results(models.TextChoices):
        LIVE = "live", _("live")
        HIDDEN_UNTIL_CLOSED = "hidden_until_closed", _("hidden until the poll closes")

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    scope_label = models.CharField(
        _("scope"), max_length=200, help_text=_("Who votes, e.g. 幸福里一期 3号楼 2单元 owners")
    )
    electorate = models.CharField(
        _("electorate"),
        max_length=100,
        help_text=_("The provider of the voter roll, as the calling app names it."),
    )
    rule_name = models.CharField(_("rule set"), max_length=60)
    rule = models.JSONField(_("rule set as it stood when the poll was created"))
    secrecy = models.CharField(_("secrecy"), max_length=8, choices=Secrecy, default=Secrecy.PUBLIC)
    results = models.CharField(
        _("results"), max_length=20, choices=Results, default=Results.HIDDEN_UNTIL_CLOSED
    )
    allow_change = models.BooleanField(
        _("online ballots may be changed until the poll closes"), default=False
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.DRAFT, db_index=True
    )
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def group_name(self) -> str:
        """The channel-layer group of this poll's live results."""
        return f"poll.{self.pk}"


class Question(PolymorphicModel):
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    text = models.CharField(_("question"), max_length=300)

    kind = "question"

    class Meta:
        verbose_name = _("question")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.text


class YesNoQuestion(Question):
    """表决: agree, disagree or abstain; decided by the poll's rule set."""

    kind = "yes_no"

    class Meta:
        verbose_name = _("yes/no/abstain question")


class SingleChoiceQuestion(Question):
    kind = "single"

    class Meta:
        verbose_name = _("single-choice question")


class MultipleChoiceQuestion(Question):
    kind = "multiple"
    min_picks = models.PositiveSmallIntegerField(_("at least"), default=1)
    max_picks = models.PositiveSmallIntegerField(_("at most"), default=1)

    class Meta:
        verbose_name = _("multiple-choice question")


class RankedChoiceQuestion(Question):
    """Counted by instant runoff, round by round."""

    kind = "ranked"

    class Meta:
        verbose_name = _("ranked-choice question")


class ScoreQuestion(Question):
    kind = "score"
    max_score = models.PositiveSmallIntegerField(_("highest score"), default=5)

    class Meta:
        verbose_name = _("score question")


class Option(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    label = models.CharField(_("label"), max_length=200)
    code = models.CharField(
        _("code"), max_length=10, blank=True, help_text=_("yes, no or abstain for 表决")
    )

    class Meta:
        verbose_name = _("option")
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["question", "position"], name="option_unique_position")
        ]

    def __str__(self) -> str:
        return self.label


class VoterRoll(models.Model):
    """The electorate of one poll, frozen when the poll opens (the record date)."""

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="roll")
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    heads_total = models.PositiveIntegerField(_("voters"), default=0)
    area_total = models.DecimalField(_("total area (m²)"), max_digits=14, decimal_places=2)
    source_digest = models.CharField(
        _("fingerprint of the electorate it was prepared from"), max_length=64, blank=True
    )

    class Meta:
        verbose_name = _("voter roll")

    def __str__(self) -> str:
        return f"{self.poll} · {self.heads_total}"


class RollEntry(models.Model):
    class Group(models.TextChoices):
        SINGLE = "", _("one dwelling or person")
        DEVELOPER = "developer", _("developer (unsold or undelivered dwellings)")
        MULTI_DWELLING = "multi_dwelling", _("buyer of several dwellings")

    roll = models.ForeignKey(VoterRoll, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(_("voter key"), max_length=80)
    label = models.CharField(_("voter"), max_length=200)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    dwellings = models.JSONField(_("dwellings"), default=list, blank=True)
    area = models.DecimalField(_("area (m²)"), max_digits=12, decimal_places=2, default=0)
    group = models.CharField(_("counting group"), max_length=16, choices=Group, blank=True)

    class Meta:
        verbose_name = _("voter roll entry")
        verbose_name_plural = _("voter roll entries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["roll", "key"], name="roll_entry_unique_key")
        ]
        indexes = [models.Index(fields=["roll", "user"])]

    def __str__(self) -> str:
        return self.label


class Participation(models.Model):
    """That a voter has voted, on which channel: one row per voter key and poll,
    whatever the channel and whatever the secrecy. The database refuses a second."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        PAPER = "paper", _("paper ballot")

    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="participations")
    entry = models.ForeignKey(RollEntry, on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("channel"), max_length=8, choices=Channel)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scan = models.FileField(_("scan of the paper ballot"), upload_to="ballots/", blank=True)
    voted_at = models.DateTimeField(_("voted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("participation")
        constraints = [
            models.UniqueConstraint(fields=["poll", "entry"], name="participation_one_per_voter")
        ]

    def __str__(self) -> str:
        return f"{self.poll} · {self.entry}"


class Ballot(models.Model):
    """What was chosen. In a secret poll it carries no link to its voter, a random id
    and no time, so neither its key nor its order betrays who cast it."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    poll = models.ForeignKey(Poll, on_delete=models.CASCADE, related_name="ballots")
    participation = models.OneToOneField(
        Participation, on_delete=models.CASCADE, null=True, blank=True, related_name="ballot"
    )
    receipt = models.CharField(_("receipt code"), max_length=12)
    spoiled = models.BooleanField(_("spoiled"), default=False)

    class Meta:
        verbose_name = _("ballot")
        constraints = [
            models.UniqueConstraint(fields=["poll", "receipt"], name="ballot_unique_receipt")
        ]

    def __str__(self) -> str:
        return self.receipt


class Answer(models.Model):
    # Random, like the ballot's: counting ids would give away the order of secret ballots.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("answer")
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "question", "option"], name="answer_one_per_option"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question}: {self.option}"


class PollResult(models.Model):
    """The tally as it stood when the poll closed: an outcome kept as a record."""

    poll = models.OneToOneField(Poll, on_delete=models.CASCADE, related_name="result")
    computed_at = models.DateTimeField(_("computed at"), auto_now_add=True)
    data = models.JSONField(_("figures"))

    class Meta:
        verbose_name = _("poll result")

    def __str__(self) -> str:
        return f"{self.poll}"


class LocalRuleSet(models.Model):
    """A community's own variant of a rule set, as data: same fields as rulesets.toml."""

    name = models.SlugField(_("name"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=200)
    data = models.JSONField(
        _("rule set"),
        help_text=_('e.g. {"counting": "household", "quorum": [...], "passing": [...]}'),
    )

    class Meta:
        verbose_name = _("local rule set")

    def __str__(self) -> str:
        return self.label
