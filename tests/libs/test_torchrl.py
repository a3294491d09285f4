"""TorchRL's PettingZoo wrapper on elecbay: specs check out and info fields survive."""

from __future__ import annotations

import warnings

import pytest

pytest.importorskip("tensordict")
pytest.importorskip("torchrl")

import torch
from torchrl.envs.libs.pettingzoo import PettingZooWrapper
from torchrl.envs.utils import check_env_specs

import elecbay_env

GROUPS = {
    "trader": ["producer_0", "producer_1", "consumer_0", "consumer_1"],
    "broker": ["broker_0"],
}
TRADER_INFO = {"period", "clearing_price", "reward_raw", "contract_mw", "imbalance_mwh"}


def wrap(parallel: bool) -> PettingZooWrapper:
    """elecbay's small scenario in TorchRL, one group per role (spaces differ by role)."""
    make = elecbay_env.parallel_env if parallel else elecbay_env.env
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "tested with PettingZoo 1.24.3"
        return PettingZooWrapper(
            make("small", reward_mode="learning", max_cycles=4),
            group_map=GROUPS,
            use_mask=not parallel,
            return_state=parallel,
            seed=0,
        )


@pytest.mark.parametrize("parallel", [True, False], ids=["parallel", "aec"])
def test_check_env_specs_passes_grouped_by_role(parallel: bool) -> None:
    env = wrap(parallel)
    check_env_specs(env, seed=0)
    assert env.action_spec["trader", "action"].shape == (4, 14)
    assert env.action_spec["broker", "action"].shape == (1, 6)
    for key in TRADER_INFO:
        assert ("trader", "info", key) in env.observation_spec.keys(True, True)
    assert ("broker", "info", "clearing_price") in env.observation_spec.keys(True, True)
    env.close()


def test_parallel_rollout_carries_the_step_infos() -> None:
    env = wrap(parallel=True)
    torch.manual_seed(0)
    td = env.rollout(4)
    assert td.batch_size == (4,)
    period = td["next", "trader", "info", "period"]
    assert period.shape == (4, 4)
    expected = torch.arange(4, dtype=period.dtype).unsqueeze(1).expand(4, 4)
    assert torch.equal(period, expected)
    assert torch.equal(td["trader", "info", "period"][0], torch.full((4,), -1.0))  # reset infos
    price = td["next", "trader", "info", "clearing_price"]
    assert torch.equal(price, price[:, :1].expand(4, 4))  # one market price per period
    assert torch.equal(price[:, 0], td["next", "broker", "info", "clearing_price"][:, 0])
    assert (price > 0).all()
    raw = td["next", "trader", "info", "reward_raw"]
    assert raw.abs().sum() > 0  # currency rewards are there, not zero-filled
    assert bool(td["next", "done"][-1]) and bool(td["next", "trader", "truncated"][-1].all())
    assert not bool(td["next", "trader", "terminated"].any())
    env.close()


def test_aec_rollout_carries_the_step_infos() -> None:
    env = wrap(parallel=False)
    torch.manual_seed(0)
    td = env.rollout(10)  # two cycles of five agents
    period = td["next", "trader", "info", "period"]
    assert period.shape == (10, 4)
    assert period.max() >= 0  # a period settled and its infos arrived
    assert torch.isfinite(td["next", "broker", "info", "reward_raw"]).all()
    env.close()
