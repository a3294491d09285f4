"""scripts/library_snippets.py: skips what is not installed, records what passed, fails loudly."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "library_snippets.py"


@pytest.fixture()
def snippets():
    spec = importlib.util.spec_from_file_location("library_snippets", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_pass_is_kept_when_a_later_run_skips(snippets, tmp_path: Path, monkeypatch) -> None:
    record = tmp_path / "versions.json"

    def passing() -> dict:
        return {"agent_steps": 3}

    def missing() -> dict:
        raise ImportError("No module named 'tianshou'")

    monkeypatch.setitem(snippets.SNIPPETS, "tianshou", ("pettingzoo", passing))
    assert snippets.main(["tianshou", "--record", str(record)]) == 0
    first = json.loads(record.read_text())["tianshou"]
    assert first["last_passed"]["library_version"] == snippets.version("pettingzoo")
    assert first["last_attempt"]["result"] == {"agent_steps": 3}
    monkeypatch.setitem(snippets.SNIPPETS, "tianshou", ("tianshou", missing))
    assert snippets.main(["tianshou", "--record", str(record)]) == 0
    second = json.loads(record.read_text())["tianshou"]
    assert second["last_attempt"]["status"] == "skipped"
    assert "ImportError" in second["last_attempt"]["reason"]
    assert second["last_passed"] == first["last_passed"]


def test_a_failing_snippet_fails_the_script(snippets, tmp_path: Path, monkeypatch) -> None:
    def broken() -> dict:
        raise ValueError("infos hold None")

    monkeypatch.setitem(snippets.SNIPPETS, "agilerl", ("agilerl", broken))
    record = tmp_path / "versions.json"
    assert snippets.main(["agilerl", "--record", str(record)]) == 1
    entry = json.loads(record.read_text())["agilerl"]
    assert entry["last_attempt"]["status"] == "failed"
    assert entry["last_passed"] is None


def test_the_committed_record_names_every_snippet(snippets) -> None:
    record = json.loads(snippets.RECORD.read_text())
    assert set(record) == set(snippets.SNIPPETS)
    for entry in record.values():
        assert entry["last_attempt"]["status"] in {"passed", "skipped", "failed"}


def test_benchmarl_task_groups_by_space_where_benchmarl_is_installed() -> None:
    pytest.importorskip("benchmarl")
    from elecbay_train.benchmarl_task import ElecbayTask
    from torchrl.envs.utils import check_env_specs

    task = ElecbayTask(config={"max_cycles": 4})
    env = task.get_env_fun(1, True, 0, "cpu")()
    check_env_specs(env, seed=0)
    assert task.group_map(env)["broker"] == ["broker_0"]
    assert task.max_steps(env) == 4
    assert ("trader", "info", "contract_mw") in task.info_spec(env).keys(True, True)
    with pytest.raises(ValueError, match="continuous"):
        task.get_env_fun(1, False, 0, "cpu")
