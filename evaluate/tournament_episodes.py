"""One episode of a tournament: the tasks, the worker's environment, the policies, the play.

A :class:`Task` is one (scenario, entry, seed) episode (picklable: it travels to a
worker process); :func:`make_tasks` lists a spec's tasks in spec order and
:func:`check_spec` builds every scenario and policy once before any episode runs.
:func:`run_episode` plays one (:func:`play_episode`) and returns its figures;
:func:`resolve_policy` labels the policy each agent played. Re-exported from
:mod:`elecbay_evaluate.tournament`, which plays many in parallel.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from elecbay_env.roles import asset_names

from .metrics import EpisodeMetrics
from .spec import _AGENT_ID, SpecError, TournamentSpec

__all__ = [
    "Task",
    "check_spec",
    "make_tasks",
    "play_episode",
    "resolve_policy",
    "run_episode",
]

# ---------------------------------------------------------------------- policies


def _registry() -> Any:
    from elecbay_agents import registry

    return registry


def resolve_policy(env: Any, policies: Mapping[str, Any], agent: str) -> str:
    """The spec string ``agent`` plays in an entry, as :func:`elecbay_agents.registry.
    make_policies` resolves it: its agent id; else its role's, then ``"*"``'s spec if
    that policy fits the agent (role and asset kind); else the baseline. A policy given
    as a Python object is labelled ``module:qualified_name``."""
    from .journal import _label

    registry = _registry()
    role = agent.rsplit("_", 1)[0]
    if agent in policies:
        return _label(policies[agent])
    for key in (role, "*"):
        spec = policies.get(key)
        if spec is None:
            continue
        if not isinstance(spec, str) or registry.policy_info(spec).fits(env, agent):
            return _label(spec)
    return registry.BASELINE_SPEC[role]


# ---------------------------------------------------------------------- episodes


@dataclass(frozen=True)
class Task:
    """One episode to play (picklable: it travels to a worker process)."""

    key: tuple[int, int, int]  # (scenario index, entry index, seed index) in spec order
    scenario: str  # label
    source: str  # shipped name or path
    overrides: dict[str, Any]
    entry: str
    policies: dict[str, Any]  # spec strings (or, from Python, factories and policies)
    seed: int
    deterministic: bool = True


_ENVS: dict[tuple[str, str], Any] = {}


def _env(source: str, overrides: Mapping[str, Any]) -> Any:
    """The worker's environment of a scenario (built once per process, reset per episode)."""
    from elecbay_env.envs.parallel import parallel_env

    key = (source, json.dumps(overrides, sort_keys=True, default=str))
    if key not in _ENVS:
        env = parallel_env(source, **overrides)
        env.engine.keep_ledger = False  # statements are not needed: metrics read outcomes
        _ENVS[key] = env
    return _ENVS[key]


def play_episode(
    task: Task, on_period: Callable[[Any], None] | None = None
) -> tuple[Any, EpisodeMetrics]:
    """Play one episode of ``task``: its scenario's environment, reset with the task's
    seed, every agent acting with the policies of its entry (seeded from the same seed).

    Args:
        task: the episode.
        on_period: called after every period with its
            :class:`~elecbay_env.period.PeriodOutcome` (a batch of one market).

    Returns:
        The environment (at the episode's end) and the episode's :class:`EpisodeMetrics`.
    """
    env = _env(task.source, task.overrides)
    policies = _registry().make_policies(env, task.policies, seed=task.seed)
    metrics = EpisodeMetrics(env.engine.params, env.possible_agents, 0, env.engine.state)
    obs, _ = env.reset(seed=task.seed)
    states: dict[str, Any] = dict.fromkeys(env.possible_agents)
    first = True
    while env.agents:
        t = int(env.engine.t[0])
        in_outage = env.engine.state.outage_left[0] > 0
        actions = {}
        for agent in env.agents:
            actions[agent], states[agent] = policies[agent].predict(
                obs[agent], states[agent], episode_start=first, deterministic=task.deterministic
            )
        first = False
        obs, *_ = env.step(actions)
        metrics.record(t, in_outage, env.last_orders, env.last_outcome)
        if on_period is not None:
            on_period(env.last_outcome)
    return env, metrics


def run_episode(task: Task) -> dict[str, Any]:
    """Play one episode and return its figures (:class:`EpisodeMetrics` and labels)."""
    env, metrics = play_episode(task)
    date = env.engine.dates[0]
    return {
        "scenario": task.scenario,
        "entry": task.entry,
        "seed": task.seed,
        "date": None if np.isnat(date) else str(date),
        "n_periods": int(env.num_periods),
        **metrics.result(),
        "policy": {a: resolve_policy(env, task.policies, a) for a in env.possible_agents},
        "asset": asset_names(env.scenario),
    }


def make_tasks(spec: TournamentSpec) -> list[Task]:
    """Every (scenario, entry, seed) episode of ``spec``, in spec order."""
    return [
        Task((i, j, k), s.display, s.name, dict(s.overrides), e.name, dict(e.policies), seed,
             spec.deterministic)
        for i, s in enumerate(spec.scenarios)
        for j, e in enumerate(spec.entries)
        for k, seed in enumerate(spec.seed_list())
    ]  # fmt: skip


def check_spec(spec: TournamentSpec) -> None:
    """Build every scenario and every entry's policies once, before any episode runs.

    Raises:
        SpecError: a scenario that does not load (``scenarios.<i>: ...``), or a policy
            key or spec a scenario cannot play (``entries.<j>.policies.<key>: ...``).
    """
    from elecbay_env.config import ScenarioError

    problems = []
    for i, s in enumerate(spec.scenarios):
        try:
            env = _env(s.name, s.overrides)
        except (ScenarioError, ValueError) as exc:
            problems.append(f"scenarios.{i}: " + "; ".join(str(exc).splitlines()))
            continue
        for j, entry in enumerate(spec.entries):
            for key, value in entry.policies.items():
                where = f"entries.{j}.policies.{key}"
                if _AGENT_ID.match(key) and key not in env.possible_agents:
                    problems.append(f"{where}: scenario {s.display!r} has no agent {key!r} "
                                    f"(it has {', '.join(env.possible_agents)})")  # fmt: skip
                    continue
                try:
                    _registry().make_policies(env, {key: value}, seed=0)
                except (ValueError, TypeError, KeyError, OSError, ImportError) as exc:
                    problems.append(f"{where} = {value!r}: {exc} (scenario {s.display!r})")
    if problems:
        raise SpecError("\n".join(problems))


def _pool_context() -> Any:
    """Fresh interpreters for workers: no fork of a process whose Numba threads run."""
    return multiprocessing.get_context("spawn")
