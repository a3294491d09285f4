"""Observation features of a zonal market, appended after each role's own features.

Only a scenario with more than one zone (``market.zones > 1``) has them, so a
one-zone scenario's observations keep their layout. Traders see their own zone and
its last traded price; the broker sees every zone's; both see each border's last
forward flow (MW, + from ``from_zone`` to ``to_zone``) and its two limits (MW). The
limits are public (transmission capacity is published), the flows are the forward
auction's outcome, so no agent learns another's private data.
"""

from __future__ import annotations

import numpy as np

from ..kernels import kinds
from ..params import MarketParams
from ..state import MarketState


def zone_feature_names(params: MarketParams, role: str) -> tuple[str, ...]:
    """The zone features of ``role`` (``"trader"`` or ``"broker"``), () with one zone."""
    if params.n_zones <= 1:
        return ()
    if role == "trader":
        head = ["own_zone", "own_zone_price"]
    else:
        head = [f"zone_{z}_price" for z in range(params.n_zones)]
    for b in range(params.n_borders):
        head += [f"border_{b}_flow", f"border_{b}_forward_limit", f"border_{b}_backward_limit"]
    return tuple(head)


def zone_meaning(name: str) -> tuple[str, str]:
    """(meaning, unit) of one zone feature, for the observation tables."""
    if name == "own_zone":
        return "own price zone (market.zones)", "index"
    if name == "own_zone_price":
        return "last clearing price that traded in the own zone", "currency/MWh"
    part = name.split("_")
    if part[0] == "zone":
        return f"last clearing price that traded in zone {part[1]}", "currency/MWh"
    what = "_".join(part[2:])
    text = {
        "flow": f"last forward flow over border {part[1]}, + from from_zone to to_zone",
        "forward_limit": f"limit of border {part[1]} from from_zone to to_zone",
        "backward_limit": f"limit of border {part[1]} back",
    }[what]
    return text, "MW"


def zone_feature_bounds(params: MarketParams, role: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) float64 bounds of the zone features of ``role``."""
    names = zone_feature_names(params, role)
    lo = np.zeros(len(names))
    hi = np.zeros(len(names))
    floor, cap = float(params.price_floor.min()), float(params.price_cap.max())
    limit = float(
        max(params.cap_forward_mw.max(initial=0.0), params.cap_backward_mw.max(initial=0.0))
    )
    for f, name in enumerate(names):
        if name == "own_zone":
            lo[f], hi[f] = 0.0, params.n_zones - 1.0
        elif name.endswith("price"):
            lo[f], hi[f] = floor, cap
        elif name.endswith("flow"):
            lo[f], hi[f] = -limit, limit
        else:
            lo[f], hi[f] = 0.0, limit
    return lo, hi


def zone_features(params: MarketParams, state: MarketState, role: str) -> np.ndarray:
    """(E, N, F_z) zone features of every row as ``role`` sees them (float64)."""
    n_markets, n_rows = params.kind.shape
    borders = np.stack(
        [state.last_flow_mw, np.asarray(params.cap_forward_mw), np.asarray(params.cap_backward_mw)],
        axis=2,
    ).reshape(n_markets, -1)  # (E, 3B): flow, forward, backward per border
    if role == "trader":
        zone = np.asarray(params.zone)
        own_price = np.take_along_axis(state.zone_ref_price, zone, axis=1)
        head = np.stack([zone.astype(np.float64), own_price], axis=2)  # (E, N, 2)
    else:
        head = np.repeat(state.zone_ref_price[:, None, :], n_rows, axis=1)
    tail = np.repeat(borders[:, None, :], n_rows, axis=1)
    return np.concatenate([head, tail], axis=2)


def widen(params: MarketParams, base: np.ndarray, state: MarketState, n_trader: int,
          n_broker: int, width: int) -> np.ndarray:  # fmt: skip
    """Observations ``base`` (E, N, F) with each role's zone features written after its
    own ``n_trader`` / ``n_broker`` features, padded to ``width``."""
    out = np.zeros((base.shape[0], base.shape[1], width), np.float32)
    out[:, :, : base.shape[2]] = base
    broker = params.kind[0] == kinds.BROKER
    for role, rows, start in (("trader", ~broker, n_trader), ("broker", broker, n_broker)):
        extra = zone_features(params, state, role)[:, rows]
        lo, hi = zone_feature_bounds(params, role)
        out[:, rows, start : start + extra.shape[2]] = np.clip(extra, lo, hi)
    return out
