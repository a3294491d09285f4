"""The ``electricity`` experiment's market: each class period is one settlement period of
the PettingZoo environment (:func:`elecbay_env.envs.parallel.parallel_env`).

:class:`GridMarket` seats students on the scenario's generators (producers) and loads
(consumers, i.e. retailers); storage and the reserve broker are always played by
policies. A student submits a curve of at most ``B`` steps (the scenario's
``market.bid_steps``), each ``[price, mw]``: price in currency per MWh within the codec's
price range, MW >= 0 (a producer sells it, a consumer buys it), at most the step's range.
At the gate :meth:`GridMarket.clear` builds every agent's action (the student's curve, the
seat's bot, or, for a student who sent nothing, the baseline policy: flagged
``"default"``), steps the environment once, and returns each seat's statement.

Efficiency of a period: the period's welfare (the sum of every agent's raw reward,
currency) over the welfare of the same period replayed from the same state and random
draws (a deep copy of the environment) with every trader on ``merit_order`` and the broker
on its baseline. It can exceed 1 (merit order is truthful, not an optimum under forecast
errors and imbalance).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCENARIOS = ("small", "default")
"""Scenarios the teacher may choose for the electricity experiment."""
BOT_SPECS = {"merit": "merit_order", "zi-c": "zi_c", "zi-u": "zi_u", "markup": "markup"}
"""Classroom bot kinds -> the env's policy names (:mod:`elecbay_agents.registry`)."""


