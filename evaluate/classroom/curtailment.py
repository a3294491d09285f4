"""(d) Curtailment trading: ``elecbay classroom curtailment``.

Three non-firm renewables behind a grid supply point export limit (the shipped
``constraint`` scenario). The last connected wind farm, first off in the
last-in-first-off order, is subsidised per MWh it produces (a negative marginal cost
of ``-subsidy``), so curtailment costs it the forward price plus the subsidy, while
curtailment costs the others the forward price only. Each seed runs the same day twice
(same weather, same orders, merit-order traders and the rule-based broker): without
curtailment trading, and with the rule-based network operator clearing the daily
curtailment auction (:class:`elecbay_agents.curtailment.NetworkOperator`) before it. The
trades move curtailment to whoever bears it most cheaply; the welfare gain is the change
in the sum of every agent's reward (cash transfers cancel; what is left is the
subsidised output recovered, consumption value and costs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from elecbay_evaluate.classroom.common import Outcome, errorbar, figure, fmt_ci, format_table

SUBSIDY = 60.0
"""Currency per MWh the last connected wind farm receives on output (its curtailment cost
above the others')."""


@dataclass
class CurtailmentResult:
    """Per seed (S): curtailment (MWh) per non-firm unit and welfare, without / with trading."""

    seeds: list[int]
    units: list[str]  # the non-firm units, in the scenario's order
    curtailed: np.ndarray  # (2, U, S) MWh curtailed per unit: [without, with] trading
    welfare: np.ndarray  # (2, S) sum of every agent's reward per day
    moved_mwh: np.ndarray  # (S,) curtailment moved by trades
    trade_cash: np.ndarray  # (S,) cash paid by buyers to sellers

    @property
    def gain(self) -> np.ndarray:
        """(S,) welfare with trading minus without."""
        return self.welfare[1] - self.welfare[0]


def scenario(subsidy: float = SUBSIDY) -> dict[str, Any]:
    """The ``constraint`` scenario with the last connected wind farm subsidised."""
    from elecbay_env.config import load_scenario

    data = load_scenario("constraint").model_dump(mode="json")
    for p in data["producers"]:
        if p["name"] == "wind_late":
            p["marginal_cost_per_mwh"] = -float(subsidy)
    return data


def _day(
    env: Any, policies: dict[str, Any], seed: int, trade: bool
) -> tuple[float, np.ndarray, float, float]:
    from elecbay_agents.curtailment import NetworkOperator

    obs, _ = env.reset(seed=seed)
    eng = env.engine
    if trade:
        NetworkOperator(eng.params).run_day(eng.params, eng.state, 0)
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    welfare = moved = cash = 0.0
    cut = np.zeros(eng.params.n_rows)
    for t in range(env.num_periods):
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=t == 0
            )
        obs, *_ = env.step(actions)
        out = env.last_outcome
        welfare += float(out.reward[0].sum())
        cut += out.anm_curtailed_mwh[0]
        moved += float(np.clip(out.anm_trade_mwh[0], 0.0, None).sum())
        cash += float(np.clip(out.anm_cash[0] * (out.anm_trade_mwh[0] > 0), 0.0, None).sum())
    return welfare, cut, moved, cash


def run_curtailment(seeds: Sequence[int] = range(5), subsidy: float = SUBSIDY) -> CurtailmentResult:
    """Every seed without and with curtailment trading (one day each)."""
    from elecbay_agents.registry import make_policies

    from elecbay_env.envs.parallel import parallel_env

    env = parallel_env(scenario(subsidy))
    policies = make_policies(env, {})
    p = env.engine.params
    rows = [i for i in range(p.n_rows - 1) if p.anm_nonfirm[0, i]]
    names = [x.name for x in env.scenario.participants]
    seeds = list(seeds)
    res = CurtailmentResult(
        seeds, [names[i] for i in rows], np.zeros((2, len(rows), len(seeds))),
        np.zeros((2, len(seeds))), np.zeros(len(seeds)), np.zeros(len(seeds)),
    )  # fmt: skip
    for j, seed in enumerate(seeds):
        for k, trade in enumerate((False, True)):
            welfare, cut, moved, cash = _day(env, policies, seed, trade)
            res.welfare[k, j] = welfare
            res.curtailed[k, :, j] = cut[rows]
            if trade:
                res.moved_mwh[j], res.trade_cash[j] = moved, cash
    return res


def curtailment_table(res: CurtailmentResult, subsidy: float = SUBSIDY) -> str:
    """The printed table of :func:`run_curtailment`."""
    head = [
        "Curtailment trading behind a grid supply point export limit (scenario 'constraint')",
        f"wind_late (first off) loses a {subsidy:g} per MWh subsidy when curtailed; "
        f"{len(res.seeds)} seeds, one day each; MWh and currency per day",
        "",
    ]
    rows = [
        [u, fmt_ci(res.curtailed[0, i], 1), fmt_ci(res.curtailed[1, i], 1)]
        for i, u in enumerate(res.units)
    ]
    table = format_table(["unit", "curtailed without trading", "with trading"], rows)
    foot = [
        "",
        f"curtailment moved by trades: {fmt_ci(res.moved_mwh, 1)} MWh, "
        f"paid {fmt_ci(res.trade_cash, 0)}",
        f"welfare gain (sum of rewards, with - without): {fmt_ci(res.gain, 0)}",
    ]
    return "\n".join(head) + "\n" + table + "\n" + "\n".join(foot)


def curtailment_outcome(res: CurtailmentResult, subsidy: float = SUBSIDY) -> Outcome:
    """Table, per-seed rows and the plot of the experiment."""
    rows = []
    for j, seed in enumerate(res.seeds):
        row: dict[str, Any] = {"seed": seed, "welfare_gain": float(res.gain[j]),
                               "moved_mwh": float(res.moved_mwh[j])}  # fmt: skip
        for i, u in enumerate(res.units):
            row[f"{u}_without_mwh"] = float(res.curtailed[0, i, j])
            row[f"{u}_with_mwh"] = float(res.curtailed[1, i, j])
        rows.append(row)

    def plot(path: Path) -> Path:
        fig = figure(6.0, 3.5)
        ax = fig.add_subplot(1, 1, 1)
        x = np.arange(len(res.units))
        errorbar(ax, x - 0.1, [res.curtailed[0, i] for i in range(len(res.units))],
                 label="without trading", fmt="o")  # fmt: skip
        errorbar(ax, x + 0.1, [res.curtailed[1, i] for i in range(len(res.units))],
                 label="with trading", fmt="s")  # fmt: skip
        ax.set_xticks(x, res.units)
        ax.set_ylabel("MWh curtailed per day")
        ax.legend()
        fig.savefig(path, dpi=110, bbox_inches="tight")
        return path

    return Outcome("curtailment", curtailment_table(res, subsidy), rows, plot, res)
