"""The live market's durable ledger: SQLite or PostgreSQL, one transaction per period.

``LiveLedger(path)`` opens (or creates) an SQLite file; ``LiveLedger("postgresql://...")``
writes the same tables to a PostgreSQL database through psycopg 3 (the ``live`` extra).
Both hold the same rows; floats are 8-byte (``DOUBLE PRECISION`` on PostgreSQL), so a
statement read back is bit-identical on either.

Tables (``SCHEMA``; amounts in currency, + received; MWh + exported; prices per MWh):

* ``run``: one row, what the market is (scenario, days, seed, schema version); a
  restart with other settings is refused.
* ``messages``: every client message the operator read (``seat``, ``id``, its period,
  type, ``status`` accepted / rejected / duplicate / late, the reason): the primary key
  ``(sender, id)`` is what deduplicates an at-least-once delivery.
* ``orders``: the action each seat played per period (``source`` agent, or default for a
  seat that sent nothing before gate closure), with the decoded step curve.
* ``trades``: per period and seat the contract (MW, + sold) and the clearing price.
* ``meter_reads``: per period, seat and 5-minute interval the MWh settled, and where it
  came from (``meter``: read received in time, ``disputed``: received but further than
  the tolerance from the check metering, ``estimated``: missing or late, replaced by the
  check metering; ``elecbay_live.settle_reads``); ``received_mwh`` is what the meter said,
  if anything.
* ``statements``: the settlement statement lines (as ``elecbay_env.ledger`` exports them).
* ``assets``: the new assets accepted in the registration window (entrant, seat, role,
  the scenario entry as JSON), in order; ``registration``: one row once the window closed
  (:mod:`elecbay_live.asset_window`).
* ``periods``: one row per completed period; a period's rows are written in the same
  transaction, so after a crash the ledger holds whole periods only and the operator
  resumes after the last one (:meth:`LiveLedger.last_period`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import time
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS run (
    key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    sender TEXT NOT NULL, id TEXT NOT NULL, period INTEGER, type TEXT,
    status TEXT NOT NULL, reason TEXT, received_at REAL NOT NULL,
    PRIMARY KEY (sender, id));
CREATE TABLE IF NOT EXISTS orders (
    period INTEGER NOT NULL, seat TEXT NOT NULL, msg_id TEXT, source TEXT NOT NULL,
    action TEXT NOT NULL, step_price TEXT NOT NULL, step_qty TEXT NOT NULL,
    PRIMARY KEY (period, seat));
CREATE TABLE IF NOT EXISTS trades (
    period INTEGER NOT NULL, seat TEXT NOT NULL, contract_mw REAL NOT NULL,
    clearing_price REAL, PRIMARY KEY (period, seat));
CREATE TABLE IF NOT EXISTS meter_reads (
    period INTEGER NOT NULL, seat TEXT NOT NULL, interval INTEGER NOT NULL,
    mwh REAL NOT NULL, source TEXT NOT NULL, received_mwh REAL, msg_id TEXT,
    PRIMARY KEY (period, seat, interval));
CREATE TABLE IF NOT EXISTS statements (
    period INTEGER NOT NULL, seat TEXT NOT NULL, component TEXT NOT NULL,
    mwh REAL NOT NULL, price REAL, amount TEXT NOT NULL,
    PRIMARY KEY (period, seat, component));
CREATE TABLE IF NOT EXISTS assets (
    position INTEGER PRIMARY KEY, entrant TEXT NOT NULL, seat TEXT NOT NULL,
    role TEXT NOT NULL, asset TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS registration (
    closed_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS periods (
    period INTEGER PRIMARY KEY, clearing_price REAL, volume_mw REAL NOT NULL,
    imbalance_price REAL NOT NULL, closed_at REAL NOT NULL);
"""


