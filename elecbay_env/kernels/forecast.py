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
def forecast_arrays(P, S):
    """The arrays :func:`source_mw` and :func:`visible_mw` read, taken out of the named
    tuples once per market: ``(P.forecast_mw, S.start, P.data_row, S.fc_err, P.kind,
    P.cap_mw)``. A call that takes ``P`` and ``S`` themselves copies every field of both
    (about 0.5 microseconds), which per agent and period was most of the observation
    kernel's time."""
    return (P.forecast_mw, S.start, P.data_row, S.fc_err, P.kind, P.cap_mw)


@kernel
def source_mw(F, e, i, t):
    """The table's value (MW) for period ``t`` of market ``e``'s episode, row ``i``
    (``F`` from :func:`forecast_arrays`)."""
    forecast_mw, start = F[0], F[1]
    n = forecast_mw.shape[1]
    return forecast_mw[i, (start[e] + t) % n]


@kernel
def visible_mw(F, e, i, t):
    """The forecast (MW) agents see for period ``t`` of market ``e``'s episode, row ``i``
    (``F`` from :func:`forecast_arrays`)."""
    src = source_mw(F, e, i, t)
    _, _, data_row, fc_err, kind, cap_mw = F
    if data_row[e, i] == 0:
        return src
    k = min(max(t, 0), fc_err.shape[2] - 1)
    v = max(src * (1.0 + fc_err[e, i, k]), 0.0)
    if kind[e, i] == WIND or kind[e, i] == SOLAR:
        v = min(v, cap_mw[e, i])
    return v
