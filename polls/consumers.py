"""Live results of one poll. The socket only says that the figures changed; the page
fetches them over HTTP, where the same policy decides what this person may see."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from . import policies
from .models import Poll, RollEntry


@database_sync_to_async
def _watchable_group(user, pk: int) -> str | None:
    """The poll's group, if this person may see its results now."""
    poll = Poll.objects.filter(pk=pk).first()
    if poll is None:
        return None
    entry = RollEntry.objects.filter(roll__poll=poll, user=user).first()
    if not policies.can_see_results(user, poll, entry):
        return None
    return poll.group_name


class PollResultsConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        group = await _watchable_group(user, self.scope["url_route"]["kwargs"]["pk"])
        if group is None:
            await self.close(code=4403)
            return
        self.group = group
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Whatever arrives, JSON or not: this channel only talks to the client."""
        await self.send_json(
            {"type": "error", "message": _("This channel accepts no messages: it only announces.")}
        )

    async def poll_updated(self, event):
        await self.send_json({"type": "poll.updated", "poll": event["poll"]})
