"""Polls run from the back office. deliberation knows the register and who sits where;
the voting engine (polls.services) checks the voting rules, writes and signals, and
deliberation's receivers trace every step. Each function here first asks whether the
staff member may act on the poll's place."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from polls import services as engine
from polls.models import Participation, Poll, PollResult, RollEntry, VoterRoll
from polls.registry import get_ruleset
from polls.rules import RuleSetError

from .. import electorates, policies
from ..models import Building, Community, Compound
from ..models.places import normalize_entrance

Place = Community | Compound | Building

# The rule set a form suggests when staff leave the choice open.
SUGGESTED_RULE = {
    "owners": "owners_ordinary",
    "households": "residents_assembly",
    "residents": "simple_majority",
}


def place_of(poll: Poll) -> Place | None:
    """The community, compound or building whose register the poll's electorate reads."""
    return electorates.place_of(poll.electorate)


def _require(actor, poll: Poll, action: str = "change") -> None:
    if not policies.can_handle_polls_in(actor, place_of(poll), action):
        raise PermissionDenied(_("You hold no seat that runs polls in this place."))


def scope_label(kind: str, place: Place, entrance: str = "") -> str:
    """Who votes, as staff and residents read it: 幸福里 3号楼 2单元 · owners."""
    kinds = {"owners": _("owners"), "households": _("households"), "residents": _("residents")}
    where = str(place)
    if entrance:
        where = " ".join([where, _("entrance %(entrance)s") % {"entrance": entrance}])
    return f"{where} · {kinds[kind]}"


def create_poll(
    actor,
    *,
    kind: str,
    place: Place,
    entrance: str = "",
    rule_name: str = "",
    questions: list[dict[str, Any]],
    **fields: Any,
) -> Poll:
    """A draft poll of the owners, households or residents of `place` (one entrance of
    a building if given). `fields` are those of polls.services.create_poll."""
    if kind not in electorates.KINDS:
        raise ValidationError(_("Choose who votes: owners, households or residents."))
    if not policies.can_handle_polls_in(actor, place, "add"):
        raise PermissionDenied(_("You hold no seat that runs polls in this place."))
    entrance = normalize_entrance(entrance)
    if entrance and not isinstance(place, Building):
        raise ValidationError(_("An entrance can only be chosen with a building."))
    rule = rule_name or SUGGESTED_RULE[kind]
    try:
        weighs_area = get_ruleset(rule).uses_area
    except RuleSetError as error:
        raise ValidationError(str(error)) from error
    if weighs_area and kind != "owners":
        raise ValidationError(
            _("This rule set weighs floor area, which only owners' votes carry. Choose owners.")
        )
    key = electorates.electorate_key(kind, place, entrance)
    if entrance and not electorates.dwellings_of(key).exists():
        raise ValidationError(
            _("%(building)s has no dwellings in entrance %(entrance)s.")
            % {"building": place, "entrance": entrance}
        )
    return engine.create_poll(
        actor,
        scope_label=scope_label(kind, place, entrance),
        electorate=key,
        rule_name=rule,
        questions=questions,
        **fields,
    )


def prepare_roll(actor, poll: Poll) -> VoterRoll:
    """Read the electorate from the register as it stands now; staff check it, may
    correct it, and it freezes when the poll opens."""
    _require(actor, poll)
    return engine.prepare_roll(actor, poll, electorates.heads(poll.electorate))


def correct_roll_entry(
    actor, entry: RollEntry, *, area: Decimal | None = None, remove: bool = False, reason: str
) -> None:
    _require(actor, entry.roll.poll)
    engine.correct_roll_entry(actor, entry, area=area, remove=remove, reason=reason)


def open_poll(actor, poll: Poll) -> Poll:
    """Open with the roll staff prepared and checked, never one read behind their back."""
    _require(actor, poll)
    return engine.open_poll(actor, poll, register=electorates.heads(poll.electorate))


def enter_paper_ballot(
    actor,
    poll: Poll,
    entry: RollEntry,
    choices: dict[int, Any],
    *,
    spoiled: bool = False,
    scan=None,
) -> engine.Cast:
    """Counting staff enter a paper ballot; the engine refuses a second ballot of the
    same voter, whatever its channel, with the reason."""
    _require(actor, poll)
    return engine.cast_ballot(
        poll,
        entry,
        choices,
        channel=Participation.Channel.PAPER,
        entered_by=actor,
        spoiled=spoiled,
        scan=scan,
    )


def close_poll(actor, poll: Poll) -> PollResult:
    _require(actor, poll)
    return engine.close_poll(actor, poll)


def publish_result(actor, poll: Poll) -> Poll:
    _require(actor, poll)
    return engine.publish_result(actor, poll)
