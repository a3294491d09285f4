"""Does withholding day-ahead pay? Paired by seed, split into a price and a rest effect.

``python -m elecbay_evaluate.day_ahead_withholding [scenario] [seeds]`` plays each thermal
seat of the scenario (3 days, gate 11:00, everyone else honest, :mod:`.day_ahead`) on the
honest day-ahead bidder (``da_forecast``) and on a withholder that is the same bidder
with an empty day-ahead curve (it sells only in real time), and prints, per seat, the
mean paired gain (withholding - honest) +/- its standard error, currency per episode,
split as

    price effect = sum over periods of m_honest(t) x (p_withhold(t) - p_honest(t))
    rest         = gain - price effect

where ``m`` is the seat's metered energy (MWh) and ``p`` the period's price index (zone
0's day-ahead price where the day-ahead auction traded, else the real-time price). The
price effect is what the honest output would gain from the prices the withholding moved
(market power, legitimate); the rest is what the withholder gains from its own quantities
and the two-settlement rules (imbalance, buy-back prices), where a rule flaw would show.
"""

from __future__ import annotations

import sys
from typing import NamedTuple

import numpy as np
from elecbay_agents.day_ahead import DayAheadForecastPolicy

from .day_ahead import play_day_ahead


class Withholder(DayAheadForecastPolicy):
    """The honest day-ahead bidder with no day-ahead curve: real time only."""

    def bids(self, obs: np.ndarray, mean_price: np.ndarray | None = None):
        b = super().bids(obs, mean_price)
        gate = obs[:, self.gate_ix] > 0.5
        return b._replace(step_qty=np.where(gate[:, None], 0.0, b.step_qty))


class WithholdingGain(NamedTuple):
    """Paired per-seed figures (S,), currency per episode."""

    gain: np.ndarray  # reward withholding - reward honest
    price_effect: np.ndarray
    rest: np.ndarray
    honest_reward: np.ndarray


def withholding_gain(scenario: dict | str, seat: str, seeds: list[int]) -> WithholdingGain:
    """Play ``seat`` honest and withholding on the same seeds (module doc)."""
    honest = play_day_ahead(scenario, seat, "da_forecast", seeds)
    withhold = play_day_ahead(scenario, seat, Withholder, seeds)
    gain = withhold.reward - honest.reward
    price = (honest.metered_mwh * (withhold.price_index - honest.price_index)).sum(axis=1)
    return WithholdingGain(gain, price, gain - price, honest.reward)


def mean_se(x: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error."""
    return float(x.mean()), float(x.std(ddof=1) / np.sqrt(len(x)))


def main(argv: list[str] | None = None) -> None:
    """Print the split for every thermal seat of a scenario."""
    from elecbay_env.config import load_scenario
    from elecbay_env.engine import Engine
    from elecbay_env.kernels import kinds

    args = sys.argv[1:] if argv is None else argv
    name = args[0] if args else "default"
    seeds = list(range(int(args[1]) if len(args) > 1 else 8))
    sc = load_scenario(name, **{"market.days": 3, "market.day_ahead": {"gate_hour": 11}})
    sc = sc.model_dump()
    eng = Engine(sc, n_markets=1)
    print(f"{name}, {len(seeds)} seeds paired, 3 days, gate 11:00; currency per episode")
    print("seat | honest reward | gain | price effect | rest")
    for row, agent in enumerate(eng.agents):
        if eng.params.kind[0, row] != kinds.THERMAL:
            continue
        g = withholding_gain(sc, agent, seeds)
        cells = [mean_se(x) for x in (g.honest_reward, g.gain, g.price_effect, g.rest)]
        print(agent, "|", " | ".join(f"{m:,.0f} +/- {s:,.0f}" for m, s in cells))


if __name__ == "__main__":
    main()
