"""Decision rules as data, and the exact arithmetic that applies them.

A rule set says who counts (`counting`), what quorum the participants must reach
against the whole roll, and what share of the participants must agree. Shares are
`Fraction`s and comparisons are cross-multiplied integers, so "以上" (at least, the
boundary included) and "过半数" (more than half, the boundary excluded) are exact.
Areas are `Decimal` with two places, compared in hundredths of a square metre.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

Basis = Literal["heads", "area"]
Compare = Literal["at_least", "more_than"]
COUNTINGS = ("person", "household", "owner_area")
RULESETS_FILE = Path(__file__).with_name("rulesets.toml")


class RuleSetError(ValueError):
    """A rule set is malformed."""


@dataclass(frozen=True)
class Threshold:
    basis: Basis
    compare: Compare
    fraction: Fraction

    def met(self, part: int, whole: int) -> bool:
        """Whether `part` of `whole` reaches the threshold, in integers only."""
        if whole <= 0:
            return False
        left = part * self.fraction.denominator
        right = whole * self.fraction.numerator
        return left >= right if self.compare == "at_least" else left > right

    def describe(self) -> str:
        word = "≥" if self.compare == "at_least" else ">"
        return f"{self.basis} {word} {self.fraction}"

    def as_data(self) -> dict[str, str]:
        return {"basis": self.basis, "compare": self.compare, "fraction": str(self.fraction)}


@dataclass(frozen=True)
class RuleSet:
    name: str
    label: str
    counting: str
    quorum: tuple[Threshold, ...]
    passing: tuple[Threshold, ...]
    spoiled_participates: bool = True

    @property
    def uses_area(self) -> bool:
        return self.counting == "owner_area"

    def as_data(self) -> dict[str, Any]:
        """A plain snapshot, stored with each poll so later edits change nothing for it."""
        return {
            "name": self.name,
            "label": self.label,
            "counting": self.counting,
            "spoiled_participates": self.spoiled_participates,
            "quorum": [t.as_data() for t in self.quorum],
            "passing": [t.as_data() for t in self.passing],
        }

    @classmethod
    def from_data(cls, name: str, data: dict[str, Any]) -> RuleSet:
        try:
            counting = data["counting"]
            if counting not in COUNTINGS:
                raise RuleSetError(f"{name}: counting must be one of {', '.join(COUNTINGS)}")
            if not data["passing"]:
                raise RuleSetError(f"{name}: a rule set needs at least one passing threshold")
            spoiled = data.get("spoiled_participates", True)
            if not isinstance(spoiled, bool):
                raise RuleSetError(f"{name}: spoiled_participates must be true or false")
            return cls(
                name=name,
                label=str(data.get("label") or name),
                counting=counting,
                quorum=tuple(_threshold(name, t, counting) for t in data.get("quorum", [])),
                passing=tuple(_threshold(name, t, counting) for t in data["passing"]),
                spoiled_participates=spoiled,
            )
        except (KeyError, TypeError) as error:
            raise RuleSetError(f"{name}: missing or malformed {error}") from error


def _threshold(name: str, data: dict[str, str], counting: str) -> Threshold:
    basis, compare = data["basis"], data["compare"]
    if basis not in ("heads", "area"):
        raise RuleSetError(f"{name}: basis must be heads or area, not {basis!r}")
    if basis == "area" and counting != "owner_area":
        raise RuleSetError(f"{name}: an area threshold needs counting = owner_area")
    if compare not in ("at_least", "more_than"):
        raise RuleSetError(f"{name}: compare must be at_least or more_than, not {compare!r}")
    try:
        fraction = Fraction(str(data["fraction"]))
    except (ValueError, ZeroDivisionError) as error:
        raise RuleSetError(f"{name}: {data['fraction']!r} is not a fraction") from error
    if not 0 < fraction <= 1:
        raise RuleSetError(f"{name}: a threshold lies between 0 (excluded) and 1")
    return Threshold(basis, compare, fraction)


def builtin_rulesets() -> dict[str, RuleSet]:
    data = tomllib.loads(RULESETS_FILE.read_text(encoding="utf-8"))
    return {name: RuleSet.from_data(name, body) for name, body in data.items()}


BUILTIN = builtin_rulesets()


def cents(area: Decimal) -> int:
    """Square metres with two places → an exact integer of hundredths."""
    return int((area * 100).to_integral_value())


@dataclass(frozen=True)
class Count:
    heads: int = 0
    area: Decimal = Decimal("0.00")

    def __add__(self, other: Count) -> Count:
        return Count(self.heads + other.heads, self.area + other.area)

    def value(self, basis: Basis) -> int:
        return self.heads if basis == "heads" else cents(self.area)


@dataclass(frozen=True)
class Check:
    """One threshold applied: what was compared, and whether it held."""

    stage: Literal["quorum", "passing"]
    threshold: Threshold
    part: int
    whole: int
    met: bool

    def as_data(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            **self.threshold.as_data(),
            "part": self.part,
            "whole": self.whole,
            "met": self.met,
        }


@dataclass(frozen=True)
class Decision:
    """The outcome of a yes/no vote under a rule set, with every number that decided it."""

    rule: RuleSet
    electorate: Count
    participating: Count
    yes: Count
    checks: tuple[Check, ...] = field(default=())

    @property
    def quorum_met(self) -> bool:
        return all(c.met for c in self.checks if c.stage == "quorum")

    @property
    def passed(self) -> bool:
        return self.quorum_met and all(c.met for c in self.checks if c.stage == "passing")


def decide(rule: RuleSet, electorate: Count, participating: Count, yes: Count) -> Decision:
    """Apply the quorum (against the roll) and the passing thresholds (against those
    taking part). Abstentions and "no" take part; only "yes" agrees."""
    checks = [
        Check("quorum", t, participating.value(t.basis), electorate.value(t.basis), False)
        for t in rule.quorum
    ] + [
        Check("passing", t, yes.value(t.basis), participating.value(t.basis), False)
        for t in rule.passing
    ]
    checks = [
        Check(c.stage, c.threshold, c.part, c.whole, c.threshold.met(c.part, c.whole))
        for c in checks
    ]
    return Decision(rule, electorate, participating, yes, tuple(checks))
