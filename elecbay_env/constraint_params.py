"""Distribution constraints: the ``anm_*`` parameter arrays built from a scenario.

:func:`constraint_fields` turns a scenario's ``distribution_constraints``
(:mod:`elecbay_env.schema_constraints`) into the ``anm_*`` arrays of
:class:`elecbay_env.params.MarketParams` that the kernel :mod:`elecbay_env.kernels.anm`
reads (K = 0 constraints: :func:`empty_fields`). Shapes: E markets, K constraints, T
episode periods, N rows (broker last). Powers in MW.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from .config import Scenario

EXPORT = 1.0
IMPORT = -1.0


def empty_fields() -> dict[str, object]:
    """The ``anm_*`` fields of a market without constraints (K = 0)."""
    out: dict[str, object] = {
        "n_constraints": 0,
        "anm_dir": np.zeros((1, 0)),
        "anm_limit_mw": np.zeros((1, 0, 0)),
        "anm_member": np.zeros((1, 0, 0, 0), np.int64),
        "anm_nonfirm": np.zeros((1, 0), np.int64),
        "anm_rank": np.zeros((1, 0), np.int64),
        "anm_pro_rata": np.zeros((1, 0), np.int64),
        "anm_comp": np.zeros((1, 0)),
    }
    for v in out.values():
        if isinstance(v, np.ndarray):
            v.setflags(write=False)
    return out


def rank_rows(scenario: Scenario) -> np.ndarray:
    """(N,) int64 each row's place in the curtailment order (0: first off).

    Non-firm rows by connection date, latest first (ties: the later row first), then
    firm rows and the broker (never curtailed) in row order.
    """
    parts = scenario.participants
    n = len(parts) + 1
    nonfirm = [i for i, x in enumerate(parts) if not x.firm]
    nonfirm.sort(key=lambda i: (parts[i].connection_date or dt.date.min, i), reverse=True)
    rest = [i for i in range(n) if i not in nonfirm]
    rank = np.empty(n, np.int64)
    for r, i in enumerate(nonfirm + rest):
        rank[i] = r
    return rank


def constraint_fields(scenario: Scenario, n_markets: int) -> dict[str, object]:
    """The ``anm_*`` parameter arrays (read-only) of E identical markets."""
    cons = scenario.distribution_constraints
    if not cons:
        return empty_fields()
    parts = scenario.participants
    index = {x.name: i for i, x in enumerate(parts)}
    n = len(parts) + 1
    t_n = scenario.market.n_periods
    k_n = len(cons)
    limit = np.zeros((k_n, t_n))
    member = np.zeros((k_n, t_n, n), np.int64)
    for k, c in enumerate(cons):
        values = np.asarray(c.limit_mw, np.float64)
        lim = np.broadcast_to(values if values.ndim == 0 else values[:t_n], (t_n,)).copy()
        mem = np.zeros((t_n, n), np.int64)
        mem[:, [index[x] for x in c.members]] = 1
        for ev in c.events:
            if ev.period >= t_n:
                break
            if ev.limit_mw is not None:
                lim[ev.period :] = ev.limit_mw
            if ev.members is not None:
                mem[ev.period :] = 0
                mem[ev.period :, [index[x] for x in ev.members]] = 1
        limit[k] = lim
        member[k] = mem
    per_market = {
        "anm_dir": np.array([EXPORT if c.direction == "export" else IMPORT for c in cons]),
        "anm_limit_mw": limit,
        "anm_member": member,
        "anm_nonfirm": np.array([0 if x.firm else 1 for x in parts] + [0], np.int64),
        "anm_rank": rank_rows(scenario),
        "anm_pro_rata": np.array([int(c.allocation == "pro_rata") for c in cons], np.int64),
        "anm_comp": np.array([c.compensation_per_mwh for c in cons]),
    }
    out: dict[str, object] = {"n_constraints": k_n}
    for key, value in per_market.items():
        arr = np.repeat(value[None], n_markets, axis=0)
        arr.setflags(write=False)
        out[key] = arr
    return out
