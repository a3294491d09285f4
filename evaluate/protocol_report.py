"""The protocol's outputs: differences from the baseline, IQM, performance profiles.

Tables, CSV files and the performance-profile plot of the rows that
:mod:`elecbay_evaluate.comparison` computes (a
:class:`~elecbay_evaluate.tournament.TournamentResult`'s ``paired``, ``aggregates`` and
``profiles``). :func:`write_protocol_outputs` writes :data:`PROTOCOL_FILES`;
:func:`protocol_sections` is the part of ``report.md`` after the market tables;
:func:`console_table` is what ``elecbay evaluate`` prints per line-up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .comparison import ALL_SCENARIOS
from .report_tools import _figure, _fmt, _write_csv

if TYPE_CHECKING:
    from .results import TournamentResult

__all__ = [
    "PAIRED_COLUMNS",
    "PROTOCOL_FILES",
    "aggregate_table",
    "console_table",
    "diff_text",
    "paired_profit_table",
    "paired_table",
    "plot_profiles",
    "protocol_sections",
    "write_protocol_outputs",
    "wtl_text",
]

PROTOCOL_FILES = (
    "paired_differences.csv",
    "aggregates.csv",
    "performance_profile.csv",
    "performance_profile.png",
)
"""What :func:`write_protocol_outputs` writes."""

PAIRED_COLUMNS = (
    ("welfare", "welfare", 0),
    ("efficiency", "efficiency", 5),
    ("price_mean", "price mean", 2),
    ("unserved_mwh", "unserved MWh", 1),
    ("imbalance_cost", "imbalance cost", 0),
)
"""Market metrics of the report's difference table: (metric, heading, decimals)."""


def diff_text(d: Mapping[str, Any], places: int) -> str:
    """``+1.00 [-2.00, +3.00]``: a mean difference and its interval."""
    if d["mean"] is None or not math.isfinite(d["mean"]):
        return "-"
    text = f"{d['mean']:+,.{places}f}"
    if math.isfinite(d["ci_low"]):
        text += f" [{d['ci_low']:+,.{places}f}, {d['ci_high']:+,.{places}f}]"
    return text


def wtl_text(d: Mapping[str, Any]) -> str:
    """Wins/ties/losses of a paired row, or higher/equal/lower for metrics without a
    preferred direction."""
    if d["wins"] is None:
        return f"{d['higher']}/{d['equal']}/{d['lower']} (higher/equal/lower)"
    return f"{d['wins']}/{d['ties']}/{d['losses']}"


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return "\n".join([*lines, *("| " + " | ".join(r) + " |" for r in rows)])


def _paired(result: TournamentResult, scenario: str, entry: str, metric: str,
            agent: str = "") -> dict[str, Any] | None:  # fmt: skip
    for r in result.paired:
        if (r["scenario"], r["entry"], r["metric"], r["agent"]) == (scenario, entry, metric, agent):
            return r
    return None


def paired_table(result: TournamentResult) -> str:
    """Markdown: per (scenario, line-up) the mean paired difference from the baseline of
    :data:`PAIRED_COLUMNS` with intervals, and welfare wins/ties/losses."""
    head = ["scenario", "entry", "pairs", *(f"{h} diff" for _, h, _ in PAIRED_COLUMNS),
            "welfare W/T/L"]  # fmt: skip
    rows = []
    for s in result.spec.scenarios:
        for e in result.spec.entries:
            w = _paired(result, s.display, e.name, "welfare")
            if w is None:
                continue
            cells = [s.display, e.name, str(w["n"])]
            for metric, _, places in PAIRED_COLUMNS:
                d = _paired(result, s.display, e.name, metric)
                cells.append("-" if d is None else diff_text(d, places))
            rows.append([*cells, wtl_text(w)])
    return _table(head, rows)


def paired_profit_table(result: TournamentResult) -> str:
    """Markdown: per (scenario, line-up, seat) the paired profit difference."""
    assets = {(r["scenario"], r["entry"], r["agent"]): (r["asset"], r["policy"])
              for r in result.agents if r["level"] == "agent"}  # fmt: skip
    rows = []
    for r in result.paired:
        if r["metric"] != "profit":
            continue
        asset, policy = assets.get((r["scenario"], r["entry"], r["agent"]), ("", ""))
        rows.append([r["scenario"], r["entry"], r["agent"], asset, f"`{policy}`",
                     diff_text(r, 0), wtl_text(r)])  # fmt: skip
    return _table(["scenario", "entry", "agent", "asset", "policy", "profit diff", "W/T/L"],
                  rows)  # fmt: skip


def _iqm(d: Mapping[str, Any], places: int) -> str:
    text = _fmt(d["iqm"], places)
    if math.isfinite(d["ci_low"]):
        text += f" [{_fmt(d['ci_low'], places)}, {_fmt(d['ci_high'], places)}]"
    return text


def aggregate_table(result: TournamentResult) -> str:
    """Markdown: IQM of welfare and efficiency per (scope, line-up) with intervals; the
    pooled scope only when there are several scenarios."""
    scopes = [s.display for s in result.spec.scenarios]
    if len(scopes) > 1:
        scopes.append(ALL_SCENARIOS)
    find = {(r["scope"], r["entry"], r["metric"]): r for r in result.aggregates
            if not r["agent"]}  # fmt: skip
    rows = []
    for scope in scopes:
        for e in result.spec.entries:
            w, f = find.get((scope, e.name, "welfare")), find.get((scope, e.name, "efficiency"))
            if w is None or f is None:
                continue
            rows.append([scope, e.name, str(w["n"]), _iqm(w, 0), _iqm(f, 5)])
    return _table(["scenarios", "entry", "episodes", "welfare IQM", "efficiency IQM"], rows)


