"""A small client library for live agents: many seats in one thread of one process.

>>> pool = AgentPool("mqtt://127.0.0.1:1883")                      # doctest: +SKIP
>>> pool.add("producer_2", password, lambda obs, period, seat: my_action(obs))
>>> pool.run()              # registers, answers every gate, returns when the market ends

Each seat has its own MQTT connection (its own credentials: the broker's access control
lets it read and write only its own topics). All connections share one thread and a
``selectors`` loop, so a process can play hundreds of seats. A seat's ``decide`` callback
gets the observation (``(F,)`` float32, as the PettingZoo environment gives it), the
period and the seat id, and returns the action (``(A,)`` numbers in [-1, 1]).
:func:`policy_decider` wraps any policy with ``predict`` (:mod:`elecbay_agents`).
"""

from __future__ import annotations

import itertools
import json
import selectors
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import topics
from .messages import VERSION
from .mqtt import new_client, nodelay, parse_url

Decide = Callable[[np.ndarray, int, str], Any]


@dataclass
class Seat:
    """One seat's connection and what it has seen."""

    seat: str
    password: str
    decide: Decide
    client: Any = None
    registered: bool | None = None  # None: no answer yet
    asked: bool = False  # registration sent
    reasons: list[str] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)
    rejections: list[dict[str, Any]] = field(default_factory=list)
    orders_sent: int = 0
    done: bool = False
    gate_opened_at: dict[int, float] = field(default_factory=dict)
    answered_in_s: list[float] = field(default_factory=list)
    asset: dict[str, Any] | None = None  # an entrant's new asset: {"role", "asset"}
    plays: str | None = None  # the agent id its accepted asset plays as


