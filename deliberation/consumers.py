"""Live channels. Each says only that something changed; the page fetches the details
over HTTP, where the same policies decide what this person may see.

- `MyHomeConsumer`: a signed-in person's own channel; the page that shows their
  memberships reloads its list when staff decide a claim, and its topics panel when a
  followed topic takes a step.
- `PollResultsConsumer`: the live results of one poll, relayed to every watcher in this
  process through `relay`, which holds one subscription to the poll's group for all.
"""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils.translation import gettext as _

from polls import policies as poll_policies
from polls import queries as poll_queries
from polls.models import Poll

from . import relay
from .broadcast import user_group


class MyHomeConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        await self.send_json({"type": "error", "message": "This channel accepts no messages."})

    async def membership_changed(self, event):
        await self.send_json({"type": "membership.changed", "id": event["id"]})

    async def notification_new(self, event):
        await self.send_json({"type": "notification.new"})


@database_sync_to_async
def _watchable_poll_group(user, pk: int) -> str | None:
    """The poll's group, if this person may see its results now."""
    poll = Poll.objects.filter(pk=pk).first()
    if poll is None:
        return None
    entry = poll_queries.roll_entry(user, poll)
    if not poll_policies.can_see_results(user, poll, entry):
        return None
    return poll.group_name


class PollResultsConsumer(AsyncJsonWebsocketConsumer):
    # The relay sends this socket its events; a channel of its own would receive nothing
    # and cost one more Redis subscription per socket.
    channel_layer_alias = None

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        group = await _watchable_poll_group(user, self.scope["url_route"]["kwargs"]["pk"])
        if group is None:
            await self.close(code=4403)
            return
        # Accepted first: the relay may send as soon as the socket has joined.
        await self.accept()
        self.group = group
        await relay.join(self.group, self)

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await relay.leave(self.group, self)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Whatever arrives, JSON or not: this channel only talks to the client."""
        await self.send_json(
            {"type": "error", "message": _("This channel accepts no messages: it only announces.")}
        )
