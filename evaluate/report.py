"""Tournament outputs: CSV and JSON files, the Markdown report, tables and plots.

:func:`write_outputs` writes :data:`OUTPUT_FILES` for a
:class:`~elecbay_evaluate.tournament.TournamentResult`: ``results.csv`` (one row per
episode), ``agents.csv`` (profit per agent and per policy with bootstrap confidence
intervals across seeds), ``summary.json``, ``report.md`` and three plots
(:func:`plot_profit`, :func:`plot_prices`, :func:`plot_efficiency`; matplotlib's Agg
backend), and the protocol's files (:mod:`elecbay_evaluate.protocol_report`: the
differences from the baseline, IQM and performance profiles). :func:`market_table` and
:func:`profit_table` are the report's Markdown tables (``elecbay evaluate`` also prints
the market table). The metrics are defined in :mod:`elecbay_evaluate.metrics` and
``docs/evaluator.md``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .metrics import MARKET_METRICS
from .report_tools import _figure, _fmt, _write_csv
from .spec import ROLES

if TYPE_CHECKING:
    from .results import TournamentResult

OUTPUT_FILES = (
    "results.csv",
    "agents.csv",
    "summary.json",
    "report.md",
    "profit_per_policy.png",
    "prices.png",
    "efficiency.png",
    "paired_differences.csv",
    "aggregates.csv",
    "performance_profile.csv",
    "performance_profile.png",
    "seat_differences.png",
)
"""What :func:`write_outputs` writes into the output folder."""


# ---------------------------------------------------------------------- outputs


def _json_safe(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {k: _json_safe(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_json_safe(v) for v in x]
    return x


def _with_ci(d: Mapping[str, Any], places: int = 2) -> str:
    text = _fmt(d["mean"], places)
    if math.isfinite(d["ci_low"]):
        text += f" [{_fmt(d['ci_low'], places)}, {_fmt(d['ci_high'], places)}]"
    return text


MARKET_COLUMNS = (
    ("efficiency", "efficiency", 5, True),
    ("price_mean", "price mean", 2, False),
    ("price_std", "price std", 2, False),
    ("imbalance_volume_mwh", "imbalance MWh", 1, False),
    ("imbalance_cost", "imbalance cost", 0, False),
    ("unserved_mwh", "unserved MWh", 1, False),
    ("offer_acceptance", "offers cleared", 3, False),
    ("bid_acceptance", "bids cleared", 3, False),
    ("hhi_mean", "HHI", 0, True),
    ("lerner_mean", "Lerner", 3, True),
    ("markup_mean_per_mwh", "markup", 2, True),
    ("withheld_mw_mean", "withheld MW", 1, True),
    ("pivotal_period_share", "pivotal periods", 3, True),
)
"""Columns of the market table: (metric, heading, decimals, with its interval)."""


def market_table(result: TournamentResult) -> str:
    """The Markdown table of market figures per (scenario, entry): means across seeds,
    efficiency with its confidence interval."""
    head = ["scenario", "entry", "seeds"] + [h for _, h, _, _ in MARKET_COLUMNS]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for m in result.markets:
        cells = [m["scenario"], m["entry"], str(m["n_seeds"])]
        for name, _, places, ci in MARKET_COLUMNS:
            d = m["metrics"][name]
            cells.append(_with_ci(d, places) if ci else _fmt(d["mean"], places))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def profit_table(result: TournamentResult, level: str) -> str:
    """The Markdown table of profit per ``level`` (``"policy"`` or ``"agent"``)."""
    who = ["agent", "asset", "policy"] if level == "agent" else ["role", "policy", "agents"]
    head = ["scenario", "entry", *who, "profit (mean)", "CI low", "CI high", "std"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in result.agents:
        if r["level"] != level:
            continue
        ids = ([r["agent"], r["asset"], f"`{r['policy']}`"] if level == "agent"
               else [r["role"], f"`{r['policy']}`", str(r["n_agents"])])  # fmt: skip
        cells = [r["scenario"], r["entry"], *ids, _fmt(r["mean"], 0), _fmt(r["ci_low"], 0),
                 _fmt(r["ci_high"], 0), _fmt(r["std"], 0)]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _report(result: TournamentResult) -> str:
    from .comparison import protocol_lines
    from .protocol_report import protocol_sections

    spec = result.spec
    parts = [f"# Tournament: {spec.name}", ""]
    if spec.description:
        parts += [spec.description.strip(), ""]
    parts += [
        "## Protocol",
        "",
        *protocol_lines(spec),
        f"- **Episodes**: {len(result.episodes)}, played in {result.elapsed_s:.1f} s on "
        f"{result.workers} worker{'s' * (result.workers != 1)}",
        "",
        "| entry | policies (agent / role / * -> spec; others play the baseline) |",
        "|---|---|",
    ]
    for e in spec.entries:
        pol = ", ".join(f"`{k}`: `{v}`" for k, v in e.policies.items()) or "baseline"
        parts.append(f"| {e.name} | {pol} |")
    ci = f"{spec.confidence:.0%}"
    parts += [
        "", "## Market", "",
        f"Means across seeds; efficiency with its {ci} confidence interval. Prices in "
        "currency per MWh, over periods that traded; imbalance volume = sum of |NIV|; "
        "imbalance cost = imbalance cash paid by producers and consumers; offers/bids "
        "cleared = share of offered/bid MWh that filled.", "",
        market_table(result), "",
        "![efficiency per entry](efficiency.png)", "",
        "![clearing prices per entry](prices.png)", "",
        *protocol_sections(result),
        "## Profit per policy", "",
        f"Profit = sum of an agent's rewards over the episode; per policy, the mean over "
        f"the agents of that role playing it. Mean across seeds and {ci} interval.", "",
        profit_table(result, "policy"), "",
        "![profit per policy](profit_per_policy.png)", "",
        "## Profit per agent", "",
        profit_table(result, "agent"), "",
        "## Notes", "",
    ]  # fmt: skip
    parts += [f"- {n}" for n in result.notes]
    return "\n".join(parts) + "\n"


def _err(rows: list[dict]) -> np.ndarray:
    lo = np.array([r["mean"] - r["ci_low"] for r in rows])
    hi = np.array([r["ci_high"] - r["mean"] for r in rows])
    return np.nan_to_num(np.vstack([lo, hi]), nan=0.0)


def _money(x: float, _pos: Any = None) -> str:
    """Tick label of an amount: 1.5M, 250k, -3.2B."""
    for scale, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= scale:
            return f"{x / scale:g}{suffix}"
    return f"{x:g}"


def plot_profit(result: TournamentResult, path: Path) -> Path:
    """Mean profit per (entry, policy) with confidence intervals: one panel per
    scenario (rows) and role (columns)."""
    from matplotlib.ticker import FuncFormatter

    scenarios = [s.display for s in result.spec.scenarios]
    rows = [r for r in result.agents if r["level"] == "policy"]
    roles = [x for x in ROLES if any(r["role"] == x for r in rows)] or list(ROLES)
    n_bars = max([sum(1 for r in rows if r["scenario"] == s and r["role"] == x)
                  for s in scenarios for x in roles] + [1])  # fmt: skip
    fig, axes = _figure(len(scenarios), len(roles), 5.0 * len(roles),
                        1.2 + (0.3 * n_bars + 0.8) * len(scenarios))  # fmt: skip
    entries = [e.name for e in result.spec.entries]
    colors = {e: f"C{i % 10}" for i, e in enumerate(entries)}
    for i, s in enumerate(scenarios):
        for j, role in enumerate(roles):
            ax = axes[i, j]
            sel = [r for r in rows if r["scenario"] == s and r["role"] == role]
            y = np.arange(len(sel))
            ax.barh(y, [r["mean"] for r in sel], xerr=_err(sel), capsize=3,
                    color=[colors[r["entry"]] for r in sel], alpha=0.8)  # fmt: skip
            ax.set_yticks(y, [f"{r['entry']}: {r['policy']}" for r in sel], fontsize=8)
            ax.invert_yaxis()
            ax.axvline(0.0, color="k", lw=0.6)
            ax.xaxis.set_major_formatter(FuncFormatter(_money))
            ax.tick_params(axis="x", labelsize=8)
            ax.set_title(f"{s}: {role if role == 'broker' else role + 's'}", fontsize=9)
    fig.suptitle("profit per agent playing each policy (currency; mean across seeds, "
                 f"{result.spec.confidence:.0%} interval)", fontsize=10)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


_PRICE_TICKS = (-1000.0, -100.0, 0.0, 25.0, 50.0, 75.0, 100.0, 250.0, 1000.0, 4000.0)


def plot_prices(result: TournamentResult, path: Path) -> Path:
    """Distribution of clearing prices per entry (all seeds pooled), one panel per
    scenario; the axis is linear up to 100 per MWh and logarithmic beyond."""
    scenarios = [s.display for s in result.spec.scenarios]
    entries = [e.name for e in result.spec.entries]
    fig, axes = _figure(len(scenarios), 1, max(6.0, 1.2 * len(entries) + 2), 3.2 * len(scenarios))
    for i, s in enumerate(scenarios):
        ax = axes[i, 0]
        data = []
        for e in entries:
            p = np.concatenate(
                [
                    np.asarray(x["prices"], float)
                    for x in result.episodes
                    if x["scenario"] == s and x["entry"] == e
                ]
                or [np.zeros(0)]
            )
            data.append(p[np.isfinite(p)])  # fmt: skip
        ax.boxplot([d if d.size else [np.nan] for d in data], showmeans=True, whis=(5, 95))
        ax.set_xticks(np.arange(1, len(entries) + 1), entries, fontsize=8)
        ax.set_yscale("symlog", linthresh=100.0, linscale=2.0)
        pooled = np.concatenate([d for d in data if d.size] or [np.zeros(1)])
        lo, hi = min(float(pooled.min()), 0.0), max(float(pooled.max()), 100.0)
        lo, hi = lo - 0.1 * abs(lo) - 5.0, hi + 0.1 * abs(hi)
        ax.set_ylim(lo, hi)
        ticks = [t for t in _PRICE_TICKS if lo <= t <= hi]
        ax.set_yticks(ticks, [f"{t:g}" for t in ticks])
        ax.set_ylabel("clearing price per MWh\n(linear to 100, log beyond)", fontsize=8)
        ax.set_title(f"{s}: clearing prices (box: quartiles, whiskers 5-95 %, triangle: mean)",
                     fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def plot_efficiency(result: TournamentResult, path: Path) -> Path:
    """Surplus lost per entry, ``100 x (1 - efficiency)`` % of the maximum (what an axis of
    efficiency from 99.7 to 100 % would hide): every seed (dots), the mean and its
    interval; a linear axis."""
    scenarios = [s.display for s in result.spec.scenarios]
    entries = [e.name for e in result.spec.entries]
    fig, axes = _figure(len(scenarios), 1, max(6.0, 1.2 * len(entries) + 2), 3.0 * len(scenarios))
    for i, s in enumerate(scenarios):
        ax = axes[i, 0]
        for j, e in enumerate(entries):
            vals = [100.0 * (1.0 - x["efficiency"]) for x in result.episodes
                    if x["scenario"] == s and x["entry"] == e]  # fmt: skip
            jitter = np.linspace(-0.15, 0.15, len(vals)) if len(vals) > 1 else np.zeros(len(vals))
            ax.plot(j + jitter, vals, ".", color="grey", alpha=0.6)
            m = next(r for r in result.markets if r["scenario"] == s and r["entry"] == e)
            d = m["metrics"]["efficiency"]
            lost = {"mean": 100.0 * (1.0 - d["mean"]), "ci_low": 100.0 * (1.0 - d["ci_high"]),
                    "ci_high": 100.0 * (1.0 - d["ci_low"])}  # fmt: skip
            ax.errorbar([j + 0.3], [lost["mean"]], yerr=_err([lost]), fmt="o",
                        color=f"C{j % 10}", capsize=4)  # fmt: skip
        ax.axhline(0.0, color="k", lw=0.6, ls="--")
        ax.set_xticks(np.arange(len(entries)), entries, fontsize=8)
        ax.set_ylabel("surplus lost, % of the maximum", fontsize=8)
        ax.set_title(f"{s}: surplus lost = 1 - allocative efficiency (dots: seeds; marker: "
                     "mean and CI)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path)
    return path


def write_outputs(result: TournamentResult, out: str | os.PathLike[str]) -> list[Path]:
    """Write :data:`OUTPUT_FILES` into ``out`` (created if missing); returns their paths.

    ``results.csv`` and ``agents.csv`` depend only on the spec (never on the number of
    workers or the timing); NaN is an empty cell. ``summary.json`` holds the spec, the
    per-(scenario, entry) figures, the profit rows, the notes and the run's timing.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    agents: list[str] = []
    for x in result.episodes:
        agents += [a for a in x["profit"] if a not in agents]
    metrics = list(MARKET_METRICS)
    rows = [[x["scenario"], x["entry"], x["seed"], x["n_periods"], *(x[m] for m in metrics),
             *(x["profit"].get(a, math.nan) for a in agents)]
            for x in result.episodes]  # fmt: skip
    written = [_write_csv(out / "results.csv",
                          ["scenario", "entry", "seed", "n_periods", *metrics,
                           *(f"profit_{a}" for a in agents)], rows)]  # fmt: skip
    keys = ["scenario", "entry", "level", "agent", "asset", "role", "policy", "n_agents", "n",
            "mean", "std", "ci_low", "ci_high"]  # fmt: skip
    header = [*keys[:8], "n_seeds", "profit_mean", "profit_std", "ci_low", "ci_high"]
    agent_rows = [[r[k] for k in keys] for r in result.agents]
    written.append(_write_csv(out / "agents.csv", header, agent_rows))
    summary = {
        "spec": result.spec.model_dump(),
        "seeds": result.spec.seed_list(),
        "n_episodes": len(result.episodes),
        "workers": result.workers,
        "elapsed_s": round(result.elapsed_s, 3),
        "confidence": result.spec.confidence,
        "markets": result.markets,
        "agents": result.agents,
        "notes": result.notes,
        "baseline": result.spec.baseline_name,
        "paired_differences": result.paired,
        "aggregates": result.aggregates,
        "performance_profiles": result.profiles,
        "files": list(OUTPUT_FILES),
    }
    path = out / "summary.json"
    path.write_text(json.dumps(_json_safe(summary), indent=1) + "\n", encoding="utf-8")
    written.append(path)
    path = out / "report.md"
    path.write_text(_report(result), encoding="utf-8")
    written.append(path)
    written.append(plot_profit(result, out / "profit_per_policy.png"))
    written.append(plot_prices(result, out / "prices.png"))
    written.append(plot_efficiency(result, out / "efficiency.png"))
    from .protocol_report import write_protocol_outputs

    written += write_protocol_outputs(result, out)
    from .seat_report import plot_seat_differences

    written.append(plot_seat_differences(result, out / "seat_differences.png"))
    return written
