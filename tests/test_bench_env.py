"""Smoke test of evaluate/benchmarks/bench_env.py: ``--quick`` runs and prints its tables.

No timing is asserted (machines are noisy): only that the run completes with exit
status 0, prints the comparison table, the PASS/FAIL verdict and the breakdown, and
that the engine and the API did the same work (identical rewards).
"""

from __future__ import annotations

import importlib
import json

import pytest


@pytest.fixture(scope="module")
def bench():
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_env")
    return module


def test_quick_run_exits_zero_and_prints_tables(bench, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "steps/s" in out and "vs engine" in out
    assert "PASS" in out or "FAIL" in out
    assert "same work): yes" in out
    assert "breakdown unavailable" not in out
    for stage in bench.STAGES:
        assert stage in out
    data = json.loads(out_json.read_text())
    assert data["work"]["same_rewards"] is True
    assert {r["key"] for r in data["rows"]} == {"engine", "engine_lean", "api", "api_sampled"}
    assert all(r["steps_per_s"] > 0 for r in data["rows"])


def test_decoded_plan_matches_the_env(bench):
    """The engine is fed exactly the orders the env decodes."""
    import numpy as np

    from elecbay_env import parallel_env

    env = parallel_env("small")
    plan = bench.action_plan(env)[:3]
    orders = bench.decode_plan(env, plan)
    env.reset(seed=0)
    for actions, want in zip(plan, orders, strict=True):
        env.step(actions)
        for got, exp in zip(env.last_orders, want, strict=True):
            np.testing.assert_array_equal(got, exp)
