"""Benchmark of a live meeting room: a chair's comments reach N signed-in sockets of the
real application, in one process with the in-memory layer and in two with Redis, against
a bare `websockets` server. uvicorn, open loop.

    .venv/bin/python bench/live_fanout.py [--clients 2000] [--events 200] [--rate 10]

As in a large hearing followed from phones: N WebSocket clients join one meeting's room
at `/ws/meetings/<pk>/` of `config.asgi` (the real `MeetingRoomConsumer`, its session
authentication, origin check, permissions, snapshot and relay), each signed in as its
own user through a `sessionid` cookie; they are observers (anyone signed in may watch),
the first of them is the meeting's chair. Once every socket has its snapshot the chair
opens the meeting over the socket (`meeting.open`; the `meeting.state` event reaching
every socket is the start line), then sends M `comment.post` messages at R a second
on a fixed schedule whatever the server does (open loop). Each text carries the
index of the comment and the `time.monotonic_ns()` at which it was written to the
socket; every client notes when it reads the matching `comment.posted` frame, and the
latency of that delivery is the difference (the clients and the chair run in this
process, so the clocks are one). The run waits until every socket has every comment,
or --drain seconds after the last was sent; a delivery that has not come by then is
lost. Each socket also checks the protocol: sequence numbers one after the other (a
jump is a gap a real client would have to resync), no frame at or below the number it
has (a duplicate it would have to ignore), no comment twice.

Runs, one after the other against the same scratch database (a SQLite file in a
temporary directory, or with --postgres a database `yishi_bench_fanout` created and
dropped), each with a fresh meeting and the same N users and sessions:

  (a) `uvicorn config.asgi:application` in one process with `REDIS_URL` unset, so the
      project's settings choose `channels.layers.InMemoryChannelLayer` (and the local
      memory cache).
  (b) `uvicorn --workers 2` with `REDIS_URL` set, so the settings choose
      `channels_redis.pubsub.RedisPubSubChannelLayer`: the pub/sub layer maps a group
      to one Redis channel and each process to one subscription per group, so an
      event is published once and reaches each process once, and the per-process
      relay (`deliberation.relay`) fans it out to its local sockets. The core
      `channels_redis.core.RedisChannelLayer` would push a copy into a list per channel
      of the group and have every channel poll for it; with the relay that is only
      one channel per process, but with a plain `group_add` per socket it is one list
      push per socket, which is what falls seconds behind. Both layers are at most
      once; the sequence numbers and replay cover that. Redis is the one on
      127.0.0.1:6379 if it answers (keys and channels under the prefix
      `yishi-bench-fanout`), else a private `redis-server` on a free port, stopped at
      the end.
  (c) the baseline: `bench/_fanout_baseline.py`, a bare `websockets` server in one
      process that numbers what the chair's socket sends and writes it to every socket
      with `websockets.broadcast`; the same clients, the same schedule.

The servers run with DEBUG off and no access log, each in its own process group,
stopped whatever happens. The clients are a small WebSocket client on asyncio's
protocol layer (uvloop), in one process: in the earlier version of this benchmark one
process reading 20,000 frames a second through the `websockets` library was the limit
on this machine; this client parses a frame in a few microseconds (2,000 sockets at 10
comments a second: 28-41% of a CPU here). How late its event loop woke up is shown
(`client lag`), with the CPU each side used and waited for while the comments were
being sent and delivered (from /proc), so one can tell what limits a run.

Prints a table per run; the last line is the summary of the worse of (a) and (b) (any
loss, else the higher p99) against the baseline. Asserts nothing about time.
"""

import argparse
import asyncio
import base64
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT, fresh_database, say, uvicorn_server

PREFIX = "yishi-bench-fanout"
SETTINGS_MODULE = f"""\
from config.settings import *  # noqa: F403

if REDIS_URL:  # noqa: F405
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = {PREFIX!r}  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = {PREFIX!r}  # noqa: F405
"""
TEXT = re.compile(r"bench (\d+) t=(\d+)")
TICK = os.sysconf("SC_CLK_TCK")
HANDSHAKES = 100  # connections being opened at once


