"""Per-person rate limits on what residents write (comments, topics, reports, questions).

A fixed-window counter in the cache: local memory in one process, Redis when
`REDIS_URL` is set, so every worker counts together. django-ratelimit does the same
with the same cache, but it keys on requests; these limits are checked inside the
services that views, consumers and commands share, where there is a person and no
request.
"""

import time

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# action → (most actions, in seconds) windows; every window must have room.
LIMITS: dict[str, tuple[tuple[int, int], ...]] = {
    "topic.propose": ((3, 3600), (10, 86400)),
    "topic.comment": ((5, 60), (100, 86400)),
    "room.comment": ((10, 60), (300, 86400)),
    "comment.report": ((10, 3600),),
    "pact.amend": ((5, 3600), (20, 86400)),
    "pact.comment": ((5, 60), (100, 86400)),
    "disclosure.question": ((3, 600), (20, 86400)),
}


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return ngettext("%(n)d second", "%(n)d seconds", seconds) % {"n": seconds}
    minutes = -(-seconds // 60)
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = -(-minutes // 60)
    return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}


def hit(user, action: str) -> None:
    """Count one `action` by `user`; refuse with a clear message once a window is full.
    Call it after the input is checked and before anything is written."""
    now = int(time.time())
    for limit, window in LIMITS[action]:
        bucket = now // window
        key = f"ratelimit:{action}:{user.pk}:{window}:{bucket}"
        cache.add(key, 0, timeout=window + 1)
        try:
            count = cache.incr(key)
        except ValueError:  # the key expired between add and incr
            cache.set(key, 1, timeout=window + 1)
            count = 1
        if count > limit:
            wait = (bucket + 1) * window - now
            raise ValidationError(
                _("You are doing this too often. Please try again in %(wait)s.")
                % {"wait": _wait_text(wait)},
                code="rate_limited",
            )
