"""Paper ballots entered from a file, the tally command and the ballots' CSV export."""

import csv
import io
import json
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import translation

from polls import services
from polls.electorate import DwellingRecord, Head, owner_heads
from polls.exports import ballots_csv
from polls.models import Ballot, Participation, Poll
from polls.recount import RECOUNT_KEYS, read_register

from .factories import UserFactory

DATA = Path(__file__).parent / "data" / "recount"
HUNDRED = Decimal("100.00")


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read English wording; polls store labels in the site's language."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def owners_poll(rule="owners_ordinary", questions=None) -> Poll:
    return services.create_poll(
        None,
        title="加装电梯",
        scope_label="3号楼业主",
        electorate="test",
        rule_name=rule,
        questions=questions or [{"kind": "yes_no", "text": "是否同意加装电梯？"}],
    )


def six_owners() -> list[Head]:
    """Owners o1…o6 of dwellings 101…601; o6 also owns 602."""
    dwellings = [
        DwellingRecord(key=f"{n}01", owner_key=f"o{n}", area=HUNDRED, label=f"业主{n}")
        for n in range(1, 7)
    ]
    dwellings.append(DwellingRecord(key="602", owner_key="o6", area=Decimal("50.00")))
    return owner_heads(dwellings)


@pytest.fixture
def open_poll(db) -> Poll:
    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    return poll


def ballots_file(tmp_path: Path, rows: list[str], header: str = "voter,choice") -> Path:
    path = tmp_path / "ballots.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def import_ballots(poll: Poll, path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_ballots", str(poll.pk), str(path), *args, stdout=out)
    return out.getvalue()


def stored() -> tuple[int, int]:
    return Participation.objects.count(), Ballot.objects.count()


def tally_json(poll: Poll, *args: str) -> dict:
    out = io.StringIO()
    call_command("tally", str(poll.pk), "--json", *args, stdout=out)
    return json.loads(out.getvalue())


# import_ballots


def test_paper_ballots_are_entered_by_voter_key_or_dwelling(open_poll, tmp_path):
    clerk = UserFactory(phone="+8613900000001")
    path = ballots_file(
        tmp_path, ["owner:o1,yes", "201,同意", "301,反对", "602,abstain", "401,废票"]
    )
    out = import_ballots(open_poll, path, "--entered-by", "13900000001")
    assert "Entered 5 paper ballots" in out
    assert stored() == (5, 5)
    assert set(Participation.objects.values_list("channel", "entered_by")) == {("paper", clerk.pk)}
    figures = tally_json(open_poll)
    # o6 voted through 602 and carries 601 too; the spoiled ballot takes part.
    assert figures["owners_participating"] == 5 and figures["area_participating"] == "550.00"
    assert figures["owners_yes"] == 2 and figures["spoiled"] == {"heads": 1, "area": "100.00"}


def test_the_same_voter_twice_with_the_same_choice_is_entered_once(open_poll, tmp_path):
    out = import_ballots(open_poll, ballots_file(tmp_path, ["601,yes", "101,no", "602,同意"]))
    assert "ballots.csv:4:" in out and "same choice as on line 2: counted once" in out
    assert "Entered 2 paper ballots" in out
    assert stored() == (2, 2)


def refused(poll: Poll, path: Path, *args: str) -> str:
    before = stored()
    with pytest.raises(CommandError) as refusal:
        import_ballots(poll, path, *args)
    assert stored() == before
    return str(refusal.value)


@pytest.mark.parametrize(
    ("rows", "says"),
    [
        (["101,yes", "999,no"], "ballots.csv:3: “999” is neither a voter nor a dwelling"),
        (["101,yes", "201,maybe"], "ballots.csv:3: Unknown choice “maybe”"),
        (["601,yes", "201,no", "602,no"], "ballots.csv:4: Conflicting choices from"),
        (["101,yes", "101,no"], "ballots.csv:3: Conflicting choices from"),
    ],
)
def test_bad_rows_are_refused_with_their_line_and_nothing_is_entered(
    open_poll, tmp_path, rows, says
):
    assert says in refused(open_poll, ballots_file(tmp_path, rows))


def test_every_problem_of_the_file_is_listed(open_poll, tmp_path):
    message = refused(open_poll, ballots_file(tmp_path, ["999,yes", "101,maybe", "201,yes"]))
    assert "ballots.csv:2:" in message and "ballots.csv:3:" in message
    assert "2 problems" in message


def test_a_voter_who_already_voted_is_refused_and_the_earlier_rows_are_rolled_back(
    open_poll, tmp_path
):
    entry = open_poll.roll.entries.get(key="owner:o5")
    question = open_poll.questions.get()
    services.cast_ballot(open_poll, entry, {question.pk: question.options.get(code="no").pk})
    rows = ["101,yes", "201,yes", "301,no", "401,yes", "501,yes"]  # 501 is o5's, last row
    message = refused(open_poll, ballots_file(tmp_path, rows))
    assert "ballots.csv:6:" in message and "already voted (online" in message
    assert stored() == (1, 1)


