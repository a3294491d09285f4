"""The market engine without PettingZoo: build, reset with a seed, step E markets.

>>> from elecbay_env.engine import Engine
>>> eng = Engine("small", n_markets=2)
>>> eng.reset(seed=0)
>>> orders = eng.empty_orders()
>>> out = eng.step(orders)
>>> out.reward.shape
(2, 5)

The PettingZoo environment, the vector view and the evaluator all drive this class,
so there is one code path for one market or thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .config import Scenario, load_scenario
from .day_ahead import DayAheadResult, clear_day_ahead, is_gate
from .draws import DrawStream, PeriodDraws, check_reseed, market_seeds
from .episodes import EpisodeStarts
from .flexibility import FlexibilityOperator
from .ledger import Ledger
from .orders import Orders, empty_orders, validate_orders
from .params import MarketParams, agents_of, build_params
from .participation import Participation, build_participation
from .period import PeriodOutcome, allocate_outcome, step_period
from .state import MarketState, allocate, reset_rows
from .virtuals import VirtualDesk


class Engine:
    """E markets of one scenario, stepped one settlement period at a time.

    Args:
        scenario: a :class:`Scenario`, a shipped scenario name (``"default"``,
            ``"small"``), a YAML path, a dict, or None for the embedded default.
        n_markets: E, markets stepped together (>= 1).
        keep_ledger: record every period's statements and meter reads (memory grows
            with E x periods; switch off for training and benchmarks).
        validate: check every period's orders (shapes, finiteness, sides, bounds).
        split: for a scenario with real data, the split episodes' dates are drawn from
            (:data:`elecbay_env.splits.SPLITS`); None keeps the scenario's ``data.split``.
        **overrides: dotted scenario overrides, e.g. ``{"market.days": 2}``.
    """

    def __init__(
        self,
        scenario: Scenario | str | dict[str, Any] | None = None,
        n_markets: int = 1,
        keep_ledger: bool = True,
        validate: bool = True,
        split: str | None = None,
        **overrides: Any,
    ) -> None:
        if isinstance(scenario, Scenario) and not overrides:
            self.scenario = scenario
        else:
            self.scenario = load_scenario(scenario, **overrides)
        if split is not None:
            self._check_split(split)
            if split != self.scenario.data.split:  # type: ignore[union-attr]
                self.scenario = load_scenario(self.scenario, **{"data.split": split})
        self.params: MarketParams = build_params(self.scenario, n_markets)
        self.episodes = EpisodeStarts(self.scenario, self.params)
        self.agents: list[str] = agents_of(self.scenario)
        self.state: MarketState = allocate(self.params)
        self.draws = DrawStream(n_markets, self.params.n_rows, self.params.n_meters)
        self.outcome: PeriodOutcome = allocate_outcome(self.params)
        self.validate = validate
        self.keep_ledger = keep_ledger
        self.ledger = Ledger(self.agents, self.params)
        self.flexibility: FlexibilityOperator | None = None
        self.virtuals: VirtualDesk | None = None  # docs/day_ahead.md, virtual participants
        da = self.scenario.market.day_ahead
        if da is not None and da.virtuals:
            self.virtuals = VirtualDesk(self.scenario, self.params)
        if self.scenario.flexibility is not None:  # docs/flexibility.md
            self.flexibility = FlexibilityOperator(self.scenario, self.params, self.agents)
        # risk limits, pre-qualification, options (docs/participation.md); None: none
        self.participation: Participation | None = build_participation(
            self.scenario, self.agents, n_markets
        )
        if self.flexibility is not None and self.participation is not None:
            self.flexibility.screen = self.participation  # pre-qualified offers only
        self._seeded = False
        self._ever_seeded = False

    def _check_split(self, split: str) -> None:
        from .splits import SPLITS

        if split not in SPLITS:
            raise ValueError(f"split={split!r}: allowed values are {', '.join(SPLITS)}")
        if self.scenario.data is None:
            raise ValueError(
                f"split={split!r}: scenario {self.scenario.name!r} has no data section, so "
                "its episodes have no dates; splits need real data (e.g. scenario 'gb2024')"
            )

    @property
    def split(self) -> str | None:
        """The split episodes' dates are drawn from (None without data)."""
        return self.episodes.split

    @property
    def dates(self) -> np.ndarray:
        """``(E,)`` UTC date (``datetime64[D]``) each market's episode started on; NaT
        for a scenario without data."""
        return self.episodes.dates(self.state)

    @property
    def n_markets(self) -> int:
        """E."""
        return self.params.n_markets

    @property
    def n_periods(self) -> int:
        """Periods in an episode (days x periods per day)."""
        return self.params.n_periods

    @property
    def t(self) -> np.ndarray:
        """(E,) periods elapsed in each market's episode."""
        return self.state.t

    def reset(
        self,
        seed: int | Sequence[int] | None = None,
        dates: Sequence[str | None] | None = None,
    ) -> None:
        """Start a new episode in every market.

        Args:
            seed: an int (market ``e`` is seeded ``seed + e``), one seed per market,
                or None: after a seeded reset, continue each market's generator where it
                stands (as Gymnasium does), else fresh entropy. The same seed and orders
                give the same meters, prices, rewards and ledger; with real data
                (``data:``) the seed also draws each market's start date from the split.
            dates: with real data, one start date per market (``"2024-03-05"``, or None
                to draw it), for replaying chosen days; the date need not be in the split.

        Raises:
            ValueError: a date outside the dataset or the episode's reach, dates for a
                scenario without data, or a seed that is not an integer >= 0 (Python or
                NumPy integers; bools, floats and strings are refused); nothing is reset
                then.
        """
        market_seeds(seed, self.n_markets)  # checks the seed before anything changes
        if dates is not None:
            dates = list(dates)
            if len(dates) != self.n_markets:
                raise ValueError(f"dates: expected {self.n_markets} dates, got {len(dates)}")
            for d in dates:
                if d is not None:
                    self.episodes.day_index(d)
        if seed is not None or not self._ever_seeded:
            self.draws.seed(seed)
        self._ever_seeded = self._ever_seeded or seed is not None
        every = np.ones(self.n_markets, bool)
        reset_rows(self.params, self.state, every)
        if self.participation is not None:
            self.participation.reset(every)
        if self.virtuals is not None:
            self.virtuals.reset(every)
        self._start(every, dates)
        self.ledger.clear()
        self._seeded = True

    def reset_markets(self, mask: np.ndarray, seeds: Sequence[int | None]) -> None:
        """Start a new episode in the markets where ``mask`` (E,) is true (autoreset).

        Args:
            mask: (E,) bool array, True for the markets to restart.
            seeds: one seed per True entry of ``mask`` (an integer >= 0, or None).

        Raises:
            ValueError: naming ``mask`` (shape or dtype) or ``seeds`` (length or a seed
                that is not an integer >= 0); checked before anything changes.
        """
        idx, seeds = check_reseed(mask, seeds, self.n_markets)
        mask = np.zeros(self.n_markets, bool)
        mask[idx] = True
        self.draws.reseed_markets(mask, seeds)
        reset_rows(self.params, self.state, mask)
        if self.participation is not None:
            self.participation.reset(mask)
        if self.virtuals is not None:
            self.virtuals.reset(mask)
        self._start(mask)

    def _start(self, mask: np.ndarray, dates: Sequence[str | None] | None = None) -> None:
        idx = np.flatnonzero(mask)
        self.episodes.start(self.state, idx, [self.draws.generator(e) for e in idx], dates)
        if self.flexibility is not None:
            gens = [self.draws.generator(e) for e in idx]
            self.flexibility.start(idx, self.state, gens, self.dates)

    def empty_orders(self) -> Orders:
        """Orders that trade nothing and offer no reserve, to fill in."""
        return empty_orders(self.params)

    def day_ahead_gate(self) -> np.ndarray:
        """(E,) bool: this period is a market's day-ahead gate (docs/day_ahead.md)."""
        return is_gate(self.params, self.state)

    def clear_day_ahead(
        self,
        step_price: np.ndarray,
        step_qty: np.ndarray,
        virtual_price: np.ndarray | None = None,
        virtual_qty: np.ndarray | None = None,
    ) -> DayAheadResult:
        """Clear the next day's day-ahead auction from ``(E, N, B)`` curves; see
        :func:`elecbay_env.day_ahead.clear_day_ahead`. Call it at the gate, before the
        gate period's :meth:`step`. With virtual participants (:attr:`virtuals`),
        ``virtual_price`` and ``virtual_qty`` (E, V, B) are their curves (None: they
        trade nothing); :meth:`step` liquidates their positions."""
        if not self._seeded:
            raise RuntimeError("call reset(seed=...) before clear_day_ahead()")
        desk = self.virtuals
        if desk is None:
            if virtual_qty is not None and np.any(np.asarray(virtual_qty) != 0.0):
                raise ValueError("virtual_qty: the scenario has no market.day_ahead.virtuals")
            return clear_day_ahead(self.params, self.state, step_price, step_qty)
        empty = desk.empty_curves()
        vp = empty[0] if virtual_price is None else virtual_price
        vq = empty[1] if virtual_qty is None else virtual_qty
        virtual = (vp, vq, desk.zone, desk.max_mw)
        r = clear_day_ahead(self.params, self.state, step_price, step_qty, virtual)
        desk.store(r.first_period, r.virtual_mw, r.virtual_cash)
        return r

    def step(self, orders: Orders, draws: PeriodDraws | None = None) -> PeriodOutcome:
        """Run one period in every market.

        With participation rules (:attr:`participation`, docs/participation.md) the
        auction sees a copy of ``orders`` with reserve pre-qualification and risk
        limits applied, and the rewards include the bilateral options' cash.

        Args:
            orders: decoded physical orders (:class:`Orders`).
            draws: the period's random draws; by default the next ones of each
                market's generator.

        Returns:
            The period's outcome. Its arrays are reused by the next call: copy what
            you keep (the ledger keeps its own copies).

        Raises:
            ValueError: bad orders (naming the field, market and agent); the state is
                not touched.
            RuntimeError: stepping past the end of an episode, or before reset().
        """
        if not self._seeded:
            raise RuntimeError("call reset(seed=...) before step()")
        if np.any(self.state.t >= self.n_periods):
            raise RuntimeError(
                f"the episode has ended after {self.n_periods} periods: call reset()"
            )
        if self.validate:
            validate_orders(self.params, orders, self.agents)
        if draws is None:
            draws = self.draws.next()
        period = self.state.t.copy()
        if self.flexibility is not None:
            self.flexibility.before_step(period)
        extra = None
        if self.participation is not None:
            orders = self.participation.before(orders, period)
        out = step_period(self.params, self.state, orders, draws, self.outcome)
        if self.flexibility is not None:
            self.flexibility.settle(period, out)
            if self.keep_ledger:
                self.ledger.extra.extend(self.flexibility.lines)
        if self.participation is not None:
            extra = self.participation.after(period, out, self.keep_ledger)
        if self.virtuals is not None:
            self.virtuals.settle(period, out)
        if self.keep_ledger:
            self.ledger.record(period, out, extra, orders)
        return out
