"""Statistics of the evaluation protocol: paired differences, IQM, stratified bootstrap,
performance profiles.

Pure functions on numbers (no tournament types), following the conventions of
Agarwal et al. (2021), *Deep reinforcement learning at the edge of the statistical
precipice* (the ``rliable`` library), and of paired designs with common random numbers:

* :func:`iqm` - the **interquartile mean**: the mean of the middle 50 % of the values,
  trimming 25 % on each side (``scipy.stats.trim_mean(x, 0.25)``). Robust to a few
  outlying runs, less noisy than the median.
* :func:`stratified_bootstrap_ci` - a **stratified bootstrap** percentile interval of a
  statistic of pooled runs: every resample redraws the runs of each stratum (a scenario)
  from that stratum only, with replacement, keeping its size, independently of the
  other strata (:func:`stratified_resample_indices`).
* :func:`performance_profile` - the **run-score distribution**: for each threshold
  ``tau``, the fraction of runs (all strata pooled) whose score exceeds ``tau``, with a
  stratified bootstrap band.
* :func:`paired_difference` - the **paired difference** of a candidate and a baseline
  played on the same seeds: values are matched by seed value (never by position), the
  mean difference gets a bootstrap interval (:func:`elecbay_evaluate.metrics.
  bootstrap_ci`, BCa with a percentile fallback) and the seeds are counted as wins,
  ties and losses.

Every random draw comes from ``numpy.random.default_rng(seed)``, so the same inputs
give the same intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .metrics import bootstrap_ci

__all__ = [
    "IQM_TRIM",
    "PairedDifference",
    "Profile",
    "iqm",
    "paired_difference",
    "performance_profile",
    "stratified_bootstrap_ci",
    "stratified_resample_indices",
    "tau_grid",
]

IQM_TRIM = 0.25
"""Share trimmed from each side by :func:`iqm` (the rliable convention)."""

Statistic = Callable[..., Any]
"""``statistic(x, axis=-1)``: reduces the last axis of an array (e.g. :func:`iqm`)."""


def iqm(values: Sequence[float] | np.ndarray, axis: int = -1) -> float | np.ndarray:
    """Interquartile mean: the mean of the middle 50 % of ``values`` along ``axis``.

    ``scipy.stats.trim_mean(values, 0.25)``: ``floor(0.25 n)`` values are cut from each
    end of the sorted values (``[1, ..., 8]`` -> mean of ``3..6`` = 4.5). With fewer than
    4 values nothing is cut and it is the plain mean.

    Args:
        values: numbers; a 1-D input gives a float, an N-D one an array without ``axis``.
        axis: the axis to reduce.

    Returns:
        The IQM; NaN for an empty input. NaN values are not dropped (use finite values).
    """
    from scipy.stats import trim_mean

    x = np.asarray(values, dtype=np.float64)
    if x.shape[axis] == 0:
        shape = tuple(np.delete(np.asarray(x.shape), axis % x.ndim))
        return math.nan if not shape else np.full(shape, np.nan)
    out = trim_mean(x, IQM_TRIM, axis=axis)
    return float(out) if np.ndim(out) == 0 else np.asarray(out)


def _strata_codes(strata: Sequence[Hashable] | np.ndarray) -> list[np.ndarray]:
    """Positions of each stratum, strata in order of first appearance."""
    labels = list(strata)
    order: dict[Hashable, list[int]] = {}
    for i, s in enumerate(labels):
        order.setdefault(s, []).append(i)
    return [np.asarray(v, dtype=np.intp) for v in order.values()]


def stratified_resample_indices(
    strata: Sequence[Hashable] | np.ndarray, n_resamples: int, rng: np.random.Generator
) -> np.ndarray:
    """Bootstrap indices that resample each stratum from itself.

    Args:
        strata: the stratum (any hashable label, e.g. a scenario) of each run.
        n_resamples: number of resamples.
        rng: the generator to draw from.

    Returns:
        ``(n_resamples, n)`` positions into the runs: column ``i`` of every resample
        holds a run of the same stratum as run ``i``, drawn uniformly with replacement
        and independently of the other strata, so each stratum keeps its size.
    """
    groups = _strata_codes(strata)
    n = sum(g.size for g in groups)
    idx = np.empty((int(n_resamples), n), dtype=np.intp)
    for g in groups:
        idx[:, g] = g[rng.integers(0, g.size, size=(int(n_resamples), g.size))]
    return idx


def _finite(values: Sequence[float] | np.ndarray, strata: Sequence[Hashable] | np.ndarray
            ) -> tuple[np.ndarray, list[Hashable]]:  # fmt: skip
    x = np.asarray(values, dtype=np.float64).ravel()
    labels = list(strata)
    if len(labels) != x.size:
        raise ValueError(f"{x.size} values but {len(labels)} strata labels")
    keep = np.isfinite(x)
    return x[keep], [s for s, k in zip(labels, keep, strict=True) if k]


def stratified_bootstrap_ci(
    values: Sequence[float] | np.ndarray,
    strata: Sequence[Hashable] | np.ndarray | None = None,
    statistic: Statistic = iqm,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> tuple[float, float, float]:
    """A statistic of pooled runs and its stratified bootstrap percentile interval.

    Args:
        values: one number per run (non-finite values are dropped with their labels).
        strata: the stratum of each run (default: one stratum, the plain bootstrap).
        statistic: ``statistic(x, axis=-1)`` of the pooled runs (default :func:`iqm`).
        confidence: level of the interval, in (0, 1).
        n_resamples: bootstrap resamples.
        seed: seed of the generator.

    Returns:
        ``(estimate, low, high)``: the statistic of the runs and the
        ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles of its
        resampled values. ``(nan, nan, nan)`` without runs; the interval is NaN when
        no stratum has 2 runs (nothing to resample), ``(v, v)`` when all runs equal.
    """
    x, labels = _finite(values, [0] * np.size(values) if strata is None else strata)
    if x.size == 0:
        return math.nan, math.nan, math.nan
    estimate = float(statistic(x, axis=-1))
    if max(g.size for g in _strata_codes(labels)) < 2:
        return estimate, math.nan, math.nan
    rng = np.random.default_rng(seed)
    stats = np.asarray(statistic(x[stratified_resample_indices(labels, n_resamples, rng)],
                                 axis=-1), dtype=np.float64)  # fmt: skip
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [alpha, 1.0 - alpha])
    return estimate, float(low), float(high)


def tau_grid(values: Sequence[float] | np.ndarray, n: int = 101) -> np.ndarray:
    """``n`` thresholds evenly spaced from the smallest to the largest finite value
    (one point when they are all equal; empty without finite values)."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.zeros(0)
    lo, hi = float(x.min()), float(x.max())
    return np.array([lo]) if lo == hi else np.linspace(lo, hi, int(n))


