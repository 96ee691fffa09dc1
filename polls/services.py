"""Everything that changes a poll. Each function checks its rule inside one transaction
and announces what happened with a signal, sent inside the transaction, so that a
listener (deliberation's trace) records it atomically with the change."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import signals
from .electorate import Head
from .models import (
    Answer,
    Ballot,
    LocalRuleSet,
    MultipleChoiceQuestion,
    Option,
    Participation,
    Poll,
    PollResult,
    Question,
    RankedChoiceQuestion,
    RollEntry,
    ScoreQuestion,
    SingleChoiceQuestion,
    VoterRoll,
    YesNoQuestion,
)
from .policies import voting_window_refusal
from .registry import get_ruleset
from .rules import RuleSetError
from .tally import tally

QUESTION_KINDS = {
    "yes_no": YesNoQuestion,
    "single": SingleChoiceQuestion,
    "multiple": MultipleChoiceQuestion,
    "ranked": RankedChoiceQuestion,
    "score": ScoreQuestion,
}
RECEIPT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

logger = logging.getLogger("yishi.polls")


def yes_no_options() -> list[tuple[str, str]]:
    return [("yes", _("agree")), ("no", _("disagree")), ("abstain", _("abstain"))]


@transaction.atomic
def create_poll(
    actor,
    *,
    title: str,
    scope_label: str,
    electorate: str,
    rule_name: str,
    questions: Sequence[dict[str, Any]],
    description: str = "",
    secrecy: str = Poll.Secrecy.PUBLIC,
    results: str = Poll.Results.HIDDEN_UNTIL_CLOSED,
    allow_change: bool = False,
    opens_at=None,
    closes_at=None,
) -> Poll:
    """A draft poll. `questions` are dicts: kind, text, options (labels), and for
    multiple choice min_picks/max_picks, for scores max_score."""
    try:
        rule = get_ruleset(rule_name)
    except RuleSetError as error:
        raise ValidationError(str(error)) from error
    if secrecy == Poll.Secrecy.SECRET and results == Poll.Results.LIVE:
        raise ValidationError(
            _(
                "A secret vote cannot show live results: each ballot would move the totals "
                "as its voter is seen voting. Show the results when the poll closes."
            )
        )
    if secrecy == Poll.Secrecy.SECRET and rule.uses_area:
        raise ValidationError(
            _(
                "A vote weighted by floor area cannot be secret: the area on a ballot would "
                "point to its voter. Choose named or public."
            )
        )
    if not questions:
        raise ValidationError(_("A poll needs at least one question."))
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError(_("The poll must close after it opens."))
    poll = Poll.objects.create(
        title=title,
        description=description,
        scope_label=scope_label,
        electorate=electorate,
        rule_name=rule_name,
        rule=rule.as_data(),
        secrecy=secrecy,
        results=results,
        allow_change=allow_change,
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=actor,
    )
    for position, spec in enumerate(questions):
        _add_question(poll, position, spec)
    signals.poll_changed.send(Poll, poll=poll, actor=actor, action="poll.created")
    return poll


def _add_question(poll: Poll, position: int, spec: dict[str, Any]) -> Question:
    model = QUESTION_KINDS.get(spec.get("kind", ""))
    if model is None:
        raise ValidationError(_("Unknown kind of question: %(kind)s") % {"kind": spec.get("kind")})
    text = (spec.get("text") or "").strip()
    if not text:
        raise ValidationError(_("Every question needs its text."))
    extra = {}
    if model is YesNoQuestion:
        # Stored labels are in the site's language, whoever creates the poll.
        with translation.override(settings.LANGUAGE_CODE):
            options = [(code, str(label)) for code, label in yes_no_options()]
    else:
        labels = [label.strip() for label in spec.get("options", []) if label.strip()]
        if len(labels) < 2:
            raise ValidationError(_("“%(text)s” needs at least two options.") % {"text": text})
        options = [("", label) for label in labels]
    if model is MultipleChoiceQuestion:
        low, high = int(spec.get("min_picks", 1)), int(spec.get("max_picks", len(options)))
        if not 0 <= low <= high <= len(options) or high == 0:
            raise ValidationError(
                _("“%(text)s”: picks must satisfy 0 ≤ at least ≤ at most ≤ %(n)d options.")
                % {"text": text, "n": len(options)}
            )
        extra = {"min_picks": low, "max_picks": high}
    if model is ScoreQuestion:
        extra = {"max_score": int(spec.get("max_score", 5))}
    question = model.objects.create(poll=poll, position=position, text=text, **extra)
    Option.objects.bulk_create(
        Option(question=question, position=i, code=code, label=label)
        for i, (code, label) in enumerate(options)
    )
    return question


def _require_state(poll: Poll, *states: str) -> None:
    if poll.state not in states:
        raise ValidationError(
            _("Not possible while the poll is %(state)s.") % {"state": poll.get_state_display()}
        )


@transaction.atomic
def prepare_roll(actor, poll: Poll, heads: Iterable[Head]) -> VoterRoll:
    """Write (or rewrite) the draft roll from the caller's provider, for review before
    opening."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    _require_state(poll, Poll.State.DRAFT)
    VoterRoll.objects.filter(poll=poll).delete()
    heads = list(heads)
    roll = VoterRoll.objects.create(
        poll=poll,
        heads_total=len(heads),
        area_total=sum((h.area for h in heads), Decimal("0.00")),
        source_digest=electorate_digest(heads),
    )
    RollEntry.objects.bulk_create(
        (
            RollEntry(
                roll=roll,
                key=h.key,
                label=h.label[:200],
                user_id=h.user_id,
                dwellings=h.dwellings,
                area=h.area,
                group=h.group,
            )
            for h in heads
        ),
        batch_size=1000,
    )
    signals.poll_changed.send(
        Poll, poll=poll, actor=actor, action="poll.roll_prepared", after={"voters": len(heads)}
    )
    return roll


