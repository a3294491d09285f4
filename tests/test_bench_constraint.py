"""Smoke test of evaluate/benchmarks/bench_constraint.py: ``--quick`` runs and prints.

No timing is asserted (machines are noisy): only that the quick run exits with status
0, prints both throughputs and their ratio for each pair, and writes its JSON.
"""

from __future__ import annotations

import importlib
import json


def test_quick_run_exits_zero_and_prints_the_table(capsys, tmp_path):
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_constraint")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out and "with/without" in out
    data = json.loads(out_json.read_text())
    assert len(data["rows"]) == 2
    for r in data["rows"]:
        assert r["markets"] == bench.QUICK_MARKETS[0]
        assert r["constrained_market_periods_per_s"] > 0 and r["ratio"] > 0