@dataclass
class Run:
    name: str
    description: str
    options: argparse.Namespace = field(repr=False)
    latencies: list[float] = field(default_factory=list)  # ms, first deliveries
    slowest: dict[int, float] = field(default_factory=dict)  # comment → its slowest delivery
    acks: list[float] = field(default_factory=list)  # ms, chair's send to its `ok`
    duplicates: int = 0  # a comment a socket had already
    ignored: int = 0  # sequenced frames at or below the socket's number
    gaps: int = 0
    refused: list[str] = field(default_factory=list)  # sockets that never got a snapshot
    closed: Counter = field(default_factory=Counter)  # close codes during the run
    errors: list[str] = field(default_factory=list)  # `error` frames to the chair
    others: Counter = field(default_factory=Counter)  # other frames, by type
    connect_seconds: float = 0.0
    connecting: "Usage | None" = None  # CPU while the sockets connected
    sending: "Usage | None" = None  # CPU from the first comment sent to the drain
    client_lag: float = 0.0  # ms
    sender_lag: float = 0.0  # ms
    drained: float = 0.0  # s from the last comment sent to the last delivery
    load: tuple[float, float] = (0.0, 0.0)
    sockets: dict[int, int] = field(default_factory=dict)  # server pid → connections

    @property
    def clients(self) -> int:
        return self.options.clients

    @property
    def events(self) -> int:
        return self.options.events

    @property
    def expected(self) -> int:
        return self.clients * self.events

    @property
    def lost(self) -> int:
        return self.expected - len(self.latencies)

    def percentile(self, share: float, values: list[float] | None = None) -> float:
        """Nearest rank; NaN when nothing arrived."""
        values = self.latencies if values is None else values
        if not values:
            return float("nan")
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    @property
    def badness(self) -> tuple[bool, float]:
        return (self.lost > 0, self.percentile(0.99))


# --- the database (this process) ------------------------------------------------------


def build_rooms(count: int, meetings: int) -> tuple[list[str], list[int]]:
    """`count` users, each with a signed-in session as Django's login writes it (built in
    bulk: the same rows `SessionStore.create()` writes), and `meetings` scheduled hearings
    of one community, chaired by the first user, each with one agenda item.
    Returns the users' `Cookie` headers and the meetings' ids."""
    from datetime import timedelta
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.contrib.sessions.backends.base import VALID_KEY_CHARS
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from deliberation.models import AgendaItem, Community, Meeting, User

    users = User.objects.bulk_create(
        (
            User(
                phone=f"+86137{n:08d}",
                phone_verified=True,
                display_name=f"居民{n}",
                password=make_password(None),
            )
            for n in range(count)
        ),
        batch_size=500,
    )
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    session_model = store_class.get_model_class()
    store = store_class()
    expire = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE)
    sessions, cookies = [], []
    for user in users:
        key = get_random_string(32, VALID_KEY_CHARS)
        data = {
            "_auth_user_id": str(user.pk),
            "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
            "_auth_user_hash": user.get_session_auth_hash(),
        }
        sessions.append(session_model(key, store.encode(data), expire))
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={key}")
    session_model.objects.bulk_create(sessions, batch_size=500)

    community = Community.objects.create(name="压测社区", district="压测区")
    ids = []
    for number in range(1, meetings + 1):
        meeting = Meeting.objects.create(
            community=community,
            kind=Meeting.Kind.HEARING,
            title=f"3号楼2单元加装电梯听证会（压测{number}）",
            starts_at=timezone.now(),
            venue="社区活动室",
            chair=users[0],
        )
        AgendaItem.objects.create(meeting=meeting, position=1, title="加装电梯方案")
        ids.append(meeting.pk)
    return cookies, ids


# --- the clients (this process) -------------------------------------------------------


