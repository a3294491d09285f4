"""Worked settlement examples, computed by hand, and the ledger's export.

Each example builds a tiny market from a dict (thermal units without forced outages
unless a trip is wanted, flat loads with zero forecast error, the broker; one day of
30-minute periods read every 5 minutes), submits explicit orders (and, where useful,
explicit draws) and checks every price, MWh and ledger amount against a computation
written out in the comments. Units: MW, MWh, currency per MWh; a period is 0.5 h and
a meter interval 5 min = 1/12 h. Cash received is positive. Row order: producers as
listed, consumers, then broker_0.

Rules used (DESIGN.md section 3, docs/design.md, kernels/*.py). The examples follow the
first version's settlement rules, which :data:`LEGACY` makes the builder's default (a
test may override them): ``imbalance_pricing: legacy_dual``, ``schedule_ramp_min: 0``
(flat contract blocks, so a profile is the contract in every interval) and
``residual_reallocation: false`` (the broker keeps the imbalance cash). The other rules
are the current ones: uniform price ``lo + k (hi - lo)`` in the supporting interval; a
thermal unit's schedule is ``clip(position, min stable, capacity)``; a load draws its
realised load less the unbought part of its flexible share (the loads here are all
inflexible); NIV (+ short) = -(sum of every row's reference net injection) per
interval; reserve offers are capped by what the row can deliver within one meter
interval (thermal: ``ramp x 5 min``) and procured in ascending ``avail + util`` (up) or
``avail - util`` (down) among offers within the broker's caps, and activated in
ascending utilisation price (up) or descending (down); imbalance = metered - profile -
instructed; legacy dual: the imbalance price is the marginal activated utilisation
price (the value of lost load once energy went unserved), long parties get
min(forward, imbalance price), short parties pay max(...); availability = avail x MW x
0.5 h, scaled by the performance multiplier min(1, delivered / activated / (1 - grace)).
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pyarrow.parquet as pq
import pytest

from elecbay_env.config import load_scenario
from elecbay_env.draws import PeriodDraws
from elecbay_env.engine import Engine
from elecbay_env.kernels import ledger_codes as L
from elecbay_env.orders import Orders
from elecbay_env.testing import random_orders

UP, DOWN = 0, 1
H = 0.5
"""Hours in a period."""
MH = 5.0 / 60.0
"""Hours in a meter interval."""


def approx(x: Any) -> Any:
    return pytest.approx(x, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------- builders


def thermal(name: str, cap: float, min_stable: float, cost: float, ramp: float, level: float,
            **extra: Any) -> dict[str, Any]:  # fmt: skip
    """A thermal unit running at ``level`` MW (off if 0), no start-up cost, no outages."""
    unit = {
        "type": "thermal",
        "name": name,
        "technology": "ccgt",
        "capacity_mw": cap,
        "min_stable_mw": min_stable,
        "marginal_cost_per_mwh": cost,
        "startup_cost": 0.0,
        "ramp_mw_per_min": ramp,
        "min_run_periods": 1,
        "min_off_periods": 1,
        "forced_outage_prob_per_period": 0.0,
        "outage_duration_periods": 1,
        "initial_on": level > 0.0,
        "initial_output_frac": level / cap,
    }
    unit.update(extra)
    return unit


def flat_load(name: str, mw: float, value: float) -> dict[str, Any]:
    """A load of exactly ``mw`` MW every period (flat profile, no forecast error)."""
    return {
        "name": name,
        "profile_type": "industrial",
        "peak_mw": mw,
        "value_per_mwh": value,
        "profile": {"shape": "flat"},
        "forecast_error": {"std_frac": 0.0},
    }


LEGACY = {
    "imbalance_pricing": "legacy_dual",
    "schedule_ramp_min": 0,
    "residual_reallocation": False,
}
"""The first version's rules, which the hand computations follow unless a test overrides
them: marginal utilisation pricing, flat contract blocks, no residual reallocation."""


def market(producers: list[dict], consumers: list[dict], **rules: Any) -> Engine:
    """An engine over one day of a dict scenario, reset with seed 0."""
    scenario = load_scenario(
        {
            "name": "example",
            "market": {"days": 1, "bid_steps": 2, **{**LEGACY, **rules}},
            "producers": producers,
            "consumers": consumers,
        }
    )
    eng = Engine(scenario)
    eng.reset(seed=0)
    return eng


def sell(o: Orders, row: int, mw: float, price: float, step: int = 0) -> None:
    o.step_qty[0, row, step], o.step_price[0, row, step] = mw, price


def buy(o: Orders, row: int, mw: float, price: float, step: int = 0) -> None:
    o.step_qty[0, row, step], o.step_price[0, row, step] = -mw, price


def offer_reserve(o: Orders, row: int, d: int, mw: float, avail: float, util: float) -> None:
    o.res_qty[0, row, d], o.res_avail[0, row, d], o.res_util[0, row, d] = mw, avail, util


def require(o: Orders, d: int, mw: float, max_avail: float, max_util: float = 4000.0) -> None:
    o.req_mw[0, d], o.max_avail[0, d], o.max_util[0, d] = mw, max_avail, max_util


def draws(eng: Engine, trips: dict[int, int] | None = None) -> PeriodDraws:
    """Zero forecast-error innovations, no outage, except ``trips`` {row: trip meter}."""
    n, m = eng.params.n_rows, eng.params.n_meters
    u = np.ones((1, n))
    trip_meter = np.full((1, n), m - 1, np.int64)
    for row, meter in (trips or {}).items():
        u[0, row] = 0.0  # below any positive outage probability
        trip_meter[0, row] = meter
    return PeriodDraws(z=np.zeros((1, n)), u_outage=u, trip_meter=trip_meter)


def amounts(out: Any, c: int) -> list[float]:
    return [float(x) for x in out.ledger_amount[0, :, c]]


def levels(out: Any, row: int) -> list[float]:
    """A row's meter reads as MW."""
    return [float(x) / MH for x in out.meter_mwh[0, row]]


