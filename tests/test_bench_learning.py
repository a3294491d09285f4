"""Smoke test of evaluate/bench_learning.py: tiny budgets, the whole pipeline runs."""

from __future__ import annotations

import importlib
import json


def test_bench_learning_quick_runs_end_to_end(tmp_path, capsys) -> None:
    module = importlib.import_module("elecbay_evaluate.bench_learning")
    assert module.main(["--quick", "--out", str(tmp_path), "--workers", "1"]) == 0
    text = capsys.readouterr().out
    assert "| comparison |" in text and "learned producer beats merit order" in text
    data = json.loads((tmp_path / "learning.json").read_text())
    assert len(data["producer_profit"]["ppo"]) == 2
    assert (tmp_path / "ppo_producer" / "model.zip").is_file()
    assert (tmp_path / "ppo_broker" / "elecbay.json").is_file()


def test_paired_interval_covers_the_mean() -> None:
    module = importlib.import_module("elecbay_evaluate.bench_learning")
    import numpy as np

    diff = np.random.default_rng(0).normal(5.0, 1.0, 20)
    mean, lo, hi = module.paired_ci(diff)
    assert lo < mean < hi and lo > 0
