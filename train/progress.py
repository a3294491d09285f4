"""Training you can watch: a progress bar with live reward, price and steps per second.

:func:`progress_callback` is a stable-baselines3 callback that draws a tqdm bar on
stderr over the run's timesteps. Its rate is environment steps per second (summed over
the markets stepped at once); its postfix shows the mean episode reward of the last
finished episodes (stable-baselines3's ``ep_info_buffer``, raw rewards) and the mean
clearing price of the last steps. The bar starts after the first step: a first run
compiles the market kernels there (:func:`elecbay_env.period.announce_compile` says
so), and a bar started before it would sit at 0 % with an ETA of hours.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from typing import Any, TextIO

import numpy as np

__all__ = ["format_postfix", "planned_steps", "progress_callback"]

REFRESH_S = 0.5
"""Seconds between updates of the postfix (reward and price)."""


def format_postfix(rewards: Any, prices: Any) -> dict[str, str]:
    """The bar's postfix: ``reward`` (mean of finished episodes' returns) and ``price``
    (mean clearing price, per MWh); ``-`` while there is none."""
    r = [float(x) for x in rewards]
    p = [float(x) for x in prices if np.isfinite(x)]
    return {
        "reward": f"{np.mean(r):,.4g}" if r else "-",
        "price": f"{np.mean(p):.2f}" if p else "-",
    }


def planned_steps(model: Any, total: int) -> int:
    """The steps ``model.learn(total)`` will take: on-policy algorithms (PPO, A2C) collect
    whole rollouts of ``n_steps`` x environments, so they may overshoot ``total``."""
    n_steps = getattr(model, "n_steps", None)
    n_envs = getattr(model, "n_envs", None)
    if isinstance(n_steps, int) and isinstance(n_envs, int) and n_steps * n_envs > 0:
        rollout = n_steps * n_envs
        return -(-total // rollout) * rollout
    return total


def progress_callback(total: int, file: TextIO | None = None, window: int = 200) -> Any:
    """A stable-baselines3 callback drawing the progress bar over ``total`` timesteps.

    Args:
        total: the run's timesteps (``--timesteps``).
        file: where the bar goes (default: stderr).
        window: how many recent steps the mean price covers.
    """
    from stable_baselines3.common.callbacks import BaseCallback
    from tqdm import tqdm

    class TrainingProgress(BaseCallback):
        """tqdm bar: timesteps, steps per second, mean episode reward, mean price."""

        def __init__(self) -> None:
            super().__init__()
            self.bar: Any = None
            self.total = int(total)
            self._prices: deque[float] = deque(maxlen=window)
            self._shown = 0.0

        def _on_training_start(self) -> None:
            self.total = planned_steps(self.model, int(total))

        def _on_step(self) -> bool:
            n = int(self.training_env.num_envs)
            out = self.training_env.get_attr("core")[0].last_outcome
            if out is not None:
                self._prices.append(float(np.nanmean(out.price)))
            if self.bar is None:  # after the first step: compiled, so the rate is honest
                self.bar = tqdm(total=self.total, initial=min(n, self.total), unit="step",
                                desc="training", file=file or sys.stderr,
                                dynamic_ncols=True, unit_scale=True)  # fmt: skip
            else:
                self.bar.update(max(min(n, self.bar.total - self.bar.n), 0))
            now = time.monotonic()
            if now - self._shown >= REFRESH_S:
                self._shown = now
                episodes = [info["r"] for info in (self.model.ep_info_buffer or [])]
                self.bar.set_postfix(format_postfix(episodes, self._prices), refresh=True)
            return True

        def _on_training_end(self) -> None:
            if self.bar is not None:
                episodes = [info["r"] for info in (self.model.ep_info_buffer or [])]
                self.bar.set_postfix(format_postfix(episodes, self._prices), refresh=False)
                self.bar.close()
                self.bar = None

    return TrainingProgress()
