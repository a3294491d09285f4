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
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info

from elecbay_env import parallel_env
from elecbay_env.engine import Engine
from elecbay_env.envs.observations import observe
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.orders import Orders

OVERHEAD_TARGET = 3.0
"""``env.step`` may take at most this many times ``Engine.step`` on the same work."""
TABLE_HEADER = "PettingZoo parallel API vs engine alone"
SEED = 0

STAGES = (
    "1 actions dict -> array (checks)",
    "2 decode (env.codec)",
    "3 engine.step",
    "4 price history",
    "5 observe",
    "6 rewards, terminations, truncations",
    "7 infos (statements)",
    "8 observation dict",
)


# --------------------------------------------------------------------------------------
# Work: one episode of actions, and the same orders decoded
# --------------------------------------------------------------------------------------


def action_plan(env: ElecbayParallelEnv, seed: int = SEED) -> list[dict[str, np.ndarray]]:
    """One episode of random action dicts, sampled from the seeded action spaces."""
    for i, agent in enumerate(env.possible_agents):
        env.action_space(agent).seed(seed + i)
    return [
        {a: env.action_space(a).sample() for a in env.possible_agents}
        for _ in range(env.num_periods)
    ]


def decode_plan(env: ElecbayParallelEnv, plan: list[dict[str, np.ndarray]]) -> list[Orders]:
    """The orders the env will submit: each dict laid out as (1, N, A), then decoded."""
    width = env.codec.width
    rows = {a: i for i, a in enumerate(env.possible_agents)}
    orders = []
    for actions in plan:
        buf = np.zeros((1, len(rows), width))
        for agent, action in actions.items():
            a = np.asarray(action, dtype=np.float64)
            buf[0, rows[agent], : a.shape[0]] = a
        orders.append(env.codec.decode(buf))
    return orders


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def _time_episodes(
    reset: Callable[[], object], episode: Callable[[], int], reps: int
) -> tuple[float, list[float]]:
    """Median seconds per step over ``reps`` timed episodes (reset untimed, gc off)."""
    per_step: list[float] = []
    gc_was_on = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            reset()
            t0 = time.perf_counter()
            steps = episode()
            per_step.append((time.perf_counter() - t0) / steps)
    finally:
        if gc_was_on:
            gc.enable()
    return statistics.median(per_step), per_step


