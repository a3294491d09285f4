"""``elecbay train --learners producer,consumer,broker``: roles that learn together.

Design (``docs/training.md``, "Roles learning together"):

* **One engine.** A :class:`~elecbay_train.multi_role.MultiRoleCore` steps E markets;
  every learner seat's action comes from its role's current model (or from a snapshot,
  below), and the engine steps once per period for all roles.
* **Independent PPO per role, shared inside a role.** Each role has one
  stable-baselines3 ``PPO`` model, built on a :class:`~elecbay_train.multi_role.RoleView`
  (sub-environments = the role's (market, seat) pairs). SB3's ``learn()`` drives one
  environment per model, so :class:`MultiRoleTrainer` drives them in lockstep itself:
  one rollout is one episode of all E markets; at each period every role's policy acts,
  the core steps, and each role's ``RolloutBuffer`` gets its seats' rewards. The end of
  the episode is a time limit, not a terminal state: the last reward is bootstrapped
  with ``gamma x V(last observation)``, as SB3 does for truncations. Then each role's
  ``model.train()`` runs SB3's own PPO update on that buffer.
* **Self-play** against each role's pool of past snapshots
  (:mod:`elecbay_train.selfplay`); seats played by a snapshot add no samples.
* **Rewards** are ``reward_mode="learning"`` by default; while training each role's
  rewards are also divided by a running estimate of its return's standard deviation
  (as SB3's ``VecNormalize``; ``norm_reward=False`` turns it off), because an untrained
  broker's learning returns are of order 100, not 1.

Each update appends a row to ``progress.csv`` (columns in :func:`MultiRoleTrainer.row`)
and prints one line. The models are saved as ``OUT/<role>/model.zip`` with
``elecbay.json`` (the contract), loadable as ``sb3:OUT/<role>`` in each seat of the role.
"""

from __future__ import annotations

import csv
import json
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .multi_role import MultiRoleCore, RoleView, parse_learners
from .selfplay import CURRENT, SnapshotPool
from .transforms import DEFAULT_PRICE_RANGE


