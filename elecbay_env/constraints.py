"""Distribution constraints, Python face: the order list, look-ahead and statement notes.

The ``anm_*`` parameter arrays are built by :mod:`elecbay_env.constraint_params`.
:func:`curtailment_order` is the merit order list (last-in-first-off: latest
connection date first; firm rows never). :func:`lookahead` is the operator's constraint
look-ahead for the coming periods. Shapes: E markets, K constraints, T episode
periods, N rows (broker last). Powers in MW, energies in MWh.
"""

from __future__ import annotations

import numpy as np

from .params import MarketParams
from .period import PeriodOutcome
from .state import MarketState


def curtailment_order(params: MarketParams, e: int = 0) -> list[int]:
    """Rows of market ``e`` that ANM may curtail, first off first (the merit order list)."""
    rank = params.anm_rank[e]
    rows = [i for i in range(rank.shape[0]) if params.anm_nonfirm[e, i]]
    return sorted(rows, key=lambda i: rank[i])


def members_at(params: MarketParams, k: int, t: int, e: int = 0) -> np.ndarray:
    """(N,) bool: rows behind constraint ``k`` in episode period ``t``."""
    return params.anm_member[e, k, t % params.n_periods].astype(bool)


def lookahead(
    params: MarketParams, expected_mw: np.ndarray, t0: int, e: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """The operator's constraint look-ahead for periods ``t0 .. t0 + H - 1``.

    Args:
        params: the markets' parameters (K >= 1 constraints).
        expected_mw: (N, H) each row's expected net injection in each coming period
            (MW, + injection), e.g. its forecast availability (renewables, + ) or load (-).
        t0: episode period of the first column.
        e: the market.

    Returns:
        ``excess_mw`` (K, H): expected flow above each limit (MW, >= 0, 0 where the
        constraint is not expected to bind), and ``curtailed_mw`` (N, H): the expected
        curtailment of each row in the current order (MW, >= 0).
    """
    n, h = expected_mw.shape
    k_n = params.n_constraints
    excess = np.zeros((k_n, h))
    curtailed = np.zeros((n, h))
    order = curtailment_order(params, e)
    for j in range(h):
        t = (t0 + j) % params.n_periods
        lv = expected_mw[:, j].astype(np.float64).copy()
        for k in range(k_n):
            d = params.anm_dir[e, k]
            mem = params.anm_member[e, k, t].astype(bool)
            over = float(d * lv[mem].sum() - params.anm_limit_mw[e, k, t])
            excess[k, j] = max(over, 0.0)
            if over <= 0.0:
                continue
            if params.anm_pro_rata[e, k]:
                flex = mem & (params.anm_nonfirm[e] == 1) & (d * lv > 0.0)
                total = float((d * lv[flex]).sum())
                frac = min(over / total, 1.0) if total > 0.0 else 0.0
                c = np.where(flex, d * lv * frac, 0.0)
                lv -= d * c
                curtailed[:, j] += c
                continue
            for i in order:
                if over <= 0.0:
                    break
                if mem[i] and d * lv[i] > 0.0:
                    c = min(d * lv[i], over)
                    lv[i] -= d * c
                    curtailed[i, j] += c
                    over -= c
    return excess, curtailed


def anm_notes(
    agents: list[str],
    params: MarketParams,
    state: MarketState,
    out: PeriodOutcome,
    t: int,
    e: int = 0,
) -> dict[str, list[str]]:
    """Statement lines of period ``t`` (the one ``out`` holds) about curtailment: energy
    curtailed, curtailment moved by trades, trades cancelled by verification, and limits
    non-firm units could not keep. Agents without a line are left out."""
    notes: dict[str, list[str]] = {}
    for i, agent in enumerate(agents):
        lines = []
        if out.anm_curtailed_mwh[e, i] > 0.0:
            lines.append(f"curtailed {out.anm_curtailed_mwh[e, i]:.3f} MWh by ANM (instructed)")
        if out.anm_trade_mwh[e, i] != 0.0:
            side = "took" if out.anm_trade_mwh[e, i] > 0.0 else "moved off"
            lines.append(
                f"curtailment trade: {side} {abs(out.anm_trade_mwh[e, i]):.3f} MWh"
                f" for {out.anm_cash[e, i]:+.2f}"
            )
        if out.anm_cancelled[e, i]:
            seller = agents[int(state.anm_partner[e, t % params.n_periods, i])]
            lines.append(
                f"curtailment trade cancelled: {seller} no longer behind the same constraint"
            )
        if lines:
            notes[agent] = lines
    if params.n_constraints and out.anm_excess_mw[e].max() > 0.0:
        worst = float(out.anm_excess_mw[e].max())
        notes.setdefault(agents[-1], []).append(
            f"limit exceeded by {worst:.3f} MW: non-firm units could not resolve it"
        )
    return notes
