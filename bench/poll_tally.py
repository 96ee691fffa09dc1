"""Benchmark of `polls.tally.tally` on an owners' vote over a large estate.

    .venv/bin/python bench/poll_tally.py [--dwellings 20000] [--small 2000] [--postgres]

Builds, on a scratch database (a SQLite file in a temporary directory, or with
--postgres a PostgreSQL database `yishi_bench_tally` created for the run and dropped
after it), an owners' poll under owners_ordinary with one yes/no question, whose roll
comes from `owner_heads`: most owners hold one dwelling, a few hundred buyers hold
several, and the developer holds the unsold and undelivered ones. About 70% of the
owners vote: their participations, ballots and answers are bulk-created as
`cast_ballot` writes them (1% spoiled, 10% on paper; without their trace entries, which
the tally does not read), and the last 20 go through `cast_ballot` itself. The same is
done for a small estate (--small dwellings).

Then, for each estate, measures (median of 5 runs, and the queries of one more):
  baseline  one `Answer.objects.filter(ballot__poll=poll).count()`: a single aggregate
            over the same ballots, the least a tally must read.
  tally     `tally(poll)`: the figures per option, spoiled ballots, the decision.

Prints seconds, queries and ratios. It asserts nothing about time; the goal is a tally
of 20,000 dwellings under 0.5 s, in as many queries as for 2,000.
"""

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal

from _setup import fresh_database, open_yes_no_poll, say, yes_no_options

RUNS = 5
TARGET_SECONDS = 0.5
CAST_BY_SERVICE = 20
TURNOUT, SPOILED, PAPER = 0.70, 0.01, 0.10
CHOICE_WEIGHTS = {"yes": 62, "no": 28, "abstain": 10}


def estate(count: int, rng: random.Random) -> list:
    """`count` dwellings: 2% held by the developer and 0.5% sold but not delivered (one
    owner, the developer), one buyer in eighty holding 2–5 dwellings, the rest one each."""
    from polls.electorate import DwellingRecord

    owners: list[str] = []
    while len(owners) < count:
        owner = f"o{len(owners)}"
        several = rng.random() < 1 / 80
        owners.extend([owner] * (rng.randint(2, 5) if several else 1))
    owners = owners[:count]
    rng.shuffle(owners)
    dwellings = []
    for number, owner in enumerate(owners):
        draw = rng.random()
        dwellings.append(
            DwellingRecord(
                key=f"{number // 200 + 1}号楼-{number % 200 + 1:03d}",
                owner_key=owner,
                area=Decimal(f"{rng.uniform(60, 160):.2f}"),
                developer_held=draw < 0.02,
                delivered=not 0.02 <= draw < 0.025,
                label=f"业主{owner}",
            )
        )
    return dwellings


def build_poll(dwellings: int, rng: random.Random, clerk):
    """An open owners' poll over `dwellings` dwellings, about 70% of its owners voted."""
    from django.db import transaction

    from polls import services
    from polls.electorate import owner_heads
    from polls.models import Answer, Ballot, Participation
    from polls.services import RECEIPT_ALPHABET

    heads = owner_heads(estate(dwellings, rng))
    poll = open_yes_no_poll(f"{dwellings}户加装电梯", "bench:owners", "owners_ordinary", heads)
    question, options = yes_no_options(poll)
    entries = list(poll.roll.entries.all())
    voters = rng.sample(entries, round(len(entries) * TURNOUT))
    bulk, by_service = voters[:-CAST_BY_SERVICE], voters[-CAST_BY_SERVICE:]
    codes, weights = list(CHOICE_WEIGHTS), list(CHOICE_WEIGHTS.values())

    receipts: set[str] = set()
    while len(receipts) < len(bulk):
        receipts.add("".join(rng.choices(RECEIPT_ALPHABET, k=10)))
    with transaction.atomic():
        participations = []
        for entry in bulk:
            paper = rng.random() < PAPER
            participations.append(
                Participation(
                    poll=poll,
                    entry=entry,
                    channel=Participation.Channel.PAPER if paper else Participation.Channel.ONLINE,
                    entered_by=clerk if paper else None,
                )
            )
        participations = Participation.objects.bulk_create(participations, batch_size=2000)
        ballots = [
            Ballot(
                poll=poll,
                participation=participation,
                receipt=receipt,
                spoiled=rng.random() < SPOILED,
            )
            for participation, receipt in zip(participations, receipts, strict=True)
        ]
        Ballot.objects.bulk_create(ballots, batch_size=2000)
        Answer.objects.bulk_create(
            (
                Answer(
                    ballot=ballot,
                    question_id=question,
                    option_id=options[rng.choices(codes, weights)[0]],
                )
                for ballot in ballots
                if not ballot.spoiled
            ),
            batch_size=2000,
        )
    for entry in by_service:
        services.cast_ballot(poll, entry, {question: options[rng.choices(codes, weights)[0]]})
    return poll