TABLE_ORDER = {
    "run": "key",
    "messages": "received_at, sender, id",
    "orders": "period, seat",
    "trades": "period, seat",
    "meter_reads": "period, seat, interval",
    "statements": "period, seat, component",
    "periods": "period",
    "assets": "position",
    "registration": "closed_at",
}
"""Each table and the order :meth:`LiveLedger.table` returns its rows in."""

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def is_postgres_url(where: str | Path) -> bool:
    """True when ``where`` is a PostgreSQL URL (``postgresql://...``), not a file path."""
    return isinstance(where, str) and where.startswith(POSTGRES_SCHEMES)


def redact(url: str) -> str:
    """``url`` without its password (for messages and logs)."""
    return re.sub(r"://([^:/@]*):[^@]*@", r"://\1:***@", url)


class LedgerMismatch(RuntimeError):
    """The ledger holds another market (scenario, days or seed differ)."""


class _Sqlite:
    """SQLite: ``?`` parameters, ``INSERT OR IGNORE``, ``BEGIN IMMEDIATE``."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.begin = ("BEGIN IMMEDIATE",)
        self.insert_ignore = "INSERT OR IGNORE INTO {table} VALUES ({marks})"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self.db.execute(sql, params).fetchall()

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self.db.executemany(sql, rows)

    def close(self) -> None:
        self.db.close()


class _Postgres:
    """PostgreSQL through psycopg 3: ``%s`` parameters, ``ON CONFLICT DO NOTHING``."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise ImportError(f"a PostgreSQL ledger needs psycopg (pip install "
                              f"'elecbay[live]'): {exc}") from None  # fmt: skip
        try:
            self.db = psycopg.connect(url, autocommit=True)
        except psycopg.OperationalError as exc:
            msg = " ".join(str(exc).split())
            raise ConnectionError(f"ledger {redact(url)}: {msg}") from None
        self.db.execute(SCHEMA.replace(" REAL", " DOUBLE PRECISION"))
        # A message row commits without waiting for the disk; a period's transaction
        # does wait (SET LOCAL in write_period), and the log is sequential, so once a
        # period is durable so is every message read before it (as with SQLite's WAL
        # and synchronous=NORMAL): a crash loses only the incomplete period's messages,
        # which the restarted operator reads again.
        self.db.execute("SET synchronous_commit TO off")
        self.begin = ("BEGIN", "SET LOCAL synchronous_commit TO on")
        self.insert_ignore = "INSERT INTO {table} VALUES ({marks}) ON CONFLICT DO NOTHING"

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        cur = self.db.execute(sql.replace("?", "%s"), params)
        return cur.fetchall() if cur.description is not None else []

    def executemany(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self.db.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), rows)

    def close(self) -> None:
        self.db.close()


