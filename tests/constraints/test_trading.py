"""Curtailment trading (issue 16, item 3), by hand.

Three non-firm wind farms a (2010), b (2015), c (2020) of 30, 40 and 50 MW behind a
100 MW export limit: 20 MW over, so last-in-first-off curtails c by 20 MW. A trade in
which c buys and a sells makes a take the 20 MW, c none, and c pays a
the price for the 20 MW x 5 min moved. After a network event that moves a out from
behind the constraint, verification cancels the same trade: c is curtailed again and
no money moves. The call auction matches the highest bids with the lowest asks at one
uniform price.
"""

from __future__ import annotations

import numpy as np
import pytest

from elecbay_env.config import load_scenario
from elecbay_env.constraints import anm_notes
from elecbay_env.curtailment_trading import clear_auction, place_trade, run_auction
from elecbay_env.kernels.anm import anm_begin, anm_interval
from elecbay_env.params import build_params
from elecbay_env.period import allocate_outcome
from elecbay_env.roles import agent_ids
from elecbay_env.state import allocate

from .conftest import three_units

LEVELS = [300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0]  # ccgt, a, b, c, loads, broker
A, B, C = 1, 2, 3


def _market(event: bool = False):
    sc = three_units(100.0)
    if event:  # from period 1 the circuit behind a is switched away: b and c remain
        sc["distribution_constraints"][0]["events"] = [{"period": 1, "members": ["b", "c"]}]
    params = build_params(load_scenario(sc))
    return params, allocate(params), allocate_outcome(params)


def _interval(params, state, out, t: int) -> np.ndarray:
    lv = np.array(LEVELS)
    anm_begin(out, 0)
    sc = np.empty((3, lv.size))
    si = np.empty((2, lv.size), np.int64)
    anm_interval(params, state, out, 0, t, lv, True, params.meter_h, sc, si)
    return lv


def test_no_trade_curtails_the_last_in() -> None:
    params, state, out = _market()
    lv = _interval(params, state, out, 0)
    assert lv[[A, B, C]].tolist() == [30.0, 40.0, 30.0]
    assert not out.anm_cash.any()


def test_a_trade_reorders_the_list_and_pays_for_what_moved() -> None:
    params, state, out = _market()
    place_trade(params, state, buyer=C, seller=A, price_per_mwh=12.0, periods=[0])
    lv = _interval(params, state, out, 0)
    assert lv[[A, B, C]].tolist() == [10.0, 40.0, 50.0]  # a took c's 20 MW
    moved = 20.0 * params.meter_h  # MWh (20 MW for 5 minutes)
    assert out.anm_trade_mwh[0, [A, C]].tolist() == [moved, -moved]
    assert out.anm_cash[0, [A, C]].tolist() == pytest.approx([20.0, -20.0], abs=1e-12)
    assert out.anm_cash[0].sum() == 0.0
    assert not out.anm_cancelled.any()
    lv = _interval(params, state, out, 1)  # a period not traded: the order as it was
    assert lv[[A, B, C]].tolist() == [30.0, 40.0, 30.0]


def test_a_seller_that_cannot_take_the_curtailment_is_not_paid() -> None:
    """Trading curtailment one will not face: the buyer is curtailed anyway when the
    seller has no output to give up, and no money moves."""
    params, state, out = _market()
    place_trade(params, state, buyer=C, seller=A, price_per_mwh=12.0, periods=[0])
    lv = np.array(LEVELS)
    lv[A] = 0.0  # a produces nothing in this interval
    lv[C] = 70.0  # 20 MW over again
    anm_begin(out, 0)
    sc, si = np.empty((3, lv.size)), np.empty((2, lv.size), np.int64)
    anm_interval(params, state, out, 0, 0, lv, True, params.meter_h, sc, si)
    # a has nothing to give: c is cut 10 MW as without the trade, b (a third party)
    # is untouched
    assert lv[[A, B, C]].tolist() == [0.0, 40.0, 60.0]
    assert not out.anm_cash.any() and not out.anm_trade_mwh.any()


def test_verification_cancels_a_trade_after_a_network_event() -> None:
    params, state, out = _market(event=True)
    place_trade(params, state, buyer=C, seller=A, price_per_mwh=12.0, periods=[1])
    lv = _interval(params, state, out, 1)
    # a no longer behind the constraint: b and c carry 90 MW under 100, nothing binds
    assert lv[[A, B, C]].tolist() == [30.0, 40.0, 50.0]
    assert out.anm_cancelled[0].tolist() == [0, 0, 0, 1, 0, 0, 0]
    assert not out.anm_cash.any()
    notes = anm_notes(agent_ids(4, 2), params, state, out, 1)
    assert notes == {
        "producer_3": [
            "curtailment trade cancelled: producer_1 no longer behind the same constraint"
        ]
    }


def test_call_auction_by_hand() -> None:
    """Bids 30, 20, 5; asks 4, 18, 25: two pairs trade (30 with 4, 20 with 18), the third
    bid (5) is below the third ask (25); the price is the midpoint of 20 and 18."""
    pairs, price = clear_auction({3: 30.0, 2: 20.0, 6: 5.0}, {1: 4.0, 4: 18.0, 5: 25.0})
    assert pairs == [(3, 1), (2, 4)]
    assert price == 19.0
    assert clear_auction({3: 1.0}, {1: 2.0}) == ([], pytest.approx(np.nan, nan_ok=True))
    with pytest.raises(ValueError, match="one side per row"):
        clear_auction({3: 1.0}, {3: 0.5})


def test_auction_trades_only_periods_the_buyer_expects_to_be_curtailed() -> None:
    params, state, _ = _market()
    expected = np.tile(np.array([LEVELS]).T, (1, 48))
    expected[C, 10:] = 20.0  # from period 10 on, 90 MW: c is not expected to be curtailed
    trades = run_auction(params, state, expected, 0, {C: 15.0}, {A: 5.0})
    assert len(trades) == 1 and trades[0].periods == tuple(range(10))
    assert trades[0].price_per_mwh == 10.0
    assert state.anm_partner[0, :10, C].tolist() == [A] * 10
    assert (state.anm_partner[0, 10:, C] == -1).all()
    with pytest.raises(ValueError, match="non-firm"):
        run_auction(params, state, expected, 0, {0: 15.0}, {A: 5.0})