def electorate_digest(heads: Iterable[Head]) -> str:
    """A fingerprint of an electorate as its provider gave it: who, with which
    dwellings, area and counting group."""
    canonical = json.dumps(
        sorted([h.key, f"{h.area:.2f}", sorted(h.dwellings), h.group, h.user_id] for h in heads),
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def correct_roll_entry(
    actor, entry: RollEntry, *, area: Decimal | None = None, remove: bool = False, reason: str
) -> None:
    """Correct one entry of a draft roll. Once the poll opens the roll is frozen."""
    entry = RollEntry.objects.select_related("roll__poll").select_for_update().get(pk=entry.pk)
    roll, poll = entry.roll, entry.roll.poll
    _require_state(poll, Poll.State.DRAFT)
    if not (reason or "").strip():
        raise ValidationError(_("Say why the roll is corrected."))
    before = {"key": entry.key, "area": str(entry.area)}
    if remove:
        entry.delete()
        after = {"removed": True}
    else:
        if area is None or area < 0:
            raise ValidationError(_("Give the corrected area, zero or more."))
        entry.area = area
        entry.save(update_fields=["area"])
        after = {"area": f"{area:.2f}"}
    entries = roll.entries.all()
    roll.heads_total = entries.count()
    roll.area_total = sum(entries.values_list("area", flat=True), Decimal("0.00"))
    roll.save(update_fields=["heads_total", "area_total"])
    signals.poll_changed.send(
        Poll,
        poll=poll,
        actor=actor,
        action="poll.roll_corrected",
        before=before,
        after={**after, "reason": reason.strip()},
    )


@transaction.atomic
def open_poll(
    actor,
    poll: Poll,
    heads: Iterable[Head] | None = None,
    *,
    register: Iterable[Head] | None = None,
) -> Poll:
    """Open the poll and freeze its roll: opening is the record date. Without a prepared
    roll, `heads` from the caller's provider become the roll now. With a prepared one,
    `register` is the electorate as it stands at opening: if it is no longer what the
    roll was prepared from, opening is refused until the roll is prepared again."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    _require_state(poll, Poll.State.DRAFT)
    if poll.closes_at and poll.closes_at <= timezone.now():
        raise ValidationError(
            _("Its closing time has passed: change the closing time before opening the poll.")
        )
    if not VoterRoll.objects.filter(poll=poll).exists():
        if heads is None:
            raise ValidationError(_("Prepare the voter roll before opening the poll."))
        prepare_roll(actor, poll, heads)
    roll = poll.roll
    if register is not None and electorate_digest(register) != roll.source_digest:
        raise ValidationError(
            _(
                "The register has changed since the voter roll was prepared (a sale, a "
                "delivery or a verification). Prepare the roll again and check it before "
                "opening."
            )
        )
    if roll.heads_total == 0:
        raise ValidationError(_("The voter roll is empty: nobody could vote."))
    now = timezone.now()
    roll.frozen_at = now
    roll.save(update_fields=["frozen_at"])
    poll.state, poll.opened_at = Poll.State.OPEN, now
    poll.save(update_fields=["state", "opened_at"])
    signals.poll_opened.send(Poll, poll=poll, actor=actor)
    return poll


@dataclass(frozen=True)
class Cast:
    ballot: Ballot
    receipt: str
    changed: bool = False


def _receipt() -> str:
    return "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(10))


def _answers(
    poll: Poll, choices: dict[int, Any], questions: Sequence[Question] | None = None
) -> list[tuple[Question, list[tuple]]]:
    """Check the voter's choices against each question; (question, [(option, rank,
    score)]) for each. `choices` maps question id to an option id (yes/no, single), a list
    of option ids (multiple), option ids in rank order (ranked) or {option id: score}."""
    checked = []
    if questions is None:
        questions = poll.questions.prefetch_related("options")
    for question in questions:
        options = {o.pk: o for o in question.options.all()}
        picked = choices.get(question.pk)
        if picked in (None, "", [], {}):
            raise ValidationError(_("Answer “%(text)s”.") % {"text": question.text})
        try:
            if question.kind in ("yes_no", "single"):
                rows = [(options[int(picked)], None, None)]
            elif question.kind == "multiple":
                ids = {int(p) for p in picked}
                if not question.min_picks <= len(ids) <= question.max_picks:
                    raise ValidationError(
                        _("Pick between %(low)d and %(high)d options for “%(text)s”.")
                        % {
                            "low": question.min_picks,
                            "high": question.max_picks,
                            "text": question.text,
                        }
                    )
                rows = [(options[i], None, None) for i in ids]
            elif question.kind == "ranked":
                ids = [int(p) for p in picked]
                if len(set(ids)) != len(ids):
                    raise ValidationError(
                        _("Rank each option once in “%(text)s”.") % {"text": question.text}
                    )
                rows = [(options[i], rank, None) for rank, i in enumerate(ids, start=1)]
            else:
                rows = []
                for option_id, score in dict(picked).items():
                    score = int(score)
                    if not 0 <= score <= question.max_score:
                        raise ValidationError(
                            _("Scores in “%(text)s” go from 0 to %(max)d.")
                            % {"text": question.text, "max": question.max_score}
                        )
                    rows.append((options[int(option_id)], None, score))
        except (KeyError, TypeError, ValueError):
            raise ValidationError(
                _("That is not an option of “%(text)s”.") % {"text": question.text}
            ) from None
        checked.append((question, rows))
    return checked


def _write_answers(ballot: Ballot, checked) -> None:
    Answer.objects.bulk_create(
        Answer(ballot=ballot, question=question, option=option, rank=rank, score=score)
        for question, rows in checked
        for option, rank, score in rows
    )


def cast_ballot(
    poll: Poll,
    entry: RollEntry,
    choices: dict[int, Any],
    *,
    channel: str = Participation.Channel.ONLINE,
    entered_by=None,
    spoiled: bool = False,
    scan=None,
    voter=None,
    questions: Sequence[Question] | None = None,
) -> Cast:
    """One ballot per voter key, whatever the channel: the unique participation row makes
    the database refuse a second. An online ballot may be replaced until the poll
    closes if the poll allows it (not in a secret poll, where nobody can find it).
    `voter` is the signed-in person casting online; `questions`, with their options
    prefetched, spare loading them again when the caller has them."""
    checked = [] if spoiled else _answers(poll, choices, questions)
    actor = entered_by or voter
    try:
        with transaction.atomic():
            poll = _share_lock(poll)
            _require_state(poll, Poll.State.OPEN)
            refusal = voting_window_refusal(poll)
            if refusal:
                raise ValidationError(refusal)
            if entry.roll_id != poll.roll.pk:
                raise ValidationError(_("This voter is not on this poll's roll."))
            existing = (
                Participation.objects.select_for_update().filter(poll=poll, entry=entry).first()
            )
            if existing is not None:
                return _change(poll, existing, checked, channel, actor)
            participation = Participation.objects.create(
                poll=poll, entry=entry, channel=channel, entered_by=entered_by, scan=scan or ""
            )
            ballot = Ballot.objects.create(
                poll=poll,
                participation=None if poll.secrecy == Poll.Secrecy.SECRET else participation,
                receipt=_receipt(),
                spoiled=spoiled,
            )
            _write_answers(ballot, checked)
            signals.ballot_cast.send(
                Poll, poll=poll, participation=participation, actor=actor, changed=False
            )
            return Cast(ballot, ballot.receipt)
    except IntegrityError:
        existing = Participation.objects.filter(poll=poll, entry=entry).first()
        raise ValidationError(_already_voted(existing)) from None


def _share_lock(poll: Poll) -> Poll:
    """Ballots take a shared lock on their poll: they do not wait for one another, but
    closing (an exclusive lock) waits for every ballot in flight, and no ballot can slip
    in after the close. SQLite serializes writers anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT id FROM polls_poll WHERE id = %s FOR SHARE", [poll.pk])
    return Poll.objects.select_related("roll").get(pk=poll.pk)