def frame(opcode: int, payload: bytes) -> bytes:
    """A client's frame: final, masked as RFC 6455 requires."""
    size = len(payload)
    if size < 126:
        head = bytes([0x80 | opcode, 0x80 | size])
    elif size < 1 << 16:
        head = bytes([0x80 | opcode, 0xFE]) + size.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0xFF]) + size.to_bytes(8, "big")
    key = os.urandom(4)
    keys = (key * (size // 4 + 1))[:size]
    masked = (int.from_bytes(payload, "big") ^ int.from_bytes(keys, "big")).to_bytes(size, "big")
    return head + key + masked


class Client(asyncio.Protocol):
    """One socket: the opening handshake, then server frames parsed as they come (the
    server never masks, the frames are small), pings answered, closes acknowledged."""

    def __init__(self, room: "Room", request: bytes):
        loop = asyncio.get_running_loop()
        self.room = room
        self.request = request
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.fragments = bytearray()
        self.upgraded = False
        self.seq: int | None = None
        self.received = bytearray(room.run.events)
        self.count = 0
        self.opened = False
        self.ready = loop.create_future()  # the snapshot
        self.gone = loop.create_future()

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(f"closed before the snapshot: {exc}"))
        if not self.gone.done():
            self.gone.set_result(None)

    def send_json(self, message: dict) -> None:
        self.transport.write(frame(0x1, json.dumps(message).encode()))

    def close(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(frame(0x8, (1000).to_bytes(2, "big")))

    def data_received(self, data: bytes) -> None:
        now = time.monotonic_ns()
        buffer = self.buffer
        buffer += data
        if not self.upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[: buffer.find(b"\r\n")]).decode(errors="replace")
            del buffer[: end + 4]
            if not status.startswith("HTTP/1.1 101"):
                if not self.ready.done():
                    self.ready.set_exception(ConnectionError(status))
                self.transport.close()
                return
            self.upgraded = True
        at, size = 0, len(buffer)
        while size - at >= 2:
            first, second = buffer[at], buffer[at + 1]
            length, start = second & 0x7F, at + 2
            if length == 126:
                if size - at < 4:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 4], "big"), at + 4
            elif length == 127:
                if size - at < 10:
                    break
                length, start = int.from_bytes(buffer[at + 2 : at + 10], "big"), at + 10
            if start + length > size:
                break
            payload = bytes(buffer[start : start + length])
            at = start + length
            opcode = first & 0x0F
            if opcode in (0x0, 0x1):
                if not first & 0x80:
                    self.fragments += payload
                    continue
                if self.fragments:
                    payload, self.fragments = bytes(self.fragments + payload), bytearray()
                self.room.receive(self, payload, now)
            elif opcode == 0x9:
                self.transport.write(frame(0xA, payload))
            elif opcode == 0x8:
                code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                if not self.room.closing:
                    self.room.run.closed[code] += 1
                if not self.ready.done():
                    self.ready.set_exception(ConnectionError(f"closed with code {code}"))
                self.transport.write(frame(0x8, payload[:2]))
                self.transport.close()
                break
        del buffer[:at]


