"""Smoke test of evaluate/benchmarks/bench_training.py: ``--quick`` runs and prints its tables.

No timing is asserted (machines are noisy): only that the run completes with exit
status 0 and prints the comparison table, the PASS/FAIL verdict and the breakdowns.
"""

from __future__ import annotations

import importlib
import json

import pytest

pytest.importorskip("stable_baselines3")


@pytest.fixture(scope="module")
def bench():
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_training")
    return module


def test_quick_run_exits_zero_and_prints_tables(bench, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "collect/s" in out and "learn/s" in out and "vs PZ" in out
    assert "PASS" in out or "FAIL" in out
    assert "breakdown unavailable" not in out
    for stage in bench.CORE_STAGES:
        assert stage in out
    data = json.loads(out_json.read_text())
    keys = [r["key"] for r in data["rows"]]
    assert keys[0] == "pettingzoo" and keys[1] == "core_E2"
    assert data["rows"][0]["sub_envs"] == data["rows"][1]["sub_envs"]
    assert all(r["collect_steps_per_s"] > 0 and r["learn_steps_per_s"] > 0 for r in data["rows"])
