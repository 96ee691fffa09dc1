"""A signed-in person's own channel: the page that shows their memberships reloads its
list when staff decide a claim. The event says only that something changed; the
details come over HTTP."""

from channels.generic.websocket import AsyncJsonWebsocketConsumer

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
