"""A live class: the market, who sits where, the period clock, limits and the record.

:class:`Session` is plain Python (no I/O): the web server (:mod:`elecbay_classroom.server`)
calls it from one event loop, and tests and the load benchmark call it directly. Students
join with the join code and get a secret token that is their only handle on their seat:
every order names no seat, the token does. Every event (join, bots, period start, pause
and end, trade) is appended to :attr:`Session.log`, which the replay reads; the market keeps
every accepted order and trade for the CSV export. The teacher's options are in
:mod:`elecbay_classroom.config`.
"""

from __future__ import annotations

import csv
import io
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from elecbay_classroom.bots import Bot
from elecbay_classroom.config import (
    BURST,
    EXPERIMENTS,
    NAME_MAX,
    RATE,
    Bucket,
    SessionConfig,
    SessionError,
    make_schedule,
    parse_bots,
    withholding_seat,
)
from elecbay_classroom.market import ClassMarket, OrderError
from elecbay_classroom.schedules import Schedule, curves


@dataclass
class Student:
    """A joined student: the name shown, the seat, the secret token, the rate limit."""

    name: str
    seat: int
    token: str
    bucket: Bucket = field(default_factory=lambda: Bucket(RATE, BURST, BURST))


class Session:
    """One live class (see the module docstring).

    Args:
        config: the teacher's choices.
        clock: seconds, monotonic (tests pass a fake one).
        schedule: other cards than the experiment's (a continuous double auction; the
            load benchmark's many-seat market).
    """

    def __init__(self, config: SessionConfig, clock: Callable[[], float] = time.monotonic,
                 schedule: Schedule | None = None) -> None:  # fmt: skip
        self.config = config
        self.clock = clock
        self.schedule, mechanism = make_schedule(config.experiment)
        if schedule is not None:
            self.schedule, mechanism = schedule, "cda"
        self.market = ClassMarket(self.schedule, mechanism, config.allow_loss)
        self.rng = np.random.default_rng(config.seed)
        self.join_code = f"{secrets.randbelow(10**6):06d}"
        self.teacher_key = secrets.token_urlsafe(16)
        self.students: dict[str, Student] = {}  # token -> student
        self.bots: dict[int, Bot] = {}  # seat -> bot
        self.status = "waiting"  # waiting | open | paused | closed | finished
        self.show_names = False
        self.elapsed = 0.0  # seconds the current period has been open
        self._opened_at = 0.0
        self.log: list[dict[str, Any]] = []
        self.started = clock()
        for kind, n in parse_bots(config.bots):
            self.add_bots(kind, n)
        if config.experiment == "withholding":
            seat, bot = withholding_seat(self.schedule)
            self.bots[seat] = bot

    # -------------------------------------------------------------------- seats
    def free_seats(self) -> list[int]:
        taken = {s.seat for s in self.students.values()} | set(self.bots)
        return [i for i in range(len(self.market.seats)) if i not in taken]

    def _next_seat(self) -> int | None:
        """A free seat on the side with fewer students (buyers first), so that a small
        class has both sides; None when every seat is taken."""
        free = self.free_seats()
        seated = [self.market.seats[st.seat].card.role for st in self.students.values()]
        want = "buyer" if seated.count("buyer") <= seated.count("seller") else "seller"
        same = [i for i in free if self.market.seats[i].card.role == want]
        return (same or free or [None])[0]

    def join(self, code: Any, name: Any) -> Student:
        """A student joins with the join code; returns the student and its secret token."""
        if not isinstance(code, str) or not secrets.compare_digest(code.strip(), self.join_code):
            raise SessionError("code", "wrong join code: ask your teacher for the 6 digits")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= NAME_MAX:
            raise SessionError("name", f"a name of 1..{NAME_MAX} characters, please")
        name = "".join(ch for ch in name.strip() if ch.isprintable())
        seat = self._next_seat()
        if seat is None:  # a bot gives up its seat to a student
            if not self.bots:
                raise SessionError("code", "the market is full: every seat is taken")
            seat = min(self.bots)
            del self.bots[seat]
        st = Student(name, seat, secrets.token_urlsafe(16))
        self.students[st.token] = st
        self._event("join", seat=st.seat, name=name)
        return st

    def student(self, token: Any) -> Student:
        """The student holding ``token`` (:class:`SessionError` for any other)."""
        st = self.students.get(token) if isinstance(token, str) else None
        if st is None:
            raise SessionError("token", "unknown session token: join again with the code")
        return st

    def add_bots(self, kind: str, n: int | None = None, **params: float) -> list[int]:
        """Bots of ``kind`` on ``n`` free seats (every free seat if None)."""
        bot = Bot(kind, **params)
        seats = self.free_seats()
        seats = seats if n is None else seats[:n]
        for i in seats:
            self.bots[i] = Bot(bot.kind, bot.markup, bot.withhold)
        if seats:
            self._event("bots", bot=kind, seats=seats)
        return seats

    def remove_bots(self, seats: list[int] | None = None) -> list[int]:
        """Remove the bots of ``seats`` (every bot if None)."""
        gone = sorted(self.bots if seats is None else [s for s in seats if s in self.bots])
        for i in gone:
            del self.bots[i]
        if gone:
            self._event("bots_removed", seats=gone)
        return gone

    # ------------------------------------------------------------------ periods
    def now(self) -> float:
        return self.clock() - self.started

    def time_left(self) -> float:
        run = self.elapsed + (self.clock() - self._opened_at if self.status == "open" else 0.0)
        return max(0.0, self.config.period_seconds - run)

    def start(self) -> None:
        """Open the next period, or resume a paused one."""
        if self.status == "paused":
            self.status, self._opened_at = "open", self.clock()
            self._event("resume")
            return
        if self.status == "open":
            raise SessionError("action", "a period is already open")
        if self.status == "finished":
            raise SessionError("action", f"all {self.config.periods} periods are over")
        self.market.open_period()
        self.status, self.elapsed, self._opened_at = "open", 0.0, self.clock()
        self._event("period_start", period=self.market.period)
        if self.market.mechanism == "call":
            for i in sorted(self.bots):
                self.bots[i].act(self.market, i, self.rng, self.now())

    def pause(self) -> None:
        if self.status != "open":
            raise SessionError("action", "no open period to pause")
        self.elapsed += self.clock() - self._opened_at
        self.status = "paused"
        self._event("pause")

    def end(self) -> list[dict[str, Any]]:
        """End the open (or paused) period; a call auction clears. Returns its trades."""
        if self.status not in ("open", "paused"):
            raise SessionError("action", "no open period to end")
        trades = self.market.close_period(self.now())
        for t in trades:
            self._event("trade", **t)
        p = self.market.period
        self.status = "finished" if p >= self.config.periods else "closed"
        self._event("period_end", period=p, efficiency=self.market.efficiency(p),
                    alpha=self.market.alpha(p))  # fmt: skip
        return trades

    def tick(self) -> list[dict[str, Any]]:
        """Called often by the server: ends a period whose time is up. Returns trades."""
        if self.status == "open" and self.time_left() <= 0.0:
            return self.end()
        return []

    def bot_step(self) -> list[dict[str, Any]]:
        """One CDA bot order, from a bot picked uniformly among those with units left."""
        if self.status != "open" or self.market.mechanism != "cda":
            return []
        m = self.market
        active = [i for i in sorted(self.bots) if self.bots[i].can_act(m, i)]
        if not active:
            return []
        i = active[int(self.rng.random() * len(active))]
        trades = self.bots[i].act(m, i, self.rng, self.now())
        for t in trades:
            self._event("trade", **t)
        return trades

    # ------------------------------------------------------------------- orders
    def order(self, token: Any, msg: dict[str, Any]) -> list[dict[str, Any]]:
        """A student's order message ``{"side", "price", "unit"?}``; returns its trades.

        Raises :class:`SessionError` or :class:`~elecbay_classroom.market.OrderError`
        naming the field; nothing changes then.
        """
        st = self.student(token)
        for key in ("seat", "token", "name"):
            if key in msg and msg[key] not in (st.seat, st.token, st.name):
                raise SessionError(key, "you can only trade for your own seat")
        if not st.bucket.take(self.clock()):
            raise SessionError("rate", f"too many orders: at most {RATE:g} per second")
        if self.status != "open":
            raise SessionError("period", f"the market is {self.status}: wait for the teacher")
        trades = self.market.submit(st.seat, msg.get("side"), msg.get("price"),
                                    msg.get("unit"), self.now(), source="student")  # fmt: skip
        for t in trades:
            self._event("trade", **t)
        return trades

    def cancel(self, token: Any) -> bool:
        """Withdraw the student's resting order(s); rate-limited like orders."""
        st = self.student(token)
        if not st.bucket.take(self.clock()):
            raise SessionError("rate", f"too many orders: at most {RATE:g} per second")
        return self.market.cancel(st.seat)

    # ------------------------------------------------------------------- views
    def _event(self, kind: str, **data: Any) -> None:
        self.log.append({"kind": kind, "t": round(self.now(), 4), **data})

    def seat_name(self, seat: int, reveal: bool | None = None) -> str:
        reveal = self.show_names if reveal is None else reveal
        for st in self.students.values():
            if st.seat == seat:
                return st.name if reveal else f"student {seat + 1}"
        if seat in self.bots:
            return f"bot {seat + 1} ({self.bots[seat].kind})"
        return f"seat {seat + 1} (empty)"

    def public(self) -> dict[str, Any]:
        """What every student may see: the period, the best quotes, the trades' prices."""
        m = self.market
        bb, ba = (m.cda.best_bid(), m.cda.best_ask()) if m.mechanism == "cda" else (math.nan,) * 2
        return {
            "experiment": self.config.experiment, "title": self.schedule.title,
            "mechanism": m.mechanism, "status": self.status, "period": m.period,
            "periods": self.config.periods, "time_left": round(self.time_left(), 1),
            "best_bid": None if math.isnan(bb) else bb, "best_ask": None if math.isnan(ba) else ba,
            "trades": [{"period": t["period"], "price": t["price"], "qty": t["qty"]}
                       for t in m.trades if t["period"] == m.period],
            "unit": self.schedule.unit, "price_range": list(self.schedule.price_range),
        }  # fmt: skip

    def private(self, token: Any) -> dict[str, Any]:
        """A student's own card, units left and profit (never anyone else's)."""
        st = self.student(token)
        s = self.market.seats[st.seat]
        return {
            "name": st.name, "seat": st.seat, "role": s.card.role, "side": s.card.side,
            "limits": list(s.card.limits), "unit_qty": s.card.unit_qty, "label": s.card.label,
            "traded": s.traded, "units_left": s.units_left(), "profit": round(s.profit, 4),
            "period_profit": round(s.period_profit, 4),
            "my_trades": [t for t in self.market.seat_trades.get(st.seat, [])
                          if t["period"] == self.market.period],  # this period's
        }  # fmt: skip

    def teacher(self) -> dict[str, Any]:
        """Everything for the teacher's page."""
        m = self.market
        eq = m.eq
        periods = sorted(m.period_surplus)
        seats = [{"seat": i, "name": self.seat_name(i), "role": s.card.role,
                  "label": s.card.label, "limits": list(s.card.limits),
                  "bot": self.bots[i].kind if i in self.bots else None,
                  "student": any(st.seat == i for st in self.students.values()),
                  "profit": round(s.profit, 4), "traded": s.traded}
                 for i, s in enumerate(m.seats)]  # fmt: skip
        return {
            **self.public(), "join_code": self.join_code, "source": self.schedule.source,
            "show_names": self.show_names, "curves": curves(self.schedule.cards),
            "equilibrium": {"quantity": eq.quantity, "price": eq.price, "price_lo": eq.price_lo,
                            "price_hi": eq.price_hi, "max_surplus": eq.max_surplus},
            "efficiency": m.efficiency(), "all_trades": m.trades,
            "per_period": [{"period": p, "efficiency": m.efficiency(p), "alpha": _num(m.alpha(p)),
                            "trades": sum(1 for t in m.trades if t["period"] == p)}
                           for p in periods],
            "seats": seats, "students": len(self.students), "bots": len(self.bots),
        }  # fmt: skip

    def csv(self) -> str:
        """Every order and trade of the session, one row each, as CSV text."""
        buf = io.StringIO()
        cols = ["kind", "period", "t", "seat", "name", "side", "price", "unit", "qty",
                "buyer", "seller", "source"]  # fmt: skip
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
        w.writeheader()
        rows = [{"kind": "order", **o} for o in self.market.orders]
        rows += [{"kind": "trade", **t} for t in self.market.trades]
        rows.sort(key=lambda r: (r["period"], r["t"]))
        for r in rows:
            if "seat" in r:
                r["name"] = self.seat_name(r["seat"])
            w.writerow(r)
        return buf.getvalue()

    def replay(self) -> dict[str, Any]:
        """The session's event log with the equilibrium, for the replay view."""
        return {"equilibrium": self.teacher()["equilibrium"], "log": self.log,
                "curves": curves(self.schedule.cards)}  # fmt: skip


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


__all__ = ["BURST", "EXPERIMENTS", "RATE", "OrderError", "Session", "SessionConfig",
           "SessionError", "make_schedule", "parse_bots"]  # fmt: skip