def assert_conserves(out: Any) -> None:
    cash = out.ledger_amount[0, :, : L.N_CASH]
    assert cash.sum(axis=0) == approx(np.zeros(L.N_CASH))


# --------------------------------------------------------------------------- 1 balanced


@pytest.mark.parametrize("k", [0.0, 0.25, 0.5, 1.0])
def test_balanced_period_uniform_price(k: float) -> None:
    # gen: 100 MW CCGT at 60 MW, cost 40; load: 60 MW flat, value 200.
    # gen offers 60 MW @ 40, load bids 60 MW @ 100: both fill fully, nothing is left,
    # so b_r = -inf, a_r = +inf and the supporting interval is [a_m, b_m] = [40, 100]:
    #   price = 40 + k x 60 -> k=0: 40, 0.25: 55, 0.5: 70, 1: 100 (exact in binary)
    # forward cash = price x 60 MW x 0.5 h = 30 x price (gen +, load -), exactly.
    # Delivery: gen at 60 MW, load 60 MW in every interval -> NIV 0, no imbalance, and
    # the imbalance price is the forward price.
    # Rewards: gen 30 price - 40 x 30 MWh; load 200 x 30 MWh - 30 price; broker 0.
    eng = market([thermal("gen", 100, 20, 40, 10, 60)], [flat_load("load", 60, 200)], k=k)
    o = eng.empty_orders()
    sell(o, 0, 60, 40)
    buy(o, 1, 60, 100)
    out = eng.step(o, draws(eng))
    price = 40.0 + k * 60.0
    assert out.price[0] == price
    assert out.volume_mw[0] == 60.0
    assert list(out.contract_mw[0]) == [60.0, -60.0, 0.0]
    assert amounts(out, L.FORWARD) == [price * 60.0 * 0.5, -price * 60.0 * 0.5, 0.0]
    assert out.ledger_mwh[0, 0, L.FORWARD] == 30.0
    assert out.ledger_price[0, 0, L.FORWARD] == price
    assert levels(out, 0) == approx([60.0] * 6)
    assert levels(out, 1) == approx([-60.0] * 6)
    assert out.niv_mwh[0] == 0.0
    assert out.imbalance_price[0] == price
    assert amounts(out, L.IMBALANCE) == approx([0.0, 0.0, 0.0])
    assert out.ledger_amount[0, 0, L.PRODUCTION_COST] == approx(-1200.0)
    assert out.ledger_amount[0, 1, L.CONSUMPTION_VALUE] == approx(6000.0)
    assert list(out.reward[0]) == approx([30 * price - 1200.0, 6000.0 - 30 * price, 0.0])
    assert_conserves(out)


def test_pay_as_bid_spread_goes_to_the_broker() -> None:
    # As above under pay-as-bid: each side trades at its own price.
    #   gen  +40 x 60 MW x 0.5 h = +1200;  load -100 x 60 x 0.5 = -3000
    #   broker: the spread (100 - 40) x 30 MWh = +1800
    # The reported clearing price stays the k-price of the interval [40, 100]: 70, and
    # with NIV 0 it is also the imbalance price.
    # Rewards: gen 1200 - 1200 = 0; load 6000 - 3000 = 3000; broker 1800 (sum 4800,
    # the same welfare as under uniform pricing).
    eng = market(
        [thermal("gen", 100, 20, 40, 10, 60)], [flat_load("load", 60, 200)], pricing="pay_as_bid"
    )
    o = eng.empty_orders()
    sell(o, 0, 60, 40)
    buy(o, 1, 60, 100)
    out = eng.step(o, draws(eng))
    assert amounts(out, L.FORWARD) == [1200.0, -3000.0, 1800.0]
    assert out.step_paid[0, 0, 0] == 40.0 and out.step_paid[0, 1, 0] == 100.0
    assert out.ledger_price[0, 0, L.FORWARD] == 40.0
    assert out.ledger_price[0, 1, L.FORWARD] == 100.0
    assert out.price[0] == 70.0
    assert out.imbalance_price[0] == 70.0
    assert list(out.reward[0]) == approx([0.0, 3000.0, 1800.0])
    assert_conserves(out)


# --------------------------------------------------------------------------- 3 up reserve


def _short_market(**rules: Any) -> tuple[Engine, Orders]:
    # rows: 0 base (100 MW, min stable 20, cost 40, at 30 MW), 1 peak_a (min stable
    # 10, cost 50, at 10 MW), 2 peak_b (cost 55, at 10 MW), 3 load (60 MW, value 200).
    # Forward: base 30 @ 40, peak_a 10 @ 50, peak_b 10 @ 55; the load bids only 50 MW
    # @ 100. All fill: a_m = 55, b_m = 100, nothing left -> [55, 100], k 0.5 -> 77.5.
    eng = market(
        [
            thermal("base", 100, 20, 40, 10, 30),
            thermal("peak_a", 100, 10, 50, 10, 10),
            thermal("peak_b", 100, 10, 55, 10, 10),
        ],
        [flat_load("load", 60, 200)],
        **rules,
    )
    o = eng.empty_orders()
    sell(o, 0, 30, 40)
    sell(o, 1, 10, 50)
    sell(o, 2, 10, 55)
    buy(o, 3, 50, 100)
    return eng, o


