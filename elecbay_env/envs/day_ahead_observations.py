"""Observation features of a market with a day-ahead auction (docs/day_ahead.md).

Only a scenario with ``market.day_ahead`` has them, appended after each role's own (and
zone) features, so every other scenario keeps its layout. ``day_ahead_gate`` is 1 in the
gate period, where an agent's action is its day-ahead curve for the next day (the phase
flag); traders also see ``own_day_ahead`` (MW, + sold), their day-ahead position for the
period about to be traded, which the period's auction trades deviations from.
"""

from __future__ import annotations

import numpy as np

from ..day_ahead import is_gate
from ..episodes import visible_forecast
from ..kernels import kinds
from ..params import MarketParams
from ..state import MarketState

MEANINGS = {
    "day_ahead_gate": ("1: this action is the day-ahead curve for the next day", "0/1"),
    "own_day_ahead": ("own day-ahead position for the coming period, + sold", "MW"),
    "own_next_day_forecast": ("at the gate: own mean forecast over the next day, else 0", "MW"),
}


def day_ahead_feature_names(params: MarketParams, role: str) -> tuple[str, ...]:
    """The day-ahead features of ``role``; () without a day-ahead market."""
    if params.da_slots == 0:
        return ()
    if role == "trader":
        return ("day_ahead_gate", "own_day_ahead", "own_next_day_forecast")
    return ("day_ahead_gate",)


def day_ahead_bounds(
    params: MarketParams, role: str, position_lo: float, position_hi: float
) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) bounds; ``position_lo``/``_hi`` (MW) bound a row's forward position."""
    names = day_ahead_feature_names(params, role)
    lo = np.array([position_lo if n == "own_day_ahead" else 0.0 for n in names])
    hi = np.array([1.0 if n == "day_ahead_gate" else position_hi for n in names])
    return lo, hi


def add_day_ahead(
    params: MarketParams,
    state: MarketState,
    base: np.ndarray,
    starts: dict[str, int],
    bounds: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Observations ``base`` (E, N, F0) widened to the bounds' F with each role's
    day-ahead features written from ``starts[role]``, clipped to the bounds."""
    lo, hi = bounds
    out = np.zeros((base.shape[0], base.shape[1], lo.shape[1]), np.float32)
    out[:, :, : base.shape[2]] = base
    gate = is_gate(params, state).astype(np.float64)  # (E,)
    slot = state.t % params.da_slots
    position = state.da_mw[np.arange(params.n_markets), slot]  # (E, N)
    next_day = np.zeros(position.shape)
    if gate.any():
        d = 1440 // params.period_min
        first = int((state.t[0] // d + 1) * d)
        fc = [visible_forecast(params, state, first + p) for p in range(d)]
        next_day = np.where(gate[:, None] > 0, np.mean(fc, axis=0), 0.0)
    broker = params.kind[0] == kinds.BROKER
    for role, rows in (("trader", ~broker), ("broker", broker)):
        s = starts[role]
        out[:, rows, s] = gate[:, None]
        if role == "trader":
            out[:, rows, s + 1] = position[:, rows]
            out[:, rows, s + 2] = next_day[:, rows]
        w = len(day_ahead_feature_names(params, role))
        out[:, rows, s : s + w] = np.clip(out[:, rows, s : s + w], lo[rows, s : s + w],
                                          hi[rows, s : s + w])  # fmt: skip
    return out
