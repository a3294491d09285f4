"""Codecs: ``Box[-1, 1]`` actions <-> physical bids (MW and currency per MWh).

Every map is affine, ``x = lo + (a + 1) / 2 * (hi - lo)``, so ``decode`` and
``encode`` are exact inverses on the representable set (each value within its range).
Actions outside [-1, 1] are clipped before decoding (documented; stable-baselines3
does the same for Box actions).

**Trader action** (producers and consumers), width ``A = 2 B + 6``:

| Index | Meaning | Range (decoded) | Unit |
| --- | --- | --- | --- |
| 0 .. B-1 | step prices | [price_lo, price_hi] (default: floor, cap) | currency/MWh |
| B .. 2B-1 | step quantities | producers [0, q/B], consumers [-q/B, 0], storage [-q/B, q/B] | MW |
| 2B, 2B+1 | reserve offered, up / down | [0, q] | MW |
| 2B+2, 2B+3 | availability price, up / down | [0, avail_hi] | currency/MW/h |
| 2B+4, 2B+5 | utilisation price, up / down | [price_lo, price_hi] | currency/MWh |

``q`` is the row's capacity (thermal, renewable), power rating (storage) or 1.5 x peak
load (consumers, leaving room for forecast errors). A sign convention holds
throughout: positive MW sell (net injection), negative MW buy.

**Broker action**, width 6: ``[req_up, req_down, max_avail_up, max_avail_down,
max_util_up, max_util_down]`` with requirements in [0, reserve_hi] MW, availability
caps in [0, avail_hi] and utilisation caps in [0, price_hi].
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..kernels import kinds
from ..orders import Orders, empty_orders
from ..params import MarketParams

CONSUMER_QTY_HEADROOM = 1.5
STEP_SLACK = 2.0
"""A step may hold up to this many times its equal share (``q / B``) of a row's MW, so a
curve of two parts (an inflexible block and the rest) fits in whole steps."""
BROKER_ACTION_WIDTH = 6


def trader_action_width(bid_steps: int) -> int:
    """A for producers and consumers."""
    return 2 * bid_steps + 6


class CodecRanges(NamedTuple):
    """Decoded ranges per row; (N, A) arrays ``lo`` and ``hi`` of every action entry."""

    lo: np.ndarray  # (N, A)
    hi: np.ndarray  # (N, A)


class Codec:
    """Decode and encode every row's action at once, over a batch of E markets.

    Args:
        params: the markets (ranges come from market 0; markets share a scenario).
        price_range: (lo, hi) of decoded prices; default the price floor and cap.
        avail_hi: highest availability price (currency per MW per hour).
        reserve_hi: highest reserve requirement the broker may state (MW); default
            half the peak load.
    """

    def __init__(
        self,
        params: MarketParams,
        price_range: tuple[float, float] | None = None,
        avail_hi: float = 200.0,
        reserve_hi: float | None = None,
    ) -> None:
        self.params = params
        self.avail_hi = float(avail_hi)
        b = params.bid_steps
        self.bid_steps = b
        self.width = trader_action_width(b)
        kind = params.kind[0]
        plo, phi = (
            (float(params.price_floor[0]), float(params.price_cap[0]))
            if price_range is None
            else (float(price_range[0]), float(price_range[1]))
        )
        if not (np.isfinite(plo) and np.isfinite(phi) and plo < phi):
            raise ValueError(f"price_range={price_range!r}: need finite lo < hi")
        self.price_range = (plo, phi)
        if not (np.isfinite(avail_hi) and avail_hi > 0):
            raise ValueError(f"avail_hi={avail_hi!r}: allowed range is (0, inf)")
        consumer = kind == kinds.CONSUMER
        peak_load = float(params.forecast_mw[consumer].sum(axis=0).max(initial=0.0))
        if reserve_hi is None:
            reserve_hi = max(0.5 * peak_load, 1.0)
        q = np.where(consumer, CONSUMER_QTY_HEADROOM * params.cap_mw[0], params.cap_mw[0])
        n = params.n_rows
        lo = np.zeros((n, self.width))
        hi = np.zeros((n, self.width))
        lo[:, :b], hi[:, :b] = plo, phi
        step_q = (STEP_SLACK * q / b)[:, None]
        lo[:, b : 2 * b] = np.where(consumer[:, None], -step_q, 0.0)
        hi[:, b : 2 * b] = np.where(consumer[:, None], 0.0, step_q)
        storage = kind == kinds.STORAGE
        lo[storage, b : 2 * b] = -step_q[storage]
        lo[:, 2 * b : 2 * b + 2], hi[:, 2 * b : 2 * b + 2] = 0.0, q[:, None]
        lo[:, 2 * b + 2 : 2 * b + 4], hi[:, 2 * b + 2 : 2 * b + 4] = 0.0, avail_hi
        lo[:, 2 * b + 4 :], hi[:, 2 * b + 4 :] = plo, phi
        broker = kind == kinds.BROKER
        lo[broker] = 0.0
        hi[broker] = 0.0
        hi[broker, 0:2] = reserve_hi
        hi[broker, 2:4] = avail_hi
        hi[broker, 4:6] = phi
        self.ranges = CodecRanges(lo, hi)
        self.broker_rows = np.flatnonzero(broker)
        self.row_width = np.where(broker, BROKER_ACTION_WIDTH, self.width)

    def decode(self, actions: np.ndarray) -> Orders:
        """(E, N, A) actions in [-1, 1] (broker rows use their first 6) -> Orders.

        Values are clipped to [-1, 1]; NaN must be rejected before (the env does).
        """
        a = np.clip(np.asarray(actions, dtype=np.float64), -1.0, 1.0)
        lo, hi = self.ranges
        x = lo + (a + 1.0) * 0.5 * (hi - lo)
        b = self.bid_steps
        o = empty_orders(self.params)
        o.step_price[:] = x[:, :, :b]
        o.step_qty[:] = x[:, :, b : 2 * b]
        o.res_qty[:] = x[:, :, 2 * b : 2 * b + 2]
        o.res_avail[:] = x[:, :, 2 * b + 2 : 2 * b + 4]
        o.res_util[:] = x[:, :, 2 * b + 4 :]
        broker = self.broker_rows
        if len(broker):
            bx = x[:, broker[0]]
            o.step_price[:, broker] = 0.0
            o.step_qty[:, broker] = 0.0
            o.res_qty[:, broker] = 0.0
            o.res_avail[:, broker] = 0.0
            o.res_util[:, broker] = 0.0
            o.req_mw[:] = bx[:, 0:2]
            o.max_avail[:] = bx[:, 2:4]
            o.max_util[:] = bx[:, 4:6]
        return o

    def encode(self, orders: Orders) -> np.ndarray:
        """Orders -> (E, N, A) actions; values outside a range are clipped to it."""
        e = orders.step_price.shape[0]
        b = self.bid_steps
        x = np.zeros((e, self.params.n_rows, self.width))
        x[:, :, :b] = orders.step_price
        x[:, :, b : 2 * b] = orders.step_qty
        x[:, :, 2 * b : 2 * b + 2] = orders.res_qty
        x[:, :, 2 * b + 2 : 2 * b + 4] = orders.res_avail
        x[:, :, 2 * b + 4 :] = orders.res_util
        for r in self.broker_rows:
            x[:, r] = 0.0
            x[:, r, 0:2] = orders.req_mw
            x[:, r, 2:4] = orders.max_avail
            x[:, r, 4:6] = orders.max_util
        lo, hi = self.ranges
        span = np.where(hi > lo, hi - lo, 1.0)
        a = np.where(hi > lo, 2.0 * (np.clip(x, lo, hi) - lo) / span - 1.0, -1.0)
        for r in self.broker_rows:
            a[:, r, BROKER_ACTION_WIDTH:] = 0.0
        return a

    def agent_width(self, row: int) -> int:
        """Action width of one row (A for traders, 6 for the broker)."""
        return int(self.row_width[row])


class TraderBids(NamedTuple):
    """One trader's physical bids; leading batch dims allowed (e.g. (K, B))."""

    step_price: np.ndarray  # (..., B) currency per MWh
    step_qty: np.ndarray  # (..., B) MW, + sell, - buy
    res_qty: np.ndarray  # (..., 2) MW [up, down]
    res_avail: np.ndarray  # (..., 2) currency per MW per hour
    res_util: np.ndarray  # (..., 2) currency per MWh


