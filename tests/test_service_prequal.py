"""Pre-qualification of flexibility offers and curtailment trading (issue 16 item 5), by hand.

Flexibility (``configs/flexibility.yaml``): with ``flexibility.min_mw`` 20 the
households (5% of 250 MW = 12.5 MW of flexible load) and the battery (10 MW) do not
qualify and the factory (20% of 120 MW = 24 MW) does. The households' 5 MW offer is set
to 0 MW, with the reason in their info and a zero-amount ``flexibility_rejected`` line of
5 MW x 0.5 h = 2.5 MWh; the factory's 8 MW offer stands.

Curtailment trading (three wind farms a, b, c of 30, 40 and 50 MW behind a 100 MW
export limit, ``tests/constraints/conftest.py``): with ``curtailment_trading.min_mw`` 35,
a (30 MW) does not qualify. Its ask is left out of the auction, so c's bid of 20 meets
b's ask of 8 at the midpoint 14 instead of a's ask of 5; a bilateral trade with a is not
recorded, and c is curtailed as if it had never traded.
"""

from __future__ import annotations

import warnings

import numpy as np

from elecbay_env.config import load_scenario
from elecbay_env.curtailment_trading import place_trade, run_auction
from elecbay_env.engine import Engine
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.kernels.anm import anm_begin, anm_interval
from elecbay_env.period import allocate_outcome
from elecbay_env.registration import PrequalificationWarning

from .constraints.conftest import three_units

SERVICE = "evening_peak"
HOUSES, FACTORY = 3, 4  # rows of configs/flexibility.yaml (consumer_0, consumer_1)
LEVELS = [300.0, 30.0, 40.0, 50.0, -100.0, -50.0, 0.0]  # ccgt, a, b, c, loads, broker
A, B, C = 1, 2, 3


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PrequalificationWarning)
        return fn(*args, **kw)


def flex_rules(min_mw: float = 20.0):
    return _quiet(
        load_scenario,
        "flexibility",
        **{"market.prequalification": {"flexibility": {"min_mw": min_mw}}},
    )


def curtailment_scenario(min_mw: float | None = 35.0):
    sc = three_units(100.0)
    for unit, mw in zip(sc["producers"][1:], (30.0, 40.0, 50.0), strict=True):
        unit["capacity_mw"] = mw
    if min_mw is not None:
        sc["market"]["prequalification"] = {"curtailment_trading": {"min_mw": min_mw}}
    return _quiet(load_scenario, sc)


# --------------------------------------------------------------------------- flexibility


def test_unqualified_flexibility_offer_rejected_with_reason():
    env = ElecbayParallelEnv(flex_rules(), info_statement=True)
    env.reset(seed=0)
    eng = env.engine
    n = len(eng.agents)
    cap = np.zeros((1, n))
    cap[0, HOUSES], cap[0, FACTORY] = 5.0, 8.0
    price = np.full((1, n), 10.0)
    eng.flexibility.offer(SERVICE, cap, price, price)
    stood = eng.flexibility.services[0].capacity
    assert stood[0, HOUSES] == 0.0 and stood[0, FACTORY] == 8.0  # others unchanged
    actions = {a: np.zeros(env.action_space(a).shape, np.float32) for a in env.agents}
    _, _, _, _, infos = env.step(actions)
    (reason,) = infos["consumer_0"]["notices"]
    assert reason.startswith(f"flexibility offer of 5 MW to service '{SERVICE}' rejected")
    assert "capability 12.5 MW is below flexibility.min_mw (20 MW)" in reason
    assert infos["consumer_1"]["notices"] == []
    line = infos["consumer_0"]["statement"]["flexibility_rejected"]
    assert (line["mwh"], line["amount"]) == (2.5, 0.0)
    (row,) = [r for r in eng.ledger.statements() if r["component"] == "flexibility_rejected"]
    assert (row["agent"], row["mwh"], row["amount"]) == ("consumer_0", 2.5, 0)
    env.step(actions)  # the notice is told once
    assert eng.participation.notices() == {}


