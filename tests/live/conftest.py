"""Fixtures of the live-market tests: a real mosquitto on a free 127.0.0.1 port.

Where the ``mosquitto`` binary (or paho-mqtt) is missing the tests skip on a developer's
machine but fail in CI (``CI=true``; ``.ci/run`` installs mosquitto with apt-get). Every
broker is stopped by its PID when its test ends.
"""

from __future__ import annotations

import json
import os
import queue
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


def _need(what: str, ok: bool) -> None:
    if ok:
        return
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{what} is missing, and CI=true: the live tests must run in CI")
    pytest.skip(f"{what} is not installed (apt-get install mosquitto mosquitto-clients; "
                "pip install 'elecbay[live]')")  # fmt: skip


@pytest.fixture(scope="session")
def mosquitto() -> str:
    """The mosquitto binary's path (skip or fail without it, see the module docstring)."""
    try:
        import paho.mqtt  # noqa: F401

        has_paho = True
    except ImportError:
        has_paho = False
    _need("paho-mqtt", has_paho)
    from elecbay_live.broker import find_mosquitto

    path = find_mosquitto()
    _need("mosquitto", path is not None)
    return str(path)


@pytest.fixture
def start_market(mosquitto: str, tmp_path: Path) -> Iterator[Any]:
    """``start_market(**config) -> Market``: a market (local broker, operator thread) in
    ``tmp_path``; every market and broker is closed, by PID, at the end of the test."""
    from elecbay_live.operator import ServeConfig
    from elecbay_live.service import Market

    markets: list[Any] = []

    def start(folder: Path | None = None, run: bool = True, **config: Any) -> Any:
        market = Market(folder or tmp_path / f"run{len(markets)}", ServeConfig(**config))
        markets.append(market)
        return market.start() if run else market

    yield start
    for market in markets:
        market.close()
        if market.broker is not None and market.broker.proc is not None:
            raise AssertionError("the broker outlived its market")


class RawClient:
    """A plain MQTT client for tests: publishes what it is told, queues what it reads."""

    def __init__(self, url: str, user: str, password: str, will: Any = None) -> None:
        from elecbay_live.mqtt import connect_client

        self.got: queue.Queue[tuple[str, dict[str, Any] | bytes]] = queue.Queue()
        self.user = user
        self.tag = f"{user}-{uuid.uuid4().hex[:6]}"
        self.client = connect_client(url, user, password, f"test-{user}-{uuid.uuid4().hex[:6]}",
                                     on_message=self._on_message, will=will)  # fmt: skip
        self.n = 0
        self.kept: list[tuple[str, Any]] = []  # read, not yet taken by wait_for

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        try:
            body: Any = json.loads(msg.payload)
        except ValueError:
            body = msg.payload
        self.got.put((msg.topic, body))

    def subscribe(self, topic: str) -> int:
        """Subscribe; returns the broker's granted QoS (128: refused)."""
        import threading

        done = threading.Event()
        codes: list[Any] = []

        def on_subscribe(c: Any, u: Any, mid: Any, reason_codes: Any, props: Any) -> None:
            codes.extend(reason_codes)
            done.set()

        self.client.on_subscribe = on_subscribe
        self.client.subscribe(topic, qos=1)
        assert done.wait(5), "no SUBACK"
        return int(codes[0].value)

    def publish(self, topic: str, body: dict[str, Any] | bytes) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.client.publish(topic, payload, qos=1).wait_for_publish(5)

    def order(self, **fields: Any) -> dict[str, Any]:
        self.n += 1
        return {"v": 1, "id": f"{self.tag}-{self.n}", **fields}

    def wait_for(self, kind: str, timeout_s: float = 30.0, **match: Any) -> dict[str, Any]:
        """The first message of type ``kind`` (whose fields equal ``match``) not yet
        taken; the others stay for later calls."""

        def fits(body: Any) -> bool:
            return isinstance(body, dict) and body.get("type") == kind and all(
                body.get(k) == v for k, v in match.items())  # fmt: skip

        for i, (_topic, body) in enumerate(self.kept):
            if fits(body):
                return self.kept.pop(i)[1]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                topic, body = self.got.get(timeout=max(deadline - time.monotonic(), 0.01))
            except queue.Empty:
                break
            if fits(body):
                return body
            self.kept.append((topic, body))
        raise AssertionError(f"no {kind} message {match} within {timeout_s} s")

    def crash(self) -> None:
        """Drop the connection without a DISCONNECT (the broker sends the will)."""
        self.client.loop_stop()
        self.client.socket().close()

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


@pytest.fixture
def raw_client() -> Iterator[Any]:
    """``raw_client(url, user, password) -> RawClient``, disconnected at the end."""
    made: list[RawClient] = []

    def make(url: str, user: str, password: str, will: Any = None) -> RawClient:
        made.append(RawClient(url, user, password, will))
        return made[-1]

    yield make
    for c in made:
        c.close()
