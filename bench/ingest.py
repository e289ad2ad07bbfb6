"""Ingest benchmark: `killreport import` of a 200,000-killmail EVE Ref archive vs a raw load.

Builds `killmails-2026-01-01.tar.bz2` from the 108 real killmails (ids renumbered, bodies
otherwise untouched), imports it with the real CLI in a subprocess (rate, and peak RSS of
the importing processes: the CLI and its reader child, sampled from /proc), then loads the
very same killmail, attacker and item rows into a fresh database of the same schema
(indexes included) with a raw COPY (PostgreSQL, psycopg `write_row`, the writer ingest
uses) or a raw `executemany` (SQLite, stdlib sqlite3), one transaction per 1,000
killmails (the import's batch size), and prints the ratio. Then, unless `--no-bulk`, the
same import with `--bulk` into another empty database (indexes built after the load).

    .venv/bin/python bench/ingest.py --backend sqlite
    .venv/bin/python bench/ingest.py --backend postgres [--count 200000] [--no-bulk]

The machine is shared: figures taken while other work runs are pessimistic.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from killreport.db import migration
from killreport.killmails import repository
from killreport.killmails.parse import parse_envelope
from killreport.killmails.rows import build_rows
from killreport.killmails.valuation import PriceBook
from killreport.universe.static import load_static

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.killmails.corpus import corpus, daily_prices, everef_line  # noqa: E402

WORK = ROOT / "var" / "bench"
BATCH = 1000
ID_BASE = 200_000_000
POSTGRES_ADMIN = os.environ.get("KILLREPORT_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def renumbered(count: int) -> Iterator[dict[str, Any]]:
    """`count` EVE Ref documents cycling through the corpus with fresh ids."""
    lines = [everef_line(row) for row in corpus()]
    for n in range(count):
        yield {**lines[n % len(lines)], "killmail_id": ID_BASE + n}


def build_archive(count: int) -> Path:
    """The archive (cached under var/bench by count)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"killmails-2026-01-01.{count}.tar.bz2"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    with tarfile.open(partial, "w:bz2", compresslevel=1) as archive:
        for document in renumbered(count):
            data = json.dumps(document, separators=(",", ":")).encode()
            member = tarfile.TarInfo(f"killmails/{document['killmail_id']}.json")
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    partial.rename(path)
    print(f"built {path.name} ({path.stat().st_size / 1e6:,.0f} MB) in "
          f"{time.perf_counter() - started:,.0f} s")  # fmt: skip
    return path


Rows = list[tuple[Any, ...]]


def template_rows(sqlite: bool) -> list[tuple[Rows, Rows, Rows]]:
    """Per corpus killmail: the (killmail, attackers, items) rows ingest writes for it."""
    book = PriceBook()
    for type_id, day, price, _adjusted in daily_prices():
        book.add(type_id, day, price)
    universe = load_static()
    now = datetime.now(UTC)
    templates = []
    for row in corpus():
        parsed = parse_envelope(everef_line(row), source="import")
        rows = build_rows([parsed], book, universe, first_sequence=1, now=now, sqlite=sqlite)
        templates.append((rows.killmails, rows.attackers, rows.items))
    return templates


def raw_batches(count: int, sqlite: bool) -> Iterator[tuple[Rows, Rows, Rows]]:
    """The rows of the renumbered archive, BATCH killmails at a time, in storage form."""
    templates = template_rows(sqlite)
    sequence_at = repository.KILLMAIL_COLUMNS.index("sequence")
    for start in range(0, count, BATCH):
        killmails: Rows = []
        attackers: Rows = []
        items: Rows = []
        for n in range(start, min(start + BATCH, count)):
            k, a, i = templates[n % len(templates)]
            new_id = ID_BASE + n
            row = list(k[0])
            row[0] = new_id
            row[sequence_at] = n + 1
            killmails.append(tuple(row))
            attackers.extend((new_id, *r[1:]) for r in a)
            items.extend((new_id, *r[1:]) for r in i)
        yield killmails, attackers, items