class Room:
    """The clients of one run and what they have read."""

    def __init__(self, run: Run, port: int, path: str, cookies: list[str] | None):
        self.run, self.port, self.path, self.cookies = run, port, path, cookies
        self.clients: list[Client] = []
        self.chair: Client | None = None
        self.sent: dict[int, int] = {}  # comment index → monotonic ns
        self.complete = 0
        self.all_in = asyncio.Event()
        self.opened = 0
        self.all_open = asyncio.Event()
        self.last_read = 0
        self.closing = False

    def request(self, number: int) -> bytes:
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [
            f"GET {self.path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key}",
            "Sec-WebSocket-Version: 13",
            f"Origin: http://127.0.0.1:{self.port}",
        ]
        if self.cookies:
            lines.append(f"Cookie: {self.cookies[number]}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    def receive(self, client: Client, payload: bytes, now: int) -> None:
        message = json.loads(payload)
        kind, seq = message.get("type"), message.get("seq")
        if kind == "snapshot":
            client.seq = message["seq"]
            if not client.ready.done():
                client.ready.set_result(None)
            return
        if seq is None:
            if client is self.chair and kind in ("ok", "error"):
                self.answered(message, now)
            else:
                self.run.others[kind] += 1
            return
        if client.seq is None or seq <= client.seq:
            self.run.ignored += 1
            return
        if seq != client.seq + 1:
            self.run.gaps += 1
        client.seq = seq
        if kind == "comment.posted":
            found = TEXT.fullmatch(message["comment"]["text"])
            if found is None:
                self.run.others["comment.posted (not the bench's)"] += 1
                return
            index = int(found[1])
            if client.received[index]:
                self.run.duplicates += 1
                return
            client.received[index] = 1
            latency = (now - int(found[2])) / 1e6
            self.run.latencies.append(latency)
            if latency > self.run.slowest.get(index, 0.0):
                self.run.slowest[index] = latency
            self.last_read = max(self.last_read, now)
            client.count += 1
            if client.count == self.run.events:
                self.complete += 1
                if self.complete == len(self.clients):
                    self.all_in.set()
        elif kind == "meeting.state" and message.get("state") == "open" and not client.opened:
            client.opened = True
            self.opened += 1
            if self.opened == len(self.clients):
                self.all_open.set()
        else:
            self.run.others[kind] += 1

    def answered(self, message: dict, now: int) -> None:
        ref = message.get("ref") or ""
        if message["type"] == "error":
            self.run.errors.append(f"{ref}: {message.get('code')} {message.get('message')}")
        elif ref.startswith("c") and int(ref[1:]) in self.sent:
            self.run.acks.append((now - self.sent[int(ref[1:])]) / 1e6)

    async def connect(self) -> None:
        """Open the sockets, at most HANDSHAKES at a time, each until its snapshot; the
        chair's first."""
        loop = asyncio.get_running_loop()
        gate = asyncio.Semaphore(HANDSHAKES)

        async def one(number: int) -> Client | None:
            client = None
            async with gate:
                try:
                    _, client = await loop.create_connection(
                        lambda: Client(self, self.request(number)), "127.0.0.1", self.port
                    )
                    await asyncio.wait_for(client.ready, 120)
                    return client
                except (OSError, TimeoutError) as error:
                    self.run.refused.append(str(error) or type(error).__name__)
                    if client is not None:
                        client.transport.abort()
                    return None

        self.chair = await one(0)
        if self.chair is None:
            raise SystemExit(f"The chair's socket was refused: {self.run.refused[0]}")
        others = await asyncio.gather(*(one(n) for n in range(1, self.run.clients)))
        self.clients = [self.chair] + [client for client in others if client]

    async def open_meeting(self, timeout: float) -> None:
        self.chair.send_json({"type": "meeting.open", "ref": "open"})
        with suppress(TimeoutError):
            await asyncio.wait_for(self.all_open.wait(), timeout)
        if not self.all_open.is_set():
            raise SystemExit(
                f"After {timeout:.0f} s only {self.opened} of {len(self.clients)} sockets "
                f"had the meeting open; the chair's errors: {self.run.errors[:3]}"
            )

    async def send_comments(self, rate: float) -> None:
        """The chair's comments, one every 1/rate s from now, open loop."""
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.2
        for index in range(self.run.events):
            due = start + index / rate
            await asyncio.sleep(max(0.0, due - loop.time()))
            self.run.sender_lag = max(self.run.sender_lag, 1000 * (loop.time() - due))
            sent = time.monotonic_ns()
            self.sent[index] = sent
            text = f"bench {index} t={sent}"
            self.chair.send_json({"type": "comment.post", "text": text, "ref": f"c{index}"})

    async def close(self) -> None:
        self.closing = True
        for client in self.clients:
            client.close()
        with suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.gone for c in self.clients)), 10)
        for client in self.clients:
            client.transport.abort()


async def ticker(run: Run, stop: asyncio.Event) -> None:
    """How late this loop wakes up: large when the clients are short of CPU."""
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.05)
        run.client_lag = max(run.client_lag, 1000 * (loop.time() - before - 0.05))


