"""Listening to the voting engine: every poll event goes into the trace (inside the
poll's own transaction), and live polls tell their watchers to refresh after commit."""

from django.dispatch import receiver

from polls import signals
from polls.models import LocalRuleSet, Poll

from . import broadcast, electorates, trace
from .models import Meeting
from .services import pacts


def _record(poll: Poll, actor, action: str, *, before=None, after=None, public=True) -> None:
    trace.record(
        actor=actor,
        action=action,
        obj=poll,
        before=before,
        after=after,
        public=public,
        community_id=electorates.community_id(poll.electorate),
    )


def _refresh_watchers(poll: Poll) -> None:
    """The poll's own watchers, and the rooms of sitting meetings voting on it."""
    hint = {"type": "poll.updated", "poll": poll.pk, "coalesce": True}
    broadcast.on_commit_send(poll.group_name, hint)
    rooms = Meeting.objects.filter(
        current_item__poll=poll, state__in=[Meeting.State.OPEN, Meeting.State.PAUSED]
    ).values_list("pk", flat=True)
    for pk in rooms:
        broadcast.on_commit_send(Meeting(pk=pk).group_name, hint)


@receiver(signals.poll_changed)
def record_poll_change(sender, poll, actor, action, before=None, after=None, **kwargs):
    _record(poll, actor, action, before=before, after=after)


@receiver(signals.poll_opened)
def record_poll_opened(sender, poll, actor, **kwargs):
    roll = poll.roll
    _record(
        poll,
        actor,
        "poll.opened",
        after={"voters": roll.heads_total, "area": roll.area_total, "rule": poll.rule_name},
    )
    _refresh_watchers(poll)


@receiver(signals.ballot_cast)
def record_ballot(sender, poll, participation, actor=None, changed=False, **kwargs):
    """Who voted, and how (online, on paper) is recorded privately; never what they chose."""
    _record(
        poll,
        actor or participation.entry.user,
        "poll.ballot_changed" if changed else "poll.ballot_cast",
        after={"voter": participation.entry.label, "channel": participation.channel},
        public=False,
    )
    if poll.results == Poll.Results.LIVE:
        _refresh_watchers(poll)


@receiver(signals.poll_closed)
def record_poll_closed(sender, poll, actor, result, **kwargs):
    outcomes = [
        {"question": q["text"], "passed": q["decision"]["passed"]}
        for q in result.data["questions"]
        if "decision" in q
    ]
    _record(
        poll, actor, "poll.closed", after={"ballots": result.data["ballots"], "outcomes": outcomes}
    )
    _refresh_watchers(poll)
    pacts.settle_vote(poll, result, actor)


@receiver(signals.rule_set_changed)
def record_rule_set_change(sender, rule_set: LocalRuleSet, actor, action, **kwargs):
    """Local rule sets serve every community: their changes are public and site-wide."""
    trace.record(
        actor=actor,
        action=action,
        obj=rule_set,
        before=kwargs.get("before"),
        after=kwargs.get("after"),
        public=True,
        community_id=None,
    )
