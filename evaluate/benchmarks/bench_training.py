"""Benchmark of PPO's experience collection: the vectorised training core against the
PettingZoo environment wrapped one agent per Gymnasium env.

Run ``python evaluate/benchmarks/bench_training.py`` (about 20 s on two cores) or with ``--quick``
for a smoke run (about 10 s). On the shipped ``default`` scenario shortened to one day
(``market.days=1``: 48 periods, 13 agents of which 8 producers) it trains PPO
(stable-baselines3, ``MlpPolicy``, CPU) in the producers' seats and prints:

1. Agent-steps per second (one agent-step = one learner's transition) through
   - **PettingZoo, the usual recipe**: one :class:`ProducerSeatEnv` per (market,
     producer) pair in a ``DummyVecEnv`` (``M`` markets x 8 producers). Each is a thin
     ``gymnasium.Env`` around ``elecbay_env.parallel_env``: its producer acts, every
     other agent follows the baseline policy of ``elecbay_agents.registry.make_policies``,
     asked once per agent and step with its single observation;
   - **the vectorised core**: :class:`~elecbay_train.vec_env.RoleVecEnv` with
     ``seats="producer"`` (the 8 producers share one network) on ``E`` markets, first
     with ``E = M`` (the same ``8 M`` sub-environments, so the same agent-steps per
     rollout), then at larger ``E`` to show how it scales.
   Every row runs the same PPO settings (``n_steps`` = one episode, 4 minibatches per
   epoch, SB3's other defaults). After one untimed warm-up rollout and update, a
   callback times each rollout (``_on_rollout_start`` to ``_on_rollout_end``:
   policy forward passes, environment steps, buffer, advantages); collection
   steps/s = agent-steps collected / summed collection time. ``learn steps/s`` is the
   same steps over the whole timed ``learn()``, updates included. The table also
   shows the share of collection spent inside the VecEnv's ``step`` (the rest is
   stable-baselines3's side: policy forward, tensors, rollout buffer, bootstrapping
   of truncated episodes). torch runs on one thread (``--torch-threads``): faster for
   these small networks, and two OpenMP threads on two busy cores can stall updates.
   Target: the core at ``E = M`` collects at least 10x more agent-steps per second
   than the PettingZoo recipe on the same number of sub-environments.
2. Where the time goes: the PettingZoo recipe's step (opponents' ``predict``,
   ``parallel_env.step``, the rest), and a staged copy of ``TrainingCore.step`` (checked
   to give the same rewards as the real one), each stage timed in place at ``E = M``
   and at the largest ``E``: checks and action layout, ``bridge.to_env``, the
   opponents' ``predict`` (split by policy class), ``codec.decode``, ``engine.step``,
   ``observe``, rewards and the seats' scaled observations.

If the core's codec can decode one market only (``TrainingCore`` reusing its one-market
template's codec), :func:`patch_core_codec` gives each core a copy on its E-market
parameters and the output says so.

``--json PATH`` also writes every figure to PATH. The exit status is 0 (or, with
``--strict``, 1 when the target is missed).

This script holds the tables and the command line; the two ways of collecting live in
:mod:`elecbay_evaluate.benchmarks.training_envs` and the timing in
:mod:`elecbay_evaluate.benchmarks.training_timing`, re-exported here.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from typing import Any

import stable_baselines3
import torch
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from elecbay_evaluate.benchmarks.training_envs import (
    PATCHED_CORES,
    ROLE,
    SEED,
    ProducerSeatEnv,
    core_venv,
    patch_core_codec,
    pettingzoo_venv,
)
from elecbay_evaluate.benchmarks.training_timing import (
    CORE_STAGES,
    RolloutTimer,
    TimedVecEnv,
    bench_rows,
    core_breakdown,
    ppo_kwargs,
    time_ppo,
)

from elecbay_env import parallel_env

__all__ = [
    "CORE_STAGES",
    "PATCHED_CORES",
    "ROLE",
    "SEED",
    "SPEEDUP_TARGET",
    "TABLE_HEADER",
    "ProducerSeatEnv",
    "RolloutTimer",
    "TimedVecEnv",
    "bench_rows",
    "core_breakdown",
    "core_venv",
    "machine_info",
    "main",
    "parse_args",
    "patch_core_codec",
    "pettingzoo_venv",
    "ppo_kwargs",
    "print_core_breakdown",
    "print_pz_breakdown",
    "print_rows",
    "time_ppo",
]

SPEEDUP_TARGET = 10.0
"""The core must collect at least this many times more agent-steps per second."""
TABLE_HEADER = "PPO rollout collection: vectorised core vs PettingZoo per-agent envs"


# --------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------


def print_rows(rows: list[dict[str, Any]], info: dict[str, Any], ratio: float, ok: bool) -> None:
    print(f"== 1. {TABLE_HEADER} (agent-steps/s) ==")
    head = (
        f"{'what':<52} | {'sub-envs':>8} | {'collect/s':>9} | {'env %':>5} | "
        f"{'learn/s':>8} | {'vs PZ':>7}"
    )
    print_head(head)
    for r in rows:
        print(
            f"{r['what']:<52} | {r['sub_envs']:>8} | {r['collect_steps_per_s']:>9,.0f} | "
            f"{100 * r['env_share']:>4.0f}% | {r['learn_steps_per_s']:>8,.0f} | "
            f"{r['collect_vs_pz']:>6.1f}x"
        )
    r0 = rows[0]
    print(
        f"   {r0['rollouts']} timed rollouts per row after one warm-up; a rollout = "
        f"n_steps {r0['ppo']['n_steps']} (one episode) x sub-envs agent-steps; PPO "
        f"n_epochs {r0['ppo']['n_epochs']}, 4 minibatches"
    )
    print(
        "   collect/s: agent-steps / time in rollout collection; learn/s: the same steps "
        "over the timed learn(), updates included; env %: share of collection inside "
        "VecEnv.step; vs PZ: collect/s over the PettingZoo row's"
    )
    print(
        f"   opponents: PettingZoo {info['pz_opponents_per_env']} per env (one market each, "
        f"one learner); core {info['core_opponents_per_market']} per market "
        f"({info['seats']} learners)"
    )
    print(
        f"   speed-up per agent-step, same sub-envs: {ratio:.1f}x "
        f"(target >= {SPEEDUP_TARGET:g}x): {'PASS' if ok else 'FAIL'}"
    )


def print_pz_breakdown(row: dict[str, Any], info: dict[str, Any]) -> None:
    n = row["agent_steps"]
    pz_work = row["pz_predict_s"] + row["pz_env_step_s"]
    calls = sum(info["pz_opponents_per_env"].values())
    print("== 2a. where the PettingZoo recipe's collection goes (per agent-step, means) ==")
    parts = {
        f"opponents' predict ({calls} calls, single obs)": row["pz_predict_s"] / n,
        "parallel_env.step": row["pz_env_step_s"] / n,
        "DummyVecEnv + wrapper rest": (row["env_step_s"] - pz_work) / n,
        "PPO side (policy forward, buffer, ...)": (row["collect_s"] - row["env_step_s"]) / n,
    }
    total = row["collect_s"] / n
    for name, v in parts.items():
        print(f"   {name:<44} {_fmt_time(v):>10}  {100 * v / total:5.1f}%")
    print(f"   {'total':<44} {_fmt_time(total):>10}")


def print_core_breakdown(b: dict[str, Any], row: dict[str, Any] | None) -> None:
    k = b["agent_steps_per_step"]
    parts = b["stages"]
    total = parts["staged copy, total"]
    print(
        f"== 2b. where the core's step goes, E={b['markets']} ({k} agent-steps per step; "
        f"means per step | per agent-step) =="
    )
    for name, v in parts.items():
        share = f"{100 * v / total:5.1f}%" if name[0].isdigit() else ""
        print(f"   {name:<44} {_fmt_time(v):>10} | {_fmt_time(v / k):>9}  {share}".rstrip())
        if name == CORE_STAGES[2]:
            for cls, s in b["opponents_by_class"].items():
                print(f"     {cls:<42} {_fmt_time(s):>10} | {_fmt_time(s / k):>9}")
    if row is not None:
        per = row["collect_s"] / row["agent_steps"]
        ppo = (row["collect_s"] - row["env_step_s"]) / row["agent_steps"]
        print(
            f"   in PPO collection: {_fmt_time(per)} per agent-step, of which PPO's side "
            f"(policy forward, buffer, bootstrapping) {_fmt_time(ppo)} "
            f"({100 * ppo / per:.0f}%)"
        )


# --------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    return _machine_info(
        torch=torch.__version__,
        stable_baselines3=stable_baselines3.__version__,
        torch_threads=torch.get_num_threads(),
    )


def _int_list(text: str) -> list[int]:
    values = [int(v) for v in text.split(",") if v.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("expected positive integers, e.g. 16,32")
    return values


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(
        "bench_training.py",
        quick="< ~30 s",
        strict="the speed-up target is missed",
        description=(
            "Benchmark PPO's experience collection through elecbay's vectorised training "
            "core against the PettingZoo environment wrapped one agent per Gymnasium env."
        ),
    )
    parser.add_argument(
        "--scenario", default="default", help="shipped scenario name or YAML path (default)"
    )
    parser.add_argument(
        "--days", type=int, default=1, help="market.days: episode length in days (default 1)"
    )
    parser.add_argument(
        "--markets",
        type=int,
        default=2,
        metavar="M",
        help="markets of the PettingZoo row and of the same-size core row (default 2)",
    )
    parser.add_argument(
        "--scale",
        type=_int_list,
        default=None,
        metavar="E,E",
        help="larger core sizes E (default 16,32; 16 quick)",
    )
    parser.add_argument(
        "--rollouts",
        type=int,
        default=None,
        metavar="R",
        help="timed rollouts per row (default 8; 2 quick)",
    )
    parser.add_argument(
        "--torch-threads",
        type=int,
        default=1,
        metavar="T",
        help="torch.set_num_threads (default 1: fastest for small MLPs)",
    )
    args = parser.parse_args(argv)
    for name in ("days", "markets", "rollouts", "torch_threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    quick = args.quick
    rollouts = args.rollouts or (2 if quick else 8)
    scale = args.scale or ([16] if quick else [16, 32])
    overrides = {"market.days": args.days}
    t_start = time.perf_counter()
    torch_threads = torch.get_num_threads()
    info = machine_info()  # before setting torch's threads: numba's layer may reset them
    torch.set_num_threads(args.torch_threads)
    info["torch_threads"] = torch.get_num_threads()
    try:
        return _run(args, info, quick, rollouts, scale, overrides, t_start)
    finally:
        torch.set_num_threads(torch_threads)


def _run(
    args: argparse.Namespace,
    info: dict[str, Any],
    quick: bool,
    rollouts: int,
    scale: list[int],
    overrides: dict[str, Any],
    t_start: float,
) -> int:
    print(f"elecbay training-core benchmark{' (--quick)' if quick else ''}")
    print(
        f"machine: {info['processor']}, {info['cpu_count']} cores ({info['cpus_usable']} usable); "
        f"torch {info['torch']} threads: {info['torch_threads']}; stable-baselines3 "
        f"{info['stable_baselines3']}; numba {info['numba']} threads: "
        f"{info['numba_num_threads']}; numpy {info['numpy']}; python {info['python']}"
    )
    t0 = time.perf_counter()
    warm = parallel_env(args.scenario, **overrides)
    warm.reset(seed=SEED)
    warm.step({a: warm.action_space(a).sample() for a in warm.agents})
    print(f"first env build + step (compile or cache load): {_fmt_time(time.perf_counter() - t0)}")

    rows, work = bench_rows(
        args.scenario, overrides, args.markets, scale, rollouts, args.torch_threads
    )
    ratio = rows[1]["collect_vs_pz"]
    ok = ratio >= SPEEDUP_TARGET
    print(
        f"scenario: {args.scenario}, market.days={args.days} ({work['agents']} agents, "
        f"{work['seats']} producer seats, {work['periods']} periods per episode)"
    )
    print()
    print_rows(rows, work, ratio, ok)
    print()
    print_pz_breakdown(rows[0], work)
    print()

    breakdowns: list[dict[str, Any]] = []
    by_markets = {r["markets"]: r for r in rows[1:]}
    for e in dict.fromkeys([args.markets, max(scale)]):
        try:
            b = core_breakdown(args.scenario, overrides, e, 1 if quick else 3)
        except (AttributeError, TypeError) as exc:
            print(f"   (core breakdown unavailable, train/core.py internals changed: {exc})")
            break
        breakdowns.append(b)
        print_core_breakdown(b, by_markets.get(e))
        print()

    if PATCHED_CORES:
        print(
            f"note: train/core.py decodes with its template's one-market codec (decode fails "
            f"for E > 1); this run gave the cores of E={sorted(set(PATCHED_CORES))} a copy of "
            f"that codec on the engine's E-market parameters (patch_core_codec)"
        )
        print()
    elapsed = time.perf_counter() - t_start
    print(
        f"target: {'PASS' if ok else 'FAIL'} (core >= {SPEEDUP_TARGET:g}x PettingZoo per "
        f"agent-step, same sub-envs: {ratio:.1f}x); run time {elapsed:.1f} s"
    )

    if args.json:
        payload = {
            "machine": info,
            "quick": quick,
            "scenario": args.scenario,
            "overrides": overrides,
            "work": work,
            "target_speedup_min": SPEEDUP_TARGET,
            "speedup": ratio,
            "pass": ok,
            "rows": rows,
            "core_breakdown": breakdowns,
            "core_codec_patched_for": sorted(set(PATCHED_CORES)),
            "run_time_s": elapsed,
        }
        write_json(args.json, payload)
    return 1 if (args.strict and not ok) else 0


if __name__ == "__main__":
    sys.exit(main())
