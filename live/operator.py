"""The market operator as a service: registration, gates, clearing, statements, ledger.

:class:`Operator` runs one episode of a scenario on an MQTT broker. It clears every period
with the PettingZoo environment (:class:`elecbay_env.envs.parallel.ElecbayParallelEnv`:
the same action codec and engine as in-process runs), so a lockstep live run with the same
seed and policies writes the same statements as ``elecbay run``.

Each period ``t``:

1. **Gate opens**: every registered seat gets ``gate_open`` with its observation.
2. **Orders** are read until gate closure: in lockstep, when every registered seat has
   ordered (or left, or missed the last gate and has not ordered or registered since), or
   ``order_timeout_s`` after the gate opened; with ``speed``, after
   ``period_min * 60 / speed`` wall seconds. A later order is rejected as late.
3. **Default action**: an unclaimed seat, or a registered seat without an order in time,
   is played by its house policy (the baseline unless ``house`` says otherwise); the
   statement says ``default_action: true``.
4. **Clearing and settlement**: one environment step.
5. **Meters**: each registered meter gets the period's simulated flows and answers with
   one read per 5-minute interval, until every registered meter answered (lockstep) or
   ``meter_timeout_s``. The seat's imbalance settles on the reads received
   (:mod:`.settle_reads`: a missing or late read is estimated by the check metering and
   flagged ``estimated``; a read the check metering disagrees with is flagged
   ``disputed``; reads never pay more than the check metering).
6. **Ledger** (one database transaction), then statements to each seat and the public
   result.

On start with an existing ledger the operator replays its periods (the stored actions)
and resumes after the last complete one.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import messages as m
from . import topics
from .asset_window import AssetWindow
from .assets import entrant_users
from .ledger_db import LiveLedger
from .mqtt import connect_client
from .serve_config import ServeConfig
from .settle_reads import ReadSettlement, settle_from_reads

__all__ = ["Operator", "ServeConfig"]


class Operator(AssetWindow):
    """One market on a broker at ``url`` (``mqtt://host:port``) as user ``operator``.

    Args:
        config: the market (:class:`ServeConfig`).
        url: the broker.
        password: the operator's MQTT password.
        ledger_path: the SQLite file or a ``postgresql://`` URL (resumed when it holds
            periods).
    """

    def __init__(self, config: ServeConfig, url: str, password: str,
                 ledger_path: str | Path) -> None:  # fmt: skip
        from elecbay_env.envs.parallel import parallel_env

        config.check()
        self.config = config
        self.env = parallel_env(config.scenario, **{"market.days": config.days})
        self.base = self.env.scenario.model_dump(mode="json")  # before any new asset
        self.entrants = set(entrant_users(config.entrants))
        self.assets: list[tuple[str, str, str, dict[str, Any]]] = []  # user, seat, role, asset
        self.alias: dict[str, str] = {}  # entrant user -> the seat of its asset
        self.user_of: dict[str, str] = {}  # that seat -> the entrant user
        self._adopt(self.env)
        run = {"scenario": config.scenario, "days": config.days, "seed": config.seed,
               "schema": m.VERSION}  # fmt: skip
        self.ledger = LiveLedger(ledger_path, run)
        self.registered: dict[str, str] = {}  # seat -> client name
        self.meters: set[str] = set()  # seats whose meter registered (sent a read)
        self.left: set[str] = set()
        self.inbox: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.gate: int | None = None  # the open gate's period
        self.orders: dict[str, tuple[str, list[float]]] = {}
        self.meter_period: int | None = None
        self.reads: dict[tuple[str, int], tuple[float, str]] = {}
        self.state = "registration" if config.registration_window_s > 0 else "registering"
        self.period = 0
        self.stats = {"messages": 0, "rejected": 0, "orders": 0, "reads": 0}
        self.gate_latency_s: list[float] = []
        self.stop_event = threading.Event()
        subscriptions = [(f"{topics.ROOT}/in/+", 1), (f"{topics.ROOT}/meter/+", 1)]
        self.reconnects = 0
        self.client = connect_client(url, topics.OPERATOR_USER, password, "elecbay-operator",
                                     on_message=self._on_message, subscriptions=subscriptions,
                                     on_reconnect=self._on_reconnect)  # fmt: skip

    def _on_reconnect(self) -> None:
        """The broker restarted (it keeps nothing): publish the retained status again."""
        self.reconnects += 1
        self.inbox.put(("", b""))  # after the wills the broker sent while stopping
        self.publish_status()

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        self.inbox.put((msg.topic, msg.payload))

    # -- publishing ------------------------------------------------------------------
    def send(self, to: str, kind: str, **fields: Any) -> None:
        """Publish a message to seat ``to``'s outbox (QoS 1)."""
        user = self.user_of.get(to, to)
        self.client.publish(topics.outbox(user), m.encode(kind, **fields), qos=1)

    def publish_status(self) -> None:
        """Publish the retained market status (when the state changes: every subscriber
        gets it, so it is not sent per registration or per period)."""
        body = m.encode("status", state=self.state, period=self.period,
                        n_periods=self.n_periods, scenario=self.config.scenario,
                        days=self.config.days, seats=self.seats,
                        lockstep=self.config.lockstep, speed=self.config.speed,
                        assets=[{"seat": seat, "role": role, "asset": asset}
                                for _user, seat, role, asset in self.assets])  # fmt: skip
        self.client.publish(topics.STATUS, body, qos=1, retain=True)

    # -- reading ---------------------------------------------------------------------
    def pump(self, until: float, done: Any = None) -> None:
        """Handle incoming messages until the monotonic time ``until`` or ``done()``."""
        while not (done is not None and done()):
            left = until - time.monotonic()
            if left <= 0 or self.stop_event.is_set():
                return
            try:
                topic, payload = self.inbox.get(timeout=min(left, 0.05))
            except queue.Empty:
                continue
            self.handle(topic, payload)

    def handle(self, topic: str, payload: bytes) -> None:
        """Handle one incoming message; never raises for bad input."""
        if topic == "":  # reconnected: a broker restart is no seat leaving
            self.left.clear()
            return
        where = topics.seat_of(topic)
        if where is None:
            return
        kind, user = where
        seat = self.alias.get(user, user)
        if seat not in self.seats and user not in self.entrants:
            return
        sender = user if kind == "in" else topics.meter_user(user)
        self.stats["messages"] += 1
        try:
            msg = m.decode(payload, self.config.max_bytes)
            if self.ledger.seen(sender, msg["id"]):
                raise m.MessageError("id", f"duplicate message id {msg['id']!r}", msg["id"])
            if kind == "meter":
                if msg["type"] == "register" and msg["seat"] in (seat, user):
                    self.meters.add(seat)  # from the next clearing on, it gets the feed
                    self.ledger.log_message(sender, msg["id"], self.gate, "register", "accepted")
                elif msg["type"] == "meter_read" and seat in self.seats:
                    self._read(seat, msg, sender)
                elif msg["type"] == "meter_read":
                    raise m.MessageError("type", "an entrant's meter reads once its asset "
                                         "plays", msg["id"])  # fmt: skip
                else:
                    raise m.MessageError("type", "a meter sends register (its own seat) or "
                                         "meter_read", msg["id"])  # fmt: skip
            elif msg["type"] == "register_asset":
                self._register_asset(user, msg)
            elif seat not in self.seats:
                raise m.MessageError("type", "an entrant registers its asset first "
                                     "(register_asset)", msg["id"])  # fmt: skip
            elif msg["type"] == "register":
                self._register(seat, msg)
            elif msg["type"] == "order":
                self._order(seat, msg)
            elif msg["type"] == "leave":
                self.left.add(seat)
                self.ledger.log_message(sender, msg["id"], self.gate, "leave", "accepted")
            else:
                raise m.MessageError("type", f"{msg['type']} comes from a meter topic", msg["id"])
        except m.MessageError as exc:
            self.stats["rejected"] += 1
            status = "duplicate" if exc.reason.startswith("duplicate") else "rejected"
            if exc.ref is not None and status != "duplicate":
                self.ledger.log_message(sender, exc.ref, self.gate, None, status, str(exc))
            body = m.encode("rejected", ref=exc.ref, field=exc.field, reason=exc.reason)
            target = topics.outbox(user) if kind == "in" else topics.meter_feed(user)
            self.client.publish(target, body, qos=1)

    def _register(self, seat: str, msg: dict[str, Any]) -> None:
        reasons = []
        if msg["seat"] not in (seat, self.user_of.get(seat)):
            reasons.append(f"seat: you are authenticated as {seat}, not {msg['seat']!r}")
        holder = self.registered.get(seat)
        if holder is not None and holder != msg["client"]:
            reasons.append(f"seat: {seat} is already played by client {holder!r}")
        accepted = not reasons
        if accepted:
            self.registered[seat] = msg["client"]
            self.left.discard(seat)
        status = "accepted" if accepted else "rejected"
        self.ledger.log_message(seat, msg["id"], self.gate, "register", status, "; ".join(reasons))
        self.send(seat, "registered", ref=msg["id"], accepted=accepted, reasons=reasons, seat=seat,
                  action_width=int(self.env.action_space(seat).shape[0]),
                  observation_width=int(self.env.observation_space(seat).shape[0]),
                  n_periods=self.n_periods, period_min=self.env.engine.params.period_min,
                  meter_intervals=self.n_meters)  # fmt: skip
        if accepted:
            if self.gate is not None:  # joined mid-period: this gate is open for it too
                self._open_for(seat, self.gate)

    def _order(self, seat: str, msg: dict[str, Any]) -> None:
        ref, period = msg["id"], msg["period"]
        if seat not in self.registered:
            raise m.MessageError("type", "register before ordering", ref)
        if self.gate is None or period != self.gate:
            late = (self.gate is None and period <= self.period) or (
                self.gate is not None and period < self.gate)  # fmt: skip
            if late:
                self.ledger.log_message(seat, ref, period, "order", "late", "gate closed")
                raise m.MessageError("period", f"late: the gate of period {period} is closed", ref)
            raise m.MessageError("period", f"no open gate for period {period}; open: "
                                 f"{self.gate}", ref)  # fmt: skip
        width = int(self.env.action_space(seat).shape[0])
        action = m.check_action(msg["action"], width, ref)
        self.orders[seat] = (ref, action)
        self.left.discard(seat)
        self.stats["orders"] += 1
        self.ledger.log_message(seat, ref, period, "order", "accepted")
        self.send(seat, "accepted", ref=ref, period=period)

    def _read(self, seat: str, msg: dict[str, Any], sender: str) -> None:
        ref, period, interval = msg["id"], msg["period"], msg["interval"]
        if interval >= self.n_meters:
            raise m.MessageError("interval", f"allowed 0 .. {self.n_meters - 1}", ref)
        if self.meter_period is None or period != self.meter_period:
            self.ledger.log_message(sender, ref, period, "meter_read", "late",
                                    f"reads for period {period} are closed")  # fmt: skip
            return
        self.meters.add(seat)
        self.reads[(seat, interval)] = (float(msg["mwh"]), ref)
        self.stats["reads"] += 1
        self.ledger.log_message(sender, ref, period, "meter_read", "accepted")

    # -- the market ----------------------------------------------------------------
    def _open_for(self, seat: str, t: int) -> None:
        closes = None if self.config.lockstep else self.gate_closes_at
        self.send(seat, "gate_open", period=t, observation=self.obs[seat].tolist(),
                  episode_start=t == 0, gate_closes_at=closes)  # fmt: skip

    def run(self) -> None:
        """Resume or start the episode and play it to the end."""
        done = self.ledger.last_period()
        stored = self.ledger.assets()
        if stored is None and self.config.registration_window_s > 0 and done < 0:
            self.publish_status()
            self.pump(
                time.monotonic() + self.config.registration_window_s,
                lambda: len(self.assets) >= self.config.entrants,
            )  # every slot taken
            stored = [(u, s, r, a) for u, s, r, a in self.assets]
            self.ledger.write_assets(stored)
        self.state = "registering"
        if stored:
            self._add_assets(stored)
        self.obs, _ = self.env.reset(seed=self.config.seed)
        for t in range(done + 1):  # replay what the ledger holds
            acts = self.ledger.actions(t)
            self.obs, *_ = self.env.step({a: np.asarray(acts[a]) for a in self.seats})
        self.period = done + 1
        self.publish_status()
        deadline = time.monotonic() + self.config.register_timeout_s
        self.pump(deadline, lambda: len(self.registered) >= self.config.expect)
        self.state = "trading"
        self.publish_status()
        for t in range(done + 1, self.n_periods):
            if self.stop_event.is_set():
                return
            self.period = t
            self.play_period(t)
        self.state = "done"
        self.period = self.n_periods
        self.publish_status()

    def _all_ordered(self) -> bool:
        waiting = [s for s in self.registered if s not in self.left]
        return all(s in self.orders for s in waiting)

    def play_period(self, t: int) -> None:
        """One period: gate, orders, clearing, meters, ledger, statements."""
        cfg = self.config
        while not self.client.is_connected() and not self.stop_event.is_set():
            self.pump(time.monotonic() + 0.05)  # no broker, no gate: wait for it to be back
        wall = self.env.engine.params.period_min * 60.0 / cfg.speed
        self.gate_closes_at = None if cfg.lockstep else time.time() + wall
        self.orders = {}
        self.gate = t
        for seat in self.registered:
            self._open_for(seat, t)
        opened = time.monotonic()
        if cfg.lockstep:
            self.pump(opened + cfg.order_timeout_s, self._all_ordered)
        else:
            self.pump(opened + wall)
        self.gate = None
        if self.stop_event.is_set():  # stopped mid-period: nothing of it is written
            return
        if cfg.lockstep:  # a seat that missed the gate is not waited for until it is back
            self.left.update(s for s in self.registered if s not in self.orders)
        self.gate_latency_s.append(time.monotonic() - opened)
        actions, source = {}, {}
        for seat in self.seats:
            if seat in self.orders:
                actions[seat] = np.asarray(self.orders[seat][1])
                source[seat] = "agent"
            else:
                actions[seat], _ = self.house[seat].predict(self.obs[seat], None,
                                                            episode_start=t == 0)  # fmt: skip
                source[seat] = "default"
        self.obs, *_ = self.env.step(actions)
        reads = self._collect_reads(t)
        if self.stop_event.is_set():
            return
        self._write(t, actions, source, reads)

    def _collect_reads(self, t: int) -> ReadSettlement:
        out = self.env.last_outcome
        meter = out.meter_mwh[0]
        self.reads = {}
        self.meter_period = t
        self.meters = {s for s in self.meters if s in self.seats}  # no refused entrant's
        for seat in self.meters:
            i = self.seats.index(seat)
            body = m.encode("meter_truth", period=t, mwh=meter[i].tolist())
            self.client.publish(topics.meter_feed(self.user_of.get(seat, seat)), body, qos=1)
        expected = {(s, k) for s in self.meters for k in range(self.n_meters)}
        if expected:
            until = time.monotonic() + self.config.meter_timeout_s
            self.pump(until, lambda: expected <= set(self.reads))
        self.meter_period = None
        params = self.env.engine.params
        received = {(self.seats.index(s), k): v[0] for (s, k), v in self.reads.items()}
        return settle_from_reads(out, received, self.seats.index("broker_0"),
                                 int(params.imbalance_scheme), int(params.n_zones),
                                 self.config.meter_tolerance_mwh)  # fmt: skip

    def _write(self, t: int, actions: dict[str, Any], source: dict[str, str],
               settled: ReadSettlement) -> None:  # fmt: skip
        from elecbay_env.kernels.ledger_codes import NAMES as COMPONENTS
        from elecbay_env.ledger import Ledger

        env, orders = self.env, self.env.last_orders
        out = settled.outcome
        one = Ledger(self.seats, env.engine.params)
        one.record(np.array([t]), out)
        lines = one.statements()
        price = None if out.price[0] != out.price[0] else float(out.price[0])
        read_rows = []
        for i, s in enumerate(self.seats):
            for k in range(self.n_meters):
                got = self.reads.get((s, k))
                read_rows.append((t, s, k, float(settled.settled_mwh[i, k]),
                                  str(settled.source[i, k]), None if got is None else got[0],
                                  None if got is None else got[1]))  # fmt: skip
        rows: dict[str, list[tuple[Any, ...]]] = {
            "orders": [
                (t, s, self.orders[s][0] if s in self.orders else None, source[s],
                 json.dumps(np.asarray(actions[s], dtype=np.float64).tolist()),
                 json.dumps(orders.step_price[0, i].tolist()),
                 json.dumps(orders.step_qty[0, i].tolist()))
                for i, s in enumerate(self.seats)
            ],
            "trades": [(t, s, float(out.contract_mw[0, i]), price)
                       for i, s in enumerate(self.seats)],
            "meter_reads": read_rows,
            "statements": [(t, r["agent"], r["component"], r["mwh"], r["price"],
                            str(r["amount"])) for r in lines],
        }  # fmt: skip
        self.ledger.write_period(t, rows, (price, float(out.volume_mw[0]),
                                           float(out.imbalance_price[0])))  # fmt: skip
        for i, seat in enumerate(self.seats):
            if seat not in self.registered:
                continue
            flags = list(settled.source[i]) if seat in self.meters else []
            a_row, m_row = out.ledger_amount[0, i].tolist(), out.ledger_mwh[0, i].tolist()
            p_row = out.ledger_price[0, i].tolist()
            statement = {
                name: {"mwh": m_row[c], "price": None if p_row[c] != p_row[c] else p_row[c],
                       "amount": a_row[c]}
                for c, name in enumerate(COMPONENTS)
                if a_row[c] != 0.0 or m_row[c] != 0.0
            }  # fmt: skip
            self.send(seat, "statement", period=t, lines=statement,
                      reward=float(out.reward[0, i]), contract_mw=float(out.contract_mw[0, i]),
                      default_action=source[seat] == "default",
                      estimated_reads=flags.count("estimated"),
                      disputed_reads=flags.count("disputed"),
                      settled_on="reads" if settled.on_reads[i] else "check")  # fmt: skip
        body = m.encode("result", period=t, clearing_price=price, volume_mw=float(out.volume_mw[0]),
                        imbalance_price=float(out.imbalance_price[0]),
                        niv_mwh=float(out.niv_mwh[0]))  # fmt: skip
        self.client.publish(topics.RESULT, body, qos=1)

    def close(self) -> None:
        """Disconnect and close the ledger."""
        self.client.loop_stop()
        self.client.disconnect()
        self.ledger.close()
