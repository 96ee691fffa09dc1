"""The rules of a topic's life, as pure functions: the queue's threshold, the petitions'
shares (以上: the boundary counts) and which step may follow which."""

from fractions import Fraction

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from deliberation import topic_rules
from deliberation.models import CatalogEntry, Topic

S = Topic.Status


def by_share(percent: int) -> CatalogEntry:
    return CatalogEntry(threshold_percent=percent)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


# ---------------------------------------------------------------- the queue's threshold


def test_a_number_of_households_is_needed_however_large_the_scope():
    entry = CatalogEntry(threshold_households=5)
    assert [topic_rules.households_needed(entry, n) for n in (5, 6, 500)] == [5, 5, 5]


def test_a_scope_smaller_than_the_number_needs_all_its_households():
    entry = CatalogEntry(threshold_households=5)
    assert [topic_rules.households_needed(entry, n) for n in (4, 2, 1)] == [4, 2, 1]
    assert topic_rules.queue_threshold_reached(entry, 2, 2)


def test_an_empty_scope_still_needs_one_household():
    assert topic_rules.households_needed(CatalogEntry(threshold_households=5), 0) == 1


@pytest.mark.parametrize(
    "households, needed",
    [(25, 3), (30, 3), (31, 4), (0, 1), (1, 1), (10, 1), (11, 2)],
)
def test_ten_per_cent_rounds_up_to_whole_households(households, needed):
    assert topic_rules.households_needed(by_share(10), households) == needed


def test_a_share_of_an_empty_scope_still_needs_one_household():
    assert topic_rules.households_needed(by_share(100), 0) == 1


def test_a_hundred_per_cent_needs_every_household():
    assert topic_rules.households_needed(by_share(100), 37) == 37


def test_queue_threshold_is_reached_at_exactly_the_households_needed():
    entry = by_share(10)
    assert not topic_rules.queue_threshold_reached(entry, 3, 31)
    assert topic_rules.queue_threshold_reached(entry, 4, 31)
    assert topic_rules.queue_threshold_reached(entry, 5, 31)


@given(
    percent=st.integers(min_value=1, max_value=100),
    households=st.integers(min_value=1, max_value=100_000),
)
def test_households_needed_is_the_least_number_reaching_the_share(percent, households):
    needed = topic_rules.households_needed(by_share(percent), households)
    assert needed * 100 >= percent * households
    assert (needed - 1) * 100 < percent * households


@given(
    number=st.integers(min_value=1, max_value=1000),
    households=st.integers(min_value=1, max_value=100_000),
)
def test_a_number_threshold_is_the_number_or_every_household_of_a_smaller_scope(number, households):
    needed = topic_rules.households_needed(CatalogEntry(threshold_households=number), households)
    assert needed == min(number, households)


# ---------------------------------------------------------------- the petitions' shares


@pytest.mark.parametrize(
    "part, whole, reached",
    [(20, 100, True), (19, 100, False), (21, 100, True), (2, 10, True), (1, 10, False)],
)
def test_one_fifth_is_reached_at_the_boundary_and_not_below(part, whole, reached):
    assert topic_rules.share_reached(part, whole, Fraction(1, 5)) is reached


def test_nothing_is_a_share_of_an_empty_scope():
    assert not topic_rules.share_reached(0, 0, Fraction(1, 5))
    assert not topic_rules.share_reached(3, 0, Fraction(1, 5))


def test_petitions_follow_the_domain_rules_one_fifth_of_households_and_twenty_per_cent_of_owners():
    assert topic_rules.residents_meeting_required(2, 10)
    assert not topic_rules.residents_meeting_required(1, 10)
    assert topic_rules.owners_assembly_required(20, 100)
    assert not topic_rules.owners_assembly_required(19, 100)
    assert not topic_rules.owners_assembly_required(0, 0)


# ---------------------------------------------------------------- which step may follow which

LEGAL = [
    (current, wanted)
    for current, steps in topic_rules.TRANSITIONS.items()
    for wanted in sorted(steps)
]
ILLEGAL = [
    (current, wanted)
    for current in S.values
    for wanted in S.values
    if wanted not in topic_rules.TRANSITIONS[current]
]


def test_every_status_has_its_steps_declared():
    assert set(topic_rules.TRANSITIONS) == set(S.values)


@pytest.mark.parametrize("current, wanted", LEGAL)
def test_a_legal_step_is_not_refused(current, wanted):
    assert topic_rules.refusal(current, wanted) is None


@pytest.mark.parametrize("current, wanted", ILLEGAL)
def test_an_illegal_step_is_refused_naming_both_statuses(current, wanted):
    reason = topic_rules.refusal(current, wanted)
    assert reason == f"A topic that is “{S(current).label}” cannot become “{S(wanted).label}”."


def test_declined_and_closed_topics_take_no_further_step():
    for status in (S.DECLINED, S.CLOSED):
        assert all(topic_rules.refusal(status, wanted) for wanted in S.values)


def test_no_step_leads_back_to_a_draft():
    assert all(topic_rules.refusal(current, S.DRAFT) for current in S.values)


def test_signing_closes_once_the_topic_is_deliberated():
    assert {S.PROPOSED, S.ACCEPTED, S.SCHEDULED} == topic_rules.SIGNING_OPEN


def test_discussion_is_open_from_proposal_until_closing():
    assert S.DRAFT not in topic_rules.COMMENTS_OPEN
    assert S.DECLINED not in topic_rules.COMMENTS_OPEN
    assert S.CLOSED not in topic_rules.COMMENTS_OPEN
    assert S.IMPLEMENTING in topic_rules.COMMENTS_OPEN


@pytest.mark.parametrize("whole, expected", [(10, 2), (11, 3), (15, 3), (16, 4), (1, 1), (0, None)])
def test_least_for_a_fifth_is_the_fewest_that_reach_it(whole, expected):
    assert topic_rules.least_for_share(whole, Fraction(1, 5)) == expected
