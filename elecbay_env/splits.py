"""Named sets of days of a dataset, for training and evaluation on real dates.

Days are UTC days of the dataset (:class:`elecbay_env.datasets.Dataset`). The three
**week splits** partition the year by ISO week number ``w`` of each day:

* ``test``: ``w % 4 == 0``; ``validation``: ``w % 4 == 2``; ``train``: the rest.

The **out-of-distribution** sets are defined from the data itself, over the whole year
(they overlap the week splits; train on ``train_in_distribution`` to keep them unseen):

* ``ood_peak_demand``: days whose peak ``nd_mw`` is at or above the 95th percentile of
  daily peaks (the 5 % highest-demand days; 19 days of 2024).
* ``ood_wind_drought``: days in runs of at least :data:`DROUGHT_MIN_DAYS` consecutive days
  whose mean ``wind_cf`` is below :data:`DROUGHT_CF` (long, still spells).
* ``ood_low_price``: days on which the market index price (``mid_price_gbp_per_mwh``)
  falls to :data:`LOW_PRICE_PER_MWH` or below in some period (near-zero or negative).

``train_in_distribution`` is ``train`` without any ood day; ``all`` is every day.
An episode of ``days`` days may start on day ``d`` when days ``d .. d + days - 1`` all
belong to the split (:func:`episode_start_days`).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
from numpy.typing import NDArray

from .datasets import Dataset
from .profiles import ProfileError

SplitName = Literal[
    "train", "validation", "test", "train_in_distribution",
    "ood_peak_demand", "ood_wind_drought", "ood_low_price", "all",
]  # fmt: skip
SPLITS: tuple[str, ...] = get_args(SplitName)
"""Every split name accepted by :func:`split_days` (and ``split=`` of the env)."""

PEAK_QUANTILE = 0.95
DROUGHT_CF = 0.15
DROUGHT_MIN_DAYS = 4
LOW_PRICE_PER_MWH = 5.0
OOD_SPLITS = ("ood_peak_demand", "ood_wind_drought", "ood_low_price")


def iso_weeks(days: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """ISO week numbers (1..53) of ``(D,)`` dates."""
    return np.array([d.isocalendar().week for d in days.astype(object)], dtype=np.int64)


def _runs_at_least(flag: NDArray[np.bool_], n: int) -> NDArray[np.bool_]:
    """True on the days of runs of ``flag`` at least ``n`` long."""
    out = np.zeros_like(flag)
    i = 0
    while i < flag.size:
        if flag[i]:
            j = i
            while j < flag.size and flag[j]:
                j += 1
            if j - i >= n:
                out[i:j] = True
            i = j
        else:
            i += 1
    return out


def _ood(dataset: Dataset, name: str) -> NDArray[np.bool_]:
    if name == "ood_peak_demand":
        peak = dataset.daily("nd_mw").max(axis=1)
        return peak >= np.quantile(peak, PEAK_QUANTILE)
    if name == "ood_wind_drought":
        return _runs_at_least(dataset.daily("wind_cf").mean(axis=1) < DROUGHT_CF, DROUGHT_MIN_DAYS)
    return dataset.daily("mid_price_gbp_per_mwh").min(axis=1) <= LOW_PRICE_PER_MWH


def split_mask(dataset: Dataset, name: str) -> NDArray[np.bool_]:
    """``(n_days,)`` True on the days of split ``name``.

    Raises:
        ValueError: an unknown name (the message lists :data:`SPLITS`).
        ProfileError: an ood split of a dataset without the column it is defined on.
    """
    if name not in SPLITS:
        raise ValueError(f"split={name!r}: allowed values are {', '.join(SPLITS)}")
    if name == "all":
        return np.ones(dataset.n_days, bool)
    if name in OOD_SPLITS:
        return _ood(dataset, name)
    week = iso_weeks(dataset.days) % 4
    if name == "test":
        return week == 0
    if name == "validation":
        return week == 2
    train = (week == 1) | (week == 3)
    if name == "train_in_distribution":
        for ood in OOD_SPLITS:
            train &= ~_ood(dataset, ood)
    return train


def split_days(dataset: Dataset, name: str) -> NDArray[np.datetime64]:
    """The dates (``datetime64[D]``) of split ``name``, in order."""
    return dataset.days[split_mask(dataset, name)]


def episode_start_days(dataset: Dataset, name: str, days: int) -> NDArray[np.int64]:
    """Day indices ``d`` where an episode of ``days`` days may start within split ``name``.

    Raises:
        ProfileError: no run of ``days`` consecutive days lies inside the split.
    """
    mask = split_mask(dataset, name)
    n = mask.size - days + 1
    if n < 1:
        raise ProfileError(f"an episode of {days} days is longer than the dataset "
                           f"({mask.size} days)")  # fmt: skip
    ok = np.ones(n, bool)
    for k in range(days):
        ok &= mask[k : k + n]
    starts = np.flatnonzero(ok).astype(np.int64)
    if starts.size == 0:
        raise ProfileError(
            f"split {name!r} has no {days} consecutive days for an episode of market.days = "
            f"{days}; use fewer days or another split"
        )
    return starts
