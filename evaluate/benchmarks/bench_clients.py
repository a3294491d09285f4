"""Agent-steps per second through the clients a researcher would use, in one run.

Run ``python -m elecbay_evaluate.benchmarks.bench_clients`` in the RLlib virtual
environment (``.venv-rllib``, ``docs/learning_libraries.md``; a minute or two on two
cores; ``--quick``: a smoke run). On the ``default`` scenario shortened to one day
(``market.days=1``: 48 periods, 13 agents) with ``reward_mode="learning"``, every agent
acts, and one **agent-step** is one agent's transition. It measures:

1. **PettingZoo loop** (the baseline): ``elecbay_env.parallel_env`` stepped with a dict
   of pre-drawn uniform actions, episode after episode (what any PettingZoo client
   costs at least);
2. **RLlib sampling**: :class:`~elecbay_train.rllib.ElecbayMultiAgentEnv` in RLlib's
   ``MultiAgentEnvRunner`` (the local runner of a PPO algorithm built by
   :func:`~elecbay_train.rllib.ppo_config`, one module per role, torch on one thread),
   ``env_runner.sample()``: with uniform random actions (the runner's own overhead), and
   with the modules acting (what training samples), at 1 and 4 markets per runner;
   and single-role PPO on :class:`~elecbay_train.rllib_vector.RoleVectorEnv` (the
   producers' seats of E markets on the batched core; the other agents play the
   baseline and are not counted, so this row counts fewer agent-steps per period);
3. **elecbay's vectorised core**: :class:`~elecbay_train.multi_role.MultiRoleCore` with
   every role learning (the batched engine under ``elecbay train``'s
   :mod:`~elecbay_train.vec_env` and :mod:`~elecbay_train.multi_role` views) at
   ``E`` = 1 and 16 markets, with pre-drawn uniform actions.

Each row gets an untimed warm-up (Numba compiles, Ray starts), then is timed over at
least ``--seconds`` (whole episodes for the loops, whole ``sample()`` calls for RLlib);
rows run in turn, twice, and the faster run is kept. The table prints agent-steps per
second and each row's ratio to the PettingZoo loop measured in the same run. RLlib rows
are marked "not installed" where ``ray[rllib]`` cannot be imported. ``--json PATH``
writes every figure; the exit status is 0.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from elecbay_evaluate.benchmarks.benchtools import bench_parser, machine_info, write_json

SEED = 0
TABLE_HEADER = "agent-steps per second: PettingZoo loop vs RLlib sampling vs vectorised core"


def _timed(run_once: Callable[[], int], seconds: float) -> float:
    """Agent-steps per second of ``run_once`` (returns agent-steps), over >= ``seconds``."""
    run_once()  # warm-up
    steps, start = 0, time.perf_counter()
    while True:
        steps += run_once()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return steps / elapsed


def pettingzoo_loop(scenario: str, days: int) -> Callable[[], int]:
    """One episode of the parallel env with pre-drawn actions; its agent-steps."""
    from elecbay_env import parallel_env

    env = parallel_env(scenario, reward_mode="learning", **{"market.days": days})
    rng = np.random.default_rng(SEED)
    actions = [
        {a: rng.uniform(-1, 1, env.action_space(a).shape).astype(np.float32)
         for a in env.possible_agents}
        for _ in range(env.num_periods)
    ]  # fmt: skip

    def episode() -> int:
        env.reset(seed=SEED)
        steps = 0
        for act in actions:
            env.step(act)
            steps += len(act)
        return steps

    return episode


def core_loop(scenario: str, days: int, n_markets: int) -> Callable[[], int]:
    """One episode of E markets on the vectorised core, every role learning."""
    from elecbay_train.multi_role import MultiRoleCore

    core = MultiRoleCore(scenario, n_markets=n_markets, seed=SEED, reward_mode="learning",
                         **{"market.days": days})  # fmt: skip
    rng = np.random.default_rng(SEED)
    shapes = {r: (n_markets, g.n_seats, g.act_width) for r, g in core.groups.items()}
    actions = [{r: rng.uniform(-1, 1, s) for r, s in shapes.items()}
               for _ in range(core.n_periods)]  # fmt: skip
    per_step = n_markets * sum(g.n_seats for g in core.groups.values())

    def episode() -> int:
        core.reset(seed=SEED)
        for act in actions:
            core.step(act)
        return per_step * len(actions)

    return episode


def rllib_sampler(
    scenario: str, days: int, envs: int, random_actions: bool, steps: int
) -> tuple[Callable[[], int], Callable[[], None]]:
    """``env_runner.sample`` of a local PPO runner; (run once -> agent-steps, close)."""
    from elecbay_train.rllib import ppo_config

    env_config = {"scenario": scenario, "overrides": {"market.days": days}}
    algo = ppo_config(env_config, seed=SEED, envs_per_runner=envs).build_algo()
    runner = algo.env_runner

    def sample() -> int:
        episodes = runner.sample(num_timesteps=steps, random_actions=random_actions)
        return int(sum(e.agent_steps() for e in episodes))

    return sample, algo.stop


def rllib_core_sampler(
    scenario: str, days: int, n_markets: int, steps: int
) -> tuple[Callable[[], int], Callable[[], None]]:
    """``env_runner.sample`` of single-role PPO on :class:`RoleVectorEnv` (producers)."""
    from elecbay_train.rllib_vector import role_ppo_config

    env_config = {"scenario": scenario, "overrides": {"market.days": days}}
    algo = role_ppo_config("producer", n_markets, env_config, seed=SEED).build_algo()
    runner = algo.env_runner

    def sample() -> int:
        episodes = runner.sample(num_timesteps=steps, random_actions=False)
        return int(sum(len(e) for e in episodes))

    return sample, algo.stop


def measure(args: Any) -> list[dict[str, Any]]:
    """Every row's agent-steps per second, the faster of ``args.repeats`` runs."""
    rows: list[dict[str, Any]] = []
    makers: list[tuple[str, str, Callable[[], tuple[Callable[[], int], Callable[[], None]]]]] = [
        ("pz", "PettingZoo loop, parallel_env, 1 market",
         lambda: (pettingzoo_loop(args.scenario, args.days), lambda: None)),
    ]  # fmt: skip
    try:
        import ray

        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        if not ray.is_initialized():
            ray.init(address="local", num_cpus=2, _node_ip_address="127.0.0.1",
                     include_dashboard=False,
                     log_to_driver=False)  # fmt: skip
        have_rllib = True
    except ImportError:
        have_rllib = False
    for envs in (1, 4):
        for random_actions, how in ((True, "random actions"), (False, "modules acting")):
            key = f"rllib_{'random' if random_actions else 'module'}_{envs}"
            what = f"RLlib env_runner.sample, {how}, {envs} market(s)"
            if not have_rllib:
                rows.append({"key": key, "what": what, "steps_per_s": float("nan")})
                continue
            makers.append((key, what, lambda e=envs, r=random_actions: rllib_sampler(
                args.scenario, args.days, e, r, args.sample_steps)))  # fmt: skip
    what = f"RLlib env_runner.sample on RoleVectorEnv, producers, E = {args.markets[-1]}"
    if have_rllib:
        makers.append(("rllib_core", what, lambda: rllib_core_sampler(
            args.scenario, args.days, args.markets[-1], args.sample_steps * 4)))  # fmt: skip
    else:
        rows.append({"key": "rllib_core", "what": what, "steps_per_s": float("nan")})
    for n in args.markets:

        def core(n: int = n) -> tuple[Callable[[], int], Callable[[], None]]:
            return core_loop(args.scenario, args.days, n), lambda: None

        makers.append((f"core_{n}", f"vectorised core (MultiRoleCore), E = {n}", core))
    built = {}
    for key, what, make in makers:
        built[key] = (what, *make())
    best: dict[str, float] = {}
    for _ in range(args.repeats):
        for key, (_, run, _) in built.items():
            best[key] = max(best.get(key, 0.0), _timed(run, args.seconds))
    for key, (what, _, close) in built.items():
        close()
        rows.append({"key": key, "what": what, "steps_per_s": best[key]})
    order = [k for k, _, _ in makers]
    rows.sort(key=lambda r: order.index(r["key"]) if r["key"] in order else 1)
    base = next(r["steps_per_s"] for r in rows if r["key"] == "pz")
    for r in rows:
        r["vs_pettingzoo"] = r["steps_per_s"] / base
    return rows


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The printed table: agent-steps/s and the ratio to the PettingZoo loop."""
    width = max(len(r["what"]) for r in rows)
    lines = [TABLE_HEADER, f"{'what':<{width}} | agent-steps/s | vs PettingZoo"]
    for r in rows:
        if np.isnan(r["steps_per_s"]):
            lines.append(f"{r['what']:<{width}} | {'not installed':>13} |")
            continue
        lines.append(f"{r['what']:<{width}} | {r['steps_per_s']:>13,.0f} | "
                     f"{r['vs_pettingzoo']:>12.2f}x")  # fmt: skip
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark and print its table; the exit status (0)."""
    parser = bench_parser("bench_clients", quick="seconds", description=__doc__,
                          strict="never (no target: figures only)")  # fmt: skip
    parser.add_argument("--scenario", default="default", help="scenario (default: default)")
    parser.add_argument("--days", type=int, default=1, help="market.days (default: 1)")
    args = parser.parse_args(argv)
    args.seconds = 0.5 if args.quick else 5.0
    args.repeats = 1 if args.quick else 2
    args.markets = (1, 4) if args.quick else (1, 16)
    args.sample_steps = 48 if args.quick else 480
    try:
        import torch

        extra = {"torch": torch.__version__}
    except ImportError:
        extra = {}
    start = time.perf_counter()
    rows = measure(args)
    print(format_table(rows))
    print(f"scenario {args.scenario}, {args.days} day(s); run time "
          f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    if args.json:
        write_json(args.json, {"machine": machine_info(**extra), "rows": rows,
                               "scenario": args.scenario, "days": args.days})  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
