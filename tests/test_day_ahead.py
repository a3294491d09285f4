"""Day-ahead then real time (issue 15, item 4): two settlements.

The worked day is by hand: a CCGT sells 200 MW day-ahead to the households at the
midpoint of 60 and 100; in real time it sells 50 MW more to the factory (odd periods) or
buys 50 MW back from the wind farm (even periods). Its forward line must be
q_DA x P_DA + (q_RT - q_DA) x P_RT, period by period.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from elecbay_evaluate.zones import two_zone_small
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest import approx

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.testing import random_orders

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")
    if "producers" in p.read_text()
)  # fmt: skip
CCGT, WIND, HOUSES, FACTORY = 0, 1, 2, 3
GATE = 22  # 11:00 in half-hour periods


def _small_da(**extra):
    return load_scenario(
        "small", **{"market.days": 2, "market.day_ahead": {"gate_hour": 11, **extra}}
    )


# ------------------------------------------------------------------ the worked day


def test_worked_day_two_settlements() -> None:
    eng = Engine(_small_da(shape=False), n_markets=1)
    eng.reset(seed=0)
    empty = eng.empty_orders
    for _ in range(GATE):
        out = eng.step(empty())
        assert out.ledger_amount[0, :, L.FORWARD] == approx(0.0)  # nobody traded
    assert eng.day_ahead_gate().all()
    b = eng.params.bid_steps
    n = eng.params.n_rows
    price, qty = np.zeros((1, n, b)), np.zeros((1, n, b))
    price[0, CCGT, 0], qty[0, CCGT, 0] = 60.0, 200.0
    price[0, HOUSES, 0], qty[0, HOUSES, 0] = 100.0, -200.0
    da = eng.clear_day_ahead(price, qty)
    assert da.first_period[0] == 48
    assert da.price[0, :, 0] == approx(np.full(48, 80.0))  # (60 + 100) / 2
    assert da.position_mw[0, :, CCGT] == approx(np.full(48, 200.0))
    assert da.position_mw[0, :, HOUSES] == approx(np.full(48, -200.0))
    assert da.cash[0, :, CCGT] == approx(np.full(48, 200.0 * 80.0 * 0.5))
    while eng.state.t[0] < 48:  # the rest of day one has no day-ahead position
        out = eng.step(empty())
        assert out.contract_mw[0] == approx(np.zeros(n))
    for t in range(48, 96):
        o = empty()
        if t % 2:  # sell 50 MW more at 70 to the factory bidding 110: P_RT = 90
            o.step_price[0, CCGT, 0], o.step_qty[0, CCGT, 0] = 70.0, 50.0
            o.step_price[0, FACTORY, 0], o.step_qty[0, FACTORY, 0] = 110.0, -50.0
            q_rt, p_rt = 250.0, 90.0
        else:  # buy 50 MW back at up to 50 from the wind farm offering at 0: P_RT = 25
            o.step_price[0, CCGT, 0], o.step_qty[0, CCGT, 0] = 50.0, -50.0
            o.step_price[0, WIND, 0], o.step_qty[0, WIND, 0] = 0.0, 50.0
            q_rt, p_rt = 150.0, 25.0
        out = eng.step(o)
        assert out.price[0] == approx(p_rt)
        assert out.contract_mw[0, CCGT] == approx(q_rt)
        # q_DA x P_DA on the day-ahead line, (q_RT - q_DA) x P_RT on the forward line
        assert out.ledger_amount[0, CCGT, L.DAY_AHEAD] == approx(200.0 * 80.0 * 0.5)
        assert out.ledger_mwh[0, CCGT, L.DAY_AHEAD] == approx(200.0 * 0.5)
        assert out.ledger_price[0, CCGT, L.DAY_AHEAD] == approx(80.0)
        rt = (q_rt - 200.0) * p_rt * 0.5
        assert out.ledger_amount[0, CCGT, L.FORWARD] == approx(rt, abs=1e-9)
        assert out.ledger_mwh[0, CCGT, L.FORWARD] == approx((q_rt - 200.0) * 0.5)
        assert out.ledger_price[0, CCGT, L.FORWARD] == approx(p_rt)
        expected = (200.0 * 80.0 + (q_rt - 200.0) * p_rt) * 0.5  # 10 250 or 7 375
        both = out.ledger_amount[0, CCGT, [L.FORWARD, L.DAY_AHEAD]].sum()
        assert both == approx(expected, abs=1e-9)
        assert out.contract_mw[0, HOUSES] == approx(-200.0)
        assert out.ledger_amount[0, HOUSES, L.DAY_AHEAD] == approx(-200.0 * 80.0 * 0.5)
        assert out.ledger_amount[0, HOUSES, L.FORWARD] == 0.0
        # imbalance settles against the whole contract (day-ahead included)
        imb = out.imbalance_mwh[0, CCGT]
        assert out.ledger_amount[0, CCGT, L.IMBALANCE] == approx(
            imb * out.ledger_price[0, CCGT, L.IMBALANCE], abs=1e-6
        )
        cash = out.ledger_amount[0, :, : L.N_CASH].sum()
        assert abs(cash) < 1e-6


def test_worked_week_two_settlements() -> None:
    """The worked day repeated for a week (7 days, a gate each of days 1-6): by hand the
    CCGT's day-ahead line is 6 days x 48 periods x 200 MW x 80 x 0.5 h = 2 304 000 and
    its forward line 6 x 24 x (50 x 90 - 50 x 25) x 0.5 = 234 000, 2 538 000 in all."""
    eng = Engine(
        load_scenario("small", **{"market.days": 7, "market.day_ahead": {"shape": False}}),
        n_markets=1,
    )
    eng.reset(seed=0)
    b, n = eng.params.bid_steps, eng.params.n_rows
    da_price, da_qty = np.zeros((1, n, b)), np.zeros((1, n, b))
    da_price[0, CCGT, 0], da_qty[0, CCGT, 0] = 60.0, 200.0
    da_price[0, HOUSES, 0], da_qty[0, HOUSES, 0] = 100.0, -200.0
    day_ahead = forward = 0.0
    gates = 0
    for t in range(7 * 48):
        if eng.day_ahead_gate().all():
            eng.clear_day_ahead(da_price, da_qty)
            gates += 1
        o = eng.empty_orders()
        if t >= 48 and t % 2:
            o.step_price[0, CCGT, 0], o.step_qty[0, CCGT, 0] = 70.0, 50.0
            o.step_price[0, FACTORY, 0], o.step_qty[0, FACTORY, 0] = 110.0, -50.0
        elif t >= 48:
            o.step_price[0, CCGT, 0], o.step_qty[0, CCGT, 0] = 50.0, -50.0
            o.step_price[0, WIND, 0], o.step_qty[0, WIND, 0] = 0.0, 50.0
        out = eng.step(o)
        day_ahead += out.ledger_amount[0, CCGT, L.DAY_AHEAD]
        forward += out.ledger_amount[0, CCGT, L.FORWARD]
        assert abs(out.ledger_amount[0, :, : L.N_CASH].sum()) < 1e-6
    assert gates == 6
    assert day_ahead == approx(2_304_000.0)
    assert forward == approx(234_000.0)
    assert day_ahead + forward == approx(2_538_000.0)


# --------------------------------------------------------------- money and ring


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1), zonal=st.booleans())
def test_cash_sums_to_zero_with_day_ahead(seed: int, zonal: bool) -> None:
    """Random curves day-ahead and in real time, one zone or two behind a tight border:
    every period's cash plus the congestion rent is zero, and every day-ahead slot is
    spent by the period it was for."""
    if zonal:
        sc = load_scenario(two_zone_small(30.0, days=2, day_ahead={"gate_hour": 11}))
    else:
        sc = _small_da()
    eng = Engine(sc, n_markets=2)
    eng.reset(seed=seed % 1000)
    rng = np.random.default_rng(seed)
    rents = 0.0
    for _ in range(eng.n_periods):
        o = random_orders(eng.params, eng.state, rng, 0.5)
        if eng.day_ahead_gate().all():
            da = random_orders(eng.params, eng.state, rng, 0.5)
            r = eng.clear_day_ahead(da.step_price, da.step_qty)
            assert np.all(r.congestion_rent >= -1e-9)
            # the rows' day-ahead cash is short of the rent by exactly the rent
            assert r.cash.sum(axis=2) + r.congestion_rent == approx(np.zeros((2, 48)), abs=1e-6)
        out = eng.step(o)
        rents += out.congestion_rent.sum()
        cash = out.ledger_amount[:, :, : L.N_CASH].sum(axis=(1, 2)) + out.congestion_rent
        turnover = np.abs(out.ledger_amount[:, :, : L.N_CASH]).sum(axis=(1, 2)) + 1.0
        assert np.all(np.abs(cash) <= 1e-9 * turnover)
    assert not eng.state.da_mw.any() and not eng.state.da_cash.any()
    assert rents >= -1e-6


# ----------------------------------------------------------- default off unchanged


def _run(scenario, n_periods: int, da: bool):
    eng = Engine(scenario, n_markets=2)
    eng.reset(seed=3)
    rng = np.random.default_rng(103)
    for _ in range(min(n_periods, eng.n_periods)):
        o = random_orders(eng.params, eng.state, rng, 0.5)
        if da and eng.day_ahead_gate().all():
            eng.clear_day_ahead(o.step_price, np.zeros_like(o.step_qty))
        eng.step(o)
    return eng


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_no_day_ahead_trade_runs_as_single_settlement(path: Path) -> None:
    """Every shipped scenario without ``market.day_ahead`` has no ring; with a day-ahead
    market in which nobody trades, the same ledger and rewards, bit for bit."""
    base = load_scenario(path)
    assert base.market.day_ahead is None
    ref = _run(base, 26, False)
    assert ref.params.da_slots == 0 and ref.state.da_mw.size == 0
    on = load_scenario(path, **{"market.day_ahead": {"gate_hour": 11}})
    eng = _run(on, 26, True)
    assert eng.params.da_slots == 2 * on.market.periods_per_day
    np.testing.assert_array_equal(eng.ledger.amounts, ref.ledger.amounts)
    np.testing.assert_array_equal(eng.ledger.rewards, ref.ledger.rewards)


# ------------------------------------------------------------------- bad input


def test_bad_day_ahead_input() -> None:
    with pytest.raises(ScenarioError, match="gate_hour"):
        _small_da(gate_hour=24)
    eng = Engine(_small_da(), n_markets=1)
    eng.reset(seed=0)
    o = eng.empty_orders()
    with pytest.raises(ValueError, match="not a gate"):
        eng.clear_day_ahead(o.step_price, o.step_qty)
    for _ in range(GATE):
        eng.step(o)
    before = eng.state.da_mw.copy()
    with pytest.raises(ValueError, match="step_qty: shape"):
        eng.clear_day_ahead(o.step_price, o.step_qty[:, :2])
    bad = o.step_price.copy()
    bad[0, 0, 0] = 1e9
    qty = o.step_qty.copy()
    qty[0, 0, 0] = 10.0
    with pytest.raises(ValueError, match="price_floor, price_cap"):
        eng.clear_day_ahead(bad, qty)
    np.testing.assert_array_equal(eng.state.da_mw, before)
    off = Engine(load_scenario("small"), n_markets=1)
    off.reset(seed=0)
    with pytest.raises(ValueError, match="no day-ahead market"):
        off.clear_day_ahead(o.step_price, o.step_qty)


# ------------------------------------------------------------------ standing orders at the gate


def test_gate_period_takes_standing_orders() -> None:
    """At the gate the action is the day-ahead curve; the gate period's own auction takes
    each row's curve of the period before (with none, no energy curves at all)."""
    from elecbay_env.envs.day_ahead_phase import gate_orders

    eng = Engine(_small_da(shape=False), n_markets=2)
    eng.reset(seed=[0, 1])
    rng = np.random.default_rng(5)
    standing = None
    for t in range(GATE + 1):
        o = random_orders(eng.params, eng.state, rng)
        sent = gate_orders(eng, o, standing)
        if t < GATE:
            assert sent is o  # outside the gate: the action itself
        else:
            assert np.isfinite(eng.state.da_price[:, 48 % eng.params.da_slots]).any()
            np.testing.assert_array_equal(sent.step_qty, standing.step_qty)
            np.testing.assert_array_equal(sent.step_price, standing.step_price)
            np.testing.assert_array_equal(sent.res_qty, o.res_qty)  # reserve: the gate's
        eng.step(sent)
        standing = sent
    eng2 = Engine(_small_da(shape=False), n_markets=1)
    eng2.reset(seed=0)
    for _ in range(GATE):
        eng2.step(eng2.empty_orders())
    o = random_orders(eng2.params, eng2.state, rng)
    assert not gate_orders(eng2, o, None).step_qty.any()