def raw_sqlite(path: Path, count: int) -> float:
    """Seconds for a raw executemany load of the rows."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    statements = [
        f"INSERT INTO {t} ({', '.join(c)}) VALUES ({', '.join('?' for _ in c)})"
        for t, c in (("killmails", repository.KILLMAIL_COLUMNS),
                     ("attackers", repository.ATTACKER_COLUMNS), ("items", repository.ITEM_COLUMNS))
    ]  # fmt: skip
    # Only the database calls are timed, not the renumbering of the template rows.
    elapsed = 0.0
    for batch in raw_batches(count, sqlite=True):
        started = time.perf_counter()
        connection.execute("BEGIN")
        for statement, rows in zip(statements, batch, strict=True):
            connection.executemany(statement, rows)
        connection.execute("COMMIT")
        elapsed += time.perf_counter() - started
    connection.close()
    return elapsed


def raw_postgres(url: str, count: int) -> float:
    """Seconds for a raw COPY load of the rows."""
    tables = (
        ("killmails", repository.KILLMAIL_COLUMNS),
        ("attackers", repository.ATTACKER_COLUMNS),
        ("items", repository.ITEM_COLUMNS),
    )
    elapsed = 0.0
    with psycopg.connect(url) as connection:
        # Only the database calls are timed, not the renumbering of the template rows.
        for batch in raw_batches(count, sqlite=False):
            started = time.perf_counter()
            with connection.transaction(), connection.cursor() as cursor:
                for (table, columns), rows in zip(tables, batch, strict=True):
                    with cursor.copy(repository.copy_statement(table, columns)) as copy:
                        for row in rows:
                            copy.write_row(row)
            elapsed += time.perf_counter() - started
    return elapsed


def _memory_kb(pid: int, file: str, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


class RssSampler(threading.Thread):
    """Samples a process and its descendants: each one's peak RSS, the peak of their sum
    (RSS, and PSS, which counts shared pages once)."""

    def __init__(self, pid: int, interval_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval_s = interval_s
        self.peaks_kb: dict[int, int] = {}
        self.peak_total_kb = 0
        self.peak_total_pss_kb = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            pids = [self.pid]
            for pid in pids:
                pids.extend(_children(pid))
            sizes = {pid: _memory_kb(pid, "status", "VmRSS:") for pid in pids}
            for pid, size in sizes.items():
                self.peaks_kb[pid] = max(self.peaks_kb.get(pid, 0), size)
            self.peak_total_kb = max(self.peak_total_kb, sum(sizes.values()))
            pss = sum(_memory_kb(pid, "smaps_rollup", "Pss:") for pid in pids)
            self.peak_total_pss_kb = max(self.peak_total_pss_kb, pss)
            self.done.wait(self.interval_s)


@dataclass(frozen=True)
class ImportRun:
    """Time and memory of one `killreport import`."""

    seconds: float
    cli_mb: float
    reader_mb: float
    together_mb: float
    together_pss_mb: float

    def memory(self) -> str:
        """Peak memory, as printed."""
        return (f"peak RSS {self.cli_mb:,.0f} MB CLI + {self.reader_mb:,.0f} MB reader, together "
                f"{self.together_mb:,.0f} MB RSS / {self.together_pss_mb:,.0f} MB PSS")  # fmt: skip


def run_import(url: str, archive: Path, *, bulk: bool = False) -> ImportRun:
    """Time and peak memory of `killreport import` (CLI process and its reader process)."""
    env = {**os.environ, "KILLREPORT_DATABASE_URL": url, "KILLREPORT_LOG_LEVEL": "WARNING"}
    env.pop("KILLREPORT_BROKER_URL", None)
    env.pop("KILLREPORT_REDIS_URL", None)
    command = [str(ROOT / ".venv" / "bin" / "killreport"), "import", str(archive), "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen([*command, *(["--bulk"] if bulk else [])], env=env,
                               stdout=subprocess.DEVNULL)  # fmt: skip
    sampler = RssSampler(process.pid)
    sampler.start()
    _pid, status, _usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    sampler.done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"killreport import failed with status {status}")
    cli_kb = sampler.peaks_kb.pop(process.pid, 0)
    return ImportRun(
        seconds=elapsed,
        cli_mb=cli_kb / 1024,
        reader_mb=max(sampler.peaks_kb.values(), default=0) / 1024,
        together_mb=sampler.peak_total_kb / 1024,
        together_pss_mb=sampler.peak_total_pss_kb / 1024,
    )


def prepare_prices(url: str) -> None:
    """The corpus days' prices, as the import would find them in market_prices."""
    import asyncio

    from killreport.db.engine import Database

    async def store() -> None:
        database = Database.from_url(url)
        async with database.transaction() as session:
            await repository.store_prices(session, list(daily_prices()))
        await database.dispose()

    asyncio.run(store())


