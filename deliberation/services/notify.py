"""Telling people of a step: an in-app notification each, pushed live to their own
channel once the step commits, and one mail each to those who gave an address."""

from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation

from .. import broadcast
from ..models import Notification, User


def deliver(
    recipient_ids: Iterable[int],
    *,
    action: str,
    text: str,
    mail: Callable[[], tuple[str, str]],
    **about,
) -> None:
    """Notify `recipient_ids` of `action` (`about`: the topic= or meeting= it concerns).
    `mail()` gives the subject and body, rendered in the site's language only when
    someone has an address. Call it inside the step's transaction."""
    recipient_ids = sorted(set(recipient_ids) - {None})
    if not recipient_ids:
        return
    now = timezone.now()
    Notification.objects.bulk_create(
        Notification(recipient_id=pk, action=action, text=text[:300], created_at=now, **about)
        for pk in recipient_ids
    )
    broadcast.on_commit_send_many(
        [broadcast.user_group(pk) for pk in recipient_ids], {"type": "notification.new"}
    )
    addresses = list(
        User.objects.filter(pk__in=recipient_ids, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if not addresses:
        return
    with translation.override(settings.LANGUAGE_CODE):
        subject, body = mail()
    mails = [EmailMessage(" ".join(subject.split()), body, to=[to]) for to in addresses]
    transaction.on_commit(lambda: get_connection().send_messages(mails))
