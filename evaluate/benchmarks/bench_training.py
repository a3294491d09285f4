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
"""

from __future__ import annotations

import argparse
import collections
import copy
import gc
import statistics
import sys
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
import stable_baselines3
import torch
from elecbay_evaluate.benchmarks.benchtools import bench_parser, print_head, write_json
from elecbay_evaluate.benchmarks.benchtools import fmt_time as _fmt_time
from elecbay_evaluate.benchmarks.benchtools import machine_info as _machine_info
from stable_baselines3 import PPO
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecEnvWrapper

from elecbay_env import parallel_env
from elecbay_env.envs.observations import observe
from elecbay_env.roles import role_of

SPEEDUP_TARGET = 10.0
"""The core must collect at least this many times more agent-steps per second."""
TABLE_HEADER = "PPO rollout collection: vectorised core vs PettingZoo per-agent envs"
SEED = 0
ROLE = "producer"

CORE_STAGES = (
    "1 checks, action layout",
    "2 bridge.to_env (learner -> env codec)",
    "3 opponents' predict",
    "4 codec.decode",
    "5 engine.step",
    "6 observe",
    "7 rewards, seat_obs (scale)",
)


def _baseline_policies(env: Any) -> dict[str, Any]:
    """The baseline policy of every agent (``elecbay_agents.registry.make_policies``)."""
    from elecbay_agents.registry import make_policies

    return make_policies(env)


# --------------------------------------------------------------------------------------
# The PettingZoo recipe: one Gymnasium env per (market, producer)
# --------------------------------------------------------------------------------------


class ProducerSeatEnv(gym.Env):
    """One agent of ``parallel_env(config)`` learns; the others follow the baseline.

    The usual PettingZoo-to-single-agent wrapper: every step asks each other agent's
    policy for an action on its own observation (one ``predict`` per agent), adds the
    learner's action and steps the parallel env. Observations and actions are the
    env's own (raw observation, Box[-1, 1] action through the env's codec).

    Args:
        agent: the learner's agent id.
        config: the scenario.
        **overrides: dotted scenario overrides.
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's attribute

    def __init__(self, agent: str, config: str = "default", **overrides: Any) -> None:
        self.env = parallel_env(config, **overrides)
        self.agent = agent
        self.others = {a: p for a, p in _baseline_policies(self.env).items() if a != agent}
        self.observation_space = self.env.observation_space(agent)
        self.action_space = self.env.action_space(agent)
        self._obs: dict[str, np.ndarray] = {}
        self._state: dict[str, Any] = {}
        self._start = True
        self.predict_s = 0.0
        self.step_s = 0.0

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._obs, _ = self.env.reset(seed=seed)
        self._state = dict.fromkeys(self.others)
        self._start = True
        return self._obs[self.agent], {}

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        t0 = time.perf_counter()
        actions = {}
        for agent, policy in self.others.items():
            actions[agent], self._state[agent] = policy.predict(
                self._obs[agent],
                state=self._state[agent],
                episode_start=self._start,
                deterministic=True,
            )
        actions[self.agent] = action
        self._start = False
        t1 = time.perf_counter()
        obs, rewards, terms, truncs, infos = self.env.step(actions)
        self._obs = obs
        self.predict_s += t1 - t0
        self.step_s += time.perf_counter() - t1
        a = self.agent
        return obs[a], rewards[a], terms[a], truncs[a], infos[a]


def pettingzoo_venv(n_markets: int, config: str, overrides: dict[str, Any]) -> DummyVecEnv:
    """``n_markets`` x (producers) :class:`ProducerSeatEnv` in a ``DummyVecEnv``."""
    probe = parallel_env(config, **overrides)
    seats = [a for a in probe.possible_agents if role_of(a) == ROLE]
    makers = [
        (lambda a=agent: ProducerSeatEnv(a, config, **overrides))
        for _ in range(n_markets)
        for agent in seats
    ]
    return DummyVecEnv(makers)


PATCHED_CORES: list[int] = []
"""Sizes E of the cores :func:`patch_core_codec` had to patch in this run."""


def patch_core_codec(core: Any) -> Any:
    """Workaround for a training core whose codec decodes one market only.

    ``TrainingCore`` decodes with its template env's codec, built on the template's
    one-market parameters, so ``codec.decode`` cannot take E > 1 markets. When that is
    so, the core gets a copy of that codec (same ranges) on its engine's E-market
    parameters; otherwise nothing changes. Printed in the output when applied.
    """
    params = getattr(core.codec, "params", None)
    if params is not None and params.kind.shape[0] != core.n_markets:
        fixed = copy.copy(core.codec)
        fixed.params = core.engine.params
        core.codec = fixed
        PATCHED_CORES.append(core.n_markets)
    return core


def core_venv(n_markets: int, config: str, overrides: dict[str, Any]) -> VecEnv:
    """The vectorised core: every producer a seat, ``n_markets`` markets."""
    from elecbay_train.vec_env import RoleVecEnv

    venv = RoleVecEnv(config, seats=ROLE, n_markets=n_markets, seed=SEED, **overrides)
    patch_core_codec(venv.core)
    return venv


# --------------------------------------------------------------------------------------
# Timing PPO
# --------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------
# Part 2: where the core's step spends its time
# --------------------------------------------------------------------------------------


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
