"""Smoke test of evaluate/benchmarks/bench_evaluator.py: ``--quick`` runs and prints its table.

No timing is asserted (machines are noisy): only that the run completes with exit
status 0, prints the comparison and finds identical results on 1 and 2 workers.
"""

from __future__ import annotations

import importlib
import json


def _load():
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_evaluator")
    return module


def test_quick_run_prints_throughput(capsys, tmp_path):
    bench = _load()
    out_json = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert bench.TABLE_HEADER in out and "episodes/min" in out
    assert "identical results (1 vs 2 workers): yes" in out
    data = json.loads(out_json.read_text())
    assert [r["workers"] for r in data["rows"]] == [1, 2]
    assert all(r["episodes_per_min"] > 0 for r in data["rows"]) and data["identical"]
