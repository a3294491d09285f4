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

The command's options (:func:`build_parser`, :data:`TRAIN_HELP`) live in
:mod:`elecbay_train.train_options` and are re-exported here.
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

from .train_options import TRAIN_HELP, build_parser
from .transforms import DEFAULT_PRICE_RANGE, LearnerSpec, algorithm_class, scenario_hash

__all__ = [
    "TRAIN_HELP",
    "build_parser",
    "main",
    "parse_opponents",
    "train",
]


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
    try:
        model.learn(total_timesteps=int(timesteps), callback=CallbackList(callbacks))
    finally:
        model.logger.close()  # progress.csv: closed before the folder moves into place
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
