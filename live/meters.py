"""Smart-meter clients: each meter reads its seat's flows and publishes 5-minute reads.

A meter connects as ``meter.<seat>`` (its own password), registers on its meter topic,
and after every clearing receives the period's simulated flows (``meter_truth``: the
MWh per interval that the environment's physics produced) on its feed, then publishes
one ``meter_read`` per interval. The operator settles each interval from the read it
received in time; a missing or late read is replaced by its estimate and flagged
``estimated`` (``docs/live_market.md``, the meter rule). ``drop`` makes a meter skip
intervals, to show and test that rule.
"""

from __future__ import annotations

import itertools
import json
import selectors
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from . import topics
from .messages import VERSION
from .mqtt import new_client, nodelay, parse_url


class MeterPool:
    """Meters of several seats in one thread (one MQTT connection each).

    Args:
        url: the broker, ``mqtt://host:port``.
        drop: ``drop(seat, period, interval)`` -> True to skip that read (default: never).
        report: ``report(seat, period, interval, mwh)`` -> the MWh the meter sends
            (default: what it measured; a lying meter for the exploit tests).
    """

    def __init__(
        self,
        url: str,
        drop: Callable[[str, int, int], bool] | None = None,
        report: Callable[[str, int, int, float], float] | None = None,
    ) -> None:
        self.host, self.port = parse_url(url)
        self.drop = drop or (lambda seat, period, interval: False)
        self.report = report or (lambda seat, period, interval, mwh: mwh)
        self.clients: dict[str, Any] = {}
        self.sent = 0
        self.done = False
        self.rejections: list[dict[str, Any]] = []
        self._ids = itertools.count()
        self._prefix = uuid.uuid4().hex[:8]
        self.sel = selectors.DefaultSelector()

    def add(self, seat: str, password: str) -> None:
        """Connect the meter of ``seat`` (registers once connected)."""
        client = new_client(topics.meter_user(seat), password, f"meter-{seat}-{self._prefix}")
        client.user_data_set(seat)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        client.connect(self.host, self.port, keepalive=60)
        nodelay(client.socket())
        self.sel.register(client.socket(), selectors.EVENT_READ, client)
        self.clients[seat] = client

    def _send(self, mqtt_client: Any, of: str, kind: str, **fields: Any) -> None:
        body = {"v": VERSION, "type": kind, "id": f"{self._prefix}-{next(self._ids)}", **fields}
        mqtt_client.publish(topics.meter_topic(of), json.dumps(body), qos=1)

    def _on_connect(self, client: Any, seat: str, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            self.rejections.append({"seat": seat, "reason": str(reason)})
            return
        client.subscribe([(topics.meter_feed(seat), 1), (topics.STATUS, 1)])
        self._send(client, seat, "register", seat=seat, client="elecbay meter")

    def _on_message(self, client: Any, seat: str, msg: Any) -> None:
        body = json.loads(msg.payload)
        if body.get("type") == "status" and body["state"] == "done":
            self.done = True
        elif body.get("type") == "meter_truth":
            period = int(body["period"])
            for k, mwh in enumerate(body["mwh"]):
                if not self.drop(seat, period, k):
                    said = float(self.report(seat, period, k, mwh))
                    self._send(client, seat, "meter_read", period=period, interval=k, mwh=said)
                    self.sent += 1
        elif body.get("type") == "rejected":
            self.rejections.append(body)

    def step(self, timeout_s: float = 0.05) -> None:
        """Read what arrived and write what is queued."""
        for key, _ in self.sel.select(timeout_s):
            key.data.loop_read()
        for client in self.clients.values():
            if client.want_write():
                client.loop_write()

    def run(self, timeout_s: float = 3600.0) -> None:
        """Read and answer until the market is done or ``timeout_s`` passed."""
        deadline = time.monotonic() + timeout_s
        while not self.done and time.monotonic() < deadline:
            self.step()

    def close(self) -> None:
        """Disconnect every meter."""
        for client in self.clients.values():
            client.disconnect()
        self.sel.close()


def run_meters(url: str, passwords: dict[str, str], seats: Iterable[str],
               timeout_s: float = 3600.0) -> MeterPool:  # fmt: skip
    """Run the meters of ``seats`` until the market ends; returns the pool (closed)."""
    pool = MeterPool(url)
    for seat in seats:
        pool.add(seat, passwords[topics.meter_user(seat)])
    try:
        pool.run(timeout_s)
    finally:
        pool.close()
    return pool
