"""``elecbay train``: train a stable-baselines3 learner on the vectorised core.

The learner sits in one seat (``--agent producer_2``) or shares one network across
every agent of a role (``--role producer``: parameter sharing per role); everyone
else follows fixed policies (``--opponents``). Training runs on :class:`RoleVecEnv`
(E markets at once, no subprocesses).

Normalisation (documented choices): observations are scaled affinely from their
documented bounds to [-1, 1] (exact and stateless, so the saved model needs no
running statistics), and rewards are normalised by stable-baselines3's
``VecNormalize`` (a running estimate of the return's scale; it only shapes training,
not the saved policy). Prices of the learner's actions span ``--price-range`` (default
0 to 500 per MWh) so a fresh policy bids where prices form.

Outputs in ``--out``: ``model.zip`` and ``elecbay.json`` (load it in the evaluator as
``sb3:DIR``), ``progress.csv`` (episode reward and market metrics against steps),
``checkpoints/``, ``train_config.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from elecbay_env.splits import SPLITS

from .transforms import (
    ALGORITHMS,
    DEFAULT_PRICE_RANGE,
    LearnerSpec,
    algorithm_class,
    scenario_hash,
)


def parse_opponents(text: str | None) -> dict[str, str]:
    """Opponent specs from ``"producer=markup:0.2;broker=rule_based_broker"`` or YAML."""
    if not text:
        return {}
    path = Path(text)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        data = yaml.safe_load(path.read_text()) or {}
        if not isinstance(data, dict):
            raise ValueError(f"--opponents {text}: expected a mapping of agent/role -> policy")
        return {str(k): str(v) for k, v in data.items()}
    out = {}
    for part in text.split(";"):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"--opponents: {part!r} is not KEY=POLICY (e.g. producer=markup:0.2)")
        out[key.strip()] = value.strip()
    return out


def _market_callback():
    from stable_baselines3.common.callbacks import BaseCallback

    class MarketMetrics(BaseCallback):
        """Logs the markets' mean clearing price and imbalance volume per rollout."""

        def _on_rollout_start(self) -> None:
            self._prices: list[float] = []
            self._niv: list[float] = []

        def _on_step(self) -> bool:
            core = self.training_env.get_attr("core")[0]
            out = core.last_outcome
            if out is not None:
                self._prices.append(float(np.nanmean(out.price)))
                self._niv.append(float(np.mean(np.abs(out.niv_mwh))))
            return True

        def _on_rollout_end(self) -> None:
            if self._prices:
                self.logger.record("market/clearing_price_mean", float(np.nanmean(self._prices)))
                self.logger.record("market/abs_niv_mwh_mean", float(np.mean(self._niv)))

    return MarketMetrics()


