"""Smoke test of evaluate/benchmarks/bench_clearing.py: it runs; its plain-Python reference is
right.

No timing is asserted (machines are noisy); only that ``--quick`` completes with exit
status 0 and prints its tables, and that ``reference_clear`` agrees with ``clear``.
"""

from __future__ import annotations

import importlib
import json
import math

import numpy as np
import pytest

from elecbay_env.clearing import clear


@pytest.fixture(scope="module")
def bench():
    module = importlib.import_module("elecbay_evaluate.benchmarks.bench_clearing")
    return module


def test_quick_run_exits_zero_and_prints_tables(bench, capsys, tmp_path):
    out_json = tmp_path / "bench.json"
    status = bench.main(["--quick", "--json", str(out_json)])
    out = capsys.readouterr().out
    assert status == 0
    assert bench.TABLE_HEADER in out
    assert "clear/argsort" in out
    assert "markets/s" in out
    assert "numba" in out and "threads" in out
    data = json.loads(out_json.read_text())
    assert [r["n"] for r in data["single"]] == list(bench.SIZES)
    assert [r["markets"] for r in data["batch"]] == list(bench.MARKETS)
    assert all(r["reference_agrees"] for r in data["single"])


def test_breakdown_runs(bench):
    parts = bench.breakdown(200, budget_s=0.01)
    assert parts["clear() total"] > 0.0
    assert all(name in parts for name in bench.STAGES)


def _books():
    rng = np.random.default_rng(123)
    for n_bids, n_asks in [(1, 1), (3, 5), (10, 10), (40, 7), (200, 200), (1000, 900)]:
        yield _random_book(rng, n_bids, n_asks)
    # Hand-made: a crossing at a shared level, no crossing, zero quantities, negatives.
    yield [30.0, 20.0, 20.0], [1.0, 2.0, 1.0], [10.0, 20.0, 25.0], [1.0, 1.0, 4.0]
    yield [10.0, 5.0], [1.0, 1.0], [20.0, 30.0], [1.0, 1.0]
    yield [50.0, 40.0, 40.0], [0.0, 3.0, 0.0], [40.0, 45.0], [2.0, 0.0]
    yield [-10.0, -20.0], [2.0, 2.0], [-50.0, -15.0], [1.0, 5.0]
    yield [100.0] * 4, [1.0, 2.0, 3.0, 4.0], [100.0] * 3, [2.0, 2.0, 2.0]


def _random_book(rng, n_bids, n_asks):
    bp = np.round(rng.uniform(0.0, 200.0, n_bids), 2)
    ap = np.round(rng.uniform(0.0, 200.0, n_asks), 2)
    bp[::3] = np.round(bp[::3], -1)  # a third on multiples of 10: ties, pro-rata margins
    ap[::3] = np.round(ap[::3], -1)
    bq = rng.uniform(0.1, 50.0, n_bids)
    aq = rng.uniform(0.1, 50.0, n_asks)
    return bp.tolist(), bq.tolist(), ap.tolist(), aq.tolist()


@pytest.mark.parametrize("k", [0.0, 0.5, 1.0])
def test_reference_agrees_with_clear(bench, k):
    for book in _books():
        ref = bench.reference_clear(*book, k=k)
        res = clear(*book, k=k)
        assert bench.agrees(ref, res), (book, ref[:2], res.price, res.volume)
        np.testing.assert_allclose(ref[2], res.bid_fill, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(ref[3], res.ask_fill, rtol=1e-9, atol=1e-9)
        assert math.isclose(sum(ref[2]), sum(ref[3]), rel_tol=1e-9, abs_tol=1e-9)


def test_reference_no_trade(bench):
    price, volume, bid_fill, ask_fill = bench.reference_clear([10.0], [1.0], [20.0], [1.0])
    assert math.isnan(price) and volume == 0.0
    assert bid_fill == [0.0] and ask_fill == [0.0]


def test_reference_rejects_bad_orders(bench):
    with pytest.raises(ValueError):
        bench.reference_clear([math.nan], [1.0], [1.0], [1.0])
    with pytest.raises(ValueError):
        bench.reference_clear([1.0], [-1.0], [1.0], [1.0])
    with pytest.raises(ValueError):
        bench.reference_clear([5000.0], [1.0], [1.0], [1.0])
