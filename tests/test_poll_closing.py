"""Polls close themselves when their closing time passes: by the close_due_polls timer,
and on the next read of a poll page where no timer runs."""

import io
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone, translation

from deliberation import electorates
from deliberation.models import TraceEntry
from polls import services, signals
from polls.electorate import Head
from polls.models import Participation, Poll, PollResult

from .factories import BuildingFactory, DwellingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """These tests read the English wording; the site's default language is Chinese."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def open_poll(voters=(), *, title="加装电梯表决", closes_at=None, results="hidden_until_closed"):
    poll = services.create_poll(
        None,
        title=title,
        scope_label="3号楼2单元业主",
        electorate="test",
        rule_name="simple_majority",
        results=results,
        closes_at=closes_at,
        questions=[{"kind": "yes_no", "text": "是否同意加装电梯？"}],
    )
    heads = [Head(key=f"u{user.pk}", label=f"户{user.pk}", user_id=user.pk) for user in voters]
    heads += [Head(key=f"x{n}", label=f"其他{n}") for n in range(2)]
    services.open_poll(None, poll, heads)
    return poll


def past_closing_time(poll: Poll) -> Poll:
    """Move the poll's voting period into the past: it opened an hour ago and its
    closing time went by a minute ago, with nobody closing it."""
    now = timezone.now()
    Poll.objects.filter(pk=poll.pk).update(
        opened_at=now - timedelta(hours=1), closes_at=now - timedelta(minutes=1)
    )
    poll.refresh_from_db()
    return poll


def vote_yes(poll: Poll, entry) -> None:
    question = poll.questions.get()
    services.cast_ballot(poll, entry, {question.pk: question.options.get(code="yes").pk})


def state_of(poll: Poll) -> str:
    return Poll.objects.values_list("state", flat=True).get(pk=poll.pk)


def closing_entries(poll: Poll):
    return TraceEntry.objects.filter(
        object_type="polls.poll", object_id=str(poll.pk), action="poll.closed"
    )


def run_command(*args) -> str:
    out = io.StringIO()
    call_command("close_due_polls", *args, stdout=out)
    return out.getvalue()


# The service ---------------------------------------------------------------------------


def test_a_poll_closes_at_its_closing_time_and_not_a_second_before():
    closing_time = timezone.now().replace(microsecond=0) + timedelta(hours=1)
    poll = open_poll(closes_at=closing_time)

    assert services.close_due_polls(now=closing_time - timedelta(seconds=1)) == []
    assert state_of(poll) == Poll.State.OPEN

    results = services.close_due_polls(now=closing_time)
    assert [result.poll_id for result in results] == [poll.pk]
    assert state_of(poll) == Poll.State.CLOSED


def test_a_closed_polls_tally_is_kept_and_the_trace_says_the_system_closed_it():
    poll = open_poll()
    vote_yes(poll, poll.roll.entries.first())
    poll = past_closing_time(poll)

    [result] = services.close_due_polls()

    assert PollResult.objects.get(poll=poll) == result
    assert result.data["ballots"] == 1
    poll.refresh_from_db()
    # Voting ended when the closing time came, not when the timer got round to it.
    assert poll.state == Poll.State.CLOSED and poll.closed_at == poll.closes_at
    [entry] = closing_entries(poll)
    assert entry.actor is None and entry.actor_label == "system"
    assert entry.after["ballots"] == 1


def test_a_poll_without_a_closing_time_never_closes_itself():
    poll = open_poll()

    assert services.close_due_polls(now=timezone.now() + timedelta(days=3650)) == []
    assert state_of(poll) == Poll.State.OPEN


def test_a_draft_poll_past_its_closing_time_is_not_closed():
    draft = services.create_poll(
        None,
        title="草案",
        scope_label="全体居民",
        electorate="test",
        rule_name="simple_majority",
        closes_at=timezone.now() - timedelta(days=1),
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )

    assert services.close_due_polls() == []
    assert state_of(draft) == Poll.State.DRAFT
    assert not PollResult.objects.exists()


def test_a_poll_closed_by_another_run_meanwhile_is_skipped_not_an_error(caplog):
    first = past_closing_time(open_poll(title="第一"))
    second = past_closing_time(open_poll(title="第二"))

    def another_run_closes_the_second(sender, poll, **kwargs):
        if poll.pk == first.pk:
            services.close_poll(None, second)

    signals.poll_closed.connect(another_run_closes_the_second)
    try:
        results = services.close_due_polls()
    finally:
        signals.poll_closed.disconnect(another_run_closes_the_second)

    assert [result.poll_id for result in results] == [first.pk]
    assert "could not be closed" not in caplog.text
    assert state_of(second) == Poll.State.CLOSED
    assert PollResult.objects.filter(poll=second).count() == 1
    assert closing_entries(second).count() == 1


def test_a_poll_that_cannot_be_closed_does_not_stop_the_others(caplog):
    broken = past_closing_time(open_poll(title="坏的"))
    fine = past_closing_time(open_poll(title="好的"))

    def fail_for_the_broken_one(sender, poll, **kwargs):
        if poll.pk == broken.pk:
            raise RuntimeError("the trace is unavailable")

    signals.poll_closed.connect(fail_for_the_broken_one)
    try:
        results = services.close_due_polls()
    finally:
        signals.poll_closed.disconnect(fail_for_the_broken_one)

    assert [result.poll_id for result in results] == [fine.pk]
    assert state_of(broken) == Poll.State.OPEN
    assert not PollResult.objects.filter(poll=broken).exists()
    assert not closing_entries(broken).exists()
    assert f"Poll {broken.pk} is past its closing time" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_close_each_poll_exactly_once(caplog):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer anyway")
    polls = [past_closing_time(open_poll(title=f"表决{n}")) for n in range(5)]
    start = threading.Barrier(2)
    closed: list[int] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            results = services.close_due_polls()
            with lock:
                closed.extend(result.poll_id for result in results)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(closed) == sorted(poll.pk for poll in polls)
    assert "could not be closed" not in caplog.text
    for poll in polls:
        assert state_of(poll) == Poll.State.CLOSED
        assert PollResult.objects.filter(poll=poll).count() == 1
        assert closing_entries(poll).count() == 1


# The command ---------------------------------------------------------------------------


def test_the_command_says_which_polls_it_closed_and_a_second_run_closes_nothing():
    first = past_closing_time(open_poll(title="加装电梯"))
    second = past_closing_time(open_poll(title="更换物业"))
    still_open = open_poll(closes_at=timezone.now() + timedelta(days=1))

    output = run_command()

    assert output.splitlines() == [
        "Closed 2 polls:",
        f"  #{first.pk} “加装电梯”: 0 ballots",
        f"  #{second.pk} “更换物业”: 0 ballots",
    ]
    assert state_of(still_open) == Poll.State.OPEN
    assert run_command() == ""
    assert run_command("--verbosity", "2") == "No poll was due to close.\n"
    assert PollResult.objects.count() == 2


def test_the_command_takes_no_arguments():
    poll = past_closing_time(open_poll())

    with pytest.raises(CommandError, match="unrecognized arguments"):
        run_command(str(poll.pk))
    assert state_of(poll) == Poll.State.OPEN


def test_the_command_fails_when_a_due_poll_could_not_be_closed():
    broken = past_closing_time(open_poll(title="坏的"))

    def fail(sender, poll, **kwargs):
        raise RuntimeError("the trace is unavailable")

    signals.poll_closed.connect(fail)
    try:
        with pytest.raises(CommandError, match=f"could not be closed: #{broken.pk}"):
            run_command()
    finally:
        signals.poll_closed.disconnect(fail)
    assert state_of(broken) == Poll.State.OPEN


# Closing on read -----------------------------------------------------------------------


def test_the_page_of_a_poll_past_its_closing_time_shows_it_closed_and_refuses_voting(
    resident_client, resident
):
    poll = past_closing_time(open_poll([resident]))

    page = resident_client.get(f"/polls/{poll.pk}/")

    assert page.status_code == 200
    assert page.context["poll"].state == Poll.State.CLOSED
    assert page.context["form"] is None
    assert "This poll has closed: no more ballots are accepted." in page.content.decode()
    assert state_of(poll) == Poll.State.CLOSED
    assert closing_entries(poll).get().actor_label == "system"


def test_a_ballot_posted_after_the_closing_time_is_refused_and_the_poll_closed(
    resident_client, resident
):
    poll = past_closing_time(open_poll([resident]))
    question = poll.questions.get()

    response = resident_client.post(
        f"/polls/{poll.pk}/vote/", {f"q{question.pk}": question.options.get(code="yes").pk}
    )

    assert response.status_code == 403
    assert "This poll has closed: no more ballots are accepted." in response.content.decode()
    assert not Participation.objects.exists()
    assert state_of(poll) == Poll.State.CLOSED


def test_results_hidden_until_closing_show_once_the_closing_time_has_passed(
    resident_client, resident
):
    poll = open_poll([resident])
    vote_yes(poll, poll.roll.entries.get(user=resident))
    assert resident_client.get(f"/polls/{poll.pk}/results/").context["results"] is None
    past_closing_time(poll)

    page = resident_client.get(f"/polls/{poll.pk}/results/")

    assert page.context["finished"] is True
    assert page.context["results"] is not None
    assert state_of(poll) == Poll.State.CLOSED


def test_my_list_of_polls_shows_a_poll_past_its_closing_time_as_closed(resident_client, resident):
    due = past_closing_time(open_poll([resident], title="已到期"))
    running = open_poll([resident], title="进行中", closes_at=timezone.now() + timedelta(days=1))

    polls = list(resident_client.get("/polls/").context["polls"])

    assert [(p.pk, p.state) for p in polls] == [
        (running.pk, Poll.State.OPEN),
        (due.pk, Poll.State.CLOSED),
    ]


@pytest.mark.parametrize("rows", [1, 50])
def test_my_list_of_polls_with_closing_times_ahead_keeps_its_query_count(
    resident_client, resident, rows, django_assert_max_num_queries
):
    for _ in range(rows):
        open_poll([resident], closes_at=timezone.now() + timedelta(days=1))

    with django_assert_max_num_queries(5):
        response = resident_client.get("/polls/")

    assert len(response.context["polls"]) == rows


@pytest.fixture
def building(community):
    building = BuildingFactory(compound__community=community, name="3号楼")
    for n in range(2):
        DwellingFactory(building=building, number=f"10{n}", registered_area=Decimal("90.00"))
    return building


def test_the_back_office_lists_and_shows_a_poll_past_its_closing_time_as_closed(
    committee_client, committee, building
):
    poll = services.create_poll(
        committee,
        title="更换物业",
        scope_label=f"{building} · owners",
        electorate=electorates.electorate_key("owners", building),
        rule_name="owners_ordinary",
        questions=[{"kind": "yes_no", "text": "是否同意？"}],
    )
    services.open_poll(committee, poll, electorates.heads(poll.electorate))
    past_closing_time(poll)

    listed = list(committee_client.get("/admin/polls/").context["object_list"])

    assert [(p.pk, p.state) for p in listed] == [(poll.pk, Poll.State.CLOSED)]
    assert closing_entries(poll).get().actor_label == "system"
    page = committee_client.get(f"/admin/polls/{poll.pk}/")
    assert page.context["poll"].state == Poll.State.CLOSED