def test_short_system_covered_by_up_reserve() -> None:
    # Reserve offers (up): peak_a 8 MW, avail 5, util 80 (total 85); peak_b 8 MW,
    # avail 3, util 120 (total 123); base 10 MW, avail 25 (> the broker's cap 20:
    # excluded although its total 85 ties peak_a's). Requirement 12 MW.
    #   procurement by total price: peak_a 8 MW, then peak_b 4 MW.
    #   availability paid as bid: peak_a 5 x 8 x 0.5 = 20; peak_b 3 x 4 x 0.5 = 6.
    # Each interval: baseline 30 + 10 + 10 - 60 = -10 -> NIV 10 MW short.
    #   activation, cheapest utilisation first: peak_a 8 MW @ 80, peak_b 2 MW @ 120.
    #   peak_a runs at 18 MW, peak_b at 12 MW (ramp 50 MW per interval: no limit).
    # Period: NIV = 10 x 0.5 = 5 MWh, all activated up, nothing unserved.
    #   instructed: peak_a 8 x 0.5 = 4 MWh -> +320; peak_b 1 MWh -> +120.
    #   imbalance price = the marginal utilisation price = 120.
    # Imbalance (metered - contracted - instructed):
    #   peak_a 9 - 5 - 4 = 0; peak_b 6 - 5 - 1 = 0; base 15 - 15 = 0;
    #   load -30 - (-25) = -5 MWh short: pays max(120, 77.5) = 120 -> -600.
    # Forward: base 77.5 x 15 = 1162.5; peaks 77.5 x 5 = 387.5 each; load -1937.5.
    # Costs: base 40 x 15 = 600; peak_a 50 x 9 = 450; peak_b 55 x 6 = 330;
    #   load value 200 x 30 = 6000.
    # Rewards: base 1162.5 - 600 = 562.5; peak_a 387.5 + 320 + 20 - 450 = 277.5;
    #   peak_b 387.5 + 120 + 6 - 330 = 183.5; load 6000 - 1937.5 - 600 = 3462.5;
    #   broker 600 - 440 - 26 = 134. Sum 4620 = 6000 - 600 - 450 - 330.
    eng, o = _short_market()
    offer_reserve(o, 1, UP, 8, 5, 80)
    offer_reserve(o, 2, UP, 8, 3, 120)
    offer_reserve(o, 0, UP, 10, 25, 60)
    require(o, UP, 12, max_avail=20)
    out = eng.step(o, draws(eng))
    assert out.price[0] == 77.5
    assert list(out.reserved_mw[0, :, UP]) == approx([0.0, 8.0, 4.0, 0.0, 0.0])
    assert levels(out, 1) == approx([18.0] * 6)
    assert levels(out, 2) == approx([12.0] * 6)
    assert out.niv_mwh[0] == approx(5.0)
    assert out.activated_up_mwh[0] == approx(5.0)
    assert out.unserved_mwh[0] == 0.0
    assert out.imbalance_price[0] == 120.0
    assert list(out.instructed_mwh[0]) == approx([0.0, 4.0, 1.0, 0.0, 0.0])
    assert amounts(out, L.FORWARD) == approx([1162.5, 387.5, 387.5, -1937.5, 0.0])
    assert amounts(out, L.BALANCING) == approx([0.0, 320.0, 120.0, 0.0, -440.0])
    assert list(out.ledger_price[0, 1:3, L.BALANCING]) == approx([80.0, 120.0])
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 20.0, 6.0, 0.0, -26.0])
    assert list(out.ledger_mwh[0, 1:3, L.AVAILABILITY]) == approx([4.0, 2.0])  # MW x h held
    assert list(out.ledger_price[0, 1:3, L.AVAILABILITY]) == approx([5.0, 3.0])
    assert list(out.imbalance_mwh[0]) == approx([0.0, 0.0, 0.0, -5.0, 0.0])
    assert amounts(out, L.IMBALANCE) == approx([0.0, 0.0, 0.0, -600.0, 600.0])
    assert out.ledger_price[0, 3, L.IMBALANCE] == 120.0
    assert amounts(out, L.PERFORMANCE) == approx([0.0] * 5)
    assert list(out.perf_mult[0]) == [1.0] * 5
    assert amounts(out, L.PRODUCTION_COST) == approx([-600.0, -450.0, -330.0, 0.0, 0.0])
    assert list(out.reward[0]) == approx([562.5, 277.5, 183.5, 3462.5, 134.0])
    assert_conserves(out)


@pytest.mark.parametrize(
    ("voll", "cap", "price"), [(6000.0, 4000.0, 4000.0), (3000.0, 4000.0, 3000.0)]
)
def test_short_system_with_unserved_energy(voll: float, cap: float, price: float) -> None:
    # gen at 50 MW (cost 40) sells 50 MW @ 40; the 60 MW load bids only 50 @ 100:
    #   price 70 ([40, 100], k 0.5); forward gen +1750, load -1750.
    # No reserve: NIV 10 MW each interval -> 10/12 MWh unserved per interval, 5 MWh.
    # Imbalance price = VoLL clipped to the cap: min(6000, 4000) = 4000 / 3000.
    # Load: -30 - (-25) = -5 MWh short, pays max(P, 70) = P -> -5 P; broker +5 P.
    # Broker's unserved-energy cost = VoLL x 5 MWh.
    # Rewards: gen 1750 - 40 x 25 = 750; load 6000 - 1750 - 5 P; broker 5 P - 5 VoLL.
    #   (6000, 4000): load -15750, broker -10000; (3000, 4000): load -10750, broker 0.
    eng = market(
        [thermal("gen", 100, 20, 40, 10, 50)],
        [flat_load("load", 60, 200)],
        value_of_lost_load_per_mwh=voll,
        price_cap_per_mwh=cap,
    )
    o = eng.empty_orders()
    sell(o, 0, 50, 40)
    buy(o, 1, 50, 100)
    out = eng.step(o, draws(eng))
    assert out.price[0] == 70.0
    assert list(out.unserved_meter_mwh[0]) == approx([10.0 * MH] * 6)
    assert out.unserved_mwh[0] == approx(5.0)
    assert out.niv_mwh[0] == approx(5.0)
    assert out.imbalance_price[0] == price
    assert amounts(out, L.IMBALANCE) == approx([0.0, -5.0 * price, 5.0 * price])
    assert out.ledger_mwh[0, 2, L.UNSERVED_COST] == approx(5.0)
    assert out.ledger_price[0, 2, L.UNSERVED_COST] == voll
    assert out.ledger_amount[0, 2, L.UNSERVED_COST] == approx(-5.0 * voll)
    expected = [750.0, 6000.0 - 1750.0 - 5.0 * price, 5.0 * price - 5.0 * voll]
    assert list(out.reward[0]) == approx(expected)
    assert out.reward[0].sum() == approx(6000.0 - 1000.0 - 5.0 * voll)
    assert_conserves(out)


