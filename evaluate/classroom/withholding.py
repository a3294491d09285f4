"""(b) Market power: ``elecbay classroom withholding``.

One large producer of the uniform-price env market marks up its offers and withholds
capacity while everyone else bids truthfully: the price rises and efficiency falls; its
profit rises only while the markup keeps it at the margin of the merit order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from elecbay_evaluate.classroom.common import (
    OptionError,
    Outcome,
    days_text,
    errorbar,
    figure,
    fmt_ci,
    format_table,
    seed_text,
)
from elecbay_evaluate.classroom.episodes import play

WITHHOLD_AGENT = "producer_2"
"""The strategic producer of the default scenario: ``ccgt_1``, 600 MW at 54 per MWh."""
MARKUPS = (0.0, 0.2, 0.5, 1.0)
"""Markups (fraction of marginal cost) of the strategic producer."""
WITHHOLDS = (0.0, 0.2, 0.4)
"""Shares of its capacity the strategic producer withholds."""


@dataclass
class WithholdingResult:
    """The withholding experiment: per (markup, withholding), one entry per seed."""

    scenario: str
    days: int
    seeds: list[int]
    agent: str
    asset: str
    markups: list[float]
    withholds: list[float]
    price: np.ndarray  # (M, W, S) mean clearing price, currency per MWh
    profit: np.ndarray  # (M, W, S) the strategic producer's profit per day
    efficiency: np.ndarray  # (M, W, S) allocative efficiency of the forward market
    lost_surplus: np.ndarray  # (M, W, S) maximum - realised surplus per day (deadweight)
    sold_mwh: np.ndarray  # (M, W, S) the strategic producer's forward sales per day


def run_withholding(
    markups: Sequence[float] = MARKUPS,
    withholds: Sequence[float] = WITHHOLDS,
    days: int = 3,
    seeds: Sequence[int] = range(5),
    agent: str = WITHHOLD_AGENT,
    scenario: str = "default",
) -> WithholdingResult:
    """Every (markup, withholding) of ``agent`` over every seed; everyone else truthful.

    The strategic producer plays the policy spec ``"markup:MARKUP,WITHHOLD"``
    (:class:`elecbay_agents.markup.MarkupPolicy`: offers at ``cost x (1 + markup)``,
    ``1 - withhold`` of its capacity, reserve offers the same way); every other trader
    plays merit order, the broker its rule (the baseline of
    :func:`elecbay_agents.registry.make_policies`). Profit is the producer's reward
    (cash - production and start-up cost) per day.
    """
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env
    from elecbay_env.kernels.ledger_codes import FORWARD

    env = parallel_env(scenario, **{"market.days": days})
    if agent not in env.possible_agents or not agent.startswith("producer_"):
        producers = [a for a in env.possible_agents if a.startswith("producer_")]
        raise OptionError(f"agent {agent!r}: expected one of {producers}")
    row = env.possible_agents.index(agent)
    seeds = list(seeds)
    shape = (len(markups), len(withholds), len(seeds))
    res = WithholdingResult(
        scenario, days, seeds, agent, env.scenario.producers[row].name,
        [float(m) for m in markups], [float(w) for w in withholds],
        *(np.zeros(shape) for _ in range(5)),
    )  # fmt: skip
    for i, m in enumerate(res.markups):
        for j, w in enumerate(res.withholds):
            policies = make_policies(env, {agent: f"markup:{m!r},{w!r}"})
            for k, seed in enumerate(seeds):
                ep = play(env, policies, seed, metrics=True)
                fig = ep.metrics
                res.price[i, j, k] = fig["price_mean"]
                res.profit[i, j, k] = fig["profit"][agent] / days
                res.efficiency[i, j, k] = fig["efficiency"]
                res.lost_surplus[i, j, k] = (fig["max_surplus"] - fig["realised_surplus"]) / days
                res.sold_mwh[i, j, k] = ep.mwh[row, FORWARD] / days
    return res


def withholding_table(res: WithholdingResult) -> str:
    """The printed table of :func:`run_withholding`."""
    head = [
        f"Market power: {res.agent} ({res.asset}) marks up its offers and withholds capacity; "
        "everyone else bids truthfully",
        f"scenario {res.scenario!r}, {days_text(res.days)}, {seed_text(res.seeds)}; "
        "uniform-price auction; profit and lost surplus per day",
        "",
    ]
    rows = []
    for i, m in enumerate(res.markups):
        for j, w in enumerate(res.withholds):
            rows.append([
                f"{m:g}", f"{w:g}", fmt_ci(res.price[i, j], 2),
                fmt_ci(res.profit[i, j] / 1e3, 1), f"{res.sold_mwh[i, j].mean():,.0f}",
                fmt_ci(100.0 * res.efficiency[i, j], 3),
                f"{res.lost_surplus[i, j].mean() / 1e3:,.1f}",
            ])  # fmt: skip
    headers = ["markup", "withheld", "mean price", "profit k/day", "sold MWh/day",
               "efficiency %", "lost surplus k/day"]  # fmt: skip
    foot = (
        "mean [95 % bootstrap interval over seeds]; mean price: mean clearing price per MWh; "
        "profit: the producer's reward\n(cash - production and start-up cost; k = thousands); "
        "efficiency: realised / maximum surplus of the forward market"
    )
    return "\n".join(head) + "\n" + format_table(headers, rows) + "\n" + foot


def plot_withholding(res: WithholdingResult, path: Path) -> Path:
    """Mean price, the producer's profit and efficiency vs markup, a line per withholding."""
    fig = figure(13.0, 4.6)
    axes = fig.subplots(1, 3)
    panels = (
        (res.price, 1.0, "mean clearing price (per MWh)"),
        (res.profit, 1e-3, f"{res.asset} profit (thousands per day)"),
        (res.efficiency, 100.0, "allocative efficiency (%)"),
    )
    for ax, (data, scale, title) in zip(axes, panels, strict=True):
        for j, w in enumerate(res.withholds):
            errorbar(ax, res.markups, [scale * data[i, j] for i in range(len(res.markups))],
                      fmt="o-", label=f"withholds {w:.0%}")  # fmt: skip
        ax.set(xlabel="markup (fraction of marginal cost)", title=title)
        ax.set_xticks(res.markups)
    axes[0].legend(fontsize=8)
    fig.suptitle(f"Market power of {res.asset} ({res.agent}), scenario {res.scenario!r}: "
                 f"{seed_text(res.seeds)} x {days_text(res.days)} (95 % intervals)",
                 fontsize=11)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def withholding_outcome(res: WithholdingResult) -> Outcome:
    rows = [
        {"markup": m, "withhold": w, "seed": s, "mean_price": res.price[i, j, k],
         "profit_per_day": res.profit[i, j, k], "sold_mwh_per_day": res.sold_mwh[i, j, k],
         "efficiency": res.efficiency[i, j, k], "lost_surplus_per_day": res.lost_surplus[i, j, k]}
        for i, m in enumerate(res.markups) for j, w in enumerate(res.withholds)
        for k, s in enumerate(res.seeds)
    ]  # fmt: skip
    return Outcome("withholding", withholding_table(res), rows,
                   lambda p: plot_withholding(res, p), res)  # fmt: skip
