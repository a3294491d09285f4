"""A tournament's episodes summarised: market figures, profit per agent and per policy.

:func:`summarise` gives, per (scenario, entry), every market metric and every agent's
and policy's profit with its mean, standard deviation and bootstrap confidence interval
across seeds, and the protocol's comparison with the baseline entry
(:mod:`elecbay_evaluate.comparison`), as a :class:`~elecbay_evaluate.results.TournamentResult`.
Re-exported from :mod:`elecbay_evaluate.tournament`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .comparison import aggregate_rows, paired_rows, profile_rows
from .metrics import MARKET_METRICS, MIN_SEEDS_FOR_INTERVAL, describe
from .results import TournamentResult
from .spec import TournamentSpec

__all__ = ["summarise"]


def _groups(spec: TournamentSpec, episodes: list[dict]) -> list[tuple[str, str, list[dict]]]:
    out = []
    for s in spec.scenarios:
        for e in spec.entries:
            eps = [x for x in episodes if x["scenario"] == s.display and x["entry"] == e.name]
            out.append((s.display, e.name, eps))
    return out


def summarise(spec: TournamentSpec, episodes: list[dict[str, Any]]) -> TournamentResult:
    """Per (scenario, entry) market figures and per agent / policy profit, each with its
    mean, standard deviation and bootstrap confidence interval across seeds; the
    seed-paired differences from the baseline entry, interquartile means and
    performance profiles (:mod:`elecbay_evaluate.comparison`)."""
    ci = {"confidence": spec.confidence, "n_resamples": spec.n_resamples,
          "seed": spec.bootstrap_seed}  # fmt: skip
    markets, agents = [], []
    for scenario, entry, eps in _groups(spec, episodes):
        figures = {m: describe([x[m] for x in eps], **ci) for m in MARKET_METRICS}
        markets.append({"scenario": scenario, "entry": entry, "n_seeds": len(eps),
                        "metrics": figures})  # fmt: skip
        if not eps:
            continue
        labels, assets = eps[0]["policy"], eps[0]["asset"]
        for agent, policy in labels.items():
            agents.append({"scenario": scenario, "entry": entry, "level": "agent",
                           "agent": agent, "asset": assets[agent],
                           "role": agent.rsplit("_", 1)[0], "policy": policy, "n_agents": 1,
                           **describe([x["profit"][agent] for x in eps], **ci)})  # fmt: skip
        groups: dict[tuple[str, str], list[str]] = {}
        for agent, policy in labels.items():
            groups.setdefault((agent.rsplit("_", 1)[0], policy), []).append(agent)
        for (role, policy), members in groups.items():
            per_seed = [float(np.mean([x["profit"][a] for a in members])) for x in eps]
            agents.append({"scenario": scenario, "entry": entry, "level": "policy",
                           "agent": "", "asset": "", "role": role, "policy": policy,
                           "n_agents": len(members), **describe(per_seed, **ci)})  # fmt: skip
    notes = []
    n_seeds = len(spec.seed_list())
    if n_seeds < MIN_SEEDS_FOR_INTERVAL:
        notes.append(f"only {n_seeds} seed(s): confidence intervals need at least "
                     f"{MIN_SEEDS_FOR_INTERVAL} seeds, so every interval is NaN")  # fmt: skip
    notes.append(
        f"intervals: {spec.confidence:.0%} bootstrap (BCa, scipy.stats.bootstrap, "
        f"{spec.n_resamples} resamples, seed {spec.bootstrap_seed}) of the mean across seeds"
    )
    return TournamentResult(spec, episodes, markets, agents, notes,
                            paired=paired_rows(spec, episodes, tuple(MARKET_METRICS)),
                            aggregates=aggregate_rows(spec, episodes),
                            profiles=profile_rows(spec, episodes))  # fmt: skip
