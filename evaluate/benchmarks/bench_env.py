"""Benchmark of the PettingZoo parallel API against the engine alone, one market.

Run ``python evaluate/benchmarks/bench_env.py`` (about 15 s on two cores) or with ``--quick`` for a
smoke run (a few seconds). On the shipped ``default`` scenario (one week, 336 periods,
13 agents) it prints:

1. Steps (settlement periods) per second of
   - ``env.step(actions)`` of :class:`~elecbay_env.envs.parallel.ElecbayParallelEnv`
     with random actions: one episode of action dicts is drawn beforehand from the
     seeded action spaces, so sampling is not timed;
   - the same with ``action_space(agent).sample()`` for every agent inside the loop,
     for reference (what a naive random-agent loop costs);
   - :meth:`elecbay_env.engine.Engine.step` alone on the same work: an ``Engine`` with
     ``n_markets=1`` and the env's settings (ledger kept, orders validated) stepping
     the same orders, decoded beforehand with ``env.codec`` from the same actions; and
     a lean engine (no ledger, no validation) for reference.
   The engine's rewards are checked against the env's (same seed, same orders: they
   must be identical, else the comparison is not of the same work). Each repetition
   is a whole episode after an untimed ``reset``; the figure is the median over
   repetitions of the episode's time per step, with the garbage collector off.
   Target: the API's time per step at most 3x the engine's (same settings).
2. Where ``env.step`` spends its time: an episode run through a staged copy of
   ``ElecbayParallelEnv.step`` (built from its private helpers and checked to give the
   same rewards as ``env.step``), each stage timed in place: the action dict to the
   (1, N, A) array (with its checks), decoding, ``engine.step``, the price history,
   ``observe``, and building the reward, termination/truncation, info and observation
   dicts.

``--json PATH`` also writes every figure to PATH. The exit status is 0 (or, with
``--strict``, 1 when the target is missed).

This script holds the tables and the command line; the work and its timing live in
:mod:`elecbay_evaluate.benchmarks.env_timing`, re-exported here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from elecbay_evaluate.benchmarks.env_timing import (
    SEED,
    STAGES,
    action_plan,
    bench_rows,
    breakdown,
    decode_plan,
)

from elecbay_env import parallel_env

__all__ = [
    "OVERHEAD_TARGET",
    "SEED",
    "STAGES",
    "TABLE_HEADER",
    "action_plan",
    "bench_rows",
    "breakdown",
    "decode_plan",
    "machine_info",
    "main",
    "parse_args",
    "print_breakdown",
    "print_rows",
]

OVERHEAD_TARGET = 3.0
"""``env.step`` may take at most this many times ``Engine.step`` on the same work."""
TABLE_HEADER = "PettingZoo parallel API vs engine alone"


# --------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------


def print_rows(rows: list[dict[str, Any]], info: dict[str, Any], ratio: float, ok: bool) -> None:
    print(f"== 1. {TABLE_HEADER}, one market (median over episodes) ==")
    head = f"{'what':<60} | {'per step':>10} | {'steps/s':>9} | {'vs engine':>9}"
    print_head(head)
    for r in rows:
        print(
            f"{r['what']:<60} | {_fmt_time(r['s_per_step']):>10} | "
            f"{r['steps_per_s']:>9,.0f} | {r['vs_engine']:>8.2f}x"
        )
    print(
        f"   {rows[0]['reps']} episodes of {rows[0]['steps_per_rep']} steps per row; engine "
        f"and API rewards identical (same work): {'yes' if info['same_rewards'] else 'NO'}"
    )
    print(
        f"   API overhead: env.step / Engine.step = {ratio:.2f}x "
        f"(target <= {OVERHEAD_TARGET:g}x): {'PASS' if ok else 'FAIL'}"
    )


def print_breakdown(parts: dict[str, float]) -> None:
    total = parts["staged copy, total"]
    print("== 2. where env.step's time goes (staged copy, each stage timed in place, means) ==")
    for name, v in parts.items():
        share = f"{100 * v / total:5.1f}%" if name[0].isdigit() else ""
        print(f"   {name:<44} {_fmt_time(v):>10}  {share}".rstrip())
    api = sum(v for k, v in parts.items() if k[0].isdigit() and k != STAGES[2])
    print(
        f"   the API's own work (all but engine.step): {_fmt_time(api)} per step, "
        f"{100 * api / total:.0f}% of the staged total"
    )


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


machine_info = _machine_info


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        "bench_env.py",
        quick="< ~15 s",
        strict="the overhead target is missed",
        description=(
            "Benchmark elecbay's PettingZoo parallel API against the engine alone on the "
            "same work (one market), with a breakdown of env.step."
        ),
    )
    parser.add_argument(
        "--scenario", default="default", help="shipped scenario name or YAML path (default)"
    )
    parser.add_argument(
        "--reps", type=int, default=None, metavar="R", help="episodes per row (default 9; 2 quick)"
    )
    args = parser.parse_args(argv)
    if args.reps is not None and args.reps < 1:
        parser.error("--reps must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quick = args.quick
    reps = args.reps or (2 if quick else 9)
    t_start = time.perf_counter()

    info = machine_info()
    print(f"elecbay PettingZoo API benchmark{' (--quick)' if quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} usable); "
        f"numba {info['numba']} threads: {info['numba_num_threads']}; numpy {info['numpy']}; "
        f"python {info['python']}"
    )
    t0 = time.perf_counter()
    warm = parallel_env(args.scenario)
    warm.reset(seed=SEED)
    warm.step({a: warm.action_space(a).sample() for a in warm.agents})
    print(f"first env build + step (compile or cache load): {_fmt_time(time.perf_counter() - t0)}")

    rows, work = bench_rows(args.scenario, reps)
    by_key = {r["key"]: r for r in rows}
    ratio = by_key["api"]["s_per_step"] / by_key["engine"]["s_per_step"]
    ok = ratio <= OVERHEAD_TARGET
    print(
        f"scenario: {args.scenario} ({work['agents']} agents, {work['periods']} periods per "
        f"episode, {work['bid_steps']} bid steps)"
    )
    print()
    print_rows(rows, work, ratio, ok)
    print()

    try:
        parts = breakdown(args.scenario, 1 if quick else max(2, reps // 3))
    except (AttributeError, TypeError) as exc:
        parts = {}
        print(f"   (breakdown unavailable, parallel.py internals changed: {exc})")
    if parts:
        print_breakdown(parts)
    print()

    elapsed = time.perf_counter() - t_start
    print(f"target: {'PASS' if ok else 'FAIL'} (API <= {OVERHEAD_TARGET:g}x engine); "
          f"run time {elapsed:.1f} s")  # fmt: skip

    if args.json:
        payload = {
            "machine": info,
            "quick": quick,
            "scenario": args.scenario,
            "work": work,
            "target_overhead_max": OVERHEAD_TARGET,
            "overhead": ratio,
            "pass": ok,
            "rows": rows,
            "breakdown": parts,
            "run_time_s": elapsed,
        }
        write_json(args.json, payload)
    if not work["same_rewards"]:
        print("error: the engine and the API disagree on the same work", file=sys.stderr)
        return 1
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