def _already_voted(participation: Participation | None) -> str:
    if participation is None:
        return _("This voter has already voted.")
    return _("This voter has already voted (%(channel)s, %(time)s).") % {
        "channel": participation.get_channel_display(),
        "time": timezone.localtime(participation.voted_at).strftime("%Y-%m-%d %H:%M"),
    }


def _change(poll: Poll, participation: Participation, checked, channel: str, actor) -> Cast:
    if not (
        poll.allow_change
        and channel == Participation.Channel.ONLINE
        and participation.channel == Participation.Channel.ONLINE
        and poll.secrecy != Poll.Secrecy.SECRET
    ):
        raise ValidationError(_already_voted(participation))
    ballot = participation.ballot
    ballot.answers.all().delete()
    _write_answers(ballot, checked)
    signals.ballot_cast.send(Poll, poll=poll, participation=participation, actor=None, changed=True)
    return Cast(ballot, ballot.receipt, changed=True)


@transaction.atomic
def close_poll(actor, poll: Poll) -> PollResult:
    """Close the poll and keep its tally as a record."""
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    _require_state(poll, Poll.State.OPEN)
    poll.state, poll.closed_at = Poll.State.CLOSED, _voting_ended(poll, timezone.now())
    poll.save(update_fields=["state", "closed_at"])
    result = PollResult.objects.create(poll=poll, data=tally(poll))
    signals.poll_closed.send(Poll, poll=poll, actor=actor, result=result)
    return result