def console_table(result: TournamentResult) -> str:
    """Plain text per (scenario, line-up): mean welfare and efficiency, and the paired
    welfare difference from the baseline with its interval and wins/ties/losses."""
    base = result.spec.baseline_name
    ci = f"{result.spec.confidence:.0%}"
    head = ["scenario", "entry", "welfare", "efficiency", f"welfare diff vs {base} [{ci}]",
            "W/T/L"]  # fmt: skip
    rows = [head]
    for m in result.markets:
        w, f = m["metrics"]["welfare"], m["metrics"]["efficiency"]
        d = _paired(result, m["scenario"], m["entry"], "welfare")
        diff, wtl = ("(baseline)", "") if d is None else (diff_text(d, 0), wtl_text(d))
        rows.append([m["scenario"], m["entry"], _fmt(w["mean"], 0), _fmt(f["mean"], 5),
                     diff, wtl])  # fmt: skip
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
             for r in rows]  # fmt: skip
    return "\n".join(lines)


def plot_profiles(result: TournamentResult, path: Path) -> Path:
    """Performance profiles: one panel per score, one curve per line-up with its band."""
    metrics = list(dict.fromkeys(r["metric"] for r in result.profiles)) or ["efficiency"]
    fig, axes = _figure(1, len(metrics), 6.0 * len(metrics), 4.0)
    for j, m in enumerate(metrics):
        ax = axes[0, j]
        for i, r in enumerate(x for x in result.profiles if x["metric"] == m):
            taus, frac = np.asarray(r["taus"]), np.asarray(r["fraction"])
            if taus.size == 0:
                continue
            ax.step(taus, frac, where="post", color=f"C{i % 10}", label=r["entry"])
            low, high = np.asarray(r["low"]), np.asarray(r["high"])
            if np.isfinite(low).all():
                ax.fill_between(taus, low, high, step="post", color=f"C{i % 10}", alpha=0.2)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel(f"{m} threshold tau", fontsize=8)
        ax.set_ylabel(f"fraction of episodes with {m} > tau", fontsize=8)
        ax.set_title(f"performance profile: {m} ({result.spec.confidence:.0%} stratified "
                     "bootstrap band)", fontsize=9)  # fmt: skip
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    return path


def _csv_value(v: Any) -> Any:
    if v is None:
        return ""
    if isinstance(v, list):
        return " ".join(str(x) for x in v)
    return v


def write_protocol_outputs(result: TournamentResult, out: Path) -> list[Path]:
    """Write :data:`PROTOCOL_FILES` into ``out``; returns their paths.

    ``paired_differences.csv``: one row per (scenario, entry, metric or seat) with the
    mean paired difference, its interval, counts and the unpaired seeds;
    ``aggregates.csv``: IQM rows; ``performance_profile.csv``: one row per (metric,
    entry, tau). None and NaN are empty cells; seed lists are space-separated.
    """
    keys = ["scenario", "entry", "baseline", "metric", "agent", "better", "n", "mean",
            "ci_low", "ci_high", "wins", "ties", "losses", "higher", "equal", "lower",
            "unpaired"]  # fmt: skip
    header = [*keys[:6], "n_pairs", "mean_difference", *keys[8:-1], "unpaired_seeds"]
    paired = [[_csv_value(r[k]) for k in keys] for r in result.paired]
    written = [_write_csv(out / "paired_differences.csv", header, paired)]
    keys = ["scope", "entry", "metric", "agent", "n", "iqm", "ci_low", "ci_high", "mean"]
    written.append(_write_csv(out / "aggregates.csv", keys,
                              [[r[k] for k in keys] for r in result.aggregates]))  # fmt: skip
    rows = [[r["metric"], r["entry"], r["n"], *v]
            for r in result.profiles
            for v in zip(r["taus"], r["fraction"], r["low"], r["high"], strict=True)]  # fmt: skip
    written.append(_write_csv(out / "performance_profile.csv",
                              ["metric", "entry", "n_episodes", "tau", "fraction", "ci_low",
                               "ci_high"], rows))  # fmt: skip
    written.append(plot_profiles(result, out / "performance_profile.png"))
    return written


def protocol_sections(result: TournamentResult) -> list[str]:
    """The report's Markdown lines on the baseline comparison, IQM and profiles."""
    base = result.spec.baseline_name
    ci = f"{result.spec.confidence:.0%}"
    return [
        "## Difference from baseline", "",
        f"Line-up minus `{base}` on the same seed, averaged over the seeds both played, "
        f"with a {ci} bootstrap interval of the mean difference; W/T/L: seeds where the "
        "line-up's welfare was higher / equal / lower (all metrics and seats: "
        "`paired_differences.csv`).", "",
        paired_table(result), "",
        "### Profit per seat, difference from baseline", "",
        paired_profit_table(result), "",
        "## Interquartile mean", "",
        f"IQM across seeds (mean of the middle 50 %) with a {ci} stratified bootstrap "
        f"interval (seeds resampled within each scenario; `{ALL_SCENARIOS}` pools every "
        "scenario). Per-seat profit IQMs: `aggregates.csv`.", "",
        aggregate_table(result), "",
        "## Performance profile", "",
        "Fraction of each line-up's episodes (every scenario and seed) whose score exceeds "
        f"tau, with a {ci} stratified bootstrap band (`performance_profile.csv`).", "",
        "![performance profile](performance_profile.png)", "",
    ]  # fmt: skip
