"""Smoke test of evaluate/benchmarks/bench_learning.py: tiny budgets, the whole pipeline runs."""

from __future__ import annotations

import importlib
import json
import math


def test_bench_learning_quick_runs_end_to_end(tmp_path, capsys) -> None:
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_learning")
    assert module.main(["--quick", "--out", str(tmp_path), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "| comparison |" in text and "learned producer beats merit order" in text
    data = json.loads((tmp_path / "learning.json").read_text())
    assert len(data["producer_profit"]["ppo"]) == 2
    assert (tmp_path / "ppo_producer" / "model.zip").is_file()
    assert (tmp_path / "ppo_broker" / "elecbay.json").is_file()
    assert "PPO producer vs merit order" in text and "PPO broker vs rule-based" in text
    # the decomposition by ledger component: every field present and finite
    _check_decomposition(data["decomposition"]["producer"], "producer_2")
    _check_decomposition(data["decomposition"]["broker"], "broker_0")
    ppo = data["producer_profit"]["ppo"]
    total = data["decomposition"]["producer"]["ledger"]["total (= profit / reward)"]["ppo"]
    assert math.isclose(total, sum(ppo) / len(ppo), rel_tol=1e-9, abs_tol=1e-3)


def _check_decomposition(d: dict, seat: str) -> None:
    from elecbay_env.kernels.ledger_codes import NAMES

    assert d["seat"] == seat
    assert set(NAMES) <= set(d["ledger"])  # every component, by name
    assert any(k.startswith("reserve") for k in d["ledger"])
    assert any(k.startswith("costs") for k in d["ledger"])
    assert "mean clearing price (per MWh)" in d["market"]
    assert "allocative efficiency" in d["market"]
    for section in ("ledger", "volume", "market"):
        for label, r in d[section].items():
            assert set(r) == {"baseline", "ppo", "diff", "ci"}, label
            assert all(math.isfinite(r[k]) for k in ("baseline", "ppo", "diff")), label
            assert len(r["ci"]) == 2, label
    # the components add up to the seat's profit (reward), both line-ups
    parts = sum(d["ledger"][n]["ppo"] for n in NAMES)
    total = d["ledger"]["total (= profit / reward)"]["ppo"]
    assert math.isclose(parts, total, rel_tol=1e-9, abs_tol=1e-3)


def test_paired_interval_covers_the_mean() -> None:
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_learning")
    import numpy as np

    diff = np.random.default_rng(0).normal(5.0, 1.0, 20)
    mean, lo, hi = module.paired_ci(diff)
    assert lo < mean < hi and lo > 0
