"""Benchmark of a burst of online votes over HTTP: uvicorn, PostgreSQL, open loop.

    .venv/bin/python bench/vote_burst.py [--voters 1500] [--rates 75,100,150,200,300,400,600]

As when a chair opens a vote in a large meeting: every voter is signed in and presses
"vote" at a fixed moment, arrivals at a steady rate whatever the server answers (open
loop), so a slow server builds a queue and the queueing counts in the latency, which is
measured from each request's scheduled time.

Creates a PostgreSQL database `yishi_bench_burst` (dropped at the end, also on error),
migrates it, creates the voters with a signed-in session each (the session row Django's
login writes) and a CSRF cookie, and starts `uvicorn config.asgi:application --workers 2`
on 127.0.0.1 with DEBUG off, no access log, and REDIS_URL if a Redis answers on
127.0.0.1:6379. Two kinds of request, one per voter in each burst:

  baseline  POST /bench/insert/: a plain Django view that does one INSERT into a scratch
            table with `connection.cursor()`. It is added without touching the project:
            the run's settings module imports the project's and puts one path in front of
            the project's URLs, so it goes through the same server, middleware (session,
            CSRF, user) and database connection per request as a vote: what any signed-in
            POST costs here before the vote's own work.
  vote      POST /polls/<pk>/vote/ with q<question>=<option>, on a fresh poll (rule
            simple_majority, one yes/no question, one roll entry per voter). Success is a
            303 to /polls/<pk>/receipt/?code=...; redirects are not followed.

First 50 of each one at a time (the cost of one request, no queue), then bursts. After
each burst it checks the database: as many participations, ballots, answers and trace
entries as 303s, every receipt shown stored, none twice (or one scratch row per 303 for
the baseline); at the end, that the trace's hash chain is intact. The rates step up
from the meeting's (the first of --rates) until the first at which p95 reaches the
target (300 ms) or a request fails; if the meeting's rate already fails, they step down
(--down) until one passes. Each kind climbs its own ladder; their bursts alternate.

Prints a table and ratios. It asserts nothing about time.
"""

import argparse
import asyncio
import http.cookiejar
import os
import random
import re
import socket
import subprocess
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from _setup import (
    ROOT,
    open_yes_no_poll,
    postgres_database,
    say,
    start_django,
    uvicorn_server,
    yes_no_options,
)

DATABASE = "yishi_bench_burst"
WARM_UP = 60  # requests of each kind before the first burst, at 30/s
SERIAL = 50  # requests of each kind sent one at a time, for the cost of one request
SCRATCH_TABLE = "bench_insert"
FAILURE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception)\b.*")

SETTINGS_MODULE = """\
from config.settings import *  # noqa: F403

ROOT_URLCONF = "yishi_bench_urls"
# With DEBUG off Django would only mail a failed request's traceback; print it instead.
LOGGING["loggers"]["django.request"] = {"handlers": ["console"], "level": "ERROR"}  # noqa: F405
"""
URLS_MODULE = f"""\
from django.db import connection
from django.http import HttpResponse, HttpResponseForbidden
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as project_urlpatterns


@require_POST
def insert(request):
    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO {SCRATCH_TABLE} (step, user_id) VALUES (%s, %s)",
            [int(request.POST["step"]), request.user.pk],
        )
    response = HttpResponse(status=303)
    response["Location"] = "/bench/inserted/"
    return response


urlpatterns = [path("bench/insert/", insert), *project_urlpatterns]
"""


@dataclass(frozen=True)
class Voter:
    user_id: int
    cookie: str
    csrf: str


@dataclass(frozen=True)
class Request:
    voter: Voter
    path: str
    form: dict
    redirect: str  # where a success sends the voter


@dataclass
class Burst:
    kind: str
    rate: float
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    outcomes: Counter = field(default_factory=Counter)
    receipts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    load: float = 0.0
    connections: int = 0
    lock_waits: int = 0
    waiting_on: dict = field(default_factory=dict)
    consistent: bool = False
    stored: str = ""

    @property
    def sent(self) -> int:
        return len(self.latencies)

    @property
    def succeeded(self) -> int:
        return self.outcomes["303"]

    def percentile(self, share: float) -> float:
        """Nearest rank, in milliseconds; failed requests count with their time."""
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]

    def meets(self, target_ms: float) -> bool:
        return self.consistent and self.succeeded == self.sent and self.percentile(0.95) < target_ms


