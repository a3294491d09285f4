"""Registration of new assets in a live market (``registration_window_s``, entrants),
against the real broker: a valid asset joins the scenario as a new seat and trades all
48 periods as its entrant's; an invalid one is refused with reasons naming each field;
a seat of the scenario cannot register assets; nothing registers after the window.
"""

from __future__ import annotations

import json

import pytest

GOOD = {"type": "thermal", "name": "newcomer", "technology": "ocgt", "capacity_mw": 100,
        "min_stable_mw": 20, "marginal_cost_per_mwh": 90, "ramp_mw_per_min": 10}  # fmt: skip


def test_an_entrant_registers_an_asset_and_trades_it(start_market, raw_client) -> None:
    from elecbay_live.client import AgentPool
    from elecbay_live.meters import MeterPool

    market = start_market(scenario="small", expect=1, registration_window_s=1.5, entrants=3,
                          register_timeout_s=30)  # fmt: skip
    op = market.operator
    # a seat of the scenario is no entrant
    c = raw_client(market.url, "producer_0", market.password("producer_0"))
    c.subscribe("elecbay/out/producer_0")
    body = c.order(type="register_asset", role="producer", asset=GOOD, client="x")
    c.publish("elecbay/in/producer_0", body)
    refused = c.wait_for("asset_registered", ref=body["id"])
    assert not refused["accepted"] and "no entrant" in refused["reasons"][0]
    pool = AgentPool(market.url, client_name="entrant test")
    widths = {}

    def decide(obs, period, seat):
        widths[seat] = len(obs)
        return [0.3] * pool_width(seat)

    def pool_width(seat):
        return op.env.action_space(op.alias[seat]).shape[0]

    good = pool.add_asset("entrant_0", market.password("entrant_0"), "producer", GOOD, decide)
    bad = pool.add_asset("entrant_1", market.password("entrant_1"), "producer",
                         {**GOOD, "name": "bad", "capacity_mw": -5, "colour": "red"},
                         decide)  # fmt: skip
    meters = MeterPool(market.url)  # the new asset's smart meter, from the window on
    meters.add("entrant_0", market.password("meter.entrant_0"))
    meters.add("entrant_1", market.password("meter.entrant_1"))  # its asset is refused

    def stop_when(cond):
        return lambda: meters.step(0.0) or cond()

    try:
        pool.run(timeout_s=60, stop=stop_when(lambda: op.state == "trading"))
        # after the window: refused, the market unchanged
        e2 = raw_client(market.url, "entrant_2", market.password("entrant_2"))
        e2.subscribe("elecbay/out/entrant_2")
        body = e2.order(type="register_asset", role="producer", asset={**GOOD, "name": "l"},
                        client="x")  # fmt: skip
        e2.publish("elecbay/in/entrant_2", body)
        pool.run(timeout_s=60, stop=stop_when(lambda: not e2.got.empty()))
        late = e2.wait_for("asset_registered", ref=body["id"])
        pool.run(timeout_s=120, stop=stop_when(lambda: False))
    finally:
        pool.close()
        meters.close()
    market.join(30)
    assert good.plays == "producer_2" and good.registered and len(good.statements) == 48
    assert not bad.registered and bad.plays is None
    assert any(r.startswith("asset.capacity_mw = -5") for r in bad.reasons), bad.reasons
    assert any(r.startswith("asset.colour = 'red': unknown field") for r in bad.reasons)
    assert op.seats == ["producer_0", "producer_1", "producer_2", "consumer_0", "consumer_1",
                        "broker_0"]  # fmt: skip
    assert widths["entrant_0"] == op.env.observation_space("producer_2").shape[0]
    ledger = op.ledger
    assert ledger.assets() == [("entrant_0", "producer_2", "producer", GOOD)]
    orders = [o for o in ledger.table("orders") if o[1] == "producer_2"]
    assert [o[3] for o in orders] == ["agent"] * 48
    assert json.loads(orders[0][4]) == pytest.approx([0.3] * pool_width("entrant_0"))
    lines = {(s[1], s[2]) for s in ledger.statements()}
    assert ("producer_2", "forward_energy") in lines or ("producer_2", "imbalance") in lines
    assert late["reasons"] == ["type: the registration window is closed"]
    reads = [r for r in ledger.table("meter_reads") if r[1] == "producer_2"]
    assert len(reads) == 48 * op.n_meters and {r[4] for r in reads} == {"meter"}
    assert all(r[5] == r[3] for r in reads) and meters.sent == 48 * op.n_meters
    assert {s.get("settled_on") for s in good.statements} == {"check"}


