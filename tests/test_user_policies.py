"""Own policies by import path, factory or instance (:mod:`elecbay_agents.user_policies`).

A policy in a file (``rules.py:PeakMarkup``) or a module on ``sys.path``
(``my_rules:PeakMarkup``) plays in tournaments with one or two workers (same results),
from a script without a ``__main__`` guard; factories and instances work from Python;
objects workers cannot import are refused with a message; bad specs name the spec.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from elecbay_agents.registry import make_policies, make_policy, parse_spec, policy_info
from elecbay_app.cli import main
from elecbay_evaluate import tournament as tm

from elecbay_env.envs.parallel import parallel_env

RULES = '''
import numpy as np
from elecbay_agents.markup import MarkupPolicy

class PeakMarkup(MarkupPolicy):
    """Merit order marked up by MARKUP (default 0.3)."""

    roles = ("producer",)

    def __init__(self, env, agent, markup=0.3):
        super().__init__(env, agent, markup=markup)

def make_markup(env, agent, markup=0.5):
    return MarkupPolicy(env, agent, markup=markup)

def not_a_policy(env, agent):
    return 42

class Constant:
    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return np.zeros(len(obs)), state

CONSTANT = Constant()
LIMIT = 3.0
'''

SMALL = {"name": "small", "overrides": {"market.days": 1}}


@pytest.fixture(scope="module")
def rules_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rules")
    (folder / "peak_rules.py").write_text(RULES)
    (folder / "my_rules_mod.py").write_text(RULES)
    return folder


@pytest.fixture(scope="module")
def env():
    return parallel_env("small")


def test_file_spec_builds_the_class_with_args(rules_dir: Path, env) -> None:
    spec = f"{rules_dir / 'peak_rules.py'}:PeakMarkup:0.1"
    assert parse_spec(spec) == (f"{rules_dir / 'peak_rules.py'}:PeakMarkup", (0.1,))
    policy = make_policy(spec, env, "producer_0")
    assert type(policy).__name__ == "PeakMarkup" and policy.markup == pytest.approx(0.1)
    # the class says it is for producers: a '*' entry leaves consumers at the baseline
    policies = make_policies(env, {"*": spec})
    assert type(policies["producer_1"]).__name__ == "PeakMarkup"
    assert type(policies["consumer_0"]).__name__ == "MeritOrderPolicy"


def test_module_spec_function_and_instance(rules_dir: Path, env, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(rules_dir))
    policy = make_policy("my_rules_mod:make_markup:0.25", env, "consumer_0")
    assert type(policy).__name__ == "MarkupPolicy" and policy.markup == pytest.approx(0.25)
    inst = make_policy("my_rules_mod:CONSTANT", env, "broker_0")
    assert type(inst).__name__ == "Constant"
    assert policy_info("my_rules_mod:CONSTANT").roles == ("producer", "consumer", "broker")


@pytest.mark.parametrize(
    "spec, needle",
    [
        ("no_such_module_xyz:Policy", "no module named 'no_such_module_xyz'"),
        ("missing/rules_file.py:Policy", "no such file"),
        ("{dir}/peak_rules.py:NoSuch", "has no attribute 'NoSuch'"),
        ("{dir}/peak_rules.py:LIMIT", "not a policy"),
        ("{dir}/peak_rules.py:not_a_policy", "not a policy"),
        ("{dir}/peak_rules.py:CONSTANT:1", "takes no arguments"),
        ("{dir}/peak_rules.py:PeakMarkup:1,2,3", "failed"),
        ("markupp:0.3", "unknown policy 'markupp'"),
    ],
)
def test_bad_specs_are_refused_naming_the_spec(rules_dir: Path, env, spec, needle) -> None:
    spec = spec.format(dir=rules_dir)
    with pytest.raises(ValueError) as info:
        make_policy(spec, env, "producer_0")
    assert spec in str(info.value) and needle in str(info.value)


def test_factories_and_instances_in_run_tournament(rules_dir: Path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(rules_dir))
    import my_rules_mod

    spec = {"scenarios": [SMALL], "seeds": [0], "entries": [
        {"name": "named", "policies": {"producer_0": "my_rules_mod:make_markup"}},
        {"name": "factory", "policies": {"producer_0": my_rules_mod.make_markup}},
    ]}  # fmt: skip
    r = tm.run_tournament(spec, workers=1, progress=False)
    named, factory = r.episodes
    assert named["profit"] == factory["profit"]
    assert factory["policy"]["producer_0"] == "my_rules_mod:make_markup"
    # a ready instance plays the same
    from elecbay_agents.markup import MarkupPolicy

    instance = MarkupPolicy(parallel_env("small"), "producer_0", markup=0.5)
    spec["entries"][1]["policies"] = {"producer_0": instance}
    named, inst = tm.run_tournament(spec, workers=1, progress=False).episodes
    assert inst["profit"] == named["profit"]
    assert inst["policy"]["producer_0"] == "elecbay_agents.markup:MarkupPolicy"


def test_objects_workers_cannot_import_are_refused(rules_dir: Path) -> None:
    def local(env, agent):  # defined in the running script: workers cannot import it
        raise AssertionError("never built")

    local.__module__ = "__main__"
    spec = {
        "scenarios": [SMALL],
        "seeds": [0, 1],
        "entries": [
            {"name": "a", "policies": {}},
            {"name": "b", "policies": {"producer_0": local}},
        ],
    }
    with pytest.raises(tm.SpecError, match=r"entries\.1\.policies\.producer_0: __main__:.*"
                       r"use workers=1"):  # fmt: skip
        tm.run_tournament(spec, workers=2, progress=False)


SCRIPT = """
import json, sys
from elecbay_evaluate.tournament import run_tournament

