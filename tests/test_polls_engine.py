"""The voting engine end to end on the database: roll, ballots, tally, decision."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from polls import services, signals
from polls.electorate import DwellingRecord, Head, owner_heads
from polls.models import Ballot, Participation, Poll, VoterRoll

from .factories import UserFactory

pytestmark = pytest.mark.django_db

HUNDRED = Decimal("100.00")


def owners_poll(rule="owners_ordinary", secrecy="public", allow_change=False) -> Poll:
    return services.create_poll(
        None,
        title="加装电梯",
        scope_label="3号楼2单元业主",
        electorate="test",
        rule_name=rule,
        secrecy=secrecy,
        allow_change=allow_change,
        questions=[{"kind": "yes_no", "text": "是否同意加装电梯？"}],
    )


def six_owners() -> list[Head]:
    return owner_heads(
        DwellingRecord(key=f"{n}01", owner_key=f"o{n}", area=HUNDRED) for n in range(1, 7)
    )


def secret_poll() -> Poll:
    return services.create_poll(
        None,
        title="评议",
        scope_label="全体居民",
        electorate="test",
        rule_name="simple_majority",
        secrecy="secret",
        questions=[{"kind": "yes_no", "text": "是否满意？"}],
    )


def option(poll: Poll, code: str) -> tuple[int, int]:
    question = poll.questions.get()
    return question.pk, question.options.get(code=code).pk


def vote(poll: Poll, entries, codes: list[str]) -> None:
    for entry, code in zip(entries, codes, strict=False):
        question, choice = option(poll, code)
        services.cast_ballot(poll, entry, {question: choice})


def decision(poll: Poll) -> dict:
    return services.close_poll(None, poll).data["questions"][0]["decision"]


@pytest.mark.parametrize(
    ("codes", "rule", "passed"),
    [
        (["yes", "yes", "yes", "no"], "owners_ordinary", True),  # example 1
        (["yes", "yes", "yes", "no"], "owners_special", True),  # example 1, 3/4 ≥ 3/4
        (["yes", "yes", "yes", "abstain"], "owners_ordinary", True),  # example 2
        (["yes", "yes", "no", "no"], "owners_ordinary", False),  # example 3
        (["yes", "yes", "yes"], "owners_ordinary", False),  # 3/6 < 2/3: no quorum
    ],
)
def test_worked_examples_of_the_owners_rules(codes, rule, passed):
    poll = owners_poll(rule)
    services.open_poll(None, poll, six_owners())
    vote(poll, poll.roll.entries.order_by("pk"), codes)
    result = decision(poll)
    assert result["passed"] is passed
    assert result["owners_total"] == 6 and result["area_total"] == "600.00"
    assert result["owners_participating"] == len(codes)


def test_developer_and_multi_dwelling_buyer_count_as_one_owner_each():
    dwellings = [
        DwellingRecord(key=f"D{n}", owner_key="", area=HUNDRED, developer_held=True)
        for n in range(3)
    ] + [DwellingRecord(key=f"A{n}", owner_key=f"o{n}", area=HUNDRED) for n in range(5)]
    dwellings.append(DwellingRecord(key="A5", owner_key="o4", area=Decimal("50.00")))
    heads = owner_heads(dwellings)
    assert len(heads) == 6  # developer + o0..o4
    developer = next(h for h in heads if h.key == "developer")
    assert developer.area == Decimal("300.00") and developer.group == "developer"
    buyer = next(h for h in heads if h.key == "owner:o4")
    assert buyer.area == Decimal("150.00") and buyer.group == "multi_dwelling"


def test_second_ballot_from_the_same_voter_is_refused_whatever_the_channel():
    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    entry = poll.roll.entries.first()
    vote(poll, [entry], ["yes"])
    question, no = option(poll, "no")
    with pytest.raises(ValidationError):
        services.cast_ballot(poll, entry, {question: no}, channel="paper", entered_by=UserFactory())
    assert Participation.objects.count() == 1 and Ballot.objects.count() == 1


def test_an_online_ballot_may_be_changed_when_the_poll_allows_it():
    poll = owners_poll(allow_change=True)
    services.open_poll(None, poll, six_owners())
    entry = poll.roll.entries.first()
    vote(poll, [entry], ["yes"])
    question, no = option(poll, "no")
    cast = services.cast_ballot(poll, entry, {question: no})
    assert cast.changed
    assert decision(poll)["choices"]["no"]["heads"] == 1


def test_secret_ballots_carry_no_link_to_their_voter():
    poll = secret_poll()
    services.open_poll(None, poll, [Head(key=f"p{n}", label=f"居民{n}") for n in range(3)])
    vote(poll, poll.roll.entries.all(), ["yes", "no"])
    assert Ballot.objects.filter(participation__isnull=False).count() == 0
    assert Participation.objects.count() == 2
    assert decision(poll)["passed"] is False  # 1 of 2: not more than half


def test_an_area_weighted_vote_cannot_be_secret():
    with pytest.raises(ValidationError):
        owners_poll(secrecy="secret")


def test_the_roll_is_frozen_when_the_poll_opens():
    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    with pytest.raises(ValidationError):
        services.correct_roll_entry(
            None, poll.roll.entries.first(), area=Decimal("1.00"), reason="typo"
        )


def test_a_poll_whose_closing_time_has_passed_cannot_be_opened():
    poll = owners_poll()
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    with (
        translation.override("en"),
        pytest.raises(ValidationError, match="closing time has passed"),
    ):
        services.open_poll(None, poll, six_owners())
    poll.refresh_from_db()
    assert poll.state == Poll.State.DRAFT
    assert not VoterRoll.objects.filter(poll=poll).exists()


def test_signals_announce_opening_casting_and_closing():
    heard = []

    def listener(signal_name):
        def receive(sender, **kwargs):
            heard.append(signal_name)

        return receive

    receivers = {
        "opened": listener("opened"),
        "cast": listener("cast"),
        "closed": listener("closed"),
    }
    signals.poll_opened.connect(receivers["opened"])
    signals.ballot_cast.connect(receivers["cast"])
    signals.poll_closed.connect(receivers["closed"])
    try:
        poll = owners_poll()
        services.open_poll(None, poll, six_owners())
        vote(poll, poll.roll.entries.all()[:1], ["yes"])
        services.close_poll(None, poll)
    finally:
        signals.poll_opened.disconnect(receivers["opened"])
        signals.ballot_cast.disconnect(receivers["cast"])
        signals.poll_closed.disconnect(receivers["closed"])
    assert heard == ["opened", "cast", "closed"]


def test_a_ballot_after_the_announced_closing_time_is_refused():
    from datetime import timedelta

    from django.utils import timezone

    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    poll.refresh_from_db()
    question, yes = option(poll, "yes")
    with pytest.raises(ValidationError):
        services.cast_ballot(poll, poll.roll.entries.first(), {question: yes})
    assert not Participation.objects.exists()


def test_a_ballot_before_the_announced_opening_time_is_refused():
    from datetime import timedelta

    from django.utils import timezone

    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    Poll.objects.filter(pk=poll.pk).update(opens_at=timezone.now() + timedelta(hours=1))
    poll.refresh_from_db()
    question, yes = option(poll, "yes")
    with pytest.raises(ValidationError):
        services.cast_ballot(poll, poll.roll.entries.first(), {question: yes})


def test_a_secret_vote_cannot_show_live_results():
    with pytest.raises(ValidationError):
        services.create_poll(
            None,
            title="t",
            scope_label="s",
            electorate="x",
            rule_name="simple_majority",
            secrecy="secret",
            results="live",
            questions=[{"kind": "yes_no", "text": "q?"}],
        )


@pytest.mark.parametrize(
    "data",
    [
        {"counting": "person", "passing": []},
        {
            "counting": "person",
            "spoiled_participates": "false",
            "passing": [{"basis": "heads", "compare": "more_than", "fraction": "1/2"}],
        },
    ],
)
def test_a_rule_set_that_would_pass_anything_or_reads_text_as_true_is_refused(data):
    from polls.rules import RuleSet, RuleSetError

    with pytest.raises(RuleSetError):
        RuleSet.from_data("local", data)


def test_secret_answers_carry_no_counting_id_that_would_order_them():
    from polls.models import Answer

    poll = secret_poll()
    services.open_poll(None, poll, [Head(key=f"p{n}", label=f"居民{n}") for n in range(5)])
    vote(poll, poll.roll.entries.order_by("pk"), ["yes", "no", "no", "yes", "no"])
    by_id = [a.option.code for a in Answer.objects.select_related("option").order_by("id")]
    assert all(isinstance(a.pk, type(Ballot.objects.first().pk)) for a in Answer.objects.all())
    assert sorted(by_id) == sorted(["yes", "no", "no", "yes", "no"])
