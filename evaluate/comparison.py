"""The evaluation protocol applied to a tournament: differences from a baseline line-up,
interquartile means and performance profiles.

:func:`paired_rows`, :func:`aggregate_rows` and :func:`profile_rows` turn a
tournament's episodes into the rows :func:`elecbay_evaluate.tournament.summarise` puts in
a :class:`~elecbay_evaluate.tournament.TournamentResult` (``paired``, ``aggregates``,
``profiles``); the statistics are those of :mod:`elecbay_evaluate.protocol`.
:func:`protocol_lines` states the protocol for the report's header. Design:

* **Paired by seed.** Every line-up plays every scenario on the same seeds (the market
  draws the same weather, loads and outages for all: common random numbers), so line-up
  ``A``'s episode on seed ``s`` is compared with the baseline's episode on seed ``s``.
  Episodes are matched by seed value; a seed only one side has is left out of the
  difference and listed (``unpaired``).
* **Baseline.** The spec's ``baseline`` entry (default: the first entry).
* **Wins, ties, losses** count the paired seeds where the line-up did better, exactly as
  well, or worse than the baseline, by the direction of :data:`BETTER` (higher welfare,
  efficiency and profit; lower imbalance, unserved energy and costs). Metrics without a
  preferred direction (prices, volumes) have only the raw ``higher/equal/lower`` counts.
* **Aggregates.** Per line-up, the IQM of welfare and efficiency across seeds per
  scenario and pooled over all scenarios (``scope = "(all)"``: a stratified bootstrap
  resamples seeds within each scenario), and of each seat's profit per scenario (a seat
  is an agent id; it names different assets in different scenarios, so seats are not
  pooled across scenarios).
* **Performance profiles** of :data:`PROFILE_METRICS`: the fraction of a line-up's
  episodes (all scenarios and seeds) scoring above each threshold, with a stratified
  band.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .protocol import iqm, paired_difference, performance_profile, stratified_bootstrap_ci, tau_grid

if TYPE_CHECKING:
    from .spec import ScenarioSpec, TournamentSpec

__all__ = [
    "AGGREGATE_METRICS",
    "ALL_SCENARIOS",
    "BETTER",
    "PROFILE_METRICS",
    "aggregate_rows",
    "data_split",
    "paired_rows",
    "profile_rows",
    "protocol_lines",
]

BETTER: dict[str, str] = {
    "efficiency": "higher",
    "realised_surplus": "higher",
    "welfare": "higher",
    "profit": "higher",
    "imbalance_volume_mwh": "lower",
    "imbalance_cost": "lower",
    "unserved_mwh": "lower",
    "curtailed_mwh": "lower",
    "reserve_cost": "lower",
    "balancing_energy_cost": "lower",
    "unserved_cost": "lower",
    "balancing_total_cost": "lower",
}
"""Which way a metric is better, for wins and losses; metrics not listed have none."""

AGGREGATE_METRICS = ("welfare", "efficiency")
"""Market metrics whose IQM is reported per line-up (besides each seat's profit)."""

PROFILE_METRICS = ("efficiency",)
"""Scores of the performance profiles (comparable across scenarios: a fraction)."""

ALL_SCENARIOS = "(all)"
"""The ``scope`` of aggregates pooled over every scenario (stratified by scenario)."""

N_TAUS = 101
"""Thresholds of a performance profile, evenly spaced over the observed scores."""


def _ci(spec: TournamentSpec) -> dict[str, Any]:
    return {"confidence": spec.confidence, "n_resamples": spec.n_resamples,
            "seed": spec.bootstrap_seed}  # fmt: skip


def _episodes(episodes: list[dict], scenario: str, entry: str) -> list[dict]:
    return [x for x in episodes if x["scenario"] == scenario and x["entry"] == entry]


def _by_seed(eps: list[dict], metric: str, agent: str = "") -> dict[int, float]:
    if agent:
        return {int(x["seed"]): float(x["profit"].get(agent, math.nan)) for x in eps}
    return {int(x["seed"]): float(x[metric]) for x in eps}


def _counts(direction: str, higher: int, equal: int, lower: int) -> dict[str, int | None]:
    if direction == "higher":
        return {"wins": higher, "ties": equal, "losses": lower}
    if direction == "lower":
        return {"wins": lower, "ties": equal, "losses": higher}
    return {"wins": None, "ties": None, "losses": None}


def paired_rows(spec: TournamentSpec, episodes: list[dict[str, Any]],
                metrics: tuple[str, ...]) -> list[dict[str, Any]]:  # fmt: skip
    """Seed-paired differences from the baseline, per scenario, line-up and metric.

    Args:
        spec: the tournament's spec (scenarios, entries, baseline, bootstrap settings).
        episodes: the episodes' figures (``scenario``, ``entry``, ``seed``, every metric
            and ``profit``), in any order.
        metrics: the market metrics to compare (each seat's profit is added).

    Returns:
        One row per (scenario, line-up other than the baseline, metric or seat):
        ``scenario, entry, baseline, metric, agent`` (``""`` for market metrics),
        ``better``, the :class:`~elecbay_evaluate.protocol.PairedDifference` fields and
        ``wins, ties, losses`` (None for metrics without a direction).
    """
    base = spec.baseline_name
    rows = []
    for s in spec.scenarios:
        ref = _episodes(episodes, s.display, base)
        agents = list(ref[0]["profit"]) if ref else []
        for e in spec.entries:
            if e.name == base:
                continue
            eps = _episodes(episodes, s.display, e.name)
            items = [(m, "") for m in metrics] + [("profit", a) for a in agents]
            for metric, agent in items:
                d = paired_difference(_by_seed(eps, metric, agent), _by_seed(ref, metric, agent),
                                      **_ci(spec))  # fmt: skip
                direction = BETTER.get(metric, "")
                counts = _counts(direction, d.higher, d.equal, d.lower)
                rows.append({"scenario": s.display, "entry": e.name, "baseline": base,
                             "metric": metric, "agent": agent, "better": direction,
                             **d.as_dict(), **counts})  # fmt: skip
    return rows


def _aggregate(values: list[float], strata: list[str], spec: TournamentSpec) -> dict[str, Any]:
    est, low, high = stratified_bootstrap_ci(values, strata, iqm, **_ci(spec))
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    return {"n": int(x.size), "iqm": est, "ci_low": low, "ci_high": high,
            "mean": float(x.mean()) if x.size else math.nan}  # fmt: skip


def aggregate_rows(spec: TournamentSpec, episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """IQM with a stratified bootstrap interval per line-up.

    Returns:
        Rows ``scope, entry, metric, agent, n, iqm, ci_low, ci_high, mean``: for each
        scenario (``scope`` = its label) the IQM across seeds of :data:`AGGREGATE_METRICS`
        and of each seat's profit (``metric = "profit"``, ``agent`` its id), then for
        :data:`AGGREGATE_METRICS` over every scenario (``scope`` = :data:`ALL_SCENARIOS`,
        seeds resampled within each scenario).
    """
    rows = []
    for s in spec.scenarios:
        for e in spec.entries:
            eps = _episodes(episodes, s.display, e.name)
            labels = [s.display] * len(eps)
            for m in AGGREGATE_METRICS:
                rows.append({"scope": s.display, "entry": e.name, "metric": m, "agent": "",
                             **_aggregate([x[m] for x in eps], labels, spec)})  # fmt: skip
            for a in eps[0]["profit"] if eps else []:
                rows.append({"scope": s.display, "entry": e.name, "metric": "profit",
                             "agent": a, **_aggregate([x["profit"][a] for x in eps], labels,
                                                      spec)})  # fmt: skip
    for e in spec.entries:
        eps = [x for x in episodes if x["entry"] == e.name]
        for m in AGGREGATE_METRICS:
            rows.append({"scope": ALL_SCENARIOS, "entry": e.name, "metric": m, "agent": "",
                         **_aggregate([x[m] for x in eps], [x["scenario"] for x in eps],
                                      spec)})  # fmt: skip
    return rows


def profile_rows(spec: TournamentSpec, episodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Performance profiles of :data:`PROFILE_METRICS`, one per (metric, line-up).

    The thresholds are :data:`N_TAUS` points from the lowest to the highest score of any
    line-up (the same grid for every line-up of a metric); the band resamples seeds
    within each scenario.

    Returns:
        Rows ``metric, entry, n, taus, fraction, low, high`` (lists over the taus).
    """
    rows = []
    for m in PROFILE_METRICS:
        taus = tau_grid([x[m] for x in episodes], N_TAUS)
        for e in spec.entries:
            eps = [x for x in episodes if x["entry"] == e.name]
            p = performance_profile([x[m] for x in eps], taus, [x["scenario"] for x in eps],
                                    **_ci(spec))  # fmt: skip
            d = p.as_dict()
            rows.append({"metric": m, "entry": e.name, "n": d.pop("n_runs"), **d})
    return rows


def data_split(scenario: ScenarioSpec) -> str:
    """The data a scenario draws its profiles from: the ``data.split`` override when
    given, else synthetic profiles."""
    split = scenario.overrides.get("data.split")
    if split is None:
        return "synthetic profiles (no date split)"
    return f"data split `{split}`"


def protocol_lines(spec: TournamentSpec) -> list[str]:
    """The protocol as Markdown bullet lines (the report's and the leaderboard's header)."""
    seeds = spec.seed_list()
    scen = []
    for s in spec.scenarios:
        over = ", ".join(f"{k}={v}" for k, v in s.overrides.items() if k != "data.split")
        name = f"`{s.display}`" + (f" (`{s.name}`)" if s.display != s.name else "")
        scen.append(f"{name}: {over + '; ' if over else ''}{data_split(s)}")
    ci = f"{spec.confidence:.0%}"
    boot = f"{spec.n_resamples} resamples, seed {spec.bootstrap_seed}"
    return [
        "- **Scenarios**: " + "; ".join(scen),
        f"- **Seeds**: {seeds} ({len(seeds)}), the same for every line-up and scenario",
        "- **Design**: paired. Every line-up plays each scenario on the same seeds (the same "
        "weather, loads and outages: common random numbers); differences from the baseline "
        "are taken seed by seed, matched by seed value (a seed one side lacks is left out "
        "and listed)",
        f"- **Baseline**: `{spec.baseline_name}`",
        f"- **Policies**: `deterministic={spec.deterministic}` in every `predict` call",
        f"- **Intervals**: {ci} confidence. Means and paired mean differences: bootstrap "
        f"across seeds (scipy.stats.bootstrap, BCa, percentile where BCa is undefined), "
        f"{boot}. IQM (mean of the middle 50 %, 25 % trimmed each side) and performance "
        f"profiles: stratified bootstrap (seeds resampled within each scenario), "
        f"percentile interval, {boot}",
        "- **Wins / ties / losses**: paired seeds where a line-up did better than, exactly "
        "as well as, or worse than the baseline (better: higher welfare, efficiency and "
        "profit; lower imbalance, unserved energy and costs)",
    ]
