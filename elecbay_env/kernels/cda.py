"""The continuous double auction: an order book with price-time priority.

Semantics (Smith 1962; Gode & Sunder 1993):

* an incoming order that crosses the book (a bid at or above the best offer, an
  offer at or below the best bid) trades at once against the resting orders, best
  price first and, at equal price, the earliest order first; every trade is at the
  RESTING order's price;
* whatever the incoming order has left after that rests in the book;
* a cancel withdraws a resting order's open quantity.

Residual quantity below ``RTOL`` of an order's submitted quantity (or ``ATOL`` MW)
counts as filled, so no dust orders stay in the book; the dust (at most that much)
is not traded.

State layout. All arrays belong to the caller (:class:`elecbay_env.cda.ContinuousDoubleAuction`);
the kernels fill them in place and never validate anything:

* ``orders_f``: (C, 3) float64, one row per order id ``0 .. counters[0] - 1``:
  ``[price (currency per MWh), submitted qty (MW), open qty (MW)]``. The open qty is
  what still rests (status resting), 0 (filled) or what was withdrawn (cancelled).
* ``orders_i``: (C, 3) int64, per order id: ``[side (+1 bid, -1 ask), owner, status]``.
* ``book_key``, ``book_id``: (2, B) float64 / int64; row 0 the bids, row 1 the asks,
  of which the first ``counters[2]`` / ``counters[3]`` entries are in use. Keys are
  the price for bids and minus the price for asks, sorted ascending, so each side's
  BEST order is its LAST entry; at equal keys later orders come first (time priority
  counts from the end). Matching pops from the end; inserting near the best price
  shifts only the few orders between it and the end.
* ``trades_i``: (T, 3) int64 ``[buy order id, sell order id, aggressor side]``;
  ``trades_f``: (T, 2) float64 ``[price (currency per MWh), qty (MW)]``. Row ``t`` is
  the trade with sequence number ``t``.
* ``counters``: (4,) int64 ``[orders so far, trades so far, resting bids, resting asks]``.

The caller sizes ``orders_*`` for every order id an event batch can create; the book
and trade arrays grow inside the kernel (doubling), which returns the current arrays.
"""

from __future__ import annotations

import numpy as np

from ._jit import kernel

RTOL = 1e-9
"""Relative residual (of an order's submitted quantity) treated as filled."""
ATOL = 1e-9
"""Absolute residual (MW) treated as filled."""

SUBMIT = 0
"""Event kind: submit a new order."""
CANCEL = 1
"""Event kind: cancel a resting order."""
BID = 1
"""Side code of a bid (buy order)."""
ASK = -1
"""Side code of an ask (offer, sell order)."""
RESTING = 0
"""Order status: (part of) the order rests in the book."""
FILLED = 1
"""Order status: fully traded."""
CANCELLED = 2
"""Order status: withdrawn; its open quantity never traded."""

# Columns of the state arrays.
_PRICE, _QTY, _OPEN = 0, 1, 2
_SIDE, _OWNER, _STATUS = 0, 1, 2
_N_ORDERS, _N_TRADES, _N_BOOK = 0, 1, 2
# Event columns.
_EV_KIND, _EV_SIDE, _EV_OWNER, _EV_TARGET = 0, 1, 2, 3
_EV_PRICE, _EV_QTY = 0, 1


@kernel
def _bisect_left(keys, n, key):
    """First position in sorted ``keys[:n]`` whose key is ``>= key``."""
    lo = 0
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


@kernel
def _find(keys, ids, n, key, oid):
    """Position of order ``oid`` (book key ``key``) in one book side, or -1.

    Within a run of equal keys the ids descend, so ``(key, -id)`` is sorted and one
    binary search finds the order.
    """
    lo = _bisect_left(keys, n, key)
    hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if keys[mid] == key and ids[mid] > oid:
            lo = mid + 1
        else:
            hi = mid
    if lo < n and keys[lo] == key and ids[lo] == oid:
        return lo
    return -1


@kernel
def _grow_book(book_key, book_id):
    """Copies of the (2, B) book arrays with twice the width."""
    width = book_key.shape[1]
    new_key = np.empty((2, 2 * width), dtype=np.float64)
    new_id = np.empty((2, 2 * width), dtype=np.int64)
    new_key[:, :width] = book_key
    new_id[:, :width] = book_id
    return new_key, new_id


@kernel
def _grow_trades(trades_i, trades_f):
    """Copies of the trade arrays with twice the rows."""
    rows = trades_i.shape[0]
    new_i = np.empty((2 * rows, 3), dtype=np.int64)
    new_f = np.empty((2 * rows, 2), dtype=np.float64)
    new_i[:rows] = trades_i
    new_f[:rows] = trades_f
    return new_i, new_f


