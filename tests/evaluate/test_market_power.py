"""Market-power figures of evaluate/market_power.py: worked examples, invariants, and
episodes of the exact market and of ``small`` (truthful against strategic, paired by
seed)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate import tournament as tm
from elecbay_evaluate.market_power import (
    MONOPOLY_HHI,
    MarketPowerMetrics,
    hhi,
    lerner,
    marginal_cost,
    pivotal,
    residual_supply_index,
    truthful_price,
    withheld_mw,
)
from elecbay_evaluate.metrics import MARKET_METRICS
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.engine import Engine
from elecbay_env.orders import empty_orders
from elecbay_env.period import allocate_outcome

EXACT = str(Path(__file__).with_name("exact_market.yaml"))
TRUTHFUL = {"name": "truthful", "policies": {"*": "merit_order"}}
POWER = ("hhi_mean", "lerner_mean", "markup_mean_per_mwh", "withheld_mw_mean",
         "pivotal_period_share")  # fmt: skip

positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False)
non_negative = st.floats(min_value=0.0, max_value=1e6, allow_nan=False)


# ------------------------------------------------------------------ concentration


def test_hhi_of_a_monopoly_and_of_equal_firms():
    assert hhi([250.0]) == MONOPOLY_HHI == 10_000.0
    assert hhi([0.0, 250.0, 0.0]) == 10_000.0  # firms that sell nothing do not count
    assert hhi([100.0, 100.0]) == pytest.approx(5_000.0, rel=1e-12)
    assert hhi([1.0] * 4) == pytest.approx(2_500.0, rel=1e-12)
    # 60 % and 40 %: 3600 + 1600
    assert hhi([60.0, 40.0]) == pytest.approx(5_200.0, rel=1e-12)


def test_hhi_without_energy_is_nan_and_negative_energy_is_refused():
    assert math.isnan(hhi([0.0, 0.0]))
    with pytest.raises(ValueError, match=">= 0"):
        hhi([10.0, -1.0])
    with pytest.raises(ValueError):
        hhi([10.0, math.nan])


@settings(max_examples=200, deadline=None)
@given(st.lists(positive, min_size=1, max_size=30), positive)
def test_hhi_lies_between_equal_shares_and_monopoly(mw, scale):
    n = len(mw)
    h = hhi(mw)
    assert 10_000.0 / n * (1 - 1e-9) <= h <= 10_000.0 * (1 + 1e-9)
    assert hhi(np.asarray(mw) * scale) == pytest.approx(h, rel=1e-9)  # shares, not MW


# ------------------------------------------------------------------ Lerner


def test_lerner_worked_example():
    # units with costs 0, 20 and 80 sold 100, 200 and 0 MW at a price of 60: the
    # marginal unit is the 20-cost one (the 80-cost unit did not sell)
    c = marginal_cost([100.0, 200.0, 0.0], [0.0, 20.0, 80.0])
    assert c == 20.0
    assert lerner(60.0, c) == pytest.approx(2.0 / 3.0, rel=1e-15)
    assert lerner(20.0, 20.0) == 0.0  # competitive
    assert lerner(10.0, 20.0) == pytest.approx(-1.0)  # below the marginal unit's cost


def test_lerner_is_nan_without_a_trade_or_a_positive_price():
    assert math.isnan(marginal_cost([0.0, 0.0], [10.0, 20.0]))
    assert math.isnan(lerner(60.0, math.nan))
    assert math.isnan(lerner(math.nan, 20.0))
    assert math.isnan(lerner(0.0, 20.0))
    assert math.isnan(lerner(-5.0, 20.0))


# ------------------------------------------------------------------ pivotal suppliers


def test_a_pivotal_supplier_is_flagged():
    # demand 100: without A (80 MW) only 50 MW remain; without B (30 MW) exactly 100
    # remain (RSI 1, not pivotal); without C 110
    rsi = residual_supply_index([80.0, 30.0, 20.0], 100.0)
    np.testing.assert_allclose(rsi, [0.5, 1.0, 1.1])
    np.testing.assert_array_equal(pivotal([80.0, 30.0, 20.0], 100.0), [True, False, False])
    # two suppliers of 80 and 30 MW for 100 MW: each is needed
    np.testing.assert_array_equal(pivotal([80.0, 30.0], 100.0), [True, True])
    # no demand: nobody is pivotal
    assert not pivotal([80.0, 30.0], 0.0).any()
    assert np.all(np.isinf(residual_supply_index([80.0, 30.0], 0.0)))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(non_negative, min_size=2, max_size=12),
    positive,
    positive,
    st.data(),
)
def test_rsi_is_monotone(available, demand, extra, data):
    a = np.asarray(available)
    rsi = residual_supply_index(a, demand)
    # more demand: every index falls (weakly)
    assert np.all(residual_supply_index(a, demand + extra) <= rsi)
    # more capacity at one producer: the others' indices rise (weakly), its own stays
    j = data.draw(st.integers(0, len(a) - 1))
    b = a.copy()
    b[j] += extra
    more = residual_supply_index(b, demand)
    others = np.arange(len(a)) != j
    assert np.all(more[others] >= rsi[others])
    assert more[j] == pytest.approx(rsi[j], rel=1e-9, abs=1e-9 * (a.sum() + extra) / demand)
    # a bigger producer has a smaller index
    order = np.argsort(a, kind="stable")
    assert np.all(np.diff(rsi[order]) <= 1e-9 * max(1.0, float(np.abs(rsi).max())))


# ------------------------------------------------------------------ withholding


def test_withheld_capacity_worked_example():
    available = [400.0, 200.0, 100.0]
    cost = [20.0, 80.0, 0.0]
    step_price = [[-1.0, 20.0, 90.0, 20.0], [80.0, 80.0, 80.0, 80.0], [0.0, 0.0, 0.0, 0.0]]
    step_qty = [[50.0, 150.0, 100.0, 0.0], [0.0, 0.0, 0.0, 0.0], [25.0, 25.0, 25.0, 25.0]]
    # at 65: unit 0 (cost 20) offers 50 + 150 at or below the price, holds back 200
    # (its step at 90 does not count); unit 1 (cost 80) is not economic at 65 whatever
    # it offers; unit 2 offers its 100 MW at 0
    assert withheld_mw(available, step_price, step_qty, cost, 65.0) == 200.0
    # at 95 unit 0's step at 90 counts (100 withheld), and unit 1 withholds all 200
    assert withheld_mw(available, step_price, step_qty, cost, 95.0) == 100.0 + 200.0
    # at exactly a unit's cost it is not counted (no profit forgone)
    assert withheld_mw(available, step_price, step_qty, cost, 20.0) == 0.0
    assert math.isnan(withheld_mw(available, step_price, step_qty, cost, math.nan))


def test_offering_more_than_available_withholds_nothing_and_bids_are_ignored():
    assert withheld_mw([100.0], [[10.0, 10.0]], [[80.0, 60.0]], [5.0], 50.0) == 0.0
    assert withheld_mw([100.0], [[10.0, 10.0]], [[80.0, -60.0]], [5.0], 50.0) == 20.0


# ------------------------------------------------------------------ markup benchmark


def test_truthful_price_of_the_exact_market():
    params = Engine(EXACT).params
    # wind 100 MW at 0 and the base unit partly (350 of 400 MW) at 20: the price is 20
    assert truthful_price(params, 0, np.zeros(6, bool)) == pytest.approx(20.0, abs=1e-12)
    # base unit out: wind and the peaker (80) serve exactly the homes' 300 MW (value
    # 3000); the supporting prices are [80, 3000] and the market's k places the price
    out = np.array([True] + [False] * 5)
    assert params.k[0] == 0.5
    assert truthful_price(params, 0, out) == pytest.approx(1540.0, rel=1e-12)
    assert truthful_price(params._replace(k=np.array([0.0])), 0, out) == pytest.approx(80.0)
    assert truthful_price(params._replace(k=np.array([1.0])), 0, out) == pytest.approx(3000.0)


def test_one_hand_made_period_of_the_accumulator():
    """Rows: base (cost 20, 400 MW), peaker (80, 200 MW), wind (0, forecast 100 MW),
    homes (300 MW), smelter (150 MW), broker. Price 60; the base unit offers 200 MW at
    60 and sells them, wind sells 100; the base unit then delivers 150 MWh, wind 50."""
    params = Engine(EXACT).params
    agents = ["producer_0", "producer_1", "producer_2", "consumer_0", "consumer_1", "broker_0"]
    out = allocate_outcome(params)
    out.price[0] = 60.0
    out.step_fill_mw[0, 0, :2] = 100.0
    out.step_fill_mw[0, 2, 0] = 100.0
    out.step_fill_mw[0, 3, 0] = -300.0
    out.contract_mw[0] = out.step_fill_mw[0].sum(axis=1)  # forward shares 2/3, 1/3
    out.metered_mwh[0] = [150.0, 0.0, 50.0, -150.0, -50.0, 0.0]  # delivered 3/4, 1/4
    orders = empty_orders(params)
    orders.step_price[0, 0] = 60.0
    orders.step_qty[0, 0, :2] = 100.0
    orders.step_qty[0, 2, 0] = 100.0
    orders.step_qty[0, 3, 0] = -300.0
    orders.step_price[0, 3, 0] = 4000.0
    m = MarketPowerMetrics(params, agents)
    m.record(0, np.zeros(6, bool), orders, out)
    out.price[0] = math.nan  # a second period without a trade
    out.step_fill_mw[0] = 0.0
    out.metered_mwh[0] = 0.0
    m.record(1, np.zeros(6, bool), orders, out)
    r = m.result()
    assert r["hhi"][0] == pytest.approx(75.0**2 + 25.0**2)  # metered, not contracted
    assert r["lerner"][0] == pytest.approx(40.0 / 60.0)  # marginal unit: the base unit
    assert r["markup_per_mwh"][0] == pytest.approx(60.0 - 20.0)
    assert r["withheld_mw"][0] == 200.0  # base: 400 - 200; the peaker is dearer than 60
    assert r["rsi_min"] == pytest.approx([300.0 / 450.0] * 2)
    assert all(math.isnan(r[k][1]) for k in ("hhi", "lerner", "markup_per_mwh", "withheld_mw"))
    # means over the periods where a figure exists; pivotal shares over all periods
    assert r["hhi_mean"] == r["hhi"][0] and r["withheld_mw_mean"] == 200.0
    assert r["pivotal_share"] == {"producer_0": 1.0, "producer_1": 0.0, "producer_2": 0.0}
    assert r["pivotal_period_share"] == 1.0


# ------------------------------------------------------------------ episodes


def _run(spec: dict) -> tm.TournamentResult:
    return tm.run_tournament(spec, workers=1, progress=False)


@pytest.fixture(scope="module")
def exact_result():
    spec = {
        "scenarios": [EXACT],
        "seeds": [0, 1, 2],
        "entries": [
            TRUTHFUL,
            {"name": "markup", "policies": {"producer_0": "markup:2"}},
            {"name": "withhold", "policies": {"producer_0": "withhold:0.5"}},
        ],
    }
    return _run(spec)


def _episodes(result, entry):
    return sorted((e for e in result.episodes if e["entry"] == entry), key=lambda e: e["seed"])


def test_exact_market_truthful_play_has_no_market_power(exact_result):
    for ep in _episodes(exact_result, "truthful"):
        per = ep["market_power_periods"]
        assert len(per["markup_per_mwh"]) == ep["n_periods"]
        # prices pass the float32 codec: about 1e-5 per MWh of rounding
        np.testing.assert_allclose(per["markup_per_mwh"], 0.0, atol=1e-3)
        np.testing.assert_allclose(per["lerner"], 0.0, atol=1e-5)
        np.testing.assert_allclose(per["withheld_mw"], 0.0, atol=1e-6)
        # wind delivers 100 MW, the base unit 350: shares 2/9 and 7/9
        want = (100 * 2 / 9) ** 2 + (100 * 7 / 9) ** 2
        np.testing.assert_allclose(per["hhi"], want, rtol=1e-6)
        # the base unit (400 of 700 MW for 450 MW of load) is pivotal, nobody else is
        assert ep["pivotal_share"] == {"producer_0": 1.0, "producer_1": 0.0, "producer_2": 0.0}
        np.testing.assert_allclose(per["rsi_min"], 300.0 / 450.0, rtol=1e-12)
        assert ep["pivotal_period_share"] == 1.0


def test_exact_market_markup_is_measured_paired_by_seed(exact_result):
    """Base unit offers at 3 x 20 = 60: the smelter is priced out, the price is 60
    instead of the truthful 20 in every period of every seed."""
    for truthful, marked in zip(
        _episodes(exact_result, "truthful"), _episodes(exact_result, "markup"), strict=True
    ):
        assert truthful["seed"] == marked["seed"]
        per = marked["market_power_periods"]
        np.testing.assert_allclose(per["markup_per_mwh"], 40.0, atol=1e-3)
        np.testing.assert_allclose(per["lerner"], 40.0 / 60.0, atol=1e-5)
        np.testing.assert_allclose(per["withheld_mw"], 0.0, atol=1e-6)  # prices, not MW
        # wind 100 MW, base 200 MW: shares 1/3 and 2/3
        np.testing.assert_allclose(per["hhi"], 10_000 * 5 / 9, rtol=1e-6)
        assert marked["markup_mean_per_mwh"] > truthful["markup_mean_per_mwh"] + 39.9
        assert marked["lerner_mean"] > truthful["lerner_mean"]


def test_exact_market_withholding_is_measured(exact_result):
    """Half the base unit held back: 200 of its 400 MW are not offered, although its
    cost (20) is below the price (65, between the smelter's 50 and the peaker's 80)."""
    for ep in _episodes(exact_result, "withhold"):
        per = ep["market_power_periods"]
        np.testing.assert_allclose(per["withheld_mw"], 200.0, atol=1e-3)
        np.testing.assert_allclose(per["markup_per_mwh"], 45.0, atol=1e-3)
        assert ep["withheld_mw_mean"] == pytest.approx(200.0, abs=1e-3)


def test_market_power_figures_are_summarised_and_reported(exact_result):
    assert set(POWER) <= set(MARKET_METRICS)
    markets = {m["entry"]: m["metrics"] for m in exact_result.markets}
    for name in POWER:
        assert markets["markup"][name]["n"] == 3
    d = markets["markup"]["markup_mean_per_mwh"]
    assert d["mean"] == pytest.approx(40.0, abs=1e-3)
    assert d["ci_low"] <= d["mean"] <= d["ci_high"]
    table = tm.market_table(exact_result)
    head = table.splitlines()[0]
    for heading in ("HHI", "Lerner", "markup", "withheld MW", "pivotal periods"):
        assert f"| {heading} |" in head
    row = next(line for line in table.splitlines()[2:] if line.split("|")[2].strip() == "markup")
    assert "40.00 [" in row  # the mean markup with its interval


def test_truthful_play_on_small_has_no_markup():
    """Merit-order play on ``small`` (one CCGT, one wind farm) prices at the truthful
    book's price in every period, up to the float32 codec's rounding."""
    spec = {"scenarios": [{"name": "small", "overrides": {"market.days": 1}}],
            "seeds": [0, 1], "entries": [TRUTHFUL]}  # fmt: skip
    for ep in _run(spec).episodes:
        markup = np.asarray(ep["market_power_periods"]["markup_per_mwh"])
        assert np.isfinite(markup).sum() == ep["periods_traded"] > 0
        assert np.nanmax(np.abs(markup)) < 1e-2
        assert abs(ep["markup_mean_per_mwh"]) < 1e-3
        assert abs(ep["lerner_mean"]) < 1e-4
        # the CCGT (450 MW) is needed for every period's load; the wind farm never
        assert ep["pivotal_share"] == {"producer_0": 1.0, "producer_1": 0.0}
