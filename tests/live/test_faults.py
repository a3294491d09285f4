"""Bad input and faults: each is rejected on the sender's topic, naming the field; the
operator keeps running and the ledger stays whole.

Malformed JSON, a wrong version or type, unknown fields, wrong types, non-finite numbers,
oversized payloads, a wrong action length, an order before registering, a late order, a
duplicate message id, an agent that disconnects mid-episode (its will message says it
left: the operator stops waiting and plays the seat's default) and a meter that misses
reads (estimated and flagged).
"""

from __future__ import annotations

import json

import pytest

SEAT = "producer_0"


def _rejected(client, field: str) -> dict:
    answer = client.wait_for("rejected", field=field)
    assert answer["reason"]
    return answer


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (b"{not json", None),
        (b"[1, 2]", None),
        (b"\xff\xfe", None),
        (json.dumps({"v": 2, "type": "order", "id": "a"}).encode(), "v"),
        (json.dumps({"v": 1, "type": "bid", "id": "b"}).encode(), "type"),
        (json.dumps({"v": 1, "type": "leave"}).encode(), "id"),
        (
            json.dumps(
                {"v": 1, "type": "order", "id": "c", "period": 0, "action": [], "price": 3}
            ).encode(),
            "price",
        ),
        (
            json.dumps({"v": 1, "type": "order", "id": "d", "period": "0", "action": []}).encode(),
            "period",
        ),
        (
            json.dumps({"v": 1, "type": "order", "id": "e", "period": -1, "action": []}).encode(),
            "period",
        ),
        (b'{"v": 1, "type": "order", "id": "f", "period": 0, "action": [NaN]}', None),
        (json.dumps({"v": 1, "type": "order", "id": "g", "period": 0}).encode(), "action"),
        (
            json.dumps(
                {"v": 1, "type": "order", "id": "h" * 65, "period": 0, "action": []}
            ).encode(),
            "id",
        ),
        (b" " * 20000, None),
    ],
)
def test_malformed_messages_are_rejected_naming_the_field(start_market, raw_client, payload,
                                                          field) -> None:  # fmt: skip
    market = start_market(scenario="small", expect=1, register_timeout_s=60)
    c = raw_client(market.url, SEAT, market.password(SEAT))
    c.subscribe(f"elecbay/out/{SEAT}")
    c.publish(f"elecbay/in/{SEAT}", payload)
    _rejected(c, field)
    assert market.operator.stats["rejected"] == 1
    assert market.thread.is_alive()


def test_order_faults_and_a_disconnect_mid_episode(start_market, raw_client) -> None:
    market = start_market(scenario="small", expect=1, register_timeout_s=60, order_timeout_s=20)
    will = json.dumps({"v": 1, "type": "leave", "id": "will-1"}).encode()
    c = raw_client(market.url, SEAT, market.password(SEAT), will=(f"elecbay/in/{SEAT}", will))
    c.subscribe(f"elecbay/out/{SEAT}")
    inbox = f"elecbay/in/{SEAT}"
    c.publish(inbox, c.order(type="order", period=0, action=[0.0] * 8))
    assert "register" in _rejected(c, "type")["reason"]
    c.publish(inbox, c.order(type="register", seat=SEAT, client="test"))
    width = c.wait_for("registered", accepted=True)["action_width"]
    gate = c.wait_for("gate_open", period=0)
    assert len(gate["observation"]) == market.operator.env.observation_space(SEAT).shape[0]
    c.publish(inbox, c.order(type="order", period=0, action=[0.0] * (width + 1)))
    assert f"expected {width} numbers" in _rejected(c, "action")["reason"]
    c.publish(inbox, c.order(type="order", period=3, action=[0.0] * width))
    assert "no open gate" in _rejected(c, "period")["reason"]
    order = c.order(type="order", period=0, action=[0.5] * width)
    c.publish(inbox, order)
    c.wait_for("accepted", ref=order["id"])
    c.wait_for("statement", period=0)
    c.publish(inbox, order)  # delivered again (at least once): a duplicate
    assert "duplicate" in _rejected(c, "id")["reason"]
    c.wait_for("gate_open", period=1)
    late = c.order(type="order", period=0, action=[0.5] * width)
    c.publish(inbox, late)
    assert "late" in _rejected(c, "period")["reason"]
    # an unclean disconnect (the will message says the seat left): no waiting for it
    c.crash()
    market.join(60)
    op = market.operator
    assert op.ledger.last_period() == 47
    sources = {row[0]: row[3] for row in op.ledger.table("orders") if row[1] == SEAT}
    assert sources[0] == "agent" and all(sources[t] == "default" for t in range(2, 48))
    statuses = {row[1]: row[4] for row in op.ledger.table("messages") if row[0] == SEAT}
    assert statuses[order["id"]] == "accepted" and statuses[late["id"]] == "late"
    assert max(op.gate_latency_s) < 20  # it never waited out the timeout for a gone seat