@kernel
def submit_order(
    side, price, qty, owner, orders_f, orders_i, book_key, book_id, trades_i, trades_f, counters
):
    """Enter one order: match it against the opposite side, rest any remainder.

    Args:
        side: ``BID`` (+1) or ``ASK`` (-1).
        price: limit price, currency per MWh.
        qty: MW, > 0.
        owner: any integer label, stored with the order.
        orders_f, orders_i, book_key, book_id, trades_i, trades_f, counters: the
            state (module docstring); ``orders_*`` must have a free row.

    Returns:
        ``(order_id, book_key, book_id, trades_i, trades_f)``: the new order's id and
        the (possibly grown) book and trade arrays.
    """
    oid = counters[_N_ORDERS]
    counters[_N_ORDERS] = oid + 1
    orders_f[oid, _PRICE] = price
    orders_f[oid, _QTY] = qty
    orders_i[oid, _SIDE] = side
    orders_i[oid, _OWNER] = owner

    is_bid = side == BID
    own = 0 if is_bid else 1
    opp = 1 - own
    rem = qty
    tol = max(RTOL * qty, ATOL)
    n_opp = counters[_N_BOOK + opp]
    while n_opp > 0:
        rid = book_id[opp, n_opp - 1]
        rprice = orders_f[rid, _PRICE]
        if (is_bid and price < rprice) or (not is_bid and price > rprice):
            break
        ropen = orders_f[rid, _OPEN]
        q = rem if rem < ropen else ropen
        t = counters[_N_TRADES]
        if t == trades_i.shape[0]:
            trades_i, trades_f = _grow_trades(trades_i, trades_f)
        if is_bid:
            trades_i[t, 0] = oid
            trades_i[t, 1] = rid
        else:
            trades_i[t, 0] = rid
            trades_i[t, 1] = oid
        trades_i[t, 2] = side
        trades_f[t, 0] = rprice
        trades_f[t, 1] = q
        counters[_N_TRADES] = t + 1
        ropen -= q
        rem -= q
        if ropen <= max(RTOL * orders_f[rid, _QTY], ATOL):
            orders_f[rid, _OPEN] = 0.0
            orders_i[rid, _STATUS] = FILLED
            n_opp -= 1
        else:
            orders_f[rid, _OPEN] = ropen
        if rem <= tol:
            rem = 0.0
            break
    counters[_N_BOOK + opp] = n_opp

    if rem > 0.0:
        n_own = counters[_N_BOOK + own]
        if n_own == book_key.shape[1]:
            book_key, book_id = _grow_book(book_key, book_id)
        key = price if is_bid else -price
        keys = book_key[own]
        ids = book_id[own]
        pos = _bisect_left(keys, n_own, key)
        for j in range(n_own, pos, -1):
            keys[j] = keys[j - 1]
            ids[j] = ids[j - 1]
        keys[pos] = key
        ids[pos] = oid
        counters[_N_BOOK + own] = n_own + 1
        orders_f[oid, _OPEN] = rem
        orders_i[oid, _STATUS] = RESTING
    else:
        orders_f[oid, _OPEN] = 0.0
        orders_i[oid, _STATUS] = FILLED
    return oid, book_key, book_id, trades_i, trades_f


@kernel
def cancel_order(oid, orders_f, orders_i, book_key, book_id, counters):
    """Withdraw resting order ``oid``; False (and no change) if it is not resting.

    Ids that were never issued, filled orders and cancelled orders all give False.
    """
    if oid < 0 or oid >= counters[_N_ORDERS] or orders_i[oid, _STATUS] != RESTING:
        return False
    s = 0 if orders_i[oid, _SIDE] == BID else 1
    key = orders_f[oid, _PRICE] if s == 0 else -orders_f[oid, _PRICE]
    n = counters[_N_BOOK + s]
    keys = book_key[s]
    ids = book_id[s]
    pos = _find(keys, ids, n, key, oid)
    if pos < 0:  # unreachable while the state is consistent
        return False
    for j in range(pos, n - 1):
        keys[j] = keys[j + 1]
        ids[j] = ids[j + 1]
    counters[_N_BOOK + s] = n - 1
    orders_i[oid, _STATUS] = CANCELLED
    return True


@kernel
def process_events(
    ev_i, ev_f, orders_f, orders_i, book_key, book_id, trades_i, trades_f, counters, result
):
    """Apply a sequence of order events to the book, in order.

    Args:
        ev_i: (N, 4) int64 ``[kind (SUBMIT/CANCEL), side (+1/-1), owner, target id]``;
            a submit ignores the target, a cancel everything but the target.
        ev_f: (N, 2) float64 ``[price (currency per MWh), qty (MW)]``; read for
            submits only.
        orders_f, orders_i, book_key, book_id, trades_i, trades_f, counters: the
            state (module docstring); ``orders_*`` must have a free row for every
            submit.
        result: (N,) int64 out: the new order id of each submit; 1 for a cancel that
            withdrew an order, 0 for one that found no resting order.

    Returns:
        ``(book_key, book_id, trades_i, trades_f)``, the current (possibly grown)
        arrays. The trades of this call are rows ``counters[1]`` before the call up
        to ``counters[1]`` after it.
    """
    for e in range(ev_i.shape[0]):
        if ev_i[e, _EV_KIND] == SUBMIT:
            oid, book_key, book_id, trades_i, trades_f = submit_order(
                ev_i[e, _EV_SIDE],
                ev_f[e, _EV_PRICE],
                ev_f[e, _EV_QTY],
                ev_i[e, _EV_OWNER],
                orders_f,
                orders_i,
                book_key,
                book_id,
                trades_i,
                trades_f,
                counters,
            )
            result[e] = oid
        else:
            done = cancel_order(ev_i[e, _EV_TARGET], orders_f, orders_i, book_key, book_id, counters)
            result[e] = 1 if done else 0
    return book_key, book_id, trades_i, trades_f
