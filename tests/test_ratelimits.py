"""Per-person rate limits: every window of an action must have room; a full one refuses
with a message that says how long to wait, and a new window allows again."""

from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from deliberation import ratelimits

from .factories import UserFactory

pytestmark = pytest.mark.django_db

DAY = 86400
# A moment 15 seconds into a minute, an hour and a day (1 000 080 000 is a whole day).
START = 1_000_080_000 + 15


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def clock(monkeypatch):
    """The rate limits' clock, stopped at START; set `clock.now` to move it."""
    clock = SimpleNamespace(now=START)
    monkeypatch.setattr(ratelimits, "time", SimpleNamespace(time=lambda: clock.now))
    return clock


@pytest.fixture
def person(db):
    return UserFactory()


def hit_times(user, action: str, times: int) -> None:
    for _ in range(times):
        ratelimits.hit(user, action)


def refusal(user, action: str) -> str:
    with pytest.raises(ValidationError) as refused:
        ratelimits.hit(user, action)
    assert refused.value.code == "rate_limited"
    return refused.value.messages[0]


def test_five_comments_a_minute_are_allowed_and_the_sixth_is_told_to_wait_the_rest_of_it(
    clock, person
):
    hit_times(person, "topic.comment", 5)
    assert refusal(person, "topic.comment") == (
        "You are doing this too often. Please try again in 45 seconds."
    )


def test_the_wait_is_counted_in_minutes_rounded_up_within_the_hour(clock, person):
    hit_times(person, "topic.propose", 3)
    clock.now += 1000  # 1015 s into the hour: 2585 s, that is 43.08 minutes, remain
    assert refusal(person, "topic.propose") == (
        "You are doing this too often. Please try again in 44 minutes."
    )


def test_one_second_left_is_said_in_the_singular(clock, person):
    hit_times(person, "topic.comment", 5)
    clock.now += 44
    assert refusal(person, "topic.comment").endswith("try again in 1 second.")


def test_a_new_window_allows_again(clock, person):
    hit_times(person, "topic.comment", 5)
    refusal(person, "topic.comment")
    clock.now += 45  # the next minute
    hit_times(person, "topic.comment", 5)
    refusal(person, "topic.comment")


def test_the_daily_limit_holds_across_short_windows_and_says_how_many_hours_to_wait(clock, person):
    # Questions on disclosures: 3 in ten minutes, 20 a day.
    for window in range(6):
        clock.now = START + window * 600
        hit_times(person, "disclosure.question", 3)
    clock.now = START + 6 * 600
    hit_times(person, "disclosure.question", 2)
    # 3615 s into the day: 82785 s, that is 22.996 hours, remain.
    assert refusal(person, "disclosure.question") == (
        "You are doing this too often. Please try again in 23 hours."
    )
    clock.now = START + DAY
    hit_times(person, "disclosure.question", 3)


def test_refused_attempts_do_not_use_up_the_day(clock, person):
    hit_times(person, "disclosure.question", 3)
    for _ in range(30):
        refusal(person, "disclosure.question")
    for window in range(1, 6):
        clock.now = START + window * 600
        hit_times(person, "disclosure.question", 3)
    clock.now = START + 6 * 600
    hit_times(person, "disclosure.question", 2)
    refusal(person, "disclosure.question")


def test_people_are_counted_apart(clock, person):
    neighbour = UserFactory()
    hit_times(person, "topic.comment", 5)
    refusal(person, "topic.comment")
    hit_times(neighbour, "topic.comment", 5)


def test_actions_are_counted_apart(clock, person):
    hit_times(person, "topic.comment", 5)
    refusal(person, "topic.comment")
    hit_times(person, "comment.report", 10)
    hit_times(person, "topic.propose", 3)
    hit_times(person, "disclosure.question", 3)
    refusal(person, "comment.report")


def test_every_action_has_windows_of_growing_length():
    for action, windows in ratelimits.LIMITS.items():
        lengths = [seconds for _most, seconds in windows]
        assert lengths == sorted(lengths), action
        assert all(most > 0 for most, _seconds in windows), action
