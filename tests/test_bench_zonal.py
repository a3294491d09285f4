"""Smoke test of evaluate/benchmarks/bench_zonal.py: ``--quick`` runs and prints its table.

No timing is asserted (machines are noisy): only that the quick run exits with status
0, prints both throughputs and their ratio, and writes its JSON.
"""

from __future__ import annotations

import importlib
import json


def test_quick_run_exits_zero_and_prints_the_table(capsys, tmp_path):
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_zonal")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "zonal/single" in out and "mkts/s" in out
    assert "numba" in out and "threads" in out
    data = json.loads(out_json.read_text())
    assert [r["markets"] for r in data["rows"]] == [bench.MARKETS[0]]
    assert all(r["zonal_markets_per_s"] > 0 and r["ratio"] > 0 for r in data["rows"])
    assert 0.0 < data["rows"][0]["share_full_border"] < 1.0