class BrokerBids(NamedTuple):
    """The broker's reserve request; leading batch dims allowed (e.g. (K, 2))."""

    req_mw: np.ndarray  # (..., 2) MW [up, down]
    max_avail: np.ndarray  # (..., 2) currency per MW per hour
    max_util: np.ndarray  # (..., 2) currency per MWh


class AgentCodec:
    """One agent's view of :class:`Codec`: decode its (..., A) actions to bids in MW
    and currency, and encode bids back. ``decode(encode(b)) == b`` for every ``b``
    within the ranges (``lo``, ``hi``)."""

    def __init__(self, codec: Codec, row: int, role: str) -> None:
        self.codec = codec
        self.row = row
        self.role = role
        self.width = codec.agent_width(row)
        self.lo = codec.ranges.lo[row, : self.width].copy()
        self.hi = codec.ranges.hi[row, : self.width].copy()

    def _x(self, action: np.ndarray) -> np.ndarray:
        a = np.clip(np.asarray(action, dtype=np.float64), -1.0, 1.0)
        if a.shape[-1] != self.width:
            raise ValueError(f"action: expected last dimension {self.width}, got {a.shape}")
        return self.lo + (a + 1.0) * 0.5 * (self.hi - self.lo)

    def decode(self, action: np.ndarray) -> TraderBids | BrokerBids:
        """Action(s) of shape (..., A) in [-1, 1] -> physical bids."""
        x = self._x(action)
        if self.role == "broker":
            return BrokerBids(x[..., 0:2], x[..., 2:4], x[..., 4:6])
        b = self.codec.bid_steps
        return TraderBids(
            x[..., :b], x[..., b : 2 * b], x[..., 2 * b : 2 * b + 2],
            x[..., 2 * b + 2 : 2 * b + 4], x[..., 2 * b + 4 :],
        )  # fmt: skip

    def encode(self, bids: TraderBids | BrokerBids) -> np.ndarray:
        """Physical bids -> action(s) (..., A) in [-1, 1]; out-of-range values clip."""
        x = np.concatenate([np.asarray(f, dtype=np.float64) for f in bids], axis=-1)
        if x.shape[-1] != self.width:
            raise ValueError(f"bids: expected {self.width} values in all, got {x.shape[-1]}")
        span = np.where(self.hi > self.lo, self.hi - self.lo, 1.0)
        a = 2.0 * (np.clip(x, self.lo, self.hi) - self.lo) / span - 1.0
        return np.where(self.hi > self.lo, a, -1.0).astype(np.float32)