def test_flexibility_offers_unchanged_when_all_qualify_or_no_rules():
    n = len(Engine("flexibility").agents)
    rng = np.random.default_rng(3)
    cap = np.zeros((2, n))
    cap[:, [2, HOUSES, FACTORY]] = rng.uniform(1, 10, (2, 3))
    price = rng.uniform(0, 20, (2, n))
    stood = []
    for sc in ("flexibility", flex_rules(min_mw=0.1)):
        eng = Engine(sc, n_markets=2)
        eng.flexibility.offer(SERVICE, cap, price, price)
        stood.append(eng.flexibility.services[0].capacity.copy())
        assert eng.participation is None or eng.participation.notices() == {}
    assert np.array_equal(stood[0], stood[1]) and np.array_equal(stood[0], cap)


# --------------------------------------------------------------------------- curtailment


def _interval(eng: Engine, t: int = 0):
    out = allocate_outcome(eng.params)
    lv = np.array(LEVELS)
    anm_begin(out, 0)
    sc, si = np.empty((3, lv.size)), np.empty((2, lv.size), np.int64)
    anm_interval(eng.params, eng.state, out, 0, t, lv, True, eng.params.meter_h, sc, si)
    return lv, out


def test_unqualified_curtailment_ask_left_out_of_the_auction():
    eng = Engine(curtailment_scenario())
    eng.reset(seed=0)
    expected = np.tile(np.array([LEVELS]).T, (1, 48))
    trades = run_auction(
        eng.params, eng.state, expected, 0, {C: 20.0}, {A: 5.0, B: 8.0},
        participation=eng.participation,
    )  # fmt: skip
    (trade,) = trades
    assert (trade.buyer, trade.seller, trade.price_per_mwh) == (C, B, 14.0)
    eng.step(eng.empty_orders())
    notes = eng.participation.notices()
    assert list(notes) == ["producer_1"]
    (reason,) = notes["producer_1"]
    assert reason.startswith("curtailment ask at 5 per MWh rejected: not pre-qualified")
    assert "capability 30 MW is below curtailment_trading.min_mw (35 MW)" in reason
    (row,) = [r for r in eng.ledger.statements() if r["component"] == "curtailment_rejected"]
    assert (row["agent"], row["mwh"], row["amount"]) == ("producer_1", 0.0, 0)


def test_unqualified_curtailment_trade_not_recorded():
    eng = Engine(curtailment_scenario())
    eng.reset(seed=0)
    before = eng.state.anm_partner.copy()
    ok = place_trade(eng.params, eng.state, C, A, 12.0, [0], participation=eng.participation)
    assert ok is False and np.array_equal(eng.state.anm_partner, before)
    lv, out = _interval(eng)
    assert lv[[A, B, C]].tolist() == [30.0, 40.0, 30.0]  # c curtailed as without a trade
    assert not out.anm_cash.any()
    eng.step(eng.empty_orders())
    notes = eng.participation.notices()
    assert set(notes) == {"producer_1", "producer_3"}
    assert "trade (buyer producer_3, seller producer_1) rejected" in notes["producer_3"][0]
    assert "curtailment_trading.min_mw (35 MW)" in notes["producer_3"][0]
    # a qualified pair trades as it always did
    assert place_trade(eng.params, eng.state, C, B, 12.0, [0], participation=eng.participation)
    lv, out = _interval(eng)
    assert lv[[A, B, C]].tolist() == [30.0, 20.0, 50.0]


def test_curtailment_unchanged_when_all_qualify():
    expected = np.tile(np.array([LEVELS]).T, (1, 48))
    partners = []
    for min_mw in (None, 0.1):
        eng = Engine(curtailment_scenario(min_mw))
        eng.reset(seed=0)
        trades = run_auction(
            eng.params, eng.state, expected, 0, {C: 20.0}, {A: 5.0, B: 8.0},
            participation=eng.participation,
        )  # fmt: skip
        partners.append((trades, eng.state.anm_partner.copy(), eng.state.anm_price.copy()))
        assert eng.participation is None or eng.participation.notices() == {}
    assert partners[0][0] == partners[1][0]
    assert all(np.array_equal(x, y) for x, y in zip(partners[0][1:], partners[1][1:], strict=True))
