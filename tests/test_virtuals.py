"""Virtual (financial) participants of the day-ahead market (issue 15, item 4).

The worked day is by hand: a CCGT offers 300 MW at 60 day-ahead, the households bid
200 MW at 100 and a virtual bids 50 MW at 90 (a decrement). The offer is partly filled,
so every period of day two clears at 60 and the virtual buys 50 MW day-ahead (paying
50 x 60 x 0.5 = 1 500 per half hour). In the odd periods real time trades (the factory
bids 50 MW at 110, the wind farm offers 50 MW at 0: P_RT = 55) and the virtual is
liquidated at 55: it receives 50 x 55 x 0.5 = 1 375, q_DA x (P_DA - P_RT) x h =
-50 x (60 - 55) x 0.5 = -125 in all. In the even periods real time does not trade and the
liquidation price is the period's imbalance price.
"""

from __future__ import annotations

import numpy as np
import pytest
from elecbay_evaluate.zones import two_zone_small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest import approx

from elecbay_env.config import load_scenario
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.testing import random_orders

CCGT, WIND, HOUSES, FACTORY = 0, 1, 2, 3
GATE = 22


def _small_virtual(days: int = 2, **extra):
    da = {"gate_hour": 11, "shape": False, "virtuals": [{"name": "v", "max_mw": 100.0}]}
    return load_scenario("small", **{"market.days": days, "market.day_ahead": {**da, **extra}})


def test_worked_day_virtual_liquidated_at_real_time() -> None:
    eng = Engine(_small_virtual(), n_markets=1)
    eng.reset(seed=0)
    desk = eng.virtuals
    assert desk is not None and desk.names == ["v"]
    for _ in range(GATE):
        eng.step(eng.empty_orders())
    b, n = eng.params.bid_steps, eng.params.n_rows
    price, qty = np.zeros((1, n, b)), np.zeros((1, n, b))
    price[0, CCGT, 0], qty[0, CCGT, 0] = 60.0, 300.0
    price[0, HOUSES, 0], qty[0, HOUSES, 0] = 100.0, -200.0
    vp, vq = np.zeros((1, 1, b)), np.zeros((1, 1, b))
    vp[0, 0, 0], vq[0, 0, 0] = 90.0, -50.0
    da = eng.clear_day_ahead(price, qty, vp, vq)
    assert da.price[0, :, 0] == approx(np.full(48, 60.0))
    assert da.position_mw[0, :, CCGT] == approx(np.full(48, 250.0))
    assert da.virtual_mw[0, :, 0] == approx(np.full(48, -50.0))
    assert da.virtual_cash[0, :, 0] == approx(np.full(48, -1500.0))
    while eng.state.t[0] < 48:
        eng.step(eng.empty_orders())
        assert desk.da_cash[0, 0] == 0.0 and desk.liquidation[0, 0] == 0.0
    total = 0.0
    for t in range(48, 96):
        o = eng.empty_orders()
        if t % 2:
            o.step_price[0, FACTORY, 0], o.step_qty[0, FACTORY, 0] = 110.0, -50.0
            o.step_price[0, WIND, 0], o.step_qty[0, WIND, 0] = 0.0, 50.0
        out = eng.step(o)
        if t % 2:
            assert out.price[0] == approx(55.0)
            p_l = 55.0
        else:
            assert out.volume_mw[0] == 0.0
            p_l = out.imbalance_price[0]
        assert desk.liquidation_price[0, 0] == approx(p_l)
        assert desk.da_cash[0, 0] == approx(-1500.0)
        assert desk.liquidation[0, 0] == approx(50.0 * p_l * 0.5)
        assert desk.da_cash[0, 0] + desk.liquidation[0, 0] == approx(-50.0 * (60.0 - p_l) * 0.5)
        # the virtual does not enter real time: the rows' contracts are theirs alone
        assert out.contract_mw[0, CCGT] == approx(250.0 - (50.0 if t % 2 == 0 else 0.0) * 0)
        rows = out.ledger_amount[0, :, : L.N_CASH].sum() + out.congestion_rent[0]
        assert rows + desk.da_cash[0].sum() + desk.liquidation[0].sum() + desk.operator[
            0
        ] == approx(0.0, abs=1e-6)
        total += desk.da_cash[0, 0] + desk.liquidation[0, 0]
    assert desk.total[0, 0] == approx(total)


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 2**31 - 1), zonal=st.booleans())
def test_money_to_the_cent_with_virtuals(seed: int, zonal: bool) -> None:
    """Random curves, random virtual curves: every period the rows' cash, the rents, the
    virtuals' cash and the operator's virtual account sum to zero (to the cent), and
    each virtual's period cash is q_DA x (P_DA - P_L) x h."""
    virtuals = [
        {"name": "inc", "max_mw": 80.0},
        {"name": "dec", "zone": int(zonal), "max_mw": 80.0},
    ]
    da = {"gate_hour": 11, "virtuals": virtuals}
    if zonal:
        sc = load_scenario(two_zone_small(30.0, days=2, day_ahead=da))
    else:
        sc = load_scenario("small", **{"market.days": 2, "market.day_ahead": da})
    eng = Engine(sc, n_markets=2)
    eng.reset(seed=seed % 1000)
    rng = np.random.default_rng(seed)
    desk = eng.virtuals
    b = eng.params.bid_steps
    positions = None
    for t in range(eng.n_periods):
        o = random_orders(eng.params, eng.state, rng, 0.5)
        if eng.day_ahead_gate().all():
            vq = rng.uniform(-20.0, 20.0, (2, 2, b))
            vp = rng.uniform(-50.0, 300.0, (2, 2, b))
            r = eng.clear_day_ahead(o.step_price, o.step_qty, vp, vq)
            positions = (r.virtual_mw.copy(), r.price.copy(), int(r.first_period[0]))
            o = o._replace(step_qty=np.zeros_like(o.step_qty))
        out = eng.step(o)
        rows = out.ledger_amount[:, :, : L.N_CASH].sum(axis=(1, 2)) + out.congestion_rent
        total = rows + desk.da_cash.sum(axis=1) + desk.liquidation.sum(axis=1) + desk.operator
        assert np.all(np.abs(total) < 0.005)
        if positions is not None and t >= positions[2]:
            q = positions[0][:, t - positions[2]]  # (E, V)
            p_da = positions[1][:, t - positions[2]][:, desk.zone]
            want = q * (np.nan_to_num(p_da) - desk.liquidation_price) * 0.5
            assert desk.da_cash + desk.liquidation == approx(np.where(q != 0, want, 0.0), abs=0.005)