class LiveLedger:
    """The ledger at ``where`` (tables created if new).

    Args:
        where: an SQLite file path, or a ``postgresql://user@host:port/db`` URL.
        run: what the market is (``scenario``, ``days``, ``seed``): stored on first use
            and checked on every later open.

    Raises:
        LedgerMismatch: the ledger holds another market.
        ConnectionError: the PostgreSQL server refused or could not be reached.
    """

    def __init__(self, where: str | Path, run: dict[str, Any]) -> None:
        self.postgres = is_postgres_url(where)
        self.where = redact(str(where)) if self.postgres else str(where)
        self.db = _Postgres(str(where)) if self.postgres else _Sqlite(Path(where))
        self.rows_written = 0
        self.write_s = 0.0  # seconds spent in write_period (the benchmark's rows/s)
        stored = dict(self.db.execute("SELECT key, value FROM run"))
        wanted = {k: json.dumps(v) for k, v in run.items()}
        if stored and stored != wanted:
            self.db.close()
            raise LedgerMismatch(
                f"ledger {self.where} holds another market: {stored} (this one: {wanted})"
            )
        if not stored:
            self.db.executemany("INSERT INTO run VALUES (?, ?)", list(wanted.items()))

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # -- messages -------------------------------------------------------------------
    def seen(self, sender: str, msg_id: str) -> bool:
        """True when ``(sender, msg_id)`` was read before (a duplicate)."""
        rows = self.db.execute(
            "SELECT 1 FROM messages WHERE sender = ? AND id = ?", (sender, msg_id)
        )
        return bool(rows)

    def log_message(
        self, sender: str, msg_id: str, period: int | None, kind: str | None, status: str,
        reason: str | None = None,
    ) -> None:  # fmt: skip
        """Record one message read (first delivery only; a duplicate id is ignored)."""
        self.db.execute(
            self.db.insert_ignore.format(table="messages", marks=",".join("?" * 7)),
            (sender, msg_id, period, kind, status, reason, time.time()),
        )
        self.rows_written += 1

    # -- periods --------------------------------------------------------------------
    def last_period(self) -> int:
        """The last complete period (-1 when none)."""
        (top,) = self.db.execute("SELECT MAX(period) FROM periods")[0]
        return -1 if top is None else int(top)

    def actions(self, period: int) -> dict[str, list[float]]:
        """The actions played in ``period`` (seat -> action), for replay on resume."""
        rows = self.db.execute("SELECT seat, action FROM orders WHERE period = ?", (period,))
        return {seat: json.loads(action) for seat, action in rows}

    def write_period(self, period: int, rows: dict[str, list[tuple[Any, ...]]],
                     summary: tuple[Any, ...]) -> None:  # fmt: skip
        """Write one period's ``rows`` (table -> rows) and its ``periods`` row atomically.

        Args:
            period: the settlement period (0-based within the episode).
            rows: ``{"orders": [...], "trades": [...], "meter_reads": [...],
                "statements": [...]}`` tuples in each table's column order.
            summary: ``(clearing_price, volume_mw, imbalance_price)``.
        """
        db = self.db
        start = time.perf_counter()
        for sql in db.begin:
            db.execute(sql)
        try:
            for table, values in rows.items():
                if values:
                    marks = ",".join("?" * len(values[0]))
                    db.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
                    self.rows_written += len(values)
            db.execute("INSERT INTO periods VALUES (?, ?, ?, ?, ?)",
                       (period, *summary, time.time()))  # fmt: skip
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.rows_written += 1
        self.write_s += time.perf_counter() - start

    def write_assets(self, assets: list[tuple[str, str, str, dict[str, Any]]]) -> None:
        """Record the closed registration window and its accepted assets, ``(entrant,
        seat, role, scenario entry)`` in order, in one transaction."""
        db = self.db
        for sql in db.begin:
            db.execute(sql)
        try:
            rows = [(k, u, s, r, json.dumps(a)) for k, (u, s, r, a) in enumerate(assets)]
            if rows:
                db.executemany("INSERT INTO assets VALUES (?, ?, ?, ?, ?)", rows)
            db.execute("INSERT INTO registration VALUES (?)", (time.time(),))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        self.rows_written += len(assets) + 1

    def assets(self) -> list[tuple[str, str, str, dict[str, Any]]] | None:
        """The accepted assets (see :meth:`write_assets`); None when no registration
        window closed in this ledger."""
        if not self.db.execute("SELECT closed_at FROM registration"):
            return None
        rows = self.db.execute("SELECT entrant, seat, role, asset FROM assets ORDER BY position")
        return [(u, s, r, json.loads(a)) for u, s, r, a in rows]

    def statements(self) -> list[tuple[Any, ...]]:
        """Every statement line ``(period, seat, component, mwh, price, amount)`` in order."""
        return self.db.execute(
            "SELECT period, seat, component, mwh, price, amount FROM statements "
            "ORDER BY period, seat, component"
        )

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of table ``name`` in key order (for tests and exports)."""
        if name not in TABLE_ORDER:
            raise ValueError(f"table={name!r}: no such table in the live ledger; "
                             f"allowed: {sorted(TABLE_ORDER)}")  # fmt: skip
        return self.db.execute(f"SELECT * FROM {name} ORDER BY {TABLE_ORDER[name]}")
