"""The trace chain: entries written by real services, and every way of tampering with
them that `verify_trace` must catch."""

import datetime as dt
import threading
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, ManagementUtility, call_command
from django.db import connection, transaction

from deliberation import trace
from deliberation.models import Membership, TraceEntry, TraceHead
from deliberation.services import people

from .factories import DwellingFactory, UserFactory, staff_of


@pytest.fixture
def chain(community, dwelling, resident) -> list[TraceEntry]:
    """Four entries: a role granted, two claims, one claim verified."""
    staff = staff_of(community)
    membership = people.claim_dwelling(resident, dwelling, Membership.Kind.OWNER)
    neighbour = DwellingFactory(building=dwelling.building)
    people.claim_dwelling(UserFactory(), neighbour, Membership.Kind.TENANT)
    people.verify_membership(staff, membership)
    return list(TraceEntry.objects.order_by("seq"))


def verify_trace() -> str:
    out = StringIO()
    call_command("verify_trace", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_intact_chain_passes(chain):
    assert [e.action for e in chain] == [
        "role.granted",
        "membership.claimed",
        "membership.claimed",
        "membership.verified",
    ]
    assert trace.verify() == (4, None)
    assert "Trace intact: 4 entries." in verify_trace()


@pytest.mark.django_db
def test_empty_trace_is_intact():
    assert "Trace intact: 0 entries." in verify_trace()


@pytest.mark.django_db
def test_each_entry_links_to_the_one_before(chain):
    assert chain[0].prev_hash == trace.GENESIS
    for before, after in zip(chain, chain[1:], strict=False):
        assert after.prev_hash == before.hash
    assert [e.seq for e in chain] == [1, 2, 3, 4]


@pytest.mark.django_db
def test_edited_entry_is_caught_by_number(chain):
    TraceEntry.objects.filter(seq=2).update(after={"status": "verified"})
    with pytest.raises(CommandError, match=r"entry #2: its content does not match its hash"):
        verify_trace()


@pytest.mark.django_db
def test_edited_entry_with_recomputed_hash_is_caught_at_the_next_entry(chain):
    entry = chain[1]
    entry.after = {"status": "verified"}
    entry.hash = trace.entry_hash(entry)
    TraceEntry.objects.filter(pk=entry.pk).update(after=entry.after, hash=entry.hash)
    assert trace.verify()[1] == trace.Break(3, "it does not link to the entry before it")


@pytest.mark.django_db
def test_deleted_middle_entry_is_caught_by_its_number(chain):
    TraceEntry.objects.filter(seq=3).delete()
    with pytest.raises(CommandError, match=r"entry #3: entry #3 is missing"):
        verify_trace()


@pytest.mark.django_db
def test_deleted_last_entry_is_caught_because_the_head_remembers_it(chain):
    TraceEntry.objects.filter(seq=4).delete()
    with pytest.raises(CommandError, match=r"entry #4: entries after #3 are missing"):
        verify_trace()


@pytest.mark.django_db
def test_changed_prev_hash_is_caught(chain):
    TraceEntry.objects.filter(seq=3).update(prev_hash="f" * 64)
    with pytest.raises(CommandError, match=r"entry #3: it does not link to the entry before it"):
        verify_trace()


@pytest.mark.django_db
def test_head_not_matching_the_last_entry_is_caught(chain):
    TraceHead.objects.filter(pk=1).update(last_hash="e" * 64)
    assert trace.verify()[1] == trace.Break(4, "the chain head does not match the last entry")


@pytest.mark.django_db
def test_broken_trace_makes_the_command_exit_non_zero(chain, capsys):
    TraceEntry.objects.filter(seq=2).update(after={"status": "forged"})
    with pytest.raises(SystemExit) as exit_info:
        ManagementUtility(["manage.py", "verify_trace"]).execute()
    assert exit_info.value.code == 1
    assert "#2" in capsys.readouterr().err


@pytest.mark.django_db
def test_intact_trace_makes_the_command_exit_zero(chain, capsys):
    ManagementUtility(["manage.py", "verify_trace"]).execute()
    assert f"Trace intact: {len(chain)} entries." in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_entry_cannot_be_recorded_outside_a_transaction(dwelling):
    with pytest.raises(RuntimeError):
        trace.record(actor=None, action="dwelling.changed", obj=dwelling)
    assert not TraceEntry.objects.exists()


@pytest.mark.django_db
def test_decimal_and_date_values_round_trip_and_still_verify(dwelling):
    with transaction.atomic():
        trace.record(
            actor=None,
            action="dwelling.area_corrected",
            obj=dwelling,
            before={"registered_area": Decimal("89.50")},
            after={"registered_area": Decimal("90.05"), "surveyed_on": dt.date(2025, 3, 1)},
        )
    entry = TraceEntry.objects.get()
    assert entry.before == {"registered_area": "89.50"}
    assert entry.after == {"registered_area": "90.05", "surveyed_on": "2025-03-01"}
    assert trace.verify() == (1, None)


# SQLite's in-memory test database shares one cache between connections, where a busy
# table fails at once ("table is locked") instead of waiting; the file database the
# project runs on queues writers. The row lock on the head is what this guards.
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a database with concurrent writers"
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_never_fork_the_chain():
    writers = 8
    claims = [(UserFactory(), DwellingFactory()) for _ in range(writers)]
    start = threading.Barrier(writers)
    errors: list[Exception] = []

    def claim(user, dwelling) -> None:
        try:
            start.wait()
            people.claim_dwelling(user, dwelling, Membership.Kind.OWNER)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=pair) for pair in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert trace.verify() == (writers, None)
    assert sorted(TraceEntry.objects.values_list("seq", flat=True)) == list(range(1, writers + 1))