# --------------------------------------------------------------------------- 5 long


@pytest.mark.parametrize("load", [44.0, 40.0])
def test_long_system_down_reserve_then_curtailment(load: float) -> None:
    # rows: 0 base (min stable 20, at 30, cost 40), 1 peak_a (min stable 5, at 10,
    # cost 50), 2 peak_b (min stable 5, at 10, cost 55), 3 load (44 or 40 MW,
    # value 200); curtailment cost 100. Forward as in the short case: base 30, peaks
    # 10 each, the load buys 50 MW; price 77.5.
    # Down offers: peak_a 4 MW, avail 2, util 30; peak_b 4 MW, avail 1, util 20
    # (footroom 10 - 5 = 5 MW each). Requirement 8: both procured in full
    # (net cost avail - util: -28, -19). Availability 2 x 4 x 0.5 = 4; 1 x 4 x 0.5 = 2.
    # Each interval: baseline 50 MW against the load -> NIV = -(50 - load) MW (long).
    # Down activation, highest utilisation price (best for the broker) first:
    #   load 44: NIV -6 -> peak_a 4 MW @ 30, peak_b 2 MW @ 20; nothing curtailed;
    #     imbalance price = lowest activated down utilisation price = 20.
    #     instructed: peak_a -2 MWh (pays 60), peak_b -1 MWh (pays 20).
    #     load: -22 - (-25) = +3 MWh long, gets min(20, 77.5) = 20 -> +60.
    #     rewards: base 1162.5 - 600 = 562.5; peak_a 387.5 - 60 + 4 - 50 x 3 = 181.5;
    #     peak_b 387.5 - 20 + 2 - 55 x 4 = 149.5; load 200 x 22 - 1937.5 + 60 =
    #     2522.5; broker 80 - 60 - 6 = 14 (sum 3430 = 4400 - 600 - 150 - 220).
    #   load 40: NIV -10 -> peak_a 4, peak_b 4 and 2 MW left: curtailed, 2/12 MWh
    #     per interval, 1 MWh; imbalance price = -curtailment cost = -100.
    #     instructed: peak_a -2 MWh (pays 60), peak_b -2 MWh (pays 40).
    #     load: -20 + 25 = +5 MWh long, gets min(-100, 77.5) = -100 -> pays 500.
    #     broker's curtailment cost 100 x 1 = 100.
    #     rewards: base 562.5; peak_a 181.5; peak_b 387.5 - 40 + 2 - 55 x 3 = 184.5;
    #     load 4000 - 1937.5 - 500 = 1562.5; broker 100 + 500 - 6 - 100 = 494
    #     (sum 2985 = 4000 - 600 - 150 - 165 - 100).
    eng = market(
        [
            thermal("base", 100, 20, 40, 10, 30),
            thermal("peak_a", 100, 5, 50, 10, 10),
            thermal("peak_b", 100, 5, 55, 10, 10),
        ],
        [flat_load("load", load, 200)],
        curtailment_cost_per_mwh=100.0,
    )
    o = eng.empty_orders()
    sell(o, 0, 30, 40)
    sell(o, 1, 10, 50)
    sell(o, 2, 10, 55)
    buy(o, 3, 50, 100)
    offer_reserve(o, 1, DOWN, 4, 2, 30)
    offer_reserve(o, 2, DOWN, 4, 1, 20)
    require(o, DOWN, 8, max_avail=10)
    out = eng.step(o, draws(eng))
    assert out.price[0] == 77.5
    assert list(out.reserved_mw[0, :, DOWN]) == approx([0.0, 4.0, 4.0, 0.0, 0.0])
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 4.0, 2.0, 0.0, -6.0])
    if load == 44.0:
        assert levels(out, 1) == approx([6.0] * 6)
        assert levels(out, 2) == approx([8.0] * 6)
        assert out.niv_mwh[0] == approx(-3.0)
        assert out.activated_down_mwh[0] == approx(3.0)
        assert out.curtailed_mwh[0] == 0.0
        assert out.imbalance_price[0] == 20.0
        assert list(out.instructed_mwh[0]) == approx([0.0, -2.0, -1.0, 0.0, 0.0])
        assert amounts(out, L.BALANCING) == approx([0.0, -60.0, -20.0, 0.0, 80.0])
        assert amounts(out, L.IMBALANCE) == approx([0.0, 0.0, 0.0, 60.0, -60.0])
        assert out.ledger_amount[0, 4, L.CURTAILMENT_COST] == 0.0
        assert list(out.reward[0]) == approx([562.5, 181.5, 149.5, 2522.5, 14.0])
    else:
        assert levels(out, 1) == approx([6.0] * 6)
        assert levels(out, 2) == approx([6.0] * 6)
        assert out.niv_mwh[0] == approx(-5.0)
        assert out.activated_down_mwh[0] == approx(4.0)
        assert list(out.curtailed_meter_mwh[0]) == approx([2.0 * MH] * 6)
        assert out.curtailed_mwh[0] == approx(1.0)
        assert out.imbalance_price[0] == -100.0
        assert list(out.instructed_mwh[0]) == approx([0.0, -2.0, -2.0, 0.0, 0.0])
        assert amounts(out, L.BALANCING) == approx([0.0, -60.0, -40.0, 0.0, 100.0])
        assert amounts(out, L.IMBALANCE) == approx([0.0, 0.0, 0.0, -500.0, 500.0])
        assert out.ledger_mwh[0, 4, L.CURTAILMENT_COST] == approx(1.0)
        assert out.ledger_amount[0, 4, L.CURTAILMENT_COST] == approx(-100.0)
        assert list(out.reward[0]) == approx([562.5, 181.5, 184.5, 1562.5, 494.0])
    assert_conserves(out)


