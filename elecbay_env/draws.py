"""Every random draw of a period, made before the kernels run.

Each market has its own ``numpy.random.Generator``; draws come in fixed-size chunks
of periods, so market ``e``'s numbers never depend on how many markets share the
batch: a batch of E seeded ``seed`` equals E single markets seeded ``seed + e``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

CHUNK_PERIODS = 16


class PeriodDraws(NamedTuple):
    """Random inputs of one period."""

    z: np.ndarray  # (E, N) standard normal innovations of the forecast errors
    u_outage: np.ndarray  # (E, N) uniform [0, 1): forced outage when below its probability
    trip_meter: np.ndarray  # (E, N) int64 meter interval in which an outage strikes


def market_seeds(seed: int | Sequence[int] | None, n_markets: int) -> list[int | None]:
    """Per-market seeds: ``seed + e`` for an int, the sequence itself, or fresh entropy."""
    if seed is None:
        return [None] * n_markets
    if isinstance(seed, int | np.integer):
        if seed < 0:
            raise ValueError(f"seed={seed}: allowed range is integers >= 0")
        return [int(seed) + e for e in range(n_markets)]
    seeds = [int(s) for s in seed]
    if len(seeds) != n_markets:
        raise ValueError(f"seed: expected {n_markets} per-market seeds, got {len(seeds)}")
    return seeds


class DrawStream:
    """Per-market generators that hand out one :class:`PeriodDraws` per period.

    Each market keeps its own position in its own buffered chunk, so markets can be
    reseeded one at a time (a vectorised trainer's autoreset) without touching the
    streams of the others.
    """

    def __init__(self, n_markets: int, n_rows: int, n_meters: int) -> None:
        self.n_markets = n_markets
        self.n_rows = n_rows
        self.n_meters = n_meters
        self._gens: list[np.random.Generator] = []
        self._z = np.empty((n_markets, CHUNK_PERIODS, n_rows))
        self._u = np.empty((n_markets, CHUNK_PERIODS, 2, n_rows))
        self._pos = np.full(n_markets, CHUNK_PERIODS, np.int64)
        self._rows = np.arange(n_markets)
        self.seed(None)

    def seed(self, seed: int | Sequence[int] | None) -> None:
        """Reseed every market (see :func:`market_seeds`) and drop buffered draws."""
        self.reseed_markets(np.ones(self.n_markets, bool), market_seeds(seed, self.n_markets))

    def reseed_markets(self, markets: np.ndarray, seeds: Sequence[int | None]) -> None:
        """Reseed the markets where ``markets`` (E,) is true, in order, from ``seeds``."""
        idx = np.flatnonzero(np.asarray(markets, bool))
        if len(self._gens) != self.n_markets:
            self._gens = [np.random.default_rng(0)] * self.n_markets
        for e, s in zip(idx, seeds, strict=True):
            self._gens[e] = np.random.default_rng(s)
            self._pos[e] = CHUNK_PERIODS

    def generator(self, e: int) -> np.random.Generator:
        """Market ``e``'s generator (an episode's start draws from it right after seeding)."""
        return self._gens[e]

    def next(self) -> PeriodDraws:
        """Draws of the next period for every market (fresh arrays)."""
        for e in np.flatnonzero(self._pos >= CHUNK_PERIODS):
            g = self._gens[e]
            g.standard_normal(out=self._z[e])
            g.random(out=self._u[e])
            self._pos[e] = 0
        pos = self._pos
        u = self._u[self._rows, pos]
        draws = PeriodDraws(
            z=self._z[self._rows, pos],
            u_outage=np.ascontiguousarray(u[:, 0]),
            trip_meter=np.minimum(u[:, 1] * self.n_meters, self.n_meters - 1).astype(np.int64),
        )
        self._pos += 1
        return draws