SHOP = {"name": "shop", "profile_type": "residential", "peak_mw": 10, "value_per_mwh": 400,
        "forecast_error": {"std_frac": 0.03, "ar1": 0.9}}  # fmt: skip


def test_a_restart_keeps_the_registered_asset(start_market, tmp_path) -> None:
    from elecbay_live.client import AgentPool

    folder = tmp_path / "market"
    config = dict(scenario="small", expect=1, registration_window_s=1.0, entrants=1)

    def play(market, stop=None) -> object:
        pool = AgentPool(market.url)
        width = {}

        def decide(obs, period, seat):
            op = market.operator
            width.setdefault(seat, op.env.action_space(op.alias[seat]).shape[0])
            return [0.1] * width[seat]

        s = pool.add_asset("entrant_0", market.password("entrant_0"), "consumer",
                           SHOP, decide)  # fmt: skip
        try:
            pool.run(timeout_s=120, stop=stop)
        finally:
            pool.close()
        return s

    first = start_market(folder, **config)
    s = play(first, stop=lambda: first.operator.ledger.last_period() >= 5)
    assert s.plays == "consumer_2", (
        s.registered,
        s.reasons,
        s.rejections,
        s.orders_sent,
        first.operator.ledger.table("messages"),
    )
    first.close()
    second = start_market(folder, **config)
    s = play(second)
    second.join(30)
    assert s.plays == "consumer_2" and s.registered
    ledger = second.operator.ledger
    assert [r[0] for r in ledger.table("periods")] == list(range(48))
    assert "consumer_2" in second.operator.seats
    assert ledger.assets()[0][:3] == ("entrant_0", "consumer_2", "consumer")
    sources = [o[3] for o in ledger.table("orders") if o[1] == "consumer_2"]
    assert len(sources) == 48 and sources[:5] == ["agent"] * 5 and sources[-1] == "agent"


def test_no_one_can_register_or_play_as_another_entrant(start_market, raw_client) -> None:
    import time

    market = start_market(scenario="small", registration_window_s=30, entrants=2, expect=9)
    op = market.operator
    e0 = raw_client(market.url, "entrant_0", market.password("entrant_0"))
    e1 = raw_client(market.url, "entrant_1", market.password("entrant_1"))
    e0.subscribe("elecbay/out/entrant_0")
    for topic in ("elecbay/out/entrant_0", "elecbay/out/#"):
        e1.subscribe(topic)
    # into another entrant's inbox: the broker drops it, the operator sees nothing
    e1.publish("elecbay/in/entrant_0", e1.order(type="register_asset", role="producer",
                                                asset=GOOD, client="thief"))  # fmt: skip
    time.sleep(0.5)
    assert op.stats["messages"] == 0 and op.assets == []
    body = e0.order(type="register_asset", role="producer", asset=GOOD, client="owner")
    e0.publish("elecbay/in/entrant_0", body)
    assert e0.wait_for("asset_registered", ref=body["id"])["seat"] == "producer_2"
    # claiming the accepted asset's seat from one's own inbox is refused
    e1.publish("elecbay/in/entrant_1", e1.order(type="register", seat="producer_2",
                                                client="thief"))  # fmt: skip
    refused = e1.wait_for("rejected")
    assert "registers its asset first" in refused["reason"]
    # a second asset from the same entrant is refused
    again = e0.order(type="register_asset", role="producer", asset={**GOOD, "name": "b"},
                     client="owner")  # fmt: skip
    e0.publish("elecbay/in/entrant_0", again)
    assert e0.wait_for("asset_registered", ref=again["id"])["reasons"] == [
        "seat: entrant_0 already registered an asset"]  # fmt: skip
    assert [a[:3] for a in op.assets] == [("entrant_0", "producer_2", "producer")]
    time.sleep(0.3)  # entrant_1 read nothing of entrant_0's
    seen = {t for t, _b in e1.kept}
    while not e1.got.empty():
        seen.add(e1.got.get()[0])
    assert seen <= {"elecbay/out/entrant_1"}, seen
