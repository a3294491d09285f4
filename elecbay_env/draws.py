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


def check_seed(seed: object, name: str = "seed") -> int:
    """``seed`` as a Python int, if it is an integer >= 0 (Python ``int`` or a NumPy
    integer; ``bool``, floats such as 1.5 or 2.0 and strings are refused).

    Raises:
        ValueError: naming ``name``, the value and the allowed range.
    """
    if isinstance(seed, bool | np.bool_) or not isinstance(seed, int | np.integer):
        raise ValueError(
            f"{name}={seed!r}: expected an integer >= 0 (int or NumPy integer), "
            f"got {type(seed).__name__}"
        )
    if seed < 0:
        raise ValueError(f"{name}={seed}: allowed range is integers >= 0")
    return int(seed)


def market_seeds(seed: int | Sequence[int] | None, n_markets: int) -> list[int | None]:
    """Per-market seeds: ``seed + e`` for an int, the sequence itself, or fresh entropy.

    Raises:
        ValueError: a seed that is not an integer >= 0 (see :func:`check_seed`), or a
            sequence of the wrong length; nothing is seeded then.
    """
    if seed is None:
        return [None] * n_markets
    if isinstance(seed, str | bytes) or not hasattr(seed, "__iter__"):
        return [check_seed(seed) + e for e in range(n_markets)]
    seeds = list(seed)
    if len(seeds) != n_markets:
        raise ValueError(f"seed: expected {n_markets} per-market seeds, got {len(seeds)}")
    return [check_seed(s, f"seed[{e}]") for e, s in enumerate(seeds)]


def check_reseed(
    markets: np.ndarray, seeds: Sequence[int | None], n_markets: int
) -> tuple[np.ndarray, list[int | None]]:
    """Validate a reseed request before anything changes.

    Args:
        markets: (E,) bool mask of the markets to reseed.
        seeds: one seed (an integer >= 0, or None for fresh entropy) per True entry.

    Returns:
        The market indices and the checked seeds.

    Raises:
        ValueError: naming ``mask`` (wrong shape or a dtype other than bool) or
            ``seeds`` (wrong length or a bad seed).
    """
    arr = np.asarray(markets)
    if arr.dtype != np.bool_:
        raise ValueError(f"mask: expected a bool array of shape ({n_markets},), got {arr.dtype}")
    if arr.shape != (n_markets,):
        raise ValueError(f"mask: expected shape ({n_markets},) (one entry per market), got "
                         f"{arr.shape}")  # fmt: skip
    idx = np.flatnonzero(arr)
    if isinstance(seeds, str | bytes) or not hasattr(seeds, "__len__"):
        raise ValueError(f"seeds: expected a sequence of {len(idx)} seeds, got {seeds!r}")
    if len(seeds) != len(idx):
        raise ValueError(
            f"seeds: expected {len(idx)} seeds (one per market the mask selects), got {len(seeds)}"
        )
    checked = [None if s is None else check_seed(s, f"seeds[{i}]") for i, s in enumerate(seeds)]
    return idx, checked


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
        """Reseed the markets where ``markets`` (E,) is true, in order, from ``seeds``.

        Raises:
            ValueError: a bad mask or seeds (:func:`check_reseed`); nothing changes then.
        """
        idx, seeds = check_reseed(markets, seeds, self.n_markets)
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
