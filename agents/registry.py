"""Name policies in YAML or on the command line: ``"markup:0.2"``, ``"sb3:runs/ppo.zip"``.

A **spec** is ``NAME`` or ``NAME:ARGS``: numeric arguments separated by commas
(``markup:0.2,0.3``), or, for saved models, one path (``ppo:models/p0.zip``; the
whole text after the first colon, commas included). :func:`policy_names` lists the
names and :func:`policy_table` documents them (the table of ``docs/policies.md``).

* :func:`parse_spec` checks a spec's syntax without an environment;
* :func:`make_policy` builds one agent's policy;
* :func:`make_policies` builds every agent's, from a mapping of agent ids, roles
  (``producer``, ``consumer``, ``broker``) or ``"*"`` to specs.

Each name fits some roles (and, for ``storage_threshold``, one asset kind): a spec
that does not fit its agent is a ``ValueError``. Stochastic policies (``zi_u``,
``zi_c``, ``random``) get a generator seeded from ``seed`` and the agent id
(:func:`agent_rng`), so one ``seed`` makes a whole run reproducible while agents draw
independent streams.

The catalogue of names is :mod:`elecbay_agents.catalogue` and the reading of specs
:mod:`elecbay_agents.specs`; their names are re-exported here.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.kernels import kinds
from elecbay_env.roles import role_of

from .base import BASELINE_SPEC, PolicyFactory, SupportsPredict
from .catalogue import BRIEF as BRIEF  # re-exported
from .catalogue import REGISTRY, policy_lines, policy_names, policy_table
from .policy_info import ALL_ROLES, PolicyInfo, asset_kind
from .specs import parse_spec, policy_info

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

__all__ = [
    "BASELINE_SPEC", "REGISTRY", "PolicyInfo", "agent_rng", "asset_kind", "make_policies",
    "make_policy", "parse_spec", "policy_info", "policy_lines", "policy_names", "policy_table",
]  # fmt: skip


def agent_rng(seed: int | None, agent: str) -> np.random.Generator:
    """The generator of one agent: ``SeedSequence([seed, crc32(agent id)])``.

    The same ``seed`` and agent id always give the same stream (in any process, whatever
    the other agents), different agents independent ones; ``seed=None`` draws fresh OS
    entropy.

    Raises:
        ValueError: a seed that is not a non-negative integer.
    """
    if seed is None:
        return np.random.default_rng()
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed={seed!r}: expected a non-negative integer or None")
    return np.random.default_rng(np.random.SeedSequence([int(seed), zlib.crc32(agent.encode())]))


def _describe(env: ElecbayParallelEnv, agent: str) -> str:
    role = role_of(agent)
    if role != "producer":
        words = {"broker": "the broker", "virtual": "a virtual participant"}
        return f"{agent} is {words.get(role, 'a consumer')}"
    return f"{agent} is a producer ({kinds.NAMES[asset_kind(env, agent)]})"


def make_policy(
    spec: str, env: ElecbayParallelEnv, agent: str, seed: int | None = None
) -> SupportsPredict:
    """Build the policy ``spec`` names for ``agent`` of ``env``.

    Args:
        spec: ``NAME`` or ``NAME:ARGS`` (:func:`policy_names`, :func:`parse_spec`).
        env: the environment (its codecs and scenario configure the policy).
        agent: an agent id of ``env``.
        seed: seeds a stochastic policy's generator together with the agent id
            (:func:`agent_rng`); None: fresh entropy. Deterministic policies ignore it.

    Returns:
        The policy: anything with a stable-baselines3-style ``predict``.

    Raises:
        ValueError: a bad spec, an agent ``env`` does not have, a policy that does not
            fit the agent's role or asset kind, or an argument out of range.
        FileNotFoundError, ImportError: a saved model that is missing, or no SB3.
    """
    name, args = parse_spec(spec)
    info = policy_info(spec) if name not in REGISTRY else REGISTRY[name]
    if agent not in env.possible_agents:
        raise ValueError(f"agent {agent!r}: the environment has {env.possible_agents}")
    if not info.fits(env, agent):
        raise ValueError(
            f"policy spec {spec!r} does not fit {agent}: {name} is for {info.serves()}, "
            f"and {_describe(env, agent)}"
        )
    rng = agent_rng(seed, agent)
    try:
        return info.build(env, agent, args, rng)
    except ValueError as exc:
        raise ValueError(f"policy spec {spec!r} for {agent}: {exc}") from exc


def _fits(spec: str, env: ElecbayParallelEnv, agent: str) -> bool:
    return policy_info(spec).fits(env, agent)


def make_policies(
    env: ElecbayParallelEnv,
    spec: Mapping[str, str | PolicyFactory | SupportsPredict] | None = None,
    seed: int | None = None,
) -> dict[str, SupportsPredict]:
    """One policy per agent of ``env``.

    Args:
        env: the environment.
        spec: maps an agent id (``"producer_3"``), a role (``"producer"``,
            ``"consumer"``, ``"broker"``) or ``"*"`` to a spec string
            (:func:`make_policy`), a factory ``f(env, agent)`` or a ready policy. The
            most specific entry wins: agent id, then role, then ``"*"``, then the
            baseline (:data:`~elecbay_agents.base.BASELINE_SPEC`: ``merit_order`` for
            producers and consumers, ``rule_based_broker`` for the broker). An agent-id
            entry must fit its agent; a role or ``"*"`` spec string applies to the
            agents it fits and the others fall through to the next entry
            (``{"*": "markup:0.2"}`` marks up every trader and leaves the broker
            rule-based; ``{"producer": "storage_threshold"}`` only moves the batteries),
            but it must fit at least one of its agents. None: the baseline for all.
        seed: the run's seed; each stochastic policy's generator is seeded from it and
            its agent id (:func:`agent_rng`). None: fresh entropy.

    Returns:
        ``{agent: policy}`` for every possible agent, in agent order.

    Raises:
        ValueError: a bad spec (named in the message), a key that is no agent id, role
            or ``"*"``, an agent-id spec that does not fit its agent, or a role / ``"*"``
            spec that fits none of its agents.
    """
    spec = dict(spec or {})
    roles = {*ALL_ROLES, "virtual", "*"}
    for key, entry in spec.items():
        if key not in roles and key not in env.possible_agents:
            raise ValueError(
                f"policy spec key {key!r}: expected an agent id {env.possible_agents}, a "
                f"role (producer, consumer, broker) or '*'"
            )
        if isinstance(entry, str):
            try:
                parse_spec(entry)  # every spec string is checked, used or not
            except ValueError as exc:
                raise ValueError(f"policy for {key!r}: {exc}") from None
        elif not (callable(entry) or isinstance(entry, SupportsPredict)):
            raise ValueError(
                f"policy for {key!r}: expected a spec string, a factory f(env, agent) or a "
                f"policy with predict(), got {type(entry).__name__}"
            )
    for key, entry in spec.items():
        if key in roles and isinstance(entry, str):
            covered = [a for a in env.possible_agents if key == "*" or role_of(a) == key]
            if not any(_fits(entry, env, a) for a in covered):
                info = policy_info(entry)
                raise ValueError(
                    f"policy spec {entry!r} for {key!r} fits none of its agents: "
                    f"{info.name} is for {info.serves()}"
                )

    policies: dict[str, SupportsPredict] = {}
    for agent in env.possible_agents:
        role = role_of(agent)
        entry: Any = spec.get(agent)
        if entry is None:
            for key in (role, "*"):
                candidate = spec.get(key)
                if candidate is None:
                    continue
                if isinstance(candidate, str) and not _fits(candidate, env, agent):
                    continue
                entry = candidate
                break
            else:
                entry = BASELINE_SPEC[role]
        if isinstance(entry, str):
            policies[agent] = make_policy(entry, env, agent, seed)
        elif isinstance(entry, SupportsPredict) and not isinstance(entry, type):
            policies[agent] = entry
        else:
            policy = entry(env, agent)
            if not hasattr(policy, "predict"):
                name = getattr(entry, "__qualname__", type(entry).__name__)
                raise ValueError(
                    f"policy for {agent}: the factory {name} returned a "
                    f"{type(policy).__name__}, not a policy (no predict method)"
                )
            policies[agent] = policy
    return policies
