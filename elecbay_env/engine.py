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
from .draws import DrawStream, PeriodDraws
from .ledger import Ledger
from .orders import Orders, empty_orders, validate_orders
from .params import MarketParams, agents_of, build_params
from .period import PeriodOutcome, allocate_outcome, step_period
from .state import MarketState, allocate, reset_rows


class Engine:
    """E markets of one scenario, stepped one settlement period at a time.

    Args:
        scenario: a :class:`Scenario`, a shipped scenario name (``"default"``,
            ``"small"``), a YAML path, a dict, or None for the embedded default.
        n_markets: E, markets stepped together (>= 1).
        keep_ledger: record every period's statements and meter reads (memory grows
            with E x periods; switch off for training and benchmarks).
        validate: check every period's orders (shapes, finiteness, sides, bounds).
        **overrides: dotted scenario overrides, e.g. ``{"market.days": 2}``.
    """

    def __init__(
        self,
        scenario: Scenario | str | dict[str, Any] | None = None,
        n_markets: int = 1,
        keep_ledger: bool = True,
        validate: bool = True,
        **overrides: Any,
    ) -> None:
        if isinstance(scenario, Scenario) and not overrides:
            self.scenario = scenario
        else:
            self.scenario = load_scenario(scenario, **overrides)
        self.params: MarketParams = build_params(self.scenario, n_markets)
        self.agents: list[str] = agents_of(self.scenario)
        self.state: MarketState = allocate(self.params)
        self.draws = DrawStream(n_markets, self.params.n_rows, self.params.n_meters)
        self.outcome: PeriodOutcome = allocate_outcome(self.params)
        self.validate = validate
        self.keep_ledger = keep_ledger
        self.ledger = Ledger(self.agents, self.params)
        self._seeded = False

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

    def reset(self, seed: int | Sequence[int] | None = None) -> None:
        """Start a new episode in every market.

        Args:
            seed: an int (market ``e`` is seeded ``seed + e``), one seed per market,
                or None for fresh entropy. The same seed and orders give the same
                meters, prices, rewards and ledger.
        """
        self.draws.seed(seed)
        reset_rows(self.params, self.state, np.ones(self.n_markets, bool))
        self.ledger.clear()
        self._seeded = True

    def reset_markets(self, mask: np.ndarray, seeds: Sequence[int | None]) -> None:
        """Start a new episode in the markets where ``mask`` (E,) is true (autoreset)."""
        mask = np.asarray(mask, bool)
        self.draws.reseed_markets(mask, seeds)
        reset_rows(self.params, self.state, mask)

    def empty_orders(self) -> Orders:
        """Orders that trade nothing and offer no reserve, to fill in."""
        return empty_orders(self.params)

    def step(self, orders: Orders, draws: PeriodDraws | None = None) -> PeriodOutcome:
        """Run one period in every market.

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
        out = step_period(self.params, self.state, orders, draws, self.outcome)
        if self.keep_ledger:
            self.ledger.record(period, out)
        return out
