"""Smoke test of evaluate/benchmarks/bench_participation.py: ``--quick`` runs and prints.

No timing is asserted (machines are noisy): only that the quick run exits with status
0, prints the throughputs and ratios, and writes its JSON.
"""

from __future__ import annotations

import importlib
import json


def test_quick_run_exits_zero_and_prints_the_table(capsys, tmp_path):
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_participation")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert "loose/without" in out and "binding/without" in out
    (row,) = json.loads(out_json.read_text())["rows"]
    assert row["markets"] == bench.QUICK_MARKETS[0]
    assert row["loose_market_periods_per_s"] > 0 and row["binding_ratio"] > 0
