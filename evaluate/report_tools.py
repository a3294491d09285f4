"""Small helpers the tournament's reports share: CSV cells and files, numbers, figures.

:mod:`elecbay_evaluate.report` and :mod:`elecbay_evaluate.protocol_report` both use them;
they live here so that neither report imports the other's helpers (no import cycle).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

__all__ = ["_cell", "_figure", "_fmt", "_write_csv"]


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else repr(v)
    return str(v)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows([_cell(v) for v in row] for row in rows)
    return path


def _fmt(x: float, places: int = 2) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{x:,.{places}f}"


def _figure(n_rows: int, n_cols: int, width: float, height: float) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    return fig, axes