class GridOrderError(ValueError):
    """A refused curve; ``field`` names the field (the market is unchanged)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class GridCard:
    """What a seat is: ``role`` ``"seller"`` (producer) or ``"buyer"`` (consumer)."""

    role: str
    side: str  # "ask" | "bid"
    label: str  # the scenario's asset name
    limits: tuple[float, ...] = ()
    unit_qty: float = 0.0


@dataclass
class GridSeat:
    """One student-eligible agent, its limits and its running profit (currency)."""

    agent: str
    card: GridCard
    kind: str  # asset kind: thermal, wind, solar, consumer
    price_lo: float  # currency per MWh
    price_hi: float
    step_mw: float  # largest MW of one step
    cost_or_value: float  # marginal cost or value of energy, currency per MWh
    profit: float = 0.0
    period_profit: float = 0.0
    statements: list[dict[str, Any]] = field(default_factory=list)

    # the base session reads these (CDA / call-auction seats have them)
    @property
    def traded(self) -> float:
        return sum(abs(s["energy_mwh"]) for s in self.statements)

    def units_left(self) -> int:
        return 0


class GridMarket:
    """The environment, its seats, the pending student curves and the period record.

    Args:
        scenario: ``"small"`` or ``"default"``.
        seed: the env's reset seed and every policy's seed.
    """

    def __init__(self, scenario: str = "small", seed: int = 0) -> None:
        from elecbay_agents.policy_info import asset_kind

        from elecbay_env import load_scenario
        from elecbay_env.envs.parallel import parallel_env
        from elecbay_env.kernels import kinds

        if scenario not in SCENARIOS:
            raise GridOrderError("scenario", f"{scenario!r}: allowed values are {SCENARIOS}")
        self.scenario, self.seed = scenario, seed
        self.env = parallel_env(scenario, info_statement=True)
        self.obs, _ = self.env.reset(seed=seed)
        self.bid_steps = int(self.env.codec.bid_steps)
        sc = load_scenario(scenario)
        b = self.bid_steps
        self.seats: list[GridSeat] = []
        for agent in self.env.possible_agents:
            c = self.env.codec_for(agent)
            if c.role == "broker":
                continue
            kind = kinds.NAMES[asset_kind(self.env, agent)]
            if kind == "storage":
                continue
            row = int(agent.rpartition("_")[2])
            if c.role == "producer":
                p = sc.producers[row]
                cost = float(getattr(p, "marginal_cost_per_mwh", 0.0) or 0.0)
                card = GridCard("seller", "ask", p.name, (cost,), float(c.hi[b]))
                step = float(c.hi[b])
            else:
                p = sc.consumers[row]
                cost = float(p.value_per_mwh)
                card = GridCard("buyer", "bid", p.name, (cost,), float(-c.lo[b]))
                step = float(-c.lo[b])
            self.seats.append(GridSeat(agent, card, kind, float(c.lo[0]), float(c.hi[0]),
                                       step, cost))  # fmt: skip
        self.pending: dict[int, list[list[float]]] = {}  # seat -> the student's curve
        self.period = 0
        self.records: list[dict[str, Any]] = []  # one per cleared period
        self.pstate: dict[str, Any] = {}

    def warm_up(self, policies: dict[str, Any]) -> None:
        """Step a throw-away copy of the env once with ``policies`` (no state kept), so
        Numba compiles (or loads from its cache) the kernels before the class starts."""
        shadow = copy.deepcopy(self.env)
        shadow.step({a: p.predict(self.obs[a])[0] for a, p in policies.items()})

    @property
    def n_periods(self) -> int:
        return int(self.env.num_periods)

    # ----------------------------------------------------------------- curves
    def check_curve(self, seat: int, steps: Any) -> list[list[float]]:
        """The student's ``[[price, mw], ...]`` as floats, or :class:`GridOrderError`."""
        s = self.seats[seat]
        b = self.bid_steps
        if not isinstance(steps, list) or not 1 <= len(steps) <= b:
            raise GridOrderError("steps", f"a list of 1..{b} steps [price, MW], please")
        out = []
        for k, st in enumerate(steps):
            if not (isinstance(st, list | tuple) and len(st) == 2):
                raise GridOrderError(f"steps[{k}]", "expected [price, MW]")
            try:
                price, mw = float(st[0]), float(st[1])
            except (TypeError, ValueError):
                raise GridOrderError(f"steps[{k}]", "price and MW must be numbers") from None
            if isinstance(st[0], bool) or isinstance(st[1], bool):
                raise GridOrderError(f"steps[{k}]", "price and MW must be numbers")
            if not (math.isfinite(price) and s.price_lo <= price <= s.price_hi):
                raise GridOrderError(f"steps[{k}].price", f"{price:g}: allowed range is "
                                     f"{s.price_lo:g}..{s.price_hi:g} per MWh")  # fmt: skip
            if not (math.isfinite(mw) and 0.0 <= mw <= s.step_mw):
                raise GridOrderError(f"steps[{k}].mw", f"{mw:g}: allowed range is "
                                     f"0..{s.step_mw:g} MW")  # fmt: skip
            out.append([price, mw])
        return out

    def submit(self, seat: int, steps: Any) -> list[list[float]]:
        """Store (replace) the seat's curve for the open period; nothing changes on error."""
        self.pending[seat] = self.check_curve(seat, steps)
        return self.pending[seat]

    def action_of(self, seat: int, steps: list[list[float]]) -> np.ndarray:
        """The env action ``(A,)`` of a curve: its steps (MW signed: + sell, - buy), unused
        steps empty, no reserve offered."""
        from elecbay_env.envs.codecs import TraderBids

        s = self.seats[seat]
        b = self.bid_steps
        price = np.full(b, steps[0][0])
        qty = np.zeros(b)
        sign = 1.0 if s.card.role == "seller" else -1.0
        for k, (p, q) in enumerate(steps):
            price[k], qty[k] = p, sign * q
        z = np.zeros(2)
        bids = TraderBids(price, qty, z, z, np.full(2, s.price_lo))
        return self.env.codec_for(s.agent).encode(bids)

    # ----------------------------------------------------------------- clearing
    def _policy_action(self, policy: Any, agent: str, key: str) -> np.ndarray:
        act, self.pstate[key] = policy.predict(self.obs[agent], state=self.pstate.get(key))
        return np.asarray(act, dtype=np.float64)

    def clear(self, students: set[int], specs: dict[str, str],
              policies: dict[str, Any], merit: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        """Step the env once. ``students``: seats a student holds; ``specs``/``policies``:
        each agent's bot spec and policy (students' seats included: their default);
        ``merit``: each agent's merit-order policy for the efficiency replay. Returns the
        period's record (also appended to :attr:`records`)."""
        seat_of = {s.agent: i for i, s in enumerate(self.seats)}
        actions: dict[str, np.ndarray] = {}
        sources: dict[str, str] = {}
        for agent in self.env.possible_agents:
            i = seat_of.get(agent)
            if i is not None and i in self.pending and i in students:
                actions[agent], sources[agent] = self.action_of(i, self.pending[i]), "student"
            else:
                actions[agent] = self._policy_action(policies[agent], agent, agent)
                sources[agent] = "default" if i in students else specs[agent]
        merit_actions = {a: self._policy_action(merit[a], a, "merit:" + a) for a in actions}
        shadow = copy.deepcopy(self.env)
        _, merit_r, *_ = shadow.step(merit_actions)
        del shadow
        book = self.book(actions)
        obs, rewards, _, _, infos = self.env.step(actions)
        self.obs = obs
        welfare, merit_welfare = float(sum(rewards.values())), float(sum(merit_r.values()))
        rec: dict[str, Any] = {
            "period": self.period, "env_period": int(infos[self.env.possible_agents[0]]["period"]),
            "price": float(infos[self.env.possible_agents[0]]["clearing_price"]),
            "imbalance_price": float(infos[self.env.possible_agents[0]]["imbalance_price"]),
            "welfare": welfare, "merit_welfare": merit_welfare,
            "efficiency": welfare / merit_welfare if merit_welfare > 0 else None,
            "book": book, "actions": {a: v.tolist() for a, v in actions.items()},
            "sources": sources, "statements": {},
        }  # fmt: skip
        for i, s in enumerate(self.seats):
            info = infos[s.agent]
            st = {
                "period": self.period,
                "source": sources[s.agent],
                "energy_mwh": float(info["statement"].get("forward_energy", {}).get("mwh", 0.0)),
                "contract_mw": float(info["contract_mw"]),
                "imbalance_mwh": float(info["imbalance_mwh"]),
                "costs": float(
                    info["amount_production_cost"]
                    + info["amount_startup_cost"]
                    + info["amount_imbalance"]
                ),
                "profit": float(rewards[s.agent]),
                "lines": info["statement"],
                "curve": self.pending.get(i) if sources[s.agent] == "student" else None,
            }
            s.statements.append(st)
            s.profit += st["profit"]
            s.period_profit = st["profit"]
            rec["statements"][i] = st
        self.pending.clear()
        self.records.append(rec)
        return rec

    def book(self, actions: dict[str, np.ndarray]) -> dict[str, list[list[float]]]:
        """Supply and demand curves of the period's forward book: ``[[MW cum, price], ...]``
        (supply ascending, demand descending), and the merit order ``[[price, MW], ...]``."""
        asks: list[tuple[float, float]] = []
        bids: list[tuple[float, float]] = []
        for agent, act in actions.items():
            c = self.env.codec_for(agent)
            if c.role == "broker":
                continue
            d = c.decode(act)
            for p, q in zip(d.step_price.tolist(), d.step_qty.tolist(), strict=True):
                if q > 1e-9:
                    asks.append((p, q))
                elif q < -1e-9:
                    bids.append((p, -q))
        asks.sort()
        bids.sort(key=lambda x: -x[0])

        def cum(steps: list[tuple[float, float]]) -> list[list[float]]:
            out, total = [], 0.0
            for p, q in steps:
                out += [[total, p], [total + q, p]]
                total += q
            return out

        return {"supply": cum(asks), "demand": cum(bids),
                "merit_order": [[p, q] for p, q in asks]}  # fmt: skip


__all__ = ["BOT_SPECS", "SCENARIOS", "GridCard", "GridMarket", "GridOrderError", "GridSeat"]
