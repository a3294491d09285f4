"""Saved stable-baselines3 models as elecbay policies (SB3 is an optional dependency).

:func:`load_sb3` loads a model saved with ``model.save(path)`` (a zip). The algorithm is
given (``"ppo"``, ``"sac"``, ``"td3"``, ``"a2c"``) or read from the zip's ``data`` file
(a JSON of the constructor's arguments): its ``policy_class`` module names SAC and TD3
(``stable_baselines3.sac.policies``, ``stable_baselines3.td3.policies``), and the
arguments only one algorithm has tell PPO (``clip_range``, ``n_epochs``) from A2C.

:class:`SB3Policy` wraps the model for one agent: it checks that the model's
observation and action spaces have the agent's shapes, and answers ``predict`` like
every elecbay policy (batch first, float32 actions in [-1, 1]). ``deterministic=True``
takes the policy's mode; ``deterministic=False`` samples with torch's global generator
(seed it with ``torch.manual_seed`` for reproducible runs). A model trained under
``VecNormalize`` needs its observation statistics, which this wrapper does not apply.

Install SB3 with ``pip install 'elecbay[train]'`` (or ``stable-baselines3``); it is
imported only when a model is loaded.
"""

from __future__ import annotations

import functools
import json
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from elecbay_env.envs.codecs import AgentCodec

from .base import Policy

if TYPE_CHECKING:
    from elecbay_env.envs.parallel import ElecbayParallelEnv

ALGORITHMS = ("ppo", "sac", "td3", "a2c")
"""Algorithms :func:`load_sb3` knows by name."""


def _sb3() -> Any:
    try:
        import stable_baselines3
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ImportError(
            "loading a saved model needs stable-baselines3, an optional dependency: "
            "pip install 'elecbay[train]' (or pip install stable-baselines3)"
        ) from exc
    return stable_baselines3


def _zip_path(path: str | Path) -> Path:
    p = Path(path).expanduser()
    if p.is_file():
        return p
    if p.suffix != ".zip" and p.with_name(p.name + ".zip").is_file():
        return p.with_name(p.name + ".zip")
    raise FileNotFoundError(f"saved model {str(path)!r}: no such file (nor with .zip)")


def detect_algorithm(path: str | Path) -> str:
    """The algorithm (one of :data:`ALGORITHMS`) of a saved SB3 model, from its data file.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not an SB3 zip, or an algorithm this loader does not know.
    """
    p = _zip_path(path)
    try:
        with zipfile.ZipFile(p) as z:
            data = json.loads(z.read("data"))
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise ValueError(f"{str(p)!r} is not a saved stable-baselines3 model: {exc}") from None
    module = str(data.get("policy_class", {}).get("__module__", ""))
    if ".sac." in module or "target_entropy" in data:
        return "sac"
    if ".td3." in module or "policy_delay" in data:
        return "td3"
    if "clip_range" in data or "n_epochs" in data:
        return "ppo"
    if "gae_lambda" in data and "normalize_advantage" in data:
        return "a2c"
    raise ValueError(
        f"{str(p)!r}: cannot tell the algorithm from its data file (policy module "
        f"{module!r}); name it: one of {', '.join(f'{a}:PATH' for a in ALGORITHMS)}"
    )


def load_sb3(path: str | Path, algorithm: str | None = None, device: str = "cpu") -> Any:
    """Load a saved SB3 model.

    Args:
        path: the zip ``model.save`` wrote (``.zip`` may be left off).
        algorithm: one of :data:`ALGORITHMS`; None reads it from the zip
            (:func:`detect_algorithm`).
        device: torch device for the network (``"cpu"`` by default: small policies
            evaluate faster there).

    A file is loaded once while it is unchanged (same path, size and modification
    time): further calls, e.g. for every agent of a ``"*": "ppo:PATH"`` spec, return
    the same model object (predict-only use; train a copy, not this one).

    Raises:
        ImportError: stable-baselines3 is not installed.
        FileNotFoundError: no such file.
        ValueError: an unknown algorithm, one that differs from the zip's, or a zip that
            is not an SB3 model.
    """
    p = _zip_path(path)
    if algorithm is None:
        algo = detect_algorithm(p)
    else:
        algo = algorithm.lower()
        if algo not in ALGORITHMS:
            raise ValueError(f"algorithm {algorithm!r}: known ones are {', '.join(ALGORITHMS)}")
        try:
            saved = detect_algorithm(p)
        except ValueError:
            saved = algo  # cannot tell: trust the caller
        if saved != algo:
            raise ValueError(f"{str(p)!r} holds a {saved.upper()} model, not {algo.upper()}")
    stat = p.stat()
    return _load(str(p.resolve()), stat.st_mtime_ns, stat.st_size, algo, device)


@functools.lru_cache(maxsize=16)
def _load(path: str, mtime_ns: int, size: int, algo: str, device: str) -> Any:
    """Load once per unchanged file: agents that share a model share the object."""
    cls = getattr(_sb3(), algo.upper())
    return cls.load(path, device=device)


class SB3Policy(Policy):
    """A stable-baselines3 model acting for one agent (module doc).

    Args:
        model: a loaded SB3 model (anything with ``predict``, ``observation_space`` and
            ``action_space``).
        source: the agent's :class:`AgentCodec`, or the environment (then ``agent``).
        agent: the agent id when ``source`` is an environment.
        path: where the model came from (for messages).

    Raises:
        ValueError: the model's spaces do not have the agent's shapes.
    """

    def __init__(
        self,
        model: Any,
        source: AgentCodec | ElecbayParallelEnv,
        agent: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(source, agent)
        self.model = model
        self.path = path
        who = agent or f"row {self.codec.row}"
        act_shape = tuple(getattr(model.action_space, "shape", ()) or ())
        if act_shape != (self.action_width,):
            raise ValueError(
                f"model {path or ''}: action shape {act_shape}, but {who} acts with "
                f"({self.action_width},)"
            )
        self.obs_shape = tuple(getattr(model.observation_space, "shape", ()) or ())
        space = getattr(source, "observation_spaces", {}).get(agent)
        if space is not None and tuple(space.shape) != self.obs_shape:
            raise ValueError(
                f"model {path or ''}: observation shape {self.obs_shape}, but {who} "
                f"observes {tuple(space.shape)}"
            )

    def _predict_batch(
        self, obs: np.ndarray, state: Any, episode_start: np.ndarray, deterministic: bool
    ) -> tuple[np.ndarray, Any]:
        action, state = self.model.predict(
            obs.astype(np.float32), state=state, episode_start=episode_start,
            deterministic=deterministic,
        )  # fmt: skip
        return np.clip(np.asarray(action, dtype=np.float32), -1.0, 1.0), state

    def __repr__(self) -> str:
        return f"SB3Policy({type(self.model).__name__}, agent={self.agent!r}, path={self.path!r})"