def test_virtuals_that_trade_nothing_change_nothing() -> None:
    """Virtuals listed but bidding nothing: every row's outcome is bit-identical to the
    same market without them (and an empty list builds no desk)."""
    sc = load_scenario("small", **{"market.days": 2, "market.day_ahead": {"virtuals": []}})
    assert Engine(sc).virtuals is None
    runs = []
    for scenario in (_small_virtual(shape=True), _small_virtual(shape=True, virtuals=[])):
        eng = Engine(scenario, n_markets=2)
        eng.reset(seed=5)
        rng = np.random.default_rng(9)
        rewards = []
        for _ in range(eng.n_periods):
            o = random_orders(eng.params, eng.state, rng, 0.5)
            if eng.day_ahead_gate().all():
                eng.clear_day_ahead(o.step_price, o.step_qty)
            rewards.append(eng.step(o).reward.copy())
        runs.append(np.array(rewards))
    assert np.array_equal(runs[0], runs[1])


def test_bad_virtual_input() -> None:
    with pytest.raises(ValueError, match=r"virtuals.*zone"):
        Engine(_small_virtual(virtuals=[{"name": "v", "zone": 1}]))
    with pytest.raises(ValueError, match="unique"):
        _small_virtual(virtuals=[{"name": "v"}, {"name": "v"}])
    with pytest.raises(ValueError, match="taken"):
        Engine(_small_virtual(virtuals=[{"name": "ccgt"}]))
    eng = Engine(_small_virtual(), n_markets=1)
    eng.reset(seed=0)
    for _ in range(GATE):
        eng.step(eng.empty_orders())
    o = eng.empty_orders()
    vp, vq = eng.virtuals.empty_curves()
    vq[0, 0, 0] = -150.0
    with pytest.raises(ValueError, match="max_mw = 100"):
        eng.clear_day_ahead(o.step_price, o.step_qty, vp, vq)
    vq[0, 0, 0], vp[0, 0, 0] = -10.0, 1e9
    with pytest.raises(ValueError, match="virtual_price"):
        eng.clear_day_ahead(o.step_price, o.step_qty, vp, vq)
    assert np.all(eng.virtuals.mw == 0.0) and np.all(eng.state.da_mw == 0.0)


def test_reset_forgets_virtual_positions() -> None:
    eng = Engine(_small_virtual(), n_markets=2)
    eng.reset(seed=0)
    for _ in range(GATE):
        eng.step(eng.empty_orders())
    vp, vq = eng.virtuals.empty_curves()
    vp[:, 0, 0], vq[:, 0, 0] = 100.0, 20.0
    o = eng.empty_orders()
    o.step_price[:, HOUSES, 0], o.step_qty[:, HOUSES, 0] = 200.0, -100.0
    eng.clear_day_ahead(o.step_price, o.step_qty, vp, vq)
    assert eng.virtuals.mw.any()
    eng.reset_markets(np.array([True, False]), [7])
    assert not eng.virtuals.mw[0].any() and eng.virtuals.mw[1].any()
    eng.reset(seed=1)
    assert not eng.virtuals.mw.any() and not eng.virtuals.total.any()
