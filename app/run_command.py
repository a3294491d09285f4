"""``elecbay run``: its options, their checks, and the run into a claimed output folder.

:func:`add_arguments` declares the options (help text :data:`RUN_HELP`);
:func:`run_command` checks them (a bad one raises :class:`~elecbay_env.errors.UsageError`,
which :mod:`elecbay_app.cli` prints in one line with exit code 2), plays the episode
(:mod:`elecbay_app.episode`), prints the summary and writes the files into an output
folder claimed safely (:mod:`elecbay_env.outputs`).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from elecbay_env.errors import UsageError
from elecbay_env.splits import SPLITS

from .episode import (
    DEFAULT_DAYS,
    DEFAULT_SEED,
    build_env,
    format_summary,
    simulate,
    summarise,
    write_outputs,
)

__all__ = ["RUN_HELP", "add_arguments", "run_command"]

RUN_HELP = """\
Play a market scenario with the baseline policies and report what happened.

Every producer and consumer bids truthfully (merit order: offers at marginal cost,
bids at value; storage by price thresholds); the broker buys reserve = z x the
standard deviation of the system's forecast error. One step is one settlement period.
Prints a summary (prices, volumes, imbalance, unserved energy, welfare, profit per
agent) and writes into the output folder: statements.csv/.parquet/.json (the
settlement ledger), meter_reads.csv/.parquet, periods.csv (one row per period),
summary.json and market.png (prices and volumes per period, and one period's supply
and demand curves with the clearing point).

--policy AGENT=SPEC plays chosen agents (an agent id, a role or '*') with another
policy: a built-in name ('elecbay policies'), a trained model (sb3:DIR) or your own
(my_pkg.rules:Cls or path/to/file.py:Cls). The files are written into a hidden
folder beside the output folder and moved into place when complete; while the run
works the output folder holds only a marker file INCOMPLETE."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``elecbay run`` (:mod:`elecbay_app.cli` adds the subcommand)."""
    parser.add_argument(
        "--config", default="default", metavar="PATH|NAME",
        help="scenario: a shipped name (default, small, ...) or a YAML file "
             "(default: %(default)s)",
    )  # fmt: skip
    parser.add_argument("--days", type=_int, default=DEFAULT_DAYS, metavar="N",
                        help="days to simulate, >= 1 (default: %(default)s)")  # fmt: skip
    parser.add_argument(
        "--seed",
        type=_int,
        default=DEFAULT_SEED,
        metavar="S",
        help="seed of the market's random numbers, >= 0 (default: %(default)s)",
    )
    parser.add_argument(
        "--out", default=None, metavar="DIR",
        help="output folder, created if missing; must be empty unless --overwrite "
             "(default: a new runs/<scenario>-seed<S>-<timestamp>[-N])",
    )  # fmt: skip
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out (only once the run has finished)",
    )
    parser.add_argument(
        "--policy", action="append", default=[], metavar="AGENT=SPEC",
        help="play AGENT (an agent id, a role or '*') with a policy spec instead of the "
             "baseline: a built-in name (elecbay policies), a trained model (sb3:DIR) or "
             "an import path (my_pkg.rules:Cls, path/to/file.py:Cls); repeatable",
    )  # fmt: skip
    parser.add_argument(
        "--plot-period", type=_int, default=None, metavar="P",
        help="period whose supply and demand curves market.png shows "
             "(default: the period with the largest traded volume)",
    )  # fmt: skip
    parser.add_argument("--split", default=None, choices=SPLITS, metavar="SPLIT",
                        help="real-data scenarios (gb2024): the split the seed draws the first "
                        f"day from ({', '.join(SPLITS)}; default: the scenario's)")  # fmt: skip
    parser.add_argument("--date", default=None, metavar="YYYY-MM-DD",
                        help="real-data scenarios: start on this UTC day instead")  # fmt: skip
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (it goes to stderr)")  # fmt: skip