def test_missing_meter_reads_are_estimated_and_flagged(start_market) -> None:
    from elecbay_live.client import AgentPool
    from elecbay_live.meters import MeterPool

    market = start_market(scenario="small", expect=1, register_timeout_s=60, meter_timeout_s=0.3)
    width = market.operator.env.action_space(SEAT).shape[0]
    meters = MeterPool(market.url, drop=lambda seat, period, k: k == 3 or period == 5)
    meters.add(SEAT, market.password(f"meter.{SEAT}"))
    agents = AgentPool(market.url)
    agents.add(SEAT, market.password(SEAT), lambda obs, period, seat: [0.0] * width)
    try:
        agents.run(timeout_s=120, stop=lambda: _step(meters))
    finally:
        agents.close()
        meters.close()
    market.join(30)
    reads = [r for r in market.operator.ledger.table("meter_reads") if r[1] == SEAT]
    later = [r for r in reads if r[0] >= 2]  # the meter registered in time for these
    assert later
    for period, _seat, k, mwh, source, received, _id in later:
        if k == 3 or period == 5:
            assert source == "estimated" and received is None
        else:
            assert source == "meter" and received == mwh
    flags = {s["period"]: s["estimated_reads"] for s in agents.seats[SEAT].statements}
    assert flags[5] == market.operator.n_meters and flags[10] == 1
    assert meters.sent > 0 and not meters.rejections


def _step(pool) -> bool:
    pool.step(0.0)
    return False


def test_a_broker_restart_loses_nothing_and_the_market_goes_on(start_market) -> None:
    import threading
    import time

    from elecbay_live.client import AgentPool

    market = start_market(scenario="small", expect=1, register_timeout_s=60, order_timeout_s=3)
    width = market.operator.env.action_space(SEAT).shape[0]
    pool = AgentPool(market.url)
    seat = pool.add(SEAT, market.password(SEAT), lambda obs, period, s: [0.2] * width)

    def restart() -> None:  # after period 5: stop mosquitto (by PID) and start it again
        while market.operator.ledger.last_period() < 5:
            time.sleep(0.01)
        market.broker.stop()
        time.sleep(0.5)
        market.broker.start()

    thread = threading.Thread(target=restart)
    thread.start()
    try:
        pool.run(timeout_s=300)
    finally:
        pool.close()
        thread.join()
    market.join(60)
    op = market.operator
    assert [row[0] for row in op.ledger.table("periods")] == list(range(48))
    assert op.reconnects >= 1 and pool.reconnects >= 1
    sources = [row[3] for row in op.ledger.table("orders") if row[1] == SEAT]
    assert sources[:6] == ["agent"] * 6 and sources[-1] == "agent", "".join(x[0] for x in sources)
    assert sources.count("default") <= 3, "".join(x[0] for x in sources)  # the outage
    assert len(seat.statements) >= 40  # those published during the outage may be gone
