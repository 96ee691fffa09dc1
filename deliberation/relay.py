"""The per-process relay: one channel-layer subscription per room and process, whatever
the number of sockets watching the room here.

A consumer does not join the room's group itself; it asks the relay, which subscribes
the process on the first local join and unsubscribes it on the last leave. Each event is
encoded once and the same text frame goes to every local socket of the room: no
channel-layer message, no deserialisation and no dispatch per socket. Events carry only
what is public to the room, so nothing is filtered per person here.

Each socket has its own outbox: the frames waiting for it, written in order by a task of
its own, so delivering an event to the room puts it in every outbox and never waits for
one socket. A socket that falls `OUTBOX_LIMIT` frames behind (a phone that stopped
reading, its connection's buffer full) is dropped and closed with `CLOSE_TOO_SLOW`: its
client reconnects and catches up by number, as after any lost connection.

An event marked `"coalesce": True` is a refresh hint ("fetch the figures again"): of
the hints of one type, a room forwards the first at once and then at most one per
`COALESCE_INTERVAL`, always the last one received (a trailing edge), so 75 ballots a
second make at most one refresh a second per socket and the last change is never
missed. A held hint may be overtaken by later events that are not coalesced; it says
only "fetch again", so its place in the stream does not matter.

Low level, like the broadcaster: consumers call it; it imports no consumer and no
service. It lives on the running event loop (uvicorn runs one per worker; tests start
one per test), so each loop has its own relay and subscriptions.
"""

from __future__ import annotations

import asyncio
import json
import logging
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol

from channels.layers import get_channel_layer

logger = logging.getLogger(__name__)

COALESCE_INTERVAL = 1.0
"""Seconds between two forwarded refresh hints of one type in one room."""
OUTBOX_LIMIT = 256
"""Frames that may wait for one socket; one more and the socket is dropped."""
CLOSE_TOO_SLOW = 4408
"""The close code of a socket dropped for falling too far behind."""


class Socket(Protocol):
    """What the relay needs of a consumer: Channels' websocket consumers have it."""

    async def send(self, text_data: str | None = None) -> None: ...

    async def close(self, code: int | None = None) -> None: ...


def encode(event: dict[str, Any]) -> str:
    """The text frame every socket of the room receives: the event without the relay's
    own marker."""
    return json.dumps(
        {key: value for key, value in event.items() if key != "coalesce"},
        ensure_ascii=False,
        separators=(",", ":"),
    )


@dataclass
class _Hints:
    """The refresh hints of one type in one room: when one last went out, the one held
    back since, and the timer that will send it."""

    sent_at: float = float("-inf")
    held: dict | None = None
    timer: asyncio.Task | None = None


@dataclass
class _Outbox:
    """The frames waiting for one socket, and the task that writes them to it in order."""

    frames: asyncio.Queue
    writer: asyncio.Task | None = None


@dataclass
class _Room:
    group: str
    sockets: dict = field(default_factory=dict)  # each local socket and its outbox
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    busy: int = 0  # joins and leaves waiting for or holding the lock
    layer: Any = None
    channel: str | None = None
    listener: asyncio.Task | None = None
    hints: dict[str, _Hints] = field(default_factory=dict)


