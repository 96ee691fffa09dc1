"""Live channels. Each says only that something changed; the page fetches the details
over HTTP, where the same policies decide what this person may see.

- `MyHomeConsumer`: a signed-in person's own channel; the page that shows their
  memberships reloads its list when staff decide a claim, and its topics panel when a
  followed topic takes a step.
- `PollResultsConsumer`: the live results of one poll, relayed to every watcher in this
  process through `relay`, which holds one subscription to the poll's group for all.
- `MeetingRoomConsumer`: a meeting's live room, both ways (docs/live-protocol.md).
"""

import json
import logging
import re
import time
import uuid
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from polls import policies as poll_policies
from polls import queries as poll_queries
from polls.models import Poll

from . import live, policies, queries, relay
from .broadcast import user_group
from .models import AgendaItem, Meeting, Pact, PactEvent, RoomComment, SpeakerRequest
from .services import pacts as pact_services
from .services import room


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


# ---------------------------------------------------------------------------- the live room

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 4096
ID_MAX = 2**31 - 1  # the largest id or number a database column here holds
FLOOD_BURST = 40
FLOOD_RATE = 20.0  # messages a second, refilled continuously
RESYNC_COST = 5  # a resync reads the database: it counts as this many messages
HELD_LIMIT = 1000  # the room's events held while one client catches up, at most
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NO_MEETING = 4404  # no such meeting or pact
CLOSE_TOO_SLOW = relay.CLOSE_TOO_SLOW
CLOSE_FLOOD = 4429


class _Bucket:
    """A token bucket: a burst of `FLOOD_BURST` messages, then `FLOOD_RATE` a second."""

    def __init__(self) -> None:
        self.tokens = float(FLOOD_BURST)
        self.at = time.monotonic()

    def take(self, cost: int = 1) -> bool:
        now = time.monotonic()
        self.tokens = min(FLOOD_BURST, self.tokens + (now - self.at) * FLOOD_RATE)
        self.at = now
        if self.tokens < cost:
            return False
        self.tokens -= cost
        return True


class BadMessage(ValueError):
    """A message that is not what the protocol says; its text is for the sender."""


class ClientGone(StopConsumer):
    """Writing to the client failed: it is gone. The consumer ends (and leaves the room)
    instead of trying to tell it anything."""


def _int(message: dict, field: str, *, required: bool = True) -> int | None:
    value = message.get(field)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ID_MAX:
        raise BadMessage(_("“%(field)s” must be a whole number.") % {"field": field})
    return value


def _text(message: dict, field: str) -> str:
    value = message.get(field, "")
    if not isinstance(value, str):
        raise BadMessage(_("“%(field)s” must be text.") % {"field": field})
    return value


def _room_object(model, meeting, pk):
    found = model.objects.filter(meeting=meeting, pk=pk).first()
    if found is None:
        raise BadMessage(
            _("There is no such %(what)s in this meeting.") % {"what": model._meta.verbose_name}
        )
    return found


def _handle(user, meeting_pk: int, message: dict) -> dict | None:
    """Carry out one client message through the room's services: who may do it is
    checked there, through the policies module, against the meeting as stored now.
    Returns the private reply to the sender, if any."""
    meeting = Meeting.objects.filter(pk=meeting_pk).first()
    if meeting is None:
        raise BadMessage(_("This meeting no longer exists."))
    kind = message["type"]
    if kind == "comment.post":
        room.post_comment(user, meeting, _text(message, "text"))
    elif kind == "comment.hide":
        comment = _room_object(RoomComment, meeting, _int(message, "comment"))
        room.hide_comment(user, comment, _text(message, "reason"))
    elif kind == "hand.raise":
        point_of_order = message.get("point_of_order", False)
        if not isinstance(point_of_order, bool):
            raise BadMessage(_("“%(field)s” must be true or false.") % {"field": "point_of_order"})
        room.raise_hand(user, meeting, point_of_order)
    elif kind == "hand.lower":
        room.lower_hand(user, meeting)
    elif kind == "floor.give":
        pk = _int(message, "request", required=False)
        request = _room_object(SpeakerRequest, meeting, pk) if pk is not None else None
        room.give_floor(user, meeting, request)
    elif kind == "floor.end":
        room.end_floor(user, meeting)
    elif kind == "agenda.go":
        room.go_to_item(user, meeting, _room_object(AgendaItem, meeting, _int(message, "item")))
    elif kind == "agenda.next":
        room.next_item(user, meeting)
    elif kind in MEETING_STEPS:
        MEETING_STEPS[kind](user, meeting)
    elif kind == "poll.open":
        room.open_item_poll(user, meeting)
    elif kind == "poll.close":
        room.close_item_poll(user, meeting)
    elif kind == "vote":
        cast = room.cast_vote(user, meeting, message.get("choices"))
        return {"receipt": cast.receipt, "changed": cast.changed}
    elif kind == "presence.who":
        return {"type": "presence.who", "buildings": queries.room_presence_names(meeting)}
    return None