@pytest.mark.parametrize("state", ["draft", "closed"])
def test_ballots_are_entered_only_while_the_poll_is_open(db, tmp_path, state):
    poll = owners_poll()
    if state == "closed":
        services.open_poll(None, poll, six_owners())
        services.close_poll(None, poll)
    message = refused(poll, ballots_file(tmp_path, ["101,yes"]))
    assert "paper ballots are entered only while it is open" in message


def test_a_poll_with_other_questions_than_one_yes_no_is_refused(db, tmp_path):
    poll = owners_poll(
        questions=[
            {"kind": "yes_no", "text": "是否同意？"},
            {"kind": "single", "text": "选哪家？", "options": ["甲", "乙"]},
        ]
    )
    services.open_poll(None, poll, six_owners())
    message = refused(poll, ballots_file(tmp_path, ["101,yes"]))
    assert "This file format supports one yes/no question" in message


def test_missing_columns_and_an_unknown_clerk_are_refused(open_poll, tmp_path):
    message = refused(
        open_poll,
        ballots_file(tmp_path, ["101,yes"], header="dwelling,choice"),
        "--entered-by",
        "13900000009",
    )
    assert "ballots.csv:1: Missing columns: voter" in message
    assert "nobody has the phone number 13900000009" in message


def test_an_unknown_poll_is_refused(db, tmp_path):
    with pytest.raises(CommandError, match="There is no poll 999999"):
        call_command("import_ballots", "999999", str(ballots_file(tmp_path, ["101,yes"])))


# tally


@pytest.mark.parametrize("example", ["example4", "example5"])
@pytest.mark.parametrize("rule", ["owners_ordinary", "owners_special"])
def test_tally_of_imported_ballots_agrees_with_the_recount(db, tmp_path, capsys, example, rule):
    register_file = DATA / f"{example}.register.csv"
    recount_ballots = DATA / f"{example}.ballots.csv"
    call_command(
        "recount",
        "--register",
        str(register_file),
        "--ballots",
        str(recount_ballots),
        "--rule",
        rule,
        "--json",
    )
    recount = json.loads(capsys.readouterr().out)

    dwellings, problems = read_register(register_file)
    assert problems == []
    poll = owners_poll(rule)
    services.open_poll(None, poll, owner_heads(dwellings))
    rows = recount_ballots.read_text(encoding="utf-8").splitlines()[1:]
    import_ballots(poll, ballots_file(tmp_path, rows))
    figures = tally_json(poll)

    assert {key: figures[key] for key in RECOUNT_KEYS} == recount
    assert figures["questions"][0]["passed"] == recount["passed"]


def test_tally_json_shape_for_one_yes_no_question(open_poll, tmp_path):
    import_ballots(open_poll, ballots_file(tmp_path, ["101,yes", "201,no"]))
    figures = tally_json(open_poll)
    assert set(RECOUNT_KEYS) <= set(figures)
    assert figures["options"] == [
        {"label": "agree", "heads": 1, "area": "100.00"},
        {"label": "disagree", "heads": 1, "area": "100.00"},
        {"label": "abstain", "heads": 0, "area": "0.00"},
    ]
    assert figures["questions"][0]["options"] == figures["options"]
    assert figures["state"] == "open" and figures["ballots"] == 2


def test_tally_of_several_questions_gives_figures_per_question(db):
    poll = owners_poll(
        questions=[
            {"kind": "yes_no", "text": "是否同意？"},
            {"kind": "single", "text": "选哪家？", "options": ["甲", "乙"]},
        ]
    )
    services.open_poll(None, poll, six_owners())
    yes_no, single = poll.questions.all()
    entry = poll.roll.entries.get(key="owner:o6")
    services.cast_ballot(
        poll,
        entry,
        {
            yes_no.pk: yes_no.options.get(code="yes").pk,
            single.pk: single.options.get(label="乙").pk,
        },
    )
    figures = tally_json(poll)
    assert "passed" not in figures and "options" not in figures
    first, second = figures["questions"]
    assert first["owners_yes"] == 1 and first["area_yes"] == "150.00"
    assert second["options"] == [
        {"label": "甲", "heads": 0, "area": "0.00"},
        {"label": "乙", "heads": 1, "area": "150.00"},
    ]
    assert "passed" not in second


def test_tally_without_json_prints_a_summary(open_poll, tmp_path):
    import_ballots(open_poll, ballots_file(tmp_path, ["101,yes"]))
    out = io.StringIO()
    call_command("tally", str(open_poll.pk), stdout=out)
    assert "agree: 1, 100.00 m²" in out.getvalue()
    assert "quorum not met" in out.getvalue()


# CSV export


