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
  what still rests (status ``RESTING``), 0 (``FILLED``) or what was withdrawn
  (``CANCELLED``).
* ``orders_i``: (C, 3) int64, per order id: ``[side (+1 bid, -1 ask), owner, status]``.
* ``heap_key``, ``heap_id``: (2, B) float64 / int64, one binary min-heap per side
  (row 0 the bids, row 1 the asks) over ``(key, order id)``, with key = minus the
  price for bids and the price for asks: the root is the side's best order (best
  price, then earliest). ``counters[2 + s]`` entries of row ``s`` are in use.
  Cancelled and filled orders are dropped lazily (an entry is live while its order
  is ``RESTING``), but the root is always live, and a side is compacted when dead
  entries outnumber live ones, so every operation is O(log B) amortised whatever
  the depth of the book.
* ``trades_i``: (T, 3) int64 ``[buy order id, sell order id, aggressor side]``;
  ``trades_f``: (T, 2) float64 ``[price (currency per MWh), qty (MW)]``. Row ``t`` is
  the trade with sequence number ``t``.
* ``counters``: (6,) int64 ``[orders so far, trades so far, heap entries of the bid
  side, of the ask side, resting bids, resting asks]``.

The caller sizes ``orders_*`` for every order id an event batch can create; the heap
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
_N_ORDERS, _N_TRADES, _N_HEAP, _N_LIVE = 0, 1, 2, 4
# Event columns.
_EV_KIND, _EV_SIDE, _EV_OWNER, _EV_TARGET = 0, 1, 2, 3
_EV_PRICE, _EV_QTY = 0, 1
_COMPACT_SLACK = 32
"""A side is compacted when its heap holds more than 2 * live + this many entries."""


@kernel
def _before(keys, ids, i, j):
    """Whether heap entry ``i`` has priority over entry ``j``: lower key, then lower id."""
    return keys[i] < keys[j] or (keys[i] == keys[j] and ids[i] < ids[j])


@kernel
def _swap(keys, ids, i, j):
    k = keys[i]
    keys[i] = keys[j]
    keys[j] = k
    t = ids[i]
    ids[i] = ids[j]
    ids[j] = t


@kernel
def _sift_up(keys, ids, i):
    while i > 0:
        parent = (i - 1) >> 1
        if not _before(keys, ids, i, parent):
            break
        _swap(keys, ids, i, parent)
        i = parent


@kernel
def _sift_down(keys, ids, n, i):
    while True:
        best = i
        left = 2 * i + 1
        right = left + 1
        if left < n and _before(keys, ids, left, best):
            best = left
        if right < n and _before(keys, ids, right, best):
            best = right
        if best == i:
            return
        _swap(keys, ids, i, best)
        i = best


@kernel
def _pop_root(keys, ids, n):
    """Remove the root of a heap of ``n`` entries; returns the new size."""
    n -= 1
    if n > 0:
        keys[0] = keys[n]
        ids[0] = ids[n]
        _sift_down(keys, ids, n, 0)
    return n