class AgentPool:
    """Seats played over MQTT against the operator at ``url``.

    Args:
        url: the broker, ``mqtt://host:port``.
        client_name: a name the operator records for these agents.
    """

    def __init__(self, url: str, client_name: str = "elecbay-agent") -> None:
        self.url = url
        self.host, self.port = parse_url(url)
        self.client_name = client_name
        self.seats: dict[str, Seat] = {}
        self._ids = itertools.count()
        self._prefix = uuid.uuid4().hex[:8]
        self.sel = selectors.DefaultSelector()
        self.lost: set[str] = set()  # seats whose connection dropped
        self.reconnects = 0
        self._retry_at = 0.0

    def add(self, seat: str, password: str, decide: Decide) -> Seat:
        """Add a seat (connects now; registers when the operator's status arrives)."""
        s = Seat(seat, password, decide)
        client = new_client(seat, password, f"{seat}-{self._prefix}")
        client.user_data_set(s)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        will = {"v": VERSION, "type": "leave", "id": self._id()}
        client.will_set(topics.inbox(seat), json.dumps(will), qos=1)
        s.client = client
        client.connect(self.host, self.port, keepalive=60)
        nodelay(client.socket())
        self.sel.register(client.socket(), selectors.EVENT_READ, s)
        self.seats[seat] = s
        return s

    def add_asset(self, user: str, password: str, role: str, asset: dict[str, Any],
                  decide: Decide) -> Seat:  # fmt: skip
        """Add an entrant (``entrant_<k>``) that registers a new ``role`` asset (a
        scenario entry) while the registration window is open, then plays it."""
        s = self.add(user, password, decide)
        s.asset = {"role": role, "asset": asset}
        return s

    def _id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    def send(self, s: Seat, kind: str, **fields: Any) -> None:
        """Publish one message to the seat's inbox (QoS 1, a fresh id)."""
        body = {"v": VERSION, "type": kind, "id": self._id(), **fields}
        s.client.publish(topics.inbox(s.seat), json.dumps(body), qos=1)

    def _on_connect(self, client: Any, s: Seat, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            s.registered, s.reasons, s.done = False, [f"connect: {reason}"], True
            return
        client.subscribe([(topics.outbox(s.seat), 1), (topics.STATUS, 1)])

    def _on_message(self, client: Any, s: Seat, msg: Any) -> None:
        body = json.loads(msg.payload)
        kind = body.get("type")
        if kind == "status":
            if body["state"] == "done":
                s.done = True
            elif s.asset is not None and s.plays is None:  # an entrant, not accepted yet
                if not s.asked:  # the operator answers (after the window: known assets only)
                    s.asked = True
                    self.send(s, "register_asset", client=self.client_name, **s.asset)
            elif not s.asked:
                s.asked = True
                self.send(s, "register", seat=s.seat, client=self.client_name)
        elif kind == "asset_registered":
            s.plays, s.reasons = body["seat"], list(body["reasons"])
            if not body["accepted"]:
                s.registered, s.done = False, True
        elif kind == "registered":
            s.registered, s.reasons = bool(body["accepted"]), list(body["reasons"])
            if not s.registered:
                s.done = True
        elif kind == "gate_open":
            start = time.perf_counter()
            obs = np.asarray(body["observation"], dtype=np.float32)
            action = np.asarray(s.decide(obs, int(body["period"]), s.seat), dtype=np.float32)
            self.send(s, "order", period=int(body["period"]), action=action.tolist())
            s.orders_sent += 1
            s.answered_in_s.append(time.perf_counter() - start)
        elif kind == "statement":
            s.statements.append(body)
        elif kind == "rejected":
            s.rejections.append(body)

    def step(self, timeout_s: float = 0.05) -> None:
        """Read what arrived (waiting up to ``timeout_s``) and write what is queued; a
        seat whose connection was lost (a broker restart) reconnects."""
        for key, _ in self.sel.select(timeout_s):
            s = key.data
            s.client.loop_read()
            if s.client.socket() is None:  # lost: forget the socket, reconnect below
                self.sel.unregister(key.fileobj)
                self.lost.add(s.seat)
        for s in self.seats.values():
            if s.seat not in self.lost and s.client.want_write():
                s.client.loop_write()
        if self.lost and time.monotonic() >= self._retry_at:
            self._retry_at = time.monotonic() + 0.2
            for seat in list(self.lost):
                self._reconnect(self.seats[seat])

    def _reconnect(self, s: Seat) -> None:
        try:
            s.client.reconnect()
        except OSError:
            return  # the broker is not back yet: retry
        nodelay(s.client.socket())
        self.sel.register(s.client.socket(), selectors.EVENT_READ, s)
        self.lost.discard(s.seat)
        s.asked = False  # register again when the status arrives: the operator waits again
        self.reconnects += 1

    def run(self, timeout_s: float = 3600.0, stop: Callable[[], bool] | None = None) -> None:
        """Play until every seat is done (the market ended or registration was refused),
        ``stop()`` is true or ``timeout_s`` passed."""
        deadline = time.monotonic() + timeout_s
        last_misc = 0.0
        while time.monotonic() < deadline:
            if all(s.done for s in self.seats.values()) or (stop is not None and stop()):
                break
            self.step()
            if time.monotonic() - last_misc > 1.0:
                last_misc = time.monotonic()
                for s in self.seats.values():
                    s.client.loop_misc()

    def close(self) -> None:
        """Disconnect every seat (cleanly: no leave message is sent)."""
        for s in self.seats.values():
            s.client.disconnect()
            for _ in range(3):
                if not s.client.want_write():
                    break
                s.client.loop_write()
        self.sel.close()


def policy_decider(policy: Any) -> Decide:
    """A ``decide`` callback from a policy with ``predict`` (keeps its recurrent state)."""
    state: dict[str, Any] = {"s": None}

    def decide(obs: np.ndarray, period: int, seat: str) -> np.ndarray:
        action, state["s"] = policy.predict(obs, state["s"], episode_start=period == 0)
        return np.asarray(action)

    return decide


def build_policy(spec: str, seat: str, scenario: str, days: int, seed: int) -> Any:
    """The policy ``spec`` for ``seat`` of the scenario (as :func:`make_policy` builds it
    in-process, seeded the same way)."""
    from elecbay_agents.registry import make_policy

    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env(scenario, **{"market.days": days})
    return make_policy(spec, env, seat, seed)


def build_entrant_policy(spec: str, status: dict[str, Any], seat: str, seed: int) -> Any:
    """The policy ``spec`` for the new asset that plays ``seat``, in the market the status
    describes (its scenario with every accepted asset added)."""
    from elecbay_agents.registry import make_policy

    from elecbay_env.config import load_scenario
    from elecbay_env.envs.parallel import parallel_env

    from .assets import scenario_with

    base = load_scenario(status["scenario"], **{"market.days": status["days"]})
    added = [(a["role"], a["asset"]) for a in status.get("assets", [])]
    env = parallel_env(scenario_with(base.model_dump(mode="json"), added))
    return make_policy(spec, env, seat, seed)


def fetch_status(url: str, user: str, password: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """The operator's retained status (``elecbay/status``), read as ``user``.

    Raises:
        ConnectionError: the broker refused the credentials.
        TimeoutError: no status within ``timeout_s`` (no operator running).
    """
    import queue

    from .mqtt import connect_client

    got: queue.Queue[bytes] = queue.Queue()
    client = connect_client(url, user, password, f"{user}-status-{uuid.uuid4().hex[:8]}",
                            on_message=lambda c, u, msg: got.put(msg.payload))  # fmt: skip
    try:
        client.subscribe(topics.STATUS, qos=1)
        try:
            return json.loads(got.get(timeout=timeout_s))
        except queue.Empty:
            raise TimeoutError(f"no market status on {url} within {timeout_s} s") from None
    finally:
        client.loop_stop()
        client.disconnect()
