"""The options of ``elecbay evaluate`` and the tournament spec they give.

:func:`add_arguments` declares them (help text :data:`EVALUATE_HELP`), :func:`build_parser`
is the stand-alone parser and :func:`spec_from_args` turns parsed options into a
:class:`~elecbay_evaluate.spec.TournamentSpec` (a bad one raises
:class:`~elecbay_evaluate.spec.SpecError`). The command itself is
:func:`elecbay_evaluate.tournament.main`; every name here is re-exported there.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from elecbay_env.splits import SPLITS

from .journal import JOURNAL_FILE
from .spec import SpecError, TournamentSpec, load_spec, update_spec

__all__ = ["EVALUATE_HELP", "add_arguments", "build_parser", "spec_from_args"]

EVALUATE_HELP = """\
Play a tournament: every entry (a line-up of policies) on every scenario and seed,
in parallel over processes, and report market and profit metrics.

SPEC is a YAML file (or the name of a shipped example, e.g. 'example'):

  name: mine
  scenarios: [small, {name: default, overrides: {market.days: 1}}]
  n_seeds: 5                       # or seeds: [0, 1, 2]; seed0: first seed
  entries:
    - {name: truthful, policies: {"*": merit_order}}
    - {name: markup, policies: {producer_0: "markup:0.3"}}
    - {name: zi_c, policies: {"*": zi_c}}

Policy keys: an agent id (producer_2), a role (producer, consumer, broker) or "*"
(quote it in YAML); values: policy specs of elecbay_agents.registry. Without SPEC,
give --entry (and --scenario). Results do not depend on --workers.

Every line-up is compared with a baseline entry (--baseline, the spec's 'baseline',
else the first entry) seed by seed: episodes on the same seed are paired.

Writes into the output folder: results.csv (one row per episode), agents.csv (profit
per agent and per policy, with bootstrap confidence intervals across seeds),
summary.json, report.md and profit_per_policy.png, prices.png, efficiency.png;
paired_differences.csv (line-up minus baseline per metric and seat), aggregates.csv
(interquartile means), performance_profile.csv and .png. The files are moved into
the output folder when complete; until then it holds a marker file INCOMPLETE and
episodes.jsonl (every finished episode, so that --resume can finish an interrupted
run). Metrics and protocol: docs/evaluator.md."""


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``elecbay evaluate`` arguments to ``parser``."""
    parser.add_argument(
        "spec",
        nargs="?",
        default=None,
        metavar="SPEC",
        help="tournament spec: a YAML file or a shipped example name",
    )
    parser.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder, created if missing; must be empty unless --overwrite or "
        "--resume (default: a new runs/evaluate-<name>-<timestamp>[-N])",
    )
    parser.add_argument(
        "--workers",
        type=_int,
        default=None,
        metavar="N",
        help=f"worker processes, >= 1 (default: the machine's cores, {os.cpu_count()})",
    )
    parser.add_argument(
        "--seeds",
        type=_int,
        default=None,
        metavar="N",
        help="play seeds seed0 .. seed0+N-1 instead of the spec's seeds",
    )
    parser.add_argument(
        "--seed0", type=_int, default=None, metavar="S", help="first seed with --seeds or n_seeds"
    )
    parser.add_argument(
        "--days",
        type=_int,
        default=None,
        metavar="N",
        help="override market.days in every scenario",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="scenario override for every scenario (YAML value), repeatable",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        default=None,
        metavar="NAME|PATH",
        help="play these scenarios instead of the spec's, repeatable",
    )
    parser.add_argument(
        "--entry",
        action="append",
        nargs="+",
        default=None,
        metavar=("NAME", "KEY=SPEC"),
        help="an entry: a name and its policies, e.g. --entry markup "
        "producer_0=markup:0.3; repeatable; replaces the spec's entries",
    )
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="NAME",
        help="the entry the others are compared with, seed by seed (default: the spec's "
        "baseline, else its first entry)",
    )
    parser.add_argument(
        "--split",
        default=None,
        choices=SPLITS,
        metavar="SPLIT",
        help="for scenarios with real data (gb2024): draw each seed's date from this split "
        f"({', '.join(SPLITS)}); the same seed gives the same date in every line-up",
    )
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out (only once the tournament has finished)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish an interrupted run: --out DIR (marked INCOMPLETE) keeps every "
        f"finished episode in {JOURNAL_FILE}; play only the others",
    )
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar and no tables; only errors"
    )
    from .ray_backend import add_arguments as add_backend_arguments

    add_backend_arguments(parser)
    return parser  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    """The stand-alone parser (``python -m elecbay_evaluate.tournament``)."""
    parser = argparse.ArgumentParser(
        prog="elecbay evaluate",
        description=EVALUATE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    return add_arguments(parser)  # fmt: skip


def _parse_pairs(items: Sequence[str], what: str) -> dict[str, Any]:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"{what} {item!r}: expected KEY=VALUE")
        out[key] = value
    return out


def spec_from_args(args: argparse.Namespace) -> TournamentSpec:
    """The spec of a command line: SPEC (if any) with the options applied."""
    data: dict[str, Any] = {}
    if args.spec is not None:
        data = load_spec(args.spec).model_dump()
    elif not args.entry:
        raise SpecError("give a SPEC file (or a shipped spec name) or at least one --entry")
    if args.scenario:
        data["scenarios"] = list(args.scenario)
    data.setdefault("scenarios", ["default"])
    if args.entry:
        data["entries"] = [{"name": e[0], "policies": _parse_pairs(e[1:], "--entry")}
                           for e in args.entry]  # fmt: skip
        data["baseline"] = None  # the spec's baseline named one of the replaced entries
    if getattr(args, "baseline", None) is not None:
        data["baseline"] = args.baseline
    spec = load_spec(data)
    sets = {k: yaml.safe_load(v) for k, v in _parse_pairs(args.set, "--set").items()}
    if getattr(args, "split", None) is not None:
        _check_split_scenarios(spec, args.split)
        sets["data.split"] = args.split
    return update_spec(spec, n_seeds=args.seeds, seed0=args.seed0, days=args.days,
                       overrides=sets)  # fmt: skip


def _check_split_scenarios(spec: TournamentSpec, split: str) -> None:
    from elecbay_env.config import ScenarioError, load_scenario

    for s in spec.scenarios:
        try:
            sc = load_scenario(s.name, **s.overrides)
        except ScenarioError:
            continue  # check_spec reports it
        if sc.data is None:
            raise SpecError(
                f"--split {split}: scenario {s.display!r} has no data section (no real dates); "
                "splits apply to scenarios with real data, e.g. gb2024"
            )


def _default_out(name: str) -> Path:
    """Base name of the default output folder (made unique when it is reserved)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)
    return Path("runs") / f"evaluate-{safe}-{stamp}"
