"""Risk limits (issue 16 item 7): hand-worked breaches, a property, bad input.

The ``small`` scenario: producer_0 (a CCGT), producer_1 (wind), consumer_0
(households), consumer_1 (factory), broker_0; half-hour periods (period_h = 0.5).
Only the rows named trade in the worked periods, so every fill is known by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.orders import Orders, empty_orders
from elecbay_env.params import build_params
from elecbay_env.risk_limits import RiskBook
from elecbay_env.state import allocate
from elecbay_env.testing import random_orders

CCGT, WIND, HOUSES, FACTORY = 0, 1, 2, 3


def _orders(eng: Engine, sells, buys) -> Orders:
    """producer_0 offers ``sells`` [(MW, price)], consumer_0 bids ``buys``."""
    o = eng.empty_orders()
    for s, (mw, p) in enumerate(sells):
        o.step_qty[0, CCGT, s], o.step_price[0, CCGT, s] = mw, p
    for s, (mw, p) in enumerate(buys):
        o.step_qty[0, HOUSES, s], o.step_price[0, HOUSES, s] = -mw, p
    return o


def _lines(eng: Engine, component: str) -> list[dict]:
    return [r for r in eng.ledger.statements() if r["component"] == component]


def test_breach_rejected_by_hand():
    # consumer_0 may bid at most 30 MW a period; it bids 20 + 20 = 40 MW -> rejected
    eng = Engine("small", **{"consumers.0.risk": {"max_bid_mw": 30, "on_breach": "reject"}})
    eng.reset(seed=0)
    out = eng.step(_orders(eng, [(100, 10.0)], [(20, 200.0), (20, 150.0)]))
    assert out.contract_mw[0, HOUSES] == 0.0 and out.volume_mw[0] == 0.0
    seen = eng.ledger.orders[0]
    assert np.all(seen[1][0, HOUSES] == 0.0)  # step_qty the auction saw
    (line,) = _lines(eng, "risk_rejected")
    assert line["agent"] == "consumer_0" and line["mwh"] == 40 * 0.5 and line["amount"] == 0
    assert eng.participation.notices() == {
        "consumer_0": ["consumer_0: buy orders of 40 MW rejected: beyond risk.max_bid_mw (30 MW)"]
    }


def test_breach_clipped_by_hand():
    # producer_0 may offer 50 MW: 40 @ 30 and 40 @ 60 keep the cheaper 40 and 10 of the dearer
    eng = Engine("small", **{"producers.0.risk": {"max_bid_mw": 50}})
    eng.reset(seed=0)
    out = eng.step(_orders(eng, [(40, 30.0), (40, 60.0)], [(100, 200.0)]))
    seen_qty = eng.ledger.orders[0][1][0, CCGT]
    assert seen_qty[:2].tolist() == [40.0, 10.0]
    assert out.contract_mw[0, CCGT] == pytest.approx(50.0)
    (line,) = _lines(eng, "risk_clipped")
    assert line["mwh"] == 30 * 0.5
    assert "clipped to 50 MW" in eng.participation.notices()["producer_0"][0]


def test_position_limit_by_hand():
    # 4 periods a day (6 h each, period_h = 6); limit 300 MWh net per day. Selling 40 MW:
    # period 0: 240 MWh (headroom 300) -> all; period 1: headroom 60 MWh = 10 MW -> clipped;
    # period 2: headroom 0 -> nothing; period 4 (a new day): all 40 MW again.
    eng = Engine(
        "small",
        **{
            "market.period_min": 360,
            "market.days": 2,
            "producers.0.risk": {"position_limit_mwh": 300},
        },
    )
    eng.reset(seed=0)
    sold = []
    for _ in range(5):
        out = eng.step(_orders(eng, [(40, 10.0)], [(100, 200.0)]))
        sold.append(float(out.contract_mw[0, CCGT]))
    assert sold == pytest.approx([40.0, 10.0, 0.0, 0.0, 40.0])
    clipped = _lines(eng, "risk_clipped")
    assert [r["period"] for r in clipped] == [1, 2, 3]
    assert [r["mwh"] for r in clipped] == pytest.approx([180.0, 240.0, 240.0])


def test_min_bid_drops_small_steps():
    eng = Engine("small", **{"producers.0.risk": {"min_bid_mw": 0.1}})
    eng.reset(seed=0)
    out = eng.step(_orders(eng, [(0.05, 10.0), (30, 20.0)], [(100, 200.0)]))
    assert out.contract_mw[0, CCGT] == pytest.approx(30.0)
    (line,) = _lines(eng, "risk_rejected")
    assert line["mwh"] == pytest.approx(0.025)


def test_reserve_offer_clipped():
    eng = Engine("small", **{"producers.0.risk": {"max_bid_mw": 50}})
    eng.reset(seed=0)
    o = eng.empty_orders()
    o.res_qty[0, CCGT, 0] = 80.0
    eng.step(o)
    assert eng.ledger.orders[0][2][0, CCGT, 0] == 50.0  # res_qty the auction saw
    assert o.res_qty[0, CCGT, 0] == 80.0  # the caller's orders are not touched


def test_bad_limits_name_the_field():
    with pytest.raises(ScenarioError, match="max_bid_mw"):
        load_scenario("small", **{"producers.0.risk": {"max_bid_mw": -1}})
    with pytest.raises(ScenarioError, match="min_bid_mw"):
        load_scenario("small", **{"producers.0.risk": {"max_bid_mw": 1, "min_bid_mw": 2}})
    with pytest.raises(ScenarioError, match="on_breach"):
        load_scenario("small", **{"producers.0.risk": {"on_breach": "ignore"}})


def test_limits_that_never_bind_change_nothing():
    def run(**over):
        eng = Engine("small", n_markets=2, **over)
        eng.reset(seed=3)
        rng = np.random.default_rng(3)
        rewards = []
        for _ in range(6):
            rewards.append(eng.step(random_orders(eng.params, eng.state, rng)).reward.copy())
        return np.array(rewards)

    loose = {"max_bid_mw": 1e6, "position_limit_mwh": 1e8}
    assert np.array_equal(run(), run(**{"producers.0.risk": loose, "consumers.1.risk": loose}))


# ------------------------------------------------------------------ property


_SC = load_scenario("small")
_PARAMS = build_params(_SC, 1)
_LIMITED = load_scenario("small", **{"producers.0.risk": {"max_bid_mw": 1}})
_AGENTS = ["producer_0", "producer_1", "consumer_0", "consumer_1", "broker_0"]


@settings(max_examples=200, deadline=None)
@given(
    qty=st.lists(st.floats(-500, 500, allow_nan=False), min_size=4, max_size=4),
    price=st.lists(st.floats(-500, 4000, allow_nan=False), min_size=4, max_size=4),
    max_bid=st.floats(0.1, 300),
    limit=st.floats(1, 1000),
    position=st.floats(-1000, 1000),
    reject=st.booleans(),
)
def test_no_side_exceeds_its_limits(qty, price, max_bid, limit, position, reject):
    """After the limits, a side's total MW is within max_bid_mw and the position
    headroom, however the MW is split into steps; clipping keeps the best prices."""
    book = RiskBook(_LIMITED, _AGENTS, 1)  # producer_0 limited; its limits set here
    book.max_bid[CCGT], book.position_limit[CCGT], book.reject[CCGT] = max_bid, limit, reject
    book.position_mwh[0, CCGT] = position
    o = empty_orders(_PARAMS)
    o.step_qty[0, CCGT] = qty  # both sides, as a storage unit may (the book ignores kinds)
    o.step_price[0, CCGT] = price
    before = o.step_qty.copy()
    book.apply(o, np.array([1]), [])
    h = _SC.market.period_h
    q = o.step_qty[0, CCGT]
    for sign in (1.0, -1.0):
        total = (q * sign).clip(0).sum()
        head = max(limit - sign * position, 0.0) / h
        assert total <= min(max_bid, head) * (1 + 1e-9) + 1e-9
        side = before[0, CCGT] * sign > 0
        assert np.all((q * sign)[side] <= (before[0, CCGT] * sign)[side] + 1e-12)
        cut = side & ((q * sign) < (before[0, CCGT] * sign) - 1e-12)
        better = side & (
            np.asarray(price) * sign < min(np.asarray(price)[cut] * sign, default=np.inf)
        )
        if not reject:  # every step priced better than one cut is kept whole
            assert np.allclose(q[better], before[0, CCGT][better])
        if reject:  # a side is kept whole or dropped whole
            assert total == 0.0 or total == pytest.approx((before[0, CCGT] * sign).clip(0).sum())


def test_markets_are_limited_independently():
    """The batch of E markets gives each market what a batch of one gives it."""
    risk = {"max_bid_mw": 60, "min_bid_mw": 5, "position_limit_mwh": 80}
    over = {"producers.0.risk": risk, "consumers.1.risk": {**risk, "on_breach": "reject"}}
    sc = load_scenario("small", **over)
    params = build_params(sc, 4)
    o = random_orders(params, allocate(params), np.random.default_rng(7))
    batch = RiskBook(sc, _AGENTS, 4)
    batch.position_mwh[:] = np.random.default_rng(8).uniform(-100, 100, (4, 5))
    alone = []
    for e in range(4):
        one = RiskBook(sc, _AGENTS, 1)
        one.position_mwh[0] = batch.position_mwh[e]
        oe = Orders(*(np.array(a[e : e + 1]) for a in o))
        notes = []
        one.apply(oe, np.array([3]), notes)
        alone.append((oe, [n._replace(market=e) for b in notes for n in b.notices(_AGENTS)]))
    batches = []
    batch.apply(o, np.array([3, 3, 3, 3]), batches)
    notes = [n for b in batches for n in b.notices(_AGENTS)]
    for e, (oe, ne) in enumerate(alone):
        for name, a, b in zip(Orders._fields, o, oe, strict=True):
            np.testing.assert_array_equal(a[e], b[0], err_msg=name)
        assert sorted(n for n in notes if n.market == e) == sorted(ne)
    assert notes  # something bound
