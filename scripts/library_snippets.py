"""Run the Tianshou, AgileRL and BenchMARL snippets of docs/learning_libraries.md.

These libraries pin versions that conflict with elecbay's test environment (AgileRL
downgrades PettingZoo to 1.26.1, BenchMARL pins torchrl below 0.12, Tianshou brings its
own gymnasium and numpy pins), so they are not installed by ``./test.sh``. Install one
in a virtual environment of its own (``docs/learning_libraries.md`` gives each install
line), then run::

    python scripts/library_snippets.py            # every snippet; updates the JSON record
    python scripts/library_snippets.py tianshou   # one

Each snippet wraps elecbay the way the library's own PettingZoo tutorial does and runs
a short random rollout through the library's wrapper. A snippet whose library cannot be
imported is skipped (the reason is recorded); one that raises fails (exit status 1).
``docs/learning_libraries_versions.json`` keeps, per library, the versions it last
passed with (library, elecbay, PettingZoo, gymnasium, torch) and the last attempt.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata as metadata
import json
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

RECORD = Path(__file__).resolve().parents[1] / "docs" / "learning_libraries_versions.json"
GROUPS = {
    "trader": ["producer_0", "producer_1", "consumer_0", "consumer_1"],
    "broker": ["broker_0"],
}


def tianshou_snippet() -> dict[str, Any]:
    """Tianshou: one shared space (padded, role one-hot), AEC form, vector env, replay buffer."""
    import numpy as np
    from elecbay_train.supersuit import SharedSpacesEnv
    from pettingzoo.utils.conversions import parallel_to_aec
    from tianshou.data import Batch, VectorReplayBuffer
    from tianshou.env import DummyVectorEnv, PettingZooEnv

    def make() -> PettingZooEnv:
        return PettingZooEnv(parallel_to_aec(SharedSpacesEnv("small", max_cycles=4)))

    venv = DummyVectorEnv([make, make])
    obs, _ = venv.reset(seed=0)
    buffer = VectorReplayBuffer(64, 2)
    width = make().action_space.shape[0]
    rng = np.random.default_rng(0)
    for _ in range(4 * 5):  # four periods, five agents acting in turn
        act = rng.uniform(-1, 1, (2, width)).astype(np.float32)
        obs_next, rew, term, trunc, info = venv.step(act)
        step = Batch(obs=obs, act=act, rew=rew, terminated=term, truncated=trunc,
                     obs_next=obs_next, info=info)  # fmt: skip
        buffer.add(step)  # what Tianshou's Collector does with every transition
        obs = obs_next
    venv.close()
    assert len(buffer) == 40 and bool(buffer.truncated.any())
    return {"transitions": len(buffer), "info_keys": len(buffer.info.keys())}


def agilerl_snippet() -> dict[str, Any]:
    """AgileRL: IPPO (networks shared per id prefix) acting in its async vector env."""
    from agilerl.algorithms import IPPO  # AgileRL's import needs peft
    from agilerl.vector.pz_async_vec_env import AsyncPettingZooVecEnv

    import elecbay_env

    def make() -> Any:
        return elecbay_env.parallel_env("small", reward_mode="learning", max_cycles=4)

    venv = AsyncPettingZooVecEnv([make for _ in range(2)])
    agents = list(venv.agents)
    ippo = IPPO(
        observation_spaces=[venv.single_observation_space(a) for a in agents],
        action_spaces=[venv.single_action_space(a) for a in agents],
        agent_ids=agents,
    )
    obs, infos = venv.reset(seed=0)
    for _ in range(4):
        actions, _, _, _ = ippo.get_action(obs=obs, infos=infos)
        obs, rewards, _, truncations, infos = venv.step(actions)
    venv.close()
    assert all(bool(truncations[a].all()) for a in agents)  # the 4-period episode ended
    assert all(len(rewards[a]) == 2 for a in agents)
    return {"periods": 4, "envs": 2, "action_widths": {a: actions[a].shape[-1] for a in agents}}


def benchmarl_snippet() -> dict[str, Any]:
    """BenchMARL: elecbay's task class, specs checked, then one iteration of IPPO."""
    import tempfile

    from benchmarl.algorithms import IppoConfig
    from benchmarl.experiment import Experiment, ExperimentConfig
    from benchmarl.models.mlp import MlpConfig
    from elecbay_train.benchmarl_task import ElecbayTask
    from torchrl.envs.utils import check_env_specs

    task = ElecbayTask(config={"max_cycles": 8})
    env = task.get_env_fun(1, True, 0, "cpu")()
    check_env_specs(env, seed=0)
    assert task.group_map(env) == GROUPS
    assert ("trader", "info", "clearing_price") in task.info_spec(env).keys(True, True)
    config = ExperimentConfig.get_from_yaml()
    config.sampling_device = config.train_device = "cpu"
    config.max_n_iters = 1
    config.on_policy_collected_frames_per_batch = 32
    config.on_policy_n_envs_per_worker = 2
    config.on_policy_minibatch_size = 16
    config.on_policy_n_minibatch_iters = 1
    config.evaluation = config.render = config.create_json = False
    config.loggers = []
    config.checkpoint_at_end = False
    with tempfile.TemporaryDirectory() as folder:
        config.save_folder = folder
        experiment = Experiment(
            task=task,
            algorithm_config=IppoConfig.get_from_yaml(),
            model_config=MlpConfig.get_from_yaml(),
            critic_model_config=MlpConfig.get_from_yaml(),
            seed=0,
            config=config,
        )
        experiment.run()
    return {"iterations": experiment.n_iters_performed, "frames": experiment.total_frames}


