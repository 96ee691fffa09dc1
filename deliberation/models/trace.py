"""The trace (人过留迹、事过留痕): one append-only hash chain for the whole site."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# What each action is called on the public record. Services name their actions
# "<object>.<verb>"; an action missing here is shown by its code.
ACTION_LABELS = {
    "community.created": _("community created"),
    "community.changed": _("community changed"),
    "compound.created": _("compound created"),
    "compound.changed": _("compound changed"),
    "building.created": _("building created"),
    "building.changed": _("building changed"),
    "dwelling.created": _("dwelling created"),
    "dwelling.changed": _("dwelling changed"),
    "dwellings.imported": _("property register imported"),
    "membership.claimed": _("dwelling claimed"),
    "membership.verified": _("claim verified"),
    "membership.rejected": _("claim rejected"),
    "role.granted": _("role granted"),
    "role.revoked": _("role revoked"),
    "user.renamed": _("display name changed"),
    "poll.created": _("poll created"),
    "poll.roll_prepared": _("voter roll prepared"),
    "poll.roll_corrected": _("voter roll corrected"),
    "poll.opened": _("poll opened, voter roll frozen"),
    "poll.ballot_cast": _("ballot cast"),
    "poll.ballot_changed": _("ballot changed"),
    "poll.closed": _("poll closed"),
    "poll.published": _("poll result published"),
    "rule_set.created": _("local rule set created"),
    "rule_set.changed": _("local rule set changed"),
    "rule_set.deleted": _("local rule set deleted"),
    "page.published": _("page published"),
    "page.unpublished": _("page unpublished"),
    "page.approval_requested": _("page submitted for approval"),
    "page.approved": _("page approved by the supervisory committee"),
    "page.rejected": _("page sent back by the supervisory committee"),
    "notice.mailed": _("notice mailed to residents"),
    "disclosure.question_asked": _("question asked on a disclosure"),
    "disclosure.question_answered": _("question on a disclosure answered"),
    "disclosure.withdrawn": _("disclosure withdrawn"),
    "catalog.provisioned": _("default consultation catalog set up"),
    "catalog.entry_saved": _("consultation catalog entry saved"),
    "catalog.entry_deleted": _("consultation catalog entry deleted"),
    "topic.drafted": _("topic drafted"),
    "topic.draft_changed": _("topic draft changed"),
    "topic.draft_deleted": _("topic draft deleted"),
    "topic.proposed": _("topic proposed, open for co-signing"),
    "topic.signed": _("topic co-signed"),
    "topic.accepted": _("topic accepted into the committee's queue"),
    "topic.declined": _("topic declined"),
    "topic.residents_meeting_due": _(
        "1/5 of households co-signed: a residents' meeting must be convened"
    ),
    "topic.owners_assembly_due": _(
        # xgettext:no-python-format
        "20% of owners co-signed: an extraordinary owners' assembly must be convened"
    ),
    "topic.scheduled": _("topic scheduled"),
    "topic.deliberated": _("topic deliberated"),
    "topic.resolved": _("topic resolved"),
    "topic.implementing": _("resolution being carried out"),
    "topic.progress": _("progress reported"),
    "topic.closed": _("topic closed, open for evaluation"),
    "topic.evaluated": _("topic evaluated"),
    "topic.commented": _("comment posted"),
    "topic.comment_reported": _("comment reported"),
    "topic.comment_hidden": _("comment hidden by a moderator"),
    "council.created": _("council set up"),
    "council.member_set": _("council member seated or office changed"),
    "council.member_removed": _("council member removed"),
    "pact.created": _("pact drafting begun"),
    "pact.draft_changed": _("working draft changed"),
    "pact.amendments_opened": _("open for amendments"),
    "pact.consolidating": _("amendments closed, consolidation begun"),
    "pact.version_published": _("version published"),
    "pact.vote_started": _("adoption vote begun"),
    "pact.adopted": _("pact adopted"),
    "pact.vote_failed": _("adoption vote failed"),
    "pact.revision_started": _("revision begun"),
    "pact.amendment_proposed": _("amendment proposed"),
    "pact.amendment_withdrawn": _("amendment withdrawn"),
    "pact.position_taken": _("amendment supported or opposed, or position taken back"),
    "pact.amendment_accepted": _("amendment accepted"),
    "pact.amendment_rejected": _("amendment rejected"),
    "pact.amendments_reconciled": _("amendments reconciled"),
    "pact.amendment_commented": _("comment on an amendment"),
    "pact.comment_hidden": _("comment on an amendment hidden"),
    "meeting.scheduled": _("meeting announced"),
    "meeting.changed": _("meeting details changed"),
    "meeting.rescheduled": _("meeting time or place changed"),
    "meeting.agenda_item_added": _("agenda item added"),
    "meeting.agenda_item_changed": _("agenda item changed"),
    "meeting.agenda_item_moved": _("agenda item moved"),
    "meeting.agenda_item_removed": _("agenda item removed"),
    "meeting.registered": _("registered for the meeting"),
    "meeting.registration_withdrawn": _("registration withdrawn"),
    "meeting.attended_onsite": _("on-site attendance recorded"),
    "meeting.opened": _("meeting opened"),
    "meeting.paused": _("meeting paused"),
    "meeting.resumed": _("meeting resumed"),
    "meeting.closed": _("meeting closed"),
    "meeting.item_taken_up": _("agenda item taken up"),
    "meeting.commented": _("comment written in the meeting"),
    "meeting.comment_hidden": _("comment hidden by the chair"),
    "meeting.hand_raised": _("asked to speak"),
    "meeting.floor_given": _("floor given"),
    "meeting.floor_ended": _("speech ended"),
    "minutes.drafted": _("minutes drafted from the meeting's record"),
    "minutes.edited": _("minutes edited"),
    "minutes.published": _("minutes published"),
}


class TraceHead(models.Model):
    """The single row that appends lock on, holding the chain's last number and hash."""

    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="")

    class Meta:
        verbose_name = _("trace head")

    def __str__(self) -> str:
        return f"#{self.last_seq} {self.last_hash[:12]}"


class TraceEntry(models.Model):
    seq = models.BigIntegerField(_("number"), unique=True)
    created_at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    actor_label = models.CharField(_("by"), max_length=100)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=40)
    object_label = models.CharField(_("object"), max_length=200)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    is_public = models.BooleanField(_("public"), default=False)
    community = models.ForeignKey(
        "deliberation.Community",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("community"),
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        verbose_name = _("trace entry")
        verbose_name_plural = _("trace")
        ordering = ["-seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_label}"

    @property
    def action_label(self) -> str:
        return str(ACTION_LABELS.get(self.action, self.action))
