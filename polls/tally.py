"""The tally of a stored poll, in a fixed number of queries whatever the size of the
roll: aggregates per option in the database, the rule arithmetic in `counting`."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count as CountOf
from django.db.models import Sum

from .counting import SPOILED, count_scores, count_yes_no, decision_data, instant_runoff
from .models import Answer, Ballot, Poll, VoterRoll
from .rules import Count, RuleSet

ZERO = Decimal("0.00")


def tally(poll: Poll) -> dict[str, Any]:
    rule = RuleSet.from_data(poll.rule_name, poll.rule)
    roll = VoterRoll.objects.filter(poll=poll).first()
    electorate = Count(roll.heads_total, roll.area_total) if roll else Count()
    per_option = {
        (row["question_id"], row["option_id"]): Count(row["heads"], row["area"] or ZERO)
        for row in Answer.objects.filter(ballot__poll=poll, ballot__spoiled=False)
        .values("question_id", "option_id")
        .annotate(heads=CountOf("id"), area=Sum("ballot__participation__entry__area"))
    }
    spoiled_row = Ballot.objects.filter(poll=poll, spoiled=True).aggregate(
        heads=CountOf("id"), area=Sum("participation__entry__area")
    )
    spoiled = Count(spoiled_row["heads"], spoiled_row["area"] or ZERO)
    questions = list(poll.questions.prefetch_related("options"))
    rankings = _rankings(poll) if any(q.kind == "ranked" for q in questions) else {}
    scores = _scores(poll) if any(q.kind == "score" for q in questions) else {}

    figures = []
    for question in questions:
        options = list(question.options.all())
        entry: dict[str, Any] = {
            "id": question.pk,
            "kind": question.kind,
            "text": question.text,
            "options": [
                {
                    "id": o.pk,
                    "label": o.label,
                    "code": o.code,
                    "heads": per_option.get((question.pk, o.pk), Count()).heads,
                    "area": f"{per_option.get((question.pk, o.pk), Count()).area:.2f}",
                }
                for o in options
            ],
        }
        if question.kind == "yes_no":
            votes = [(o.code, per_option.get((question.pk, o.pk), Count())) for o in options]
            votes.append((SPOILED, spoiled))
            totals, decision = count_yes_no(rule, electorate, votes)
            entry["decision"] = decision_data(decision, totals)
        elif question.kind == "ranked":
            winner, rounds = instant_runoff(
                rankings.get(question.pk, {}).values(), [o.pk for o in options]
            )
            entry["winner"] = winner
            entry["rounds"] = [
                {"counts": r.counts, "eliminated": list(r.eliminated), "exhausted": r.exhausted}
                for r in rounds
            ]
        elif question.kind == "score":
            entry["scores"] = scores.get(question.pk, {})
        figures.append(entry)
    return {
        "rule": rule.as_data(),
        "electorate": {"heads": electorate.heads, "area": f"{electorate.area:.2f}"},
        "ballots": Ballot.objects.filter(poll=poll).count(),
        "spoiled": {"heads": spoiled.heads, "area": f"{spoiled.area:.2f}"},
        "questions": figures,
    }


def _rankings(poll: Poll) -> dict[int, dict[Any, list[int]]]:
    rankings: dict[int, dict[Any, list[int]]] = defaultdict(lambda: defaultdict(list))
    for ballot, question, option in (
        Answer.objects.filter(ballot__poll=poll, rank__isnull=False)
        .order_by("ballot_id", "question_id", "rank")
        .values_list("ballot_id", "question_id", "option_id")
    ):
        rankings[question][ballot].append(option)
    return rankings


def _scores(poll: Poll) -> dict[int, dict[int, dict[str, Any]]]:
    by_question: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for question, option, score in Answer.objects.filter(
        ballot__poll=poll, score__isnull=False
    ).values_list("question_id", "option_id", "score"):
        by_question[question].append((option, score))
    return {question: count_scores(rows) for question, rows in by_question.items()}
