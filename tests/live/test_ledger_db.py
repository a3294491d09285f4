"""The ledger (:mod:`elecbay_live.ledger_db`) on SQLite and on a real PostgreSQL server:
every case runs on both (the ``ledger_where`` fixture).

* tables created; periods written whole, floats read back bit for bit;
* a reopened ledger resumes after its last complete period; another market is refused;
* a message id read twice is recorded once (at-least-once delivery, deduplicated);
* a period whose write fails leaves nothing behind (one transaction), and the next
  period writes normally;
* the registration window's assets are kept (a restart rebuilds the same market).
"""

from __future__ import annotations

import pytest

RUN = {"scenario": "small", "days": 1, "seed": 7, "schema": 1}
ODD = (0.1 + 0.2, 1e-300, -123456.78901234567, 5e-324)


def _rows(t: int, extra: list | None = None) -> dict:
    return {
        "orders": [(t, "producer_0", f"m{t}", "agent", "[0.5]", "[10.0]", "[1.0]"),
                   (t, "consumer_0", None, "default", "[0.0]", "[0.0]", "[0.0]")],
        "trades": [(t, "producer_0", ODD[t % 4], 41.5), (t, "consumer_0", -ODD[t % 4], None)],
        "meter_reads": [(t, "producer_0", k, ODD[k], "meter", ODD[k], f"r{t}-{k}")
                        for k in range(4)] + [(t, "consumer_0", 0, 0.0, "estimated", None, None)],
        "statements": [(t, "producer_0", "forward_energy", ODD[t % 4], 41.5, "12.345678"),
                       *(extra or [])],
    }  # fmt: skip


def _open(where: str, run: dict = RUN):
    from elecbay_live.ledger_db import LiveLedger

    return LiveLedger(where, run)


def test_periods_are_written_whole_and_read_back_exactly(ledger_where) -> None:
    ledger = _open(ledger_where)
    try:
        assert ledger.last_period() == -1 and ledger.table("periods") == []
        for t in range(3):
            ledger.write_period(t, _rows(t), (41.5, 12.0, ODD[t]))
        assert ledger.last_period() == 2
        assert [r[:4] for r in ledger.table("periods")] == [
            (t, 41.5, 12.0, ODD[t]) for t in range(3)
        ]
        reads = ledger.table("meter_reads")
        assert [r[3] for r in reads if r[1] == "producer_0" and r[0] == 1] == list(ODD)
        assert ledger.statements()[1] == (1, "producer_0", "forward_energy", ODD[1], 41.5,
                                          "12.345678")  # fmt: skip
        assert ledger.actions(2) == {"producer_0": [0.5], "consumer_0": [0.0]}
        assert sorted(r[0] for r in ledger.table("run")) == sorted(RUN)
        with pytest.raises(ValueError, match="table='nope'"):
            ledger.table("nope")
    finally:
        ledger.close()


def test_a_reopened_ledger_resumes_and_another_market_is_refused(ledger_where) -> None:
    from elecbay_live.ledger_db import LedgerMismatch

    ledger = _open(ledger_where)
    ledger.write_period(0, _rows(0), (41.5, 12.0, 50.0))
    ledger.log_message("producer_0", "a-1", 0, "order", "accepted")
    ledger.close()
    again = _open(ledger_where)
    try:
        assert again.last_period() == 0 and again.seen("producer_0", "a-1")
        again.write_period(1, _rows(1), (41.5, 12.0, 50.0))
        assert [r[0] for r in again.table("periods")] == [0, 1]
    finally:
        again.close()
    with pytest.raises(LedgerMismatch, match="another market"):
        _open(ledger_where, {**RUN, "seed": 8})


def test_a_message_delivered_twice_is_recorded_once(ledger_where) -> None:
    ledger = _open(ledger_where)
    try:
        assert not ledger.seen("producer_0", "x")
        ledger.log_message("producer_0", "x", 0, "order", "accepted")
        ledger.log_message("producer_0", "x", 0, "order", "rejected", "again")
        ledger.log_message("meter.producer_0", "x", 0, "meter_read", "accepted")
        assert ledger.seen("producer_0", "x") and ledger.seen("meter.producer_0", "x")
        rows = ledger.table("messages")
        assert [(r[0], r[4]) for r in rows] == [("producer_0", "accepted"),
                                                ("meter.producer_0", "accepted")]  # fmt: skip
    finally:
        ledger.close()


def test_a_failed_period_leaves_nothing_behind(ledger_where) -> None:
    ledger = _open(ledger_where)
    try:
        ledger.write_period(0, _rows(0), (41.5, 12.0, 50.0))
        clash = [(1, "producer_0", "forward_energy", 1.0, 1.0, "1.0")]  # a duplicate key
        with pytest.raises(Exception):  # noqa: B017 - each driver's own IntegrityError
            ledger.write_period(1, _rows(1, clash), (41.5, 12.0, 50.0))
        assert ledger.last_period() == 0
        for table in ("orders", "trades", "meter_reads", "statements"):
            assert {r[0] for r in ledger.table(table)} == {0}, table
        ledger.write_period(1, _rows(1), (41.5, 12.0, 50.0))
        assert ledger.last_period() == 1
    finally:
        ledger.close()


def test_an_unreachable_server_is_a_clear_error_without_the_password() -> None:
    pytest.importorskip("psycopg")
    from elecbay_live.broker import free_port

    url = f"postgresql://someone:s3cret@127.0.0.1:{free_port()}/nowhere?connect_timeout=2"
    with pytest.raises(ConnectionError, match="ledger postgresql://someone:\\*\\*\\*@") as err:
        _open(url)
    assert "s3cret" not in str(err.value)


def test_the_registration_window_and_its_assets_are_kept(ledger_where) -> None:
    ledger = _open(ledger_where)
    assert ledger.assets() is None  # no window closed yet
    asset = {"type": "wind", "name": "new wind", "capacity_mw": 40.5, "profile": {"shape": "wind"}}
    ledger.write_assets([("entrant_0", "producer_2", "producer", asset)])
    ledger.close()
    again = _open(ledger_where)
    try:
        assert again.assets() == [("entrant_0", "producer_2", "producer", asset)]
    finally:
        again.close()
