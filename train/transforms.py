"""What a learner sees and does, versus what the environment speaks.

A learner trains on **scaled observations** (each feature mapped affinely from its
documented Box bounds to [-1, 1]) and acts through a **learner codec** whose prices
span a narrower range than the market's floor and cap (default 0 to 500 per MWh), so
that a freshly initialised policy already bids in the region where prices form.
Both are recorded in a small JSON file saved beside the model (``elecbay.json``), so
:class:`TrainedPolicy` can replay a saved model through the standard environment:
it scales the raw observation, asks the model, decodes the action with the learner
codec (MW and prices) and encodes it with the environment's codec.

The same file holds the model's **contract**: the seat role, the observation and
action shapes, and the scenario (its name and :func:`scenario_hash`).
:func:`load_trained_policy` checks it against the seat it is loaded into before
loading the network: another role or other shapes are refused (``ValueError`` naming
the model folder, the seat and what differs); another scenario is refused too unless
``allow_scenario_mismatch`` (spec ``sb3:DIR:allow_scenario_mismatch``), which warns.
A model saved before contracts existed loads with a warning (its network's own
shapes are still checked).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
from gymnasium import spaces

from elecbay_env.envs.codecs import AgentCodec, Codec
from elecbay_env.params import MarketParams

METADATA_FILE = "elecbay.json"
DEFAULT_PRICE_RANGE = (0.0, 500.0)
ALLOW_SCENARIO_MISMATCH = "allow_scenario_mismatch"
"""Suffix of a model spec (``sb3:DIR:allow_scenario_mismatch``) that lets a model play
a scenario other than the one it was trained on (with a warning)."""
HASH_IGNORES = ("market.days", "data.split")
"""Scenario fields :func:`scenario_hash` leaves out: they set how long an episode runs
and which dates it draws, not what a seat observes or how the market clears."""


def scenario_hash(scenario: Any) -> str:
    """A short hash of a validated scenario (:class:`elecbay_env.config.Scenario`),
    without :data:`HASH_IGNORES` and the free-text description."""
    data = scenario.model_dump(mode="json")
    data.pop("description", None)
    if not data.get("borders"):  # no borders: the hash a scenario had before zones existed
        data.pop("borders", None)
    for dotted in HASH_IGNORES:
        head, _, key = dotted.partition(".")
        if isinstance(data.get(head), dict):
            data[head].pop(key, None)
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LearnerSpec:
    """How a learner's observations and actions map to the environment's.

    Attributes:
        price_range: (lo, hi) currency per MWh of the learner's decoded prices.
        scale_obs: observations scaled from their Box bounds to [-1, 1].
        role: the learner's role ("producer", "consumer" or "broker").
        agents: the seats it was trained in.
        config: the scenario it was trained on (name, path or None).
        algo: the stable-baselines3 algorithm.
        obs_shape: the seat's observation shape (contract; None in older files).
        action_shape: the seat's action shape (contract).
        scenario: the trained scenario's name (contract).
        scenario_hash: :func:`scenario_hash` of the trained scenario (contract).
    """

    price_range: tuple[float, float] = DEFAULT_PRICE_RANGE
    scale_obs: bool = True
    role: str = "producer"
    agents: tuple[str, ...] = ()
    config: str | None = None
    algo: str = "ppo"
    extra: dict[str, Any] = field(default_factory=dict)
    obs_shape: tuple[int, ...] | None = None
    action_shape: tuple[int, ...] | None = None
    scenario: str | None = None
    scenario_hash: str | None = None

    @property
    def has_contract(self) -> bool:
        """Whether the file records shapes and scenario (saved by this version)."""
        return self.obs_shape is not None and self.scenario_hash is not None

    def check_seat(
        self, folder: str | Path, env: Any, agent: str, allow_scenario_mismatch: bool = False
    ) -> None:
        """Check the contract against ``agent`` of ``env`` (module doc).

        Raises:
            ValueError: another role, other shapes, or (unless allowed) another scenario;
                the message names the model folder, the seat and what differs.
        """
        from elecbay_env.roles import role_of

        where = f"model {str(folder)!r} in seat {agent}"
        if not self.has_contract:
            warnings.warn(
                f"{where}: saved without a contract (no shapes or scenario in "
                f"{METADATA_FILE}); only its role and network shapes are checked",
                UserWarning,
                stacklevel=3,
            )
        role = role_of(agent)
        if self.role != role:
            raise ValueError(f"{where}: trained as a {self.role}, but {agent} is a {role}")
        want = {
            "observation shape": (self.obs_shape, tuple(env.observation_space(agent).shape)),
            "action shape": (self.action_shape, tuple(env.action_space(agent).shape)),
        }
        for what, (saved, seat) in want.items():
            if saved is not None and tuple(saved) != seat:
                raise ValueError(f"{where}: {what} {tuple(saved)} saved, but the seat has {seat}")
        if self.scenario_hash is None:
            return
        here = scenario_hash(env.scenario)
        if here != self.scenario_hash:
            text = (
                f"{where}: trained on scenario {self.scenario!r} (hash {self.scenario_hash}), "
                f"but this is scenario {env.scenario.name!r} (hash {here})"
            )
            if not allow_scenario_mismatch:
                raise ValueError(f"{text}; to play it anyway use sb3:DIR:{ALLOW_SCENARIO_MISMATCH}")
            warnings.warn(f"{text}; playing it anyway ({ALLOW_SCENARIO_MISMATCH})", UserWarning,
                          stacklevel=3)  # fmt: skip

    def save(self, folder: str | Path) -> Path:
        """Write ``elecbay.json`` into ``folder``."""
        path = Path(folder) / METADATA_FILE
        data = asdict(self)
        data["price_range"] = list(self.price_range)
        data["agents"] = list(self.agents)
        for key in ("obs_shape", "action_shape"):
            data[key] = None if data[key] is None else list(data[key])
        path.write_text(json.dumps(data, indent=1))
        return path

    @classmethod
    def load(cls, folder: str | Path) -> LearnerSpec | None:
        """Read ``elecbay.json`` from ``folder`` (None when there is none)."""
        path = Path(folder) / METADATA_FILE
        if not path.is_file():
            return None
        data = json.loads(path.read_text())
        data["price_range"] = tuple(data.get("price_range", DEFAULT_PRICE_RANGE))
        data["agents"] = tuple(data.get("agents", ()))
        for key in ("obs_shape", "action_shape"):
            if data.get(key) is not None:
                data[key] = tuple(int(n) for n in data[key])
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def scale_box(box: spaces.Box, x: np.ndarray) -> np.ndarray:
    """Map ``x`` affinely from ``box``'s bounds to [-1, 1] (float32)."""
    lo = box.low.astype(np.float64)
    span = np.maximum(box.high.astype(np.float64) - lo, 1e-12)
    return np.clip(2.0 * (np.asarray(x, np.float64) - lo) / span - 1.0, -1.0, 1.0).astype(
        np.float32
    )