def _default_out(scenario: str, seed: int) -> Path:
    """Base name of the default output folder (made unique when it is reserved)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("runs") / f"{scenario}-seed{seed}-{stamp}"


def _policy_spec(env: Any, items: Sequence[str], seed: int) -> dict[str, Any] | None:
    """``--policy AGENT=SPEC`` options -> ``{agent: policy}`` built once (None: none given).

    Raises:
        UsageError: a malformed option, an unknown agent or role, or a spec that cannot
            be built for its agents.
    """
    if not items:
        return None
    from elecbay_agents.registry import make_policies

    spec: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"--policy {item!r}: expected AGENT=SPEC, e.g. producer_0=markup:0.3")
        spec[key.strip()] = value.strip()
    try:
        return make_policies(env, spec, seed=seed)
    except (ValueError, TypeError, KeyError, OSError, ImportError) as exc:
        text = "; ".join(str(exc).splitlines())
        raise UsageError(f"--policy {' '.join(items)}: {text}") from None


def run_command(args: argparse.Namespace) -> int:
    from elecbay_env.config import ScenarioError

    if args.days < 1:
        raise UsageError(f"--days {args.days}: must be at least 1")
    if args.seed < 0:
        raise UsageError(f"--seed {args.seed}: must be at least 0")
    if args.plot_period is not None and args.plot_period < 0:
        raise UsageError(f"--plot-period {args.plot_period}: must be at least 0")
    if args.out is not None and Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out {args.out}: exists and is not a folder")
    from elecbay_env.outputs import OutputError, SafeOutput

    try:
        env = build_env(args.config, args.days, args.split)
    except ScenarioError as exc:
        raise UsageError("--config: " + "; ".join(str(exc).splitlines())) from None
    except ValueError as exc:
        raise UsageError(f"--split {args.split}: {exc}") from None
    if args.date is not None:
        try:
            env.engine.episodes.day_index(args.date)
        except ValueError as exc:
            raise UsageError(f"--date {args.date}: {exc}") from None
    if args.plot_period is not None and args.plot_period >= env.num_periods:
        raise UsageError(f"--plot-period {args.plot_period}: the run has periods 0 to "
                         f"{env.num_periods - 1}")  # fmt: skip
    policies = _policy_spec(env, args.policy, args.seed)
    try:
        target = SafeOutput.claim(args.out, _default_out(env.scenario.name, args.seed),
                                  overwrite=args.overwrite)  # fmt: skip
    except OutputError as exc:
        raise UsageError(str(exc)) from None
    with target:
        return _run_into(args, env, policies, target)


def _run_into(args: argparse.Namespace, env: Any, policies: Any, target: Any) -> int:
    """Simulate, print and write into ``target`` (a claimed
    :class:`~elecbay_env.outputs.SafeOutput`, committed by the caller)."""
    m = env.scenario.market
    print(f"elecbay run: scenario {env.scenario.name!r}, {m.days} day{'s' * (m.days != 1)} x "
          f"{env.num_periods // m.days} periods of {m.period_min} min, seed {args.seed}, "
          f"{len(env.possible_agents)} agents", flush=True)  # fmt: skip
    ep = simulate(env, args.seed, progress=not args.no_progress, spec=policies, date=args.date)
    if env.engine.split is not None:
        first = env.engine.dates[0]
        last = first + np.timedelta64(m.days - 1, "D")
        how = (
            "chosen with --date"
            if args.date
            else f"drawn by the seed from split {env.engine.split!r}"
        )
        print(f"real data: UTC days {first} to {last}, {how}")
    period = int(np.argmax(ep.volume_mw)) if args.plot_period is None else args.plot_period
    if args.policy:
        chosen = "; ".join(args.policy)
        print(f"policies: {chosen}; the others: the baseline; {env.num_periods} periods in "
              f"{ep.elapsed_s:.2f} s")  # fmt: skip
    else:
        print("policies: truthful merit order (producers, consumers), rule-based broker "
              f"(z = {ep.policies['broker_0'].z:g}); {env.num_periods} periods in "
              f"{ep.elapsed_s:.2f} s")  # fmt: skip
    summary = summarise(ep)
    print(format_summary(summary))
    files = write_outputs(ep, summary, target.work, period)
    out = target.final
    print(f"wrote {len(files)} files to {out}/: {', '.join(f.name for f in files)}")
    print(f"(market.png shows supply and demand of period {period})")
    return 0
