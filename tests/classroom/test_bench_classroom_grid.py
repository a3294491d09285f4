"""Smoke test of evaluate/benchmarks/bench_classroom_grid.py: every figure printed and
written, the session's actions replayed on a fresh env. No timing asserted."""

from __future__ import annotations

import importlib
import json


def test_tiny_run_prints_the_figures(capsys, tmp_path) -> None:
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_classroom_grid")
    out_json = tmp_path / "bench.json"
    assert bench.main(["--periods", "2", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    assert "gate ms median" in out and "env.step ms" in out
    rows = json.loads(out_json.read_text())["classroom_grid"]
    assert [r["scenario"] for r in rows] == ["small", "default"]
    assert [r["seats"] for r in rows] == [4, 12]
    assert all(r["gate_ms_median"] > 0 and r["env_step_ms_median"] > 0 for r in rows)