def check(poll) -> str:
    """That the ballots add up, as a tally by hand would: one ballot per participation,
    every ballot counted once."""
    from polls.models import Participation
    from polls.tally import tally

    figures = tally(poll)
    participations = Participation.objects.filter(poll=poll).count()
    counted = sum(o["heads"] for o in figures["questions"][0]["options"])
    if not figures["ballots"] == participations == counted + figures["spoiled"]["heads"]:
        raise SystemExit(f"The ballots do not add up: {figures['ballots']=} {participations=}")
    decision = figures["questions"][0]["decision"]
    return (
        f"{figures['electorate']['heads']:,} owners on the roll, {participations:,} voted "
        f"({figures['spoiled']['heads']} spoiled); passed: {decision['passed']}"
    )


def measure(action) -> tuple[list[float], int]:
    """Wall times of RUNS calls, and the queries of one more."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    with CaptureQueriesContext(connection) as queries:
        action()
    return times, len(queries)


def run(options, database: str) -> None:
    from django.db import connection

    from deliberation.models import User
    from polls.models import Answer
    from polls.tally import tally

    rng = random.Random(options.seed)
    clerk = User.objects.create_user("+8613800000000", display_name="唱票员")
    polls = {}
    for dwellings in (options.dwellings, options.small):
        say(f"Building the poll over {dwellings:,} dwellings …")
        polls[dwellings] = build_poll(dwellings, rng, clerk)
        say(f"  {check(polls[dwellings])}")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    rows = []
    for dwellings, poll in polls.items():
        voters = poll.roll.heads_total
        say(f"Measuring at {dwellings:,} dwellings …")
        for label, action in [
            (
                "baseline: count of answers",
                lambda poll=poll: Answer.objects.filter(ballot__poll=poll).count(),
            ),
            ("tally(poll)", lambda poll=poll: tally(poll)),
        ]:
            times, queries = measure(action)
            rows.append((label, dwellings, voters, poll.ballots.count(), times, queries))

    print(f"\n{database}, {os.cpu_count()} CPUs; median of {RUNS} runs, queries of one more.")
    header = f"{'':28} {'dwellings':>9} {'voters':>7} {'ballots':>8}"
    print(f"{header} {'median s':>9} {'min s':>7} {'max s':>7} {'queries':>7} {'× baseline':>10}")
    medians = {}
    for label, dwellings, voters, ballots, times, queries in rows:
        median = medians[label, dwellings] = statistics.median(times)
        base = medians["baseline: count of answers", dwellings]
        print(
            f"{label:28} {dwellings:9,} {voters:7,} {ballots:8,} {median:9.4f} "
            f"{min(times):7.4f} {max(times):7.4f} {queries:7} {median / base:10.1f}"
        )
    big = medians["tally(poll)", options.dwellings]
    small = medians["tally(poll)", options.small]
    queries = {dwellings: q for label, dwellings, *_, q in rows if label == "tally(poll)"}
    print(
        f"\ntally at {options.dwellings:,} vs {options.small:,} dwellings: "
        f"{big / small:.1f}× the time, {queries[options.dwellings]} vs "
        f"{queries[options.small]} queries."
    )
    verdict = "within" if big < TARGET_SECONDS else "OVER"
    print(f"Goal: tally of {options.dwellings:,} dwellings under {TARGET_SECONDS} s: {verdict}.")
    if connection.vendor == "postgresql":
        print("PostgreSQL tables were ANALYZEd after the load, as autovacuum would.")
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dwellings", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000, help="the small estate, to compare")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true", help="use PostgreSQL, not SQLite")
    options = parser.parse_args()

    with fresh_database("yishi_bench_tally", options.postgres) as database:
        run(options, database)


if __name__ == "__main__":
    sys.exit(main())