def fresh_database(backend: str, name: str) -> str:
    """A migrated, empty database; its SQLAlchemy URL."""
    if backend == "sqlite":
        path = WORK / f"{name}.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        url = f"{POSTGRES_ADMIN.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    migration.upgrade(url)
    return url


def drop(backend: str, url: str) -> None:
    """Remove a benchmark database."""
    if backend == "postgres":
        with psycopg.connect(f"{POSTGRES_ADMIN}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
        return
    path = url.split("///", 1)[1]
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def main() -> None:
    """Parse arguments, run the loads, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--count", type=int, default=200_000)
    parser.add_argument("--no-bulk", action="store_true", help="skip the --bulk import run")
    args = parser.parse_args()
    archive = build_archive(args.count)
    suffix = f"{os.getpid()}"
    ours_url = fresh_database(args.backend, f"kr_bench_import_{suffix}")
    raw_url = fresh_database(args.backend, f"kr_bench_raw_{suffix}")
    prepare_prices(ours_url)
    urls = [ours_url, raw_url]
    bulk: ImportRun | None = None
    try:
        ours = run_import(ours_url, archive)
        drop(args.backend, ours_url)
        if args.backend == "sqlite":
            raw_s = raw_sqlite(Path(raw_url.split("///", 1)[1]), args.count)
        else:
            raw_s = raw_postgres(raw_url.replace("+psycopg", ""), args.count)
        drop(args.backend, raw_url)
        if not args.no_bulk:
            bulk_url = fresh_database(args.backend, f"kr_bench_bulk_{suffix}")
            urls.append(bulk_url)
            prepare_prices(bulk_url)
            bulk = run_import(bulk_url, archive, bulk=True)
    finally:
        for url in urls:
            drop(args.backend, url)
    ours_rate = args.count / ours.seconds
    raw_rate = args.count / raw_s
    baseline = "raw COPY" if args.backend == "postgres" else "raw executemany"
    print(f"backend            {args.backend}")
    print(f"killmails          {args.count:,}")
    print(
        f"killreport import  {ours_rate:,.0f} killmails/s ({ours.seconds:,.1f} s), {ours.memory()}"
    )
    print(f"{baseline:<18} {raw_rate:,.0f} killmails/s ({raw_s:,.1f} s), same rows and schema")
    print(f"ratio              {ours_rate / raw_rate:.2f} (goal >= 0.70)")
    if bulk is not None:
        bulk_rate = args.count / bulk.seconds
        print(f"import --bulk      {bulk_rate:,.0f} killmails/s ({bulk.seconds:,.1f} s, indexes "
              f"built after), ratio {bulk_rate / raw_rate:.2f}")  # fmt: skip
        print(f"                   {bulk.memory()}")
    print(f"self peak RSS      {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    print("note: shared 2-core machine; figures under concurrent load are pessimistic")


if __name__ == "__main__":
    main()
