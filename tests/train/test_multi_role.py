"""Roles learning together (``elecbay train --learners`` / ``--role all``): a tiny run on
``small`` trains every role on one core, logs per-role returns and market metrics, saves
one model per role that plays its seats through ``sb3:DIR``, repeats exactly with the
same seed, and plays snapshots from the pool when asked to."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("stable_baselines3")
torch = pytest.importorskip("torch")

from elecbay_app.cli import main  # noqa: E402
from elecbay_train.multi_role import MultiRoleCore, parse_learners  # noqa: E402
from elecbay_train.multi_train import MultiRoleTrainer, train_multi  # noqa: E402
from elecbay_train.selfplay import CURRENT, SnapshotPool  # noqa: E402

from elecbay_env.roles import ROLES  # noqa: E402

E, T = 2, 48  # markets; periods of a day on `small`
RUN = {"timesteps": 3 * E * T, "seed": 3, "n_markets": E, "snapshot_every": 1,
       "pool_prob": 0.5, "metrics_every": 4}  # fmt: skip
CLOCK = ("seconds", "steps_per_s")


def _rows(path: Path) -> list[dict[str, str]]:
    with (path / "progress.csv").open() as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("multi") / "run"
    argv = ["train", "--config", "small", "--role", "all", "--out", str(out),
            "--timesteps", str(RUN["timesteps"]), "--seed", str(RUN["seed"]),
            "--n-markets", str(E), "--snapshot-every", "1", "--pool-prob", "0.5"]  # fmt: skip
    assert main(argv) == 0
    return out


def test_all_roles_train_and_log_market_metrics(run: Path, capsys) -> None:
    rows = _rows(run)
    assert [int(r["update"]) for r in rows] == [1, 2, 3]
    assert [int(r["timesteps"]) for r in rows] == [E * T, 2 * E * T, 3 * E * T]
    for r in rows:
        for role in ROLES:
            assert math.isfinite(float(r[f"return_{role}"]))
            assert 0 <= int(r[f"pool_markets_{role}"]) <= E
        assert 0.0 < float(r["price_mean_per_mwh"]) < 10_000.0
        assert math.isfinite(float(r["welfare_per_market"]))
        assert 0.0 < float(r["hhi_mean"]) <= 10_000.0
        assert math.isfinite(float(r["markup_mean_per_mwh"]))
    # the first update has no pool yet: every role learned from every market
    assert all(float(rows[0][f"pool_markets_{role}"]) == 0 for role in ROLES)
    assert all(math.isfinite(float(rows[0][f"explained_variance_{role}"])) for role in ROLES)
    # snapshots every update: the pool grows 1, 2, 3 and was drawn from
    assert [int(r["pool_size"]) for r in rows] == [1, 2, 3]
    assert sum(int(r[f"pool_markets_{role}"]) for r in rows[1:] for role in ROLES) > 0
    for role in ROLES:
        assert (run / role / "model.zip").is_file() and (run / role / "elecbay.json").is_file()


def test_saved_models_play_their_seats_in_a_tournament(run: Path) -> None:
    from elecbay_agents.registry import make_policies
    from elecbay_evaluate import tournament as tm
    from elecbay_train.transforms import TrainedPolicy

    from elecbay_env.envs.parallel import parallel_env

    specs = {role: f"sb3:{run / role}" for role in ROLES}
    env = parallel_env("small")
    policies = make_policies(env, specs)
    assert all(isinstance(p, TrainedPolicy) for p in policies.values())
    assert {p.spec.role for p in policies.values()} == set(ROLES)
    result = tm.run_tournament(
        {"scenarios": ["small"], "seeds": [0], "entries": [{"name": "learned", "policies": specs}]},
        workers=1, progress=False,
    )  # fmt: skip
    (episode,) = result.episodes
    assert episode["n_periods"] == T and math.isfinite(episode["welfare"])
    assert all(v.startswith("sb3:") for v in episode["policy"].values())


def test_same_seed_same_progress(run: Path, tmp_path: Path) -> None:
    again = train_multi("small", "producer,consumer,broker", out=tmp_path / "again",
                        verbose=0, **RUN)  # fmt: skip
    first, second = _rows(run), _rows(again)
    strip = [{k: v for k, v in r.items() if k not in CLOCK} for r in first]
    assert strip == [{k: v for k, v in r.items() if k not in CLOCK} for r in second]
    returns = {r["return_producer"] for r in first}
    assert len(returns) == len(first)  # the numbers move: the comparison is not vacuous


def test_pool_with_probability_one_plays_every_market() -> None:
    torch.set_num_threads(1)
    core = MultiRoleCore("small", ROLES, E, seed=0, reward_mode="learning")
    pool = SnapshotPool(ROLES, prob=1.0, seed=0)
    trainer = MultiRoleTrainer(core, pool, seed=0, snapshot_every=1, metrics_every=16)
    calls: dict[str, int] = dict.fromkeys(ROLES, 0)
    act = pool.act

    def counted(role: str, index: int, obs: np.ndarray) -> np.ndarray:
        calls[role] += 1
        return act(role, index, obs)

    pool.act = counted  # type: ignore[method-assign]

    def params() -> dict[str, torch.Tensor]:
        return {r: torch.cat([p.detach().flatten().clone() for p in m.policy.parameters()])
                for r, m in trainer.models.items()}  # fmt: skip

    before = params()
    trainer.update(2 * E * T)  # empty pool: every role learns from every market
    after_first = params()
    assert all(not torch.equal(before[r], after_first[r]) for r in ROLES)
    assert len(pool) == 1 and all(h.tolist() == [CURRENT] * E for h in trainer.history[0].values())
    assert calls == dict.fromkeys(ROLES, 0)
    figures = trainer.update(2 * E * T)  # every market of every role plays the snapshot
    assert all(trainer.history[1][r].tolist() == [0] * E for r in ROLES)
    assert all(calls[r] == T for r in ROLES)  # one batched call per period and role
    assert figures["live"] == dict.fromkeys(ROLES, 0)
    after_second = params()
    assert all(torch.equal(after_first[r], after_second[r]) for r in ROLES)  # no samples
    snapshot = pool.snapshots["producer"][0]
    x = torch.zeros(1, core.groups["producer"].obs_width)
    model = trainer.models["producer"].policy
    assert torch.equal(snapshot.predict_values(x), model.predict_values(x))


def test_pool_draws_are_seeded_and_follow_the_probability() -> None:
    def pool(prob: float, seed: int = 0, filled: bool = True) -> SnapshotPool:
        p = SnapshotPool(ROLES, prob=prob, seed=seed)
        for role in ROLES:
            p.snapshots[role] = [object(), object()] if filled else []
        return p

    assert all((v == CURRENT).all() for v in pool(0.0).draw(64).values())
    assert all((v >= 0).all() for v in pool(1.0).draw(64).values())
    assert all((v == CURRENT).all() for v in pool(1.0, filled=False).draw(64).values())
    half = pool(0.5).draw(400)["producer"]
    assert 0.4 < (half >= 0).mean() < 0.6 and set(half[half >= 0].tolist()) == {0, 1}
    a, b = pool(0.5, seed=7).draw(50), pool(0.5, seed=7).draw(50)
    assert all(np.array_equal(a[r], b[r]) for r in ROLES)
    with pytest.raises(ValueError, match="between 0 and 1"):
        SnapshotPool(ROLES, prob=1.5)


def test_learners_flag_and_bad_values() -> None:
    assert parse_learners("all") == list(ROLES)
    assert parse_learners("broker, producer") == ["producer", "broker"]
    with pytest.raises(ValueError, match="expected roles"):
        parse_learners("producer,trader")
    assert main(["train", "--learners", "producer", "--pool-prob", "2"]) == 2
    assert main(["train", "--learners", "producer", "--snapshot-every", "0"]) == 2