SNIPPETS: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "tianshou": ("tianshou", tianshou_snippet),
    "agilerl": ("agilerl", agilerl_snippet),
    "benchmarl": ("benchmarl", benchmarl_snippet),
}


def version(dist: str) -> str | None:
    """An installed distribution's version, or None."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def environment() -> dict[str, str | None]:
    """Versions of the packages every snippet depends on."""
    names = ("elecbay", "pettingzoo", "gymnasium", "torch", "torchrl", "numpy")
    return {name: version(name) for name in names} | {"python": sys.version.split()[0]}


def run_one(name: str) -> dict[str, Any]:
    """Run one snippet: status ``passed``, ``skipped`` (ImportError) or ``failed``."""
    dist, fn = SNIPPETS[name]
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
    attempt: dict[str, Any] = {"date": when, "library_version": version(dist)}
    try:
        attempt["result"] = fn()
        attempt["status"] = "passed"
    except ImportError as exc:
        attempt["status"] = "skipped"
        attempt["reason"] = f"ImportError: {exc}"
    except Exception as exc:  # a failing snippet is recorded, then reported
        attempt["status"] = "failed"
        attempt["reason"] = f"{type(exc).__name__}: {exc}"
        attempt["traceback"] = traceback.format_exc(limit=6)
    attempt["environment"] = environment()
    return attempt


def update_record(record: dict[str, Any], name: str, attempt: dict[str, Any]) -> None:
    """Keep the last attempt and, when it passed, the versions it passed with."""
    entry = record.setdefault(name, {"last_passed": None, "last_attempt": None})
    entry["last_attempt"] = {k: v for k, v in attempt.items() if k != "traceback"}
    if attempt["status"] == "passed":
        entry["last_passed"] = {
            "date": attempt["date"],
            "library_version": attempt["library_version"],
            "environment": attempt["environment"],
        }


def main(argv: list[str] | None = None) -> int:
    """Run the chosen snippets, print one line each, update the record."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"any of {', '.join(SNIPPETS)} (default: all)")
    parser.add_argument("--record", type=Path, default=RECORD, help="JSON file to update")
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(SNIPPETS))
    if unknown:
        parser.error(f"unknown snippets {unknown}: choose from {', '.join(SNIPPETS)}")
    record = json.loads(args.record.read_text()) if args.record.is_file() else {}
    failed = False
    for name in args.names or list(SNIPPETS):
        attempt = run_one(name)
        reason = attempt.get("reason", attempt.get("result"))
        print(f"{name}: {attempt['status']} ({attempt['library_version']}): {reason}")
        if attempt["status"] == "failed":
            print(attempt["traceback"], file=sys.stderr)
            failed = True
        update_record(record, name, attempt)
    if not args.no_record:
        args.record.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
