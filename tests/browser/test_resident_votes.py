"""On the demo, a resident votes on the elevator retrofit from her phone, gets her
receipt, and sees the result chart; a second screen showing the live results updates
without being reloaded."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from deliberation.models import User
from polls.models import Participation, Poll

# serialized_rollback: the site root and home page made by migrations come back after
# the flush that ends each transactional test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def seed_demo() -> None:
    """In a thread of its own: its broadcasts after commit use async_to_sync, which
    refuses to run in this thread, where Playwright keeps an event loop running."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(call_command, "seed_demo", stdout=None).result()


def test_resident_votes_on_a_phone_and_the_live_results_follow(asgi_phone, screenshot):
    seed_demo()
    wang = User.objects.get(phone="+8613800000001")
    poll = Poll.objects.get(title="3号楼2单元加装电梯及使用维修资金")
    counted_before = Participation.objects.filter(poll=poll).count()

    # A second screen shows the live results before she votes.
    watcher = asgi_phone(wang)
    watcher.goto(f"/polls/{poll.pk}/results/")
    chart = watcher.locator("#poll-results")
    expect(chart.locator("svg").first).to_be_visible()
    expect(chart.locator("[data-live-status]")).to_be_visible()
    expect(chart).to_contain_text(f"{counted_before} (")

    phone = asgi_phone(wang)
    phone.goto("/polls/")
    screenshot(phone, "11-polls-list")
    phone.get_by_role("link", name="3号楼2单元加装电梯及使用维修资金").click()
    expect(phone.locator("h1")).to_contain_text("加装电梯")
    phone.locator("label.choice-yes").click()
    screenshot(phone, "12-ballot")
    phone.locator("form.ballot [type=submit]").click()
    phone.wait_for_url(f"**/polls/{poll.pk}/receipt/**")
    expect(phone.locator(".receipt-big")).to_have_text(re.compile(r"\S{6,}"))
    screenshot(phone, "13-receipt")

    assert Participation.objects.filter(poll=poll).count() == counted_before + 1
    assert Participation.objects.get(poll=poll, entry__user=wang).channel == "online"

    # The watching screen updated itself with her ballot.
    expect(chart).to_contain_text(f"{counted_before + 1} (", timeout=10_000)
    screenshot(watcher, "14-live-results")