async def watch(run: Run, room: Room, options, group: int, redis_pid: int | None) -> None:
    """Connect, open the meeting, send the comments, wait for them, disconnect; with the
    CPU the server's processes (and Redis, and this one) used meanwhile."""
    loop = asyncio.get_running_loop()
    began, before = loop.time(), Sample.take(group, redis_pid)
    await room.connect()
    run.connect_seconds = loop.time() - began
    run.connecting = Usage(before, Sample.take(group, redis_pid))
    run.sockets = connections(group, room.port)
    say(f"  {len(room.clients):,} sockets in {run.connect_seconds:.1f} s; opening the meeting …")
    await room.open_meeting(options.drain + 20)
    say(f"  sending {run.events} comments at {options.rate:g}/s …")

    stop = asyncio.Event()
    watcher = asyncio.create_task(ticker(run, stop))
    before = Sample.take(group, redis_pid)
    await room.send_comments(options.rate)
    last_sent = max(room.sent.values())
    with suppress(TimeoutError):
        await asyncio.wait_for(room.all_in.wait(), options.drain)
    run.sending = Usage(before, Sample.take(group, redis_pid))
    if room.all_in.is_set():
        run.drained = max(0, room.last_read - last_sent) / 1e9
    else:
        run.drained = options.drain
    run.load = os.getloadavg()[:2]
    stop.set()
    await watcher
    await room.close()


def clients_run(run: Run, options, port: int, path: str, cookies, group: int, redis_pid=None):
    import uvloop

    room = Room(run, port, path, cookies)
    uvloop.run(watch(run, room, options, group, redis_pid))


# --- the processes --------------------------------------------------------------------


def group_pids(group: int) -> list[int]:
    """The processes of a process group."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with suppress(OSError, IndexError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == group:
                    pids.append(int(entry.name))
    return pids


def times(pid: int) -> tuple[float, float]:
    """CPU seconds a process has used (user + system, all its threads), and seconds its
    threads have spent ready to run but waiting for a CPU (the scheduler's run delay)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    waited = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with suppress(OSError):
            waited += int((task / "schedstat").read_text().split()[1])
    return (int(fields[11]) + int(fields[12])) / TICK, waited / 1e9


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (all CPUs, all processes)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:8]]
    return (sum(values) - values[3] - values[4]) / TICK  # less idle and iowait


@dataclass
class Sample:
    at: float
    server: dict[int, tuple[float, float]]
    clients: tuple[float, float]
    redis: tuple[float, float] | None
    machine: float

    @classmethod
    def take(cls, group: int, redis_pid: int | None) -> "Sample":
        server = {}
        for pid in group_pids(group):
            with suppress(OSError):
                server[pid] = times(pid)
        return cls(
            time.monotonic(),
            server,
            times(os.getpid()),
            times(redis_pid) if redis_pid else None,
            machine_busy(),
        )


@dataclass
class Usage:
    """CPU over a stretch of time, in % of one CPU: used, and waited for (ready to run,
    no CPU free), by the server's processes, the clients (this process) and Redis; and
    what the whole machine used, so what other work took."""

    server: dict[int, tuple[float, float]]  # pid → used, waited
    clients: tuple[float, float]
    redis: tuple[float, float] | None
    machine: float
    pressure: str

    def __init__(self, before: Sample, after: Sample):
        seconds = max(after.at - before.at, 1e-9)

        def share(then: tuple[float, float], now: tuple[float, float]) -> tuple[float, float]:
            return tuple(100 * (b - a) / seconds for a, b in zip(then, now, strict=True))

        self.server = {
            pid: share(before.server.get(pid, (0.0, 0.0)), used)
            for pid, used in sorted(after.server.items())
        }
        self.clients = share(before.clients, after.clients)
        self.redis = share(before.redis, after.redis) if after.redis else None
        self.machine = 100 * (after.machine - before.machine) / seconds
        self.pressure = cpu_pressure()

    @property
    def server_used(self) -> float:
        return sum(used for used, _ in self.server.values())

    @property
    def server_waited(self) -> float:
        return sum(waited for _, waited in self.server.values())

    @property
    def others(self) -> float:
        ours = self.server_used + self.clients[0] + (self.redis[0] if self.redis else 0)
        return max(0.0, self.machine - ours)


