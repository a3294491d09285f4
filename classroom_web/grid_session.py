"""A live class of the ``electricity`` experiment: :class:`GridSession`.

The same join code, tokens, rate limits, clock and teacher controls as
:class:`~elecbay_classroom.session.Session`; the market is a
:class:`~elecbay_classroom.grid.GridMarket` (the PettingZoo environment). A student sends
``{"type": "order", "steps": [[price, mw], ...]}`` (replacing its earlier curve of the
period) or ``{"type": "cancel"}``; the period clears when it ends (the gate). Seats no
student holds are played by bots (``merit`` by default); a student who sent nothing gets
the baseline policy's action, flagged ``"default"`` in its statement.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from elecbay_classroom.bots import Bot
from elecbay_classroom.config import RATE, SessionConfig, SessionError, parse_bots
from elecbay_classroom.grid import BOT_SPECS, GridMarket, GridOrderError
from elecbay_classroom.schedules import Schedule
from elecbay_classroom.session import Session


class GridSession(Session):
    """One live class on the environment (see the module docstring)."""

    def __init__(self, config: SessionConfig, clock: Callable[[], float] = time.monotonic) -> None:
        from elecbay_agents.base import BASELINE_SPEC
        from elecbay_agents.registry import make_policy

        self._make_policy = make_policy
        self.config = config
        self.clock = clock
        self.market = GridMarket(config.scenario, config.seed)  # type: ignore[assignment]
        m = self.market
        if config.periods > m.n_periods:
            text = f"{config.periods}: allowed range is 1..{m.n_periods} for {config.scenario!r}"
            raise SessionError("periods", text)
        self.schedule = Schedule("electricity", f"Electricity market ({config.scenario} "
                                 "scenario)", "elecbay_env parallel_env, one settlement period "
                                 "per class period", (), (m.seats[0].price_lo,
                                 m.seats[0].price_hi), "MWh")  # fmt: skip
        self.rng = np.random.default_rng(config.seed)
        self.join_code = f"{secrets.randbelow(10**6):06d}"
        self.teacher_key = secrets.token_urlsafe(16)
        self.students = {}
        self.bots: dict[int, Bot] = {}
        self.status = "waiting"
        self.show_names = False
        self.elapsed = 0.0
        self._opened_at = 0.0
        self.log: list[dict[str, Any]] = []
        self.started = clock()
        env = m.env
        self.baseline = {a: BASELINE_SPEC[env.codec_for(a).role] for a in env.possible_agents}
        self.specs = dict(self.baseline)
        self.policies = {a: make_policy(s, env, a, seed=config.seed)
                         for a, s in self.specs.items()}  # fmt: skip
        merit = {a: "merit_order" if env.codec_for(a).role != "broker" else s
                 for a, s in self.baseline.items()}  # fmt: skip
        self.merit = {a: make_policy(s, env, a, seed=config.seed) for a, s in merit.items()}
        for kind, n in parse_bots(config.bots):
            self.add_bots(kind, n)
        m.warm_up(self.merit)

    # -------------------------------------------------------------------- seats
    def _spec(self, bot: Bot) -> str:
        spec = BOT_SPECS[bot.kind]
        return f"{spec}:{bot.markup:g},{bot.withhold:g}" if bot.kind == "markup" else spec

    def _set_policy(self, seat: int, spec: str) -> None:
        agent = self.market.seats[seat].agent
        self.specs[agent] = spec
        env = self.market.env
        self.policies[agent] = self._make_policy(spec, env, agent, seed=self.config.seed)

    def add_bots(self, kind: str, n: int | None = None, **params: float) -> list[int]:
        """Bots of ``kind`` (``merit``, ``markup``, ``zi-c``, ``zi-u``) on ``n`` free seats."""
        seats = super().add_bots(kind, n, **params)
        for i in seats:
            self._set_policy(i, self._spec(self.bots[i]))
        return seats

    def remove_bots(self, seats: list[int] | None = None) -> list[int]:
        """Remove bots: their seats go back to the baseline policy until a student joins."""
        gone = super().remove_bots(seats)
        for i in gone:
            self._set_policy(i, self.baseline[self.market.seats[i].agent])
        return gone

    def _next_seat(self) -> int | None:
        """A seat no student holds (a bot's included: it gives way), on the side with
        fewer students (retailers first), so that a class has generators and retailers."""
        held = {st.seat for st in self.students.values()}
        free = [i for i in range(len(self.market.seats)) if i not in held]
        seated = [self.market.seats[i].card.role for i in held]
        want = "buyer" if seated.count("buyer") <= seated.count("seller") else "seller"
        same = [i for i in free if self.market.seats[i].card.role == want]
        return (same or free or [None])[0]

    def join(self, code: Any, name: Any) -> Any:
        """A student takes a seat (from a bot if need be) with the join code."""
        st = super().join(code, name)
        self.bots.pop(st.seat, None)
        self._set_policy(st.seat, self.baseline[self.market.seats[st.seat].agent])
        return st

    # ------------------------------------------------------------------ periods
    def start(self) -> None:
        """Open the next period (its gate closes when it ends), or resume a paused one."""
        if self.status == "paused":
            super().start()
            return
        if self.status == "open":
            raise SessionError("action", "a period is already open")
        if self.status == "finished":
            raise SessionError("action", f"all {self.config.periods} periods are over")
        self.market.period += 1
        self.market.pending.clear()
        self.status, self.elapsed, self._opened_at = "open", 0.0, self.clock()
        self._event("period_start", period=self.market.period)

    def end(self) -> list[dict[str, Any]]:
        """Close the gate: the period clears through ``env.step``. Returns ``[]`` (no
        bilateral trades; the period's record is in :attr:`GridMarket.records`)."""
        if self.status not in ("open", "paused"):
            raise SessionError("action", "no open period to end")
        m = self.market
        students = {st.seat for st in self.students.values()}
        rec = m.clear(students, self.specs, self.policies, self.merit)
        p = m.period
        self.status = "finished" if p >= self.config.periods else "closed"
        flagged = sorted(i for i, s in rec["statements"].items() if s["source"] == "default")
        self._event("period_end", period=p, price=rec["price"], efficiency=rec["efficiency"],
                    defaults=flagged)  # fmt: skip
        return []

    def bot_step(self) -> list[dict[str, Any]]:
        return []  # bots act at the gate

    # ------------------------------------------------------------------- orders
    def order(self, token: Any, msg: dict[str, Any]) -> list[dict[str, Any]]:
        """A student's curve ``{"steps": [[price, mw], ...]}`` for the open period."""
        st = self.student(token)
        for key in ("seat", "token", "name"):
            if key in msg and msg[key] not in (st.seat, st.token, st.name):
                raise SessionError(key, "you can only trade for your own seat")
        if not st.bucket.take(self.clock()):
            raise SessionError("rate", f"too many orders: at most {RATE:g} per second")
        if self.status != "open":
            raise SessionError("period", f"the market is {self.status}: wait for the teacher")
        try:
            steps = self.market.submit(st.seat, msg.get("steps"))
        except GridOrderError as exc:
            raise SessionError(exc.field, exc.message) from None
        self._event("curve", seat=st.seat, period=self.market.period, steps=steps)
        return []

    def cancel(self, token: Any) -> bool:
        """Withdraw the student's curve (the default action then applies, flagged)."""
        st = self.student(token)
        if not st.bucket.take(self.clock()):
            raise SessionError("rate", f"too many orders: at most {RATE:g} per second")
        return self.market.pending.pop(st.seat, None) is not None

    # ------------------------------------------------------------------- views
    def _last(self) -> dict[str, Any] | None:
        return self.market.records[-1] if self.market.records else None

    def public(self) -> dict[str, Any]:
        """The period, the last clearing price and the last period's merit order."""
        last = self._last()
        return {
            "experiment": "electricity", "title": self.schedule.title, "mechanism": "grid",
            "status": self.status, "period": self.market.period,
            "periods": self.config.periods, "time_left": round(self.time_left(), 1),
            "best_bid": None, "best_ask": None, "trades": [],
            "unit": "MWh", "price_range": list(self.schedule.price_range),
            "steps": self.market.bid_steps,
            "last_price": None if last is None else last["price"],
            "merit_order": [] if last is None else last["book"]["merit_order"],
            "prices": [r["price"] for r in self.market.records],
        }  # fmt: skip

    def private(self, token: Any) -> dict[str, Any]:
        """The student's seat, limits, pending curve and statements (never another's)."""
        st = self.student(token)
        s = self.market.seats[st.seat]
        return {
            "name": st.name, "seat": st.seat, "role": s.card.role, "side": s.card.side,
            "limits": list(s.card.limits), "unit_qty": s.step_mw, "label": s.card.label,
            "kind": s.kind, "price_lo": s.price_lo, "price_hi": s.price_hi,
            "max_steps": self.market.bid_steps, "traded": s.traded, "units_left": 0,
            "profit": round(s.profit, 4), "period_profit": round(s.period_profit, 4),
            "pending": self.market.pending.get(st.seat), "my_trades": [],
            "statement": s.statements[-1] if s.statements else None,
        }  # fmt: skip

    def teacher(self) -> dict[str, Any]:
        """Price per period, the last book's curves, profits and efficiency."""
        m = self.market
        recs = m.records
        seats = [{"seat": i, "name": self.seat_name(i), "role": s.card.role,
                  "label": s.card.label, "limits": list(s.card.limits),
                  "bot": self.bots[i].kind if i in self.bots else None,
                  "student": any(st.seat == i for st in self.students.values()),
                  "submitted": i in m.pending,
                  "profit": round(s.profit, 4), "traded": s.traded}
                 for i, s in enumerate(m.seats)]  # fmt: skip
        welfare = sum(r["welfare"] for r in recs)
        merit = sum(r["merit_welfare"] for r in recs)
        last = self._last()
        return {
            **self.public(), "join_code": self.join_code, "source": self.schedule.source,
            "show_names": self.show_names,
            "curves": {"supply": [], "demand": []} if last is None else
                      {"supply": last["book"]["supply"], "demand": last["book"]["demand"]},
            "equilibrium": {"quantity": None, "price": None, "price_lo": None,
                            "price_hi": None, "max_surplus": merit},
            "efficiency": welfare / merit if merit > 0 else None, "all_trades": [],
            "per_period": [{"period": r["period"], "price": r["price"],
                            "efficiency": r["efficiency"], "welfare": r["welfare"],
                            "merit_welfare": r["merit_welfare"], "alpha": None, "trades": 0,
                            "defaults": sorted(i for i, s in r["statements"].items()
                                               if s["source"] == "default")}
                           for r in recs],
            "seats": seats, "students": len(self.students), "bots": len(self.bots),
        }  # fmt: skip

    def csv(self) -> str:
        """One row per seat and period: source, curve, energy, imbalance, costs, profit."""
        buf = io.StringIO()
        cols = ["period", "seat", "name", "agent", "source", "price", "energy_mwh",
                "imbalance_mwh", "costs", "profit", "curve"]  # fmt: skip
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        for r in self.market.records:
            for i, st in r["statements"].items():
                w.writerow({**st, "seat": i, "name": self.seat_name(i), "price": r["price"],
                            "agent": self.market.seats[i].agent,
                            "curve": json.dumps(st["curve"])})  # fmt: skip
        return buf.getvalue()

    def replay(self) -> dict[str, Any]:
        """The event log and every period's record (actions, book, statements)."""
        return {"equilibrium": self.teacher()["equilibrium"], "log": self.log,
                "records": self.market.records, "curves": {"supply": [], "demand": []}}  # fmt: skip


def open_session(config: SessionConfig, clock: Callable[[], float] = time.monotonic) -> Session:
    """The session of ``config.experiment``: a :class:`GridSession` for ``electricity``,
    else a :class:`~elecbay_classroom.session.Session`."""
    if config.experiment == "electricity":
        return GridSession(config, clock)
    return Session(config, clock)


__all__ = ["GridSession", "open_session"]
