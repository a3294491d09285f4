"""The ``elecbay classroom`` command: its options, their defaults and checks, the run.

:mod:`elecbay_app.cli` adds the subcommand with :data:`CLASSROOM_HELP`,
:func:`add_arguments` and :func:`run_command`.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

from elecbay_evaluate.classroom.common import OptionError, Outcome
from elecbay_evaluate.classroom.curtailment import SUBSIDY, curtailment_outcome, run_curtailment
from elecbay_evaluate.classroom.reserve import RESERVE_Z, reserve_outcome, run_reserve
from elecbay_evaluate.classroom.withholding import (
    MARKUPS,
    WITHHOLD_AGENT,
    WITHHOLDS,
    run_withholding,
    withholding_outcome,
)
from elecbay_evaluate.classroom.zi import run_zi, zi_outcome

EXPERIMENTS = ("zi", "withholding", "reserve", "curtailment")


CLASSROOM_HELP = """\
Classroom experiments, one command each (docs/classroom.md):

  zi           zero-intelligence traders in a continuous double auction with induced
               values and costs (Smith 1962; Gode & Sunder 1993): efficiency and price
               convergence of budget-constrained (ZI-C) vs unconstrained (ZI-U) traders
  withholding  one large producer marks up its offers and withholds capacity in the
               uniform-price market: mean price, its profit, allocative efficiency
  reserve      the broker's reserve z: availability vs balancing-energy and
               unserved-energy cost, and the z with the lowest total
  curtailment  curtailment trading behind a distribution constraint: who is curtailed
               without and with the daily curtailment auction, and the welfare gain

Prints a table (mean and 95 % bootstrap interval over seeds) and writes the plot
(<name>.png), table.txt and results.csv (one row per seed and setting) into --out.
Same options, same numbers."""

_DEFAULTS: dict[str, dict[str, dict[str, Any]]] = {
    "zi": {
        "full": {"seeds": 20, "periods": 10, "buyers": 10, "sellers": 10},
        "quick": {"seeds": 8, "periods": 5, "buyers": 10, "sellers": 10},
    },
    "withholding": {
        "full": {"seeds": 10, "days": 3, "producer": WITHHOLD_AGENT, "markups": MARKUPS,
                 "withholds": WITHHOLDS, "config": "default"},
        "quick": {"seeds": 2, "days": 1, "producer": WITHHOLD_AGENT, "markups": MARKUPS,
                  "withholds": WITHHOLDS, "config": "default"},
    },
    "reserve": {
        "full": {"seeds": 10, "days": 3, "z": RESERVE_Z, "config": "default"},
        "quick": {"seeds": 2, "days": 1, "z": (0.0, 1.0, 2.0, 4.0, 8.0, 16.0),
                  "config": "default"},
    },
    "curtailment": {"full": {"seeds": 10}, "quick": {"seeds": 2}},
}  # fmt: skip
"""Sizes of each experiment: default and ``--quick``; options given override them."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _floats(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None
    if not values or not all(math.isfinite(v) for v in values):
        raise argparse.ArgumentTypeError(f"expected comma-separated finite numbers, got {text!r}")
    return values


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``elecbay classroom`` (:mod:`elecbay_app.cli` adds the subcommand)."""
    parser.add_argument("experiment", choices=EXPERIMENTS, help="which experiment to run")
    parser.add_argument("--quick", action="store_true",
                        help="a small run (seconds) for a first look or a test")  # fmt: skip
    parser.add_argument("--seeds", type=_int, default=None, metavar="N",
                        help="seeds to average over (default: zi 20, withholding 10, "
                             "reserve 10; --quick: 8, 2, 2)")  # fmt: skip
    parser.add_argument("--first-seed", type=_int, default=0, metavar="S",
                        help="seeds are S, S+1, ..., S+N-1 (default: %(default)s)")  # fmt: skip
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="output folder, created if missing (default: "
                             "runs/classroom-<experiment>)")  # fmt: skip
    zi = parser.add_argument_group("zi")
    zi.add_argument("--buyers", type=_int, default=None, metavar="N",
                    help="buyers, one unit each (default: 10)")  # fmt: skip
    zi.add_argument("--sellers", type=_int, default=None, metavar="N",
                    help="sellers, one unit each (default: 10)")  # fmt: skip
    zi.add_argument("--periods", type=_int, default=None, metavar="N",
                    help="trading periods per seed (default: 10; --quick: 5)")  # fmt: skip
    env = parser.add_argument_group("withholding and reserve")
    env.add_argument("--config", default=None, metavar="PATH|NAME",
                     help="scenario: a shipped name (default, small, ...) or a YAML file "
                          "(default: default)")  # fmt: skip
    env.add_argument(
        "--days",
        type=_int,
        default=None,
        metavar="N",
        help="days of the scenario per run (default: 3; --quick: 1)",
    )
    env.add_argument("--producer", default=None, metavar="AGENT",
                     help=f"withholding: the strategic producer (default: {WITHHOLD_AGENT}, "
                          "ccgt_1)")  # fmt: skip
    env.add_argument(
        "--markups",
        type=_floats,
        default=None,
        metavar="LIST",
        help="withholding: markups, comma-separated (default: 0,0.2,0.5,1)",
    )
    env.add_argument("--withholds", type=_floats, default=None, metavar="LIST",
                     help="withholding: withheld shares (default: 0,0.2,0.4)")  # fmt: skip
    env.add_argument(
        "--z",
        type=_floats,
        default=None,
        metavar="LIST",
        help="reserve: values of z (default: 0,0.5,1,2,3,4,6,8,12,16)",
    )


def _options(args: argparse.Namespace) -> dict[str, Any]:
    """The experiment's sizes: its defaults (full or quick), overridden by the options."""
    from elecbay_env.errors import UsageError

    name = args.experiment
    opts = dict(_DEFAULTS[name]["quick" if args.quick else "full"])
    for other, sizes in _DEFAULTS.items():
        for key in set(sizes["full"]) - set(opts):
            if getattr(args, key, None) is not None:
                raise UsageError(f"--{key}: applies to the {other} experiment, not {name}")
    for key in opts:
        if getattr(args, key) is not None:
            opts[key] = getattr(args, key)
    least = {"seeds": 1, "days": 1, "periods": 1, "buyers": 2, "sellers": 2}
    for key, low in least.items():
        if key in opts and opts[key] < low:
            raise UsageError(f"--{key} {opts[key]}: must be at least {low}")
    if args.first_seed < 0:
        raise UsageError(f"--first-seed {args.first_seed}: must be at least 0")
    for key in ("buyers", "sellers"):
        if key in opts and opts[key] > 200:
            raise UsageError(f"--{key} {opts[key]}: at most 200 (one unit each)")
    if any(v < 0 for v in opts.get("markups", ())):
        raise UsageError("--markups: every markup must be at least 0")
    if any(not 0 <= v <= 1 for v in opts.get("withholds", ())):
        raise UsageError("--withholds: every share must lie in [0, 1]")
    if any(v < 0 for v in opts.get("z", ())):
        raise UsageError("--z: every z must be at least 0")
    if "producer" in opts and not opts["producer"].startswith("producer_"):
        raise UsageError(f"--producer {opts['producer']}: expected a producer id (producer_<i>)")
    return opts


