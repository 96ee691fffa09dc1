"""Councils (议事会) and their meetings, hearings, coordination and evaluation meetings.

A meeting's live room is a stream of events, each numbered in the meeting's own sequence
and stored (`RoomEvent`) before it is broadcast, so a phone that lost its connection
asks for what it missed and is never left wrong. The other models are the meeting's
record: who registered, attended (online or on site), asked to speak and spoke when,
what was written in the room, and the minutes drawn from all of it.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .places import Building
from .topics import Hideable, Scoped, Topic


class Council(Scoped):
    """A building, compound or community council (楼栋/小区/社区议事会)."""

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("councils")
        ordering = ["community__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["community", "name"], name="council_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class CouncilMember(models.Model):
    class Office(models.TextChoices):
        CHAIR = "chair", _("chair")
        SECRETARY = "secretary", _("secretary")
        MEMBER = "member", _("member")

    council = models.ForeignKey(
        Council, on_delete=models.CASCADE, related_name="members", verbose_name=_("council")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="council_seats",
        verbose_name=_("person"),
    )
    office = models.CharField(_("office"), max_length=10, choices=Office, default=Office.MEMBER)
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)

    class Meta:
        verbose_name = _("council member")
        verbose_name_plural = _("council members")
        ordering = ["council", "office", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["council", "user"], name="council_member_once"),
            models.UniqueConstraint(
                fields=["council", "office"],
                condition=~Q(office="member"),
                name="council_one_chair_one_secretary",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.council} · {self.user} ({self.get_office_display()})"


class Meeting(Scoped):
    """One sitting of a council, a hearing, a coordination or an evaluation meeting."""

    class Kind(models.TextChoices):
        COUNCIL_MEETING = "council_meeting", _("council meeting")
        HEARING = "hearing", _("hearing")
        COORDINATION_MEETING = "coordination_meeting", _("coordination meeting")
        EVALUATION_MEETING = "evaluation_meeting", _("evaluation meeting")

    class Mode(models.TextChoices):
        ONLINE = "online", _("online")
        ONSITE = "onsite", _("on site")
        HYBRID = "hybrid", _("online and on site")

    class State(models.TextChoices):
        SCHEDULED = "scheduled", pgettext_lazy("meeting state", "scheduled")
        OPEN = "open", pgettext_lazy("meeting state", "in session")
        PAUSED = "paused", pgettext_lazy("meeting state", "paused")
        CLOSED = "closed", pgettext_lazy("meeting state", "closed")

    council = models.ForeignKey(
        Council,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings",
        verbose_name=_("council"),
    )
    kind = models.CharField(_("kind"), max_length=24, choices=Kind)
    mode = models.CharField(_("mode"), max_length=8, choices=Mode, default=Mode.HYBRID)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("planned end"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    registration_limit = models.PositiveIntegerField(
        _("registration limit"),
        null=True,
        blank=True,
        help_text=_("Leave empty for no limit."),
    )
    speaking_seconds = models.PositiveIntegerField(
        _("speaking time per speaker (seconds)"), default=180
    )
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="meetings_chaired",
        verbose_name=pgettext_lazy("meeting", "chair"),
    )
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meetings_minuted",
        verbose_name=_("secretary"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State, default=State.SCHEDULED, db_index=True
    )
    current_item = models.ForeignKey(
        "AgendaItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current agenda item"),
    )
    last_seq = models.PositiveIntegerField(_("last event number"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-starts_at", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def group_name(self) -> str:
        """The channel-layer group of the meeting's live room."""
        return f"meeting.{self.pk}"

    @property
    def is_hearing(self) -> bool:
        return self.kind == self.Kind.HEARING

    @property
    def is_live(self) -> bool:
        return self.state in (self.State.OPEN, self.State.PAUSED)


