"""Flexibility services: procurement by hand and against a HiGHS LP, the scenario section's
errors, and engine properties (money to the cent, delivery never paid above the accepted
MW, scenarios without the section unchanged)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.flex_market import procure
from elecbay_env.period import step_period
from elecbay_env.testing import random_orders

CONFIGS = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "configs").glob("*.yaml")
    if "producers" in p.read_text()
)  # fmt: skip
SERVICE = "evening_peak"


# --------------------------------------------------------------------------- procurement


def test_procure_by_hand():
    # scores with expected use 0.5: A 5 + 50 = 55, B 10 + 30 = 40, C 2 + 100 = 102
    cap, av, ut = np.array([10.0, 10, 10]), np.array([5.0, 10, 2]), np.array([100.0, 60, 200])
    a = procure(cap, av, ut, 15.0, 0.5)  # B first (10 MW), then 5 MW of A
    assert a.accepted_mw.tolist() == [5.0, 10.0, 0.0]
    assert a.availability_per_mw_h.tolist() == [5.0, 10.0, 0.0]
    assert a.utilisation_per_mwh.tolist() == [100.0, 60.0, 0.0]
    u = procure(cap, av, ut, 15.0, 0.5, "uniform")  # both paid the marginal A's prices
    assert u.availability_per_mw_h.tolist() == [5.0, 5.0, 0.0]
    assert u.utilisation_per_mwh.tolist() == [100.0, 100.0, 0.0]
    # with expected use 0.01 the scores are 6, 10.6, 4: C, then A
    assert procure(cap, av, ut, 15.0, 0.01).accepted_mw.tolist() == [5.0, 0.0, 10.0]
    # a reserve availability price of 8 rules B out: A then C
    r = procure(cap, av, ut, 15.0, 0.5, max_availability_per_mw_h=8.0)
    assert r.accepted_mw.tolist() == [10.0, 0.0, 5.0]
    # need above what is offered: everything eligible
    assert procure(cap, av, ut, 100.0, 0.5).accepted_mw.tolist() == [10.0, 10.0, 10.0]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 20), st.floats(0, 50), st.floats(0, 300)), min_size=1, max_size=7
    ),
    st.floats(0.1, 60),
    st.floats(0.01, 1.0),
)
def test_procure_is_the_cheapest_by_lp(offers, need, use):
    cap, av, ut = (np.array(x, dtype=float) for x in zip(*offers, strict=True))
    a = procure(cap, av, ut, need, use)
    score = av + ut * use
    target = min(need, cap.sum())
    assert a.accepted_mw.sum() == pytest.approx(target, abs=1e-9)
    assert (a.accepted_mw >= 0).all() and (a.accepted_mw <= cap + 1e-12).all()
    bounds = [(0.0, c) for c in cap]
    lp = linprog(score, A_eq=np.ones((1, cap.size)), b_eq=[target], bounds=bounds, method="highs")
    assert lp.status == 0
    assert score @ a.accepted_mw == pytest.approx(lp.fun, rel=1e-9, abs=1e-7)
    # uniform pricing pays every accepted offer the same prices, which are some offer's
    u = procure(cap, av, ut, need, use, "uniform")
    won = u.accepted_mw > 0
    if won.any():
        assert len(set(u.availability_per_mw_h[won])) == 1
        assert u.availability_per_mw_h[won][0] in av[won]


# --------------------------------------------------------------------------- schema


def _with(**svc):
    base = load_scenario("flexibility").model_dump(mode="json")
    base["flexibility"]["services"][0].update(svc)
    return base


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"members": ["nobody"]}, "flexibility.services[0].members[0]"),
        ({"members": ["ccgt"]}, "flexibility.services[0].members[0]"),
        ({"penalty_per_mwh": 10.0}, "flexibility.services[0].penalty_per_mwh"),
        ({"baseline": "nominated", "penalty_per_mwh": 300.0}, "max_utilisation_per_mwh x"),
        ({"baseline": "nominated", "expected_use_frac": 1.0}, "services[0].expected_use_frac"),
        ({"windows": [{"start_hour": 18, "end_hour": 17}]}, "windows[0].end_hour"),
        ({"windows": [], "periods": []}, "flexibility.services[0].periods"),
        ({"periods": [48]}, "flexibility.services[0].periods[0]"),
        ({"need_mw": -1}, "need_mw"),
        ({"expected_use_frac": 0}, "expected_use_frac"),
        ({"baseline": "guess"}, "baseline"),
    ],
)
def test_bad_service_names_the_field(change, field):
    with pytest.raises(ScenarioError) as err:
        load_scenario(_with(**change))
    assert field in str(err.value)


def test_windows_cover_the_periods_they_overlap():
    from elecbay_env.schema_flexibility import need_periods

    svc = load_scenario(_with(windows=[{"start_hour": 17.2, "end_hour": 19}])).flexibility
    assert need_periods(svc.services[0], 30) == [34, 35, 36, 37]
    assert need_periods(svc.services[0], 60) == [17, 18]
    assert need_periods(svc.services[0], 1440) == [0]
    both = load_scenario(_with(periods=[2, 36])).flexibility.services[0]
    assert need_periods(both, 30) == [2, 34, 35, 36, 37]


def test_bad_offer_names_the_field_and_changes_nothing():
    eng = Engine("flexibility")
    fx = eng.flexibility
    e, n = 1, len(eng.agents)
    good = np.zeros((e, n))
    with pytest.raises(ValueError, match="service='nope'"):
        fx.offer("nope", good, good, good)
    bad = good.copy()
    bad[0, 3] = -1.0
    with pytest.raises(ValueError, match=r"availability_per_mw_h\[0, 3\] \(consumer_0\)"):
        fx.offer(SERVICE, good, bad, good)
    ccgt = good.copy()
    ccgt[0, 0] = 5.0
    with pytest.raises(ValueError, match="producer_0 is not a member"):
        fx.offer(SERVICE, ccgt, good, good)
    with pytest.raises(ValueError, match="capacity_mw: expected shape"):
        fx.offer(SERVICE, np.zeros(3), good, good)
    with pytest.raises(ValueError, match=r"baseline_mw\[0, 3\] \(consumer_0\)"):
        fx.offer(SERVICE, good, good, good, baseline_mw=np.where(bad < 0, np.inf, 0.0))
    assert not fx.services[0].capacity.any()


# --------------------------------------------------------------------------- engine


def _offers(eng: Engine, rng: np.random.Generator) -> None:
    e, n = eng.n_markets, len(eng.agents)
    member = eng.flexibility.services[0].member
    cap = np.where(member, rng.uniform(0, 15, (e, n)), 0.0)
    nominated = np.where(rng.random((e, n)) < 0.5, rng.uniform(0, 150, (e, n)), np.nan)
    av, ut = rng.uniform(0, 25, (e, n)), rng.uniform(0, 450, (e, n))
    eng.flexibility.offer(SERVICE, cap, av, ut, baseline_mw=nominated)


def _run(seed: int, n_markets: int = 2, **overrides) -> Engine:
    eng = Engine("flexibility", n_markets=n_markets, **overrides)
    rng = np.random.default_rng(seed)
    _offers(eng, rng)
    eng.reset(seed=seed)
    while eng.t[0] < eng.n_periods:
        if eng.t[0] % 48 == 20:
            _offers(eng, rng)  # new standing offers before the next gate
        eng.step(random_orders(eng.params, eng.state, rng))
    return eng


VARIANTS = [
    {},
    {"flexibility.services.0.direction": "turn_up", "flexibility.services.0.pricing": "uniform"},
    {"flexibility.services.0.baseline": "nominated"},
    {"flexibility.services.0.baseline": "default_profile", "market.days": 1},
]


@settings(max_examples=8, deadline=None)
@given(st.integers(0, 2**31 - 1), st.sampled_from(VARIANTS))
def test_money_to_the_cent_and_delivery_within_accepted(seed, overrides):
    eng = _run(seed, **overrides)
    rows = eng.ledger.statements()
    flex = [r for r in rows if str(r["component"]).startswith("flexibility_")]
    assert flex, "the scenario's service never settled"
    cash: dict[tuple, Decimal] = {}
    for r in flex:
        key = (r["market"], r["period"], r["component"])
        cash[key] = cash.get(key, Decimal(0)) + r["amount"]
    assert all(v == 0 for v in cash.values())  # the broker pays exactly
    # every agent's statement lines add up to its reward to the cent
    total: dict[tuple, Decimal] = {}
    for r in rows:
        key = (r["market"], r["agent"])
        total[key] = total.get(key, Decimal(0)) + r["amount"]
    rewards = eng.ledger.rewards.sum(axis=0)  # (E, N)
    for e in range(eng.n_markets):
        for i, agent in enumerate(eng.agents):
            assert abs(float(total.get((e, agent), Decimal(0))) - rewards[e, i]) < 0.005
    # delivered MWh (utilisation lines) never above the accepted MW over the period
    period_h = eng.params.period_h
    for r in flex:
        if r["agent"] == "broker_0":
            continue
        if str(r["component"]).startswith("flexibility_utilisation"):
            avail = [
                x
                for x in flex
                if x["market"] == r["market"]
                and x["period"] == r["period"]
                and x["agent"] == r["agent"]
                and str(x["component"]).startswith("flexibility_availability")
            ]
            accepted_mw = avail[0]["mwh"] / period_h
            assert 0 <= r["mwh"] <= accepted_mw * period_h + 1e-9
            assert accepted_mw <= 10.0 + 1e-9  # never more than the need


def test_same_seed_same_flexibility_statements():
    a, b = _run(5, 1), _run(5, 1)
    assert a.ledger.statements() == b.ledger.statements()


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_scenarios_without_the_section_run_unchanged(path):
    """The engine of a scenario without ``flexibility:`` has no operator, and every period
    is bit-identical to running the stage kernel directly (the code path before it)."""
    scenario = load_scenario(path)
    if scenario.flexibility is not None:
        pytest.skip("a flexibility scenario")
    eng = Engine(scenario, n_markets=2, keep_ledger=True)
    assert eng.flexibility is None
    ref = Engine(scenario, n_markets=2, keep_ledger=False)
    eng.reset(seed=11)
    ref.reset(seed=11)
    rng_a, rng_b = np.random.default_rng(3), np.random.default_rng(3)
    for _ in range(min(eng.n_periods, 60)):
        out = eng.step(random_orders(eng.params, eng.state, rng_a))
        orders = random_orders(ref.params, ref.state, rng_b)
        expect = step_period(ref.params, ref.state, orders, ref.draws.next())
        for name in out._fields:
            assert np.array_equal(getattr(out, name), getattr(expect, name), equal_nan=True), name
    assert not eng.ledger.extra
    assert all(not str(r["component"]).startswith("flex") for r in eng.ledger.statements())


def test_settlement_by_hand():
    """The factory (peak 120 MW, no forecast error, flat contract blocks) sells 10 MW of
    turn-down at 5 per MW per hour and 100 per MWh, default-profile baseline (its
    expected load), called on day 0 (seed 2). It sheds 10 MW in periods 34 and 35 and
    4 MW in 36 and 37: per half hour 5 MWh asked; delivered 5 MWh, then 2 MWh.
    Full delivery: availability 10 x 0.5 x 5 = 25, utilisation 5 x 100 = 500. A ratio of
    0.4 (below 0.5): availability 0, utilisation 2 x 100 = 200, penalty -(5 - 2) x 500."""
    overrides = {
        "consumers.1.forecast_error.std_frac": 0.0,
        "market.schedule_ramp_min": 0,
        "flexibility.services.0.baseline": "default_profile",
    }
    eng = Engine("flexibility", **overrides)
    fx = eng.flexibility
    n = len(eng.agents)
    row = eng.agents.index("consumer_1")
    cap, av, ut = np.zeros((1, n)), np.zeros((1, n)), np.zeros((1, n))
    cap[0, row], av[0, row], ut[0, row] = 10.0, 5.0, 100.0
    fx.offer(SERVICE, cap, av, ut)
    eng.reset(seed=2)
    assert fx.services[0].used[0, 0, 0]  # day 0's window is called
    from elecbay_env.episodes import visible_forecast

    for _ in range(38):
        t = int(eng.t[0])
        o = eng.empty_orders()
        fc = visible_forecast(eng.params, eng.state, t)[0]
        for i in range(n - 1):  # everyone else at cost or value, the factory bids its load
            k = eng.params.kind[0, i]
            sign = 1.0 if k in (0, 1, 2) else -1.0
            mw = eng.params.cap_mw[0, i] if k == 0 else fc[i]
            o.step_qty[0, i, 0] = 0.0 if k == 3 else sign * mw
            o.step_price[0, i, 0] = eng.params.cost_per_mwh[0, i] if sign > 0 else 3000.0
        shed = {34: 10.0, 35: 10.0, 36: 4.0, 37: 4.0}.get(t, 0.0)
        o.step_qty[0, row, 0] = -(fc[row] - shed)
        o.step_qty[0, row, 1], o.step_price[0, row, 1] = -shed, eng.params.price_floor[0]
        eng.step(o)
    lines = {
        (r["period"], str(r["component"]).split(":")[0]): r
        for r in eng.ledger.statements()
        if r["agent"] == "consumer_1" and str(r["component"]).startswith("flex")
    }
    for t in (34, 35):
        assert float(lines[t, "flexibility_availability"]["amount"]) == pytest.approx(25.0)
        assert lines[t, "flexibility_utilisation"]["mwh"] == pytest.approx(5.0)
        assert float(lines[t, "flexibility_utilisation"]["amount"]) == pytest.approx(500.0)
        assert (t, "flexibility_penalty") not in lines
    for t in (36, 37):
        assert float(lines[t, "flexibility_availability"]["amount"]) == 0.0
        assert float(lines[t, "flexibility_utilisation"]["amount"]) == pytest.approx(200.0)
        assert lines[t, "flexibility_penalty"]["mwh"] == pytest.approx(3.0)
        assert float(lines[t, "flexibility_penalty"]["amount"]) == pytest.approx(-1500.0)
    assert not any(t < 34 for t, _ in lines)


def test_engine_historical_baseline_is_the_pure_functions_on_the_meter_reads():
    """Day 1's delivery in the engine equals the baselines module applied to the ledger's
    meter reads: the 10 similar days are 9 days before the episode (the expected load)
    and day 0 (metered), plus the capped same-day adjustment from the 2 h before the
    window, bounded by the default profile."""
    from elecbay_evaluate.flex_exploits import truthful_orders

    from elecbay_env.baselines import (
        bounded_baseline,
        delivered_mwh,
        historical_baseline,
        same_day_adjustment,
    )

    eng = Engine("flexibility")
    fx = eng.flexibility
    svc = fx.services[0].svc
    n, m, ppd = len(eng.agents), eng.params.n_meters, fx.ppd
    row = eng.agents.index("consumer_1")
    cap, av, ut = np.zeros((1, n)), np.zeros((1, n)), np.zeros((1, n))
    cap[0, row], av[0, row], ut[0, row] = 10.0, 5.0, 100.0
    fx.offer(SERVICE, cap, av, ut)
    eng.reset(seed=2)  # both days called
    rng = np.random.default_rng(0)
    while eng.t[0] < eng.n_periods:
        o = truthful_orders(eng)
        shed = rng.uniform(0, 12) if fx.requested_mw()[0, row] > 0 else 0.0
        flex = -o.step_qty[0, row, 1]
        o.step_qty[0, row, 1] = -max(flex - shed, 0.0)
        o.step_qty[0, row, 2], o.step_price[0, row, 2] = -min(shed, flex), -500.0
        eng.step(o)
    meters = np.zeros((2, ppd * m))  # the factory's consumption, day x interval
    for r in eng.ledger.meter_reads():
        if r["agent"] == "consumer_1":
            d, pod = divmod(r["period"], ppd)
            meters[d, pod * m + r["interval"]] = -r["mwh"]
    profile = fx._profile_day(0, eng.state, 0)[row]  # day 0's expected load (MWh)
    history = np.stack([profile] * 9 + [meters[0]])
    types = np.zeros(10, int)
    start = 34 * m
    pre = slice(start - 24, start)  # 2 h of 5-minute intervals
    hist = historical_baseline(history, types, 0, 10)
    adj = same_day_adjustment(hist[pre], meters[1, pre], svc.adjustment_cap_frac)
    base = bounded_baseline(hist + adj, fx._profile_day(0, eng.state, 1)[row], 0.2)
    lines = {
        r["period"]: r["mwh"]
        for r in eng.ledger.statements()
        if r["agent"] == "consumer_1" and str(r["component"]).startswith("flexibility_util")
    }
    for t in range(34, 38):
        sl = slice(t * m, (t + 1) * m)
        expect = delivered_mwh(base[sl], meters[1, sl], 10.0 * eng.params.meter_h).sum()
        assert lines.get(ppd + t, 0.0) == pytest.approx(expect, rel=1e-12, abs=1e-12)
    assert any(lines.get(ppd + t, 0.0) > 0 for t in range(34, 38))
