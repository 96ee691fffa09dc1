"""Properties of the counting that must hold for every vote, not just the worked examples.

Pure functions only: no database.
"""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from polls.counting import ABSTAIN, NO, SPOILED, YES, count_yes_no, decision_data
from polls.electorate import DwellingRecord, owner_heads
from polls.recount import BallotRow, owner_votes
from polls.rules import BUILTIN, Count, Threshold

bounded = settings(max_examples=200, deadline=None)

areas = st.integers(min_value=1, max_value=50_000).map(lambda cents: Decimal(cents) / 100)
choices = st.sampled_from([YES, NO, ABSTAIN, SPOILED, None])  # None: did not vote
owner_rules = st.sampled_from([BUILTIN["owners_ordinary"], BUILTIN["owners_special"]])


@st.composite
def owners_votes(draw):
    """An electorate of owners, each with an area and a choice (or none)."""
    owners = draw(st.lists(st.tuples(areas, choices), min_size=1, max_size=30))
    electorate = Count(len(owners), sum((area for area, _ in owners), Decimal("0.00")))
    return electorate, owners


def votes_of(owners):
    return [(choice, Count(1, area)) for area, choice in owners if choice is not None]


def figures(rule, electorate, votes):
    totals, decision = count_yes_no(rule, electorate, votes)
    return decision_data(decision, totals)


@bounded
@given(rule=owner_rules, case=owners_votes(), data=st.data())
def test_the_tally_does_not_depend_on_the_order_of_the_ballots(rule, case, data):
    electorate, owners = case
    votes = votes_of(owners)
    shuffled = data.draw(st.permutations(votes))
    assert figures(rule, electorate, shuffled) == figures(rule, electorate, votes)


@st.composite
def register_and_ballots(draw):
    """Dwellings (some with the developer, some owners with several) and one ballot row
    per voting owner, naming any one of the owner's dwellings."""
    size = draw(st.integers(min_value=1, max_value=20))
    dwellings = [
        DwellingRecord(
            key=f"D{n}",
            owner_key=f"o{draw(st.integers(min_value=0, max_value=size))}",
            area=draw(areas),
            developer_held=draw(st.booleans()),
            delivered=draw(st.booleans()),
        )
        for n in range(size)
    ]
    ballots = []
    for head in owner_heads(dwellings):
        choice = draw(choices)
        if choice is not None:
            ballots.append(
                BallotRow(len(ballots) + 2, draw(st.sampled_from(head.dwellings)), choice)
            )
    return dwellings, ballots


@bounded
@given(rule=owner_rules, case=register_and_ballots(), data=st.data())
def test_the_recount_does_not_depend_on_the_order_of_register_or_ballots(rule, case, data):
    dwellings, ballots = case

    def recount(dwellings, ballots):
        heads = owner_heads(dwellings)
        votes, problems = owner_votes(heads, ballots, "ballots.csv")
        assert problems == []
        electorate = Count(len(heads), sum((h.area for h in heads), Decimal("0.00")))
        return figures(rule, electorate, votes)

    reordered = recount(data.draw(st.permutations(dwellings)), data.draw(st.permutations(ballots)))
    assert reordered == recount(dwellings, ballots)


@bounded
@given(rule=st.sampled_from(list(BUILTIN.values())), case=owners_votes())
def test_passing_implies_the_quorum_is_met(rule, case):
    """Recomputed independently from the ballots with Fractions, not from the decision's
    own checks: a vote that passed had enough owners (and area) taking part."""
    electorate, owners = case
    if not rule.uses_area:
        electorate = Count(electorate.heads)
        owners = [(Decimal("0.00"), choice) for _, choice in owners]
    _, decision = count_yes_no(rule, electorate, votes_of(owners))
    if not decision.passed:
        return
    taking_part = [(area, c) for area, c in owners if c in (YES, NO, ABSTAIN, SPOILED)]
    for threshold in rule.quorum:
        if threshold.basis == "heads":
            share = Fraction(len(taking_part), electorate.heads)
        else:
            share = Fraction(sum(a for a, _ in taking_part)) / Fraction(electorate.area)
        assert (
            share >= threshold.fraction
            if threshold.compare == "at_least"
            else (share > threshold.fraction)
        )


@bounded
@given(case=owners_votes(), data=st.data())
def test_a_yes_from_an_owner_who_had_not_voted_never_turns_a_pass_into_a_fail(case, data):
    rule = BUILTIN["owners_ordinary"]
    electorate, owners = case
    silent = [i for i, (_, choice) in enumerate(owners) if choice is None]
    if not silent:
        return
    _, before = count_yes_no(rule, electorate, votes_of(owners))
    newcomer = data.draw(st.sampled_from(silent))
    owners = [(area, YES if i == newcomer else choice) for i, (area, choice) in enumerate(owners)]
    _, after = count_yes_no(rule, electorate, votes_of(owners))
    assert after.passed or not before.passed


fractions = st.tuples(
    st.integers(min_value=1, max_value=1_000), st.integers(min_value=1, max_value=1_000)
).map(lambda pair: Fraction(min(pair), max(pair)))


@settings(max_examples=200, deadline=None)
@given(
    compare=st.sampled_from(["at_least", "more_than"]),
    fraction=fractions,
    whole=st.integers(min_value=1, max_value=10**12),
    share=st.floats(min_value=0, max_value=1),
    nudge=st.integers(min_value=-2, max_value=2),
)
def test_threshold_met_agrees_with_exact_fractions(compare, fraction, whole, share, nudge):
    # Parts are drawn near the threshold, where a rounding error would show.
    part = max(0, min(whole, int(whole * fraction) + nudge if share < 0.5 else int(whole * share)))
    threshold = Threshold("area", compare, fraction)
    exact = Fraction(part, whole)
    expected = exact >= fraction if compare == "at_least" else exact > fraction
    assert threshold.met(part, whole) is expected


@bounded
@given(fraction=fractions, part=st.integers(min_value=0, max_value=100))
def test_no_threshold_is_met_against_an_empty_whole(fraction, part):
    assert not Threshold("heads", "at_least", fraction).met(part, 0)
