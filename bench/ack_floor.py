"""Ack floor: how near the bare ack a stored ack can come on this stack, in the same run as bench.ack's bare app.

    .venv/bin/python -m bench.ack_floor [--requests 1000] [--clients 10]

The "floor" is a Bolt AsyncApp on aiohttp whose /asked does the least a counted ask needs, inline on the
event loop: in one SQLite (WAL) write transaction, three Core statements (take the request's key, insert
the ask, count the rep's asks), then an ack with the count. No ORM session, no profile, teams, conventions,
double-submit or heads-up. It runs twice: with SQLite's default checkpoints inside commits, and with them
on a thread of their own (storage/checkpoints.py, as ``serve`` runs). Set against bench.ack's full-stack
figures, it says how much of the gap is the database round itself and how much is everything else /asked
does (README "Benchmarks").
"""
from __future__ import annotations

import argparse
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.ack import drive, start_async_bolt, start_bare_app
from storage.checkpoints import start_checkpoints
from storage.engine import create_db_engine
from tests.fake_slack import FakeSlack


def floor_engine(path: Path) -> tuple[sa.Engine, sa.Table, sa.Table]:
    engine = create_db_engine(f"sqlite:///{path}")  # the bot's own SQLite setup: WAL, BEGIN IMMEDIATE, ...
    tables = sa.MetaData()
    seen = sa.Table("seen", tables, sa.Column("key", sa.String, primary_key=True))
    ask = sa.Table("ask", tables, sa.Column("id", sa.Integer, primary_key=True),
                   sa.Column("rep", sa.String, index=True), sa.Column("name", sa.String))
    tables.create_all(engine)
    return engine, seen, ask


def start_floor_app(fake: FakeSlack, engine: sa.Engine, seen: sa.Table, ask: sa.Table) -> tuple[str, Callable[[], None]]:
    take = seen.insert()
    insert = ask.insert()
    count = sa.select(sa.func.count()).select_from(ask).where(ask.c.rep == sa.bindparam("rep"))

    def register(bolt: Any) -> None:
        @bolt.command("/asked")
        async def asked(ack, command) -> None:  # noqa: ANN001
            with engine.begin() as connection:  # inline on the event loop: the one writer
                connection.execute(take, {"key": command["text"]})  # unique per request in this bench
                connection.execute(insert, {"rep": command["user_id"], "name": command["text"]})
                asks = connection.execute(count, {"rep": command["user_id"]}).scalar_one()
            await ack(f"Logged 1 ask(s). {asks} this week.")

    return start_async_bolt(fake.api_url, register)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=10)
    args = parser.parse_args()
    with FakeSlack() as fake, tempfile.TemporaryDirectory() as tmp:
        bare, stop_bare = start_bare_app(fake.api_url)
        inside_commits = floor_engine(Path(tmp) / "commits.db")
        on_a_thread = floor_engine(Path(tmp) / "thread.db")
        checkpoints = start_checkpoints(on_a_thread[0])
        floors = {"floor, checkpoints in commits": start_floor_app(fake, *inside_commits),
                  "floor, checkpoints on a thread": start_floor_app(fake, *on_a_thread)}
        bases = {"bare": bare, **{name: base for name, (base, _stop) in floors.items()}}
        for base in bases.values():
            drive(base, fake, requests=100, clients=args.clients, tag="warm")
        phases = {name: drive(base, fake, requests=args.requests, clients=args.clients, tag=name)
                  for name, base in bases.items()}
        checkpoints.stop()
        for _base, stop in floors.values():
            stop()
        stop_bare()
    for phase in phases.values():
        print(phase.line())
    for name, phase in list(phases.items())[1:]:
        print(f"{name} / bare: throughput {phase.throughput / phases['bare'].throughput:.2f}×, "
              f"p99 {phase.quantile(0.99) / phases['bare'].quantile(0.99):.2f}×")


if __name__ == "__main__":
    main()