def cpu_pressure() -> str:
    """The share of the last 10 s in which some task waited for a CPU (Linux PSI)."""
    with suppress(OSError, IndexError):
        return Path("/proc/pressure/cpu").read_text().split()[1].split("=")[1] + "%"
    return "–"


def connections(group: int, port: int) -> dict[int, int]:
    """How many established connections to `port` each process of the group holds: the
    sockets it serves."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":
                    inodes.add(f"socket:[{fields[9]}]")
    counts = {}
    for pid in group_pids(group):
        with suppress(OSError):
            held = sum(1 for d in Path(f"/proc/{pid}/fd").iterdir() if os.readlink(d) in inodes)
            if held:
                counts[pid] = held
    return counts


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def redis():
    """The Redis on 127.0.0.1:6379 (its pid unknown: None), or a private one on a free
    port, stopped at the end. Yields its URL and pid."""
    if answers(6379):
        yield "redis://127.0.0.1:6379/0", None
        return
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("No Redis on 127.0.0.1:6379 and no redis-server to start one.")
    port = free_port()
    say(f"No Redis on 6379: starting a private one on port {port} …")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            if answers(port):
                break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0", server.pid
    finally:
        server.terminate()
        server.wait(timeout=10)


def wait_for(port: int, log: Path, server: subprocess.Popen, processes: int) -> None:
    """Until the port answers and every worker has loaded the application."""
    deadline = time.monotonic() + 90
    while not answers(port) or log.read_text().count("Started server process") < processes:
        if server.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"The server did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.25)


@contextmanager
def application(directory: Path, port: int, workers: int, redis_url: str | None):
    """uvicorn serving `config.asgi:application` with the run's settings module;
    yields its process group and log."""
    if answers(port):
        raise SystemExit(f"Port {port} is already in use; choose another with --port.")
    (directory / "yishi_bench_fanout_settings.py").write_text(SETTINGS_MODULE)
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "yishi_bench_fanout_settings",
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
        "YISHI_ENV": "dev",
        "DEBUG": "0",
    }
    if redis_url:
        env["REDIS_URL"] = redis_url
    log = directory / f"uvicorn-{workers}.log"
    app = "config.asgi:application"
    with uvicorn_server(app, env, port, workers, log, "--lifespan", "off") as server:
        wait_for(port, log, server, workers)
        yield server.pid, log


@contextmanager
def baseline(directory: Path, port: int):
    """The bare `websockets` server, in a process group of its own; yields the group."""
    if answers(port):
        raise SystemExit(f"Port {port} is already in use; choose another with --port.")
    log = directory / "baseline.log"
    script = Path(__file__).with_name("_fanout_baseline.py")
    with log.open("w") as output:
        server = subprocess.Popen(
            [sys.executable, str(script), str(port)],
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 30
        while not answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"The baseline did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        yield server.pid, log
    finally:
        if server.poll() is None:
            os.killpg(server.pid, 15)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, 9)
                server.wait(timeout=5)


# --- the report -----------------------------------------------------------------------


def errors_in(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "Error" in line or "Traceback" in line]


def report(run: Run, rate: float, log_errors: list[str]) -> None:
    print(f"\n({run.name}) {run.description}")

    def ms(value: float) -> str:
        return "–" if value != value else f"{value:,.0f}" if value >= 100 else f"{value:.1f}"

    rows = [
        ("sockets", f"{run.clients - len(run.refused):,} of {run.clients:,}"),
        ("connect s", f"{run.connect_seconds:.1f}"),
        ("deliveries", f"{len(run.latencies):,} of {run.expected:,}"),
        ("lost", f"{run.lost:,}"),
        ("duplicates", f"{run.duplicates:,}"),
        ("seq gaps / ignored", f"{run.gaps:,} / {run.ignored:,}"),
        (
            "latency ms",
            "p50 {} · p95 {} · p99 {} · max {} · mean {}".format(
                *(ms(run.percentile(s)) for s in (0.5, 0.95, 0.99)),
                ms(max(run.latencies, default=float("nan"))),
                ms(statistics.fmean(run.latencies) if run.latencies else float("nan")),
            ),
        ),
        (
            "chair's ok ms",
            f"p50 {ms(run.percentile(0.5, run.acks))} · p99 {ms(run.percentile(0.99, run.acks))}"
            f" ({len(run.acks)} of {run.events})",
        ),
        ("drain s", f"{run.drained:.1f}"),
        ("client lag ms", f"{run.client_lag:.0f} (sender {run.sender_lag:.0f})"),
        ("load", f"{run.load[0]:.1f} (5 min {run.load[1]:.1f})"),
        ("sockets by process", " + ".join(f"{n:,}" for n in run.sockets.values())),
    ]
    rows.append(("slowest by second", timeline(run, rate)))
    for label, usage in (("connecting", run.connecting), ("sending", run.sending)):
        rows += cpu_rows(label, usage, run.sockets)
    if run.closed:
        rows.append(("closed by server", ", ".join(f"{c}×{n}" for c, n in run.closed.items())))
    if run.refused:
        rows.append(("refused", f"{len(run.refused)}, e.g. {run.refused[0]}"))
    if run.errors:
        rows.append(("chair's errors", f"{len(run.errors)}, e.g. {run.errors[0]}"))
    if run.others:
        rows.append(("other frames", ", ".join(f"{k} {n:,}" for k, n in run.others.items())))
    for label, value in rows:
        print(f"  {label:20} {value}")
    if log_errors:
        print(f"  server log: {len(log_errors)} error lines, first: {log_errors[0][:140]}")


SHORT = {"a": "(a) 1 process, in-memory", "b": "(b) 2 processes, Redis", "c": "(c) bare websockets"}


def summary(runs: list[Run]) -> None:
    """One table of the runs; CPU in % of one CPU, while the comments were sent and
    delivered: used / waited for."""
    columns = ["sockets", "lost", "dup", "gaps", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    columns += ["connect s", "server CPU", "clients CPU", "other work", "client lag", "load"]
    print("\n" + f"{'':26}" + "".join(f"{c:>12}" for c in columns))
    for run in runs:
        usage = run.sending
        cells = [f"{run.clients - len(run.refused):,}", f"{run.lost:,}", f"{run.duplicates:,}"]
        cells += [f"{run.gaps:,}"]
        cells += [f"{run.percentile(s):,.1f}" for s in (0.5, 0.95, 0.99)]
        cells += [f"{max(run.latencies, default=float('nan')):,.1f}"]
        cells += [f"{run.connect_seconds:.1f}"]
        cells += [f"{usage.server_used:.0f}/{usage.server_waited:.0f}"]
        cells += [f"{usage.clients[0]:.0f}/{usage.clients[1]:.0f}", f"{usage.others:.0f}"]
        cells += [f"{run.client_lag:.0f} ms", f"{run.load[0]:.1f}"]
        print(f"{SHORT[run.name]:26}" + "".join(f"{c:>12}" for c in cells))


def timeline(run: Run, rate: float) -> str:
    """The slowest delivery of the comments sent in each second, in ms: a server that
    falls behind shows a rising line, a pause a bump."""
    per_second = max(1, round(rate))
    seconds = [
        max(
            (run.slowest[i] for i in range(start, start + per_second) if i in run.slowest),
            default=float("nan"),
        )
        for start in range(0, run.events, per_second)
    ]
    return " ".join("–" if v != v else f"{v:.0f}" for v in seconds)


def cpu_rows(label: str, usage: Usage, serving) -> list[tuple[str, str]]:
    """CPU % (of one CPU) used / waited for, while connecting or sending."""
    by_process = " + ".join(
        "{:.0f}/{:.0f}".format(*usage.server.get(pid, (0, 0))) for pid in serving
    )
    rows = [
        (
            f"CPU {label}",
            f"server {usage.server_used:.0f}/{usage.server_waited:.0f} ({by_process}) · "
            f"clients {usage.clients[0]:.0f}/{usage.clients[1]:.0f}"
            + (f" · Redis {usage.redis[0]:.0f}/{usage.redis[1]:.0f}" if usage.redis else ""),
        ),
        (
            "",
            f"machine {usage.machine:.0f} of {100 * os.cpu_count()}, other work "
            f"{usage.others:.0f}; CPU pressure {usage.pressure}",
        ),
    ]
    return rows


def raise_file_limit() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--events", type=int, default=200, help="comments the chair sends")
    parser.add_argument("--rate", type=float, default=10, help="comments per second")
    parser.add_argument("--drain", type=float, default=10, help="seconds to wait at most")
    parser.add_argument("--runs", default="abc", help="which of a, b, c (default all)")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--postgres", action="store_true", help="instead of SQLite")
    options = parser.parse_args()
    if not options.runs or not set(options.runs) <= set("abc"):
        parser.error("--runs takes some of a, b and c")

    limit = raise_file_limit()
    if limit < options.clients + 200:
        raise SystemExit(f"{options.clients} sockets need more file descriptors ({limit}).")
    say(f"Load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs.")
    shape = f"{options.clients:,} sockets, {options.events} comments at {options.rate:g}/s"
    runs, base = [], None

    def measure(run: Run, path: str, cookies, server, redis_pid=None) -> Run:
        group, log = server
        clients_run(run, options, options.port, path, cookies, group, redis_pid)
        report(run, options.rate, errors_in(log))
        return run

    with (
        tempfile.TemporaryDirectory(prefix="yishi-bench-fanout-") as directory,
        fresh_database("yishi_bench_fanout", options.postgres) as database,
    ):
        from django.db import connections

        say(f"Creating {options.clients:,} users with signed-in sessions and the meetings …")
        cookies, meetings = build_rooms(options.clients, 2)
        connections.close_all()
        directory = Path(directory)
        real = f"{shape}; observers, the first the chair; {database}, DEBUG off"
        if "a" in options.runs:
            say("(a) one process, in-memory layer …")
            run = Run("a", f"one uvicorn process, InMemoryChannelLayer; {real}", options)
            with application(directory, options.port, 1, None) as server:
                runs.append(measure(run, f"/ws/meetings/{meetings[0]}/", cookies, server))
        if "b" in options.runs:
            say("(b) two processes, Redis pub/sub layer …")
            run = Run("b", f"uvicorn --workers 2, RedisPubSubChannelLayer; {real}", options)
            with (
                redis() as (redis_url, redis_pid),
                application(directory, options.port, 2, redis_url) as server,
            ):
                path = f"/ws/meetings/{meetings[1]}/"
                runs.append(measure(run, path, cookies, server, redis_pid))
        if "c" in options.runs:
            say("(c) baseline: a bare websockets server …")
            run = Run("c", f"bare websockets server, one process; {shape}", options)
            with baseline(directory, options.port) as server:
                base = measure(run, "/ws/meetings/0/", None, server)

    summary(runs + [base] if base else runs)
    if not runs:
        return
    worst = max(runs, key=lambda run: run.badness)
    p99 = worst.percentile(0.99)
    line = (
        f"clients={options.clients} events={options.events} rate={options.rate:g} "
        f"lost={worst.lost} p50_ms={worst.percentile(0.5):.1f} p99_ms={p99:.1f}"
    )
    if base is not None:
        base_p99 = base.percentile(0.99)
        line += f" baseline_p99_ms={base_p99:.1f} ratio={p99 / base_p99:.2f}"
    print(f"\nThe worse of {' and '.join(f'({r.name})' for r in runs)}: ({worst.name}).")
    print(line)


if __name__ == "__main__":
    main()