def _voting_ended(poll: Poll, now):
    """When voting ended: the announced closing time once it has passed, since no ballot
    was accepted after it, however late the poll is closed; but never before it opened."""
    if poll.closes_at is None or poll.closes_at > now:
        return now
    return max(poll.closes_at, poll.opened_at or poll.closes_at)


def is_due(poll: Poll, now=None) -> bool:
    """Whether an open poll's announced closing time has come. The moment itself counts,
    as it does for refusing ballots (`policies.voting_window_refusal`)."""
    return (
        poll.state == Poll.State.OPEN
        and poll.closes_at is not None
        and poll.closes_at <= (now or timezone.now())
    )


def close_due_polls(now=None, *, among: QuerySet[Poll] | None = None) -> list[PollResult]:
    """Close every open poll (of `among`, if given) whose closing time has come, as
    `close_poll` does, with no actor: the trace says the system closed it. Several
    processes may run this at once: each poll is checked again under its row lock, and
    one that another run closed meanwhile is skipped. A poll that cannot be closed is
    logged and the others are still closed."""
    now = now or timezone.now()
    polls = Poll.objects.all() if among is None else among
    due = list(
        polls.filter(state=Poll.State.OPEN, closes_at__lte=now)
        .order_by("closes_at", "pk")
        .values_list("pk", flat=True)
    )
    results = []
    for pk in due:
        result = _close_if_still_due(pk, now)
        if result is not None:
            results.append(result)
    return results


