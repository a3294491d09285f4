"""Observations of every agent, one pass over (E, N): the kernel behind
:func:`elecbay_env.envs.observations.observe` (the feature tables live there).

``P`` and ``S`` are the params and state named tuples; ``lo``/``hi`` (N, F) the bounds
every value is clipped into; ``out`` (E, N, F) float32.
"""

from __future__ import annotations

import math

from ._jit import kernel, parallel_kernel, prange
from .forecast import forecast_arrays, visible_mw
from .kinds import BROKER, CONSUMER, SOLAR, STORAGE, THERMAL, WIND

ERR_CLIP = 3.0


@kernel
def _observe_market(P, S, lo, hi, out, e):
    n = P.kind.shape[1]
    n_periods = P.episode_periods
    t = S.t[e]
    periods_per_day = 1440 // P.period_min
    period_h = P.period_min / 60.0
    tod = (t % periods_per_day) / periods_per_day
    demand = 0.0
    renewable = 0.0
    err_var = 0.0
    thermal_available = 0.0
    largest = 0.0
    ramp = 0.0
    F = forecast_arrays(P, S)
    for i in range(n):
        k = P.kind[e, i]
        fc = visible_mw(F, e, i, t)
        if k == CONSUMER:
            demand += fc
        if k == WIND or k == SOLAR:
            renewable += fc
        if k == CONSUMER or k == WIND or k == SOLAR:
            err_var += (P.err_std[e, i] * fc) ** 2
        if k == THERMAL and S.outage_left[e, i] <= 0:
            thermal_available += P.cap_mw[e, i]
            if P.outage_prob[e, i] > 0.0:  # only a unit that can trip is a credible loss
                largest = max(largest, S.level_mw[e, i])
        if S.t[e] > 0 and (k == CONSUMER or k == WIND or k == SOLAR):
            before = visible_mw(F, e, i, t - 1)
            ramp += fc - before if k == CONSUMER else before - fc
    public = (
        math.sin(2 * math.pi * tod), math.cos(2 * math.pi * tod), S.t[e] / n_periods,
        S.ref_price[e], S.last_imbalance_price[e], S.last_niv_mwh[e], demand, renewable,
    )  # fmt: skip
    for i in range(n):
        x = out[e, i]
        for f in range(x.shape[0]):
            x[f] = 0.0
        for f in range(8):
            x[f] = public[f]
        k = P.kind[e, i]
        if k == BROKER:
            x[8] = math.sqrt(err_var)
            x[9] = thermal_available
            x[10] = S.last_unserved_mwh[e]
            x[11] = S.last_curtailed_mwh[e]
            x[12] = S.last_activated_up_mwh[e]
            x[13] = S.last_activated_down_mwh[e]
            x[14] = P.voll_per_mwh[e]
            x[15] = largest
            x[16] = ramp
        else:
            fc = visible_mw(F, e, i, t)
            cap = P.cap_mw[e, i]
            level = S.level_mw[e, i]
            outage = S.outage_left[e, i] > 0
            if k == THERMAL:
                x[8] = 0.0 if outage else cap
                x[13] = 0.0 if outage else max(cap - max(level, 0.0), 0.0)
                x[15] = S.run_periods[e, i] * period_h
                x[17] = S.on[e, i]
            elif k == WIND or k == SOLAR:
                x[8] = fc
                x[13] = max(fc - level, 0.0)
            elif k == STORAGE:
                energy = P.soc_max_mwh[e, i] - P.soc_min_mwh[e, i]
                x[13] = max(cap - level, 0.0)
                soc = (S.soc_mwh[e, i] - P.soc_min_mwh[e, i]) / max(energy, 1e-12)
                x[14] = min(max(soc, 0.0), 1.0)  # rounding dust at the bounds
                x[23] = energy
                x[24] = P.eff[e, i] ** 2
            else:
                x[8] = fc
                x[25] = P.flexible_frac[e, i]
            x[9] = cap
            x[10] = P.value_per_mwh[e, i] if k == CONSUMER else P.cost_per_mwh[e, i]
            x[11] = P.min_stable_mw[e, i]
            x[12] = level
            x[16] = S.outage_left[e, i]
            x[18] = S.last_contract_mw[e, i]
            x[19] = S.last_imbalance_mwh[e, i]
            x[20] = min(max(S.err[e, i], -ERR_CLIP), ERR_CLIP)
            x[21] = k
            x[22] = P.startup_cost[e, i]
            if k == THERMAL:
                x[26] = P.ramp_mw_per_min[e, i]
                x[27] = 0.0 if S.on[e, i] else S.off_periods[e, i] * period_h
        for f in range(x.shape[0]):
            x[f] = min(max(x[f], lo[i, f]), hi[i, f])


def _observe_markets(P, S, lo, hi, out):
    for e in prange(P.kind.shape[0]):
        _observe_market(P, S, lo, hi, out, e)


observe_markets = parallel_kernel(_observe_markets)
"""Every market's observations, parallel over E."""
observe_markets_serial = kernel(_observe_markets)
"""The same without threads, for small batches."""