MEETING_STEPS = {
    "meeting.open": room.open_meeting,
    "meeting.pause": room.pause_meeting,
    "meeting.resume": room.resume_meeting,
    "meeting.close": room.close_meeting,
}
ACTIONS = frozenset(
    {
        "comment.post",
        "comment.hide",
        "hand.raise",
        "hand.lower",
        "floor.give",
        "floor.end",
        "agenda.go",
        "agenda.next",
        "poll.open",
        "poll.close",
        "vote",
        "presence.who",
        *MEETING_STEPS,
    }
)


def _language(scope) -> str:
    """The person's language: the site's language cookie, else the site's default."""
    cookie = scope.get("cookies", {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    try:
        return translation.get_supported_language_variant(cookie)
    except LookupError:
        return settings.LANGUAGE_CODE


@database_sync_to_async
def _enter(user, pk: int, channel_name: str, after: int | None) -> tuple[str, list[dict]] | None:
    """Join the room's record of who is here, and the frames that bring this client up
    to date: the events after `after` then `resynced`, or a snapshot."""
    meeting = Meeting.objects.filter(pk=pk).first()
    if meeting is None:
        return None
    role = room.enter_room(user, meeting, channel_name)
    return role, _catch_up(user, meeting, after)


def _catch_up(user, meeting: Meeting, after: int | None) -> list[dict]:
    frames = queries.room_events_after(meeting, after) if after is not None else None
    if frames is None:
        return [queries.room_snapshot(meeting, user)]
    last = frames[-1]["seq"] if frames else after
    return [*frames, {"type": "resynced", "seq": last, "now": timezone.now().isoformat()}]


class SequencedConsumer(AsyncWebsocketConsumer):
    """A socket on a numbered stream: a meeting's room, a pact's page. Events reach it
    through the relay (one subscription to the stream's group per process); on joining,
    and on a `resync`, it is sent what it missed while the stream's new events wait, so
    none is sent twice or out of order (docs/live-protocol.md). Subclasses say how a
    socket enters and leaves (`forget`), what a catch-up holds (`replay`, run in the
    database thread) and what other messages do (`act`)."""

    channel_layer_alias = None  # the relay subscribes for every local socket

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = self.name = None  # set once it has joined the relay, the stream
        self.closed = False
        self.catching_up, self.held, self.seq = True, [], 0
        self.bucket = _Bucket()

    async def __call__(self, scope, receive, send):
        """The socket's whole life. However it ends (the client leaving, a failed send,
        an error, the task cancelled; Channels calls disconnect() only for the first),
        it leaves the relay and the stream's record of who is here."""
        try:
            await super().__call__(scope, receive, send)
        finally:
            await self._leave()

    async def _leave(self) -> None:
        """Leave the relay and the record of who is here, once."""
        group, name = self.group, self.name
        self.group = self.name = None
        self.catching_up, self.held = False, []
        try:
            if group is not None:
                await relay.leave(group, self)
        finally:
            if name is not None:
                await self.forget(name)

    async def forget(self, name: str) -> None:
        """Drop the record of this socket, named `name`, from who is here."""

    def replay(self, after: int) -> list[dict]:
        """The frames that bring a client at `after` up to date (database thread)."""
        raise NotImplementedError

    async def act(self, message: dict) -> dict | None:
        """Carry out a message other than `resync`; returns the private reply, if any."""
        raise BadMessage(_("Unknown message type “%(type)s”.") % {"type": message["type"][:40]})

    async def join(self, group: str) -> None:
        """Join the stream's group. Joined before the catch-up is read, so that nothing
        broadcast meanwhile is missed: what arrives is held, and sent after the catch-up
        unless it is already in it."""
        self.group = group
        self.name = f"{group}.{uuid.uuid4().hex}"
        await relay.join(group, self)

    async def _catch_up(self, frames: list[dict]) -> None:
        """Send the catch-up, then the stream's events held meanwhile that it did not
        include, again until none is left: only then do events go straight out."""
        try:
            for frame in frames:
                await self._send(frame)
                self.seq = max(self.seq, frame.get("seq") or 0)
            while self.held and not self.closed:
                held, self.held = self.held, []
                for text in held:
                    seq = json.loads(text).get("seq")
                    if seq is None or seq > self.seq:
                        await self._write(text)
                        self.seq = seq or self.seq
        finally:
            self.catching_up, self.held = False, []

    async def send(self, text_data=None, bytes_data=None, close=False):
        """The relay's way in: while the catch-up is being sent, the stream's events
        wait. A client so slow that `HELD_LIMIT` of them wait is closed; it reconnects."""
        if self.closed:
            return
        if self.catching_up and text_data is not None and not close:
            if len(self.held) >= HELD_LIMIT:
                await self.close(code=CLOSE_TOO_SLOW)
                return
            self.held.append(text_data)
            return
        await super().send(text_data=text_data, bytes_data=bytes_data, close=close)

    async def close(self, code=None, reason=None):
        """Close from our side, once: what the client sends afterwards is dropped unread
        and the stream's events are no longer written to it."""
        if self.closed:
            return
        self.closed, self.held = True, []
        try:
            await super().close(code=code, reason=reason)
        except Exception as error:
            raise ClientGone from error

    async def _send(self, frame: dict) -> None:
        await self._write(json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    async def _write(self, text: str) -> None:
        """Write to the client now; a client that cannot be written to is gone."""
        if self.closed:
            return
        try:
            await super().send(text_data=text)
        except Exception as error:
            raise ClientGone from error

    async def receive(self, text_data=None, bytes_data=None):
        if self.closed:
            return  # closed by us (flooding, too slow): nothing more is carried out
        ref = None
        with translation.override(self.language):
            if not self.bucket.take():
                await self._flood()
                return
            try:
                message = self._parse(text_data, bytes_data)
                ref = message.get("ref")
                if message["type"] == "resync":
                    after = _int(message, "after")
                    if not self.bucket.take(RESYNC_COST - 1):
                        await self._flood(ref)
                        return
                    await self._resync(after, ref)
                    return
                reply = await self.act(message)
            except ClientGone:
                raise
            except BadMessage as error:
                await self._error("invalid", str(error), ref)
            except PermissionDenied as error:
                await self._error("forbidden", str(error), ref)
            except ValidationError as error:
                await self._error("refused", " ".join(error.messages), ref)
            except Exception:
                # The socket stays open: one message that failed is no reason to drop
                # the person from the meeting. Nothing was committed (one transaction).
                logger.exception("%s: a %r message failed", self.group, text_data[:200])
                await self._error(
                    "server", _("Something went wrong on our side; please try again."), ref
                )
            else:
                reply = reply or {}
                await self._send(
                    {"type": reply.pop("type", "ok"), "ref": ref, "for": message["type"], **reply}
                )

    def _parse(self, text_data, bytes_data) -> dict:
        if bytes_data is not None or text_data is None:
            raise BadMessage(_("Send JSON text, not binary data."))
        if len(text_data.encode()) > MAX_MESSAGE_BYTES:
            raise BadMessage(
                _("The message is too long: at most %(n)d bytes.") % {"n": MAX_MESSAGE_BYTES}
            )
        try:
            message = json.loads(text_data)
        except ValueError:
            raise BadMessage(_("The message is not valid JSON.")) from None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            raise BadMessage(_("A message is a JSON object with a “type”."))
        ref = message.get("ref")
        if ref is not None and not (isinstance(ref, str) and len(ref) <= 40):
            raise BadMessage(_("“ref” must be text of at most 40 characters."))
        return message

    async def _resync(self, after: int, ref: str | None) -> None:
        """Send what the client says it missed; meanwhile the stream's events are held,
        as on joining, so none is sent twice or out of order. The answer's last frame
        (the `resynced`, or the snapshot) carries the message's `ref`."""
        self.catching_up = True
        try:
            frames = await database_sync_to_async(self.replay)(after)
            if ref is not None:
                frames[-1] = {**frames[-1], "ref": ref}
            self.seq = 0 if frames[0]["type"] == "snapshot" else after
            await self._catch_up(frames)
        finally:
            self.catching_up, self.held = False, []

    async def _flood(self, ref=None) -> None:
        await self._error("flood", _("Too many messages: this connection is closed."), ref)
        await self.close(code=CLOSE_FLOOD)

    async def _error(self, code: str, message: str, ref=None) -> None:
        await self._send({"type": "error", "code": code, "message": message, "ref": ref})


class MeetingRoomConsumer(SequencedConsumer):
    """One phone or laptop in a meeting's room; what it sends is carried out by the
    room's services."""

    async def connect(self):
        self.language = _language(self.scope)
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_NOT_SIGNED_IN)
            return
        self.user, self.pk = user, self.scope["url_route"]["kwargs"]["pk"]
        await self.join(Meeting(pk=self.pk).group_name)
        with translation.override(self.language):
            entered = await _enter(user, self.pk, self.name, _after(self.scope))
        if entered is None:
            await self.close(code=CLOSE_NO_MEETING)
            return
        self.role, frames = entered
        await self._catch_up(frames)

    async def forget(self, name: str) -> None:
        await database_sync_to_async(room.leave_room)(name)

    def replay(self, after: int) -> list[dict]:
        return _catch_up(self.user, Meeting(pk=self.pk), after)

    async def act(self, message: dict) -> dict | None:
        if message["type"] not in ACTIONS:
            return await super().act(message)
        return await database_sync_to_async(_handle)(self.user, self.pk, message)


# ---------------------------------------------------------------------------- a pact's page


@database_sync_to_async
def _enter_pact(user, pk: int, channel_name: str, after: int | None) -> list[dict] | None:
    """Count this socket among the pact page's viewers, and the frames that bring it up
    to date; None if there is no such pact, or none this person may read yet."""
    pact = Pact.objects.filter(pk=pk).first()
    if pact is None or not policies.can_read_pact(user, pact):
        return None
    pact_services.enter_page(pact, channel_name)
    return _pact_catch_up(pact, after)


def _pact_catch_up(pact: Pact, after: int | None) -> list[dict]:
    """The events after `after` then `resynced`; or, for a client that gave no number or
    is too far behind, a `snapshot` saying only where the stream is: the page itself is
    the snapshot, and the client reloads it."""
    now = timezone.now().isoformat()
    events = live.events_after(pact, PactEvent, after) if after is not None else None
    if events is None:
        last = Pact.objects.values_list("last_seq", flat=True).get(pk=pact.pk)
        return [{"type": "snapshot", "seq": last, "now": now}]
    last = events[-1].seq if events else after
    return [*map(live.frame, events), {"type": "resynced", "seq": last, "now": now}]


class PactConsumer(SequencedConsumer):
    """Someone reading a pact's page: new amendments, support counts, decisions and
    steps as they happen, and how many are reading. Anyone may read a pact; nothing is
    done over this socket but catching up."""

    async def connect(self):
        self.language = _language(self.scope)
        await self.accept()
        self.pk = self.scope["url_route"]["kwargs"]["pk"]
        await self.join(Pact(pk=self.pk).group_name)
        frames = await _enter_pact(self.scope.get("user"), self.pk, self.name, _after(self.scope))
        if frames is None:
            await self.close(code=CLOSE_NO_MEETING)
            return
        await self._catch_up(frames)

    async def forget(self, name: str) -> None:
        await database_sync_to_async(pact_services.leave_page)(name)

    def replay(self, after: int) -> list[dict]:
        return _pact_catch_up(Pact(pk=self.pk), after)

    async def act(self, message: dict) -> dict | None:
        raise BadMessage(_("This channel accepts only “resync”: act on the page itself."))


def _after(scope) -> int | None:
    """The `after` of the URL's query string, if it is a number."""
    values = parse_qs(scope.get("query_string", b"").decode()).get("after", [])
    if values and re.fullmatch(r"[0-9]{1,10}", values[0]) and int(values[0]) <= ID_MAX:
        return int(values[0])
    return None