def train(
    config: str | None = None,
    seats: str | Sequence[str] = "producer_0",
    opponents: dict[str, str] | None = None,
    algo: str = "ppo",
    timesteps: int = 100_000,
    seed: int = 0,
    n_markets: int = 16,
    out: str | Path = "runs/train",
    price_range: tuple[float, float] = DEFAULT_PRICE_RANGE,
    scale_obs: bool = True,
    norm_reward: bool = True,
    checkpoint_every: int = 0,
    algo_kwargs: dict[str, Any] | None = None,
    overrides: dict[str, Any] | None = None,
    verbose: int = 0,
    torch_threads: int = 1,
    reward_mode: str = "raw",
    progress: bool = False,
) -> Path:
    """Train and save a model; returns the output folder.

    Args:
        config: scenario name or path (None: the embedded default).
        seats: the learner's agent id(s) or role.
        opponents: policy specs for the other agents.
        algo: ``ppo``, ``a2c``, ``sac`` or ``td3``.
        timesteps: environment steps to collect (summed over sub-environments).
        seed: seeds the markets and the algorithm.
        n_markets: E, markets stepped at once.
        out: output folder.
        price_range: the learner's price range (currency per MWh).
        scale_obs: scale observations to [-1, 1].
        norm_reward: normalise rewards with ``VecNormalize`` while training.
        checkpoint_every: save a checkpoint every so many steps (0: never).
        algo_kwargs: extra keyword arguments of the algorithm.
        overrides: dotted scenario overrides.
        verbose: stable-baselines3's verbosity.
        reward_mode: ``"raw"`` (currency, normalised by ``VecNormalize`` when
            ``norm_reward``) or ``"learning"`` (:mod:`elecbay_env.rewards`).
        progress: draw a progress bar on stderr (:mod:`elecbay_train.progress`).
        torch_threads: torch's CPU threads. One by default: the engine's Numba
            threads use the other cores, and on a small machine two pools fighting
            over two cores stall the updates.
    """
    import torch
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.vec_env import VecNormalize

    from .core import resolve_seats
    from .vec_env import RoleVecEnv

    torch.set_num_threads(max(int(torch_threads), 1))
    from elecbay_env.period import announce_compile

    announce_compile(1, n_markets)  # says so when the first step compiles the kernels
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    overrides = dict(overrides or {})
    probe = RoleVecEnv(config, seats, 1, opponents, seed, reward_mode=reward_mode, **overrides)
    seat_ids = resolve_seats(probe.core.agents, seats)
    role = "broker" if seat_ids[0].startswith("broker") else seat_ids[0].rsplit("_", 1)[0]
    spec = LearnerSpec(
        price_range=(float(price_range[0]), float(price_range[1])),
        scale_obs=scale_obs,
        role=role,
        agents=tuple(seat_ids),
        config=config,
        algo=algo.lower(),
        extra={"overrides": overrides},
        obs_shape=tuple(int(n) for n in probe.core.observation_space.shape),
        action_shape=tuple(int(n) for n in probe.core.action_space.shape),
        scenario=probe.core.template.scenario.name,
        scenario_hash=scenario_hash(probe.core.template.scenario),
    )
    venv = RoleVecEnv(
        config, seat_ids, n_markets, opponents, seed, spec, reward_mode=reward_mode, **overrides
    )
    venv.seed(seed)
    env = VecNormalize(venv, norm_obs=False, norm_reward=True) if norm_reward else venv
    cls = algorithm_class(algo)
    kwargs = dict(algo_kwargs or {})
    if cls.__name__ in ("PPO", "A2C"):
        kwargs.setdefault("n_steps", max(8, 2048 // venv.num_envs))
    model = cls("MlpPolicy", env, seed=seed, device="cpu", verbose=verbose, **kwargs)
    model.set_logger(configure(str(out), ["csv"] + (["stdout"] if verbose else [])))
    callbacks = [_market_callback()]
    if progress:
        from .progress import progress_callback

        callbacks.append(progress_callback(int(timesteps)))
    if checkpoint_every > 0:
        every = max(checkpoint_every // venv.num_envs, 1)
        callbacks.append(CheckpointCallback(every, str(out / "checkpoints"), name_prefix="model"))
    started = time.perf_counter()
    model.learn(total_timesteps=int(timesteps), callback=CallbackList(callbacks))
    seconds = time.perf_counter() - started
    model.save(str(out / "model.zip"))
    spec.save(out)
    record = {
        "config": config, "seats": seat_ids, "opponents": opponents or {}, "algo": algo,
        "timesteps": int(timesteps), "seed": seed, "n_markets": n_markets,
        "price_range": list(price_range), "scale_obs": scale_obs, "norm_reward": norm_reward,
        "algo_kwargs": kwargs, "overrides": overrides, "seconds": seconds,
        "reward_mode": reward_mode,
    }  # fmt: skip
    (out / "train_config.json").write_text(json.dumps(record, indent=1, default=str))
    return out


TRAIN_HELP = """\
Train a stable-baselines3 learner on the vectorised core (needs the training extra:
pip install 'elecbay[train]').

The learner sits in one seat (--agent producer_2) or shares one network across every
agent of a role (--role producer); everyone else plays --opponents (default: the
baseline). Observations are scaled from their documented bounds to [-1, 1]; rewards
are normalised while training (VecNormalize); the learner's prices span --price-range.

Writes into --out: model.zip and elecbay.json (the model's contract: seat role,
observation and action shapes, scenario name and hash; load it as sb3:DIR in
'elecbay evaluate' or 'elecbay run --policy'), progress.csv, checkpoints/,
train_config.json. Details: docs/training.md."""


def _at_least(low: int) -> Any:
    """An argparse type: a whole number >= ``low`` (argparse names the flag)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        return value

    parse.__name__ = f"whole number >= {low}"
    return parse


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    """Arguments of ``elecbay train``; every help line shows its default."""
    p = parser or argparse.ArgumentParser(
        prog="elecbay train", description=TRAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    if parser is not None:
        p.description = TRAIN_HELP
    p.add_argument("--config", default=None, help="scenario name or YAML path (default: default)")
    who = p.add_mutually_exclusive_group()
    who.add_argument(
        "--agent",
        action="append",
        help="learner seat(s), e.g. producer_2, repeatable (default: producer_0)",
    )
    who.add_argument(
        "--role",
        choices=["producer", "consumer", "broker", "all"],
        help="share one network across every agent of a role; 'all': every role learns "
        "together, as --learners producer,consumer,broker (default: none)",
    )
    who.add_argument(
        "--learners",
        default=None,
        metavar="ROLES",
        help="roles that learn together, one PPO model per role on one core, with "
        "self-play: e.g. producer,consumer,broker (default: none)",
    )
    p.add_argument("--opponents", default=None,
                   help="policies of the others: 'producer=markup:0.2;broker=rule_based_broker'"
                        " or a YAML file (default: the baseline)")  # fmt: skip
    p.add_argument(
        "--algo",
        default="ppo",
        choices=ALGORITHMS,
        help="stable-baselines3 algorithm (default: %(default)s)",
    )
    p.add_argument(
        "--timesteps",
        type=_at_least(1),
        default=100_000,
        metavar="N",
        help="environment steps, >= 1 (default: %(default)s)",
    )
    p.add_argument(
        "--seed",
        type=_at_least(0),
        default=0,
        metavar="S",
        help="seed of the markets and the algorithm, >= 0 (default: %(default)s)",
    )
    p.add_argument(
        "--n-markets",
        type=_at_least(1),
        default=16,
        metavar="E",
        help="markets stepped at once, >= 1 (default: %(default)s)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="output folder, created if missing; must be empty unless --overwrite; "
        "written only when training ends (default: a new runs/train-<timestamp>[-N])",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a non-empty --out once training has finished (default: refuse)",
    )
    p.add_argument(
        "--price-range",
        type=float,
        nargs=2,
        default=DEFAULT_PRICE_RANGE,
        metavar=("LO", "HI"),
        help="learner's price range, per MWh (default: 0 500)",
    )
    p.add_argument(
        "--no-scale-obs",
        action="store_true",
        help="feed raw observations (default: scaled to [-1, 1])",
    )
    p.add_argument(
        "--no-norm-reward",
        action="store_true",
        help="raw rewards (default: normalised by VecNormalize)",
    )
    p.add_argument(
        "--checkpoint-every",
        type=_at_least(0),
        default=0,
        metavar="N",
        help="steps between checkpoints, >= 0; 0: none (default: %(default)s)",
    )
    p.add_argument(
        "--days",
        type=_at_least(1),
        default=None,
        metavar="N",
        help="override market.days, >= 1 (default: the scenario's)",
    )
    p.add_argument("--split", default=None, choices=SPLITS, metavar="SPLIT",
                   help="real-data scenarios (gb2024): the split episodes' dates come from "
                   "(default: the scenario's data.split, train)")  # fmt: skip
    p.add_argument(
        "--torch-threads",
        type=_at_least(1),
        default=1,
        metavar="N",
        help="torch CPU threads, >= 1 (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (default: a bar on stderr)")  # fmt: skip
    p.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="stable-baselines3 verbosity, repeatable (default: quiet)",
    )
    p.add_argument(
        "--reward-mode",
        default=None,
        choices=["raw", "learning"],
        help="raw currency rewards (normalised by VecNormalize) or learning rewards "
        "(elecbay_env.rewards) (default: raw for one learner, learning for --learners)",
    )
    roles = p.add_argument_group("roles learning together (--learners, --role all)")
    roles.add_argument(
        "--snapshot-every",
        type=_at_least(1),
        default=5,
        metavar="K",
        help="updates between snapshots of each role's policy into its pool, >= 1 "
        "(default: %(default)s)",
    )
    roles.add_argument(
        "--pool-prob",
        type=float,
        default=0.5,
        metavar="P",
        help="probability that a role is played by a past snapshot in a market for an "
        "episode, 0 to 1 (default: %(default)s)",
    )
    roles.add_argument(
        "--pool-size",
        type=_at_least(1),
        default=10,
        metavar="N",
        help="snapshots kept per role, >= 1 (default: %(default)s)",
    )
    roles.add_argument(
        "--metrics-every",
        type=_at_least(1),
        default=4,
        metavar="N",
        help="periods between market-power samples (HHI, markup) of market 0, >= 1 "
        "(default: %(default)s)",
    )
    return p


def main(argv: Sequence[str] | None = None, args: argparse.Namespace | None = None) -> int:
    """Entry point (``elecbay train``)."""
    if args is None:
        args = build_parser().parse_args(argv)
    seats = args.role or args.agent or ["producer_0"]
    for flag, value, low in (("--timesteps", args.timesteps, 1), ("--n-markets", args.n_markets, 1),
                             ("--checkpoint-every", args.checkpoint_every, 0),
                             ("--torch-threads", args.torch_threads, 1), ("--seed", args.seed, 0),
                             ("--days", 1 if args.days is None else args.days, 1)):  # fmt: skip
        if value < low:  # a Namespace built by hand skips the parser's checks
            print(f"elecbay train: error: {flag} {value}: must be at least {low}", file=sys.stderr)
            return 2
    from elecbay_env.outputs import OutputError, SafeOutput

    default = Path("runs") / f"train-{time.strftime('%Y%m%d-%H%M%S')}"
    try:  # claimed before training: a bad --out fails now, an interrupted run leaves no model
        target = SafeOutput.claim(args.out, default, overwrite=getattr(args, "overwrite", False))
    except OutputError as exc:
        print(f"elecbay train: error: {exc}", file=sys.stderr)
        return 2
    try:
        status = _train_into(args, seats, target.work)
    except BaseException:
        target.abort()
        raise
    if status != 0:
        target.abort()
        return status
    final = target.commit()
    print(f"saved in {final} (load a model as sb3:{final}"
          f"{'/<role>' if _learners(args, seats) else ''})")  # fmt: skip
    return 0


def _learners(args: argparse.Namespace, seats: Any) -> str | None:
    return getattr(args, "learners", None) or ("all" if seats == "all" else None)


def _train_into(args: argparse.Namespace, seats: Any, out: Path) -> int:
    """Train into the staging folder ``out``; the exit status."""
    overrides: dict[str, Any] = {"market.days": args.days} if args.days is not None else {}
    if args.split is not None:
        overrides["data.split"] = args.split
    learners = _learners(args, seats)
    try:
        opponents = parse_opponents(args.opponents)
        if learners is not None:
            return _main_multi(args, learners, opponents, out, overrides)
        folder = train(
            args.config, seats, opponents, args.algo, args.timesteps, args.seed,
            args.n_markets, out, tuple(args.price_range), not args.no_scale_obs,
            not args.no_norm_reward, args.checkpoint_every, None, overrides, args.verbose,
            args.torch_threads, args.reward_mode or "raw", not getattr(args, "no_progress", False),
        )  # fmt: skip
    except ValueError as exc:
        raise SystemExit(f"elecbay train: {exc}") from None
    del folder  # the staging folder: the caller reports the final one
    return 0


def _main_multi(
    args: argparse.Namespace, learners: str, opponents: dict[str, str], out: str,
    overrides: dict[str, Any],
) -> int:  # fmt: skip
    """``elecbay train --learners ...``: every listed role learns together."""
    from .multi_train import train_multi

    prob = getattr(args, "pool_prob", 0.5)
    if not 0.0 <= prob <= 1.0:
        print(f"elecbay train: error: --pool-prob {prob}: must be between 0 and 1",
              file=sys.stderr)  # fmt: skip
        return 2
    folder = train_multi(
        args.config, learners, opponents, args.timesteps, args.seed, args.n_markets, out,
        tuple(args.price_range), not args.no_scale_obs, overrides,
        args.reward_mode or "learning", getattr(args, "snapshot_every", 5), prob,
        getattr(args, "pool_size", 10), getattr(args, "metrics_every", 4), args.torch_threads,
        verbose=1, norm_reward=not args.no_norm_reward,
    )  # fmt: skip
    roles = sorted(p.name for p in folder.iterdir() if (p / "model.zip").is_file())
    print(f"one model per role: {', '.join(roles)} (evaluate with ROLE=sb3:OUT/ROLE)")
    return 0
