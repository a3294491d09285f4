"""Ramped contract profiles, the residual reallocation and honest consumer values, on the
engine, with hand-worked numbers.

Conventions as in tests/test_settlement_examples.py: MW, MWh, currency per MWh; a period
is 0.5 h, a meter interval 5 min; cash received is positive; rows are producers as
listed, consumers, then broker_0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from elecbay_env.config import load_scenario
from elecbay_env.draws import PeriodDraws
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.kernels.delivery import ramp_weight
from elecbay_env.testing import random_orders

UP, DOWN = 0, 1
MH = 5.0 / 60.0


def approx(x: Any, tol: float = 1e-9) -> Any:
    return pytest.approx(x, rel=tol, abs=tol)


def thermal(name: str, cap: float, min_stable: float, cost: float, ramp: float,
            level: float) -> dict[str, Any]:  # fmt: skip
    return {
        "type": "thermal", "name": name, "technology": "ccgt", "capacity_mw": cap,
        "min_stable_mw": min_stable, "marginal_cost_per_mwh": cost, "startup_cost": 0.0,
        "ramp_mw_per_min": ramp, "min_run_periods": 1, "min_off_periods": 1,
        "forced_outage_prob_per_period": 0.0, "outage_duration_periods": 1,
        "initial_on": level > 0.0, "initial_output_frac": level / cap,
    }  # fmt: skip


def load(name: str, mw: float, value: float, shape: str = "flat", **extra: Any) -> dict:
    return {
        "name": name, "profile_type": "residential", "peak_mw": mw, "value_per_mwh": value,
        "profile": {"shape": shape}, "forecast_error": {"std_frac": 0.0}, **extra,
    }  # fmt: skip


def engine(producers: list[dict], consumers: list[dict], **rules: Any) -> Engine:
    scenario = load_scenario(
        {
            "name": "example",
            "market": {"days": 1, "bid_steps": 2, **rules},
            "producers": producers,
            "consumers": consumers,
        }
    )
    eng = Engine(scenario)
    eng.reset(seed=0)
    return eng


def exact(eng: Engine) -> PeriodDraws:
    n, m = eng.params.n_rows, eng.params.n_meters
    return PeriodDraws(
        z=np.zeros((1, n)), u_outage=np.ones((1, n)), trip_meter=np.full((1, n), m - 1, np.int64)
    )


# --------------------------------------------------------------------------- ramp weights


def test_ramp_weights_average_a_linear_ramp_over_each_interval() -> None:
    # a 30-minute ramp read every 5 minutes: the interval means of t/30 are 1/12, 3/12, ...
    w = [ramp_weight(m, 5, 30) for m in range(6)]
    assert w == approx([1 / 12, 3 / 12, 5 / 12, 7 / 12, 9 / 12, 11 / 12])
    # a 10-minute ramp: 1/4, 3/4, then 1; an interval that straddles its end (m=1 of a
    # 7-minute ramp, 5..10 min): (integral_5^7 t/7 dt + 3) / 5 = (24/14 + 3) / 5
    assert [ramp_weight(m, 5, 10) for m in range(3)] == approx([0.25, 0.75, 1.0])
    assert ramp_weight(1, 5, 7) == approx((24.0 / 14.0 + 3.0) / 5.0)
    # 0 minutes: the first version's flat blocks
    assert [ramp_weight(m, 5, 0) for m in range(6)] == [1.0] * 6


# --------------------------------------------------------------------------- follow the contract


@pytest.mark.parametrize("ramp_min", [None, 10])
def test_every_asset_that_follows_its_contract_is_in_balance(ramp_min: int | None) -> None:
    # A thermal unit (ramp 30 MW/min: 150 MW an interval), wind and solar with exact
    # forecasts, a battery and a load on the residential shape with an exact forecast.
    # Each period the load buys its forecast, wind and solar sell theirs, the battery
    # sells or buys a chosen position and the thermal unit supplies the rest: every
    # position is a contract the asset can follow, so no one is out of balance in any
    # period, NIV is zero and no reserve is activated.
    producers = [
        thermal("gen", 1000, 20, 40, 30, 500),
        {"type": "wind", "name": "wind", "capacity_mw": 200, "profile": {"shape": "wind"},
         "forecast_error": {"std_frac": 0.0}},
        {"type": "solar", "name": "sun", "capacity_mw": 100, "profile": {"shape": "solar"},
         "forecast_error": {"std_frac": 0.0}},
        {"type": "storage", "name": "bat", "power_mw": 50, "energy_mwh": 1000,
         "round_trip_efficiency_frac": 0.9, "initial_soc_frac": 0.5},
    ]  # fmt: skip
    rules = {} if ramp_min is None else {"schedule_ramp_min": ramp_min}
    consumers = [load("homes", 700, 1000, "residential")]
    fc = engine(producers, consumers, **rules).params.forecast_mw
    battery = [40.0, -30.0, 0.0, 50.0, -50.0, 10.0] * 8
    # the thermal unit starts where its first contract is
    producers[0] = thermal("gen", 1000, 20, 40, 30, fc[4, 0] - fc[1, 0] - fc[2, 0] - battery[0])
    eng = engine(producers, consumers, **rules)
    for t in range(48):
        o = eng.empty_orders()
        wind, sun, demand = fc[1, t], fc[2, t], fc[4, t]
        gen = demand - wind - sun - battery[t]
        o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = gen, 10.0
        o.step_qty[0, 1, 0], o.step_price[0, 1, 0] = wind, 0.0
        o.step_qty[0, 2, 0], o.step_price[0, 2, 0] = sun, 0.0
        o.step_qty[0, 3, 0], o.step_price[0, 3, 0] = battery[t], 5.0 if battery[t] > 0 else 900
        o.step_qty[0, 4, 0], o.step_price[0, 4, 0] = -demand, 1000.0
        out = eng.step(o, exact(eng))
        assert out.contract_mw[0, :5] == approx([gen, wind, sun, battery[t], -demand], 1e-6)
        assert out.imbalance_mwh[0] == approx(np.zeros(6), 1e-6), f"period {t}"
        assert out.niv_mwh[0] == approx(0.0, 1e-6)
        assert out.activated_up_mwh[0] == 0.0 and out.activated_down_mwh[0] == 0.0
        # the profile energy is what was metered, and the energy is conserved
        assert out.metered_mwh[0] == approx(out.profile_mwh[0], 1e-6)
        assert out.metered_mwh[0].sum() == approx(0.0, 1e-6)


def test_a_ramp_beyond_the_units_rate_is_short() -> None:
    # gen (ramp 2 MW/min: 10 MW per interval) holds 100 MW, then sells 200 MW. Over the
    # 30-minute ramp its profile climbs 100 -> 200 at 100/6 MW per interval on average;
    # it can only climb 10: it falls behind and is short. The buyer (the load, flat 100
    # MW, bought 200) is long by the same amount: it drew its load, not the profile.
    eng = engine([thermal("gen", 300, 50, 40, 2, 100)], [load("load", 100, 1000)])
    o = eng.empty_orders()
    o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = 100, 40
    o.step_qty[0, 1, 0], o.step_price[0, 1, 0] = -100, 100
    eng.step(o, exact(eng))
    o.step_qty[0, 0, 0], o.step_qty[0, 1, 0] = 200, -200
    out = eng.step(o, exact(eng))
    profile = [100 + 100 * ramp_weight(m, 5, 30) for m in range(6)]
    gen, level = [], 100.0
    for p in profile:
        level = min(p, level + 10.0)
        gen.append(level)
    assert [x / MH for x in out.meter_mwh[0, 0]] == approx(gen)
    assert out.profile_mwh[0, 0] == approx(sum(profile) * MH)
    assert out.imbalance_mwh[0, 0] == approx((sum(gen) - sum(profile)) * MH)
    assert out.imbalance_mwh[0, 0] < 0.0 < out.imbalance_mwh[0, 1]


# --------------------------------------------------------------------------- reallocation


def test_residual_cash_goes_back_pro_rata_to_metered_energy() -> None:
    # Flat blocks (schedule_ramp_min 0), k = 0. Gen A (cost 40) sells 60 MW, gen B (cost
    # 50) sells 40 MW, the load (100 MW flat) buys 100 MW at 1000: all fill, the supporting
    # interval is [50, 1000] and k = 0 prices it at 50. A trips at meter 0 and delivers
    # nothing. B holds 30 MW of up reserve (availability 2, utilisation 70) and is
    # activated for all of it in every interval; the other 30 MW of the shortfall go
    # unserved.
    a = thermal("a", 100, 10, 40, 100, 60)
    a["forced_outage_prob_per_period"] = 0.5
    eng = engine(
        [a, thermal("b", 100, 10, 50, 100, 40)], [load("load", 100, 1000)], k=0.0,
        schedule_ramp_min=0,
    )  # fmt: skip
    o = eng.empty_orders()
    o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = 60, 40
    o.step_qty[0, 1, 0], o.step_price[0, 1, 0] = 40, 50
    o.step_qty[0, 2, 0], o.step_price[0, 2, 0] = -100, 1000
    o.res_qty[0, 1, UP], o.res_avail[0, 1, UP], o.res_util[0, 1, UP] = 30, 2, 70
    o.req_mw[0, UP], o.max_avail[0, UP], o.max_util[0, UP] = 30, 10, 4000
    d = exact(eng)
    d.u_outage[0, 0], d.trip_meter[0, 0] = 0.0, 0
    out = eng.step(o, d)
    assert out.price[0] == 50.0
    # A: metered 0 against a 60 MW x 0.5 h = 30 MWh profile: short 30 MWh.
    # B: metered 70 x 0.5 = 35 MWh = profile 20 + instructed 15: in balance. Load: -50 = -50.
    assert out.imbalance_mwh[0, :3] == approx([-30.0, 0.0, 0.0])
    # NIV is 60 MW in every interval: 30 from B, 30 MW x 0.5 h = 15 MWh unserved.
    assert out.unserved_mwh[0] == approx(15.0)
    # The margin left: B's room (100 - 40 = 60 MW) less 30 activated less 30 unserved = 0,
    # so LoLP = 0.5 and B's action is repriced at 0.5 x 6000 = 3000; the 15 MWh unserved
    # at 6000 top the stack: the most expensive 1 MWh is 6000, above the cap: 4000.
    assert out.lolp[0] == approx(0.5)
    assert out.imbalance_price[0] == approx(4000.0)
    # A pays 30 MWh x 4000 = 120,000; the broker hands it back pro rata to |metered|:
    # A 0, B 35, load 50 MWh -> 120000 / 85 per MWh.
    assert out.ledger_amount[0, 0, L.IMBALANCE] == approx(-120000.0)
    rate = 120000.0 / 85.0
    assert out.ledger_amount[0, :3, L.RESIDUAL] == approx([0.0, 35.0 * rate, 50.0 * rate], 1e-7)
    assert out.ledger_price[0, 1, L.RESIDUAL] == approx(rate)
    # The broker's imbalance and residual cash cancel. It pays availability 2 x 30 x 0.5 =
    # 30 and utilisation 70 x 15 = 1050 and bears 15 MWh x 6000 unserved.
    broker = out.ledger_amount[0, 3]
    assert broker[L.IMBALANCE] + broker[L.RESIDUAL] == approx(0.0, 1e-7)
    assert out.reward[0, 3] == approx(-(30.0 + 1050.0 + 90000.0), 1e-7)
    assert out.ledger_amount[0, :, : L.N_CASH].sum(axis=0) == approx(np.zeros(L.N_CASH), 1e-6)


def test_without_reallocation_the_broker_keeps_the_imbalance_cash() -> None:
    eng = engine([thermal("a", 100, 10, 40, 100, 60)], [load("load", 50, 1000)],
                 residual_reallocation=False, schedule_ramp_min=0)  # fmt: skip
    o = eng.empty_orders()
    o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = 60, 40
    o.step_qty[0, 1, 0], o.step_price[0, 1, 0] = -60, 100
    out = eng.step(o, exact(eng))
    # the load bought 60 and draws 50: long 5 MWh; the gen is in balance; the broker
    # pays the load for it and keeps the rest of the (zero) residual
    assert out.imbalance_mwh[0, 1] == approx(5.0)
    assert not out.ledger_amount[0, :, L.RESIDUAL].any()
    assert out.ledger_amount[0, 2, L.IMBALANCE] == approx(-out.ledger_amount[0, 1, L.IMBALANCE])


# --------------------------------------------------------------------------- honest values


def test_extra_consumption_value_on_a_long_system() -> None:
    # The gen (must run at 150 MW minimum stable) offers only 100 MW; the load bids for
    # 150 MW and gets 100: its 50 MW unfilled are flexible load it sheds (its flexible
    # share is 50 % of 150). The gen is 50 MW long in every interval (NIV -50 MW). The load
    # offers 40 MW of down reserve at utilisation 10 (it pays 10 per extra MWh) and is
    # instructed down by 40 MW: it draws 140 MW, of which 40 MW extra are worth its
    # shifted value 20, not 3000.
    eng = engine(
        [thermal("gen", 300, 150, 40, 100, 150)],
        [load("load", 150, 3000, flexible_frac=0.5, shifted_value_per_mwh=20.0)],
        schedule_ramp_min=0,
    )
    o = eng.empty_orders()
    o.step_qty[0, 0, 0], o.step_price[0, 0, 0] = 100, 40
    o.step_qty[0, 1, 0], o.step_price[0, 1, 0] = -150, 100
    o.res_qty[0, 1, DOWN], o.res_avail[0, 1, DOWN], o.res_util[0, 1, DOWN] = 40, 1, 10
    o.req_mw[0, DOWN], o.max_avail[0, DOWN], o.max_util[0, DOWN] = 40, 10, 4000
    out = eng.step(o, exact(eng))
    # it bought 100 of the 150 it bid for and sheds the 50 unfilled; its down room is
    # 50 % x 150 = 75 >= 40.
    assert out.contract_mw[0, 1] == approx(-100.0)
    assert out.shed_mw[0, 1] == approx(50.0)
    assert out.reserved_mw[0, 1, DOWN] == approx(40.0)
    assert [x / MH for x in out.meter_mwh[0, 1]] == approx([-140.0] * 6)
    assert out.instructed_mwh[0, 1] == approx(-20.0)
    assert out.imbalance_mwh[0, 1] == approx(0.0)
    # value: 3000 x 50 MWh wanted + 20 x 20 MWh extra; it pays 10 x 20 MWh utilisation
    assert out.ledger_amount[0, 1, L.CONSUMPTION_VALUE] == approx(3000.0 * 50 + 20.0 * 20)
    assert out.ledger_amount[0, 1, L.BALANCING] == approx(-200.0)
    # so instructed extra energy earns the load 20 - 10 = 10 per MWh, not 3000 - 10


# --------------------------------------------------------------------------- invariants


@pytest.mark.parametrize("name", ["default", "small"])
@pytest.mark.parametrize("scheme", ["gb_single", "dual"])
def test_broker_reward_is_minus_the_system_cost(name: str, scheme: str) -> None:
    # random valid orders for 8 markets over 48 periods: the broker's reward is exactly
    # -(availability + utilisation + performance adjustments it pays) - unserved x VoLL
    # - curtailment cost; its imbalance and residual cash cancel; cash sums to zero.
    from elecbay_env.config import load_scenario as load_named

    scenario = load_named(name)
    market = scenario.market.model_copy(update={"imbalance_pricing": scheme, "days": 1})
    scenario = scenario.model_copy(update={"market": market})
    eng = Engine(scenario, n_markets=8)
    eng.reset(seed=3)
    rng = np.random.default_rng(3)
    b = eng.params.n_rows - 1
    for _ in range(48):
        out = eng.step(random_orders(eng.params, eng.state, rng))
        a = out.ledger_amount
        cost = -(a[:, b, L.BALANCING] + a[:, b, L.AVAILABILITY] + a[:, b, L.PERFORMANCE])
        cost += out.unserved_mwh * eng.params.voll_per_mwh
        cost += out.curtailed_mwh * eng.params.curtailment_cost_per_mwh
        assert out.reward[:, b] == approx(-cost, 1e-7)
        assert a[:, b, L.IMBALANCE] + a[:, b, L.RESIDUAL] + a[:, b, L.FORWARD] == approx(
            np.zeros(8), 1e-6
        )
        turnover = np.abs(a[:, :, : L.N_CASH]).sum(axis=(1, 2)) + 1.0
        assert np.all(np.abs(a[:, :, : L.N_CASH].sum(axis=(1, 2))) <= 1e-9 * turnover)


@pytest.mark.parametrize("scheme", ["gb_single", "dual"])
def test_an_imbalance_that_aggravates_the_system_never_beats_the_forward_price(
    scheme: str,
) -> None:
    # Random valid orders on 8 default markets for a day. For every party and period,
    # its imbalance premium, imbalance cash - imbalance MWh x forward price, is at most 0
    # whenever its imbalance has the sign that makes the system's worse (long in a long
    # system, short in a short one); under dual it is at most 0 always.
    from elecbay_env.config import load_scenario as load_named

    scenario = load_named("default")
    market = scenario.market.model_copy(update={"imbalance_pricing": scheme, "days": 1})
    eng = Engine(scenario.model_copy(update={"market": market}), n_markets=8)
    eng.reset(seed=11)
    rng = np.random.default_rng(11)
    parties = slice(0, eng.params.n_rows - 1)
    checked = 0
    for _ in range(48):
        out = eng.step(random_orders(eng.params, eng.state, rng, spread=1.0))
        imb = out.imbalance_mwh[:, parties]
        cash = out.ledger_amount[:, parties, L.IMBALANCE]
        premium = cash - imb * out.forward_ref_price[:, None]
        aggravating = imb * -out.niv_mwh[:, None] > 0.0  # long (+) while NIV < 0, ...
        mask = np.ones_like(aggravating) if scheme == "dual" else aggravating
        assert np.all(premium[mask] <= 1e-6 * (1.0 + np.abs(cash[mask])))
        checked += int(mask.sum())
    assert checked > 100  # the property was exercised