spec = {{"scenarios": [{{"name": "small", "overrides": {{"market.days": 1}}}}], "seeds": [0, 1],
        "entries": [{{"name": "truthful", "policies": {{}}}},
                    {{"name": "peak", "policies": {{"producer_0": {file!r}}}}},
                    {{"name": "mod", "policies": {{"producer": "my_rules_mod:PeakMarkup:0.5"}}}}]}}
out = {{}}
for workers in (2, 1):
    r = run_tournament(spec, workers=workers, progress=False)
    out[workers] = [r.workers, repr(r.episodes)]
print(json.dumps(out))
"""


def test_two_workers_from_an_unguarded_script_match_one_worker(rules_dir: Path, tmp_path) -> None:
    """No ``if __name__ == "__main__"`` guard: the workers must not run the script."""
    script = tmp_path / "bench.py"
    script.write_text(SCRIPT.format(file=f"{rules_dir / 'peak_rules.py'}:PeakMarkup"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(rules_dir), *sys.path])}
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=600)  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["2"][0] == 2 and out["1"][0] == 1
    assert out["2"][1] == out["1"][1]
    assert "'peak'" in out["1"][1] and "'mod'" in out["1"][1]


def test_evaluate_entry_with_a_file_policy_on_the_command_line(rules_dir: Path, tmp_path, capsys):
    out = tmp_path / "out"
    spec = f"producer_0={rules_dir / 'peak_rules.py'}:PeakMarkup:0.3"
    code = main(["evaluate", "--scenario", "small", "--days", "1", "--seeds", "1", "--quiet",
                 "--workers", "1", "--out", str(out), "--entry", "base", "--entry", "peak",
                 spec])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    rows = (out / "results.csv").read_text().splitlines()
    assert [r.split(",")[1] for r in rows[1:]] == ["base", "peak"]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["agents"][0]["policy"] == "merit_order"
    assert any(str(a["policy"]).endswith("peak_rules.py:PeakMarkup:0.3") for a in summary["agents"])
    bad = main(["evaluate", "--scenario", "small", "--quiet", "--out", str(tmp_path / "o2"),
                "--entry", "x", "producer_0=nowhere/none.py:P"])  # fmt: skip
    assert bad == 2 and "nowhere/none.py:P" in capsys.readouterr().err
    assert not (tmp_path / "o2").exists()


def test_policies_command_lists_every_builtin_name(capsys) -> None:
    from elecbay_agents.registry import policy_names

    assert main(["policies"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in policy_names():
        assert any(line.strip().startswith(name) for line in lines), name
    assert any("path/to/file.py:NAME" in line for line in lines)
    assert all(len(line) < 200 for line in lines) and np.all([line for line in lines])