def _close_if_still_due(pk: int, now) -> PollResult | None:
    try:
        with transaction.atomic():
            poll = Poll.objects.select_for_update().get(pk=pk)
            if not is_due(poll, now):
                return None
            return close_poll(None, poll)
    except Exception:
        logger.exception("Poll %s is past its closing time but could not be closed", pk)
        return None


def close_if_due(poll: Poll, now=None) -> bool:
    """Close `poll` if its closing time has come, so that a page shows it as it is even
    where no timer runs `close_due_polls`. No query unless the poll is due; True when
    the caller should load the poll again."""
    if not is_due(poll, now):
        return False
    _close_if_still_due(poll.pk, now or timezone.now())
    return True


@transaction.atomic
def publish_result(actor, poll: Poll) -> Poll:
    poll = Poll.objects.select_for_update().get(pk=poll.pk)
    _require_state(poll, Poll.State.CLOSED)
    poll.state = Poll.State.PUBLISHED
    poll.save(update_fields=["state"])
    signals.poll_changed.send(Poll, poll=poll, actor=actor, action="poll.published")
    return poll


def _rule_set_data(rule_set: LocalRuleSet) -> dict[str, Any]:
    return {"name": rule_set.name, "label": rule_set.label, "data": rule_set.data}


@transaction.atomic
def save_local_rule_set(actor, rule_set: LocalRuleSet, *, created: bool) -> LocalRuleSet:
    """Save a local rule set, announcing what changed. Polls keep the rule set as it stood
    when they were created, so no existing poll changes with it."""
    before = (
        {}
        if created
        else _rule_set_data(LocalRuleSet.objects.select_for_update().get(pk=rule_set.pk))
    )
    after = _rule_set_data(rule_set)
    if before == after:
        return rule_set
    rule_set.save()
    signals.rule_set_changed.send(
        LocalRuleSet,
        rule_set=rule_set,
        actor=actor,
        action="rule_set.created" if created else "rule_set.changed",
        before={k: v for k, v in before.items() if after[k] != v},
        after={k: v for k, v in after.items() if created or before[k] != v},
    )
    return rule_set


@transaction.atomic
def delete_local_rule_set(actor, rule_set: LocalRuleSet) -> None:
    before = _rule_set_data(rule_set)
    signals.rule_set_changed.send(
        LocalRuleSet, rule_set=rule_set, actor=actor, action="rule_set.deleted", before=before
    )
    rule_set.delete()