class MultiRoleTrainer:
    """Independent PPO per role on one :class:`MultiRoleCore`, with a snapshot pool.

    Args:
        core: the markets and learner groups.
        pool: the snapshot pool (its roles are the core's).
        seed: seeds the models (torch, numpy) and the first reset.
        snapshot_every: put every role's policy in the pool every so many updates (>= 1).
        metrics_every: record the market-power figures of market 0 every so many
            periods (>= 1): the truthful benchmark clears a book per sampled period.
        norm_reward: divide each role's rewards by a running estimate of its return's
            standard deviation while training (:meth:`_normalise`).
        ppo_kwargs: extra keyword arguments of ``PPO`` (``n_steps`` is the episode's
            periods; ``batch_size`` is by default the same, a divisor of every buffer).
    """

    def __init__(self, core: MultiRoleCore, pool: SnapshotPool, seed: int = 0,
                 snapshot_every: int = 5, metrics_every: int = 4,
                 ppo_kwargs: Mapping[str, Any] | None = None,
                 norm_reward: bool = True) -> None:  # fmt: skip
        from stable_baselines3 import PPO
        from stable_baselines3.common.logger import Logger
        from stable_baselines3.common.running_mean_std import RunningMeanStd

        self.core, self.pool, self.seed = core, pool, int(seed)
        self.snapshot_every = max(int(snapshot_every), 1)
        self.metrics_every = max(int(metrics_every), 1)
        self.roles = list(core.groups)
        self.models: dict[str, Any] = {}
        kwargs = {"n_steps": core.n_periods, "batch_size": core.n_periods, **dict(ppo_kwargs or {})}
        for i, role in enumerate(self.roles):
            model = PPO("MlpPolicy", RoleView(core, role), seed=self.seed + i, device="cpu",
                        **kwargs)  # fmt: skip
            model.set_logger(Logger(None, []))
            self.models[role] = model
        self.updates = 0
        self.timesteps = 0
        self.history: list[dict[str, np.ndarray]] = []
        self._first_reset = True
        self.norm_reward = bool(norm_reward)
        self.ret_rms = {role: RunningMeanStd(shape=()) for role in self.roles}
        self._ret: dict[str, np.ndarray] = {}

    # -- one rollout -------------------------------------------------------------------
    def _act(self, role: str, obs: np.ndarray, who: np.ndarray):
        """(E, S, A) actions of a role and the current policy's (actions, values,
        log-probs) of its live seats; ``obs`` (E, S, F), ``who`` (E,) assignments."""
        import torch as th

        g = self.core.groups[role]
        policy = self.models[role].policy
        E, S, F = obs.shape
        full = np.zeros((E, S, g.act_width))
        live = who == CURRENT
        out = None
        if live.any():
            with th.no_grad():
                actions, values, log_probs = policy(th.as_tensor(obs[live].reshape(-1, F)))
            act = actions.numpy()
            low, high = g.action_space.low, g.action_space.high
            full[live] = np.clip(act, low, high).reshape(-1, S, g.act_width)
            out = (act, values, log_probs)
        for k in np.unique(who[~live]):
            m = who == k
            full[m] = self.pool.act(role, int(k), obs[m].reshape(-1, F)).reshape(-1, S, g.act_width)
        return full, out

    def rollout(self) -> dict[str, Any]:
        """Play one episode in every market, filling each role's rollout buffer.

        Returns the episode's figures: returns per role (mean over seats and markets,
        reward units), live markets per role, mean clearing price (currency per MWh),
        welfare (currency per market-episode) and market 0's market-power summary.
        """
        import torch as th
        from elecbay_evaluate.market_power import MarketPowerMetrics
        from stable_baselines3.common.buffers import RolloutBuffer

        core = self.core
        obs = core.reset(self.seed if self._first_reset else None)
        self._first_reset = False
        who = self.pool.draw(core.n_markets)
        self.history.append(who)
        E, T = core.n_markets, core.n_periods
        buffers: dict[str, RolloutBuffer | None] = {}
        live_idx = {r: np.flatnonzero(who[r] == CURRENT) for r in self.roles}
        for role in self.roles:
            n = live_idx[role].size * core.groups[role].n_seats
            model = self.models[role]
            buffers[role] = None if n == 0 else RolloutBuffer(
                T, model.observation_space, model.action_space, device="cpu",
                gae_lambda=model.gae_lambda, gamma=model.gamma, n_envs=n)  # fmt: skip
        returns = {r: np.zeros((E, core.groups[r].n_seats)) for r in self.roles}
        prices, welfare = [], 0.0
        power = MarketPowerMetrics(core.engine.params, core.agents, 0, core.engine.state)
        for t in range(T):
            acted = {r: self._act(r, obs[r], who[r]) for r in self.roles}
            period = int(core.engine.t[0])
            in_outage = core.engine.state.outage_left[0] > 0
            next_obs, rewards, done = core.step({r: a for r, (a, _) in acted.items()})
            out = core.last_outcome
            prices.append(np.asarray(out.price, np.float64))
            welfare += float(core.last_raw_reward.sum()) / E
            if t % self.metrics_every == 0:
                power.record(period, in_outage, core.last_orders, out)
            for role in self.roles:
                returns[role] += rewards[role]
                buf, live = buffers[role], live_idx[role]
                if buf is None:
                    continue
                act, values, log_probs = acted[role][1]
                r = self._normalise(role, rewards[role][live].reshape(-1), t == 0)
                if done:  # time limit: bootstrap from the last observation
                    policy = self.models[role].policy
                    last = th.as_tensor(next_obs[role][live].reshape(r.size, -1))
                    with th.no_grad():
                        r = r + self.models[role].gamma * policy.predict_values(last).numpy()[:, 0]
                start = np.full(r.size, t == 0, np.float32)
                buf.add(obs[role][live].reshape(r.size, -1), act, r, start, values, log_probs)
            obs = next_obs
            if done:
                break
        for buf in buffers.values():
            if buf is not None:
                zeros = th.zeros(buf.n_envs)
                buf.compute_returns_and_advantage(last_values=zeros, dones=np.ones(buf.n_envs))
        self._buffers = buffers
        self.timesteps += E * T
        summary = power.result()
        price = np.concatenate(prices)
        price_mean = float(np.nanmean(price)) if np.isfinite(price).any() else math.nan
        return {
            "returns": {r: float(v.mean()) for r, v in returns.items()},
            "live": {r: int(live_idx[r].size) for r in self.roles},
            "price_mean_per_mwh": price_mean,
            "welfare_per_market": welfare,
            "hhi_mean": summary["hhi_mean"],
            "markup_mean_per_mwh": summary["markup_mean_per_mwh"],
            "lerner_mean": summary["lerner_mean"],
        }

    def _normalise(self, role: str, reward: np.ndarray, first: bool) -> np.ndarray:
        """Rewards (K,) of a role's live seats divided by the running standard deviation
        of their discounted return (as SB3's ``VecNormalize``), clipped to +-10; as they
        are when ``norm_reward`` is off. Shapes the updates only, not the saved policy."""
        if not self.norm_reward:
            return reward.astype(np.float32)
        ret = self._ret.get(role)
        ret = np.zeros(reward.size) if first or ret is None else ret
        self._ret[role] = ret * self.models[role].gamma + reward
        rms = self.ret_rms[role]
        rms.update(self._ret[role])
        return np.clip(reward / np.sqrt(rms.var + 1e-8), -10.0, 10.0).astype(np.float32)

    # -- one update --------------------------------------------------------------------
    def update(self, total_timesteps: int) -> dict[str, Any]:
        """One rollout, then one PPO update per role with samples; snapshots every
        ``snapshot_every`` updates. Returns the rollout figures and each role's
        explained variance and value loss (NaN for a role without samples)."""
        figures = self.rollout()
        self.updates += 1
        train: dict[str, dict[str, float]] = {}
        for role, model in self.models.items():
            buf = self._buffers[role]
            train[role] = {"explained_variance": math.nan, "value_loss": math.nan}
            if buf is None:
                continue
            model.rollout_buffer = buf
            model.num_timesteps += buf.buffer_size * buf.n_envs
            model._update_current_progress_remaining(self.timesteps, total_timesteps)
            model.train()
            seen = model.logger.name_to_value
            train[role] = {k: float(seen[f"train/{k}"]) for k in train[role]}
        if self.updates % self.snapshot_every == 0:
            for role, model in self.models.items():
                self.pool.add(role, model.policy, self.updates)
        figures["train"] = train
        return figures

    def row(self, figures: Mapping[str, Any], seconds: float) -> dict[str, Any]:
        """One ``progress.csv`` row: update, timesteps (market-periods), seconds,
        steps_per_s (market-periods per second), per role ``return_<role>`` (mean
        episode return per seat), ``pool_markets_<role>`` (markets played by a
        snapshot), ``explained_variance_<role>``, ``value_loss_<role>``; then
        ``price_mean_per_mwh``, ``welfare_per_market`` (currency), ``hhi_mean``,
        ``markup_mean_per_mwh``, ``lerner_mean`` (market 0, sampled) and ``pool_size``."""
        row: dict[str, Any] = {
            "update": self.updates, "timesteps": self.timesteps, "seconds": round(seconds, 3),
            "steps_per_s": round(self.timesteps / max(seconds, 1e-9), 1),
        }  # fmt: skip
        for role in self.roles:
            row[f"return_{role}"] = figures["returns"][role]
            row[f"pool_markets_{role}"] = self.core.n_markets - figures["live"][role]
            row[f"explained_variance_{role}"] = figures["train"][role]["explained_variance"]
            row[f"value_loss_{role}"] = figures["train"][role]["value_loss"]
        for key in ("price_mean_per_mwh", "welfare_per_market", "hhi_mean",
                    "markup_mean_per_mwh", "lerner_mean"):  # fmt: skip
            row[key] = figures[key]
        row["pool_size"] = len(self.pool)
        return row

    def save(self, out: Path) -> dict[str, Path]:
        """Save each role's model and contract into ``out/<role>``; the folders."""
        folders = {}
        for role, model in self.models.items():
            folder = out / role
            folder.mkdir(parents=True, exist_ok=True)
            model.save(str(folder / "model.zip"))
            self.core.groups[role].spec.save(folder)
            folders[role] = folder
        return folders


