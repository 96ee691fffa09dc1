"""Benchmark of live fan-out: one room watched by many sockets, per socket or through the
per-process relay. uvicorn, Redis pub/sub channel layer, open loop.

    .venv/bin/python bench/live_fanout.py [--sockets 1000] [--rates 5,10] [--seconds 10]

As in a large meeting whose room pushes events to every phone: N sockets watch one
room, and a separate process sends E events a second to the room's group with
`group_send`, at fixed times whatever the server does (open loop). Each event carries
the time it was sent; the latency of a delivery is from then to the moment a socket
reads it, so a server that falls behind shows it.

It starts `uvicorn --workers 2` on 127.0.0.1 with DEBUG off, no access log and the
Redis pub/sub layer on 127.0.0.1:6379 (or, when no Redis answers there, a private
`redis-server` on a free port that it stops at the end), against a scratch SQLite file
that nothing touches. The run's settings module imports the project's and serves, in
front of nothing else, two tiny consumers that differ only in how they get the events:

  per socket  each socket joins the group with its own channel (`group_add`) and encodes
              each event itself (`send_json`): what the live poll results did before the
              relay, and what Channels does by default.
  relay       each socket asks `deliberation.relay` to join; the process subscribes once
              and sends every local socket the same pre-encoded frame. Like
              `PollResultsConsumer`, the socket has no channel of its own.

For each kind and rate: connect the N sockets (all of them acknowledged by the server
before the first event), send E events a second for --seconds, wait until every socket
has every event or --drain seconds have passed, disconnect. A delivery that has not come
by then counts as lost. The clients run in this process (one uvloop loop); their own
lag is measured and shown, since they share the CPUs with the server.

Prints a table and the ratios; asserts nothing about time.
"""

import argparse
import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from _setup import ROOT, say, uvicorn_server

PREFIX = "yishi-bench-fanout"
KINDS = {"per socket": "plain", "relay": "relayed"}

SETTINGS_MODULE = f"""\
from config.settings import *  # noqa: F403

CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = {PREFIX!r}  # noqa: F405
"""
ASGI_MODULE = """\
import os

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from deliberation import relay  # noqa: E402


class PerSocket(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.group = self.scope["url_route"]["kwargs"]["room"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "pid": os.getpid()})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def bench_event(self, event):
        await self.send_json(event)


class Relayed(AsyncJsonWebsocketConsumer):
    channel_layer_alias = None

    async def connect(self):
        await self.accept()
        self.group = self.scope["url_route"]["kwargs"]["room"]
        await relay.join(self.group, self)
        await self.send_json({"type": "hello", "pid": os.getpid()})

    async def disconnect(self, code):
        if hasattr(self, "group"):
            await relay.leave(self.group, self)


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": URLRouter(
            [
                path("bench/plain/<str:room>/", PerSocket.as_asgi()),
                path("bench/relayed/<str:room>/", Relayed.as_asgi()),
            ]
        ),
    }
)
"""