# --------------------------------------------------------------------------- 6 dual/single


def test_dual_and_single_pricing_on_the_same_period() -> None:
    # rows: 0 base (at 30, cost 40), 1 peak (min stable 10, at 10, cost 50), 2 small
    # (50 MW, min stable 10, at 10, cost 45), 3 load (60 MW, value 200).
    # Forward: base 30 @ 40, small 8 @ 45, peak 10 @ 50; the load bids 48 @ 100.
    #   All fill: [50, 100] -> 75. Contracts 30, 10, 8, -48.
    # small is committed (8 >= half its min stable) and runs at min stable, 10 MW:
    #   2 MW above its contract -> +1 MWh long.
    # Baseline 30 + 10 + 10 - 60 -> NIV 10 MW short; peak's up reserve (12 MW, avail
    # 2, util 90, all procured) covers it: peak at 20 MW, instructed 5 MWh -> +450;
    # imbalance price 90; availability 2 x 12 x 0.5 = 12.
    # Imbalances: load -30 + 24 = -6 MWh (short), small +1 MWh (long), others 0.
    #   dual:   load pays max(90, 75) = 90 -> -540; small gets min(90, 75) = 75 -> +75;
    #           broker +465.
    #   single: load -540; small +90; broker +450.
    # Rewards (dual): base 1125 - 600 = 525; peak 375 + 450 + 12 - 500 = 337;
    #   small 300 + 75 - 225 = 150; load 6000 - 1800 - 540 = 3660;
    #   broker 465 - 450 - 12 = 3. Single: small 165, broker -12; the sum is 4675
    #   either way (= 6000 - 600 - 500 - 225).
    results = {}
    for scheme in ("legacy_dual", "legacy_single"):
        eng = market(
            [
                thermal("base", 100, 20, 40, 10, 30),
                thermal("peak", 100, 10, 50, 10, 10),
                thermal("small", 50, 10, 45, 10, 10),
            ],
            [flat_load("load", 60, 200)],
            imbalance_pricing=scheme,
        )
        o = eng.empty_orders()
        sell(o, 0, 30, 40)
        sell(o, 1, 10, 50)
        sell(o, 2, 8, 45)
        buy(o, 3, 48, 100)
        offer_reserve(o, 1, UP, 12, 2, 90)
        require(o, UP, 12, max_avail=10)
        out = eng.step(o, draws(eng))
        assert out.price[0] == 75.0
        assert out.imbalance_price[0] == 90.0
        assert list(out.imbalance_mwh[0]) == approx([0.0, 0.0, 1.0, -6.0, 0.0])
        assert amounts(out, L.BALANCING) == approx([0.0, 450.0, 0.0, 0.0, -450.0])
        assert amounts(out, L.AVAILABILITY) == approx([0.0, 12.0, 0.0, 0.0, -12.0])
        assert_conserves(out)
        results[scheme] = out._replace(**{f: np.copy(a) for f, a in out._asdict().items()})
    dual, single = results["legacy_dual"], results["legacy_single"]
    assert list(dual.ledger_price[0, 2:4, L.IMBALANCE]) == [75.0, 90.0]
    assert list(single.ledger_price[0, 2:4, L.IMBALANCE]) == [90.0, 90.0]
    assert amounts(dual, L.IMBALANCE) == approx([0.0, 0.0, 75.0, -540.0, 465.0])
    assert amounts(single, L.IMBALANCE) == approx([0.0, 0.0, 90.0, -540.0, 450.0])
    assert list(dual.reward[0]) == approx([525.0, 337.0, 150.0, 3660.0, 3.0])
    assert list(single.reward[0]) == approx([525.0, 337.0, 165.0, 3660.0, -12.0])
    assert dual.reward[0].sum() == approx(4675.0)
    assert single.reward[0].sum() == approx(4675.0)


# --------------------------------------------------------------------------- 7 outage