def read_csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_public_export_shows_each_ballots_voter(open_poll, tmp_path):
    UserFactory(phone="+8613900000002")
    path = ballots_file(tmp_path, ["101,yes", "602,no", "301,spoiled"])
    import_ballots(open_poll, path, "--entered-by", "+8613900000002")
    header, *rows = read_csv_rows(ballots_csv(open_poll))
    assert header == [
        "voter",
        "dwellings",
        "area (m²)",
        "channel",
        "voted at",
        "是否同意加装电梯？",
    ]
    by_voter = {row[0]: row for row in rows}
    assert by_voter["业主1"][1:4] == ["101", "100.00", "paper ballot"]
    assert by_voter["业主1"][5] == "agree"
    assert by_voter["业主6"][1:3] == ["601; 602", "150.00"] and by_voter["业主6"][5] == "disagree"
    assert by_voter["业主3"][5] == "spoiled"
    assert all(row[4] for row in rows)  # the time of each ballot


def test_secret_export_shows_receipts_and_choices_only_in_receipt_order(db):
    poll = services.create_poll(
        None,
        title="评议",
        scope_label="全体居民",
        electorate="test",
        rule_name="simple_majority",
        secrecy="secret",
        questions=[{"kind": "yes_no", "text": "是否满意？"}],
    )
    services.open_poll(None, poll, [Head(key=f"p{n}", label=f"居民{n}") for n in range(5)])
    question = poll.questions.get()
    codes = ["yes", "no", "yes", "abstain"]
    for entry, code in zip(poll.roll.entries.all(), codes, strict=False):
        services.cast_ballot(poll, entry, {question.pk: question.options.get(code=code).pk})
    text = ballots_csv(poll)
    header, *rows = read_csv_rows(text)
    assert header == ["receipt code", "是否满意？"]
    assert [row[0] for row in rows] == sorted(Ballot.objects.values_list("receipt", flat=True))
    assert sorted(row[1] for row in rows) == ["abstain", "agree", "agree", "disagree"]
    assert "居民" not in text and all(len(row) == 2 for row in rows)


def test_tally_writes_the_ballots_csv(open_poll, tmp_path):
    import_ballots(open_poll, ballots_file(tmp_path, ["101,yes"]))
    target = tmp_path / "out.csv"
    tally_json(open_poll, "--ballots-csv", str(target))
    assert target.read_bytes().decode("utf-8-sig") == ballots_csv(open_poll)


@pytest.mark.parametrize("secrecy", ["public", "named", "secret"])
@pytest.mark.parametrize("voters", [1, 50])
def test_export_query_count_does_not_grow_with_ballots(
    db, django_assert_max_num_queries, secrecy, voters
):
    poll = services.create_poll(
        None,
        title="评议",
        scope_label="全体居民",
        electorate="test",
        rule_name="simple_majority",
        secrecy=secrecy,
        questions=[
            {"kind": "yes_no", "text": "是否满意？"},
            {"kind": "multiple", "text": "改进哪些？", "options": ["绿化", "停车", "照明"]},
        ],
    )
    services.open_poll(None, poll, [Head(key=f"p{n}", label=f"居民{n}") for n in range(voters)])
    yes_no, multiple = poll.questions.all()
    yes = yes_no.options.get(code="yes").pk
    picks = list(multiple.options.values_list("pk", flat=True)[:2])
    for entry in poll.roll.entries.all():
        services.cast_ballot(poll, entry, {yes_no.pk: yes, multiple.pk: picks})
    with django_assert_max_num_queries(3):
        text = ballots_csv(poll)
    rows = read_csv_rows(text)
    assert len(rows) == voters + 1
    assert ("居民0" in text) is (secrecy != "secret")
    assert rows[1][-1] == "绿化; 停车"


def test_a_label_that_looks_like_a_formula_is_defused(db):
    poll = services.create_poll(
        None,
        title="评议",
        scope_label="全体居民",
        electorate="test",
        rule_name="simple_majority",
        questions=[{"kind": "yes_no", "text": "是否满意？"}],
    )
    services.open_poll(None, poll, [Head(key="p1", label="=HYPERLINK(1)")])
    question = poll.questions.get()
    services.cast_ballot(
        poll, poll.roll.entries.get(), {question.pk: question.options.get(code="yes").pk}
    )
    rows = read_csv_rows(ballots_csv(poll))
    assert rows[1][0] == "'=HYPERLINK(1)"


# one ballot per voter, under real concurrency


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_ballots_for_one_voter_store_exactly_one():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer anyway")
    poll = owners_poll()
    services.open_poll(None, poll, six_owners())
    entry = poll.roll.entries.select_related("roll").get(key="owner:o1")
    question = poll.questions.get()
    yes = question.options.get(code="yes").pk
    start = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def cast() -> None:
        try:
            start.wait()
            try:
                services.cast_ballot(poll, entry, {question.pk: yes}, channel="paper")
                outcome = "stored"
            except ValidationError:
                outcome = "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 19 + ["stored"]
    assert Participation.objects.filter(poll=poll).count() == 1
    assert Ballot.objects.filter(poll=poll).count() == 1
