"""A leaderboard of the shipped baseline line-ups, as a Markdown file.

``python -m elecbay_evaluate.leaderboard [--scenario NAME] [--split SPLIT] [--seeds N]
[--out docs/leaderboard.md]`` plays the fixed line-ups of :data:`LINEUPS` (truthful
merit order, markup, capacity withholding, forecast-following retailers,
zero-intelligence traders) on one scenario with the tournament evaluator
(:func:`elecbay_evaluate.tournament.run_tournament`) and writes a table: per line-up
the IQM of welfare across seeds with its stratified bootstrap interval, the mean
efficiency with its interval, the seed-paired welfare difference from the ``truthful``
baseline with its interval, and wins/ties/losses over seeds. The header states the
protocol (:func:`elecbay_evaluate.comparison.protocol_lines`).

**Ranking key** (:func:`rank`): the IQM of welfare, highest first; equal IQMs by the
mean paired welfare difference, then by line-up name. Welfare is the sum of every
agent's rewards (broker included), so the ranking is by what the market as a whole
achieved, not by any one seat's profit.

The file depends only on the arguments (never on ``--workers`` or timing), so running
the same command twice gives the same bytes. Defaults: scenario ``default`` with
``market.days: 1``, 10 seeds from 0. ``--split S`` adds the scenario override
``data.split: S``; a scenario without a ``data`` section rejects it (the command exits
with status 2 and the loader's message).
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from elecbay_evaluate.comparison import ALL_SCENARIOS, protocol_lines
from elecbay_evaluate.protocol_report import diff_text, wtl_text
from elecbay_evaluate.report import _fmt
from elecbay_evaluate.spec import SpecError, TournamentSpec, load_spec
from elecbay_evaluate.tournament import TournamentResult, run_tournament

__all__ = ["BASELINE", "LINEUPS", "build_parser", "leaderboard_markdown", "leaderboard_spec",
           "main", "rank"]  # fmt: skip

BASELINE = "truthful"
"""The line-up every other is compared with."""

LINEUPS: dict[str, dict[str, str]] = {
    BASELINE: {"*": "merit_order"},
    "markup": {"producer": "markup:0.3"},
    "withhold": {"producer": "withhold:0.3"},
    "retailer": {"consumer": "retailer"},
    "zi_c": {"*": "zi_c"},
    "zi_u": {"*": "zi_u"},
}
"""The shipped baseline line-ups (agent id / role / ``"*"`` -> policy spec). Role-wide
specs keep them valid on any scenario; the broker plays the rule-based baseline unless
a line-up names a broker policy (``zi_c``, ``zi_u``)."""

DEFAULT_OUT = "docs/leaderboard.md"


def leaderboard_spec(scenario: str = "gb2024", split: str | None = "test", n_seeds: int = 10,
                     seed0: int = 0, days: int | None = 1,
                     lineups: Sequence[str] | None = None,
                     n_resamples: int = 9999) -> TournamentSpec:  # fmt: skip
    """The leaderboard's tournament spec.

    Args:
        scenario: a shipped scenario name or a scenario YAML path.
        split: the ``data.split`` scenario override (None: none).
        n_seeds: seeds ``seed0 .. seed0 + n_seeds - 1``.
        seed0: first seed.
        days: the ``market.days`` override (None: the scenario's).
        lineups: names of :data:`LINEUPS` to play (default all); the baseline is always
            played.
        n_resamples: bootstrap resamples.

    Raises:
        SpecError: an unknown line-up name, or an invalid spec.
    """
    names = list(LINEUPS) if not lineups else [BASELINE, *(n for n in lineups if n != BASELINE)]
    unknown = [n for n in names if n not in LINEUPS]
    if unknown:
        raise SpecError(f"--lineup {', '.join(unknown)}: unknown (line-ups: "
                        f"{', '.join(LINEUPS)})")  # fmt: skip
    overrides: dict[str, Any] = {}
    if days is not None:
        overrides["market.days"] = days
    if split is not None:
        overrides["data.split"] = split
    return load_spec({
        "name": "leaderboard",
        "scenarios": [{"name": scenario, "overrides": overrides}],
        "n_seeds": n_seeds, "seed0": seed0,
        "entries": [{"name": n, "policies": LINEUPS[n]} for n in dict.fromkeys(names)],
        "baseline": BASELINE,
        "deterministic": False,  # stochastic policies sample (seeded: still reproducible)
        "n_resamples": n_resamples,
    })  # fmt: skip


def _row(result: TournamentResult, kind: str, entry: str, metric: str) -> dict[str, Any]:
    if kind == "aggregate":
        return next(r for r in result.aggregates if r["scope"] == ALL_SCENARIOS
                    and r["entry"] == entry and r["metric"] == metric)  # fmt: skip
    if kind == "market":
        return next(m["metrics"][metric] for m in result.markets if m["entry"] == entry)
    found = [r for r in result.paired if r["entry"] == entry and r["metric"] == metric]
    return found[0] if found else {}


def rank(result: TournamentResult) -> list[str]:
    """The line-ups in leaderboard order: IQM of welfare (highest first), then the mean
    paired welfare difference from the baseline (the baseline's is 0), then name."""

    def key(name: str) -> tuple[float, float, str]:
        w = _row(result, "aggregate", name, "welfare")["iqm"]
        d = _row(result, "paired", name, "welfare").get("mean", 0.0)
        return (-w if math.isfinite(w) else math.inf, -d if math.isfinite(d) else math.inf,
                name)  # fmt: skip

    return sorted((e.name for e in result.spec.entries), key=key)


def _interval(d: dict[str, Any], key: str, places: int) -> str:
    text = _fmt(d[key], places)
    if math.isfinite(d["ci_low"]):
        text += f" [{_fmt(d['ci_low'], places)}, {_fmt(d['ci_high'], places)}]"
    return text


def leaderboard_markdown(result: TournamentResult, command: str) -> str:
    """The leaderboard page: title, how it was made, the protocol and the table."""
    spec = result.spec
    ci = f"{spec.confidence:.0%}"
    lines = [
        "# Leaderboard: shipped baseline line-ups", "",
        f"Generated by `{command}` (`evaluate/leaderboard.py`); do not edit by hand.", "",
        "## Protocol", "",
        *protocol_lines(spec),
        "- **Ranking**: IQM of welfare across seeds, highest first; then the mean paired "
        "welfare difference from the baseline; then the line-up's name",
        "- **Welfare** = the sum of every agent's rewards over the episode (broker "
        "included); **efficiency** = realised / maximum surplus of the forward market "
        "(`docs/evaluator.md`)", "",
        f"| rank | line-up | policies | welfare IQM [{ci} CI] | efficiency mean [{ci} CI] | "
        f"welfare diff vs {spec.baseline_name} [{ci} CI] | W/T/L | markup mean (per MWh) |",
        "|---|---|---|---|---|---|---|---|",
    ]  # fmt: skip
    policies = {e.name: ", ".join(f"`{k}`: `{v}`" for k, v in e.policies.items())
                for e in spec.entries}  # fmt: skip
    for i, name in enumerate(rank(result), 1):
        w = _row(result, "aggregate", name, "welfare")
        eff = _row(result, "market", name, "efficiency")
        d = _row(result, "paired", name, "welfare")
        diff, wtl = (diff_text(d, 0), wtl_text(d)) if d else ("(baseline)", "-")
        markup = _row(result, "market", name, "markup_mean_per_mwh")
        lines.append(f"| {i} | {name} | {policies[name]} | {_interval(w, 'iqm', 0)} | "
                     f"{_interval(eff, 'mean', 5)} | {diff} | {wtl} | "
                     f"{_interval(markup, 'mean', 2) if markup else '-'} |")  # fmt: skip
    lines += [
        "",
        "The trained learners of `docs/training.md` hold seats of the `default` scenario "
        "(its 13 agents); they cannot sit in `gb2024`'s 23 seats, so they are not listed "
        "here. Train one on the train split (`elecbay train --config gb2024 --split train`) "
        "and compare it on the test split with `elecbay evaluate --scenario gb2024 --split "
        "test --entry NAME producer_4=sb3:runs/train-...`.",
    ]
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m elecbay_evaluate.leaderboard``."""
    p = argparse.ArgumentParser(prog="python -m elecbay_evaluate.leaderboard",
                                description=__doc__.split("\n\n")[0])  # fmt: skip
    p.add_argument("--scenario", default="gb2024", metavar="NAME|PATH",
                   help="scenario to play (default: gb2024)")  # fmt: skip
    p.add_argument("--split", default="test", metavar="SPLIT",
                   help="scenario override data.split (default: test; 'none' for a "
                   "scenario without data)")  # fmt: skip
    p.add_argument("--seeds", type=int, default=10, metavar="N", help="seeds (default 10)")
    p.add_argument("--seed0", type=int, default=0, metavar="S", help="first seed (default 0)")
    p.add_argument("--days", type=int, default=1, metavar="N",
                   help="market.days override (default 1; 0: the scenario's own)")  # fmt: skip
    p.add_argument("--lineup", action="append", default=None, metavar="NAME",
                   help=f"play only these line-ups (repeatable; {', '.join(LINEUPS)}); "
                   f"{BASELINE} is always played")  # fmt: skip
    p.add_argument("--resamples", type=int, default=9999, metavar="N",
                   help="bootstrap resamples (default 9999)")  # fmt: skip
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes (results do not depend on it)")  # fmt: skip
    p.add_argument("--out", default=DEFAULT_OUT, metavar="PATH",
                   help=f"Markdown file to write (default {DEFAULT_OUT})")  # fmt: skip
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _command(args: argparse.Namespace) -> str:
    """The command that reproduces the file (every result-changing argument, normalised)."""
    parts = ["python -m elecbay_evaluate.leaderboard", f"--scenario {args.scenario}"]
    if args.split is not None:
        parts.append(f"--split {args.split}")
    parts += [f"--seeds {args.seeds}", f"--seed0 {args.seed0}", f"--days {args.days}"]
    parts += [f"--lineup {n}" for n in args.lineup or []]
    if args.resamples != 9999:
        parts.append(f"--resamples {args.resamples}")
    return " ".join(parts)


def main(argv: Sequence[str] | None = None) -> int:
    """Play the leaderboard's tournament and write the Markdown file; the exit code
    (0, or 2 for bad arguments with one line per problem on stderr)."""
    args = build_parser().parse_args(argv)
    if args.split == "none":
        args.split = None
    prog = "leaderboard"
    try:
        spec = leaderboard_spec(args.scenario, args.split, args.seeds, args.seed0,
                                args.days or None, args.lineup, args.resamples)  # fmt: skip
        result = run_tournament(spec, workers=args.workers, progress=not args.quiet)
    except SpecError as exc:
        for line in str(exc).splitlines():
            print(f"{prog}: error: {line}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(leaderboard_markdown(result, _command(args)), encoding="utf-8")
    if not args.quiet:
        print(f"{prog}: wrote {out} ({len(result.episodes)} episodes, "
              f"{result.elapsed_s:.1f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
