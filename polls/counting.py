"""Counting, with no database: used by the tally of a stored poll and by the auditors'
independent recount alike, so both give the same answer."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .rules import Count, Decision, RuleSet, decide

YES, NO, ABSTAIN, SPOILED = "yes", "no", "abstain", "spoiled"
CHOICES = (YES, NO, ABSTAIN, SPOILED)


def count_yes_no(
    rule: RuleSet, electorate: Count, votes: Iterable[tuple[str, Count]]
) -> tuple[dict[str, Count], Decision]:
    """Totals per choice and the decision. Each vote is (choice, the voter's weight)."""
    totals = {choice: Count() for choice in CHOICES}
    for choice, weight in votes:
        totals[choice] = totals[choice] + weight
    participating = totals[YES] + totals[NO] + totals[ABSTAIN]
    if rule.spoiled_participates:
        participating = participating + totals[SPOILED]
    return totals, decide(rule, electorate, participating, totals[YES])


def decision_data(decision: Decision, totals: dict[str, Count]) -> dict[str, Any]:
    """The figures of a decision as plain data: the recount's JSON keys and more."""
    return {
        "rule": decision.rule.name,
        "rule_label": decision.rule.label,
        "owners_total": decision.electorate.heads,
        "area_total": f"{decision.electorate.area:.2f}",
        "owners_participating": decision.participating.heads,
        "area_participating": f"{decision.participating.area:.2f}",
        "owners_yes": decision.yes.heads,
        "area_yes": f"{decision.yes.area:.2f}",
        "quorum_met": decision.quorum_met,
        "passed": decision.passed,
        "choices": {
            choice: {"heads": count.heads, "area": f"{count.area:.2f}"}
            for choice, count in totals.items()
        },
        "checks": [check.as_data() for check in decision.checks],
    }


@dataclass(frozen=True)
class Round:
    counts: dict[int, int]
    eliminated: tuple[int, ...]
    exhausted: int


def instant_runoff(
    ballots: Iterable[Sequence[int]], options: Sequence[int]
) -> tuple[int | None, list[Round]]:
    """Instant-runoff: each round counts every ballot for its highest-ranked option
    still standing; an option with more than half of the ballots still counting wins;
    otherwise the option with the fewest votes is eliminated (on a tie, the one that
    comes last in the options' order, so the outcome never depends on ballot order)."""
    ballots = [list(b) for b in ballots]
    standing = list(options)
    rounds: list[Round] = []
    while standing:
        counts = dict.fromkeys(standing, 0)
        exhausted = 0
        for ranking in ballots:
            top = next((option for option in ranking if option in counts), None)
            if top is None:
                exhausted += 1
            else:
                counts[top] += 1
        continuing = sum(counts.values())
        leader = max(standing, key=lambda o: (counts[o], -standing.index(o)))
        if continuing and 2 * counts[leader] > continuing or len(standing) == 1:
            rounds.append(Round(counts, (), exhausted))
            return (leader if continuing else None), rounds
        fewest = min(counts.values())
        loser = [o for o in standing if counts[o] == fewest][-1]
        rounds.append(Round(counts, (loser,), exhausted))
        standing.remove(loser)
    return None, rounds


def count_scores(scores: Iterable[tuple[int, int]]) -> dict[int, dict[str, Any]]:
    """Per option: how many scored it, the sum and the average (as a fraction string)."""
    sums: Counter[int] = Counter()
    voters: Counter[int] = Counter()
    for option, score in scores:
        sums[option] += score
        voters[option] += 1
    return {
        option: {
            "voters": voters[option],
            "sum": sums[option],
            "average": str(
                (Decimal(sums[option]) / voters[option]).quantize(
                    Decimal("0.01"), rounding=ROUND_HALF_UP
                )
            ),
        }
        for option in voters
    }