def run_experiment(name: str, opts: dict[str, Any], first_seed: int = 0) -> Outcome:
    """Run experiment ``name`` with sizes ``opts`` (keys as in ``_DEFAULTS``)."""
    seeds = range(first_seed, first_seed + opts["seeds"])
    if name == "zi":
        return zi_outcome(run_zi(opts["buyers"], opts["sellers"], opts["periods"], seeds))
    if name == "withholding":
        res = run_withholding(opts["markups"], opts["withholds"], opts["days"], seeds,
                              opts["producer"], opts.get("config", "default"))  # fmt: skip
        return withholding_outcome(res)
    if name == "reserve":
        return reserve_outcome(
            run_reserve(opts["z"], opts["days"], seeds, opts.get("config", "default"))
        )
    if name == "curtailment":
        return curtailment_outcome(run_curtailment(seeds, SUBSIDY), SUBSIDY)
    raise ValueError(f"experiment {name!r}: allowed values are {EXPERIMENTS}")


def run_command(args: argparse.Namespace) -> int:
    """``elecbay classroom``: run, print the table, write the outputs; returns 0."""
    from elecbay_env.config import ScenarioError
    from elecbay_env.errors import UsageError

    opts = _options(args)
    out = Path(args.out or f"runs/classroom-{args.experiment}")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    start = time.perf_counter()
    try:
        outcome = run_experiment(args.experiment, opts, args.first_seed)
    except OptionError as exc:  # e.g. a producer id the scenario does not have
        raise UsageError(str(exc)) from None
    except ScenarioError as exc:  # --config: a scenario that does not load
        raise UsageError("--config: " + "; ".join(str(exc).splitlines())) from None
    print(outcome.table)
    files = outcome.write(out)
    print(f"{time.perf_counter() - start:.1f} s; wrote {', '.join(f.name for f in files)} "
          f"to {out}/")  # fmt: skip
    return 0
