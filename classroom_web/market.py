"""One classroom market: seats with role cards, the order book of the open period, trades.

:class:`ClassMarket` owns the rules every order meets, whoever sends it (a student's
browser, a bot, a test):

* ``"cda"``: a continuous double auction (:class:`elecbay_env.cda.ContinuousDoubleAuction`):
  each order is for one unit, the seat's next untraded one; a new order replaces the
  seat's resting one (Gode and Sunder's rule); a crossing order trades at once at the
  resting order's price.
* ``"call"``: a call auction: each seat holds at most one order per unit (a new one for
  the same unit replaces it); at the end of the period the book clears at one uniform
  price (:func:`elecbay_env.clear`, k = 0.5), filling each seat's units in order.

Without ``allow_loss`` a buyer may not bid above the unit's value nor a seller ask below
its cost. Every rejected order raises :class:`OrderError` naming the field and the allowed
range; the market is then unchanged. Units: prices in currency per unit (per MWh in the
electricity experiments), quantities in units of the card (MW for one period).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from elecbay_classroom.schedules import BUYER, Card, Schedule, equilibrium

MECHANISMS = ("cda", "call")


class OrderError(ValueError):
    """An order the market refuses; ``field`` names the offending field."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass
class Seat:
    """A seat's card and what it has done this period and over the session."""

    card: Card
    traded: float = 0.0  # units traded this period (fractional in a call auction)
    profit: float = 0.0  # currency, over the session
    period_profit: float = 0.0  # currency, this period
    resting: int = -1  # CDA: id of the resting order, -1 if none
    call_orders: dict[int, float] = field(default_factory=dict)  # call: unit -> price

    def units_left(self) -> int:
        return len(self.card.limits) - math.ceil(self.traded - 1e-9)


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise OrderError(name, f"expected a number, got {value!r}")
    try:
        x = float(value)
    except ValueError:
        raise OrderError(name, f"expected a number, got {value!r}") from None
    if not math.isfinite(x):
        raise OrderError(name, f"must be a finite number, got {value!r}")
    return x


