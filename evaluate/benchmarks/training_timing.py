"""Timing for bench_training.py: PPO rollouts per second, and the core's step stage by stage.

:func:`time_ppo` times PPO's collection on a VecEnv (:class:`TimedVecEnv` and
:class:`RolloutTimer` split env time from the rest); :func:`bench_rows` measures the
PettingZoo recipe against the core (part 1); :func:`core_breakdown` runs the core's step
stage by stage (part 2, :data:`CORE_STAGES`).
"""

from __future__ import annotations

import collections
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from elecbay_evaluate.benchmarks.training_envs import (
    ROLE,
    SEED,
    _baseline_policies,
    core_venv,
    patch_core_codec,
    pettingzoo_venv,
)
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from elecbay_env import parallel_env
from elecbay_env.envs.observations import observe
from elecbay_env.roles import role_of

CORE_STAGES = (
    "1 checks, action layout",
    "2 bridge.to_env (learner -> env codec)",
    "3 opponents' predict",
    "4 codec.decode",
    "5 engine.step",
    "6 observe",
    "7 rewards, seat_obs (scale)",
)


class RolloutTimer(BaseCallback):
    """Seconds of each rollout: ``_on_rollout_start`` to ``_on_rollout_end``."""

    def __init__(self) -> None:
        super().__init__()
        self.seconds: list[float] = []
        self._t0 = 0.0

    def _on_rollout_start(self) -> None:
        self._t0 = time.perf_counter()

    def _on_rollout_end(self) -> None:
        self.seconds.append(time.perf_counter() - self._t0)

    def _on_step(self) -> bool:
        return True


class TimedVecEnv(VecEnvWrapper):
    """Sums the seconds spent in the wrapped VecEnv's ``step`` (async + wait)."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.step_s = 0.0
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        return self.venv.reset()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = actions

    def step_wait(self):
        t0 = time.perf_counter()
        self.venv.step_async(self._actions)
        out = self.venv.step_wait()
        self.step_s += time.perf_counter() - t0
        return out


def ppo_kwargs(rollout_size: int, n_steps: int) -> dict[str, Any]:
    """The PPO settings of every row: one episode per rollout, 4 minibatches."""
    return {"n_steps": n_steps, "batch_size": max(rollout_size // 4, 2), "n_epochs": 10}


def time_ppo(venv: VecEnv, n_steps: int, rollouts: int, torch_threads: int) -> dict[str, Any]:
    """One warm-up rollout and update (untimed), then ``rollouts`` timed ones."""
    timed = TimedVecEnv(venv)
    size = n_steps * venv.num_envs
    model = PPO("MlpPolicy", timed, seed=SEED, device="cpu", verbose=0, **ppo_kwargs(size, n_steps))
    model.learn(size)  # warm-up: torch, numba caches, first reset
    torch.set_num_threads(torch_threads)  # numba's threading layer may have reset it
    timed.step_s = 0.0
    parts = [venv.envs[i] for i in range(venv.num_envs)] if hasattr(venv, "envs") else []
    for env in parts:
        env.predict_s = env.step_s = 0.0
    timer = RolloutTimer()
    gc.collect()
    t0 = time.perf_counter()
    model.learn(rollouts * size, callback=timer, reset_num_timesteps=False)
    learn_s = time.perf_counter() - t0
    steps = len(timer.seconds) * size
    collect_s = sum(timer.seconds)
    out = {
        "sub_envs": venv.num_envs,
        "rollout_agent_steps": size,
        "rollouts": len(timer.seconds),
        "agent_steps": steps,
        "collect_s": collect_s,
        "collect_steps_per_s": steps / collect_s,
        "learn_s": learn_s,
        "learn_steps_per_s": steps / learn_s,
        "env_step_s": timed.step_s,
        "env_share": timed.step_s / collect_s,
        "rollout_s": timer.seconds,
        "ppo": ppo_kwargs(size, n_steps),
        "torch_threads": torch.get_num_threads(),
    }
    if parts:
        out["pz_predict_s"] = sum(e.predict_s for e in parts)
        out["pz_env_step_s"] = sum(e.step_s for e in parts)
    venv.close()
    return out


def bench_rows(
    config: str,
    overrides: dict[str, Any],
    pz_markets: int,
    scale: Sequence[int],
    rollouts: int,
    torch_threads: int = 1,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Part 1: the PettingZoo recipe, the core at the same size, the core at larger E."""
    probe = parallel_env(config, **overrides)
    n_periods = probe.num_periods
    seats = [a for a in probe.possible_agents if role_of(a) == ROLE]
    pz_policies = collections.Counter(
        type(p).__name__
        for a, p in _baseline_policies(probe).items()
        if a != seats[0]  # one learner per env
    )
    rows: list[dict[str, Any]] = []
    pz_venv = pettingzoo_venv(pz_markets, config, overrides)
    pz = time_ppo(pz_venv, n_periods, rollouts, torch_threads)
    pz.update(
        key="pettingzoo",
        markets=pz_markets,
        what=f"PettingZoo: {pz_markets} mkt x {len(seats)} ProducerSeatEnv, DummyVecEnv",
    )
    rows.append(pz)
    core_policies: collections.Counter[str] = collections.Counter()
    for e in dict.fromkeys([pz_markets, *scale]):
        venv = core_venv(e, config, overrides)
        core_policies = collections.Counter(type(p).__name__ for p in venv.core.opponents.values())
        row = time_ppo(venv, n_periods, rollouts, torch_threads)
        same = " (same sub-envs)" if e == pz_markets else ""
        row.update(
            key=f"core_E{e}", markets=e, what=f"core: RoleVecEnv E={e} x {len(seats)} seats{same}"
        )
        rows.append(row)
    base = rows[0]["collect_steps_per_s"]
    for r in rows:
        r["collect_vs_pz"] = r["collect_steps_per_s"] / base
        r["learn_vs_pz"] = r["learn_steps_per_s"] / rows[0]["learn_steps_per_s"]
    info = {
        "agents": len(probe.possible_agents),
        "seats": len(seats),
        "periods": n_periods,
        "pz_opponents_per_env": dict(pz_policies),
        "core_opponents_per_market": dict(core_policies),
    }
    return rows, info


