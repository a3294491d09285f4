"""What the classroom experiments share: statistics over seeds, tables, plots, outputs.

Every figure is a mean over seeds with its 95 % bootstrap interval (:func:`mean_ci`,
the tournament evaluator's :func:`elecbay_evaluate.metrics.bootstrap_ci`); every
experiment returns an :class:`Outcome` that writes the plot, ``table.txt`` and
``results.csv`` into its output folder.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

PLOT_NAME = "{name}.png"
TABLE_NAME = "table.txt"
RESULTS_NAME = "results.csv"


class OptionError(ValueError):
    """An experiment option the scenario cannot serve (e.g. an unknown producer id)."""


# ---------------------------------------------------------------------------- statistics


def mean_ci(x: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Mean over seeds and its 95 % bootstrap interval: ``(mean, lo, hi)``.

    The interval is :func:`elecbay_evaluate.metrics.bootstrap_ci` (BCa, seeded), the one
    the tournament evaluator reports; NaN bounds with fewer than two values.
    """
    from elecbay_evaluate.metrics import bootstrap_ci

    a = np.asarray(x, dtype=np.float64).ravel()
    lo, hi = bootstrap_ci(a)
    return float(a.mean()), lo, hi


def fmt_ci(x: Sequence[float] | np.ndarray, places: int = 1) -> str:
    """``mean [lo, hi]`` (just the mean with a single value)."""
    m, lo, hi = mean_ci(x)
    if math.isnan(lo):
        return f"{m:,.{places}f}"
    return f"{m:,.{places}f} [{lo:,.{places}f}, {hi:,.{places}f}]"


# -------------------------------------------------------------------------------- text


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain text table: first column left-aligned, the others right-aligned."""
    cols = list(zip(headers, *rows, strict=True))
    widths = [max(len(c) for c in col) for col in cols]

    def line(cells: Sequence[str]) -> str:
        out = [f"{cells[0]:<{widths[0]}}"]
        out += [f"{c:>{w}}" for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])


def days_text(days: int) -> str:
    """``"1 day"``, ``"3 days"``."""
    return f"{days} day{'s' * (days != 1)}"


def seed_text(seeds: Sequence[int]) -> str:
    """``"seed 0"`` or ``"5 seeds (0..4)"``."""
    n = len(seeds)
    return f"seed {seeds[0]}" if n == 1 else f"{n} seeds ({seeds[0]}..{seeds[-1]})"


# ------------------------------------------------------------------------------- plots


def figure(width: float, height: float) -> Any:
    """A matplotlib figure on the Agg canvas (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def errorbar(ax: Any, x: Any, samples: Sequence[np.ndarray], **kw: Any) -> None:
    """Means with 95 % interval bars (no bars where an interval is undefined)."""
    stats = np.array([mean_ci(s) for s in samples])
    ax.errorbar(x, stats[:, 0], yerr=error_bars(stats), capsize=3, **kw)


def error_bars(stats: np.ndarray) -> np.ndarray:
    """(2, K) error-bar lengths from (K, 3) rows of (mean, lo, hi); 0 where undefined."""
    return np.nan_to_num(np.abs(stats[:, 1:] - stats[:, :1]).T)


# ----------------------------------------------------------------------------- outputs


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """``rows`` as CSV, the first row's keys as header; returns ``path``."""
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@dataclass
class Outcome:
    """What one experiment produced: the printed table, per-seed rows, and a plotter."""

    name: str
    table: str
    rows: list[dict[str, Any]]
    plot: Callable[[Path], Path]
    result: Any

    def write(self, out: Path) -> list[Path]:
        """Write the plot, ``table.txt`` and ``results.csv`` into ``out`` (created)."""
        out.mkdir(parents=True, exist_ok=True)
        (out / TABLE_NAME).write_text(self.table + "\n")
        return [
            self.plot(out / PLOT_NAME.format(name=self.name)),
            out / TABLE_NAME,
            write_csv(out / RESULTS_NAME, self.rows),
        ]