def test_forced_outage_mid_period_and_its_duration() -> None:
    # rows: 0 unit (100 MW, min stable 20, at 50, cost 40, outage probability 0.5,
    # outages last 3 periods, start-up cost 1000), 1 backup (min stable 10, at 10,
    # cost 60), 2 load (60 MW, value 200). k = 0.
    # Every period: unit sells 50 @ 40, backup 10 @ 60, load bids 60 @ 200 -> [60,
    # 200], k 0 -> price 60. Backup offers 60 MW up (avail 1, util 100) against a
    # 60 MW requirement; it can deliver within one meter interval only its ramp
    # 10 MW/min x 5 min = 50 MW (< its headroom 100 - 10 = 90), so 50 MW are procured.
    # Period 0: the unit trips in interval 2 (u_outage 0 < 0.5, trip_meter 2).
    #   intervals 0-1: 50 + 10 - 60 = 0, nothing activated.
    #   intervals 2-5: the unit is at 0 -> NIV 50 MW; backup activated 50 MW @ 100
    #   and runs at 60 MW (within one interval's ramp). Nothing unserved.
    #   unit: metered 50 x 2/12 = 25/3 MWh, contracted 25 -> -50/3 MWh short, pays
    #   max(100, 60) = 100 -> -5000/3; production 40 x 25/3 = 1000/3;
    #   reward 1500 - 5000/3 - 1000/3 = -500.
    #   backup: instructed 50 x 4/12 = 50/3 MWh -> +5000/3; availability 1 x 50 x 0.5
    #   = 25; metered (2 x 10 + 4 x 60)/12 = 65/3 -> imbalance 65/3 - 5 - 50/3 = 0;
    #   reward 300 + 5000/3 + 25 - 60 x 65/3 = 2075/3.
    #   load: 6000 - 1800 = 4200; broker 5000/3 - 5000/3 - 25 = -25.
    # Periods 1-3: the outage (3 periods): the unit still sells 50 MW but produces 0
    #   and is unavailable; it is short 25 MWh each period. Period 4: it starts again
    #   (off for 3 periods >= min off 1): a start-up, cost 1000.
    eng = market(
        [
            thermal("unit", 100, 20, 40, 10, 50, forced_outage_prob_per_period=0.5,
                    outage_duration_periods=3, startup_cost=1000.0),
            thermal("backup", 100, 10, 60, 10, 10),
        ],
        [flat_load("load", 60, 200)],
        k=0.0,
    )  # fmt: skip
    o = eng.empty_orders()
    sell(o, 0, 50, 40)
    sell(o, 1, 10, 60)
    buy(o, 2, 60, 200)
    offer_reserve(o, 1, UP, 60, 1, 100)
    require(o, UP, 60, max_avail=10)
    out = eng.step(o, draws(eng, trips={0: 2}))
    assert out.price[0] == 60.0
    assert list(out.tripped[0]) == [1, 0, 0, 0]
    assert levels(out, 0) == approx([50.0, 50.0, 0.0, 0.0, 0.0, 0.0])
    assert levels(out, 1) == approx([10.0, 10.0, 60.0, 60.0, 60.0, 60.0])
    assert out.unserved_mwh[0] == 0.0
    assert out.niv_mwh[0] == approx(50.0 / 3.0)
    assert out.imbalance_price[0] == 100.0
    assert list(out.imbalance_mwh[0]) == approx([-50.0 / 3.0, 0.0, 0.0, 0.0])
    assert amounts(out, L.FORWARD) == approx([1500.0, 300.0, -1800.0, 0.0])
    assert amounts(out, L.IMBALANCE) == approx([-5000.0 / 3.0, 0.0, 0.0, 5000.0 / 3.0])
    assert amounts(out, L.BALANCING) == approx([0.0, 5000.0 / 3.0, 0.0, -5000.0 / 3.0])
    assert list(out.reserved_mw[0, :, UP]) == approx([0.0, 50.0, 0.0, 0.0])
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 25.0, 0.0, -25.0])
    assert list(out.reward[0]) == approx([-500.0, 2075.0 / 3.0, 4200.0, -25.0])
    assert_conserves(out)
    assert eng.state.outage_left[0, 0] == 3 and eng.state.on[0, 0] == 0
    for left in (2, 1, 0):  # periods 1, 2, 3
        out = eng.step(o, draws(eng))
        assert out.tripped[0, 0] == 0 and out.started[0, 0] == 0
        assert out.available_mw[0, 0] == 0.0
        assert levels(out, 0) == [0.0] * 6
        assert out.imbalance_mwh[0, 0] == approx(-25.0)
        assert out.ledger_amount[0, 0, L.IMBALANCE] == approx(-2500.0)
        assert eng.state.outage_left[0, 0] == left
        assert_conserves(out)
    out = eng.step(o, draws(eng))  # period 4: back
    assert out.started[0, 0] == 1
    assert out.available_mw[0, 0] == 100.0
    assert out.ledger_amount[0, 0, L.STARTUP_COST] == -1000.0
    assert eng.state.on[0, 0] == 1


# --------------------------------------------------------------------------- 8 performance


def _provider_market(grace: float = 0.1) -> tuple[Engine, Orders]:
    # rows: 0 base (at 30 MW, cost 40), 1 prov (min stable 10, at 10, cost 50, ramp
    # 10 MW/min, may trip), 2 load (60 MW, value 200). k = 0.
    # Forward: base 30 @ 40, prov 10 @ 50, load bids 40 @ 200 -> [50, 200] -> 50.
    # prov offers 20 MW up (avail 6, util 100), all procured: availability 6 x 20 x
    # 0.5 = 60. Baseline 30 + 10 - 60 -> NIV 20 MW short each interval.
    eng = market(
        [
            thermal("base", 100, 20, 40, 10, 30),
            thermal("prov", 100, 10, 50, 10, 10, forced_outage_prob_per_period=0.5),
        ],
        [flat_load("load", 60, 200)],
        k=0.0,
        grace_factor_frac=grace,
    )
    o = eng.empty_orders()
    sell(o, 0, 30, 40)
    sell(o, 1, 10, 50)
    buy(o, 2, 40, 200)
    offer_reserve(o, 1, UP, 20, 6, 100)
    require(o, UP, 20, max_avail=10)
    return eng, o