@dataclass
class Phase:
    kind: str
    rate: float
    sockets: int
    events: int = 0
    latencies: list[float] = field(default_factory=list)
    client_lag: float = 0.0
    sender_lag: float = 0.0
    workers: dict[int, int] = field(default_factory=dict)
    connect_seconds: float = 0.0
    drained: float = 0.0
    load: float = 0.0

    @property
    def expected(self) -> int:
        return self.sockets * self.events

    @property
    def lost(self) -> int:
        return self.expected - len(self.latencies)

    def percentile(self, share: float) -> float:
        """Nearest rank, in milliseconds; NaN when nothing arrived."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


# --- the sender (a separate process) --------------------------------------------------


def send_events(redis_url: str, group: str, rate: float, count: int, start: float) -> None:
    """`count` events to `group`, one every 1/`rate` s from the wall-clock time `start`;
    prints how late it sent, at most, in seconds."""
    from channels_redis.pubsub import RedisPubSubChannelLayer

    async def run() -> float:
        layer = RedisPubSubChannelLayer(hosts=[redis_url], prefix=PREFIX)
        await layer.group_send(f"{group}.nobody", {"type": "bench.warmup"})  # connect first
        lag = 0.0
        for seq in range(count):
            scheduled = start + seq / rate
            await asyncio.sleep(max(0.0, scheduled - time.time()))
            now = time.time()
            lag = max(lag, now - scheduled)
            await layer.group_send(group, {"type": "bench.event", "seq": seq, "sent": now})
        await layer.flush()
        return lag

    print(json.dumps({"lag": asyncio.run(run())}), flush=True)


# --- the clients (this process) -------------------------------------------------------


async def watch_room(url: str, phase: Phase, drain: float, start_sender) -> None:
    """Connect the phase's sockets to `url`, have the sender send its events, collect what
    arrives until every socket has every event or `drain` seconds after the last one."""
    import websockets
    from websockets.asyncio.client import connect

    loop = asyncio.get_running_loop()
    count, events = phase.sockets, phase.events
    received = [0] * count
    all_in = asyncio.Event()
    complete = 0
    ready = asyncio.Semaphore(100)  # handshakes in flight at once
    hellos: list[asyncio.Future] = [loop.create_future() for _ in range(count)]

    async def client(number: int) -> None:
        nonlocal complete
        async with ready:
            connection = await connect(url, max_queue=None, compression=None, open_timeout=60)
        try:
            async for message in connection:
                at = time.time()
                event = json.loads(message)
                if event["type"] == "hello":
                    hellos[number].set_result(event["pid"])
                    continue
                if event["type"] != "bench.event":
                    continue
                phase.latencies.append(at - event["sent"])
                received[number] += 1
                if received[number] == events:
                    complete += 1
                    if complete == count:
                        all_in.set()
        except websockets.ConnectionClosed:
            pass
        finally:
            await connection.close()

    async def ticker(stop: asyncio.Event) -> None:
        """How late this loop wakes up: large when the clients are short of CPU."""
        while not stop.is_set():
            before = loop.time()
            await asyncio.sleep(0.05)
            phase.client_lag = max(phase.client_lag, loop.time() - before - 0.05)

    began = loop.time()
    clients = [asyncio.create_task(client(n)) for n in range(count)]
    for pid in await asyncio.gather(*hellos):
        phase.workers[pid] = phase.workers.get(pid, 0) + 1
    phase.connect_seconds = loop.time() - began

    stop = asyncio.Event()
    watcher = asyncio.create_task(ticker(stop))
    sender, last_due = start_sender()
    wait = max(0.0, last_due - time.time()) + drain
    with suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), wait)
    phase.drained = max(0.0, time.time() - last_due)
    output, _ = await loop.run_in_executor(None, sender.communicate)
    phase.sender_lag = json.loads(output)["lag"]
    stop.set()
    await watcher
    for task in clients:
        task.cancel()
    await asyncio.gather(*clients, return_exceptions=True)


def run_phase(options, base: str, redis_url: str, kind: str, rate: float, step: int) -> Phase:
    import uvloop

    events = max(1, round(rate * options.seconds))
    phase = Phase(kind, rate, options.sockets, events)
    room = f"room{step}"
    url = f"{base}/bench/{KINDS[kind]}/{room}/"

    def start_sender():
        start = time.time() + 1.5  # the sender's own start-up
        command = [sys.executable, __file__, "--send", room, "--redis", redis_url]
        command += ["--rate", str(rate), "--count", str(events), "--start", str(start)]
        sender = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        return sender, start + (events - 1) / rate

    uvloop.run(watch_room(url, phase, options.drain, start_sender))
    phase.load = os.getloadavg()[0]
    return phase


# --- the server -----------------------------------------------------------------------


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
    """The Redis on 127.0.0.1:6379, or a private one on a free port, stopped at the end."""
    if answers(6379):
        yield "redis://127.0.0.1:6379/0"
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
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@contextmanager
def uvicorn(directory: Path, redis_url: str, port: int, workers: int):
    """uvicorn serving the bench consumers; stopped (its own process group, by id) when
    the block ends, whatever happens."""
    if answers(port):
        raise SystemExit(f"Port {port} is already in use; choose another with --port.")
    (directory / "yishi_bench_fanout_settings.py").write_text(SETTINGS_MODULE)
    (directory / "yishi_bench_fanout_asgi.py").write_text(ASGI_MODULE)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{directory / 'scratch.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "yishi_bench_fanout_settings",
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
        "YISHI_ENV": "dev",
        "DEBUG": "0",
        "REDIS_URL": redis_url,
    }
    log = directory / "uvicorn.log"
    app = "yishi_bench_fanout_asgi:application"
    with uvicorn_server(app, env, port, workers, log, "--lifespan", "off") as server:
        deadline = time.monotonic() + 60
        while not answers(port):
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"uvicorn did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        time.sleep(1)  # both workers up
        yield log


# --- the run --------------------------------------------------------------------------


def report(options, phases: list[Phase]) -> None:
    print(
        f"\n{options.sockets:,} sockets watching one room; uvicorn --workers {options.workers}, "
        "Redis pub/sub channel layer, DEBUG off;\nevents sent by group_send from a separate "
        f"process, open loop, for {options.seconds:.0f} s; {os.cpu_count()} CPUs shared by "
        "server, Redis, sender and clients.\nLatency from the time each event was sent to "
        "the time a socket read it."
    )
    columns = ["events/s", "events", "expected", "lost", "p50 ms", "p95 ms", "p99 ms", "max ms"]
    columns += ["drain s", "client lag", "load"]
    print("\n" + f"{'':11}" + "".join(f"{c:>11}" for c in columns) + "  sockets per worker")
    for p in phases:
        cells = [f"{p.rate:.0f}", f"{p.events}", f"{p.expected:,}", f"{p.lost:,}"]
        cells += [f"{p.percentile(s):.0f}" for s in (0.5, 0.95, 0.99)]
        cells += [f"{1000 * max(p.latencies, default=float('nan')):.0f}"]
        cells += [f"{p.drained:.1f}", f"{1000 * p.client_lag:.0f}", f"{p.load:.1f}"]
        spread = " / ".join(str(n) for n in sorted(p.workers.values(), reverse=True))
        print(f"{p.kind:11}" + "".join(f"{c:>11}" for c in cells) + f"  {spread}")
    print(
        "\nexpected: sockets × events; lost: deliveries that had not arrived when every socket "
        f"had all its events or {options.drain:.0f} s after the last event was sent.\n"
        "drain s: from the last event sent to the last one read (or to the give-up).\n"
        "client lag ms: the most this process's event loop woke up late (the clients' share "
        "of CPU).\nload: the 1-minute load average after the phase."
    )
    by_key = {(p.kind, p.rate): p for p in phases}
    print("\nper socket ÷ relay, at the same rate:")
    for rate in options.rates:
        plain, relayed = by_key.get(("per socket", rate)), by_key.get(("relay", rate))
        if plain and relayed and relayed.latencies:
            ratios = "   ".join(
                f"p{round(s * 100)} {plain.percentile(s) / relayed.percentile(s):6.1f}×"
                for s in (0.5, 0.95, 0.99)
            )
            print(f"  {rate:4.0f}/s  {ratios}   lost {plain.lost:,} vs {relayed.lost:,}")
    connects = ", ".join(f"{p.kind} {p.connect_seconds:.1f} s" for p in phases)
    print(f"\nConnecting the sockets took: {connects}.")
    senders = max(p.sender_lag for p in phases)
    print(f"The sender was at most {1000 * senders:.0f} ms late on its schedule.")


def raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def rates(text: str) -> list[float]:
    return [float(rate) for rate in text.split(",") if rate.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sockets", type=int, default=1000)
    parser.add_argument("--rates", type=rates, default=[5, 10], help="events per second")
    parser.add_argument("--seconds", type=float, default=10, help="of sending, per phase")
    parser.add_argument("--drain", type=float, default=10, help="seconds to wait at most")
    parser.add_argument("--port", type=int, default=8767)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--send", help=argparse.SUPPRESS)  # the sender process's group
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--rate", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--start", type=float, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.send:
        send_events(options.redis, options.send, options.rate, options.count, options.start)
        return

    raise_file_limit()
    phases = []
    with (
        tempfile.TemporaryDirectory(prefix="yishi-bench-") as directory,
        redis() as redis_url,
        uvicorn(Path(directory), redis_url, options.port, options.workers) as log,
    ):
        base = f"ws://127.0.0.1:{options.port}"
        step = 0
        for rate in options.rates:
            for kind in KINDS:
                step += 1
                say(f"{kind}: {options.sockets:,} sockets, {rate:.0f} events/s …")
                phases.append(run_phase(options, base, redis_url, kind, rate, step))
                time.sleep(1)
        failures = [line for line in log.read_text().splitlines() if "Error" in line]
    report(options, phases)
    if failures:
        print("\nThe server logged errors; the first ones:")
        for line in failures[:5]:
            print(f"  {line[:160]}")


if __name__ == "__main__":
    main()
