"""Who may do what with a poll, as plain functions of the person and the poll; used by
views, the live consumer and templates alike. `entry` is the person's entry on the
poll's voter roll (None when they are not on it), `participation` their "has voted" row."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Participation, Poll, RollEntry

FINISHED = (Poll.State.CLOSED, Poll.State.PUBLISHED)


def is_finished(poll: Poll) -> bool:
    return poll.state in FINISHED


def results_are_due(poll: Poll) -> bool:
    """Whether the poll's timing lets anyone see its figures: live results while open,
    otherwise once it has closed."""
    if is_finished(poll):
        return True
    return poll.state == Poll.State.OPEN and poll.results == Poll.Results.LIVE


def staff_may_watch(user, poll: Poll) -> bool:
    """Whether a staff member answers for this poll's place. polls knows no places: the
    calling app names its policy in the POLLS_STAFF_POLICY setting (a dotted path to a
    function of (user, poll)); without one, only superusers."""
    if not (user.is_authenticated and user.is_staff):
        return False
    if user.is_superuser:
        return True
    path = getattr(settings, "POLLS_STAFF_POLICY", "")
    return bool(path) and import_string(path)(user, poll)


def can_see_poll(user, poll: Poll, entry: RollEntry | None) -> bool:
    """A published poll is public; before that, it belongs to its voters and to the
    staff who answer for its place. Drafts are for those staff only: the roll is not
    final."""
    if poll.state == Poll.State.PUBLISHED:
        return True
    if not user.is_authenticated:
        return False
    if staff_may_watch(user, poll):
        return True
    return entry is not None and poll.state != Poll.State.DRAFT


def can_see_results(user, poll: Poll, entry: RollEntry | None) -> bool:
    return results_are_due(poll) and can_see_poll(user, poll, entry)


def may_change(poll: Poll, participation: Participation) -> bool:
    """An online ballot may be replaced while the poll is open, if the poll allows it;
    never in a secret poll, where nobody can find the ballot again."""
    return (
        poll.allow_change
        and poll.secrecy != Poll.Secrecy.SECRET
        and participation.channel == Participation.Channel.ONLINE
    )


def vote_refusal(
    user, poll: Poll, entry: RollEntry | None, participation: Participation | None
) -> str | None:
    """Why this person may not vote now, or None when they may."""
    if not user.is_authenticated:
        return _("Sign in to vote.")
    if entry is None:
        return _("You are not on the voter roll of this poll, so you cannot vote in it.")
    if poll.state == Poll.State.DRAFT:
        return _("This poll has not opened yet.")
    if poll.state != Poll.State.OPEN:
        return _("This poll has closed: no more ballots are accepted.")
    timing = voting_window_refusal(poll)
    if timing:
        return timing
    if participation is not None and not may_change(poll, participation):
        return _("You have already voted in this poll. Each voter has one ballot.")
    return None


def can_vote(
    user, poll: Poll, entry: RollEntry | None, participation: Participation | None = None
) -> bool:
    return vote_refusal(user, poll, entry, participation) is None


def can_see_notice(user, poll: Poll, entry: RollEntry | None) -> bool:
    return is_finished(poll) and can_see_poll(user, poll, entry)


def can_see_receipts(user, poll: Poll, entry: RollEntry | None) -> bool:
    """After closing, every voter (and, once published, anyone) may check that a receipt
    code is among the counted ballots."""
    return is_finished(poll) and can_see_poll(user, poll, entry)


def voting_window_refusal(poll: Poll, now=None) -> str | None:
    """Ballots are accepted only between the announced opening and closing times."""
    now = now or timezone.now()
    if poll.opens_at and now < poll.opens_at:
        return _("Voting starts at %(time)s.") % {
            "time": timezone.localtime(poll.opens_at).strftime("%Y-%m-%d %H:%M")
        }
    if poll.closes_at and now >= poll.closes_at:
        return _("Voting ended at %(time)s: no more ballots are accepted.") % {
            "time": timezone.localtime(poll.closes_at).strftime("%Y-%m-%d %H:%M")
        }
    return None