def test_thermal_units_run_through_the_first_gate() -> None:
    """With everyone honest on ``default``, the nuclear unit (must-run, 48-period minimum
    off time) holds a contract in the first gate period and keeps running: an empty gate
    auction used to stop it and leave its day-ahead sales undeliverable."""
    from elecbay_agents.registry import make_policies

    from elecbay_env import parallel_env

    sc = load_scenario("default", **{"market.days": 2, "market.day_ahead": {"gate_hour": 11}})
    env = parallel_env(sc.model_dump())
    spec = {"producer": "da_forecast", "consumer": "da_forecast", "broker": "rule_based_broker"}
    pols = make_policies(env, spec, seed=0)
    obs, _ = env.reset(seed=0)
    nuclear = env.possible_agents.index("producer_0")
    while env.agents:
        t = int(env.engine.t[0])
        obs, *_ = env.step({a: pols[a].predict(obs[a])[0] for a in env.agents})
        if t == GATE:
            assert env.last_outcome.contract_mw[0, nuclear] > 0.0
        assert env.engine.state.on[0, nuclear] == 1, t


def test_training_core_clears_the_gate() -> None:
    """The vectorised training core plays the day-ahead phase as the environment does:
    the gate's actions clear the next day, and the gate period trades standing orders."""
    from elecbay_train.core import TrainingCore

    sc = load_scenario("small", **{"market.days": 2, "market.day_ahead": {"gate_hour": 11}})
    opponents = {"*": "da_forecast", "broker": "rule_based_broker"}
    core = TrainingCore(sc.model_dump(), "producer_1", n_markets=2, opponents=opponents)
    core.reset(seed=3)
    a = np.zeros((2, 1, core.act_width))
    for _ in range(GATE):
        core.step(a)
    assert not core.engine.state.da_mw.any()
    core.step(a)  # the gate
    assert core.engine.state.da_mw.any()
    assert np.abs(core.last_outcome.contract_mw[:, CCGT]).sum() > 0.0
