"""A demand turning up as a curtailment seller (issue 16 item 3), by hand and in the engine.

The three wind farms a, b, c (30, 40, 50 MW) and the factory (drawing 50 MW; peak 120 MW,
flexible share 0.2, so at most 24 MW of turn-up) sit behind an export limit. The members'
flow is 30 + 40 + 50 - 50 = 70 MW.

* Limit 50 MW, 20 MW over: last-in-first-off curtails c to 30 MW. With a trade in which
  c buys and the factory sells, the factory draws 70 MW instead (turns up 20 MW) and c
  keeps its 50 MW: the flow is 30 + 40 + 50 - 70 = 50 MW, at the limit. c pays the
  factory 12 per MWh x 20 MW x 5 min; the factory is not curtailed (no compensation).
* Limit 40 MW, 30 MW over: the factory can turn up at most 24 MW, so c is still
  curtailed by 6 MW (to 44 MW) and pays for 24 MW only; the flow is again at the limit.

In the engine, with the same orders each period, the factory's metered consumption
rises by exactly the MWh it is paid for, the members' curtailment falls by the same
(c's by at most that: the second pass, on the levels after reserve activation, cuts
last-in-first-off again, and c is last in), the members' metered flow never exceeds
the limit, the trade's cash sums to zero, and the extra energy adds only the factory's
``shifted_value_per_mwh`` to its consumption value.
"""

from __future__ import annotations

import numpy as np
import pytest

from elecbay_env.config import load_scenario
from elecbay_env.curtailment_trading import place_trade
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.kernels.anm import anm_begin, anm_interval
from elecbay_env.params import build_params
from elecbay_env.period import allocate_outcome
from elecbay_env.state import allocate
from elecbay_env.testing import random_orders

from .conftest import three_units

LEVELS = [300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0]  # ccgt, a, b, c, households, factory
A, B, C, FACTORY = 1, 2, 3, 5
MEMBERS = [A, B, C, FACTORY]


def _scenario(limit: float) -> dict:
    sc = three_units(limit)
    sc["distribution_constraints"][0]["members"].append("factory")
    return sc


def _interval(limit: float, trade: bool):
    params = build_params(load_scenario(_scenario(limit)))
    state, out = allocate(params), allocate_outcome(params)
    if trade:
        place_trade(params, state, buyer=C, seller=FACTORY, price_per_mwh=12.0, periods=[0])
    lv = np.array(LEVELS)
    anm_begin(out, 0)
    sc, si = np.empty((3, lv.size)), np.empty((2, lv.size), np.int64)
    anm_interval(params, state, out, 0, 0, lv, True, params.meter_h, sc, si)
    return params, lv, out


@pytest.mark.parametrize(
    ("limit", "turn_up", "c_level"), [(50.0, 20.0, 50.0), (40.0, 24.0, 44.0)], ids=["all", "cap"]
)
def test_a_demand_turning_up_takes_the_curtailment(limit, turn_up, c_level) -> None:
    params, honest, _ = _interval(limit, trade=False)
    assert honest[C] == limit - 20.0 and honest[FACTORY] == -50.0  # c curtailed, LIFO
    params, lv, out = _interval(limit, trade=True)
    assert lv[FACTORY] == -50.0 - turn_up  # consumption rises by the MW moved
    assert lv[C] == c_level and lv[[A, B]].tolist() == [30.0, 40.0]
    assert lv[MEMBERS].sum() == limit  # the flow is at the limit, not above
    moved = turn_up * params.meter_h  # MWh
    assert out.anm_trade_mwh[0, [C, FACTORY]].tolist() == [-moved, moved]
    assert out.anm_cash[0, [C, FACTORY]].tolist() == pytest.approx([-12 * moved, 12 * moved])
    assert out.anm_cash[0].sum() == pytest.approx(0.0, abs=1e-12)
    assert out.anm_curtailed_mwh[0, FACTORY] == 0.0  # turning up is not curtailment
    assert out.anm_curtailed_mwh[0, C] == pytest.approx((70.0 - limit - turn_up) * params.meter_h)


def _run(trade: bool, orders=None, periods: int = 12):
    eng = Engine(_scenario(20.0), n_markets=1, keep_ledger=False)
    eng.reset(seed=4)
    if trade:
        place_trade(eng.params, eng.state, C, FACTORY, 12.0, list(range(periods)))
    rng = np.random.default_rng(4)
    outs, seen = [], []
    for t in range(periods):
        o = random_orders(eng.params, eng.state, rng) if orders is None else orders[t]
        seen.append(o)
        out = eng.step(o)
        outs.append({k: getattr(out, k)[0].copy() for k in
                     ("meter_mwh", "anm_trade_mwh", "anm_cash", "anm_curtailed_mwh",
                      "ledger_amount")})  # fmt: skip
    return eng, outs, seen


def test_turn_up_in_the_engine_is_paid_only_as_metered() -> None:
    eng, honest, orders = _run(False)
    _, traded, _ = _run(True, orders)
    limit_mwh = 20.0 * eng.params.meter_h
    shifted = float(eng.params.shifted_value_per_mwh[0, FACTORY])
    moved_any = 0.0
    for h, x in zip(honest, traded, strict=True):
        rise = -(x["meter_mwh"][FACTORY].sum() - h["meter_mwh"][FACTORY].sum())  # MWh
        paid_for = x["anm_trade_mwh"][FACTORY]
        assert rise == pytest.approx(paid_for, abs=1e-9)  # verified against the meter
        assert x["anm_cash"][FACTORY] == pytest.approx(12.0 * rise, abs=1e-9)
        # the members' curtailment falls by the turn-up; most of it is c's, but the
        # second pass (levels after reserve activation) may cut c again before b
        relief = h["anm_curtailed_mwh"][MEMBERS] - x["anm_curtailed_mwh"][MEMBERS]
        assert relief.sum() == pytest.approx(paid_for, abs=1e-9)
        assert 0.0 < relief[2] <= paid_for + 1e-9 and (relief >= -1e-9).all()
        assert x["anm_cash"][C] + x["anm_cash"][FACTORY] == pytest.approx(0.0, abs=1e-9)
        # the extra energy is worth the factory's shifted value, not its value of energy
        value = x["ledger_amount"][FACTORY, L.CONSUMPTION_VALUE]
        value -= h["ledger_amount"][FACTORY, L.CONSUMPTION_VALUE]
        assert value == pytest.approx(shifted * rise, abs=1e-6)
        flow = x["meter_mwh"][MEMBERS].sum(axis=0)  # (M,) MWh per meter interval
        assert (flow <= limit_mwh + 1e-9).all()
        moved_any += paid_for
    assert moved_any > 0.0  # the trade did move curtailment in some period
