"""Smoke test of evaluate/benchmarks/bench_clients.py: ``--quick`` runs every row and prints
ratios to the PettingZoo loop measured in the same run (no timing is asserted)."""

from __future__ import annotations

import json

import pytest

from .conftest import RAY_MISSING

pytest.importorskip("ray.rllib", reason=RAY_MISSING)

from elecbay_evaluate.benchmarks import bench_clients


def test_quick_run_measures_every_client(local_ray, capsys, tmp_path) -> None:
    path = tmp_path / "clients.json"
    assert bench_clients.main(["--quick", "--scenario", "small", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    assert bench_clients.TABLE_HEADER in out and "not installed" not in out
    rows = json.loads(path.read_text())["rows"]
    keys = [r["key"] for r in rows]
    assert keys[0] == "pz" and {"rllib_module_1", "rllib_core", "core_4"} <= set(keys)
    assert all(r["steps_per_s"] > 0 for r in rows)
    assert rows[0]["vs_pettingzoo"] == 1.0
    for r in rows:
        assert r["vs_pettingzoo"] == pytest.approx(r["steps_per_s"] / rows[0]["steps_per_s"])