class Ladder:
    """The rates one kind of request is tried at: up from the meeting's rate until one
    misses the target; if the meeting's rate misses it, down until one meets it."""

    def __init__(self, kind: str, up: list[float], down: list[float], target_ms: float):
        self.kind, self.up, self.down, self.target_ms = kind, up, down, target_ms
        self.bursts: list[Burst] = []

    def next_rate(self) -> float | None:
        if not self.bursts:
            return self.up[0]
        tried = [b.rate for b in self.bursts]
        last = self.bursts[-1]
        if len(tried) <= len(self.up) and tried == self.up[: len(tried)]:
            if last.meets(self.target_ms):
                return self.up[len(tried)] if len(tried) < len(self.up) else None
            if len(tried) > 1:
                return None
            return self.down[0] if self.down else None
        if last.meets(self.target_ms):
            return None
        below = [r for r in self.down if r < last.rate]
        return below[0] if below else None

    def best(self) -> float:
        return max((b.rate for b in self.bursts if b.meets(self.target_ms)), default=0)


# --- the database side (this process) -------------------------------------------------


def create_voters(count: int) -> list[Voter]:
    """`count` users, each signed in with a session as Django's login writes it, and a
    CSRF secret in the cookie. Django accepts the 32-character secret itself in the form
    field (a page would carry it masked, 64 characters; both unmask to the same)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.utils.crypto import get_random_string

    from deliberation.models import User

    users = User.objects.bulk_create(
        User(
            phone=f"+86139{n:08d}",
            phone_verified=True,
            display_name=f"居民{n}",
            password=make_password(None),
        )
        for n in range(count)
    )
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    voters = []
    for user in users:
        session = store_class()
        session.update(
            {
                "_auth_user_id": str(user.pk),
                "_auth_user_backend": "django.contrib.auth.backends.ModelBackend",
                "_auth_user_hash": user.get_session_auth_hash(),
            }
        )
        session.create()
        csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; "
        cookie += f"{settings.CSRF_COOKIE_NAME}={csrf}"
        voters.append(Voter(user.pk, cookie, csrf))
    return voters


def people_poll(title: str, voters: list[Voter], community_id: int):
    """An open poll, simple majority, one yes/no question, one roll entry per voter."""
    from polls.electorate import Head

    heads = [
        Head(key=f"person:{v.user_id}", label=f"居民{v.user_id}", user_id=v.user_id) for v in voters
    ]
    return open_yes_no_poll(title, f"residents:community:{community_id}", "simple_majority", heads)


def check_votes(burst: Burst, poll) -> None:
    """Nothing lost, nothing doubled: one participation, ballot, answer and trace entry for
    each 303, and every receipt a voter was shown is a stored ballot of this poll."""
    from deliberation.models import TraceEntry
    from polls.models import Answer, Ballot, Participation

    participations = Participation.objects.filter(poll=poll).count()
    ballots = Ballot.objects.filter(poll=poll)
    stored = set(ballots.values_list("receipt", flat=True))
    answers = Answer.objects.filter(ballot__poll=poll).count()
    traced = TraceEntry.objects.filter(
        object_type="polls.poll", object_id=str(poll.pk), action="poll.ballot_cast"
    ).count()
    shown = set(burst.receipts)
    burst.consistent = (
        participations == ballots.count() == len(stored) == answers == traced == burst.succeeded
        and shown == stored
        and len(shown) == len(burst.receipts)
    )
    burst.stored = (
        f"{participations} participations, {ballots.count()} ballots, {answers} answers, "
        f"{traced} trace entries; {len(shown)} distinct receipts shown, "
        f"{len(shown - stored)} of them not stored"
    )


def check_inserts(burst: Burst, step: int) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {SCRATCH_TABLE} WHERE step = %s", [step])
        rows = cursor.fetchone()[0]
    burst.consistent = rows == burst.succeeded
    burst.stored = f"{rows} rows inserted"


# --- the server -----------------------------------------------------------------------


def redis_url() -> str:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/0"
    except OSError:
        return ""


@contextmanager
def uvicorn(directory: Path, database_url: str, port: int, workers: int):
    """uvicorn serving the project with the run's settings; stopped (its own process group,
    by id) when the block ends, whatever happens."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"Port {port} is already in use; choose another with --port.")
    (directory / "yishi_bench_settings.py").write_text(SETTINGS_MODULE)
    (directory / "yishi_bench_urls.py").write_text(URLS_MODULE)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "yishi_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT)]),
        "YISHI_ENV": "dev",
        "DEBUG": "0",
        "REDIS_URL": redis_url(),
    }
    log = directory / "uvicorn.log"
    with uvicorn_server("config.asgi:application", env, port, workers, log) as server:
        yield server, env["REDIS_URL"], log