def test_performance_verification_after_a_trip() -> None:
    # prov trips in interval 3 (grace 0.1).
    #   intervals 0-2: prov activated 20 MW, runs at 30 MW: delivers 20 MW.
    #   intervals 3-5: prov is at 0, so NIV = 60 - 30 = 30 MW; its 20 MW are activated
    #   again but it delivers nothing; 30 MW unserved each interval -> 7.5 MWh.
    # activated 20 x 6/12 = 10 MWh; delivered 20 x 3/12 = 5 MWh; ratio 0.5;
    #   multiplier = min(1, 0.5 / 0.9) = 5/9.
    #   availability line +60; performance line (5/9 - 1) x 60 = -80/3 (MWh column:
    #   activated - delivered = 5; price column: the multiplier 5/9).
    # Imbalance price: short with unserved energy -> min(VoLL 6000, cap 4000) = 4000.
    #   prov: metered 30 x 3/12 = 7.5, contracted 5, instructed 10 -> -7.5 MWh -> -30000.
    #   load: -30 + 20 = -10 MWh -> -40000. base: 0.
    #   balancing: prov +10 MWh x 100 = 1000 (paid on instructed energy).
    # Broker: +70000 - 1000 - 60 + 80/3 - 6000 x 7.5 (unserved) = 23940 + 80/3.
    # Rewards: base 50 x 15 - 40 x 15 = 150; prov 250 + 1000 + 60 - 80/3 - 30000 -
    #   50 x 7.5 = -29065 - 80/3; load 6000 - 1000 - 40000 = -35000.
    #   Sum -39975 = 6000 - 600 - 375 - 45000.
    eng, o = _provider_market()
    out = eng.step(o, draws(eng, trips={1: 3}))
    assert out.price[0] == 50.0
    assert out.tripped[0, 1] == 1
    assert levels(out, 1) == approx([30.0, 30.0, 30.0, 0.0, 0.0, 0.0])
    assert list(out.unserved_meter_mwh[0]) == approx([0.0] * 3 + [30.0 * MH] * 3)
    assert out.instructed_mwh[0, 1] == approx(10.0)
    assert out.perf_mult[0, 1] == approx(5.0 / 9.0)
    assert out.ledger_mwh[0, 1, L.PERFORMANCE] == approx(5.0)
    assert out.ledger_price[0, 1, L.PERFORMANCE] == approx(5.0 / 9.0)
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 60.0, 0.0, -60.0])
    assert amounts(out, L.PERFORMANCE) == approx([0.0, -80.0 / 3.0, 0.0, 80.0 / 3.0])
    assert out.imbalance_price[0] == 4000.0
    assert amounts(out, L.IMBALANCE) == approx([0.0, -30000.0, -40000.0, 70000.0])
    assert amounts(out, L.BALANCING) == approx([0.0, 1000.0, 0.0, -1000.0])
    assert out.ledger_amount[0, 3, L.UNSERVED_COST] == approx(-45000.0)
    expected = [150.0, -29065.0 - 80.0 / 3.0, -35000.0, 23940.0 + 80.0 / 3.0]
    assert list(out.reward[0]) == approx(expected)
    assert_conserves(out)


@pytest.mark.parametrize(
    ("trip_meter", "grace", "mult"),
    [
        (0, 0.1, 0.0),  # delivered nothing: the availability payment is clawed back
        (3, 0.1, 5.0 / 9.0),  # 3/6 delivered: 0.5 / 0.9
        (5, 0.1, 25.0 / 27.0),  # 5/6 delivered: (5/6) / 0.9
        (5, 0.2, 1.0),  # 5/6 >= 1 - 0.2: within the grace, paid in full
    ],
)
def test_performance_multiplier(trip_meter: int, grace: float, mult: float) -> None:
    # As above, prov tripping in interval ``trip_meter``: it delivers 20 MW in
    # trip_meter of the 6 activated intervals; multiplier min(1, (t/6) / (1 - grace)).
    eng, o = _provider_market(grace)
    out = eng.step(o, draws(eng, trips={1: trip_meter}))
    assert out.perf_mult[0, 1] == approx(mult)
    assert out.ledger_mwh[0, 1, L.PERFORMANCE] == approx(20.0 * (6 - trip_meter) * MH)
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 60.0, 0.0, -60.0])
    assert amounts(out, L.PERFORMANCE) == approx(
        [0.0, (mult - 1.0) * 60.0, 0.0, -(mult - 1.0) * 60.0]
    )
    assert_conserves(out)


def test_ramp_limited_reserve_is_capped_at_one_meter_interval() -> None:
    # rows: 0 base (200 MW, min stable 0, at 40, cost 40, fast), 1 prov (min stable 10,
    # at 10 MW, cost 50, ramp 1 MW/min = 5 MW per interval), 2 load (70 MW).
    # Forward: base 40 @ 40, prov 10 @ 50, load bids 50 @ 200. prov offers 20 MW up
    # (avail 10, util 100) against a 20 MW requirement; reserve must be deliverable
    # within one meter interval, so the offer is capped at prov's ramp 1 x 5 = 5 MW
    # (its flat profile uses none of it; headroom 100 - 10 = 90): 5 MW procured,
    # availability 10 x 5 x 0.5 = 25.
    # The system is 20 MW short all period: prov is activated 5 MW, reaches 15 MW in
    # the first interval and holds it; the other 15 MW go unserved in every interval:
    #   output 15 MW x 6; unserved 15 x 6/12 = 7.5 MWh.
    #   activated 5 MW x 0.5 h = 2.5 MWh, all delivered: multiplier 1, no performance
    #   adjustment; balancing 2.5 MWh x 100 = 250.
    eng = market(
        [thermal("base", 200, 0, 40, 10, 40), thermal("prov", 100, 10, 50, 1, 10)],
        [flat_load("load", 70, 200)],
    )
    o = eng.empty_orders()
    sell(o, 0, 40, 40)
    sell(o, 1, 10, 50)
    buy(o, 2, 50, 200)
    offer_reserve(o, 1, UP, 20, 10, 100)
    require(o, UP, 20, max_avail=10)
    out = eng.step(o, draws(eng))
    assert out.reserved_mw[0, 1, UP] == approx(5.0)
    assert levels(out, 1) == approx([15.0] * 6)
    assert list(out.unserved_meter_mwh[0]) == approx([15.0 * MH] * 6)
    assert out.unserved_mwh[0] == approx(7.5)
    assert out.instructed_mwh[0, 1] == approx(2.5)
    assert out.perf_mult[0, 1] == 1.0
    assert out.ledger_amount[0, 1, L.PERFORMANCE] == approx(0.0)
    assert amounts(out, L.AVAILABILITY) == approx([0.0, 25.0, 0.0, -25.0])
    assert amounts(out, L.BALANCING) == approx([0.0, 250.0, 0.0, -250.0])
    assert_conserves(out)


