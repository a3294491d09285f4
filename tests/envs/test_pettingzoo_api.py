"""PettingZoo's own test suite on both forms of the environment, for every shipped scenario.

Each scenario YAML in ``configs/`` (``demo_book.yaml`` is an order book, not a scenario)
runs through ``parallel_api_test``, ``api_test``, the seed tests, ``state_test``,
``max_cycles_test`` (through a small adapter, see :class:`MaxCyclesModule`) and
``render_test``. Episodes are shortened to one day (``market.days=1``) for speed.

PettingZoo warns when agents have observation (or action) spaces of different sizes;
that is by design here (traders see 23 features, the broker 15), so those warnings are
allowed and any other warning fails the test.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pettingzoo.test import (
    api_test,
    max_cycles_test,
    parallel_api_test,
    parallel_seed_test,
    render_test,
    seed_test,
    state_test,
)

from elecbay_env import env, parallel_env
from elecbay_env.config import shipped_scenarios
from elecbay_env.envs.aec import raw_env

CONFIG_DIR = Path(__file__).resolve().parents[2] / "configs"
NOT_SCENARIOS = {"demo_book.yaml"}  # an order book for `elecbay clear`
CONFIGS = sorted(p for p in CONFIG_DIR.glob("*.yaml") if p.name not in NOT_SCENARIOS)
ONE_DAY = {"market.days": 1}

# Heterogeneous roles: PettingZoo's checkers warn about these, by design of the env.
ALLOWED_WARNINGS = (
    "Agents have different observation space sizes",
    "Agents have different action space sizes",
    "Observations are different shapes",
)


def _ids(path: Path) -> str:
    return path.stem


@pytest.fixture(params=CONFIGS, ids=_ids)
def config(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _run_checked(fn, *args, **kwargs) -> None:
    """Run a PettingZoo checker; fail on any warning other than the allowed ones."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fn(*args, **kwargs)
    unexpected = sorted(
        {str(w.message) for w in caught if not str(w.message).startswith(ALLOWED_WARNINGS)}
    )
    assert not unexpected, f"{fn.__name__} warned: {unexpected}"


def test_every_shipped_scenario_is_covered() -> None:
    assert {p.stem for p in CONFIGS} == set(shipped_scenarios())


def test_parallel_api(config: str) -> None:
    _run_checked(parallel_api_test, parallel_env(config, **ONE_DAY), num_cycles=1000)


@pytest.mark.parametrize("make", [env, raw_env], ids=["env", "raw_env"])
def test_aec_api(config: str, make) -> None:
    _run_checked(api_test, make(config, **ONE_DAY), num_cycles=1000)


def test_parallel_seed(config: str) -> None:
    _run_checked(parallel_seed_test, lambda: parallel_env(config, **ONE_DAY))


def test_aec_seed(config: str) -> None:
    _run_checked(seed_test, lambda: env(config, **ONE_DAY))


def test_state(config: str) -> None:
    _run_checked(state_test, env(config, **ONE_DAY), parallel_env(config, **ONE_DAY))


class MaxCyclesModule:
    """What ``max_cycles_test`` needs: a module whose ``parallel_env``/``env`` take
    ``max_cycles``.

    Elecbay episodes end by truncation after ``days x periods_per_day`` periods, not
    after a step count, so ``max_cycles`` maps to an episode of one day cut into
    ``max_cycles`` settlement periods (``market.period_min = 1440 / max_cycles``). The
    test then checks that both forms truncate after exactly that many steps.
    """

    def __init__(self, config: str) -> None:
        self.config = config

    def _overrides(self, max_cycles: int) -> dict[str, Any]:
        if 1440 % max_cycles:
            raise ValueError(f"max_cycles={max_cycles}: must divide 1440 (minutes per day)")
        return {"market.days": 1, "market.period_min": 1440 // max_cycles}

    def parallel_env(self, max_cycles: int):
        return parallel_env(self.config, **self._overrides(max_cycles))

    def env(self, max_cycles: int):
        return env(self.config, **self._overrides(max_cycles))


def test_max_cycles(config: str) -> None:
    _run_checked(max_cycles_test, MaxCyclesModule(config))


def test_max_cycles_adapter_gives_the_episode_length(config: str) -> None:
    for cycles in (1, 4, 48):
        e = MaxCyclesModule(config).parallel_env(cycles)
        assert e.num_periods == cycles


def test_render(config: str) -> None:
    def make(render_mode=None):
        return env(config, render_mode=render_mode, **ONE_DAY)

    _run_checked(render_test, make)


# --------------------------------------------------------------------------------------
# The AEC form is the parallel form, one agent at a time
# --------------------------------------------------------------------------------------


def _action_plan(e, n_periods: int, seed: int) -> list[dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [
        {
            a: rng.uniform(-1.0, 1.0, e.action_space(a).shape).astype(np.float32)
            for a in e.possible_agents
        }
        for _ in range(n_periods)
    ]


def test_aec_and_parallel_give_identical_rewards(config: str) -> None:
    par = parallel_env(config, **ONE_DAY)
    aec = env(config, **ONE_DAY)
    plan = _action_plan(par, par.num_periods, seed=11)

    par_obs, _ = par.reset(seed=5)
    aec.reset(seed=5)
    for agent in par.possible_agents:
        np.testing.assert_array_equal(aec.observe(agent), par_obs[agent])

    for t, actions in enumerate(plan):
        for agent in par.possible_agents:  # the AEC form acts in agent-id order
            assert aec.agent_selection == agent
            aec.step(actions[agent])
        par_obs, par_rew, par_term, par_trunc, par_info = par.step(actions)
        assert aec.rewards == par_rew, f"period {t}"
        assert aec.terminations == par_term
        assert aec.truncations == par_trunc
        assert aec.infos == par_info
        for agent in par.possible_agents:
            np.testing.assert_array_equal(aec.observe(agent), par_obs[agent])
    assert not par.agents
    assert all(aec.truncations.values())


def test_aec_last_reward_is_the_previous_periods_parallel_reward() -> None:
    """What a learner sees through ``last()`` at its turn is its reward of the period
    just settled (each agent acts once per period)."""
    config = str(CONFIG_DIR / "small.yaml")
    par = parallel_env(config, **ONE_DAY)
    aec = env(config, **ONE_DAY)
    plan = _action_plan(par, par.num_periods, seed=3)
    par.reset(seed=1)
    par_rewards = [par.step(actions)[1] for actions in plan]

    aec.reset(seed=1)
    turns: dict[str, int] = dict.fromkeys(par.possible_agents, 0)
    for agent in aec.agent_iter():
        _, reward, terminated, truncated, _ = aec.last()
        t = turns[agent]
        expected = 0.0 if t == 0 else par_rewards[t - 1][agent]
        assert reward == expected, (agent, t)
        turns[agent] += 1
        aec.step(None if (terminated or truncated) else plan[t][agent])
    # every agent acted once per period, then once more (None) to leave
    assert set(turns.values()) == {par.num_periods + 1}
