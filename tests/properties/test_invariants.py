"""Property tests of the market engine's invariants (DESIGN.md sections 3 and 5).

Every test draws a random market (the shipped ``small`` or ``default`` scenario with
random market rules, among them every imbalance pricing scheme, flat or ramped contract
profiles, residual reallocation on or off, and randomly modified participants: forced
outages up to 0.5 a period, ramp rates from a crawl to a jump, minimum run and off
times, storage sizes, forecast errors, consumers' flexible shares and values of shifted
energy), a batch size, a seed and an order plan, and runs the engine for
several periods. Order plans mix :func:`elecbay_env.testing.random_orders` with edge
cases built here: no orders at all, only bids, only offers, prices at the floor and
the cap, huge quantities, every step at one price (exact-equality crossings) and no
reserve requirement.

Invariants, one test each:

1. money: cash sums to zero over rows (per component and in total);
2. energy: metered net injection + unserved - curtailed = 0 on every meter interval;
3. no physical limit is exceeded (thermal output, ramps, start-up synchronisation,
   trips, shut-down ramps, storage power and state of charge, renewable availability,
   consumer flexibility), and minimum run / off times and outage durations hold;
4. rewards sum to welfare (from the ledger and, independently, from physical
   quantities; a consumer's extra consumption under a down instruction is worth its
   ``shifted_value_per_mwh``);
5. same seed, same orders: bit-identical outcomes and ledger;
6. a batch of E markets equals E single markets seeded ``seed + e``;
7. dual schemes (``dual``, ``legacy_dual``): nobody's imbalance beats the forward
   price; single schemes: one price, and under ``gb_single`` an imbalance on the
   system's side settles no better than the forward price; imbalance = metered -
   profile - instructed;
8. the imbalance price lies within [floor, cap]; under ``gb_single`` it is at least
   (short system) or at most (long) the forward price; under the legacy schemes it is
   VoLL (clipped) when energy went unserved in a short system;
9. fills: contracts sum to zero, step fills lie within their steps, fill prices;
10. bad orders raise ``ValueError`` naming the field and leave the state unchanged.
"""

from __future__ import annotations

import copy
from typing import Any, NamedTuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from elecbay_env.config import Scenario, load_scenario
from elecbay_env.draws import PeriodDraws
from elecbay_env.engine import Engine
from elecbay_env.kernels import kinds
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.kernels.balancing import SCHEMES
from elecbay_env.orders import Orders, empty_orders
from elecbay_env.params import MarketParams
from elecbay_env.period import PeriodOutcome
from elecbay_env.state import MarketState
from elecbay_env.testing import random_orders

PROPERTY = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
CHEAP = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

REL = 1e-9
"""Relative tolerance of sums of floating-point amounts."""
MWH_TOL = 1e-6
"""Energy above which this file calls a period short, unserved or curtailed; well above
the engine's own 1e-9 MWh threshold, so no check sits on the engine's boundary."""

BASES = {name: load_scenario(name).model_dump() for name in ("small", "default")}

MODES = (
    "random",
    "none",
    "bids_only",
    "offers_only",
    "floor_cap",
    "huge",
    "ties",
    "no_reserve",
    "mixed",
)


# --------------------------------------------------------------------------- strategies


def _frac(lo: float = 0.0, hi: float = 1.0) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


def _between(lo: float, hi: float, u: float) -> float:
    return min(max(lo + u * (hi - lo), lo), hi)


def _thermal(draw: st.DrawFn, p: dict[str, Any]) -> None:
    cap = p["capacity_mw"]
    ms_frac = draw(st.sampled_from([0.0, 0.4, 1.0]) | _frac())
    p["min_stable_mw"] = ms_frac * cap
    p["ramp_mw_per_min"] = draw(st.sampled_from([0.01, cap]) | _frac(0.01, cap / 2))
    p["min_run_periods"] = draw(st.integers(1, 6))
    p["min_off_periods"] = draw(st.integers(1, 6))
    p["forced_outage_prob_per_period"] = draw(st.sampled_from([0.0, 0.5]) | _frac(0.0, 0.5))
    p["outage_duration_periods"] = draw(st.integers(1, 4))
    p["startup_cost"] = draw(_frac(0.0, 50_000.0))
    p["initial_on"] = draw(st.booleans())
    p["initial_output_frac"] = _between(ms_frac, 1.0, draw(_frac())) if p["initial_on"] else 0.0


def _renewable(draw: st.DrawFn, p: dict[str, Any]) -> None:
    p["forecast_error"] = {"std_frac": draw(_frac(0.0, 0.5)), "ar1": draw(_frac(0.0, 0.95))}


def _storage(draw: st.DrawFn, p: dict[str, Any]) -> None:
    p["power_mw"] = draw(_frac(1.0, 300.0))
    # from far smaller than one interval at full power to several hours
    p["energy_mwh"] = draw(st.sampled_from([0.5, 5.0]) | _frac(0.5, 600.0))
    p["round_trip_efficiency_frac"] = draw(_frac(0.5, 1.0))
    lo = draw(_frac(0.0, 0.4))
    hi = draw(_frac(lo + 0.05, 1.0))
    p["min_soc_frac"], p["max_soc_frac"] = lo, hi
    p["initial_soc_frac"] = _between(lo, hi, draw(st.sampled_from([0.0, 1.0]) | _frac()))
    p["degradation_cost_per_mwh"] = draw(_frac(0.0, 30.0))


