"""Each seat's profit across line-ups, as differences from the baseline on the same seeds.

``elecbay evaluate`` prints :func:`seat_profit_table` and writes
:func:`plot_seat_differences` (``seat_differences.png``): for every seat (agent id and
its asset) the mean profit under the baseline line-up and, for every other line-up, the
seed-paired difference from it with its bootstrap interval and wins/ties/losses
(:func:`elecbay_evaluate.comparison.paired_rows`). A seat is compared with itself, never
with the mean of other seats.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from .results import TournamentResult


def _seat_rows(result: TournamentResult) -> list[dict[str, Any]]:
    return [r for r in result.paired if r["metric"] == "profit" and r["agent"]]


def _asset(result: TournamentResult, scenario: str, agent: str) -> str:
    for x in result.episodes:
        if x["scenario"] == scenario and agent in x.get("asset", {}):
            return str(x["asset"][agent])
    return ""


def _baseline_mean(result: TournamentResult, scenario: str, agent: str) -> float:
    base = result.spec.baseline_name
    values = [
        x["profit"][agent]
        for x in result.episodes
        if x["scenario"] == scenario and x["entry"] == base and agent in x["profit"]
    ]
    return float(np.mean(values)) if values else math.nan


def _money(x: float) -> str:
    return "-" if not math.isfinite(x) else f"{x:+,.0f}"


def seat_profit_table(result: TournamentResult) -> str:
    """Plain text: per scenario and seat, the baseline's mean profit and each line-up's
    paired difference ``+d [lo, hi] W/T/L`` (currency per episode)."""
    rows = _seat_rows(result)
    if not rows:
        return "(no line-up besides the baseline: no profit differences)"
    base = result.spec.baseline_name
    entries = list(dict.fromkeys(r["entry"] for r in rows))
    ci = f"{result.spec.confidence:.0%}"
    head = [
        "scenario",
        "seat",
        "asset",
        f"{base} profit",
        *(f"{e} - {base} [{ci}]" for e in entries),
    ]
    table = [head]
    for scenario in dict.fromkeys(r["scenario"] for r in rows):
        agents = list(dict.fromkeys(r["agent"] for r in rows if r["scenario"] == scenario))
        for agent in agents:
            cells = [scenario, agent, _asset(result, scenario, agent),
                     _money(_baseline_mean(result, scenario, agent))]  # fmt: skip
            for e in entries:
                r = next((x for x in rows if x["scenario"] == scenario and x["entry"] == e
                          and x["agent"] == agent), None)  # fmt: skip
                if r is None or not math.isfinite(r["mean"]):
                    cells.append("-")
                    continue
                text = _money(r["mean"])
                if math.isfinite(r["ci_low"]):
                    text += f" [{_money(r['ci_low'])}, {_money(r['ci_high'])}]"
                cells.append(f"{text} {r['wins']}/{r['ties']}/{r['losses']}")
            table.append(cells)
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    return "\n".join(
        "  ".join(c.ljust(w) if i < 3 else c.rjust(w)
                  for i, (c, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in table
    )  # fmt: skip


def plot_seat_differences(result: TournamentResult, path: str | Path) -> Path:
    """One panel per (scenario, seat): each line-up's paired profit difference from the
    baseline (mean and interval, currency per episode); a line at zero. Linear axes."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = _seat_rows(result)
    seats = list(dict.fromkeys((r["scenario"], r["agent"]) for r in rows)) or [("", "")]
    entries = list(dict.fromkeys(r["entry"] for r in rows))
    cols = min(4, len(seats))
    n_rows = math.ceil(len(seats) / cols)
    fig, axes = plt.subplots(n_rows, cols, figsize=(3.6 * cols, 2.6 * n_rows), squeeze=False)
    for k, (scenario, agent) in enumerate(seats):
        ax = axes[k // cols, k % cols]
        for j, e in enumerate(entries):
            r = next((x for x in rows if x["scenario"] == scenario and x["agent"] == agent
                      and x["entry"] == e), None)  # fmt: skip
            if r is None or not math.isfinite(r["mean"]):
                continue
            lo = r["ci_low"] if math.isfinite(r["ci_low"]) else r["mean"]
            hi = r["ci_high"] if math.isfinite(r["ci_high"]) else r["mean"]
            ax.errorbar([j], [r["mean"]], yerr=[[r["mean"] - lo], [hi - r["mean"]]],
                        fmt="o", color=f"C{j % 10}", capsize=3)  # fmt: skip
        ax.axhline(0.0, color="0.5", lw=0.8)
        ax.set_xticks(range(len(entries)), entries, rotation=30, fontsize=7)
        asset = _asset(result, scenario, agent)
        ax.set_title(f"{agent} ({asset})" + (f", {scenario}" if len(seats) > 1 else ""),
                     fontsize=8)  # fmt: skip
        ax.tick_params(axis="y", labelsize=7)
    for k in range(len(seats), n_rows * cols):
        axes[k // cols, k % cols].axis("off")
    base = result.spec.baseline_name
    fig.suptitle(f"profit per episode minus {base}'s, same seeds ({result.spec.confidence:.0%} "
                 "bootstrap interval)", fontsize=9)  # fmt: skip
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