class Relay:
    """The rooms watched from one event loop."""

    def __init__(self) -> None:
        self._rooms: dict[str, _Room] = {}
        self._chores: set[asyncio.Task] = set()

    def watching(self, group: str) -> int:
        """How many sockets of this process the group's events are relayed to."""
        room = self._rooms.get(group)
        return len(room.sockets) if room else 0

    async def join(self, group: str, socket: Socket) -> None:
        """Relay the group's events to `socket` from now on; subscribes this process to
        the group if it is the first local socket."""
        async with self._locked(group) as room:
            if room.listener is None:
                await self._subscribe(room)
            if socket not in room.sockets:
                outbox = room.sockets[socket] = _Outbox(asyncio.Queue(OUTBOX_LIMIT))
                outbox.writer = asyncio.create_task(
                    self._write(room, socket, outbox), name=f"relay {room.group} writer"
                )

    async def leave(self, group: str, socket: Socket) -> None:
        """Stop relaying to `socket` (what still waits for it is dropped); the last local
        socket to leave unsubscribes."""
        if group not in self._rooms:
            return
        async with self._locked(group) as room:
            outbox = room.sockets.get(socket)
            if outbox is not None:
                self._forget(room, socket, outbox)
            if not room.sockets and room.listener is not None:
                await self._unsubscribe(room)

    @asynccontextmanager
    async def _locked(self, group: str) -> AsyncIterator[_Room]:
        """The group's room, locked against other joins and leaves of the group (they
        would race with its subscription); forgotten afterwards if nobody uses it."""
        room = self._rooms.get(group)
        if room is None:
            room = self._rooms[group] = _Room(group)
        room.busy += 1
        try:
            async with room.lock:
                yield room
        finally:
            room.busy -= 1
            if not room.busy and not room.sockets and room.listener is None:
                del self._rooms[group]

    async def _subscribe(self, room: _Room) -> None:
        room.layer = get_channel_layer()
        room.channel = await room.layer.new_channel()
        room.listener = asyncio.create_task(self._listen(room), name=f"relay {room.group}")
        try:
            await room.layer.group_add(room.group, room.channel)
        except BaseException:
            await self._stop(room)
            raise

    async def _unsubscribe(self, room: _Room) -> None:
        try:
            await room.layer.group_discard(room.group, room.channel)
        finally:
            await self._stop(room)

    async def _stop(self, room: _Room) -> None:
        """Cancel the room's listener (with the Redis pub/sub layer, cancelling its
        `receive` is what unsubscribes the channel) and drop the hints held back."""
        tasks = [room.listener] + [hints.timer for hints in room.hints.values() if hints.timer]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        room.listener = room.channel = room.layer = None
        room.hints.clear()

    async def _listen(self, room: _Room) -> None:
        while True:
            event = await room.layer.receive(room.channel)
            try:
                if event.get("coalesce"):
                    self._hint(room, event)
                else:
                    self._deliver(room, event)
            except Exception:
                logger.exception("The relay of %s could not forward an event", room.group)
            # The next event may be here already (a burst read at once): let the writers
            # take this one first, so that only a socket that does not keep up falls behind.
            await asyncio.sleep(0)

    def _hint(self, room: _Room, event: dict) -> None:
        hints = room.hints.setdefault(event.get("type", ""), _Hints())
        now = asyncio.get_running_loop().time()
        if hints.timer is None and now >= hints.sent_at + COALESCE_INTERVAL:
            hints.sent_at = now
            self._deliver(room, event)
            return
        hints.held = event
        if hints.timer is None:
            hints.timer = asyncio.create_task(self._send_held(room, hints))

    async def _send_held(self, room: _Room, hints: _Hints) -> None:
        """Send the hint held back once the interval since the last one has passed, and
        again if another was held back meanwhile."""
        loop = asyncio.get_running_loop()
        try:
            while hints.held is not None:
                await asyncio.sleep(hints.sent_at + COALESCE_INTERVAL - loop.time())
                event, hints.held = hints.held, None
                hints.sent_at = loop.time()
                self._deliver(room, event)
        except Exception:
            logger.exception("The relay of %s could not forward a held hint", room.group)
        finally:
            hints.timer = None

    def _deliver(self, room: _Room, event: dict) -> None:
        """Put the event in every local socket's outbox: nothing here waits for a socket."""
        frame = encode(event)
        slow = []
        for socket, outbox in room.sockets.items():
            try:
                outbox.frames.put_nowait(frame)
            except asyncio.QueueFull:
                slow.append((socket, outbox))
        for socket, outbox in slow:
            logger.warning("Dropping a socket of %s too slow to keep up", room.group)
            self._drop(room, socket, outbox)
            self._chore(self._close(socket))

    async def _write(self, room: _Room, socket: Socket, outbox: _Outbox) -> None:
        """Write the socket's frames in order, until it leaves or a write fails."""
        while True:
            frame = await outbox.frames.get()
            try:
                await socket.send(text_data=frame)
            except Exception:
                logger.warning("Dropping a socket of %s whose send failed", room.group)
                self._drop(room, socket, outbox)
                return

    async def _close(self, socket: Socket) -> None:
        try:
            await socket.close(code=CLOSE_TOO_SLOW)
        except Exception:
            logger.warning("Could not close a socket too slow to keep up", exc_info=True)

    def _forget(self, room: _Room, socket: Socket, outbox: _Outbox) -> None:
        """Stop writing to the socket: its writer is cancelled, its frames dropped."""
        del room.sockets[socket]
        if outbox.writer is not asyncio.current_task():
            outbox.writer.cancel()

    def _drop(self, room: _Room, socket: Socket, outbox: _Outbox) -> None:
        """Forget a socket the relay gave up on, unless it left already; if nobody is left
        to relay to, unsubscribe, unless a socket joins first."""
        if room.sockets.get(socket) is not outbox:
            return
        self._forget(room, socket, outbox)
        if not room.sockets:
            self._chore(self.leave(room.group, socket))

    def _chore(self, work) -> None:
        """Run `work` on its own, holding on to it until it is done."""
        chore = asyncio.create_task(work)
        self._chores.add(chore)
        chore.add_done_callback(self._chores.discard)


_relays: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Relay] = weakref.WeakKeyDictionary()


def current() -> Relay:
    """The relay of the running event loop."""
    loop = asyncio.get_running_loop()
    relay = _relays.get(loop)
    if relay is None:
        relay = _relays[loop] = Relay()
    return relay


async def join(group: str, socket: Socket) -> None:
    await current().join(group, socket)


async def leave(group: str, socket: Socket) -> None:
    await current().leave(group, socket)
