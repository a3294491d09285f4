"""What the continuous double auction returns: trades, process results, book and order views.

Named tuples of arrays (shapes in each docstring); prices in currency per MWh,
quantities in MW. Made by :class:`elecbay_env.cda.ContinuousDoubleAuction` and
re-exported from :mod:`elecbay_env.cda`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

__all__ = ["BookSide", "BookSnapshot", "OrderInfo", "ProcessResult", "Trades"]


class Trades(NamedTuple):
    """Trades, one entry per trade, in the order they happened. All arrays (K,).

    Attributes:
        buy_id: int64, order id of the bid.
        sell_id: int64, order id of the ask.
        price: float64, currency per MWh: the resting order's price.
        qty: float64, MW traded, > 0.
        aggressor: int8, the side of the incoming order that triggered the trade:
            +1 a bid (buyer-initiated), -1 an ask (seller-initiated).
        seq: int64, trade sequence number since the last reset (0, 1, 2, ...).
    """

    buy_id: NDArray[np.int64]
    sell_id: NDArray[np.int64]
    price: NDArray[np.float64]
    qty: NDArray[np.float64]
    aggressor: NDArray[np.int8]
    seq: NDArray[np.int64]


class ProcessResult(NamedTuple):
    """Outcome of :meth:`ContinuousDoubleAuction.process` on N events.

    Attributes:
        order_id: (N,) int64, the id given to each submitted order; -1 on cancels.
        cancelled: (N,) bool, True where a cancel withdrew a resting order; False on
            submits and on cancels of orders that were not resting (unknown ids,
            filled or already cancelled orders).
        trades: the trades these events made, in order (:class:`Trades`).
    """

    order_id: NDArray[np.int64]
    cancelled: NDArray[np.bool_]
    trades: Trades


class BookSide(NamedTuple):
    """One side of the book in priority order (best first). All arrays (M,).

    Attributes:
        order_id: int64 order ids.
        price: float64 limit prices, currency per MWh.
        qty: float64 open (unfilled) quantity, MW, > 0.
        owner: int64 owner labels.
    """

    order_id: NDArray[np.int64]
    price: NDArray[np.float64]
    qty: NDArray[np.float64]
    owner: NDArray[np.int64]


class BookSnapshot(NamedTuple):
    """A copy of the resting orders: ``bids`` (highest price first) and ``asks``
    (lowest price first); at equal price the earlier order comes first."""

    bids: BookSide
    asks: BookSide


class OrderInfo(NamedTuple):
    """The state of one order.

    Attributes:
        order_id: the id.
        side: +1 bid, -1 ask.
        price: limit price, currency per MWh.
        qty: submitted MW.
        remaining: MW not traded: still resting (``status == "resting"``), withdrawn
            (``"cancelled"``) or 0 (``"filled"``).
        status: ``"resting"``, ``"filled"`` or ``"cancelled"``.
        owner: the owner label given at submission.
    """

    order_id: int
    side: int
    price: float
    qty: float
    remaining: float
    status: str
    owner: int
