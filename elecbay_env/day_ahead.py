"""The day-ahead auction: at the daily gate, every period of the next day clears at once.

Off unless the scenario has ``market.day_ahead`` (``params.da_slots > 0``). At the gate
period (``t % periods_per_day == params.da_gate``) each row hands in one step curve, the
same ``(E, N, B)`` prices (currency per MWh) and quantities (MW, + sell, - buy) as a
period's :class:`elecbay_env.orders.Orders`. For every period ``p`` of the next day the
quantities are the curve's times the row's forecast shape ``shape[e, p, i]`` (see
:func:`forecast_shape`), and a uniform-price auction (zonal when the market has zones,
batched over markets x periods) clears them. The positions (MW, + sold), their cash
(currency over the period, + received) and the zone prices go into the state's ring
(``state.da_*``, slot ``t % da_slots``); the period kernel adds a period's position to
the contract the period's auction adds to and its cash to the forward line, so each party
receives ``q_DA x P_DA + (q_RT - q_DA) x P_RT + imbalance`` (docs/day_ahead.md).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .clearing import clear_batch
from .episodes import visible_forecast
from .kernels import kinds
from .params import MarketParams
from .state import MarketState
from .virtuals import check_virtual_curves
from .zonal import clear_zonal_batch


class DayAheadResult(NamedTuple):
    """One gate's clearing for E markets and the D periods of the next day."""

    first_period: np.ndarray  # (E,) int64 episode period of the day's first period
    price: np.ndarray  # (E, D, Z) each zone's day-ahead price, NaN if no trade
    position_mw: np.ndarray  # (E, D, N) day-ahead position of each row, + sold
    cash: np.ndarray  # (E, D, N) its cash, currency over the period, + received
    congestion_rent: np.ndarray  # (E, D) currency over the period, to the transmission owner
    virtual_mw: np.ndarray | None = None  # (E, D, V) virtual positions, + sold (increments)
    virtual_cash: np.ndarray | None = None  # (E, D, V) their day-ahead cash, + received


def periods_per_day(params: MarketParams) -> int:
    """D, settlement periods per day."""
    return 1440 // params.period_min