def wait_until_up(base_url: str, server: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"uvicorn stopped:\n{log.read_text()[-3000:]}")
        try:
            httpx.get(f"{base_url}/bench/insert/", timeout=2, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.25)
    raise SystemExit(f"uvicorn did not answer within {seconds:.0f} s:\n{log.read_text()[-3000:]}")


def vote_endpoint_exists(base_url: str, poll, voter: Voter) -> bool:
    """Whether /polls/<pk>/vote/ is served at all (a GET, which casts nothing)."""
    import httpx

    response = httpx.get(
        f"{base_url}/polls/{poll.pk}/vote/",
        headers={"Cookie": voter.cookie},
        timeout=10,
        trust_env=False,
    )
    return response.status_code != 404


# --- the voters (asyncio, in this process) --------------------------------------------


def client(base_url: str, timeout: float):
    """One connection pool for all voters, like a proxy's pool towards uvicorn. Each
    request carries its own voter's cookies; the client keeps none from the answers."""
    import httpx

    refuse_all = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
    return httpx.AsyncClient(
        base_url=base_url,
        cookies=refuse_all,
        timeout=timeout,
        limits=httpx.Limits(max_connections=1000, max_keepalive_connections=1000),
        follow_redirects=False,
        trust_env=False,
    )


async def send(http_client, request: Request, result: Burst) -> None:
    """Post one request and record its outcome: the status, or "303 elsewhere" for a
    redirect to the wrong page, or the name of the transport error."""
    import httpx

    try:
        response = await http_client.post(
            request.path, data=request.form, headers={"Cookie": request.voter.cookie}
        )
    except httpx.HTTPError as error:
        result.outcomes[type(error).__name__] += 1
        return
    outcome = str(response.status_code)
    if outcome == "303":
        location = urlsplit(response.headers.get("location", ""))
        if location.path != request.redirect:
            outcome = "303 elsewhere"
        elif code := parse_qs(location.query).get("code", [""])[0]:
            result.receipts.append(code)
    result.outcomes[outcome] += 1