def bench_rows(config: str, reps: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Part 1: the API and the engine on the same episode, interleaved repetitions."""
    env = parallel_env(config)
    plan = action_plan(env)
    orders = decode_plan(env, plan)
    engine = Engine(env.scenario, n_markets=1, keep_ledger=True, validate=True)
    lean = Engine(env.scenario, n_markets=1, keep_ledger=False, validate=False)

    # Same work: identical rewards from the API and the engine.
    env.reset(seed=SEED)
    api_rewards = np.array([[r[a] for a in env.possible_agents] for r in
                            (env.step(actions)[1] for actions in plan)])  # fmt: skip
    engine.reset(seed=SEED)
    eng_rewards = np.array([engine.step(o).reward[0].copy() for o in orders])
    same_work = bool(np.array_equal(api_rewards, eng_rewards))

    def api_episode() -> int:
        for actions in plan:
            env.step(actions)
        return len(plan)

    def sampled_episode() -> int:
        n = 0
        while env.agents:
            env.step({a: env.action_space(a).sample() for a in env.agents})
            n += 1
        return n

    def engine_episode(eng: Engine) -> Callable[[], int]:
        def run() -> int:
            for o in orders:
                eng.step(o)
            return len(orders)

        return run

    rows = {
        "engine": ("Engine.step (ledger kept, orders validated: as in the env)", engine),
        "engine_lean": ("Engine.step (no ledger, no validation)", lean),
        "api": ("env.step, pre-generated actions", None),
        "api_sampled": ("env.step + action_space.sample() per agent", None),
    }
    samples: dict[str, list[float]] = {k: [] for k in rows}
    for _ in range(reps):  # interleave so that drift hits every row alike
        for key, (_, eng) in rows.items():
            if eng is not None:
                _, s = _time_episodes(lambda e=eng: e.reset(seed=SEED), engine_episode(eng), 1)
            elif key == "api":
                _, s = _time_episodes(lambda: env.reset(seed=SEED), api_episode, 1)
            else:
                _, s = _time_episodes(lambda: env.reset(seed=SEED), sampled_episode, 1)
            samples[key] += s
    base = statistics.median(samples["engine"])
    out = []
    for key, (label, _) in rows.items():
        t = statistics.median(samples[key])
        out.append(
            {
                "key": key,
                "what": label,
                "s_per_step": t,
                "steps_per_s": 1.0 / t,
                "vs_engine": t / base,
                "reps": len(samples[key]),
                "steps_per_rep": len(plan),
            }
        )
    info = {
        "agents": len(env.possible_agents),
        "periods": env.num_periods,
        "bid_steps": env.codec.bid_steps,
        "same_rewards": same_work,
    }
    return out, info


# --------------------------------------------------------------------------------------
# Part 2: where env.step's time goes
# --------------------------------------------------------------------------------------


def _staged_step(env: ElecbayParallelEnv, actions: dict[str, np.ndarray], marks: list[float]):
    """``ElecbayParallelEnv.step`` stage by stage, a time mark after each stage.

    A copy of the method's body (from its private helpers): keep it in step with
    ``elecbay_env/envs/parallel.py``; :func:`breakdown` checks it gives the same rewards.
    """
    clock = time.perf_counter
    marks.append(clock())
    env._load_actions(actions)
    marks.append(clock())
    orders = env.codec.decode(env._actions)
    marks.append(clock())
    out = env.engine.step(orders)
    env.last_orders = orders
    env.last_outcome = out
    marks.append(clock())
    for key in env.history:
        env.history[key].append(float(getattr(out, key)[0]))
    marks.append(clock())
    env._obs = observe(env.engine.params, env.engine.state, env._bounds)
    marks.append(clock())
    rewards = {a: float(out.reward[0, env._row[a]]) for a in env.agents}
    done = bool(env.engine.t[0] >= env.engine.n_periods)
    terminations = dict.fromkeys(env.agents, False)
    truncations = dict.fromkeys(env.agents, done)
    marks.append(clock())
    infos = env._infos(out)
    marks.append(clock())
    obs = env._agent_obs()
    marks.append(clock())
    if done:
        env.agents = []
    return obs, rewards, terminations, truncations, infos


def breakdown(config: str, reps: int) -> dict[str, float]:
    """Median seconds per step of each stage, the staged total and the real ``env.step``.

    Raises:
        AttributeError, TypeError: the env's private helpers changed, or the staged
            copy no longer gives the rewards of ``env.step``.
    """
    env, ref = parallel_env(config), parallel_env(config)
    plan = action_plan(env)
    env.reset(seed=SEED)
    ref.reset(seed=SEED)
    marks: list[float] = []
    for actions in plan:
        got = _staged_step(env, actions, marks)[1]
        want = ref.step(actions)[1]
        if got != want:
            raise TypeError("the staged copy of env.step() no longer matches env.step()")

    per_stage: list[list[float]] = [[] for _ in STAGES]
    totals: list[float] = []
    real: list[float] = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            env.reset(seed=SEED)
            for actions in plan:
                marks.clear()
                _staged_step(env, actions, marks)
                for s in range(len(STAGES)):
                    per_stage[s].append(marks[s + 1] - marks[s])
                totals.append(marks[-1] - marks[0])
            ref.reset(seed=SEED)
            for actions in plan:
                t0 = time.perf_counter()
                ref.step(actions)
                real.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    # Means, not medians: stages such as the draw refill every 16 periods are rare
    # but real costs, and the means of the stages add up to the mean total.
    parts = {"env.step() (real)": statistics.fmean(real)}
    parts["staged copy, total"] = statistics.fmean(totals)
    for name, samples in zip(STAGES, per_stage, strict=True):
        parts[name] = statistics.fmean(samples)
    return parts


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