class ClassMarket:
    """Seats, the period's book and the session's record of orders and trades.

    Args:
        schedule: the cards (one per seat) and the price range.
        mechanism: ``"cda"`` or ``"call"``.
        allow_loss: let buyers bid above value and sellers ask below cost.
    """

    def __init__(self, schedule: Schedule, mechanism: str = "cda", allow_loss: bool = False):
        if mechanism not in MECHANISMS:
            raise ValueError(f"mechanism={mechanism!r}: allowed values are {MECHANISMS}")
        if mechanism == "cda" and any(c.unit_qty != 1.0 for c in schedule.cards):
            raise ValueError("mechanism='cda': needs cards of one unit per order (unit_qty 1)")
        from elecbay_env.cda import ContinuousDoubleAuction

        self.schedule = schedule
        self.mechanism = mechanism
        self.allow_loss = allow_loss
        self.floor, self.cap = schedule.price_range
        self.seats = [Seat(c) for c in schedule.cards]
        self.eq = equilibrium(schedule.cards)
        self.cda = ContinuousDoubleAuction(capacity=256, price_floor=self.floor,
                                           price_cap=self.cap)  # fmt: skip
        self.period = 0  # 1, 2, ... once the first period opened
        self.orders: list[dict[str, Any]] = []  # every accepted order, in order
        self.trades: list[dict[str, Any]] = []  # every trade, in order
        self.seat_trades: dict[int, list[dict[str, Any]]] = {}  # seat -> its trades
        self.period_surplus: dict[int, float] = {}  # period -> realised surplus, currency

    # ------------------------------------------------------------------ periods
    def open_period(self) -> None:
        """Start the next period: empty book, every unit available again."""
        self.period += 1
        self.cda.reset()
        for s in self.seats:
            s.traded, s.period_profit, s.resting = 0.0, 0.0, -1
            s.call_orders.clear()
        self.period_surplus[self.period] = 0.0

    def close_period(self, t: float = 0.0) -> list[dict[str, Any]]:
        """End the period; a call auction clears here. Returns the trades it made."""
        if self.mechanism != "call":
            return []
        return self._clear_call(t)

    # ------------------------------------------------------------------- orders
    def check(self, seat: int, side: Any, price: Any, unit: Any = None,
              allow_loss: bool = False) -> tuple[float, int]:  # fmt: skip
        """Validate an order of ``seat``; returns ``(price, unit index)``.

        ``allow_loss`` lifts the no-loss rule for this order (ZI-U bots)."""
        s = self.seats[seat]
        if side != s.card.side:
            raise OrderError("side", f"{side!r}: your card is a {s.card.role}'s, so you may "
                                     f"only send '{s.card.side}' orders")  # fmt: skip
        p = _number("price", price)
        if not self.floor <= p <= self.cap:
            raise OrderError("price", f"{p:g} is outside the allowed range "
                                      f"[{self.floor:g}, {self.cap:g}]")  # fmt: skip
        n = len(s.card.limits)
        if self.mechanism == "cda" or unit is None:
            u = math.ceil(s.traded - 1e-9) if self.mechanism == "cda" else self._free_unit(s)
        else:
            u = int(_number("unit", unit))
            if u != _number("unit", unit) or not 0 <= u < n:
                raise OrderError("unit", f"{unit!r}: allowed values are 0..{n - 1}")
        if u >= n:
            raise OrderError("unit", "you have no units left this period")
        limit = s.card.limits[u]
        if not (self.allow_loss or allow_loss):
            if s.card.role == BUYER and p > limit:
                raise OrderError("price", f"{p:g} is above your value {limit:g} for unit "
                                          f"{u + 1}: you would lose money")  # fmt: skip
            if s.card.role != BUYER and p < limit:
                raise OrderError("price", f"{p:g} is below your cost {limit:g} for unit "
                                          f"{u + 1}: you would lose money")  # fmt: skip
        return p, u

    @staticmethod
    def _free_unit(s: Seat) -> int:
        for u in range(len(s.card.limits)):
            if u not in s.call_orders:
                return u
        return 0  # every unit priced: a new order replaces the first unit's

    def submit(self, seat: int, side: Any, price: Any, unit: Any = None, t: float = 0.0,
               source: str = "", allow_loss: bool = False) -> list[dict[str, Any]]:  # fmt: skip
        """Place an order of ``seat`` (checked first); returns the trades it made (CDA)."""
        p, u = self.check(seat, side, price, unit, allow_loss)
        s = self.seats[seat]
        order = {"period": self.period, "t": round(t, 4), "seat": seat, "side": side,
                 "price": p, "unit": u, "qty": s.card.unit_qty, "source": source}  # fmt: skip
        self.orders.append(order)
        if self.mechanism == "call":
            s.call_orders[u] = p
            return []
        if s.resting >= 0:
            self.cda.cancel(s.resting)
            s.resting = -1
        before = self.cda.n_trades
        oid = self.cda.submit(side, p, 1.0, seat)  # CDA schedules: one unit per order
        if self.cda.n_trades == before:
            s.resting = oid
            return []
        tr = self.cda.trades
        other = self.cda.order(int(tr.sell_id[-1] if side == "bid" else tr.buy_id[-1])).owner
        self.seats[other].resting = -1
        buyer, seller = (seat, other) if side == "bid" else (other, seat)
        return [self._record(buyer, seller, float(tr.price[-1]), s.card.unit_qty, t)]

    def cancel(self, seat: int) -> bool:
        """Withdraw the seat's resting CDA order (or its call orders)."""
        s = self.seats[seat]
        if self.mechanism == "call":
            had = bool(s.call_orders)
            s.call_orders.clear()
            return had
        if s.resting < 0:
            return False
        self.cda.cancel(s.resting)
        s.resting = -1
        return True

    # ----------------------------------------------------------------- outcomes
    def _record(self, buyer: int, seller: int, price: float, qty: float, t: float):
        """Book a trade of ``qty`` (units, or MW) between two seats at ``price``."""
        b, s = self.seats[buyer], self.seats[seller]
        value = _unit_worth(b, qty / b.card.unit_qty)
        cost = _unit_worth(s, qty / s.card.unit_qty)
        for seat, gain in ((b, value - price * qty), (s, price * qty - cost)):
            seat.period_profit += gain
            seat.profit += gain
            seat.traded += qty / seat.card.unit_qty
        self.period_surplus[self.period] += value - cost
        trade = {"period": self.period, "t": round(t, 4), "n": len(self.trades),
                 "buyer": buyer, "seller": seller, "price": price, "qty": qty}  # fmt: skip
        self.trades.append(trade)
        for i in (buyer, seller):
            self.seat_trades.setdefault(i, []).append(trade)
        return trade

    def _clear_call(self, t: float) -> list[dict[str, Any]]:
        from elecbay_env import clear

        rows = [(i, u, p) for i, s in enumerate(self.seats) for u, p in s.call_orders.items()]
        bids = [r for r in rows if self.seats[r[0]].card.role == BUYER]
        asks = [r for r in rows if self.seats[r[0]].card.role != BUYER]
        if not bids or not asks:
            return []
        qty = lambda rs: np.array([self.seats[i].card.unit_qty for i, _, _ in rs])  # noqa: E731
        r = clear(np.array([p for *_, p in bids]), qty(bids), np.array([p for *_, p in asks]),
                  qty(asks), k=0.5, price_floor=self.floor, price_cap=self.cap)  # fmt: skip
        if r.volume <= 0:
            return []
        # pair filled units buyer by buyer and seller by seller, each seat's units in order
        buy = _fills(bids, r.bid_fill)
        sell = _fills(asks, r.ask_fill)
        return [self._record(i, j, float(r.price), q, t) for i, j, q in _pair(buy, sell)]

    def efficiency(self, period: int | None = None) -> float:
        """Realised / maximum surplus of ``period`` (all periods so far if None)."""
        if period is not None:
            return self.period_surplus.get(period, 0.0) / self.eq.max_surplus
        n = len(self.period_surplus)
        return sum(self.period_surplus.values()) / (n * self.eq.max_surplus) if n else 0.0

    def alpha(self, period: int) -> float:
        """Smith's coefficient of convergence of ``period``, percent: 100 x RMS deviation
        of its trade prices from the equilibrium price / that price (NaN without trades)."""
        p = np.array([t["price"] for t in self.trades if t["period"] == period])
        if p.size == 0 or self.eq.price == 0:
            return math.nan
        return float(100.0 * np.sqrt(np.mean((p - self.eq.price) ** 2)) / abs(self.eq.price))


