"""Flexibility baselines and delivery verification: pure array functions.

A baseline is what a provider would have consumed without the operator's call; the
delivered flexibility is measured against it from the 5-minute meter reads
(docs/flexibility.md). Every array here is **consumption** in MWh per meter interval
(minus the engine's net injection: a load drawing 2 MW for 5 minutes reads +0.1667;
a storage unit discharging reads negative). Leading axes are free (markets, rows);
the last axis is the meter interval (K of them) unless a docstring says otherwise.

Three methods, chosen per service in the scenario:

* **nominated** (:func:`nominated_baseline`): the provider's own figure in MW, held
  over each interval (made with its offer, fixed at the gate).
* **default profile** (:func:`profile_baseline`): a profile the scenario fixes in
  advance (the engine uses the row's expected load).
* **historical** (:func:`historical_baseline` then :func:`same_day_adjustment`): the
  average of the last ``n_days`` similar days (same day type) at the same intervals,
  raised (never lowered) by how much the hours just before the event ran above that
  average, by at most ``cap_frac`` of the average over those hours.

:func:`bounded_baseline` keeps any baseline within ``baseline_cap_frac`` of the default
profile (the second cap against inflation, on history as well as on the same day).
:func:`delivered_mwh` turns a baseline and the meter reads into delivered MWh, never
negative and never above the accepted MW; :func:`performance` turns delivery into the
share of the availability payment kept.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

Direction = Literal["turn_down", "turn_up"]


def consumption_mwh(meter_mwh: np.ndarray) -> np.ndarray:
    """Consumption (MWh per interval, + drawn) from the engine's meter reads (net
    injection, + generated): their negation."""
    return -np.asarray(meter_mwh, dtype=np.float64)


def nominated_baseline(nominated_mw: np.ndarray, n_intervals: int, meter_h: float) -> np.ndarray:
    """A nominated baseline: ``nominated_mw`` (MW of consumption, shape ``(...)``)
    held over ``n_intervals`` intervals of ``meter_h`` hours; shape ``(..., K)``."""
    mw = np.asarray(nominated_mw, dtype=np.float64)
    return np.repeat((mw * meter_h)[..., None], n_intervals, axis=-1)


def profile_baseline(profile_mw: np.ndarray, meter_h: float) -> np.ndarray:
    """A default-profile baseline: the profile (MW of consumption per interval, shape
    ``(..., K)``) as MWh per interval of ``meter_h`` hours."""
    return np.asarray(profile_mw, dtype=np.float64) * meter_h


def similar_days(day_types: np.ndarray, target_type: int, n_days: int) -> np.ndarray:
    """Indices of the last ``n_days`` days (latest last) whose type is ``target_type``
    among ``day_types`` (shape ``(D,)``, oldest first); fewer when fewer exist."""
    idx = np.flatnonzero(np.asarray(day_types) == target_type)
    return idx[-n_days:] if n_days > 0 else idx[:0]


def historical_baseline(
    history_mwh: np.ndarray, day_types: np.ndarray, target_type: int, n_days: int = 10
) -> np.ndarray:
    """The historical baseline: the mean over the last ``n_days`` similar days.

    Args:
        history_mwh: ``(..., D, K)`` consumption of each past day (oldest first) at the
            K intervals of interest (MWh per interval).
        day_types: ``(D,)`` int type of each past day (e.g. 0 weekday, 1 weekend).
        target_type: the type of the event's day.
        n_days: days averaged (10 in the usual rule).

    Returns:
        ``(..., K)`` MWh per interval; NaN where no similar day exists.
    """
    h = np.asarray(history_mwh, dtype=np.float64)
    days = similar_days(day_types, target_type, n_days)
    if days.size == 0:
        return np.full(h.shape[:-2] + h.shape[-1:], np.nan)
    return h[..., days, :].mean(axis=-2)


def same_day_adjustment(
    baseline_pre_mwh: np.ndarray, metered_pre_mwh: np.ndarray, cap_frac: float | None
) -> np.ndarray:
    """The same-day adjustment (MWh per interval, added to every event interval).

    The mean of ``metered - baseline`` over the W intervals just before the event
    (last axis), kept only when positive (adjusted upward only) and capped at
    ``cap_frac`` times the mean baseline over those intervals: a provider that inflates
    its consumption before an event raises its baseline by at most that much.

    Args:
        baseline_pre_mwh: ``(..., W)`` the unadjusted baseline before the event.
        metered_pre_mwh: ``(..., W)`` the metered consumption then.
        cap_frac: the cap, a fraction of the baseline (>= 0); None: uncapped (to
            measure what the cap is worth).

    Returns:
        ``(...)`` MWh per interval, in ``[0, cap_frac x mean baseline]`` (0 for W = 0).
    """
    b = np.asarray(baseline_pre_mwh, dtype=np.float64)
    m = np.asarray(metered_pre_mwh, dtype=np.float64)
    if b.shape[-1] == 0:
        return np.zeros(b.shape[:-1])
    gap = (m - b).mean(axis=-1)
    up = np.maximum(gap, 0.0)
    if cap_frac is None:
        return up
    return np.minimum(up, cap_frac * np.maximum(b.mean(axis=-1), 0.0))


def bounded_baseline(
    baseline_mwh: np.ndarray, profile_mwh: np.ndarray, cap_frac: float
) -> np.ndarray:
    """The baseline kept within ``[1 - cap_frac, 1 + cap_frac]`` times the default
    profile (same shapes; bounds ordered for a negative profile): what a provider's own
    history or nomination may claim is bounded by its registered profile. A battery's
    profile is 0 (idle), so its baseline is 0 and it delivers a turn-down only by
    discharging, however it charged on earlier days or hours.
    """
    b = np.asarray(baseline_mwh, dtype=np.float64)
    prof = np.asarray(profile_mwh, dtype=np.float64)
    lo = np.minimum(prof * (1.0 - cap_frac), prof * (1.0 + cap_frac))
    hi = np.maximum(prof * (1.0 - cap_frac), prof * (1.0 + cap_frac))
    return np.minimum(np.maximum(b, lo), hi)


def delivered_mwh(
    baseline_mwh: np.ndarray,
    metered_mwh: np.ndarray,
    accepted_mwh: np.ndarray,
    direction: Direction = "turn_down",
) -> np.ndarray:
    """Delivered flexibility per interval (MWh, in ``[0, accepted]``).

    ``baseline - metered`` for a turn-down (consumption reduced), ``metered -
    baseline`` for a turn-up, never negative and never above ``accepted_mwh`` (the
    accepted MW times the interval's hours, broadcast against the interval axis): a
    provider is never paid for more than it sold.
    """
    b = np.asarray(baseline_mwh, dtype=np.float64)
    m = np.asarray(metered_mwh, dtype=np.float64)
    gain = b - m if direction == "turn_down" else m - b
    return np.minimum(np.maximum(gain, 0.0), np.asarray(accepted_mwh, dtype=np.float64))


def performance(
    delivered: np.ndarray, requested: np.ndarray, threshold_frac: float
) -> tuple[np.ndarray, np.ndarray]:
    """Delivery ratio and the share of availability payment kept.

    Args:
        delivered: delivered MWh (any shape).
        requested: requested MWh, same shape (0: nothing was asked, ratio 1).
        threshold_frac: below this ratio the share kept is 0 (and a penalty applies).

    Returns:
        (ratio, kept): ratio = delivered / requested in [0, 1]; kept = ratio at or
        above the threshold, else 0.
    """
    d = np.asarray(delivered, dtype=np.float64)
    r = np.asarray(requested, dtype=np.float64)
    ratio = np.where(r > 0.0, np.minimum(d / np.where(r > 0.0, r, 1.0), 1.0), 1.0)
    kept = np.where(ratio >= threshold_frac, ratio, 0.0)
    return ratio, kept