def _staged_core_step(core: Any, seat_actions: np.ndarray, marks: list[float], opp: dict):
    """``TrainingCore.step`` stage by stage, a time mark after each stage; opponents'
    ``predict`` seconds summed per policy class into ``opp``.

    A copy of the method's body (and of ``_opponent_actions``) from its attributes:
    keep it in step with ``train/core.py``; :func:`core_breakdown` checks it gives the
    same rewards as ``core.step``.
    """
    clock = time.perf_counter
    marks.append(clock())
    a = np.asarray(seat_actions, np.float64)
    if a.shape != (core.n_markets, len(core.seats), core.act_width):
        raise ValueError("actions: wrong shape")
    if not np.all(np.isfinite(a)):
        raise ValueError("actions: every value must be finite")
    actions = np.zeros((core.n_markets, len(core.agents), core.codec.width))
    actions[:, core.seat_rows, : core.act_width] = a
    marks.append(clock())
    actions = core.bridge.to_env(actions, core.seat_rows)
    marks.append(clock())
    start = np.full(core.n_markets, core._episode_start)
    for agent, policy in core.opponents.items():
        t0 = clock()
        row = core.agents.index(agent)
        width = core.template.observation_space(agent).shape[0]
        act, core._opp_state[agent] = policy.predict(
            core._obs[:, row, :width],
            state=core._opp_state[agent],
            episode_start=start,
            deterministic=True,
        )
        act = np.asarray(act, np.float64).reshape(core.n_markets, -1)
        actions[:, row, : act.shape[1]] = act
        name = type(policy).__name__
        opp[name] = opp.get(name, 0.0) + clock() - t0
    core._episode_start = False
    marks.append(clock())
    orders = core.codec.decode(actions)
    marks.append(clock())
    out = core.engine.step(orders)
    core.last_outcome = out
    marks.append(clock())
    core._obs = observe(core.engine.params, core.engine.state, core._bounds)
    marks.append(clock())
    rewards = out.reward[:, core.seat_rows].copy()
    done = bool(np.all(core.engine.t >= core.engine.n_periods))
    obs = core.seat_obs()
    marks.append(clock())
    return obs, rewards, done


def core_breakdown(
    config: str, overrides: dict[str, Any], n_markets: int, reps: int
) -> dict[str, Any]:
    """Mean seconds per step of each stage of the core, of ``core.step`` and of
    ``RoleVecEnv.step`` on one episode of random seat actions.

    Raises:
        AttributeError, TypeError: the core's internals changed, or the staged copy no
            longer gives the rewards of ``core.step``.
    """
    from elecbay_train.core import TrainingCore
    from elecbay_train.vec_env import RoleVecEnv

    def make() -> Any:
        return patch_core_codec(TrainingCore(config, ROLE, n_markets, seed=SEED, **overrides))

    staged, ref = make(), make()
    venv = RoleVecEnv(config, ROLE, n_markets, seed=SEED, **overrides)
    patch_core_codec(venv.core)
    n_periods = staged.engine.n_periods
    rng = np.random.default_rng(SEED)
    plan = rng.uniform(-1, 1, (n_periods, n_markets, len(staged.seats), staged.act_width))
    staged.reset(SEED)
    ref.reset(SEED)
    marks: list[float] = []
    opp: dict[str, float] = {}
    for a in plan:
        got = _staged_core_step(staged, a, marks, opp)[1]
        want = ref.step(a)[1]
        if not np.array_equal(got, want):
            raise TypeError("the staged copy of TrainingCore.step() no longer matches it")

    per_stage: list[list[float]] = [[] for _ in CORE_STAGES]
    real_core: list[float] = []
    real_venv: list[float] = []
    opp.clear()
    n_staged = 0
    flat = plan.reshape(n_periods, n_markets * len(staged.seats), -1).astype(np.float32)
    gc.collect()
    gc.disable()
    try:
        for _ in range(reps):
            staged.reset(SEED)
            for a in plan:
                marks.clear()
                _staged_core_step(staged, a, marks, opp)
                n_staged += 1
                for s in range(len(CORE_STAGES)):
                    per_stage[s].append(marks[s + 1] - marks[s])
            ref.reset(SEED)
            for a in plan:
                t0 = time.perf_counter()
                ref.step(a)
                real_core.append(time.perf_counter() - t0)
            venv.seed(SEED)
            venv.reset()
            for a in flat:  # the last step also resets every market (autoreset)
                t0 = time.perf_counter()
                venv.step(a)
                real_venv.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    parts = {
        "RoleVecEnv.step (real)": statistics.fmean(real_venv),
        "core.step (real)": statistics.fmean(real_core),
        "staged copy, total": sum(statistics.fmean(s) for s in per_stage),
    }
    for name, samples in zip(CORE_STAGES, per_stage, strict=True):
        parts[name] = statistics.fmean(samples)
    return {
        "markets": n_markets,
        "agent_steps_per_step": n_markets * len(staged.seats),
        "stages": parts,
        "opponents_by_class": {k: v / n_staged for k, v in opp.items()},
        "opponents": len(staged.opponents),
    }
