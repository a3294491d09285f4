"""The policy interface every elecbay policy answers, learned or rule-based.

A policy maps observations to actions the way a stable-baselines3 model does::

    action, state = policy.predict(obs, state=None, episode_start=None, deterministic=True)

Batch first: an observation of shape ``(F,)`` gives an action of shape ``(A,)``; a batch
of shape ``(K, F)`` (K copies of the same agent, e.g. K vectorised markets) gives
``(K, A)``. Actions are float32 in ``[-1, 1]``, the agent's ``Box`` action space.
``state`` is whatever the policy carries from one call to the next (``None`` for
memoryless policies); pass back what the last call returned. ``episode_start`` (a bool,
or ``(K,)`` bools) tells the policy that a row starts a new episode, so it forgets that
row's state.

Rule-based policies reason in physical units (MW, currency per MWh) read from the
observation (:data:`elecbay_env.envs.observations.TRADER_FEATURES` /
``BROKER_FEATURES``) and turn their bids into actions with the agent's
:class:`~elecbay_env.envs.codecs.AgentCodec`. They are built from the codec
(``MeritOrderPolicy(codec)``) or from the environment and an agent id
(``MeritOrderPolicy(env, "producer_0")``). Stochastic policies take a seeded
``numpy.random.Generator`` (``seed=`` or ``rng=``) so that runs are reproducible.

:func:`elecbay_agents.registry.make_policies` (also ``elecbay_agents.make_policies``)
builds one policy per agent of an environment from short specs (``"merit_order"``,
``"markup:0.2"``, ``"sb3:model.zip"``...). It lives in the registry, above this module,
so that the interface imports nothing of the policies built on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from elecbay_env.envs.codecs import AgentCodec

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv


@runtime_checkable
class SupportsPredict(Protocol):
    """Anything with a stable-baselines3-style ``predict`` (SB3 models included)."""

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]: ...


def resolve_codec(source: AgentCodec | ElecbayParallelEnv, agent: str | None) -> AgentCodec:
    """The agent's codec from an :class:`AgentCodec` or from an env and an agent id.

    Raises:
        ValueError: an env without an agent id, or an agent the env does not have.
    """
    if isinstance(source, AgentCodec):
        return source
    codec_for = getattr(source, "codec_for", None)
    if codec_for is None:
        raise ValueError(
            f"expected an AgentCodec or an elecbay environment, got {type(source).__name__}"
        )
    if agent is None:
        raise ValueError("built from an environment, a policy needs the agent id too")
    if agent not in source.possible_agents:
        raise ValueError(f"agent {agent!r}: the environment has {source.possible_agents}")
    return codec_for(agent)


class Policy(ABC):
    """Base of elecbay policies: batch handling around :meth:`_predict_batch`.

    Subclasses implement :meth:`_predict_batch` on a ``(K, F)`` float64 array and return
    ``(K, A)`` actions and the new state; :meth:`predict` adds the unbatched case, the
    float32 cast and the checks.

    Args:
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
    """

    def __init__(self, source: AgentCodec | ElecbayParallelEnv, agent: str | None = None) -> None:
        self.codec = resolve_codec(source, agent)
        self.agent = agent
        self.action_width = self.codec.width

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | bool | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions for one observation ``(F,)`` -> ``(A,)`` or a batch ``(K, F)`` -> ``(K, A)``.

        Args:
            observation: the agent's observation(s) (float, units per feature as in
                :mod:`elecbay_env.envs.observations`).
            state: what the previous call returned (None at the start).
            episode_start: True where a row starts a new episode (bool or ``(K,)``).
            deterministic: rule-based policies ignore it; so do the zero-intelligence
                and random policies, which draw from their seeded generator either way;
                SB3 models take their mode when True and sample when False.

        Returns:
            ``(action, state)``: float32 actions in [-1, 1] and the state to pass back.

        Raises:
            ValueError: an observation that is not 1-D or 2-D, or not finite.
        """
        x = np.asarray(observation, dtype=np.float64)
        single = x.ndim == 1
        if single:
            x = x[None, :]
        if x.ndim != 2:
            raise ValueError(f"observation: expected shape (F,) or (K, F), got {x.shape}")
        if not np.all(np.isfinite(x)):
            raise ValueError("observation: every value must be finite")
        k = x.shape[0]
        if episode_start is None:
            starts = np.zeros(k, bool)
        else:
            starts = np.broadcast_to(np.asarray(episode_start, bool).reshape(-1), (k,)).copy()
        actions, state = self._predict_batch(x, state, starts, deterministic)
        actions = np.asarray(actions, dtype=np.float32)
        if actions.shape != (k, self.action_width):
            raise AssertionError(f"{type(self).__name__}: action shape {actions.shape}")
        return (actions[0] if single else actions), state

    @abstractmethod
    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        """``(K, F)`` observations -> ``(K, A)`` actions and the new state."""

    def __repr__(self) -> str:
        who = f"agent={self.agent!r}" if self.agent else f"row={self.codec.row}"
        return f"{type(self).__name__}({who})"


PolicyFactory = Callable[["ElecbayParallelEnv", str], SupportsPredict]
"""Builds a policy for one agent of an environment: ``factory(env, agent)``."""


BASELINE_SPEC: dict[str, str] = {
    "producer": "merit_order",
    "consumer": "merit_order",
    "broker": "rule_based_broker",
    "virtual": "virtual_trader",
}
"""The baseline: truthful merit order for traders, the rule-based broker, and for a
virtual participant's seat (``virtual_<v>``) the spread trader."""
