"""Security against the real broker: credentials, per-seat topics, registration.

A seat can never bid or read as another: the broker (mosquitto with our ACL) drops a
publish into another seat's inbox and delivers nothing from another seat's outbox or inbox to it; a
wrong password or no password is refused; the operator refuses a registration that claims
another seat. The broker listens on 127.0.0.1 only and is stopped by its PID.
"""

from __future__ import annotations

import os
import time

import pytest


def test_broker_is_loopback_only_and_stopped_by_pid(start_market) -> None:
    market = start_market(scenario="small", expect=1, register_timeout_s=30)
    conf = (market.broker.folder / "mosquitto.conf").read_text()
    assert f"listener {market.broker.port} 127.0.0.1\n" in conf
    assert "allow_anonymous false" in conf and "set_tcp_nodelay true" in conf
    pid = market.broker.proc.pid
    os.kill(pid, 0)  # running
    market.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_bad_credentials_are_refused(start_market, raw_client) -> None:
    market = start_market(scenario="small", expect=1, register_timeout_s=30)
    with pytest.raises(ConnectionError, match="producer_0"):
        raw_client(market.url, "producer_0", "not-the-password")
    with pytest.raises(ConnectionError):
        raw_client(market.url, "producer_0", market.password("producer_1"))
    with pytest.raises(ConnectionError):
        raw_client(market.url, "", "")


def test_no_seat_can_bid_or_read_as_another(start_market, raw_client) -> None:
    market = start_market(scenario="small", expect=5, register_timeout_s=30)
    thief = raw_client(market.url, "producer_1", market.password("producer_1"))
    victim = raw_client(market.url, "producer_0", market.password("producer_0"))
    # mosquitto grants any subscription but delivers only what the ACL lets a user read
    for topic in ("elecbay/out/producer_0", "elecbay/out/#", "elecbay/in/#",
                  "elecbay/meterfeed/#", "elecbay/#"):  # fmt: skip
        thief.subscribe(topic)
    assert victim.subscribe("elecbay/out/producer_0") == 1
    # a registration published into the victim's inbox never reaches the operator
    thief.publish("elecbay/in/producer_0", thief.order(type="register", seat="producer_0",
                                                       client="thief"))  # fmt: skip
    # nor does a meter read into the victim's meter topic
    thief.publish("elecbay/meter/meter.producer_0", thief.order(
        type="meter_read", period=0, interval=0, mwh=1.0))  # fmt: skip
    time.sleep(0.5)
    assert "producer_0" not in market.operator.registered
    assert market.operator.stats["messages"] == 0  # the operator saw nothing at all
    # claiming another seat from one's own inbox is refused by the operator, with reasons
    thief.publish("elecbay/in/producer_1", thief.order(type="register", seat="producer_0",
                                                       client="thief"))  # fmt: skip
    answer = thief.wait_for("registered")
    assert answer["accepted"] is False
    assert "authenticated as producer_1" in answer["reasons"][0]
    # the victim registers normally; a second client cannot take the seat over
    victim.publish("elecbay/in/producer_0", victim.order(type="register", seat="producer_0",
                                                         client="victim"))  # fmt: skip
    assert victim.wait_for("registered")["accepted"] is True
    other = raw_client(market.url, "producer_0", market.password("producer_0"))
    other.subscribe("elecbay/out/producer_0")
    other.publish("elecbay/in/producer_0", other.order(type="register", seat="producer_0",
                                                       client="someone else"))  # fmt: skip
    refused = other.wait_for("registered", accepted=False)
    assert "already played by client 'victim'" in refused["reasons"][0]
    assert market.operator.registered == {"producer_0": "victim"}
    # the thief read nothing of producer_0's (its registration answers, the victim's
    # inbox): only its own outbox and the public status came through
    time.sleep(0.3)
    seen = {"elecbay/out/producer_1"} | {topic for topic, _body in thief.kept}
    while not thief.got.empty():
        seen.add(thief.got.get()[0])
    assert seen == {"elecbay/out/producer_1", "elecbay/status"}, seen
