"""Decoded physical orders of one period for E markets, and their validation.

A row's forward **step curve** holds B steps of (price, signed MW): positive quantity
offers to sell (net injection), negative bids to buy. Producers (thermal, wind,
solar) only sell, consumers only buy, storage may do both, the broker submits no
forward steps. A zero quantity is an unused step.

**Reserve offers** per row and direction (``[:, :, 0]`` up, ``[:, :, 1]`` down): MW,
availability price (currency per MW per hour) and utilisation price (currency per
MWh; for down reserve the price the provider pays for energy it no longer delivers).
The **broker** states its requirement (MW) and caps per direction.

Magnitudes are bounded so that sums over agents and steps stay finite in float64:
quantities (``step_qty``, ``res_qty``, ``req_mw``) within ``MAX_QTY`` (1e9 MW) in
absolute value, prices (``res_avail``, ``res_util``, ``max_avail``, ``max_util``)
within ``MAX_ABS_PRICE`` (1e9 currency per MWh or per MW per hour); step prices lie in
the scenario's ``[price_floor, price_cap]``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .clearing import MAX_ABS_PRICE, MAX_QTY
from .kernels import kinds
from .params import MarketParams


class Orders(NamedTuple):
    """Orders of E markets for one period."""

    step_price: np.ndarray  # (E, N, B) currency per MWh
    step_qty: np.ndarray  # (E, N, B) MW, + sell, - buy
    res_qty: np.ndarray  # (E, N, 2) MW offered, [up, down]
    res_avail: np.ndarray  # (E, N, 2) availability price, currency per MW per hour
    res_util: np.ndarray  # (E, N, 2) utilisation price, currency per MWh
    req_mw: np.ndarray  # (E, 2) broker's reserve requirement, [up, down]
    max_avail: np.ndarray  # (E, 2) broker's cap on availability prices
    max_util: np.ndarray  # (E, 2) broker's cap on the utilisation price it pays


def empty_orders(params: MarketParams) -> Orders:
    """Orders that trade nothing and offer no reserve (zeros everywhere)."""
    e, n = params.kind.shape
    b = params.bid_steps
    return Orders(
        step_price=np.zeros((e, n, b)),
        step_qty=np.zeros((e, n, b)),
        res_qty=np.zeros((e, n, 2)),
        res_avail=np.zeros((e, n, 2)),
        res_util=np.zeros((e, n, 2)),
        req_mw=np.zeros((e, 2)),
        max_avail=np.zeros((e, 2)),
        max_util=np.zeros((e, 2)),
    )


_QUANTITIES = frozenset({"step_qty", "res_qty", "req_mw"})


def _where(mask: np.ndarray, agents: list[str] | None) -> str:
    idx = np.argwhere(mask)[0]
    if agents is not None and mask.ndim == 3:
        return f"[market {idx[0]}, {agents[idx[1]]}" + "".join(f", {i}" for i in idx[2:]) + "]"
    return "[" + ", ".join(str(i) for i in idx) + "]"


def validate_orders(params: MarketParams, orders: Orders, agents: list[str] | None = None) -> None:
    """Check shapes, finiteness, ranges and sides; raise ``ValueError`` naming the field.

    Raises:
        ValueError: e.g. ``step_price[market 0, producer_1, 2]=nan: ...`` naming the
            field, where, the value and the allowed range.
    """
    e, n = params.kind.shape
    shapes = {
        "step_price": (e, n, params.bid_steps),
        "step_qty": (e, n, params.bid_steps),
        "res_qty": (e, n, 2),
        "res_avail": (e, n, 2),
        "res_util": (e, n, 2),
        "req_mw": (e, 2),
        "max_avail": (e, 2),
        "max_util": (e, 2),
    }
    for name, shape in shapes.items():
        arr = getattr(orders, name)
        if not isinstance(arr, np.ndarray) or arr.shape != shape or arr.dtype != np.float64:
            got = getattr(arr, "shape", type(arr).__name__)
            raise ValueError(f"{name}: expected a float64 array of shape {shape}, got {got}")
        bad = ~np.isfinite(arr)
        if bad.any():
            raise ValueError(
                f"{name}{_where(bad, agents)}={arr[bad][0]!r}: must be finite (not NaN or inf)"
            )
    for name in shapes:
        arr = getattr(orders, name)
        limit = MAX_QTY if name in _QUANTITIES else MAX_ABS_PRICE
        bad = np.abs(arr) > limit
        if bad.any():
            unit = "MW" if name in _QUANTITIES else "currency per MWh (or per MW per hour)"
            raise ValueError(
                f"{name}{_where(bad, agents)}={float(arr[bad][0])!r}: allowed magnitude is at most "
                f"{limit:g} {unit}"
            )
    floor = params.price_floor[:, None, None]
    cap = params.price_cap[:, None, None]
    active = orders.step_qty != 0.0
    bad = active & ((orders.step_price < floor) | (orders.step_price > cap))
    if bad.any():
        i = tuple(np.argwhere(bad)[0])
        raise ValueError(
            f"step_price{_where(bad, agents)}={orders.step_price[i]!r}: allowed range is "
            f"[price_floor, price_cap] = [{params.price_floor[i[0]]}, {params.price_cap[i[0]]}]"
        )
    kind = params.kind[:, :, None]
    # with a day-ahead market the period's auction trades deviations both ways
    # (docs/day_ahead.md): a producer may buy back, a consumer sell back
    one_way = params.da_slots == 0
    sells_only = (kind == kinds.THERMAL) | (kind == kinds.WIND) | (kind == kinds.SOLAR)
    bad = one_way & sells_only & (orders.step_qty < 0.0)
    if bad.any():
        raise ValueError(
            f"step_qty{_where(bad, agents)}={orders.step_qty[bad][0]!r}: producers only offer "
            "to sell; allowed range is [0, inf) MW"
        )
    bad = one_way & (kind == kinds.CONSUMER) & (orders.step_qty > 0.0)
    if bad.any():
        raise ValueError(
            f"step_qty{_where(bad, agents)}={orders.step_qty[bad][0]!r}: consumers only bid "
            "to buy; allowed range is (-inf, 0] MW"
        )
    bad = (kind == kinds.BROKER) & active
    if bad.any():
        raise ValueError(f"step_qty{_where(bad, agents)}: the broker submits no forward steps")
    for name in ("res_qty", "res_avail", "req_mw", "max_avail"):
        arr = getattr(orders, name)
        bad = arr < 0.0
        if bad.any():
            raise ValueError(
                f"{name}{_where(bad, agents)}={arr[bad][0]!r}: allowed range is [0, inf)"
            )