def console_line(row: Mapping[str, Any], n_updates: int, roles: Sequence[str]) -> str:
    """The short line printed after each update."""
    rets = " ".join(f"{r[:4]} {row[f'return_{r}']:+.3f}" for r in roles)
    return (f"update {row['update']}/{n_updates}  {row['steps_per_s']:.0f} steps/s  "
            f"return {rets}  price {row['price_mean_per_mwh']:.1f}/MWh")  # fmt: skip


def train_multi(
    config: str | None = None,
    learners: str | Sequence[str] = "producer,consumer,broker",
    opponents: dict[str, str] | None = None,
    timesteps: int = 10_000,
    seed: int = 0,
    n_markets: int = 16,
    out: str | Path = "runs/train-multi",
    price_range: tuple[float, float] = DEFAULT_PRICE_RANGE,
    scale_obs: bool = True,
    overrides: dict[str, Any] | None = None,
    reward_mode: str = "learning",
    snapshot_every: int = 5,
    pool_prob: float = 0.5,
    pool_size: int = 10,
    metrics_every: int = 4,
    torch_threads: int = 1,
    ppo_kwargs: dict[str, Any] | None = None,
    verbose: int = 1,
    norm_reward: bool = True,
) -> Path:
    """Train every role in ``learners`` together and save one model per role.

    Args:
        config: scenario name or path (None: the embedded default).
        learners: the learning roles (``"producer,consumer,broker"`` or ``"all"``).
        opponents: policy specs of agents outside the learning roles.
        timesteps: market-periods to play (E markets x periods); rounded up to whole
            episodes of all E markets, at least one.
        seed: seeds the markets, the models and the pool draws.
        n_markets: E, markets stepped at once.
        out: output folder.
        price_range: the learners' price range (currency per MWh).
        scale_obs: scale observations to [-1, 1].
        overrides: dotted scenario overrides.
        reward_mode: ``"learning"`` (default) or ``"raw"`` (currency, unnormalised).
        snapshot_every: updates between snapshots into the pool.
        pool_prob: probability a role is played by a snapshot in a market, per episode.
        pool_size: snapshots kept per role.
        metrics_every: periods between market-power samples of market 0.
        torch_threads: torch's CPU threads (one: the engine's Numba threads use the rest).
        ppo_kwargs: extra keyword arguments of ``PPO``.
        verbose: 1 prints one line per update, 0 is quiet.
        norm_reward: normalise each role's rewards by its running return scale while
            training (the logged returns stay in ``reward_mode`` units).

    Returns:
        The output folder.
    """
    import torch

    torch.set_num_threads(max(int(torch_threads), 1))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    roles = parse_learners(learners)
    overrides = dict(overrides or {})
    core = MultiRoleCore(config, roles, n_markets, opponents, seed, price_range, scale_obs,
                         reward_mode=reward_mode, **overrides)  # fmt: skip
    pool = SnapshotPool(roles, pool_prob, pool_size, seed=seed)
    trainer = MultiRoleTrainer(core, pool, seed, snapshot_every, metrics_every, ppo_kwargs,
                               norm_reward)  # fmt: skip
    per_update = core.n_markets * core.n_periods
    n_updates = max(1, -(-int(timesteps) // per_update))
    total = n_updates * per_update
    started = time.perf_counter()
    with (out / "progress.csv").open("w", newline="") as f:
        writer = None
        for _ in range(n_updates):
            row = trainer.row(trainer.update(total), time.perf_counter() - started)
            if writer is None:
                writer = csv.DictWriter(f, fieldnames=list(row))
                writer.writeheader()
            writer.writerow(row)
            f.flush()
            if verbose:
                print(console_line(row, n_updates, roles), flush=True)
    seconds = time.perf_counter() - started
    trainer.save(out)
    record = {
        "config": config, "learners": roles, "opponents": opponents or {},
        "timesteps": total, "updates": n_updates, "seed": seed, "n_markets": n_markets,
        "price_range": list(price_range), "scale_obs": scale_obs, "overrides": overrides,
        "reward_mode": reward_mode, "snapshot_every": snapshot_every, "pool_prob": pool_prob,
        "pool_size": pool_size, "metrics_every": metrics_every, "ppo_kwargs": ppo_kwargs or {},
        "norm_reward": norm_reward,
        "seconds": seconds,
    }  # fmt: skip
    (out / "train_config.json").write_text(json.dumps(record, indent=1, default=str))
    return out
