"""Smoke test of evaluate/benchmarks/bench_scaling.py: ``--quick`` runs and prints its tables.

No timing is asserted (machines are noisy): only that the quick run exits with status
0, measures the shipped kernels and the insertion-sort baseline for every quick setting,
fits the exponents and writes its JSON. The exponent fit is checked on exact power laws.
"""

from __future__ import annotations

import importlib
import json
import math

import pytest


@pytest.fixture(scope="module")
def bench():
    return importlib.import_module("elecbay_evaluate.benchmarks.bench_scaling")


def test_exponent_recovers_power_laws(bench):
    for power in (1.0, 1.7):
        points = [(n, 3e-6 * n**power) for n in (5, 50, 500, 5_000)]
        assert math.isclose(bench.exponent(points), power, rel_tol=1e-9)
    assert math.isnan(bench.exponent([(5, 1.0), (10, 2.0), (50, 3.0)]))  # one point >= 50


def test_quick_run_exits_zero_and_prints_tables(bench, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    assert bench.main(["--quick", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert bench.TABLE_HEADER in out
    assert "Fitted exponents" in out and "env.step" in out and "targets:" in out
    data = json.loads(out_json.read_text())
    want = {
        (n, s, e)
        for s in bench.QUICK_STEPS
        for e in bench.QUICK_BATCHES
        for n in bench.QUICK_AGENTS
    }
    for run in ("shipped", "insertion_sort"):
        rows = data[run]["engine"]
        assert {(r["agents"], r["steps"], r["markets"]) for r in rows} == want
        assert all(r["period_s"] > 0.0 and r["cpu_s"] > 0.0 for r in rows)
        assert len(data[run]["env"]) == len(bench.QUICK_STEPS) * len(bench.QUICK_ENV_AGENTS)
    assert len(data["fits"]) == len(bench.QUICK_STEPS) * len(bench.QUICK_BATCHES)
    assert all(not math.isnan(f["exponent"]) for f in data["fits"])
    assert "Where env.step's time goes" in out
    split = data["env_split"]["seconds"]
    assert all(split[k] > 0.0 for k in ("actions", "engine", "infos", "env.step"))
