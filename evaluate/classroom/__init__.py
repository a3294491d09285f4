"""Classroom experiments: three short runs that show educators how markets behave.

Each is one command, prints a table of its figures (mean and 95 % interval over
seeds) and writes a plot, the table and the per-seed results into ``--out``
(default ``runs/classroom-<name>``); ``docs/classroom.md`` shows a real run of each.

* ``elecbay classroom zi`` (:func:`run_zi`, :mod:`.zi`): zero-intelligence traders in
  the continuous double auction with induced values and costs, in the style of Smith
  (1962) and Gode & Sunder (1993). Budget-constrained traders (ZI-C) reach almost the
  whole surplus; unconstrained ones (ZI-U) do not, and their prices do not converge.
* ``elecbay classroom withholding`` (:func:`run_withholding`, :mod:`.withholding`): one
  large producer of the uniform-price env market marks up its offers and withholds
  capacity while everyone else bids truthfully: the price rises and efficiency falls;
  its profit rises only while the markup keeps it at the margin of the merit order.
* ``elecbay classroom reserve`` (:func:`run_reserve`, :mod:`.reserve`): the rule-based
  broker's reserve z trades availability cost against balancing-energy and
  unserved-energy cost.

The modules: :mod:`.common` (statistics over seeds, tables, plots, the outputs),
:mod:`.episodes` (env episodes summed, for withholding and reserve), one module per
experiment, and :mod:`.command` (the options and the run of ``elecbay classroom``).
Every name they export is importable from here.

Same options, same numbers: every random draw comes from the seeds.
"""

from __future__ import annotations

from elecbay_evaluate.classroom.command import (
    CLASSROOM_HELP,
    EXPERIMENTS,
    add_arguments,
    run_command,
    run_experiment,
)
from elecbay_evaluate.classroom.common import (
    PLOT_NAME,
    RESULTS_NAME,
    TABLE_NAME,
    OptionError,
    Outcome,
    fmt_ci,
    format_table,
    mean_ci,
)
from elecbay_evaluate.classroom.episodes import EpisodeTotals, play
from elecbay_evaluate.classroom.reserve import (
    RESERVE_Z,
    ReserveResult,
    plot_reserve,
    reserve_outcome,
    reserve_table,
    run_reserve,
)
from elecbay_evaluate.classroom.withholding import (
    MARKUPS,
    WITHHOLD_AGENT,
    WITHHOLDS,
    WithholdingResult,
    plot_withholding,
    run_withholding,
    withholding_outcome,
    withholding_table,
)
from elecbay_evaluate.classroom.zi import (
    ZI_COSTS,
    ZI_PRICE_RANGE,
    ZI_VALUES,
    ZIMarket,
    ZIResult,
    ZISession,
    plot_zi,
    run_zi,
    zi_market,
    zi_outcome,
    zi_session,
    zi_table,
)

__all__ = [
    "CLASSROOM_HELP",
    "EXPERIMENTS",
    "MARKUPS",
    "PLOT_NAME",
    "RESERVE_Z",
    "RESULTS_NAME",
    "TABLE_NAME",
    "WITHHOLDS",
    "WITHHOLD_AGENT",
    "ZI_COSTS",
    "ZI_PRICE_RANGE",
    "ZI_VALUES",
    "EpisodeTotals",
    "OptionError",
    "Outcome",
    "ReserveResult",
    "WithholdingResult",
    "ZIMarket",
    "ZIResult",
    "ZISession",
    "add_arguments",
    "fmt_ci",
    "format_table",
    "mean_ci",
    "play",
    "plot_reserve",
    "plot_withholding",
    "plot_zi",
    "reserve_outcome",
    "reserve_table",
    "run_command",
    "run_experiment",
    "run_reserve",
    "run_withholding",
    "run_zi",
    "withholding_outcome",
    "withholding_table",
    "zi_market",
    "zi_outcome",
    "zi_session",
    "zi_table",
]
