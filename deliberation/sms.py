"""Sending text messages.

A backend is a class with one method, `send(phone: str, text: str) -> None`, named by
the `YISHI_SMS_BACKEND` setting. `ConsoleSmsBackend` (dev, tests) writes the message to
the log and keeps it in `outbox`; a real gateway adapter implements the same method and
raises `SmsError` when the gateway refuses. See docs/sms.md.
"""

import logging
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("yishi.sms")


class SmsError(Exception):
    """The gateway did not accept the message."""


@dataclass(frozen=True)
class SentSms:
    phone: str
    text: str


# The latest messages sent through the console backend in this process (for tests).
outbox: deque[SentSms] = deque(maxlen=100)


class ConsoleSmsBackend:
    def send(self, phone: str, text: str) -> None:
        outbox.append(SentSms(phone, text))
        logger.warning("SMS to %s: %s", phone, text)


def send_sms(phone: str, text: str) -> None:
    backend = import_string(settings.YISHI_SMS_BACKEND)()
    backend.send(phone, text)