async def watch_database(database_url: str, result: Burst, done: asyncio.Event) -> None:
    """The most connections the server held to the database at once, the most of them
    waiting for a lock another holds, and on which tables (sampled every 50 ms on a
    connection of our own, which is not counted)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    activity = (
        "SELECT count(*) - 1, count(*) FILTER (WHERE wait_event_type = 'Lock') "
        "FROM pg_stat_activity WHERE datname = %s"
    )
    locks = (
        "SELECT coalesce(c.relname, l.locktype), count(*) FROM pg_locks l "
        "LEFT JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted GROUP BY 1"
    )
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as watcher:
        while not done.is_set():
            connections, waiting = await (await watcher.execute(activity, [name])).fetchone()
            result.connections = max(result.connections, connections)
            if waiting > result.lock_waits:
                result.lock_waits = waiting
                result.waiting_on = dict(await (await watcher.execute(locks)).fetchall())
            await asyncio.sleep(0.05)


async def burst(
    base_url: str, database_url: str, kind: str, rate: float, requests: list[Request], timeout
) -> Burst:
    """Send `requests` at `rate` per second from a fixed schedule, whatever the answers."""
    result = Burst(kind, rate)
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    watcher = asyncio.create_task(watch_database(database_url, result, done))
    async with client(base_url, timeout) as http_client:
        start = loop.time() + 0.2

        async def one(number: int, request: Request) -> None:
            scheduled = start + number / rate
            await asyncio.sleep(scheduled - loop.time())
            result.lags.append(loop.time() - scheduled)
            await send(http_client, request, result)
            result.latencies.append(loop.time() - scheduled)

        await asyncio.gather(*(one(n, request) for n, request in enumerate(requests)))
        result.seconds = loop.time() - start
    done.set()
    await watcher
    result.load = os.getloadavg()[0]
    return result


async def one_at_a_time(base_url: str, requests: list[Request], timeout: float) -> Burst:
    """The requests in turn, each sent when the one before has been answered."""
    result = Burst("one at a time", 0)
    async with client(base_url, timeout) as http_client:
        for request in requests:
            start = time.perf_counter()
            await send(http_client, request, result)
            result.latencies.append(time.perf_counter() - start)
    return result


def vote_requests(poll, voters: list[Voter], rng: random.Random) -> list[Request]:
    question, options = yes_no_options(poll)
    choices = rng.choices(list(options.values()), weights=[6, 3, 1], k=len(voters))
    return [
        Request(
            voter,
            f"/polls/{poll.pk}/vote/",
            {f"q{question}": choice, "csrfmiddlewaretoken": voter.csrf},
            f"/polls/{poll.pk}/receipt/",
        )
        for voter, choice in zip(voters, choices, strict=True)
    ]


def insert_requests(step: int, voters: list[Voter]) -> list[Request]:
    return [
        Request(
            voter,
            "/bench/insert/",
            {"step": step, "csrfmiddlewaretoken": voter.csrf},
            "/bench/inserted/",
        )
        for voter in voters
    ]


# --- the run --------------------------------------------------------------------------


def run(options, directory: Path, database_url: str) -> None:
    from django.db import connection

    from deliberation import trace
    from deliberation.models import Community

    rng = random.Random(options.seed)
    say(f"Creating {options.voters:,} voters with signed-in sessions …")
    voters = create_voters(options.voters)
    community = Community.objects.create(name="基准社区")
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {SCRATCH_TABLE} (id bigserial PRIMARY KEY, step integer NOT NULL, "
            "user_id bigint NOT NULL, at timestamptz NOT NULL DEFAULT now())"
        )
    warm_up_poll = people_poll("预热", voters, community.pk)
    connection.close()  # this script holds no connection while the server works

    base_url = f"http://127.0.0.1:{options.port}"
    say(f"Starting uvicorn with {options.workers} workers on {base_url} …")
    with uvicorn(directory, database_url, options.port, options.workers) as (server, redis, log):
        wait_until_up(base_url, server, log)
        voting = vote_endpoint_exists(base_url, warm_up_poll, voters[0])
        if not voting:
            say("!! /polls/<pk>/vote/ answers 404: the vote endpoint is not there yet.")
            say("!! Only the baseline runs; the harness is exercised with it.")
        some, more = voters[:WARM_UP], voters[WARM_UP : WARM_UP + SERIAL]
        warm_up = {"baseline": insert_requests(0, some)}
        serial = {"baseline": insert_requests(0, more)}
        if voting:
            warm_up["vote"] = vote_requests(warm_up_poll, some, rng)
            serial["vote"] = vote_requests(warm_up_poll, more, rng)
        say(f"Warming up with {WARM_UP} requests of each kind at 30/s …")
        for requests in warm_up.values():
            asyncio.run(burst(base_url, database_url, "warm-up", 30, requests, options.timeout))
        say(f"{SERIAL} requests of each kind one at a time …")
        serial = {
            kind: asyncio.run(one_at_a_time(base_url, requests, options.timeout))
            for kind, requests in serial.items()
        }

        kinds = ["baseline", "vote"] if voting else ["baseline"]
        ladders = [Ladder(kind, options.rates, options.down, options.target_ms) for kind in kinds]
        step = 0
        while any(ladder.next_rate() for ladder in ladders):
            for ladder in ladders:
                rate = ladder.next_rate()
                if rate is None:
                    continue
                step += 1
                if ladder.kind == "vote":
                    poll = people_poll(f"第{step}轮 {rate:.0f}/s", voters, community.pk)
                    requests = vote_requests(poll, voters, rng)
                else:
                    requests = insert_requests(step, voters)
                connection.close()
                say(f"{ladder.kind} burst at {rate:.0f}/s …")
                result = asyncio.run(
                    burst(base_url, database_url, ladder.kind, rate, requests, options.timeout)
                )
                if ladder.kind == "vote":
                    check_votes(result, poll)
                else:
                    check_inserts(result, step)
                ladder.bursts.append(result)
                connection.close()
                time.sleep(1)
        server_log = log.read_text()
    checked, chain_break = trace.verify()

    report(options, serial, ladders, redis)
    if not voting:
        print("\nThe vote endpoint answered 404: only the baseline ran.")
    status = "intact" if chain_break is None else f"BROKEN at #{chain_break.seq}"
    print(f"\nTrace: {checked:,} entries, hash chain {status}.")
    failures = Counter(
        line.strip()[:160] for line in server_log.splitlines() if FAILURE.match(line)
    )
    if failures:
        print("\nThe server logged these failures (the last line of each traceback):")
        for line, times in failures.most_common(5):
            print(f"  {times:5} × {line}")


def report(options, serial: dict[str, Burst], ladders: list[Ladder], redis: str) -> None:
    print(
        f"\n{options.voters:,} signed-in voters per burst, open loop; uvicorn --workers "
        f"{options.workers}, PostgreSQL, channel layer {'Redis' if redis else 'in memory'}, "
        f"DEBUG off, no access log;\n{os.cpu_count()} CPUs shared by server, database and "
        "this client. Latency from each request's scheduled time."
    )
    print(f"\nOne request at a time ({SERIAL} each), no queue: the cost of one request.")
    for kind, one in serial.items():
        print(
            f"  {kind:9} p50 {one.percentile(0.5):6.1f} ms   p95 {one.percentile(0.95):6.1f} ms"
            f"   {one.succeeded} × 303"
        )
    if len(serial) == 2:
        ratio = serial["vote"].percentile(0.5) / serial["baseline"].percentile(0.5)
        print(f"  vote ÷ baseline (p50): {ratio:.1f}")

    bursts = sorted(
        (b for ladder in ladders for b in ladder.bursts), key=lambda b: (b.kind, b.rate)
    )
    columns = ["rate/s", "303", "failed", "p50 ms", "p95 ms", "p99 ms", "max ms", "done/s"]
    columns += ["lag ms", "db conns", "waiting", "load"]
    print("\n" + f"{'':9}" + "".join(f"{c:>9}" for c in columns) + "  stored")
    for b in bursts:
        cells = [b.rate, b.succeeded, b.sent - b.succeeded]
        cells += [b.percentile(p) for p in (0.5, 0.95, 0.99)] + [1000 * max(b.latencies)]
        cells += [b.sent / b.seconds, 1000 * max(b.lags), b.connections, b.lock_waits]
        mark = "" if b.meets(options.target_ms) else "  ← misses the target"
        stored = "consistent" if b.consistent else "INCONSISTENT"
        print(
            f"{b.kind:9}" + "".join(f"{c:9.0f}" for c in cells) + f"{b.load:9.1f}  {stored}{mark}"
        )
    print(
        "\nlag: how late this client itself sent a request (large when it was short of CPU).\n"
        "done/s: requests answered per second of the burst.\n"
        "db conns: the most connections the server held to PostgreSQL at once (max_connections "
        "is 100);\nwaiting: the most of them waiting at once for a lock another holds.\n"
        "load: the 1-minute load average after the burst; above the CPU count, other work "
        "competed.\nstored: as many rows as 303s, every receipt shown stored, none twice."
    )
    print("\nWhat failed, what was stored, and what the waiters waited on:")
    for b in bursts:
        failed = ", ".join(f"{n} × {k}" for k, n in b.outcomes.most_common() if k != "303")
        waits = ", ".join(f"{n} on {what}" for what, n in b.waiting_on.items())
        print(f"  {b.kind:8} {b.rate:4.0f}/s  {failed or 'nothing failed'}; {b.stored}")
        if waits:
            print(f"  {'':15}at the peak, lock waits: {waits}")

    by_rate = {(b.kind, b.rate): b for b in bursts}
    pairs = [
        (rate, vote, by_rate["baseline", rate])
        for (kind, rate), vote in by_rate.items()
        if kind == "vote" and ("baseline", rate) in by_rate
    ]
    if pairs:
        print("\nvote ÷ baseline at the same rate:")
        for rate, vote, base in pairs:
            print(
                f"  {rate:4.0f}/s  p50 {vote.percentile(0.5) / base.percentile(0.5):6.1f}×   "
                f"p95 {vote.percentile(0.95) / base.percentile(0.95):6.1f}×"
            )
    print(f"\nHighest rate with p95 under {options.target_ms:.0f} ms and every request a 303:")
    for ladder in ladders:
        best = ladder.best()
        tried = sorted(b.rate for b in ladder.bursts)
        above = [r for r in tried if r > best]
        if not best:
            print(f"  {ladder.kind:9} none of {', '.join(f'{r:.0f}' for r in tried)}/s")
        else:
            limit = f"missed at {above[0]:.0f}/s" if above else "the highest rate tried"
            print(f"  {ladder.kind:9} {best:.0f}/s ({limit})")
    if len(ladders) == 2 and ladders[0].best() and ladders[1].best():
        print(f"  vote ÷ baseline: {ladders[1].best() / ladders[0].best():.2f}")


def rates(text: str) -> list[float]:
    return [float(rate) for rate in text.split(",") if rate.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--voters", type=int, default=1500)
    parser.add_argument(
        "--rates",
        type=rates,
        default=[75, 100, 150, 200, 300, 400, 600],
        help="arrival rates per second, rising; the first is the meeting's",
    )
    parser.add_argument(
        "--down",
        type=rates,
        default=[50, 30],
        help="falling rates to try when the meeting's rate misses the target",
    )
    parser.add_argument("--target-ms", type=float, default=300)
    parser.add_argument("--timeout", type=float, default=30, help="per request, seconds")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()

    with (
        tempfile.TemporaryDirectory(prefix="yishi-bench-") as directory,
        postgres_database(DATABASE) as database_url,
    ):
        say("Migrating a fresh PostgreSQL database …")
        start_django(database_url)
        run(options, Path(directory), database_url)


if __name__ == "__main__":
    main()
