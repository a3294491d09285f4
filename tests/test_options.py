"""Bilateral options on power (issue 16 item 6): written, exercised, expired, by hand.

``small`` with ``market.options`` (lead 1 period), half-hour periods (0.5 h). Every
period producer_0 offers 100 MW at 10 and consumer_0 bids 100 MW at 80, so the
forward market trades each period at a price P read from the outcome (the market's
own figure); the options are worked from P by hand. A paired run without options
(same seed, same orders) is the oracle for everything physical.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from elecbay_env.config import ScenarioError, load_scenario
from elecbay_env.engine import Engine
from elecbay_env.testing import random_orders
from elecbay_env.transactive import option_records, temix_records

H = 0.5
CCGT, WIND, HOUSES, FACTORY = 0, 1, 2, 3


def _orders(eng: Engine):
    o = eng.empty_orders()
    o.step_qty[0, CCGT, 0], o.step_price[0, CCGT, 0] = 100.0, 10.0
    o.step_qty[0, HOUSES, 0], o.step_price[0, HOUSES, 0] = -100.0, 80.0
    return o


def _run(options: bool, script=None, periods: int = 4):
    over = {"market.options": {"expiry_lead_periods": 1}} if options else {}
    eng = Engine("small", **over)
    eng.reset(seed=11)
    outs = []
    for t in range(periods):
        if script is not None:
            script(eng, t)
        out = eng.step(_orders(eng))
        outs.append({k: np.array(v, copy=True) for k, v in out._asdict().items()})
    return eng, outs


def _lines(eng: Engine, component: str) -> list[dict]:
    return [r for r in eng.ledger.statements() if r["component"] == component]


def test_call_written_exercised_and_put_expired_by_hand():
    ids = {}

    def script(eng, t):
        book = eng.participation.options
        if t == 0:
            # a call: factory may buy 10 MW in period 2 at 30, premium 2 per MWh
            ids["call"] = book.write("producer_1", "call", 10.0, 30.0, 2.0, delivery=2)
            book.buy(ids["call"], "consumer_1")
            # a put: factory may sell 4 MW in period 3 at 20, premium 1 per MWh
            ids["put"] = book.write("producer_1", "put", 4.0, 20.0, 1.0, delivery=3)
            book.buy(ids["put"], "consumer_1")
            ids["lapsed"] = book.write("producer_0", "call", 1.0, 0.0, 0.0, delivery=3)
        if t == 1:
            book.exercise(ids["call"], "consumer_1")  # period 1 <= deadline 2 - 1

    eng, outs = _run(True, script)
    _, plain = _run(False)
    p2 = float(outs[2]["price"][0])
    assert p2 == p2  # it traded
    # premiums in period 0: 2 x 10 MW x 0.5 h = 10 and 1 x 4 x 0.5 = 2, holder to writer
    prem = _lines(eng, "option_premium")
    assert sorted((r["agent"], r["amount"]) for r in prem) == [
        ("consumer_1", Decimal("-10.000000")), ("consumer_1", Decimal("-2.000000")),
        ("producer_1", Decimal("2.000000")), ("producer_1", Decimal("10.000000")),
    ]  # fmt: skip
    assert {r["period"] for r in prem} == {0}
    # exercise in period 2: (P - 30) x 10 MW x 0.5 h, writer to holder
    (holder,) = [r for r in _lines(eng, "option_exercise") if r["agent"] == "consumer_1"]
    assert holder["period"] == 2
    assert float(holder["amount"]) == pytest.approx((p2 - 30.0) * 10 * H, abs=1e-6)
    # the put was never exercised: it expires at its delivery period with no cash
    expired = _lines(eng, "option_expired")
    assert {(r["period"], r["amount"]) for r in expired} == {(3, Decimal("0.000000"))}
    states = sorted((r["state"], r["event"]) for r in option_records(eng.participation.options))
    assert states == [("delivery", "exercise"), ("delivery", "expire"), ("tender", "expire")]
    book = eng.participation.options
    assert [book.contracts[ids[k]].state for k in ("call", "put", "lapsed")] == [
        "settled", "expired", "lapsed",
    ]  # fmt: skip
    # the physical market is untouched; rewards move by the option cash exactly
    for t in range(4):
        for key in ("contract_mw", "meter_mwh", "price", "ledger_amount"):
            np.testing.assert_array_equal(outs[t][key], plain[t][key], err_msg=key)
    cash = np.zeros((4, 5))
    for r in eng.ledger.statements():
        if str(r["component"]).startswith("option_"):
            cash[r["period"], eng.agents.index(r["agent"])] += float(r["amount"])
    for t in range(4):
        assert outs[t]["reward"][0] - plain[t]["reward"][0] == pytest.approx(cash[t], abs=1e-9)
    # option cash sums to exactly zero, period by period
    for t in range(4):
        total = sum(
            (r["amount"] for r in eng.ledger.statements()
             if r["period"] == t and str(r["component"]).startswith("option_")),
            Decimal(0),
        )  # fmt: skip
        assert total == 0


def test_temix_story_of_the_options():
    def script(eng, t):
        if t == 0:
            book = eng.participation.options
            book.buy(book.write("producer_1", "call", 10.0, 30.0, 2.0, delivery=2), "consumer_0")

    eng, _ = _run(True, script)
    recs = [r for r in temix_records(eng.ledger) if r["product"] == "option_power"]
    events = {(r["state"], r["event"]) for r in recs if r["agent"] == "consumer_0"}
    assert ("transaction", "premium") in events and ("delivery", "expire") in events


def test_deadlines_and_bad_input_name_the_field():
    eng = Engine("small", **{"market.options": {"expiry_lead_periods": 2}})
    eng.reset(seed=0)
    book = eng.participation.options
    with pytest.raises(ValueError, match="delivery=1: allowed range is \\[2, 47\\]"):
        book.write("producer_1", "call", 1.0, 30.0, 1.0, delivery=1)
    with pytest.raises(ValueError, match="kind='swap'"):
        book.write("producer_1", "swap", 1.0, 30.0, 1.0, delivery=5)
    with pytest.raises(ValueError, match="mw=-1"):
        book.write("producer_1", "call", -1.0, 30.0, 1.0, delivery=5)
    with pytest.raises(ValueError, match="writer='broker_0'"):
        book.write("broker_0", "call", 1.0, 30.0, 1.0, delivery=5)
    i = book.write("producer_1", "call", 1.0, 30.0, 1.0, delivery=2)
    with pytest.raises(ValueError, match="holder='producer_1': must differ"):
        book.buy(i, "producer_1")
    book.buy(i, "consumer_0")
    with pytest.raises(ValueError, match="only consumer_0 may exercise"):
        book.exercise(i, "consumer_1")
    eng.step(eng.empty_orders())  # now at period 1 > deadline 0
    with pytest.raises(ValueError, match="exercised by period 0"):
        book.exercise(i, "consumer_0")
    assert book.contracts[i].state == "transaction"
    with pytest.raises(ScenarioError, match="expiry_lead_periods"):
        load_scenario("small", **{"market.options": {"expiry_lead_periods": -1}})


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31 - 1))
def test_money_to_the_cent_with_random_options(seed):
    """Random orders and random options (written, bought, exercised or not): every
    period's exported cash sums to exactly zero, and each agent's lines add up to its
    reward to the cent."""
    rng = np.random.default_rng(seed)
    eng = Engine("small", n_markets=2, **{"market.options": {"expiry_lead_periods": 1}})
    eng.reset(seed=seed % 1000)
    book = eng.participation.options
    traders = [a for a in eng.agents if a != "broker_0"]
    rewards = []
    for t in range(8):
        for e in range(2):
            writer, holder = rng.choice(traders, 2, replace=False)
            if t + 1 < eng.n_periods:
                i = book.write(str(writer), str(rng.choice(["call", "put"])),
                               float(rng.uniform(0.1, 50)), float(rng.uniform(-50, 200)),
                               float(rng.uniform(0, 10)), delivery=int(t + rng.integers(1, 4)),
                               market=e)  # fmt: skip
                if rng.random() < 0.8:
                    book.buy(i, str(holder))
        for c in list(book.contracts.values()):
            if c.state == "transaction" and c.delivery - 1 >= t and rng.random() < 0.5:
                book.exercise(c.id, c.holder)
        rewards.append(eng.step(random_orders(eng.params, eng.state, rng)).reward.copy())
    cash = {"forward_energy", "imbalance", "balancing_energy", "availability",
            "performance_adjustment", "residual_reallocation", "option_premium",
            "option_exercise", "option_expired"}  # fmt: skip
    total: dict = {}
    per_agent: dict = {}
    for r in eng.ledger.statements():
        key = (r["market"], r["period"])
        if r["component"] in cash:
            total[key] = total.get(key, Decimal(0)) + r["amount"]
        k = (*key, r["agent"])
        per_agent[k] = per_agent.get(k, Decimal(0)) + r["amount"]
    assert all(v == 0 for v in total.values())
    for (e, t, agent), amount in per_agent.items():
        assert float(amount) == pytest.approx(rewards[t][e, eng.agents.index(agent)], abs=0.01)
    assert any(str(r["component"]) == "option_exercise" for r in eng.ledger.statements())
