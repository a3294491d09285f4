"""The live market's durable ledger: SQLite, one transaction per settlement period.

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
  came from (``meter``: read received in time, ``estimated``: missing or late, replaced by
  the operator's estimate); ``received_mwh`` is what the meter said, if anything.
* ``statements``: the settlement statement lines (as ``elecbay_env.ledger`` exports them).
* ``periods``: one row per completed period; a period's rows are written in the same
  transaction, so after a crash the ledger holds whole periods only and the operator
  resumes after the last one (:meth:`LiveLedger.last_period`).
"""

from __future__ import annotations

import json
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
CREATE TABLE IF NOT EXISTS periods (
    period INTEGER PRIMARY KEY, clearing_price REAL, volume_mw REAL NOT NULL,
    imbalance_price REAL NOT NULL, closed_at REAL NOT NULL);
"""


class LedgerMismatch(RuntimeError):
    """The ledger file belongs to another market (scenario, days or seed differ)."""


class LiveLedger:
    """The SQLite ledger at ``path`` (created with its tables if new).

    Args:
        path: the database file.
        run: what the market is (``scenario``, ``days``, ``seed``): stored on first use
            and checked on every later open.

    Raises:
        LedgerMismatch: the file holds another market.
    """

    def __init__(self, path: str | Path, run: dict[str, Any]) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.rows_written = 0
        self.write_s = 0.0  # seconds spent in write_period (the benchmark's rows/s)
        stored = dict(self.db.execute("SELECT key, value FROM run").fetchall())
        wanted = {k: json.dumps(v) for k, v in run.items()}
        if stored and stored != wanted:
            raise LedgerMismatch(
                f"ledger {self.path} holds another market: {stored} (this one: {wanted})"
            )
        if not stored:
            self.db.executemany("INSERT INTO run VALUES (?, ?)", list(wanted.items()))

    def close(self) -> None:
        """Close the database."""
        self.db.close()

    # -- messages -------------------------------------------------------------------
    def seen(self, sender: str, msg_id: str) -> bool:
        """True when ``(sender, msg_id)`` was read before (a duplicate)."""
        row = self.db.execute(
            "SELECT 1 FROM messages WHERE sender = ? AND id = ?", (sender, msg_id)
        ).fetchone()
        return row is not None

    def log_message(
        self, sender: str, msg_id: str, period: int | None, kind: str | None, status: str,
        reason: str | None = None,
    ) -> None:  # fmt: skip
        """Record one message read (first delivery only; a duplicate id is ignored)."""
        self.db.execute(
            "INSERT OR IGNORE INTO messages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (sender, msg_id, period, kind, status, reason, time.time()),
        )
        self.rows_written += 1

    # -- periods --------------------------------------------------------------------
    def last_period(self) -> int:
        """The last complete period (-1 when none)."""
        row = self.db.execute("SELECT MAX(period) FROM periods").fetchone()
        return -1 if row[0] is None else int(row[0])

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
        db.execute("BEGIN IMMEDIATE")
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

    def statements(self) -> list[tuple[Any, ...]]:
        """Every statement line ``(period, seat, component, mwh, price, amount)`` in order."""
        return self.db.execute(
            "SELECT period, seat, component, mwh, price, amount FROM statements "
            "ORDER BY period, seat, component"
        ).fetchall()

    def table(self, name: str) -> list[tuple[Any, ...]]:
        """Every row of table ``name`` (for tests and exports)."""
        if name not in {"run", "messages", "orders", "trades", "meter_reads", "statements",
                        "periods"}:  # fmt: skip
            raise ValueError(f"table={name!r}: no such table in the live ledger")
        return self.db.execute(f"SELECT * FROM {name}").fetchall()
