"""What the benchmarks share: a scratch database (a SQLite file or a PostgreSQL
database created for the run and dropped after it), Django on top of it, an open yes/no
poll with a given roll, and uvicorn in a process group of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The maintenance database the bench role connects to in order to create its own.
POSTGRES_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgres://yishi:yishi@127.0.0.1:5432/postgres"
)


def say(message: str) -> None:
    """Progress goes to stderr, so that stdout carries only the figures."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def postgres_database(name: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the run; its URL. Dropped afterwards, also on
    error, with any connection still open to it (a leftover from an aborted run is dropped
    first)."""
    import psycopg

    def execute(statement: str) -> None:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(statement)

    execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    execute(f'CREATE DATABASE "{name}"')
    try:
        yield POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        from django.apps import apps

        if apps.ready:
            from django.db import connections

            connections.close_all()
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_django(database_url: str) -> None:
    """Point Django at `database_url` and migrate it."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("YISHI_ENV", "dev")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


@contextmanager
def fresh_database(name: str, postgres: bool) -> Iterator[str]:
    """Start Django on a freshly migrated scratch database: PostgreSQL (`name`, dropped
    afterwards) or a temporary SQLite file. Yields the database's name for the report."""
    if postgres:
        with postgres_database(name) as url:
            say("Migrating a fresh PostgreSQL database …")
            start_django(url)
            yield "PostgreSQL"
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="yishi-bench-") as directory:
        say("Migrating a fresh SQLite database …")
        start_django(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
        yield "SQLite"


def open_yes_no_poll(title: str, electorate: str, rule_name: str, heads: Iterable):
    """An open poll with one yes/no question whose roll is `heads`, made by the services
    as the back office makes it."""
    from polls import services

    poll = services.create_poll(
        None,
        title=title,
        scope_label=title,
        electorate=electorate,
        rule_name=rule_name,
        questions=[{"kind": "yes_no", "text": f"{title}：是否同意？"}],
    )
    return services.open_poll(None, poll, heads)


def yes_no_options(poll) -> tuple[int, dict[str, int]]:
    """The poll's only question and its option ids by code (yes, no, abstain)."""
    question = poll.questions.get()
    return question.pk, dict(question.options.values_list("code", "pk"))


@contextmanager
def uvicorn_server(
    app: str, env: dict[str, str], port: int, workers: int, log: Path, *options: str
) -> Iterator[subprocess.Popen]:
    """uvicorn serving `app` on 127.0.0.1, its output in `log`; stopped (its own process
    group, by id) when the block ends, whatever happens."""
    command = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log", *options]
    with log.open("w") as output:
        server = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield server
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=5)
