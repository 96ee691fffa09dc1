"""The rules of a topic's life: which step may follow which, and when co-signatures
reach a threshold. Pure functions; the services apply them inside their transactions.

Thresholds follow domain-rules.md: "以上" includes the number itself, so a share is
reached when `signatures / households >= share`, compared by cross-multiplication.
"""

from fractions import Fraction

from django.utils.translation import gettext as _

from .models import CatalogEntry, Topic

S = Topic.Status

# The steps a topic may take from each status. Drafts are the proposer's; every other
# step is the committee's, but for the threshold's own acceptance.
TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.PROPOSED}),
    S.PROPOSED: frozenset({S.ACCEPTED, S.DECLINED}),
    S.ACCEPTED: frozenset({S.SCHEDULED, S.DECLINED}),
    S.DECLINED: frozenset(),
    S.SCHEDULED: frozenset({S.DELIBERATED}),
    S.DELIBERATED: frozenset({S.RESOLVED, S.SCHEDULED}),
    S.RESOLVED: frozenset({S.IMPLEMENTING, S.CLOSED}),
    S.IMPLEMENTING: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
}

# Households may co-sign while the matter is still to be deliberated: later
# signatures still count towards the petitions that force a meeting.
SIGNING_OPEN = frozenset({S.PROPOSED, S.ACCEPTED, S.SCHEDULED})
COMMENTS_OPEN = frozenset(
    {S.PROPOSED, S.ACCEPTED, S.SCHEDULED, S.DELIBERATED, S.RESOLVED, S.IMPLEMENTING}
)

# domain-rules.md, "Petitions that force action".
RESIDENTS_MEETING_SHARE = Fraction(1, 5)
OWNERS_ASSEMBLY_SHARE = Fraction(1, 5)


def refusal(current: str, wanted: str) -> str | None:
    """Why a topic in `current` cannot move to `wanted`, or None if it may."""
    if wanted in TRANSITIONS.get(current, frozenset()):
        return None
    return _("A topic that is “%(current)s” cannot become “%(wanted)s”.") % {
        "current": S(current).label,
        "wanted": S(wanted).label,
    }


def share_reached(part: int, whole: int, share: Fraction) -> bool:
    """`part` is at least `share` of `whole` (以上: the boundary counts). Nothing is a
    share of an empty scope."""
    return whole > 0 and part * share.denominator >= share.numerator * whole


def least_for_share(whole: int, share: Fraction) -> int | None:
    """The fewest of `whole` that make at least `share` of it (以上: the boundary
    counts), at least one; None for an empty whole, of which nothing is a share."""
    if whole <= 0:
        return None
    return max(1, -(-share.numerator * whole // share.denominator))


def households_needed(entry: CatalogEntry, households_in_scope: int) -> int:
    """How many co-signing households put a topic under `entry` in the queue."""
    if entry.threshold_households is not None:
        # A scope smaller than the number (an entrance of two flats) reaches it when all
        # its households co-sign, or no topic there could ever reach the queue.
        return max(1, min(entry.threshold_households, households_in_scope))
    return least_for_share(households_in_scope, Fraction(entry.threshold_percent, 100)) or 1


def queue_threshold_reached(entry: CatalogEntry, signatures: int, households_in_scope: int) -> bool:
    return signatures >= households_needed(entry, households_in_scope)


def residents_meeting_required(signatures: int, households_in_scope: int) -> bool:
    return share_reached(signatures, households_in_scope, RESIDENTS_MEETING_SHARE)


def owners_assembly_required(owner_signatures: int, owners_in_scope: int) -> bool:
    return share_reached(owner_signatures, owners_in_scope, OWNERS_ASSEMBLY_SHARE)