# --------------------------------------------------------------------------- export


def _read(path: Path) -> list[dict[str, Any]]:
    """Records of an exported file, amounts as Decimals, read without elecbay."""
    if path.suffix == ".json":
        records = json.loads(path.read_text())
    elif path.suffix == ".csv":
        with path.open(newline="") as f:
            records = list(csv.DictReader(f))
    else:
        records = pq.read_table(path).to_pylist()
    for r in records:
        for key in ("market", "period", "interval"):
            if key in r:
                r[key] = int(r[key])
        if "amount" in r:
            r["amount"] = Decimal(str(r["amount"]))
        if "mwh" in r:
            r["mwh"] = float(r["mwh"])
    return records


class Traded(NamedTuple):
    eng: Engine
    rewards: np.ndarray  # (P, E, N) from the outcomes, not the ledger
    amounts: np.ndarray  # (P, E, N, C)
    meters: np.ndarray  # (P, E, N, M)


@pytest.fixture(scope="module")
def traded() -> Traded:
    """Two markets of the default scenario, 6 periods of random orders."""
    eng = Engine("default", n_markets=2, **{"market.days": 1})
    eng.reset(seed=11)
    rng = np.random.default_rng(11)
    outs = []
    for _ in range(6):
        o = eng.step(random_orders(eng.params, eng.state, rng))  # arrays reused: copy
        outs.append((o.reward.copy(), o.ledger_amount.copy(), o.meter_mwh.copy()))
    return Traded(eng, *(np.stack(x) for x in zip(*outs, strict=True)))


CASH = set(L.NAMES[: L.N_CASH])


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_statements_export_reconciles(traded: Traded, tmp_path: Path, suffix: str) -> None:
    agents = traded.eng.agents
    path = traded.eng.ledger.export(tmp_path / f"statements{suffix}")
    records = _read(path)
    assert records and all(isinstance(r["amount"], Decimal) for r in records)
    cash: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    per_agent: dict[tuple[int, int, str], Decimal] = defaultdict(Decimal)
    for r in records:
        assert r["component"] in L.NAMES
        if r["component"] in CASH:
            cash[r["market"], r["period"]] += r["amount"]
        per_agent[r["market"], r["period"], r["agent"]] += r["amount"]
    rewards = traded.rewards
    n_periods, n_markets, _ = rewards.shape
    assert set(cash) == {(e, p) for e in range(n_markets) for p in range(n_periods)}
    assert all(total == 0 for total in cash.values()), cash  # exactly, as decimals
    for p in range(n_periods):
        for e in range(n_markets):
            for i, agent in enumerate(agents):
                got = per_agent.get((e, p, agent), Decimal(0))
                assert abs(got - Decimal(repr(float(rewards[p, e, i])))) <= Decimal("0.005")
    # every non-broker amount is the float amount to 6 places
    for r in records:
        if r["agent"] != "broker_0":
            i = agents.index(r["agent"])
            c = L.NAMES.index(r["component"])
            x = traded.amounts[r["period"], r["market"], i, c]
            assert abs(float(r["amount"]) - x) <= 5e-7 + 1e-12 * abs(x)


@pytest.mark.parametrize("suffix", [".csv", ".json", ".parquet"])
def test_meter_reads_export(traded: Traded, tmp_path: Path, suffix: str) -> None:
    records = _read(traded.eng.ledger.export(tmp_path / f"meters{suffix}", what="meters"))
    meters = traded.meters
    assert len(records) == meters.size
    for r in records:
        x = meters[r["period"], r["market"], traded.eng.agents.index(r["agent"]), r["interval"]]
        assert r["mwh"] == approx(x)


def test_worked_example_exports_to_the_cent(tmp_path: Path) -> None:
    # The short-system example above, exported: its hand figures appear as decimals.
    eng, o = _short_market()
    offer_reserve(o, 1, UP, 8, 5, 80)
    offer_reserve(o, 2, UP, 8, 3, 120)
    require(o, UP, 12, max_avail=20)
    eng.step(o, draws(eng))
    records = _read(eng.ledger.export(tmp_path / "example.json"))
    got = {(r["agent"], r["component"]): r["amount"] for r in records}
    cents = {k: v.quantize(Decimal("0.01")) for k, v in got.items()}
    assert cents["producer_0", "forward_energy"] == Decimal("1162.50")
    assert cents["producer_1", "balancing_energy"] == Decimal("320.00")
    assert cents["producer_2", "availability"] == Decimal("6.00")
    assert cents["consumer_0", "imbalance"] == Decimal("-600.00")
    assert cents["broker_0", "imbalance"] == Decimal("600.00")
    assert cents["broker_0", "balancing_energy"] == Decimal("-440.00")
    assert cents["broker_0", "availability"] == Decimal("-26.00")
    assert sum(v for (a, c), v in got.items() if c in CASH) == 0
    broker = sum(v for (a, _), v in got.items() if a == "broker_0")
    assert broker.quantize(Decimal("0.01")) == Decimal("134.00")