def scaled_space(box: spaces.Box) -> spaces.Box:
    """The [-1, 1] Box a scaled observation lives in."""
    return spaces.Box(-1.0, 1.0, box.shape, np.float32)


class ActionBridge:
    """Learner actions -> environment actions for some rows of one market's codec.

    Args:
        params: the market's parameters.
        env_codec: the environment's codec.
        price_range: the learner's price range.
    """

    def __init__(self, params: MarketParams, env_codec: Codec, price_range) -> None:
        self.env_codec = env_codec
        self.learner_codec = Codec(
            params, price_range=tuple(price_range), avail_hi=env_codec.avail_hi
        )

    def agent(self, row: int, role: str) -> tuple[AgentCodec, AgentCodec]:
        """(learner, env) codecs of one row."""
        return AgentCodec(self.learner_codec, row, role), AgentCodec(self.env_codec, row, role)

    def to_env(self, actions: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(E, N, A) actions where ``rows`` act through the learner codec -> env actions.

        Decoding with the learner codec and encoding with the environment's gives
        the same MW and prices (up to float32 rounding of the result).
        """
        orders = self.learner_codec.decode(actions)
        env_actions = self.env_codec.encode(orders)
        out = np.array(actions, dtype=np.float64, copy=True)
        out[:, rows] = env_actions[:, rows]
        return out


class TrainedPolicy:
    """A saved stable-baselines3 model, replayed through the standard environment.

    ``predict`` takes the agent's raw observation (F,) or (K, F) and returns actions
    in the environment's action space, like every elecbay policy.

    Args:
        model: the loaded stable-baselines3 model.
        spec: the learner spec saved with it.
        observation_space: the agent's (raw) observation space in the env.
        learner_codec, env_codec: the agent's codecs (learner -> env).
    """

    def __init__(
        self,
        model: Any,
        spec: LearnerSpec,
        observation_space: spaces.Box,
        learner_codec: AgentCodec,
        env_codec: AgentCodec,
    ) -> None:
        self.model = model
        self.spec = spec
        self.observation_space = observation_space
        self.learner_codec = learner_codec
        self.env_codec = env_codec

    def predict(
        self,
        observation: np.ndarray,
        state: Any = None,
        episode_start: np.ndarray | None = None,
        deterministic: bool = True,
    ) -> tuple[np.ndarray, Any]:
        """Actions (A,) or (K, A) in the environment's space for raw observations."""
        obs = np.asarray(observation, np.float32)
        if self.spec.scale_obs:
            obs = scale_box(self.observation_space, obs)
        action, state = self.model.predict(
            obs, state=state, episode_start=episode_start, deterministic=deterministic
        )
        bids = self.learner_codec.decode(action)
        return self.env_codec.encode(bids), state


def load_trained_policy(
    path: str | Path, env: Any, agent: str, allow_scenario_mismatch: bool = False
) -> TrainedPolicy | Any:
    """Load ``path`` (a model zip, or a folder holding ``model.zip``) for ``agent`` of
    ``env``. With ``elecbay.json`` beside it, its contract is checked against the seat
    (:meth:`LearnerSpec.check_seat`) and the result replays it through the env's spaces
    (:class:`TrainedPolicy`); without, the bare model is returned.

    Args:
        allow_scenario_mismatch: play a model trained on another scenario (warns).

    Raises:
        ValueError: the file is missing, the algorithm is unknown, or the model does not
            fit the seat (role, shapes, scenario), naming the folder and the seat.
    """
    from elecbay_env.roles import role_of

    path = Path(path)
    zip_path = path / "model.zip" if path.is_dir() else path
    if not zip_path.is_file():
        raise ValueError(f"model {str(path)!r}: no such file (expected a .zip or a folder)")
    spec = LearnerSpec.load(zip_path.parent)
    if spec is not None:
        spec.check_seat(zip_path.parent, env, agent, allow_scenario_mismatch)
    algo = spec.algo if spec is not None else "ppo"
    model = load_model(zip_path, algo)
    if spec is None:
        return model
    where = f"model {str(zip_path.parent)!r} in seat {agent}"
    for what, net, seat in (
        ("observation", model.observation_space, env.observation_space(agent)),
        ("action", model.action_space, env.action_space(agent)),
    ):
        if tuple(net.shape) != tuple(seat.shape):
            raise ValueError(f"{where}: the network's {what} shape is {tuple(net.shape)}, "
                             f"but the seat has {tuple(seat.shape)}")  # fmt: skip
    row = env.possible_agents.index(agent)
    bridge = ActionBridge(env.engine.params, env.codec, spec.price_range)
    learner, env_codec = bridge.agent(row, role_of(agent))
    return TrainedPolicy(model, spec, env.observation_space(agent), learner, env_codec)


ALGORITHMS = ("ppo", "a2c", "sac", "td3")


def algorithm_class(algo: str):
    """The stable-baselines3 class of an algorithm name (imported lazily)."""
    try:
        import stable_baselines3 as sb3
    except ImportError as exc:  # pragma: no cover - the train extra installs it
        raise ValueError(
            "stable-baselines3 is not installed: pip install 'elecbay[train]'"
        ) from exc
    classes = {"ppo": sb3.PPO, "a2c": sb3.A2C, "sac": sb3.SAC, "td3": sb3.TD3}
    if algo.lower() not in classes:
        raise ValueError(f"algo={algo!r}: allowed values are {sorted(classes)}")
    return classes[algo.lower()]


def load_model(path: str | Path, algo: str = "ppo"):
    """Load a stable-baselines3 model zip on the CPU."""
    return algorithm_class(algo).load(str(path), device="cpu")
