"""Smoke test of evaluate/benchmarks/bench_live.py: ``--quick`` runs through mosquitto,
prints every figure and loses no order. No timing is asserted."""

from __future__ import annotations

import importlib
import json


def test_quick_run_prints_the_figures_and_loses_nothing(mosquitto, capsys, tmp_path) -> None:
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_live")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--agents", "12", "--workers", "2", "--meters", "3",
                         "--strict", "--json", str(out_json)])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    labels = ("messages per second", "gate-closure latency p50 / p99", "orders sent",
              "ledger rows written per second", "in-process env periods per second")  # fmt: skip
    assert all(label in out for label in labels)
    f = json.loads(out_json.read_text())["live"]
    assert f["orders_sent"] == 12 * 48 == f["orders_in_ledger"] and f["orders_lost"] == 0
    assert f["statements_received"] == 12 * 48 and f["rejections"] == 0
    assert f["meter_reads_sent"] == 3 * 48 * 6
    assert f["messages_per_s"] > 0 and f["env_periods_per_s"] > 0


def test_quick_run_with_a_postgresql_ledger(mosquitto, postgres_db, capsys, tmp_path) -> None:
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_live")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--agents", "6", "--workers", "1", "--meters", "2",
                         "--strict", "--ledger", postgres_db, "--json", str(out_json)])  # fmt: skip
    assert status == 0
    assert "rows, postgresql)" in capsys.readouterr().out
    f = json.loads(out_json.read_text())["live"]
    assert f["ledger"] == "postgresql" and f["orders_lost"] == 0 and f["ledger_rows"] > 0
