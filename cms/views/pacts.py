"""What the adopted pacts' pages show beyond their own fields: Wagtail serves the pages,
these build what they show from the pact's record, in a fixed number of queries
however many versions and amendments the pact has."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from wagtail.models import Page

from deliberation.models import Amendment, Pact, PactVersion
from polls import charts
from polls.models import Poll

from .. import queries
from ..models import PactIndexPage, PactPage


@dataclass(frozen=True)
class Vote:
    """The outcome of a version's adoption vote, in the figures that decided it."""

    poll: Poll
    passed: bool
    rule_label: str
    noun: str
    on_roll: int
    taking_part: int
    agreeing: int
    closed_at: datetime | None


def _vote(poll: Poll | None) -> Vote | None:
    """The closed vote's outcome; None while it is open (or for no vote)."""
    result = getattr(poll, "result", None) if poll is not None else None
    if result is None:
        return None
    figures = result.data
    noun = charts.heads_noun(figures["rule"]["counting"])
    decision = next((q["decision"] for q in figures["questions"] if "decision" in q), None)
    if decision is None:
        return None
    return Vote(
        poll=poll,
        passed=decision["passed"],
        rule_label=decision["rule_label"],
        noun=noun,
        on_roll=decision["owners_total"],
        taking_part=decision["owners_participating"],
        agreeing=decision["owners_yes"],
        closed_at=poll.closed_at,
    )


@dataclass(frozen=True)
class VersionRow:
    version: PactVersion
    vote: Vote | None
    in_force: bool
    # The published version before it, to compare with.
    previous: int | None

    @property
    def put_to_vote(self) -> bool:
        return self.version.poll_id is not None

    @property
    def voting(self) -> bool:
        """Put to the vote, which has not closed yet."""
        return self.put_to_vote and self.vote is None


@dataclass(frozen=True)
class AmendmentRow:
    amendment: Amendment
    # 第N条 of the version it amended (None if that article is unknown there).
    number: int | None
    # The published version it entered, if accepted and published since.
    entered: PactVersion | None


def _amendment_rows(pact: Pact, in_force: PactVersion) -> list[AmendmentRow]:
    """The amendments that led to the version in force, proposed before it was adopted
    (a revision under way is the deliberation pages' business until it is adopted)."""
    amendments = [a for a in queries.amendments_of(pact) if a.created_at <= in_force.adopted_at]
    numbers = queries.article_numbers(a.version_id for a in amendments)
    rows = []
    for amendment in amendments:
        entered = amendment.merged_into
        if entered is not None and entered.published_at is None:
            entered = None  # in the working draft, not yet in a published version
        rows.append(
            AmendmentRow(
                amendment, numbers.get((amendment.version_id, amendment.article_key)), entered
            )
        )
    return rows


def _version_rows(pact: Pact, in_force: PactVersion) -> list[VersionRow]:
    rows, previous = [], None
    for version in queries.published_versions(pact):
        if version.number > in_force.number:
            break  # a revision under way, not adopted yet
        rows.append(VersionRow(version, _vote(version.poll), version.pk == in_force.pk, previous))
        previous = version.number
    return rows


def _checks(results: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The numbers that decided the adoption, as the results section words them."""
    for question in results["questions"] if results else []:
        if "decision" in question:
            return question["decision"]["checks"]
    return []


def record(page: PactPage) -> dict[str, Any]:
    """The pact, the version the page publishes with its text and adoption vote, every
    published version and every amendment with its fate."""
    if page.pk is None:  # a preview of a page never saved has no record yet
        return {}
    pact = queries.pact_of(page)
    version = queries.version_in_force(page)
    vote = _vote(version.poll)
    results = charts.present(version.poll.result.data, {}) if vote else None
    return {
        "pact": pact,
        "version": version,
        "articles": queries.articles_of(version),
        "vote": vote,
        "results": results,
        "checks": _checks(results),
        "rule_words": charts.rule_in_words(version.poll.rule) if vote else [],
        "versions": _version_rows(pact, version),
        "amendments": _amendment_rows(pact, version),
    }


@dataclass(frozen=True)
class Listed:
    page: Page
    # The page as a pact page, with its pact and version in force; None for another page.
    pact_page: PactPage | None


def listing(index: PactIndexPage) -> list[Listed]:
    """The pacts index's live children, newest first."""
    return [
        Listed(child, getattr(child, "pactpage", None))
        for child in queries.pacts_index_children(index)
    ]