@kernel
def _settle(s, orders_i, heap_key, heap_id, counters):
    """Restore side ``s``'s invariants: drop dead roots, compact if mostly dead."""
    keys = heap_key[s]
    ids = heap_id[s]
    n = counters[_N_HEAP + s]
    while n > 0 and orders_i[ids[0], _STATUS] != RESTING:
        n = _pop_root(keys, ids, n)
    live = counters[_N_LIVE + s]
    if n > 2 * live + _COMPACT_SLACK:
        m = 0
        for j in range(n):
            if orders_i[ids[j], _STATUS] == RESTING:
                keys[m] = keys[j]
                ids[m] = ids[j]
                m += 1
        n = m
        for j in range(n // 2 - 1, -1, -1):
            _sift_down(keys, ids, n, j)
    counters[_N_HEAP + s] = n


@kernel
def _grow_heaps(heap_key, heap_id):
    """Copies of the (2, B) heap arrays with twice the width."""
    width = heap_key.shape[1]
    new_key = np.empty((2, 2 * width), dtype=np.float64)
    new_id = np.empty((2, 2 * width), dtype=np.int64)
    new_key[:, :width] = heap_key
    new_id[:, :width] = heap_id
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
    side, price, qty, owner, orders_f, orders_i, heap_key, heap_id, trades_i, trades_f, counters
):
    """Enter one order: match it against the opposite side, rest any remainder.

    Args:
        side: ``BID`` (+1) or ``ASK`` (-1).
        price: limit price, currency per MWh.
        qty: MW, > 0.
        owner: any integer label, stored with the order.
        orders_f, orders_i, heap_key, heap_id, trades_i, trades_f, counters: the
            state (module docstring); ``orders_*`` must have a free row.

    Returns:
        ``(order_id, heap_key, heap_id, trades_i, trades_f)``: the new order's id and
        the (possibly grown) heap and trade arrays.
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
    opp_keys = heap_key[opp]
    opp_ids = heap_id[opp]
    while counters[_N_HEAP + opp] > 0:
        # The root is live (invariant): the best opposite order.
        rid = opp_ids[0]
        rprice = opp_keys[0] if is_bid else -opp_keys[0]
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
            counters[_N_LIVE + opp] -= 1
            counters[_N_HEAP + opp] = _pop_root(opp_keys, opp_ids, counters[_N_HEAP + opp])
            _settle(opp, orders_i, heap_key, heap_id, counters)
        else:
            orders_f[rid, _OPEN] = ropen
        if rem <= tol:
            rem = 0.0
            break

    if rem > 0.0:
        n = counters[_N_HEAP + own]
        if n == heap_key.shape[1]:
            heap_key, heap_id = _grow_heaps(heap_key, heap_id)
        keys = heap_key[own]
        ids = heap_id[own]
        keys[n] = -price if is_bid else price
        ids[n] = oid
        _sift_up(keys, ids, n)
        counters[_N_HEAP + own] = n + 1
        counters[_N_LIVE + own] += 1
        orders_f[oid, _OPEN] = rem
        orders_i[oid, _STATUS] = RESTING
    else:
        orders_f[oid, _OPEN] = 0.0
        orders_i[oid, _STATUS] = FILLED
    return oid, heap_key, heap_id, trades_i, trades_f


@kernel
def cancel_order(oid, orders_i, heap_key, heap_id, counters):
    """Withdraw resting order ``oid``; False (and no change) if it is not resting.

    Ids that were never issued, filled orders and cancelled orders all give False.
    The order's open quantity stays in ``orders_f`` as the withdrawn quantity.
    """
    if oid < 0 or oid >= counters[_N_ORDERS] or orders_i[oid, _STATUS] != RESTING:
        return False
    s = 0 if orders_i[oid, _SIDE] == BID else 1
    orders_i[oid, _STATUS] = CANCELLED
    counters[_N_LIVE + s] -= 1
    _settle(s, orders_i, heap_key, heap_id, counters)
    return True


@kernel
def book_order(orders_i, heap_key, heap_id, counters, s):
    """Order ids resting on side ``s`` (0 bids, 1 asks), best first: (M,) int64."""
    n = counters[_N_HEAP + s]
    keys = heap_key[s]
    ids = heap_id[s]
    m = 0
    live_keys = np.empty(n, dtype=np.float64)
    live_ids = np.empty(n, dtype=np.int64)
    for j in range(n):
        if orders_i[ids[j], _STATUS] == RESTING:
            live_keys[m] = keys[j]
            live_ids[m] = ids[j]
            m += 1
    # Heap sort of the live entries: pop the root m times.
    for j in range(m // 2 - 1, -1, -1):
        _sift_down(live_keys, live_ids, m, j)
    out = np.empty(m, dtype=np.int64)
    size = m
    for j in range(m):
        out[j] = live_ids[0]
        size = _pop_root(live_keys, live_ids, size)
    return out


@kernel
def process_events(
    ev_i, ev_f, orders_f, orders_i, heap_key, heap_id, trades_i, trades_f, counters, result
):
    """Apply a sequence of order events to the book, in order.

    Args:
        ev_i: (N, 4) int64 ``[kind (SUBMIT/CANCEL), side (+1/-1), owner, target id]``;
            a submit ignores the target, a cancel everything but the target.
        ev_f: (N, 2) float64 ``[price (currency per MWh), qty (MW)]``; read for
            submits only.
        orders_f, orders_i, heap_key, heap_id, trades_i, trades_f, counters: the
            state (module docstring); ``orders_*`` must have a free row for every
            submit.
        result: (N,) int64 out: the new order id of each submit; 1 for a cancel that
            withdrew an order, 0 for one that found no resting order.

    Returns:
        ``(heap_key, heap_id, trades_i, trades_f)``, the current (possibly grown)
        arrays. The trades of this call are rows ``counters[1]`` before the call up
        to ``counters[1]`` after it.
    """
    for e in range(ev_i.shape[0]):
        if ev_i[e, _EV_KIND] == SUBMIT:
            oid, heap_key, heap_id, trades_i, trades_f = submit_order(
                ev_i[e, _EV_SIDE],
                ev_f[e, _EV_PRICE],
                ev_f[e, _EV_QTY],
                ev_i[e, _EV_OWNER],
                orders_f,
                orders_i,
                heap_key,
                heap_id,
                trades_i,
                trades_f,
                counters,
            )
            result[e] = oid
        else:
            done = cancel_order(ev_i[e, _EV_TARGET], orders_i, heap_key, heap_id, counters)
            result[e] = 1 if done else 0
    return heap_key, heap_id, trades_i, trades_f
