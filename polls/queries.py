"""The read side of the resident pages: each query fetches what a page shows in a fixed
number of queries, however many polls, questions or ballots there are."""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Exists, IntegerField, OuterRef, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from .models import Answer, Ballot, Participation, Poll, Question, RollEntry, ScoreQuestion
from .tally import tally


def polls_of(user) -> QuerySet[Poll]:
    """The polls `user` is on the roll of, open ones first, each with `voted`."""
    on_roll = RollEntry.objects.filter(roll__poll=OuterRef("pk"), user=user)
    voted = Participation.objects.filter(poll=OuterRef("pk"), entry__user=user)
    return (
        Poll.objects.filter(Exists(on_roll))
        .exclude(state=Poll.State.DRAFT)
        .annotate(
            voted=Exists(voted),
            open_first=Case(
                When(state=Poll.State.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("open_first", "-opened_at", "-pk")
    )


def poll(pk: int) -> Poll:
    return get_object_or_404(Poll.objects.select_related("roll", "result"), pk=pk)


def roll_entry(user, poll: Poll) -> RollEntry | None:
    """The person's entry on the poll's roll, if they are on it."""
    if not user.is_authenticated:
        return None
    return RollEntry.objects.filter(roll__poll=poll, user=user).order_by("pk").first()


def participation(poll: Poll, entry: RollEntry | None) -> Participation | None:
    """The entry's "has voted" row, with its ballot when the poll is not secret."""
    if entry is None:
        return None
    return Participation.objects.select_related("ballot").filter(poll=poll, entry=entry).first()


def receipt_of(participation: Participation | None) -> str | None:
    """The receipt code of a non-secret ballot. A secret ballot has no link to its voter."""
    if participation is None:
        return None
    ballot = getattr(participation, "ballot", None)
    return ballot.receipt if ballot is not None else None


def questions(poll: Poll) -> list[Question]:
    return list(poll.questions.prefetch_related("options"))


def max_scores(poll: Poll) -> dict[int, int]:
    """The top score of each score question, without loading every question."""
    return dict(ScoreQuestion.objects.filter(poll=poll).values_list("pk", "max_score"))


def current_choices(participation: Participation | None) -> dict[int, Any]:
    """What the voter chose, in the shape `services.cast_ballot` takes, to prefill the
    form when they may change their ballot."""
    ballot = getattr(participation, "ballot", None) if participation else None
    if ballot is None:
        return {}
    choices: dict[int, Any] = {}
    for answer in Answer.objects.filter(ballot=ballot).order_by("question_id", "rank", "pk"):
        if answer.score is not None:
            choices.setdefault(answer.question_id, {})[answer.option_id] = answer.score
        else:
            choices.setdefault(answer.question_id, []).append(answer.option_id)
    return choices


def figures(poll: Poll) -> dict[str, Any]:
    """The tally: as recorded when the poll closed, or as it stands while it is open."""
    result = getattr(poll, "result", None)
    if result is not None:
        return result.data
    return tally(poll)


def receipts(poll: Poll) -> QuerySet[Ballot]:
    return Ballot.objects.filter(poll=poll).order_by("receipt").only("receipt", "spoiled")


def receipt_counted(poll: Poll, code: str) -> bool:
    return Ballot.objects.filter(poll=poll, receipt=code).exists()
