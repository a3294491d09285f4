"""Observation features of a market with distribution constraints (docs/flexibility.md).

Only a scenario with ``distribution_constraints`` has them, appended after each role's
other features, so every other scenario keeps its layout. The network operator's
look-ahead (:func:`elecbay_env.constraints.lookahead`) over the next day (one day of
periods from the one about to be traded) applies the curtailment order list to the
forecasts every agent sees (:func:`elecbay_env.episodes.visible_forecast`: the
scenario's forecast draws included), wind and solar at their forecast and loads at
minus theirs, dispatchable rows at their last contract position. Traders behind a
constraint see whether they are behind one, their place in the order list (0 first
off; firm rows the number of rows), the number of periods of the day expected to be
constrained and their own expected curtailment (MWh) over the day; the broker sees the
expected constrained periods and the total expected curtailment (MWh). Rows not behind a
constraint see zeros for the look-ahead.
"""

from __future__ import annotations

import numpy as np

from ..constraints import lookahead
from ..episodes import visible_forecast
from ..kernels import kinds
from ..params import MarketParams
from ..state import MarketState

MEANINGS = {
    "anm_member": ("1: behind a distribution constraint in the coming period", "0/1"),
    "anm_order_place": ("own place in the curtailment order (0 first; firm: N)", "index"),
    "anm_constrained_periods": ("periods of the next day expected to be constrained", "count"),
    "anm_expected_curtailment": ("own expected curtailment over the next day", "MWh"),
    "anm_total_curtailment": ("expected curtailment of all rows over the next day", "MWh"),
}


def constraint_feature_names(params: MarketParams, role: str) -> tuple[str, ...]:
    """The constraint features of ``role``; () without distribution constraints."""
    if params.n_constraints == 0:
        return ()
    if role == "trader":
        return ("anm_member", "anm_order_place", "anm_constrained_periods",
                "anm_expected_curtailment")  # fmt: skip
    return ("anm_constrained_periods", "anm_total_curtailment")


def constraint_bounds(params: MarketParams, role: str) -> tuple[np.ndarray, np.ndarray]:
    """(low, high) float64 bounds of the constraint features of ``role``."""
    names = constraint_feature_names(params, role)
    day = 1440 // params.period_min
    cap = float(np.abs(params.cap_mw).sum()) * params.period_h * day
    hi_of = {
        "anm_member": 1.0,
        "anm_order_place": float(params.n_rows),
        "anm_constrained_periods": float(day),
        "anm_expected_curtailment": cap,
        "anm_total_curtailment": cap,
    }
    return np.zeros(len(names)), np.array([hi_of[n] for n in names])


def expected_injection(params: MarketParams, state: MarketState, t: int) -> np.ndarray:
    """(E, N) MW each row is expected to inject in episode period ``t``: wind and solar
    their visible forecast, loads minus theirs, other rows their last contract."""
    fc = visible_forecast(params, state, t)
    kind = params.kind
    renewable = (kind == kinds.WIND) | (kind == kinds.SOLAR)
    return np.where(renewable, fc, np.where(kind == kinds.CONSUMER, -fc, state.last_contract_mw))


def add_constraints(
    params: MarketParams,
    state: MarketState,
    base: np.ndarray,
    starts: dict[str, int],
    bounds: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Observations ``base`` (E, N, F0) widened to the bounds' F with each role's
    constraint features written from ``starts[role]``, clipped to the bounds."""
    lo, hi = bounds
    out = np.zeros((base.shape[0], base.shape[1], lo.shape[1]), np.float32)
    out[:, :, : base.shape[2]] = base
    n_markets, n_rows = params.kind.shape
    day = 1440 // params.period_min
    member = np.zeros((n_markets, n_rows))
    periods = np.zeros(n_markets)
    own = np.zeros((n_markets, n_rows))
    for e in range(n_markets):
        t0 = int(state.t[e])
        tt = t0 % params.n_periods
        member[e] = params.anm_member[e, :, tt].any(axis=0)
        expected = np.stack(
            [expected_injection(params, state, t0 + j)[e] for j in range(day)], axis=1
        )
        excess, curtailed = lookahead(params, expected, t0, e)
        periods[e] = float((excess > 0.0).any(axis=0).sum())
        own[e] = curtailed.sum(axis=1) * params.period_h
    place = np.where(params.anm_nonfirm == 1, params.anm_rank, n_rows).astype(np.float64)
    broker = params.kind[0] == kinds.BROKER
    for role, rows in (("trader", ~broker), ("broker", broker)):
        s = starts[role]
        if role == "trader":
            values = [member, place, periods[:, None] * member, own]
        else:
            values = [periods[:, None], own.sum(axis=1, keepdims=True)]
        for f, v in enumerate(values):
            out[:, rows, s + f] = np.broadcast_to(v, (n_markets, n_rows))[:, rows]
        w = len(values)
        out[:, rows, s : s + w] = np.clip(out[:, rows, s : s + w], lo[rows, s : s + w],
                                          hi[rows, s : s + w])  # fmt: skip
    return out