def is_gate(params: MarketParams, state: MarketState) -> np.ndarray:
    """(E,) bool: this period's action is a day-ahead curve (the market has one and the
    period is the gate of a day that has a next day in the episode)."""
    if params.da_slots == 0:
        return np.zeros(state.t.shape, bool)
    d = periods_per_day(params)
    next_day = (state.t // d + 1) * d
    return (state.t % d == params.da_gate) & (next_day < params.n_periods)


def forecast_shape(params: MarketParams, state: MarketState, first_period: int) -> np.ndarray:
    """(E, D, N) multipliers of a day-ahead curve's quantities for each period of the day
    starting at ``first_period``: a wind, solar or consumer row's forecast for the period
    over its mean over the day (0 where that mean is 0), 1 for every other row, and 1
    everywhere when ``params.da_shape`` is off."""
    d = periods_per_day(params)
    shape = np.ones((params.n_markets, d, params.n_rows))
    if not params.da_shape:
        return shape
    fc = np.stack([visible_forecast(params, state, first_period + p) for p in range(d)], 1)
    mean = fc.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(mean > 0.0, fc / mean, 0.0)
    k = params.kind[:, None, :]
    shaped = (k == kinds.WIND) | (k == kinds.SOLAR) | (k == kinds.CONSUMER)
    return np.where(shaped, ratio, shape)


def clear_day_ahead(
    params: MarketParams,
    state: MarketState,
    step_price: np.ndarray,
    step_qty: np.ndarray,
    virtual: tuple[np.ndarray, ...] | None = None,
) -> DayAheadResult:
    """Clear the next day's periods for every market at its gate and store the positions.

    Args:
        params, state: the markets; every market must be at a gate (:func:`is_gate`).
        step_price: (E, N, B) currency per MWh of each step.
        step_qty: (E, N, B) MW of each step, + offered (sell), - bid (buy); the broker's
            row is ignored (it trades only in the period's auction).
        virtual: None, or the virtual participants' ``(price, qty, zone)``: (E, V, B)
            currency per MWh, (E, V, B) MW (+ offered, - bid; checked by
            :func:`elecbay_env.virtuals.check_virtual_curves`), (V,) zones and
            optionally (V,) position limits ``max_mw`` (MW); the same
            curve serves every period of the day (no forecast shape). Their positions
            are returned, not stored in the state (:class:`elecbay_env.virtuals.VirtualDesk`
            keeps them).

    Returns:
        The :class:`DayAheadResult`; the state's ring holds the same positions.

    Raises:
        ValueError: no day-ahead market, a market not at its gate, or curves of the
            wrong shape or with non-finite entries (the state is not touched).
    """
    if params.da_slots == 0:
        raise ValueError("market.day_ahead: the scenario has no day-ahead market")
    gate = is_gate(params, state)
    if not gate.all():
        e = int(np.flatnonzero(~gate)[0])
        raise ValueError(
            f"day-ahead curves: market {e} is at period {int(state.t[e])}, not a gate "
            f"(period of the day {params.da_gate}, with a next day in the episode)"
        )
    e_n, n, b = params.n_markets, params.n_rows, params.bid_steps
    price = np.asarray(step_price, np.float64)
    qty = np.asarray(step_qty, np.float64)
    for name, a in (("step_price", price), ("step_qty", qty)):
        if a.shape != (e_n, n, b):
            raise ValueError(f"day-ahead {name}: shape {a.shape}, expected {(e_n, n, b)}")
        if not np.isfinite(a).all():
            raise ValueError(f"day-ahead {name}: entries must be finite")
    k = params.kind[:, :, None]
    producer = (k == kinds.THERMAL) | (k == kinds.WIND) | (k == kinds.SOLAR)
    if np.any(producer & (qty < 0.0)) or np.any((k == kinds.CONSUMER) & (qty > 0.0)):
        raise ValueError(
            "day-ahead step_qty: producers only offer (>= 0 MW), consumers only bid (<= 0 MW)"
        )
    lo, hi = params.price_floor[:, None, None], params.price_cap[:, None, None]
    if np.any((price < lo) & (qty != 0.0)) or np.any((price > hi) & (qty != 0.0)):
        raise ValueError("day-ahead step_price: must be in [price_floor, price_cap]")
    if virtual is not None:
        max_mw = (
            np.asarray(virtual[3]) if len(virtual) > 3 else np.full(virtual[1].shape[1], np.inf)
        )
        v_price, v_qty = check_virtual_curves(params, virtual[0], virtual[1], max_mw)
        virtual = (v_price, v_qty, np.asarray(virtual[2], np.int64))
    d = periods_per_day(params)
    first = (state.t // d + 1) * d
    shape = forecast_shape(params, state, int(first[0]))
    qty = qty.copy()
    qty[:, params.kind[0] == kinds.BROKER, :] = 0.0
    q = qty[:, None, :, :] * shape[:, :, :, None]  # (E, D, N, B)
    p = np.broadcast_to(price[:, None, :, :], q.shape)
    zones = params.zone
    n_all = n
    if virtual is not None:  # asset-less rows after the physical ones, unshaped
        v_price, v_qty, v_zone = virtual
        v = v_qty.shape[1]
        n_all = n + v
        q = np.concatenate([q, np.broadcast_to(v_qty[:, None], (e_n, d, v, b))], axis=2)
        p = np.concatenate([p, np.broadcast_to(v_price[:, None], (e_n, d, v, b))], axis=2)
        zones = np.concatenate([zones, np.broadcast_to(v_zone[None, :], (e_n, v))], axis=1)
    res = _clear(params, p.reshape(e_n * d, n_all * b), q.reshape(e_n * d, n_all * b), zones)
    pos_all = res[1].reshape(e_n, d, n_all)
    cash_all = res[2].reshape(e_n, d, n_all)
    out = DayAheadResult(
        first_period=first.astype(np.int64),
        price=res[0].reshape(e_n, d, -1),
        position_mw=pos_all[:, :, :n],
        cash=cash_all[:, :, :n],
        congestion_rent=res[3].reshape(e_n, d),
        virtual_mw=None if virtual is None else pos_all[:, :, n:],
        virtual_cash=None if virtual is None else cash_all[:, :, n:],
    )
    slots = (first[:, None] + np.arange(d)[None, :]) % params.da_slots  # (E, D)
    rows = np.arange(e_n)[:, None]
    state.da_mw[rows, slots] = out.position_mw
    state.da_cash[rows, slots] = out.cash
    state.da_price[rows, slots] = out.price
    state.da_rent[rows, slots] = out.congestion_rent
    return out


def _clear(params: MarketParams, price: np.ndarray, qty: np.ndarray, zone: np.ndarray):
    """Clear K = E x D books of N x B steps (``zone`` (E, N) of each row); returns zone
    prices (K, Z), row positions (K, N) MW, row cash (K, N) and the congestion rent (K,),
    currency over the period."""
    k_n, nb = price.shape
    n = nb // params.bid_steps
    d = k_n // params.n_markets
    per = np.repeat(np.arange(params.n_markets), d)  # market of each book
    period_h = params.period_min / 60.0
    # sort steps into (padded) bid and offer books, remembering their rows
    bid = qty < 0.0
    ask = qty > 0.0
    row_of = np.tile(np.repeat(np.arange(n), params.bid_steps), (k_n, 1))
    order_b = np.argsort(~bid, axis=1, kind="stable")
    order_a = np.argsort(~ask, axis=1, kind="stable")
    n_bids = bid.sum(axis=1)
    n_asks = ask.sum(axis=1)
    take = np.take_along_axis
    bp, bq = take(price, order_b, 1), -take(qty, order_b, 1)
    ap, aq = take(price, order_a, 1), take(qty, order_a, 1)
    b_row, a_row = take(row_of, order_b, 1), take(row_of, order_a, 1)
    pad_b = np.arange(nb)[None, :] >= n_bids[:, None]
    pad_a = np.arange(nb)[None, :] >= n_asks[:, None]
    bq[pad_b] = 0.0
    aq[pad_a] = 0.0
    floor = params.price_floor[per]
    cap = params.price_cap[per]
    bp = np.where(pad_b, floor[:, None], bp)
    ap = np.where(pad_a, floor[:, None], ap)
    zones = zone[per]  # (K, N)
    kk = params.k[per]
    if params.n_zones > 1:
        r = clear_zonal_batch(
            bp, bq, take(zones, b_row, 1), ap, aq, take(zones, a_row, 1), params.n_zones,
            params.net_border_from, params.net_border_to, params.cap_forward_mw[per],
            params.cap_backward_mw[per], n_bids=n_bids, n_asks=n_asks, k=kk,
            price_floor=floor, price_cap=cap,
        )  # fmt: skip
        zp = r.zone_price
        b_paid = take(zp, take(zones, b_row, 1), 1)
        a_paid = take(zp, take(zones, a_row, 1), 1)
        bf, af = r.bid_fill, r.ask_fill
        rent = r.congestion_rent.sum(axis=1) * period_h
    else:
        pricing = "pay_as_bid" if params.pay_as_bid else "uniform"
        r = clear_batch(
            bp, bq, ap, aq, n_bids=n_bids, n_asks=n_asks, k=kk, pricing=pricing,
            price_floor=floor, price_cap=cap,
        )  # fmt: skip
        zp = np.where(r.volume > 0.0, r.price, np.nan)[:, None]
        b_paid, a_paid = r.bid_price_paid, r.ask_price_received
        bf, af = r.bid_fill, r.ask_fill
        rent = np.zeros(k_n)
    pos = np.zeros((k_n, n))
    cash = np.zeros((k_n, n))
    kk_idx = np.arange(k_n)[:, None]
    np.add.at(pos, (kk_idx, b_row), -bf)
    np.add.at(pos, (kk_idx, a_row), af)
    np.add.at(cash, (kk_idx, b_row), -np.where(bf > 0.0, bf * np.nan_to_num(b_paid), 0.0))
    np.add.at(cash, (kk_idx, a_row), np.where(af > 0.0, af * np.nan_to_num(a_paid), 0.0))
    return zp, pos, cash * period_h, rent
