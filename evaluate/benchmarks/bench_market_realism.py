"""Market realism report: how the baseline line-up fares on every shipped scenario.

Run ``python evaluate/benchmarks/bench_market_realism.py`` (under a minute on two cores) or with
``--quick`` for a smoke run (one week per scenario, a few seconds). It plays the
baseline policies of :func:`elecbay_agents.registry.make_policies` (truthful merit
order for producers and consumers, the rule-based broker; the line-up ``elecbay run``
and the tournament evaluator play by default) on every shipped scenario
(:func:`elecbay_env.config.shipped_scenarios`: ``csv_profile``, ``default``, ``small``)
for several weeks, all markets of a scenario at once on the batched
:class:`~elecbay_env.engine.Engine` (each policy asked once per period for every
market, as in :class:`elecbay_train.core.TrainingCore`).

A **week** is 7 days of play. A scenario whose episode is shorter than a week plays
``ceil(7 / days)`` episodes per week (``small``: 7 one-day episodes; ``csv_profile``: 4
two-day episodes, 8 days, whose sums are scaled by 7/8); ``default`` plays one one-week
episode per week. Market ``e`` is seeded ``--seed + e``. Default: 4 weeks per scenario
(``default``: 4 seeds x 7 days); ``--quick``: 1 week.

Per scenario it prints:

1. the share of periods whose imbalance price is >= 1 000 and <= 0 per MWh, and the
   share at the price cap;
2. unserved energy: periods and MWh, and how many of those periods had a forced outage
   (a thermal unit tripped in the period or was in a forced outage at its start);
   the periods and MWh **without** an outage apart;
3. the median over periods of |imbalance price - forward price| (forward price: the
   period's clearing price, or the reference price when nothing traded, the outcome's
   ``forward_ref_price``);
4. each agent's weekly profit by ledger component (mean over weeks; one column per name
   of :data:`elecbay_env.kernels.ledger_codes.NAMES`), its total, its starts and start-up
   costs per week, and for truthfully bidding units (thermal, wind and solar producers on
   merit order) in how many weeks they lost more than their start-up costs;
5. the share of imbalance cash (sum over agents of |imbalance amount|) that changed
   hands in periods with the imbalance price at the price cap.

Targets, checked on ``default``: imbalance price >= 1 000 in at most 0.5 % of periods;
unserved energy only in periods with a forced outage; no truthfully bidding unit loses
more than its start-up costs in any week; median |imbalance - forward| between 5 and 60
per MWh. The other scenarios' verdicts are printed for information. ``--json PATH``
writes every figure; ``--strict`` exits 1 when a target on ``default`` fails.

This script holds the report and the command line; the play and the targets live in
:mod:`elecbay_evaluate.benchmarks.realism_play`, re-exported here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from elecbay_evaluate.benchmarks.benchtools import bench_parser, write_json
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from elecbay_evaluate.benchmarks.realism_play import (
    DAYS_PER_WEEK,
    EPS_MWH,
    HIGH_PRICE,
    HIGH_SHARE_MAX,
    IMBALANCE,
    LOSS_TOL,
    LOW_PRICE,
    SPREAD_RANGE,
    STARTUP,
    TRUTHFUL_KINDS,
    play,
    verdicts,
)

from elecbay_env.config import shipped_scenarios

__all__ = [
    "DAYS_PER_WEEK",
    "EPS_MWH",
    "HIGH_PRICE",
    "HIGH_SHARE_MAX",
    "IMBALANCE",
    "LOSS_TOL",
    "LOW_PRICE",
    "QUICK_WEEKS",
    "SEED",
    "SPREAD_RANGE",
    "STARTUP",
    "TABLE_HEADER",
    "TARGET_SCENARIO",
    "TRUTHFUL_KINDS",
    "WEEKS",
    "machine_info",
    "main",
    "parse_args",
    "play",
    "print_scenario",
    "verdicts",
]

TABLE_HEADER = "Market realism"
TARGET_SCENARIO = "default"
WEEKS = 4
QUICK_WEEKS = 1
SEED = 0


def _pct(x: float) -> str:
    return f"{100 * x:.2f} %"


def _num(x: float, digits: int = 0) -> str:
    """``x`` with thousands separators, rounded first (no ``-0``)."""
    return f"{round(x, digits) + 0.0:,.{digits}f}"


def print_scenario(r: dict[str, Any]) -> None:
    ep = r["episodes_per_week"]
    days = r["days_per_episode"]
    long = f"{ep} episodes of {days:g} day{'s' if days != 1 else ''}"
    how = "one episode" if ep == 1 else long
    plural = "s" if r["weeks"] > 1 else ""
    scaled = "" if r["week_scale"] == 1.0 else f", sums x {r['week_scale']:.3f} to 7 days"
    print(
        f"== {TABLE_HEADER}: {r['scenario']!r}, {r['weeks']} week{plural} "
        f"({how} per week{scaled}); seeds {r['seeds'][0]}-{r['seeds'][1]}; "
        f"{r['periods']:,} market-periods; "
        f"{r['run_time_s']:.1f} s =="
    )
    print(
        f"   imbalance price >= {HIGH_PRICE:,.0f}: {_pct(r['share_imbalance_price_high'])} of "
        f"periods; <= 0: {_pct(r['share_imbalance_price_nonpositive'])}; at the cap "
        f"({r['price_cap']:,.0f}): {_pct(r['share_imbalance_price_at_cap'])}; mean "
        f"{_num(r['imbalance_price_mean'], 1)}, range [{_num(r['imbalance_price_min'], 1)}, "
        f"{_num(r['imbalance_price_max'], 1)}]"
    )
    print(
        f"   unserved energy: {r['unserved_periods']} periods, {r['unserved_mwh']:,.1f} MWh; "
        f"{r['unserved_periods_with_outage']} of those periods with a forced outage, "
        f"{r['unserved_periods_without_outage']} without "
        f"({r['unserved_mwh_without_outage']:,.1f} MWh); periods with an outage: "
        f"{r['periods_with_outage']}"
    )
    print(
        f"   |imbalance price - forward price|: median "
        f"{r['median_abs_imbalance_minus_forward']:,.2f}, mean "
        f"{r['mean_abs_imbalance_minus_forward']:,.2f} per MWh"
    )
    print(
        f"   imbalance cash changing hands at the price cap: "
        f"{_pct(r['share_imbalance_cash_at_cap'])} of {r['imbalance_cash']:,.0f}"
    )
    names = r["ledger_components"]
    widths = [max(len(c), 11) for c in names]
    head = (
        f"   {'agent':<11} {'asset':<14} {'kind':<8} | "
        + " | ".join(f"{c:>{w}}" for c, w in zip(names, widths, strict=True))
        + f" | {'profit':>11} | {'starts':>6} | {'start-ups':>10} | loses > start-ups"
    )
    print("   weekly profit by ledger component (mean over weeks, currency):")
    print(head)
    print("   " + "-" * (len(head) - 3))
    for u in r["units"]:
        cells = " | ".join(
            f"{_num(u['components'][c]):>{w}}" for c, w in zip(names, widths, strict=True)
        )
        flag = (
            f"{'YES' if u['loses_beyond_startups'] else 'no'} "
            f"({u['weeks_losing_beyond_startups']}/{r['weeks']} weeks)"
            if u["truthful"]
            else "n/a"
        )
        print(
            f"   {u['agent']:<11} {u['asset'][:14]:<14} {u['kind']:<8} | {cells} | "
            f"{_num(u['profit']):>11} | {u['starts']:>6.1f} | {_num(u['startup_costs']):>10} | "
            f"{flag}"
        )
    print("   (loses > start-ups: thermal, wind and solar producers on merit order only)")


machine_info = _machine_info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        "bench_market_realism.py",
        quick=f"{QUICK_WEEKS} week per scenario, a few seconds",
        strict=f"a target on {TARGET_SCENARIO!r} fails",
        description=(
            "Market realism report: imbalance prices, unserved energy, the imbalance-forward "
            "spread and every agent's weekly profit by ledger component, baseline policies "
            "on every shipped scenario."
        ),
    )
    parser.add_argument(
        "--weeks",
        type=int,
        default=None,
        metavar="W",
        help=f"weeks per scenario (default {WEEKS}, --quick {QUICK_WEEKS})",
    )
    parser.add_argument(
        "--scenarios",
        nargs="+",
        default=None,
        metavar="NAME",
        help="scenarios to play (default: every shipped scenario)",
    )
    parser.add_argument(
        "--seed", type=int, default=SEED, help=f"first market's seed (default {SEED})"
    )
    args = parser.parse_args(argv)
    if args.weeks is not None and args.weeks < 1:
        parser.error("--weeks must be positive")
    if args.seed < 0:
        parser.error("--seed must be >= 0")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    weeks = args.weeks or (QUICK_WEEKS if args.quick else WEEKS)
    names = args.scenarios or shipped_scenarios()
    t_start = time.perf_counter()
    info = machine_info()
    print(f"elecbay market realism report{' (--quick)' if args.quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} usable); "
        f"numba {info['numba']} threads: {info['numba_num_threads']}; numpy {info['numpy']}; "
        f"python {info['python']}"
    )
    print(
        "baseline line-up (elecbay_agents.registry.make_policies): merit_order for producers "
        "and consumers, rule_based_broker for the broker"
    )
    print()
    results = []
    for name in names:
        r = play(name, weeks, args.seed)
        r["targets"] = verdicts(r)
        results.append(r)
        print_scenario(r)
        role = "targets" if name == TARGET_SCENARIO else "targets (information only)"
        print(f"   {role}:")
        for target, ok in r["targets"].items():
            print(f"     {'PASS' if ok else 'FAIL'}  {target}")
        print()

    checked = [r for r in results if r["scenario"] == TARGET_SCENARIO]
    missed = sum(1 for r in checked for ok in r["targets"].values() if not ok)
    n = sum(len(r["targets"]) for r in checked)
    elapsed = time.perf_counter() - t_start
    if checked:
        print(f"targets on {TARGET_SCENARIO!r}: {n - missed}/{n} PASS; run time {elapsed:.1f} s")
    else:
        print(f"no target checked ({TARGET_SCENARIO!r} not played); run time {elapsed:.1f} s")
    if args.json:
        payload = {
            "machine": info,
            "quick": bool(args.quick),
            "weeks": weeks,
            "seed": args.seed,
            "target_scenario": TARGET_SCENARIO,
            "targets": {
                "high_price": HIGH_PRICE,
                "high_share_max": HIGH_SHARE_MAX,
                "spread_range": list(SPREAD_RANGE),
                "loss_tolerance": LOSS_TOL,
            },
            "scenarios": results,
            "run_time_s": elapsed,
        }
        write_json(args.json, payload)
    return 1 if (args.strict and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