class AgendaItem(models.Model):
    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda", verbose_name=_("meeting")
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    topic = models.ForeignKey(
        Topic,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("topic"),
    )
    poll = models.ForeignKey(
        "polls.Poll",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("poll"),
    )
    started_at = models.DateTimeField(_("taken up at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda")
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Stance(models.TextChoices):
    FOR = "for", _("for")
    AGAINST = "against", _("against")
    NEUTRAL = "neutral", _("neutral")


class Registration(models.Model):
    """Someone who signed up to attend; at a hearing, perhaps to speak, with a stance
    and a statement submitted in advance."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="meeting_registrations",
        verbose_name=_("person"),
    )
    registered_at = models.DateTimeField(_("registered at"), default=timezone.now)
    wants_to_speak = models.BooleanField(_("registered speaker"), default=False)
    stance = models.CharField(_("stance"), max_length=8, choices=Stance, blank=True)
    statement = models.TextField(_("written statement"), blank=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["meeting", "registered_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="registration_once"),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.user}"


class Attendance(models.Model):
    """Who took part, online (recorded when a verified participant first enters the
    room) or on site (recorded by the secretary, perhaps for someone with no account)."""

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        ONSITE = "onsite", _("on site")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="attendance", verbose_name=_("meeting")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="meeting_attendance",
        verbose_name=_("person"),
    )
    name = models.CharField(_("name"), max_length=50)
    building = models.ForeignKey(
        Building,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("building"),
    )
    channel = models.CharField(_("attended"), max_length=8, choices=Channel)
    arrived_at = models.DateTimeField(_("arrived at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering = ["meeting", "arrived_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="attendance_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.name}"


class Presence(models.Model):
    """One open connection to a meeting's room: how many are in the room, and who, by
    building, for every server process alike."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="presence")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel_name = models.CharField(max_length=100, unique=True)
    participant = models.BooleanField(default=False)
    building = models.ForeignKey(
        Building, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    since = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["meeting", "user"])]

    def __str__(self) -> str:
        return f"{self.meeting_id} · {self.user_id} · {self.channel_name}"


class SpeakerRequest(models.Model):
    """A place on the list of speakers: a point of order goes before everyone else."""

    class State(models.TextChoices):
        WAITING = "waiting", _("waiting")
        SPEAKING = "speaking", _("speaking")
        DONE = "done", _("has spoken")
        WITHDRAWN = "withdrawn", _("withdrawn")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="speakers", verbose_name=_("meeting")
    )
    item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="speakers",
        verbose_name=_("agenda item"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("speaker"),
    )
    point_of_order = models.BooleanField(_("point of order"), default=False)
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.WAITING)
    requested_at = models.DateTimeField(_("asked at"), default=timezone.now)
    began_at = models.DateTimeField(_("began at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    seconds = models.PositiveIntegerField(_("time limit (seconds)"), default=0)

    class Meta:
        verbose_name = _("request to speak")
        verbose_name_plural = _("list of speakers")
        ordering = ["meeting", "-point_of_order", "requested_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(state__in=["waiting", "speaking"]),
                name="speaker_one_open_request",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(state="speaking"),
                name="speaker_one_has_the_floor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.meeting} · {self.user}"


class RoomComment(Hideable):
    """Something written in a meeting's room. Hidden by the chair with a public reason,
    never deleted."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="comments", verbose_name=_("meeting")
    )
    item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="comments",
        verbose_name=_("agenda item"),
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
        verbose_name = _("room comment")
        verbose_name_plural = _("room comments")
        ordering = ["meeting", "created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.author} · {self.text[:30]}"


class NumberedEvent(models.Model):
    """One event of a live stream (`deliberation.live`), numbered in its owner's
    sequence and stored before it is broadcast: what a client that reconnects is sent
    again. Subclasses add the owner's foreign key."""

    seq = models.PositiveIntegerField()
    type = models.CharField(max_length=40)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.type} #{self.seq}"


class RoomEvent(NumberedEvent):
    """An event of a meeting's room."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="events")

    class Meta:
        ordering = ["meeting", "seq"]
        constraints = [models.UniqueConstraint(fields=["meeting", "seq"], name="room_event_seq")]


class Minutes(models.Model):
    """The minutes (纪要) of a closed meeting: drafted from its record, edited by the
    secretary, then published to the community's minutes index."""

    meeting = models.OneToOneField(
        Meeting, on_delete=models.PROTECT, related_name="minutes", verbose_name=_("meeting")
    )
    text = models.TextField(_("text"))
    drafted_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering = ["-published_at", "-pk"]

    def __str__(self) -> str:
        return str(self.meeting)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None