def _consumer(draw: st.DrawFn, c: dict[str, Any]) -> None:
    c["forecast_error"] = {"std_frac": draw(_frac(0.0, 0.3)), "ar1": draw(_frac(0.0, 0.95))}
    c["flexible_frac"] = draw(st.sampled_from([0.0, 1.0]) | _frac())
    c["shifted_value_per_mwh"] = draw(st.sampled_from([0.0, 1.0]) | _frac()) * c["value_per_mwh"]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    """A shipped scenario with random market rules and modified participants."""
    data = copy.deepcopy(BASES[draw(st.sampled_from(sorted(BASES)))])
    market = data["market"]
    period = draw(st.sampled_from([15, 30, 30, 60]))
    meter = draw(st.sampled_from([d for d in (1, 5, 15, 30) if period % d == 0]))
    market.update(
        days=1,
        period_min=period,
        meter_interval_min=meter,
        pricing=draw(st.sampled_from(["uniform", "pay_as_bid"])),
        imbalance_pricing=draw(st.sampled_from(SCHEMES)),
        schedule_ramp_min=draw(st.sampled_from([None, 0, period // 2, period])),
        residual_reallocation=draw(st.booleans()),
        dmat_mwh=draw(st.sampled_from([0.0, 0.1]) | _frac(0.0, 5.0)),
        par_mwh=draw(st.sampled_from([1.0]) | _frac(0.01, 50.0)),
        k=draw(st.sampled_from([0.0, 0.5, 1.0]) | _frac()),
        grace_factor_frac=draw(_frac(0.0, 0.95)),
        bid_steps=draw(st.integers(1, 6)),
        price_floor_per_mwh=draw(st.sampled_from([-500.0, 0.0]) | _frac(-1000.0, 0.0)),
        price_cap_per_mwh=draw(st.sampled_from([4000.0, 300.0]) | _frac(100.0, 10_000.0)),
        value_of_lost_load_per_mwh=draw(_frac(100.0, 20_000.0)),
        curtailment_cost_per_mwh=draw(st.sampled_from([0.0]) | _frac(0.0, 1000.0)),
    )
    data["broker"]["max_utilisation_price_per_mwh"] = None  # follows the new cap
    for p in data["producers"]:
        {"thermal": _thermal, "wind": _renewable, "solar": _renewable, "storage": _storage}[
            p["type"]
        ](draw, p)
    for c in data["consumers"]:
        _consumer(draw, c)
    return load_scenario(data)


class Case(NamedTuple):
    scenario: Scenario
    n_markets: int
    seed: int
    order_seed: int
    mode: str
    spread: float
    n_periods: int


@st.composite
def cases(draw: st.DrawFn, max_markets: int = 3, max_periods: int = 8) -> Case:
    return Case(
        scenario=draw(scenarios()),
        n_markets=draw(st.integers(1, max_markets)),
        seed=draw(st.integers(0, 2**32 - 1)),
        order_seed=draw(st.integers(0, 2**32 - 1)),
        mode=draw(st.sampled_from(MODES)),
        spread=draw(_frac(0.0, 2.0)),
        n_periods=draw(st.integers(1, max_periods)),
    )


# --------------------------------------------------------------------------- orders


def make_orders(
    params: MarketParams, state: MarketState, rng: np.random.Generator, mode: str, spread: float
) -> Orders:
    """Valid orders of one period under an order plan (see MODES)."""
    if mode == "mixed":
        mode = MODES[int(rng.integers(len(MODES) - 1))]
    if mode == "none":
        return empty_orders(params)
    o = random_orders(params, state, rng, spread)
    floor = params.price_floor[:, None, None]
    cap = params.price_cap[:, None, None]
    if mode == "bids_only":
        o.step_qty[:] = np.minimum(o.step_qty, 0.0)
    elif mode == "offers_only":
        o.step_qty[:] = np.maximum(o.step_qty, 0.0)
    elif mode == "floor_cap":
        o.step_price[:] = np.where(rng.random(o.step_price.shape) < 0.5, floor, cap)
        o.res_util[:] = np.where(rng.random(o.res_util.shape) < 0.5, floor, cap)
        o.max_util[:] = params.price_cap[:, None]
    elif mode == "huge":
        scale = 10.0 ** rng.uniform(3.0, 6.0)
        o.step_qty[:] *= scale
        o.res_qty[:] *= scale
        o.req_mw[:] *= scale
    elif mode == "ties":
        o.step_price[:] = np.clip(state.ref_price[:, None, None], floor, cap)
    elif mode == "no_reserve":
        o.req_mw[:] = 0.0
    return o


# --------------------------------------------------------------------------- simulation


class Rec(NamedTuple):
    """One period: the state before and after, the draws, the orders, the outcome."""

    before: MarketState
    after: MarketState
    draws: PeriodDraws
    orders: Orders
    out: PeriodOutcome


def _copy(nt: Any) -> Any:
    return type(nt)(*(np.array(a, copy=True) for a in nt))


def simulate(case: Case, explicit_draws: bool = True) -> tuple[Engine, list[Rec]]:
    """Run ``case``; with ``explicit_draws`` the draws are taken from the engine's own
    stream and passed in (the same numbers as ``step(orders)``), so tests can see them."""
    eng = Engine(case.scenario, n_markets=case.n_markets)
    eng.reset(seed=case.seed)
    rng = np.random.default_rng(case.order_seed)
    recs = []
    for _ in range(min(case.n_periods, eng.n_periods)):
        orders = make_orders(eng.params, eng.state, rng, case.mode, case.spread)
        draws = eng.draws.next() if explicit_draws else None
        before = _copy(eng.state)
        out = eng.step(orders, draws=draws)
        recs.append(Rec(before, _copy(eng.state), draws, orders, _copy(out)))
    return eng, recs


def _close(a: float, b: float, scale: float, rel: float = REL) -> bool:
    return abs(a - b) <= rel * scale + rel


# --------------------------------------------------------------------------- 1 money


@given(case=cases())
@PROPERTY
def test_money_is_conserved(case: Case) -> None:
    _, recs = simulate(case)
    for p, r in enumerate(recs):
        cash = r.out.ledger_amount[:, :, : L.N_CASH]  # (E, N, N_CASH)
        for e in range(case.n_markets):
            turnover = float(np.abs(cash[e]).sum())
            tol = 1e-9 * turnover + 1e-9
            total = float(cash[e].sum())
            assert abs(total) <= tol, f"period {p} market {e}: cash sums to {total}"
            for c in range(L.N_CASH):
                s = float(cash[e, :, c].sum())
                assert abs(s) <= tol, f"period {p} market {e}: {L.NAMES[c]} sums to {s}"
            assert np.all(np.isfinite(r.out.ledger_amount[e]))
            # a reward is the sum of the row's ledger lines, to rounding of those lines
            # (the broker's imbalance and residual reallocation lines cancel, so its
            # reward can be far smaller than its lines)
            lines = r.out.ledger_amount[e]
            gap = np.abs(r.out.reward[e] - lines.sum(axis=1))
            assert np.all(gap <= 1e-12 * np.abs(lines).sum(axis=1) + 1e-9), (p, e, gap)


# --------------------------------------------------------------------------- 2 energy


@given(case=cases())
@PROPERTY
def test_energy_balances_every_meter_interval(case: Case) -> None:
    _, recs = simulate(case)
    for p, r in enumerate(recs):
        o = r.out
        for e in range(case.n_markets):
            meter = o.meter_mwh[e]  # (N, M)
            balance = meter.sum(axis=0) + o.unserved_meter_mwh[e] - o.curtailed_meter_mwh[e]
            gross = np.abs(meter).sum(axis=0) + o.unserved_meter_mwh[e] + o.curtailed_meter_mwh[e]
            bad = np.abs(balance) > 1e-12 * gross + 1e-12
            assert not bad.any(), f"period {p} market {e}: interval imbalance {balance}"
            assert np.all(o.unserved_meter_mwh[e] >= 0.0)
            assert np.all(o.curtailed_meter_mwh[e] >= 0.0)
            # nothing is unserved and curtailed in the same interval
            assert np.all(np.minimum(o.unserved_meter_mwh[e], o.curtailed_meter_mwh[e]) == 0.0)
            np.testing.assert_allclose(o.metered_mwh[e], meter.sum(axis=1), rtol=1e-12, atol=1e-12)
            assert _close(o.unserved_mwh[e], o.unserved_meter_mwh[e].sum(), o.unserved_mwh[e])
            assert _close(o.curtailed_mwh[e], o.curtailed_meter_mwh[e].sum(), o.curtailed_mwh[e])


# --------------------------------------------------------------------------- 3 limits


def _weights(params: MarketParams) -> np.ndarray:
    """(M,) share of the way from the last period's position to this one's that a
    profile has gone, averaged over each meter interval: a linear ramp over the first
    ``ramp_min`` minutes of the period (kernels/delivery.py; 0: a step)."""
    ramp, meter = float(params.ramp_min), float(params.meter_min)
    w = np.ones(params.n_meters)
    for m in range(params.n_meters):
        t0, t1 = m * meter, (m + 1) * meter
        if ramp <= 0.0 or t0 >= ramp:
            continue
        inside = (min(t1, ramp) ** 2 - t0**2) / (2.0 * ramp)  # integral of t / ramp
        w[m] = (inside + max(t1 - ramp, 0.0)) / meter
    return w


def _path(params: MarketParams, now: float, before: float, fresh: bool) -> np.ndarray:
    """(M,) per-interval values moving from ``before`` to ``now`` (flat if ``fresh``)."""
    start = now if fresh else before
    return start + (now - start) * _weights(params)


def _committed(r: Rec) -> np.ndarray:
    """(E, N) thermal units that ran this period: still on afterwards, or tripped."""
    return (r.after.on == 1) | (r.out.tripped == 1)


def _thermal_problems(
    params: MarketParams, r: Rec, e: int, i: int, sync_rule: bool = True
) -> list[str]:
    """Breaches of kernels/delivery.py's thermal rules in one period.

    Rules (delivery.py's docstring): a committed unit runs within [min stable,
    capacity] and moves at most ramp x meter_min between consecutive intervals; the
    one exception is start-up synchronisation: from below minimum stable output the
    first interval is *at* minimum stable output; a trip drops output to zero at once
    from the trip interval; a unit that is not committed follows its contract profile
    down within its ramp and never up (``min(max(profile, prev - ramp step, 0),
    prev)``); a unit in a forced outage is off. With
    ``sync_rule=False`` the synchronisation interval is only held to [min stable,
    capacity] (so the other rules can be checked while that one is broken).
    """
    m_count = params.n_meters
    meter_h = params.meter_h
    cap = params.cap_mw[e, i]
    ms = params.min_stable_mw[e, i]
    step = params.ramp_mw_per_min[e, i] * params.meter_min
    tol = 1e-9 * max(cap, 1.0)
    committed = bool(_committed(r)[e, i])
    tripped = bool(r.out.tripped[e, i])
    trip_at = int(r.draws.trip_meter[e, i]) if tripped else m_count
    prev = float(r.before.level_mw[e, i])
    fresh = bool(r.before.t[e] == 0 or r.before.outage_left[e, i] > 0)
    profile = _path(
        params, float(r.out.contract_mw[e, i]), float(r.before.last_contract_mw[e, i]), fresh
    )
    problems = []
    if r.before.outage_left[e, i] > 0:
        if committed or tripped:
            problems.append("committed or tripped during a forced outage")
        if r.out.available_mw[e, i] != 0.0:
            problems.append(f"available_mw={r.out.available_mw[e, i]} during a forced outage")
    if r.out.started[e, i] != int(committed and r.before.on[e, i] == 0):
        problems.append(f"started={r.out.started[e, i]} but committed={committed}")
    for m in range(m_count):
        level = float(r.out.meter_mwh[e, i, m]) / meter_h
        where = f"interval {m}: level {level!r} (prev {prev!r}, min stable {ms}, step {step})"
        if not -tol <= level <= cap + tol:
            problems.append(f"{where}: outside [0, capacity {cap}]")
        if m >= trip_at:
            if abs(level) > tol:
                problems.append(f"{where}: not zero after the trip at interval {trip_at}")
        elif committed:
            if level < ms - tol:
                problems.append(f"{where}: committed below min stable")
            if prev < ms - tol:  # start-up synchronisation
                if sync_rule and abs(level - ms) > tol:
                    problems.append(f"{where}: start-up does not synchronise at min stable")
            elif abs(level - prev) > step + tol:
                problems.append(f"{where}: ramp exceeded")
        else:  # stopping or off: follows its profile down within its ramp, never up
            follow = min(max(profile[m], prev - step, 0.0), max(prev, 0.0))
            if abs(level - follow) > tol:
                problems.append(f"{where}: not committed, but not following {follow}")
        prev = level
    if abs(prev - r.after.level_mw[e, i]) > tol:
        problems.append(f"state.level_mw {r.after.level_mw[e, i]} != last interval {prev}")
    return problems


def _storage_problems(params: MarketParams, r: Rec, e: int, i: int) -> list[str]:
    power = params.cap_mw[e, i]
    lo, hi = params.soc_min_mwh[e, i], params.soc_max_mwh[e, i]
    eff = params.eff[e, i]
    tol = 1e-9 * max(hi, power, 1.0)
    soc = float(r.before.soc_mwh[e, i])
    problems = []
    for m in range(params.n_meters):
        mwh = float(r.out.meter_mwh[e, i, m])
        level = mwh / params.meter_h
        if abs(level) > power + tol:
            problems.append(f"interval {m}: |power| {level} > rating {power}")
        soc -= mwh / eff if mwh >= 0.0 else mwh * eff
        if not lo - tol <= soc <= hi + tol:
            problems.append(f"interval {m}: soc {soc} outside [{lo}, {hi}]")
    after = float(r.after.soc_mwh[e, i])
    if not lo - tol <= after <= hi + tol:
        problems.append(f"state.soc_mwh {after} outside [{lo}, {hi}]")
    if abs(after - soc) > tol:
        problems.append(f"state.soc_mwh {after} != soc implied by the meter reads {soc}")
    return problems


def _other_problems(params: MarketParams, r: Rec, e: int, i: int) -> list[str]:
    """Renewables produce within what is available in each interval (availability moves
    from the last period's to this one's as profiles do); a consumer draws its realised
    load less the unbought part of its flexible share, ``min(max(expected - bought, 0),
    flexible x expected)`` (expected load and bought profile per interval), shifted by
    at most its procured reserve."""
    kind = params.kind[e, i]
    levels = r.out.meter_mwh[e, i] / params.meter_h
    avail = float(r.out.available_mw[e, i])
    first = bool(r.before.t[e] == 0)
    avail_m = _path(params, avail, float(r.before.last_available_mw[e, i]), first)
    tol = 1e-9 * max(abs(avail), float(np.abs(avail_m).max()), params.cap_mw[e, i], 1.0)
    problems = []
    if kind in (kinds.WIND, kinds.SOLAR):
        if not 0.0 <= avail <= params.cap_mw[e, i] + tol:
            problems.append(f"available {avail} outside [0, capacity]")
        bad = (levels < -tol) | (levels > avail_m + tol)
        if bad.any():
            problems.append(f"output {levels} outside [0, available {avail_m}]")
    elif kind == kinds.CONSUMER:
        up, down = r.out.reserved_mw[e, i]
        # it sheds the flexible load it bid for and did not get, ramped like a profile
        n_fc = params.forecast_mw.shape[1]
        fc = params.forecast_mw[i, int(r.before.t[e]) % n_fc]
        shed_now = float(r.out.shed_mw[e, i])
        if not -tol <= shed_now <= params.flexible_frac[e, i] * fc + tol:
            problems.append(f"shed {shed_now} outside [0, flexible share of {fc}]")
        shed = _path(params, shed_now, float(r.before.last_shed_mw[e, i]), first)
        load = np.maximum(avail_m - shed, 0.0)
        bad = (levels > np.minimum(-load + up, 0.0) + tol) | (levels < -load - down - tol)
        if bad.any():
            problems.append(f"load {levels}: load {load} shifted beyond reserve [{up}, {down}]")
    elif kind == kinds.BROKER and np.any(levels != 0.0):
        problems.append(f"the broker metered {levels}")
    return problems


@given(case=cases(max_periods=10))
@PROPERTY
def test_no_physical_limit_is_exceeded(case: Case) -> None:
    eng, recs = simulate(case)
    params = eng.params
    for p, r in enumerate(recs):
        for e in range(case.n_markets):
            for i in range(params.n_rows):
                kind = params.kind[e, i]
                if kind == kinds.THERMAL:
                    problems = _thermal_problems(params, r, e, i, sync_rule=False)
                elif kind == kinds.STORAGE:
                    problems = _storage_problems(params, r, e, i)
                else:
                    problems = _other_problems(params, r, e, i)
                assert not problems, (
                    f"period {p}, market {e}, {eng.agents[i]} ({kinds.NAMES[kind]}):\n  "
                    + "\n  ".join(problems)
                )


@given(case=cases(max_periods=10))
@PROPERTY
def test_start_up_synchronises_at_min_stable(case: Case) -> None:
    """The start-up rule of kernels/delivery.py on random markets: from below minimum
    stable output a committed unit's first interval is at minimum stable output."""
    eng, recs = simulate(case)
    thermal = np.flatnonzero(eng.params.kind[0] == kinds.THERMAL)
    for p, r in enumerate(recs):
        for e in range(case.n_markets):
            for i in thermal:
                problems = _thermal_problems(eng.params, r, e, i, sync_rule=True)
                assert not problems, f"period {p}, market {e}, {eng.agents[i]}: {problems}"


@given(case=cases(max_periods=16))
@PROPERTY
def test_min_run_min_off_and_outage_duration(case: Case) -> None:
    """A unit that started runs ``min_run`` periods unless it trips; a unit that stopped
    (or tripped) stays off ``min_off`` periods (and ``outage_duration`` after a trip);
    a tripped unit is off, with zero output and zero availability, for exactly the
    outage's periods that follow."""
    eng, recs = simulate(case)
    params = eng.params
    n = len(recs)
    committed = np.array([_committed(r) for r in recs])  # (P, E, N)
    started = np.array([r.out.started for r in recs])
    tripped = np.array([r.out.tripped for r in recs])
    for e in range(case.n_markets):
        for i in np.flatnonzero(params.kind[e] == kinds.THERMAL):
            who = f"market {e}, {eng.agents[i]}"
            min_run, min_off = params.min_run[e, i], params.min_off[e, i]
            outage = params.outage_periods[e, i]
            on = committed[:, e, i]
            for p in np.flatnonzero(started[:, e, i]):
                q = p
                while q < n and on[q]:
                    q += 1
                if q < n:  # the run ended inside the horizon
                    assert q - p >= min_run or tripped[q - 1, e, i], (
                        f"{who}: started in period {p}, stopped in {q} (min run {min_run})"
                    )
                before = np.flatnonzero(on[:p])
                if before.size:
                    s = before[-1]
                    need = max(min_off, outage) if tripped[s, e, i] else min_off
                elif params.init_on[e, i]:
                    s, need = -1, min_off
                else:
                    continue
                assert p - s - 1 >= need, (
                    f"{who}: off after period {s}, restarted in {p} (need {need} periods off)"
                )
            for p in np.flatnonzero(tripped[:, e, i]):
                for q in range(p + 1, min(p + 1 + outage, n)):
                    r = recs[q]
                    assert not on[q], f"{who}: tripped in {p}, committed in {q}"
                    assert r.out.available_mw[e, i] == 0.0
                    assert np.all(r.out.meter_mwh[e, i] == 0.0), f"{who}: output in outage"
                if p + outage < n:
                    assert recs[p + outage].after.outage_left[e, i] == 0


def test_start_up_synchronisation_example() -> None:
    """kernels/delivery.py: 'On start-up it synchronises at minimum stable output in the
    first interval (the one step exempt from the ramp limit), then ramps.'

    A unit off at 0 MW (min stable 180 MW, ramp 13.5 MW/min = 67.5 MW per 5-min
    interval) sells 450 MW: the first interval should be 180 MW, then 247.5, 315,
    382.5, 450, 450."""
    eng = Engine(
        "small",
        **{
            "market.days": 1,
            "producers[0].initial_on": False,
            "producers[0].initial_output_frac": 0.0,
        },
    )
    eng.reset(seed=0)
    o = eng.empty_orders()
    o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = 450.0, 54.0
    o.step_qty[0, 2, 0], o.step_price[0, 2, 0] = -450.0, 3000.0
    out = eng.step(o)
    assert out.started[0, 0] == 1
    levels = out.meter_mwh[0, 0] / eng.params.meter_h
    np.testing.assert_allclose(levels, [180.0, 247.5, 315.0, 382.5, 450.0, 450.0], rtol=1e-12)


# --------------------------------------------------------------------------- 4 welfare


@given(case=cases())
@PROPERTY
def test_rewards_sum_to_welfare(case: Case) -> None:
    eng, recs = simulate(case)
    params = eng.params
    kind = params.kind
    for p, r in enumerate(recs):
        o = r.out
        amt = o.ledger_amount
        for e in range(case.n_markets):
            total = float(o.reward[e].sum())
            scale = float(np.abs(amt[e]).sum())
            # from the ledger's cost and value lines
            ledger_welfare = float(
                amt[e, :, L.CONSUMPTION_VALUE].sum()
                + amt[e, :, L.PRODUCTION_COST].sum()
                + amt[e, :, L.STARTUP_COST].sum()
                + amt[e, :, L.UNSERVED_COST].sum()
                + amt[e, :, L.CURTAILMENT_COST].sum()
            )
            assert _close(total, ledger_welfare, scale), (
                f"period {p} market {e}: rewards {total} != welfare {ledger_welfare}"
            )
            # independently, from metered energy and the parameters; a consumer's energy
            # taken only because it was instructed down is worth its shifted value: exact
            # where no down reserve was procured from it (or both values are equal), else
            # between the value of what it metered and that less the shifted discount on
            # at most its down reserve
            metered = o.metered_mwh[e]
            gen = (kind[e] == kinds.THERMAL) | (kind[e] == kinds.WIND) | (kind[e] == kinds.SOLAR)
            sto = kind[e] == kinds.STORAGE
            con = kind[e] == kinds.CONSUMER
            used = np.maximum(-metered, 0.0)
            full = params.value_per_mwh[e] * used
            discount = params.value_per_mwh[e] - params.shifted_value_per_mwh[e]
            most_shifted = np.minimum(used, o.reserved_mw[e, :, 1] * params.period_h)
            got = amt[e, :, L.CONSUMPTION_VALUE]
            for i in np.flatnonzero(con):
                where = f"period {p} market {e} {eng.agents[i]}"
                low = full[i] - discount[i] * most_shifted[i]
                assert low - REL * full[i] - REL <= got[i] <= full[i] + REL * full[i] + REL, (
                    f"{where}: consumption value {got[i]} outside [{low}, {full[i]}]"
                )
                if most_shifted[i] == 0.0 or discount[i] == 0.0:
                    assert _close(got[i], full[i], full[i]), where
            value = got[con].sum()
            production = (params.cost_per_mwh[e] * np.maximum(metered, 0.0))[gen].sum()
            production += (params.cost_per_mwh[e] * np.abs(o.meter_mwh[e]).sum(axis=1))[sto].sum()
            startups = (params.startup_cost[e] * o.started[e]).sum()
            lost = params.voll_per_mwh[e] * o.unserved_mwh[e]
            spilled = params.curtailment_cost_per_mwh[e] * o.curtailed_mwh[e]
            welfare = float(value - production - startups - lost - spilled)
            assert _close(total, welfare, scale), (
                f"period {p} market {e}: rewards {total} != physical welfare {welfare}"
            )


# --------------------------------------------------------------------------- 5 determinism


def _assert_same(a: Any, b: Any, what: str) -> None:
    for name, x, y in zip(a._fields, a, b, strict=True):
        assert x.dtype == y.dtype and x.shape == y.shape, f"{what}.{name}"
        assert np.array_equal(x, y, equal_nan=True), f"{what}.{name} differs"


@given(case=cases())
@CHEAP
def test_same_seed_same_orders_same_outcome(case: Case) -> None:
    eng1, recs1 = simulate(case, explicit_draws=False)
    eng2, recs2 = simulate(case, explicit_draws=False)
    for p, (r1, r2) in enumerate(zip(recs1, recs2, strict=True)):
        _assert_same(r1.orders, r2.orders, f"period {p}: orders")
        _assert_same(r1.out, r2.out, f"period {p}: outcome")
        _assert_same(r1.after, r2.after, f"period {p}: state")
    assert eng1.ledger.statements() == eng2.ledger.statements()
    assert eng1.ledger.meter_reads() == eng2.ledger.meter_reads()
    assert np.array_equal(eng1.ledger.amounts, eng2.ledger.amounts)
    # reset with the same seed replays the episode in the same engine
    eng1.reset(seed=case.seed)
    for p, r in enumerate(recs1):
        out = eng1.step(r.orders)
        _assert_same(out, r.out, f"replayed period {p}")


# --------------------------------------------------------------------------- 6 batch


def _market(nt: Any, e: int) -> Any:
    return type(nt)(*(np.array(a[e : e + 1], copy=True) for a in nt))


@given(
    case=cases(max_periods=6),
    n_markets=st.sampled_from([2, 3, 5, 17]),  # 17 runs the parallel kernel
)
@CHEAP
def test_batch_equals_single_markets(case: Case, n_markets: int) -> None:
    batch = Engine(case.scenario, n_markets=n_markets)
    batch.reset(seed=case.seed)
    singles = [Engine(case.scenario) for _ in range(n_markets)]
    for e, eng in enumerate(singles):
        eng.reset(seed=case.seed + e)
    rng = np.random.default_rng(case.order_seed)
    for p in range(min(case.n_periods, batch.n_periods)):
        orders = make_orders(batch.params, batch.state, rng, case.mode, case.spread)
        out = _copy(batch.step(orders))
        for e, eng in enumerate(singles):
            one = eng.step(_market(orders, e))
            _assert_same(_market(out, e), one, f"period {p}, market {e}")
            _assert_same(_market(batch.state, e), eng.state, f"period {p}, market {e} state")
    for e, eng in enumerate(singles):
        assert np.array_equal(batch.ledger.amounts[:, e], eng.ledger.amounts[:, 0])


# --------------------------------------------------------------------------- 7 imbalance


@given(case=cases())
@PROPERTY
def test_imbalance_settles_no_better_than_forward(case: Case) -> None:
    """Dual schemes: long parties get min(forward, imbalance), short parties pay
    max(...), so ``amount <= imbalance_mwh x forward price`` for both signs. Single
    schemes: everyone at the one imbalance price; under ``gb_single`` that price is on
    the system's side of the forward price, so a party whose imbalance has the
    system's sign (short in a short system, long in a long one) settles no better than
    at the forward price. Imbalance = metered - profile - instructed."""
    eng, recs = simulate(case)
    scheme = case.scenario.market.imbalance_pricing
    single = scheme in ("gb_single", "legacy_single")
    rows = [i for i, a in enumerate(eng.agents) if a != "broker_0"]
    for p, r in enumerate(recs):
        o = r.out
        for e in range(case.n_markets):
            fwd = o.forward_ref_price[e]
            imb = o.imbalance_price[e]
            niv = o.niv_mwh[e]
            assert np.isfinite(fwd)
            for i in rows:
                q = o.imbalance_mwh[e, i]
                amount = o.ledger_amount[e, i, L.IMBALANCE]
                price = o.ledger_price[e, i, L.IMBALANCE]
                where = f"period {p} market {e} {eng.agents[i]}: {q} MWh, {amount}"
                assert _close(amount, q * price, abs(amount)), where
                bound = q * fwd + 1e-9 * abs(q * fwd) + 1e-9
                if single:
                    assert price == imb, where
                    aggravates = (niv > 1e-9 and q < 0.0) or (niv < -1e-9 and q > 0.0)
                    if scheme == "gb_single" and aggravates:
                        assert amount <= bound, where
                else:
                    assert price == (min(imb, fwd) if q >= 0.0 else max(imb, fwd)), where
                    assert amount <= bound, where
                # imbalance_mwh = metered - profile - instructed
                expected = o.metered_mwh[e, i] - o.profile_mwh[e, i] - o.instructed_mwh[e, i]
                assert _close(q, expected, abs(o.metered_mwh[e, i]) + abs(expected)), where
            # a flat profile delivers the contract; a ramped one sums to the energy of
            # the ramp from the last position to this one
            w = _weights(eng.params).mean()
            first = r.before.t[e] == 0
            for i in rows:
                now = o.contract_mw[e, i]
                fresh = first or (
                    eng.params.kind[e, i] == kinds.THERMAL and r.before.outage_left[e, i] > 0
                )
                start = now if fresh else r.before.last_contract_mw[e, i]
                want = (start + (now - start) * w) * eng.params.period_h
                assert _close(o.profile_mwh[e, i], want, abs(now) + abs(start)), (p, e, i)


# --------------------------------------------------------------------------- 8 price bounds


@given(case=cases())
@PROPERTY
def test_imbalance_price_bounds_and_voll(case: Case) -> None:
    eng, recs = simulate(case)
    params = eng.params
    scheme = case.scenario.market.imbalance_pricing
    for p, r in enumerate(recs):
        o = r.out
        for e in range(case.n_markets):
            floor, cap = params.price_floor[e], params.price_cap[e]
            imb = o.imbalance_price[e]
            where = f"period {p} market {e}: niv {o.niv_mwh[e]}, unserved {o.unserved_mwh[e]}"
            assert floor <= imb <= cap, f"{where}: imbalance price {imb}"
            if np.isfinite(o.price[e]):
                assert floor <= o.price[e] <= cap
            else:
                assert o.volume_mw[e] == 0.0
            fwd = min(max(o.forward_ref_price[e], floor), cap)
            if scheme == "gb_single":  # on the system's side of the forward price
                if o.niv_mwh[e] > 1e-9:
                    assert imb >= fwd, f"{where}: short, {imb} < forward {fwd}"
                elif o.niv_mwh[e] < -1e-9:
                    assert imb <= fwd, f"{where}: long, {imb} > forward {fwd}"
            if scheme not in ("legacy_dual", "legacy_single"):
                continue
            if o.niv_mwh[e] > MWH_TOL and o.unserved_mwh[e] > MWH_TOL:
                voll = min(max(params.voll_per_mwh[e], floor), cap)
                assert imb == voll, f"{where}: {imb} != clipped VoLL {voll}"
            if o.niv_mwh[e] < -MWH_TOL and o.curtailed_mwh[e] > MWH_TOL:
                spill = min(max(-params.curtailment_cost_per_mwh[e], floor), cap)
                assert imb == spill, f"{where}: {imb} != -curtailment cost {spill}"
            if abs(o.niv_mwh[e]) <= 1e-12:
                assert imb == fwd


# --------------------------------------------------------------------------- 9 fills


@given(case=cases())
@PROPERTY
def test_fills(case: Case) -> None:
    eng, recs = simulate(case)
    params = eng.params
    pay_as_bid = case.scenario.market.pricing == "pay_as_bid"
    for p, r in enumerate(recs):
        o, q, price = r.out, r.orders.step_qty, r.orders.step_price
        fill = o.step_fill_mw
        for e in range(case.n_markets):
            where = f"period {p} market {e}"
            gross = float(np.abs(o.contract_mw[e]).sum())
            assert abs(o.contract_mw[e].sum()) <= 1e-9 * gross + 1e-9, where
            np.testing.assert_allclose(o.contract_mw[e], fill[e].sum(axis=1), rtol=1e-12, atol=1e-9)
            sold = fill[e][fill[e] > 0.0].sum()
            assert _close(sold, o.volume_mw[e], sold), f"{where}: sold {sold}, volume"
        # each step's fill within its quantity, with its sign
        assert np.all(np.where(q > 0.0, (fill >= 0.0) & (fill <= q), True))
        assert np.all(np.where(q < 0.0, (fill <= 0.0) & (fill >= q), True))
        assert np.all(np.where(q == 0.0, fill == 0.0, True))
        filled = fill != 0.0
        assert np.all(np.isnan(o.step_paid) == ~filled)
        if pay_as_bid:
            assert np.array_equal(o.step_paid[filled], price[filled])
        else:
            assert np.array_equal(
                o.step_paid[filled], np.broadcast_to(o.price[:, None, None], fill.shape)[filled]
            )
        # a seller is never paid below its ask; a buyer never pays above its bid
        assert np.all(np.where(filled & (q > 0.0), o.step_paid >= price, True))
        assert np.all(np.where(filled & (q < 0.0), o.step_paid <= price, True))
        # forward cash = fill x price paid x period hours
        fwd = np.where(filled, fill * np.nan_to_num(o.step_paid), 0.0).sum(axis=2)
        np.testing.assert_allclose(
            o.ledger_amount[:, :-1, L.FORWARD], fwd[:, :-1] * params.period_h, rtol=1e-9, atol=1e-9
        )
        # reserve: within the offer, the requirement and the caps
        res = o.reserved_mw
        assert np.all(res >= 0.0) and np.all(res <= r.orders.res_qty * (1 + 1e-12) + 1e-12)
        assert np.all(res.sum(axis=1) <= r.orders.req_mw * (1 + 1e-9) + 1e-9)
        over = r.orders.res_avail > r.orders.max_avail[:, None, :]
        assert np.all(res[over] == 0.0)
        assert np.all((o.perf_mult >= 0.0) & (o.perf_mult <= 1.0))


# --------------------------------------------------------------------------- 10 bad orders


def _rows(params: MarketParams, *wanted: int) -> list[int]:
    return [int(i) for i in np.flatnonzero(np.isin(params.kind[0], wanted))]


def _corrupt(o: Orders, params: MarketParams, what: str, data: st.DataObject) -> str:
    """Make ``o`` invalid in one way; return the field the error must name."""
    e = data.draw(st.integers(0, params.n_markets - 1), label="market")
    b = data.draw(st.integers(0, params.bid_steps - 1), label="step")
    d = data.draw(st.integers(0, 1), label="direction")
    sellers = _rows(params, kinds.THERMAL, kinds.WIND, kinds.SOLAR)
    any_row = data.draw(st.integers(0, params.n_rows - 1), label="row")
    if what == "nan_price":
        i = data.draw(st.sampled_from(sellers))
        o.step_qty[e, i, b] = 10.0
        o.step_price[e, i, b] = np.nan
        return "step_price"
    if what == "inf_qty":
        i = data.draw(st.sampled_from(sellers))
        o.step_qty[e, i, b] = np.inf
        return "step_qty"
    if what == "nan_util":
        o.res_util[e, any_row, d] = np.nan
        return "res_util"
    if what == "inf_req":
        o.req_mw[e, d] = np.inf
        return "req_mw"
    if what == "price_above_cap":
        i = data.draw(st.sampled_from(sellers))
        o.step_qty[e, i, b] = 10.0
        o.step_price[e, i, b] = params.price_cap[e] + 1.0
        return "step_price"
    if what == "price_below_floor":
        i = data.draw(st.sampled_from(_rows(params, kinds.CONSUMER)))
        o.step_qty[e, i, b] = -10.0
        o.step_price[e, i, b] = params.price_floor[e] - 1.0
        return "step_price"
    if what == "producer_buys":
        i = data.draw(st.sampled_from(sellers))
        o.step_qty[e, i, b] = -data.draw(st.floats(1e-6, 1e6))
        return "step_qty"
    if what == "consumer_sells":
        i = data.draw(st.sampled_from(_rows(params, kinds.CONSUMER)))
        o.step_qty[e, i, b] = data.draw(st.floats(1e-6, 1e6))
        return "step_qty"
    if what == "broker_trades":
        o.step_qty[e, params.n_rows - 1, b] = data.draw(st.sampled_from([-5.0, 5.0]))
        return "step_qty"
    if what in ("negative_reserve", "negative_requirement", "negative_cap"):
        name = {"negative_reserve": "res_qty", "negative_requirement": "req_mw"}.get(
            what, "max_avail"
        )
        arr = getattr(o, name)
        idx = (e, any_row, d) if arr.ndim == 3 else (e, d)
        arr[idx] = -data.draw(st.floats(1e-9, 1e6))
        return name
    raise AssertionError(what)


WRONG_SHAPE = "wrong_shape"
BAD_KINDS = (
    "nan_price",
    "inf_qty",
    "nan_util",
    "inf_req",
    "price_above_cap",
    "price_below_floor",
    "producer_buys",
    "consumer_sells",
    "broker_trades",
    "negative_reserve",
    "negative_requirement",
    "negative_cap",
    WRONG_SHAPE,
    "wrong_dtype",
)


@given(case=cases(max_periods=4), what=st.sampled_from(BAD_KINDS), data=st.data())
@PROPERTY
def test_bad_orders_raise_and_leave_state_unchanged(
    case: Case, what: str, data: st.DataObject
) -> None:
    eng, recs = simulate(case, explicit_draws=False)
    rng = np.random.default_rng(case.order_seed + 1)
    good = make_orders(eng.params, eng.state, rng, case.mode, case.spread)
    bad = _copy(good)
    if what == WRONG_SHAPE:
        field = data.draw(st.sampled_from(Orders._fields))
        arr = getattr(bad, field)
        extra = np.zeros((*arr.shape[:-1], arr.shape[-1] + 1))
        bad = bad._replace(**{field: extra})
    elif what == "wrong_dtype":
        field = data.draw(st.sampled_from(Orders._fields))
        bad = bad._replace(**{field: getattr(bad, field).astype(np.float32)})
    else:
        field = _corrupt(bad, eng.params, what, data)
    state = copy.deepcopy(eng.state)
    n_recorded = len(eng.ledger)
    with pytest.raises(ValueError, match=field):
        eng.step(bad)
    _assert_same(eng.state, state, "state after a rejected step")
    assert len(eng.ledger) == n_recorded
    # the rejected step consumed no random draws: the next valid step matches a twin
    # engine that never saw the bad orders
    twin = Engine(case.scenario, n_markets=case.n_markets)
    twin.reset(seed=case.seed)
    for r in recs:
        twin.step(r.orders)
    _assert_same(_copy(eng.step(good)), twin.step(good), "first valid step after a rejection")
