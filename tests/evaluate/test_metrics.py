"""Metrics of evaluate/metrics.py: surplus, the truthful benchmark, bootstrap intervals."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate.metrics import (
    bootstrap_ci,
    describe,
    max_surplus,
    realised_surplus,
    true_weights,
    truthful_book,
)

from elecbay_env import clear
from elecbay_env.engine import Engine
from elecbay_env.kernels import kinds

EXACT = Path(__file__).with_name("exact_market.yaml")


@pytest.fixture(scope="module")
def exact_params():
    return Engine(str(EXACT)).params


def test_truthful_book_of_the_exact_market(exact_params):
    bid_value, bid_mw, ask_cost, ask_mw = truthful_book(exact_params, 0, np.zeros(6, bool))
    np.testing.assert_array_equal(bid_value, [3000.0, 50.0])
    np.testing.assert_array_equal(bid_mw, [300.0, 150.0])
    np.testing.assert_array_equal(ask_cost, [20.0, 80.0, 0.0])
    np.testing.assert_array_equal(ask_mw, [400.0, 200.0, 100.0])


def test_max_surplus_by_hand(exact_params):
    # wind 100 MW at 0 and base 350 MW at 20 serve 300 MW at 3000 and 150 MW at 50
    want = 0.5 * (3000 * 300 + 50 * 150 - 20 * 350 - 0 * 100)
    assert max_surplus(exact_params, 0, np.zeros(6, bool)) == pytest.approx(want, rel=1e-15)


def test_a_unit_in_outage_offers_nothing(exact_params):
    in_outage = np.array([True, False, False, False, False, False])
    _, _, _, ask_mw = truthful_book(exact_params, 0, in_outage)
    np.testing.assert_array_equal(ask_mw, [0.0, 200.0, 100.0])
    # wind 100 at 0, peaker 200 at 80 for homes only (the smelter's 50 is below 80)
    want = 0.5 * (3000 * 300 - 80 * 200)
    assert max_surplus(exact_params, 0, in_outage) == pytest.approx(want, rel=1e-15)


def test_realised_surplus_of_the_truthful_fills_is_the_maximum(exact_params):
    bid_value, bid_mw, ask_cost, ask_mw = truthful_book(exact_params, 0, np.zeros(6, bool))
    r = clear(bid_value, bid_mw, ask_cost, ask_mw)
    fill = np.zeros((6, 4))  # rows: base, peaker, wind, homes, smelter, broker
    fill[[0, 1, 2], 0] = r.ask_fill  # + sold
    fill[[3, 4], 0] = -r.bid_fill  # - bought
    assert realised_surplus(exact_params, fill) == max_surplus(exact_params, 0, np.zeros(6, bool))


def test_storage_and_broker_are_not_counted():
    params = Engine("default").params
    w, counted = true_weights(params)
    kind = params.kind[0]
    assert not counted[kind == kinds.STORAGE].any()
    assert not counted[kind == kinds.BROKER].any()
    assert counted[(kind == kinds.THERMAL) | (kind == kinds.CONSUMER)].all()
    fill = np.zeros((params.n_rows, params.bid_steps))
    fill[kind == kinds.STORAGE] = 50.0  # a battery selling changes nothing
    assert realised_surplus(params, fill) == 0.0
    assert np.all(w[~counted] == 0.0)


@pytest.mark.parametrize("n", [3, 5, 10, 40])
@pytest.mark.parametrize("dist", ["normal", "lognormal", "bimodal"])
def test_bootstrap_interval_covers_the_mean(n, dist):
    rng = np.random.default_rng(n)
    x = {
        "normal": rng.normal(100.0, 20.0, n),
        "lognormal": rng.lognormal(0.0, 1.5, n),
        "bimodal": np.where(rng.random(n) < 0.5, -1e6, 1e6) + rng.normal(0, 1, n),
    }[dist]
    lo, hi = bootstrap_ci(x, n_resamples=2000, seed=0)
    assert math.isfinite(lo) and math.isfinite(hi)
    assert lo <= x.mean() <= hi


def test_bootstrap_is_seeded_and_nan_below_the_minimum_of_seeds():
    x = np.random.default_rng(1).normal(size=8)
    assert bootstrap_ci(x, seed=3) == bootstrap_ci(x, seed=3)
    assert all(math.isnan(v) for v in bootstrap_ci([1.0]))
    assert all(math.isnan(v) for v in bootstrap_ci([1.0, 2.0]))  # 2 < MIN_SEEDS_FOR_INTERVAL
    assert all(math.isfinite(v) for v in bootstrap_ci([1.0, 2.0, 4.0]))
    assert all(math.isnan(v) for v in bootstrap_ci([]))
    assert bootstrap_ci([2.5, 2.5, 2.5]) == (2.5, 2.5)
    d = describe([1.0, math.nan])
    assert d["n"] == 1 and d["mean"] == 1.0 and math.isnan(d["std"]) and math.isnan(d["ci_low"])


def test_wider_confidence_gives_a_wider_interval():
    x = np.random.default_rng(2).normal(size=12)
    lo90, hi90 = bootstrap_ci(x, confidence=0.90)
    lo99, hi99 = bootstrap_ci(x, confidence=0.99)
    assert lo99 <= lo90 and hi90 <= hi99
