"""Scheduling live events after commit. Low level: services call it; it imports no
consumer and no service."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def on_commit_send_many(groups: list[str], event: dict) -> None:
    """Send one `event` to many groups (say, every follower's own channel) once the
    current transaction commits: one callback and one trip through the event loop for
    all of them."""
    if not groups:
        return

    async def send_all(layer) -> None:
        for group in groups:
            await layer.group_send(group, event)

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(send_all)(layer)

    transaction.on_commit(send)


def on_commit_send(group: str, event: dict) -> None:
    """Send `event` to a channel-layer group once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send)
