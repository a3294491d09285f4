"""A continuous double auction (CDA) for classroom experiments.

Traders submit bids and asks one at a time (Smith 1962; Gode & Sunder 1993's
zero-intelligence traders). An order that crosses the book trades at once against
the resting orders, best price first, then earliest first, each trade at the RESTING
order's price; what is left of it rests. :class:`ContinuousDoubleAuction` checks the
inputs and owns the state; the matching is the Numba kernel
:func:`elecbay_env.kernels.cda.process_events`, which both entry points run:
:meth:`~ContinuousDoubleAuction.submit` and :meth:`~ContinuousDoubleAuction.cancel`
as a batch of one event, :meth:`~ContinuousDoubleAuction.process` for a whole array
of events in one call (hundreds of thousands of events per second and more).

Units: prices in currency per MWh, quantities in MW (every order of one auction is
for the same delivery period).

Example:
    >>> cda = ContinuousDoubleAuction()
    >>> cda.submit("ask", 40.0, 5.0)
    0
    >>> cda.submit("bid", 45.0, 3.0)  # crosses: trades 3 MW at the resting 40.0
    1
    >>> t = cda.trades
    >>> int(t.buy_id[0]), int(t.sell_id[0]), float(t.price[0]), float(t.qty[0])
    (1, 0, 40.0, 3.0)
    >>> cda.best_ask(), cda.best_bid()
    (40.0, nan)
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .cda_inputs import _check_integer, _codes, _event_count, _float_column, _int_column
from .cda_types import BookSide, BookSnapshot, OrderInfo, ProcessResult, Trades
from .clearing import DEFAULT_PRICE_CAP, DEFAULT_PRICE_FLOOR, MAX_ABS_PRICE, MAX_QTY
from .kernels.cda import (
    ASK,
    ATOL,
    BID,
    CANCEL,
    CANCELLED,
    FILLED,
    RESTING,
    RTOL,
    SUBMIT,
    book_order,
    process_events,
)

__all__ = [
    "ASK",
    "ATOL",
    "BID",
    "CANCEL",
    "RTOL",
    "SUBMIT",
    "BookSide",
    "BookSnapshot",
    "ContinuousDoubleAuction",
    "OrderInfo",
    "ProcessResult",
    "Trades",
]

Side = Literal["bid", "ask", 1, -1]
_SIDES = {"bid": BID, "ask": ASK, BID: BID, ASK: ASK}
_SIDE_TEXT = "'bid' or 'ask' (or +1 / -1)"
_KINDS = {"submit": SUBMIT, "cancel": CANCEL}
_STATUS_NAMES = {RESTING: "resting", FILLED: "filled", CANCELLED: "cancelled"}
_INITIAL_TRADE_ROWS = 1024


class ContinuousDoubleAuction:
    """An order book with price-time priority, continuous trading.

    Order ids are 0, 1, 2, ... in submission order (both sides share the sequence)
    and double as time priority. Orders of the same owner may trade with each other.

    Args:
        capacity: initial number of order slots (orders since the last reset) and of
            book slots per side. Storage doubles whenever it runs out, so nothing is
            ever lost; memory is about 48 bytes per order submitted since the last
            :meth:`reset`, 16 per book slot and 40 per trade.
        price_floor, price_cap: every order price must lie in ``[price_floor,
            price_cap]``, currency per MWh (negative prices allowed).

    Raises:
        ValueError: ``capacity`` below 1, or bounds that are not finite or not
            ``price_floor < price_cap``.
    """

    def __init__(
        self,
        capacity: int = 1024,
        price_floor: float = DEFAULT_PRICE_FLOOR,
        price_cap: float = DEFAULT_PRICE_CAP,
    ) -> None:
        capacity = _check_integer("capacity", capacity)
        if capacity < 1:
            raise ValueError(f"capacity={capacity!r}: allowed range is [1, inf) orders")
        floor = float(price_floor)
        cap = float(price_cap)
        if not (-MAX_ABS_PRICE <= floor < cap <= MAX_ABS_PRICE):
            raise ValueError(
                f"price_floor={floor!r}, price_cap={cap!r}: must lie in "
                f"[-{MAX_ABS_PRICE:g}, {MAX_ABS_PRICE:g}] with price_floor < price_cap "
                "(currency per MWh)"
            )
        self._floor = floor
        self._cap = cap
        self._orders_f = np.zeros((capacity, 3))
        self._orders_i = np.zeros((capacity, 3), dtype=np.int64)
        self._heap_key = np.zeros((2, capacity))
        self._heap_id = np.zeros((2, capacity), dtype=np.int64)
        self._trades_i = np.zeros((_INITIAL_TRADE_ROWS, 3), dtype=np.int64)
        self._trades_f = np.zeros((_INITIAL_TRADE_ROWS, 2))
        self._counters = np.zeros(6, dtype=np.int64)
        # One-event buffers for submit()/cancel(): no allocation per call.
        self._one_i = np.zeros((1, 4), dtype=np.int64)
        self._one_f = np.zeros((1, 2))
        self._one_result = np.zeros(1, dtype=np.int64)

    # ------------------------------------------------------------------ state
    @property
    def price_floor(self) -> float:
        """Lowest allowed order price, currency per MWh."""
        return self._floor

    @property
    def price_cap(self) -> float:
        """Highest allowed order price, currency per MWh."""
        return self._cap

    @property
    def next_order_id(self) -> int:
        """The id the next submitted order will get (= orders since the last reset)."""
        return int(self._counters[0])

    @property
    def n_trades(self) -> int:
        """Number of trades since the last reset."""
        return int(self._counters[1])

    def reset(self) -> None:
        """Empty the book and the trade record; order ids start again at 0.

        Storage already grown is kept.
        """
        self._counters[:] = 0

    def _ensure_order_rows(self, n_new: int) -> None:
        need = int(self._counters[0]) + n_new
        rows = self._orders_f.shape[0]
        if need <= rows:
            return
        while rows < need:
            rows *= 2
        used = int(self._counters[0])
        orders_f = np.zeros((rows, 3))
        orders_i = np.zeros((rows, 3), dtype=np.int64)
        orders_f[:used] = self._orders_f[:used]
        orders_i[:used] = self._orders_i[:used]
        self._orders_f = orders_f
        self._orders_i = orders_i

    def _run(self, ev_i: NDArray[np.int64], ev_f: NDArray[np.float64], result, n_submit: int):
        """Run the kernel on validated events; returns the first trade row of the call."""
        self._ensure_order_rows(n_submit)
        first = self._counters[1]
        self._heap_key, self._heap_id, self._trades_i, self._trades_f = process_events(
            ev_i,
            ev_f,
            self._orders_f,
            self._orders_i,
            self._heap_key,
            self._heap_id,
            self._trades_i,
            self._trades_f,
            self._counters,
            result,
        )
        return int(first)

    def _trade_slice(self, start: int, stop: int) -> Trades:
        ti = self._trades_i[start:stop]
        tf = self._trades_f[start:stop]
        return Trades(
            ti[:, 0].copy(),
            ti[:, 1].copy(),
            tf[:, 0].copy(),
            tf[:, 1].copy(),
            ti[:, 2].astype(np.int8),
            np.arange(start, stop, dtype=np.int64),
        )

    # ------------------------------------------------------ one event at a time
    def submit(self, side: Side, price: float, qty: float, owner: int = -1) -> int:
        """Submit one limit order; it trades at once as far as it crosses the book.

        Args:
            side: ``"bid"`` (buy) or ``"ask"`` (sell), or +1 / -1.
            price: limit price in ``[price_floor, price_cap]``, currency per MWh.
            qty: MW, finite and > 0.
            owner: an integer label kept with the order (default -1).

        Returns:
            The new order's id. Its trades are appended to :attr:`trades`.

        Raises:
            ValueError: naming the argument and its allowed values; the book is then
                unchanged.
        """
        try:
            code = _SIDES.get(side) if not isinstance(side, bool) else None
        except TypeError:  # unhashable
            code = None
        if code is None:
            raise ValueError(f"side={side!r}: allowed values are {_SIDE_TEXT}")
        try:
            p = float(price)
        except (TypeError, ValueError):
            raise ValueError(f"price={price!r}: expected a number (currency per MWh)") from None
        if not (self._floor <= p <= self._cap):
            if not math.isfinite(p):
                raise ValueError(f"price={p!r}: prices must be finite (not NaN or inf)")
            raise ValueError(
                f"price={p!r}: allowed range is [price_floor, price_cap] = "
                f"[{self._floor!r}, {self._cap!r}] currency per MWh"
            )
        try:
            q = float(qty)
        except (TypeError, ValueError):
            raise ValueError(f"qty={qty!r}: expected a number (MW)") from None
        if not (0.0 < q <= MAX_QTY):
            raise ValueError(f"qty={q!r}: allowed range is (0, {MAX_QTY:g}] MW")
        own = _check_integer("owner", owner)
        if not -(2**63) <= own < 2**63:
            raise ValueError(f"owner={own!r}: allowed range is a 64-bit signed integer")
        ev_i = self._one_i
        ev_f = self._one_f
        ev_i[0, 0] = SUBMIT
        ev_i[0, 1] = code
        ev_i[0, 2] = own
        ev_f[0, 0] = p
        ev_f[0, 1] = q
        self._run(ev_i, ev_f, self._one_result, 1)
        return int(self._one_result[0])

    def cancel(self, order_id: int) -> bool:
        """Withdraw a resting order.

        Args:
            order_id: an id returned by :meth:`submit` or :meth:`process`.

        Returns:
            True if the order was resting and is now withdrawn; False (and nothing
            changes) if the id is unknown or the order is already filled or cancelled.

        Raises:
            ValueError: ``order_id`` is not an integer.
        """
        oid = _check_integer("order_id", order_id)
        if not 0 <= oid < int(self._counters[0]):
            return False
        ev_i = self._one_i
        ev_i[0, 0] = CANCEL
        ev_i[0, 3] = oid
        self._run(ev_i, self._one_f, self._one_result, 0)
        return bool(self._one_result[0])

    # ---------------------------------------------------------------- in bulk
    def process(
        self,
        kind: ArrayLike,
        side: ArrayLike,
        price: ArrayLike,
        qty: ArrayLike,
        owner: ArrayLike | None = None,
        order_id: ArrayLike | None = None,
    ) -> ProcessResult:
        """Apply N order events in order, in one kernel call.

        The result equals calling :meth:`submit` / :meth:`cancel` on each event in
        turn. Each argument is an (N,) array or a single value used for every event.

        Args:
            kind: ``"submit"`` / ``"cancel"`` strings, or the codes ``SUBMIT`` (0) /
                ``CANCEL`` (1).
            side: ``"bid"`` / ``"ask"`` strings or +1 / -1; read for submits only.
            price: limit prices, currency per MWh, in ``[price_floor, price_cap]``;
                read for submits only (cancel rows may hold NaN).
            qty: MW, finite and > 0; read for submits only.
            owner: integer labels of the submits (default -1).
            order_id: integers, the order each cancel withdraws; needed when there
                are cancels. Orders submitted earlier in the same call can be
                cancelled: the k-th submit of the call gets id ``next_order_id + k``.
                A cancel of an id that is not resting at that point is a no-op.

        Returns:
            A :class:`ProcessResult`. Inputs are never modified.

        Raises:
            ValueError: naming the argument, the index of the first bad entry and
                the allowed values. Nothing is applied then: the book is unchanged.
        """
        n = _event_count(kind=kind, side=side, price=price, qty=qty, owner=owner, order_id=order_id)
        kinds = _codes("kind", np.asarray(kind), n, _KINDS, "'submit' or 'cancel' (or 0 / 1)")
        is_sub = kinds == SUBMIT
        n_submit = int(np.count_nonzero(is_sub))

        ev_i = np.zeros((n, 4), dtype=np.int64)
        ev_f = np.zeros((n, 2))
        ev_i[:, 0] = kinds
        if n_submit:
            sides = _codes("side", np.asarray(side), n, _SIDES, _SIDE_TEXT, is_sub)
            prices = _float_column("price", price, n)
            qtys = _float_column("qty", qty, n)
            bad = is_sub & ~np.isfinite(prices)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"price[{i}]={float(prices[i])!r}: prices must be finite (not NaN or inf)"
                )
            bad = is_sub & ((prices < self._floor) | (prices > self._cap))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"price[{i}]={float(prices[i])!r}: allowed range is [price_floor, "
                    f"price_cap] = [{self._floor!r}, {self._cap!r}] currency per MWh"
                )
            bad = is_sub & ~((qtys > 0.0) & (qtys <= MAX_QTY))
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(
                    f"qty[{i}]={float(qtys[i])!r}: allowed range is (0, {MAX_QTY:g}] MW"
                )
            ev_i[:, 1] = sides
            ev_f[:, 0] = np.where(is_sub, prices, 0.0)
            ev_f[:, 1] = np.where(is_sub, qtys, 0.0)
            if owner is not None:
                ev_i[:, 2] = _int_column("owner", owner, n)
            else:
                ev_i[:, 2] = -1
        if n_submit < n:
            if order_id is None:
                raise ValueError("order_id: needed for cancel events (the ids to cancel)")
            ev_i[:, 3] = _int_column("order_id", order_id, n)

        result = np.empty(n, dtype=np.int64)
        first = self._run(ev_i, ev_f, result, n_submit)
        trades = self._trade_slice(first, int(self._counters[1]))
        return ProcessResult(np.where(is_sub, result, -1), (~is_sub) & (result == 1), trades)

    # --------------------------------------------------------------- queries
    @property
    def trades(self) -> Trades:
        """Every trade since the last reset (a copy), oldest first."""
        return self._trade_slice(0, int(self._counters[1]))

    def best_bid(self) -> float:
        """Highest resting bid price (currency per MWh); NaN if there are no bids."""
        if self._counters[4] == 0:
            return math.nan
        return float(self._orders_f[self._heap_id[0, 0], 0])

    def best_ask(self) -> float:
        """Lowest resting ask price (currency per MWh); NaN if there are no asks."""
        if self._counters[5] == 0:
            return math.nan
        return float(self._orders_f[self._heap_id[1, 0], 0])

    def book(self) -> BookSnapshot:
        """A copy of the resting orders in priority order (:class:`BookSnapshot`)."""
        sides = []
        for s in (0, 1):
            ids = book_order(self._orders_i, self._heap_key, self._heap_id, self._counters, s)
            sides.append(
                BookSide(
                    ids,
                    self._orders_f[ids, 0],
                    self._orders_f[ids, 2],
                    self._orders_i[ids, 1],
                )
            )
        return BookSnapshot(sides[0], sides[1])

    def order(self, order_id: int) -> OrderInfo:
        """The state of order ``order_id`` (:class:`OrderInfo`).

        Raises:
            ValueError: ``order_id`` is not an id issued since the last reset.
        """
        oid = _check_integer("order_id", order_id)
        n = int(self._counters[0])
        if not 0 <= oid < n:
            raise ValueError(f"order_id={oid!r}: allowed range is [0, {n}) (ids issued so far)")
        f = self._orders_f[oid]
        i = self._orders_i[oid]
        return OrderInfo(
            oid,
            int(i[0]),
            float(f[0]),
            float(f[1]),
            float(f[2]),
            _STATUS_NAMES[int(i[2])],
            int(i[1]),
        )
