"""Smoke test of evaluate/benchmarks/bench_classroom.py at a tiny size: the server in its
own process, WebSocket students, every figure printed, no order lost. No timing asserted."""

from __future__ import annotations

import importlib
import json

import pytest

pytestmark = pytest.mark.usefixtures("web")


def test_tiny_run_prints_the_figures_and_loses_nothing(capsys, tmp_path) -> None:
    bench = importlib.import_module("elecbay_evaluate.benchmarks.bench_classroom")
    out_json = tmp_path / "bench.json"
    status = bench.main(["--students", "4", "--bots", "2", "--periods", "2", "--orders", "5",
                         "--think", "0.02", "--strict", "--json", str(out_json)])  # fmt: skip
    out = capsys.readouterr().out
    assert status == 0
    for label in ("orders per second", "latency p50 / p99", "orders sent / answered / recorded",
                  "in-process market orders per second"):  # fmt: skip
        assert label in out
    f = json.loads(out_json.read_text())["classroom"]
    assert f["orders_lost"] == 0 and f["orders_sent"] > 0
    assert f["orders_sent"] == f["orders_acked"] + f["orders_refused"]
    assert f["orders_recorded"] == f["orders_acked"]
    assert f["orders_per_s"] > 0 and f["baseline_orders_per_s"] > 0
