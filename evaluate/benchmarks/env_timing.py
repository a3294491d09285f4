"""Timing for bench_env.py: the PettingZoo env against the engine alone on the same work.

:func:`action_plan` draws one episode of actions and :func:`decode_plan` the same orders
decoded; :func:`bench_rows` times episodes of ``env.step`` against ``Engine.step``
(part 1) and :func:`breakdown` runs ``env.step`` stage by stage (part 2,
:data:`STAGES`).
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from elecbay_env import parallel_env
from elecbay_env.engine import Engine
from elecbay_env.envs.observations import observe
from elecbay_env.envs.parallel import ElecbayParallelEnv
from elecbay_env.orders import Orders

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
