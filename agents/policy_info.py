"""What the registry knows of one policy name: :class:`PolicyInfo`.

:mod:`elecbay_agents.catalogue` holds the entries (``REGISTRY``),
:mod:`elecbay_agents.registry` builds policies from specs and
:mod:`elecbay_agents.user_policies` makes entries for import specs
(``my_pkg.rules:PeakMarkup``). They import this module, which imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.kernels import kinds
from elecbay_env.roles import role_of

from .base import SupportsPredict

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

__all__ = ["ALL_ROLES", "TRADERS", "Args", "Builder", "PolicyInfo", "asset_kind"]

Args = tuple[Any, ...]
Builder = Callable[["ElecbayParallelEnv", str, Args, np.random.Generator], SupportsPredict]

TRADERS = ("producer", "consumer")
ALL_ROLES = ("producer", "consumer", "broker")


@dataclass(frozen=True)
class PolicyInfo:
    """One registry entry.

    Attributes:
        name: the spec's name.
        roles: roles it serves.
        kinds: asset kinds (:mod:`elecbay_env.kernels.kinds`) it serves among traders;
            None for every kind of its roles.
        n_args: numbers of arguments allowed.
        path: True when the argument is a file path (not numbers).
        usage: the spec's form, e.g. ``markup[:MARKUP[,WITHHOLD]]``.
        summary: what it does (Markdown).
        params: its parameters and defaults (Markdown).
        build: ``build(env, agent, args, rng)``.
    """

    name: str
    roles: tuple[str, ...]
    kinds: tuple[int, ...] | None
    n_args: tuple[int, ...]
    path: bool
    usage: str
    summary: str
    params: str
    build: Builder

    def fits(self, env: ElecbayParallelEnv, agent: str) -> bool:
        """Whether this policy serves ``agent`` of ``env`` (role and asset kind)."""
        if role_of(agent) not in self.roles:
            return False
        return self.kinds is None or asset_kind(env, agent) in self.kinds

    def serves(self) -> str:
        """Roles (and kinds) in words, e.g. ``"producers, consumers"``."""
        if self.kinds is not None:
            return ", ".join(f"{r}s ({', '.join(kinds.NAMES[k] for k in self.kinds)} only)"
                             for r in self.roles)  # fmt: skip
        words = {"broker": "the broker", "virtual": "virtual seats"}
        return ", ".join(words.get(r, f"{r}s") for r in self.roles)


def asset_kind(env: ElecbayParallelEnv, agent: str) -> int:
    """The asset kind code of an agent (:mod:`elecbay_env.kernels.kinds`)."""
    codec = env.codec_for(agent)
    return int(codec.codec.params.kind[0, codec.row])
