"""Where each episode starts: a real date from a split, its forecast errors, its prices.

A scenario with a ``data`` section starts every episode on a day drawn from the split in
force (:mod:`elecbay_env.splits`) with the market's own generator, right after it is
seeded: the same seed and split give the same date, in any batch. At the same moment
it draws the forecast-error path of the rows that follow the data (their forecast is the
data times ``1 + e``, ``e`` a stationary AR(1) path with the row's ``forecast_error``) and
sets the month's price-index factors on costs and values. A scenario without data starts
every episode at its first period and draws nothing here, exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .kernels import kinds
from .params import MarketParams
from .schema import Scenario
from .state import MarketState


class EpisodeStarts:
    """Start dates, forecast-error paths and price-index factors of E markets.

    Args:
        scenario: the validated scenario (its ``data`` section, if any, is used).
        params: the markets' parameters (costs and values are written per episode
            when the scenario has a price index).
    """

    def __init__(self, scenario: Scenario, params: MarketParams) -> None:
        self.params = params
        self.data = scenario.data
        self.periods_per_day = scenario.market.periods_per_day
        self.rows = np.flatnonzero(params.data_row[0])
        self.dataset = None
        self.days = scenario.market.days
        self.split: str | None = None
        self.start_days = np.zeros(1, np.int64)
        self._cost0 = params.cost_per_mwh.copy()
        self._value0 = params.value_per_mwh.copy()
        self._shifted0 = params.shifted_value_per_mwh.copy()
        self._index_rows: list[tuple[np.ndarray, np.ndarray]] = []  # (rows, 12 factors)
        if self.data is None:
            return
        from .datasets import load_dataset

        self.dataset = load_dataset(self.data.csv, self.data.time_column)
        self.set_split(self.data.split, scenario.market.days)
        for index in self.data.price_index:
            rows = [
                i for i, x in enumerate(scenario.participants)
                if getattr(x, "price_index", None) == index.name
            ]  # fmt: skip
            self._index_rows.append((np.array(rows, np.int64), np.array(index.monthly)))

    def set_split(self, split: str, days: int) -> None:
        """Draw later episodes' dates from ``split``."""
        from .splits import episode_start_days

        if self.dataset is None:
            raise ValueError(
                f"split={split!r}: this scenario has no data section, so its episodes have "
                "no dates; splits need real data (e.g. the 'gb2024' scenario)"
            )
        self.start_days = episode_start_days(self.dataset, split, days)
        self.split = split

    def day_index(self, date: str | np.datetime64) -> int:
        """Index of the dataset day ``date`` (``YYYY-MM-DD``), checked against the dataset
        and the episode length (a chosen date need not lie in the split)."""
        if self.dataset is None:
            raise ValueError(f"date={date!r}: this scenario has no data section, so no dates")
        try:
            d = np.datetime64(str(date)[:10], "D")
        except ValueError:
            raise ValueError(f"date={date!r}: not an ISO date (YYYY-MM-DD)") from None
        days = self.dataset.days
        last = days[-1] - (self.days - 1)
        if not days[0] <= d <= last:
            raise ValueError(f"date={date!r}: allowed range is {days[0]} to {last} "
                             f"(an episode lasts {self.days} days)")  # fmt: skip
        return int((d - days[0]).astype(np.int64))

    def start(
        self,
        state: MarketState,
        markets: np.ndarray,
        gens: Sequence[np.random.Generator],
        dates: Sequence[str | np.datetime64 | None] | None = None,
    ) -> None:
        """Start the episodes of ``markets`` (indices) with their freshly seeded ``gens``.

        ``dates`` (one per market, or None) replaces the drawn date; the draw is made
        anyway, so the forecast errors do not depend on whether a date was chosen.
        """
        if self.dataset is None:
            if dates is not None and any(d is not None for d in dates):
                self.day_index(next(d for d in dates if d is not None))  # raises
            return
        chosen = [None] * len(markets) if dates is None else list(dates)
        if len(chosen) != len(markets):
            raise ValueError(f"dates: expected {len(markets)} dates, got {len(chosen)}")
        fixed = [None if d is None else self.day_index(d) for d in chosen]
        p = self.params
        n_periods = state.fc_err.shape[2]
        for e, g, pick in zip(markets, gens, fixed, strict=True):
            day = int(self.start_days[g.integers(self.start_days.size)])
            day = day if pick is None else pick
            state.start[e] = day * self.periods_per_day
            if self.rows.size:  # data rows start at the day's first value
                first = p.forecast_mw[self.rows, state.start[e]]
                sign = np.where(p.kind[e, self.rows] == kinds.CONSUMER, -1.0, 1.0)
                state.level_mw[e, self.rows] = sign * first
                z = g.standard_normal((self.rows.size, n_periods))
                std = p.err_std[e, self.rows]
                phi = p.err_ar1[e, self.rows]
                path = np.empty_like(z)
                path[:, 0] = std * z[:, 0]
                scale = std * np.sqrt(1.0 - phi * phi)
                for t in range(1, n_periods):
                    path[:, t] = phi * path[:, t - 1] + scale * z[:, t]
                state.fc_err[e, self.rows] = path
            month = int(str(self.dataset.days[day])[5:7]) - 1
            p.cost_per_mwh[e] = self._cost0[e]
            p.value_per_mwh[e] = self._value0[e]
            p.shifted_value_per_mwh[e] = self._shifted0[e]
            for rows, factors in self._index_rows:
                f = factors[month]
                p.cost_per_mwh[e, rows] = self._cost0[e, rows] * f
                p.value_per_mwh[e, rows] = self._value0[e, rows] * f
                p.shifted_value_per_mwh[e, rows] = self._shifted0[e, rows] * f

    def dates(self, state: MarketState) -> np.ndarray:
        """``(E,)`` the UTC date each market's episode started on (``datetime64[D]``);
        ``NaT`` without data."""
        if self.dataset is None:
            return np.full(state.start.shape, np.datetime64("NaT"), "datetime64[D]")
        return self.dataset.days[state.start // self.periods_per_day]


def visible_forecast(params: MarketParams, state: MarketState, t: int) -> np.ndarray:
    """``(E, N)`` MW: the forecast every agent sees for period ``t`` of each episode.

    The same numbers as the kernels' ``visible_mw`` (``kernels/forecast.py``): the table's
    value at the episode's start plus ``t``; for data rows times ``1 + fc_err``, at least
    0, renewables at most their capacity.
    """
    n_src = params.forecast_mw.shape[1]
    cols = (state.start + t) % n_src
    src = params.forecast_mw[:, cols].T  # (E, N)
    k = min(max(t, 0), state.fc_err.shape[2] - 1)
    data = params.data_row == 1
    seen = np.where(data, np.maximum(src * (1.0 + state.fc_err[:, :, k]), 0.0), src)
    renewable = data & ((params.kind == kinds.WIND) | (params.kind == kinds.SOLAR))
    return np.where(renewable, np.minimum(seen, params.cap_mw), seen)
