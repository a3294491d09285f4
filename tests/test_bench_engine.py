"""Smoke test of evaluate/benchmarks/bench_engine.py: ``--quick`` runs and prints its tables.

No timing is asserted (machines are noisy): only that the quick run exits with status
0, prints the throughput table, the time split, the memory table and the thread
scaling, and writes JSON with one row per (E, validation) setting.
"""

from __future__ import annotations

import importlib
import json

import pytest


@pytest.fixture(scope="module")
def bench():
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_engine")
    return module


def test_quick_run_exits_zero_and_prints_tables(bench, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "mkt-periods/s" in out
    assert "Where the time goes" in out
    assert "Memory per market" in out
    assert "numba" in out and "threads" in out
    assert "targets:" in out
    assert "Thread scaling" in out
    data = json.loads(out_json.read_text())
    rows = data["throughput"]
    assert [(r["markets"], r["validate"]) for r in rows] == [
        (e, v) for v in (True, False) for e in bench.MARKETS
    ]
    assert all(r["market_periods_per_s"] > 0.0 for r in rows)
    assert [s["markets"] for s in data["split"]] == list(bench.MARKETS)
    assert [m["markets"] for m in data["memory"]["rows"]] == list(bench.MARKETS)
    assert all(m["per_market"] > 0 for m in data["memory"]["rows"])
    scaling = data["scaling"]
    assert scaling["markets"] == bench.SCALING_E
    assert [r["what"] for r in scaling["rows"]] == ["kernel", "Engine.step"]
    assert all(r["period_s_1_thread"] > 0.0 for r in scaling["rows"])