def _unit_worth(s: Seat, units: float) -> float:
    """Value (buyer) or cost (seller) of the seat's next ``units`` units, currency."""
    total, pos, left = 0.0, s.traded, units
    while left > 1e-12:
        u = min(int(pos + 1e-9), len(s.card.limits) - 1)
        step = min(left, u + 1 - pos)
        total += step * s.card.limits[u] * s.card.unit_qty
        pos += step
        left -= step
    return total


def _fills(rows, fill: np.ndarray) -> list[tuple[int, float]]:
    """Filled quantity per seat: ``[(seat, qty), ...]`` (units, or MW)."""
    per: dict[int, float] = {}
    for (i, _, _), f in zip(rows, fill, strict=True):
        if f > 0:
            per[i] = per.get(i, 0.0) + float(f)
    return list(per.items())


def _pair(buy: list[tuple[int, float]], sell: list[tuple[int, float]]):
    """Match filled quantities of buyers and sellers in order: ``(buyer, seller, qty)``."""
    i = j = 0
    b = [list(x) for x in buy]
    s = [list(x) for x in sell]
    while i < len(b) and j < len(s):
        q = min(b[i][1], s[j][1])
        if q > 1e-12:
            yield b[i][0], s[j][0], q
        b[i][1] -= q
        s[j][1] -= q
        if b[i][1] <= 1e-12:
            i += 1
        if s[j][1] <= 1e-12:
            j += 1
