"""The forecast agents see and the value that is realised, for one row and period.

A row that follows the dataset (``P.data_row``) realises the data itself, and agents see
the data times ``1 + fc_err`` (the forecast-error path drawn at reset); any other row's
forecast is its profile and its realisation is drawn in the period (``step.py``).
Periods count from the episode's start column ``S.start[e]`` of ``P.forecast_mw``.
"""

from __future__ import annotations

from ._jit import kernel
from .kinds import SOLAR, WIND


@kernel
def source_mw(P, S, e, i, t):
    """The table's value (MW) for period ``t`` of market ``e``'s episode, row ``i``."""
    n = P.forecast_mw.shape[1]
    return P.forecast_mw[i, (S.start[e] + t) % n]


@kernel
def visible_mw(P, S, e, i, t):
    """The forecast (MW) agents see for period ``t`` of market ``e``'s episode, row ``i``."""
    src = source_mw(P, S, e, i, t)
    if P.data_row[e, i] == 0:
        return src
    k = min(max(t, 0), S.fc_err.shape[2] - 1)
    v = max(src * (1.0 + S.fc_err[e, i, k]), 0.0)
    if P.kind[e, i] == WIND or P.kind[e, i] == SOLAR:
        v = min(v, P.cap_mw[e, i])
    return v