@dataclass(frozen=True)
class Profile:
    """A performance profile: ``fraction[k]`` of the runs score above ``taus[k]``."""

    taus: list[float]
    fraction: list[float]
    low: list[float]
    high: list[float]
    n_runs: int

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict (JSON-ready lists)."""
        return asdict(self)


def performance_profile(
    values: Sequence[float] | np.ndarray,
    taus: Sequence[float] | np.ndarray,
    strata: Sequence[Hashable] | np.ndarray | None = None,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> Profile:
    """The run-score distribution: the fraction of runs scoring strictly above each tau.

    Args:
        values: one score per run (all strata pooled; non-finite scores are dropped).
        taus: thresholds.
        strata: the stratum of each run for the band (default: one stratum).
        confidence: level of the band.
        n_resamples: bootstrap resamples.
        seed: seed of the generator.

    Returns:
        A :class:`Profile`: per tau the fraction ``mean(score > tau)`` over the pooled
        runs (each run weighs the same), and a pointwise stratified bootstrap percentile
        band (NaN when no stratum has 2 runs).
    """
    x, labels = _finite(values, [0] * np.size(values) if strata is None else strata)
    t = np.asarray(taus, dtype=np.float64).ravel()
    nan = [math.nan] * t.size
    if x.size == 0:
        return Profile(t.tolist(), nan, nan, nan, 0)
    fraction = [float(np.mean(x > tau)) for tau in t]
    if max(g.size for g in _strata_codes(labels)) < 2:
        return Profile(t.tolist(), fraction, nan, nan, int(x.size))
    rng = np.random.default_rng(seed)
    samples = x[stratified_resample_indices(labels, n_resamples, rng)]
    alpha = (1.0 - confidence) / 2.0
    low, high = [], []
    for tau in t:
        lo, hi = np.quantile((samples > tau).mean(axis=1), [alpha, 1.0 - alpha])
        low.append(float(lo))
        high.append(float(hi))
    return Profile(t.tolist(), fraction, low, high, int(x.size))


@dataclass(frozen=True)
class PairedDifference:
    """Candidate minus baseline on the seeds both played.

    ``higher``/``equal``/``lower`` count the paired seeds where the candidate's value is
    above, equal to (exactly) or below the baseline's. ``seeds`` are the paired seeds
    (sorted); ``unpaired`` the seeds only one side has, or where either value is not
    finite (left out, never shifted onto another seed).
    """

    n: int
    mean: float
    ci_low: float
    ci_high: float
    higher: int
    equal: int
    lower: int
    seeds: list[int] = field(default_factory=list)
    unpaired: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """The fields as a dict."""
        return asdict(self)


def paired_difference(
    candidate: Mapping[int, float],
    baseline: Mapping[int, float],
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> PairedDifference:
    """The seed-paired difference ``candidate - baseline`` and its bootstrap interval.

    Args:
        candidate: seed -> the candidate line-up's value on that seed.
        baseline: seed -> the baseline line-up's value on that seed.
        confidence: level of the interval.
        n_resamples: bootstrap resamples.
        seed: seed of the bootstrap's generator.

    Returns:
        A :class:`PairedDifference`: the mean of the per-seed differences over the seeds
        both sides played (matched by seed value, whatever their order), the interval
        of :func:`~elecbay_evaluate.metrics.bootstrap_ci` of those differences (NaN
        below 2 pairs, ``(d, d)`` when every difference is ``d``) and the counts of
        seeds above, equal to and below the baseline.
    """
    paired, unpaired = [], []
    for s in sorted(set(candidate) | set(baseline)):
        a, b = candidate.get(s), baseline.get(s)
        if a is None or b is None or not (math.isfinite(a) and math.isfinite(b)):
            unpaired.append(int(s))
        else:
            paired.append(int(s))
    d = np.array([float(candidate[s]) - float(baseline[s]) for s in paired], dtype=np.float64)
    low, high = bootstrap_ci(d, confidence, n_resamples, seed)
    return PairedDifference(
        n=int(d.size),
        mean=float(d.mean()) if d.size else math.nan,
        ci_low=low,
        ci_high=high,
        higher=int((d > 0).sum()),
        equal=int((d == 0).sum()),
        lower=int((d < 0).sum()),
        seeds=paired,
        unpaired=unpaired,
    )
