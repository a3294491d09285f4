"""The gb2024 learning results: pairing arithmetic, and the page block cannot drift."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate.benchmarks import bench_gb2024_learning as bl

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "docs" / "results" / "gb2024_learning.json"
PAGE = ROOT / "docs" / "training.md"


def test_paired_difference_by_hand() -> None:
    a, b = [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 5.0, 3.0]
    p = bl.paired(a, b)
    assert p["diff"] == pytest.approx(0.5)  # (1 + 0 + 2 - 1) / 4
    assert (p["a"], p["b"]) == (pytest.approx(2.5), pytest.approx(3.0))
    assert p["b_above"] == 2 and p["n"] == 4
    assert p["low"] <= p["diff"] <= p["high"]
    assert p["low"] < 0 < p["high"]  # one seed against: the interval spans zero


def test_paired_interval_excludes_zero_for_a_consistent_gain() -> None:
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, 30)
    p = bl.paired(a, a + 1.0 + rng.normal(0, 0.1, 30))
    assert p["low"] > 0 and p["b_above"] == 30


def test_rendered_rows_say_whether_the_interval_excludes_zero() -> None:
    row = bl._row("x", {"a": 1, "b": 2, "diff": 1, "low": 0.5, "high": 1.5, "b_above": 3, "n": 3})
    assert row.endswith("| 3 of 3 | yes |")
    row = bl._row("x", {"a": 1, "b": 2, "diff": 1, "low": -0.5, "high": 1.5, "b_above": 2, "n": 3})
    assert row.endswith("| no |")


def test_page_block_matches_the_committed_results() -> None:
    res = json.loads(RESULTS.read_text())
    assert not res["quick"], "the committed results must come from a full run"
    assert bl.doc_block(PAGE) == bl.render(res)


def test_committed_results_are_paired_on_test_dates() -> None:
    res = json.loads(RESULTS.read_text())
    assert len(res["test_dates"]) == res["steps"]["test_seeds"] >= 10
    weeks = {date.fromisoformat(d[:10]).isocalendar().week % 4 for d in res["test_dates"]}
    assert weeks == {0}  # the test split: ISO weeks divisible by 4
    assert res["tuning"]["best"] == max(res["tuning"]["grid"], key=res["tuning"]["grid"].get)
