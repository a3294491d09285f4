"""``./run.sh`` picks what to install from its command: ``./run.sh train ...`` installs the
training extra (torch first, pinned by constraints.txt, as ``./test.sh`` does) and says so;
anything else installs the base package. Checked in dry mode (``ELECBAY_VENV_DRY=1``):
nothing is created or installed."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _dry(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ELECBAY_VENV_DRY": "1", "ELECBAY_VENV": str(tmp_path / "venv")}
    return subprocess.run(["bash", *argv], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True, timeout=60)  # fmt: skip


def test_train_installs_the_training_extra_torch_first(tmp_path) -> None:
    done = _dry(tmp_path, "scripts/venv.sh", "auto", "train", "--role", "producer")
    lines = done.stdout.splitlines()
    assert "extras: train" in lines
    torch = next(i for i, x in enumerate(lines) if x.endswith("constraints.txt torch"))
    package = next(i for i, x in enumerate(lines) if x.endswith(f"-e {ROOT}[train]"))
    assert torch < package
    assert "installing the training extra" in done.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.parametrize("argv", [[], ["--days", "2"], ["evaluate", "spec.yaml"]])
def test_other_commands_install_the_base_package(tmp_path, argv) -> None:
    done = _dry(tmp_path, "scripts/venv.sh", "auto", *argv)
    assert "extras: none" in done.stdout.splitlines()
    assert "torch" not in done.stdout and "[" not in done.stdout
    assert done.stderr == ""


def test_test_sh_extras_unchanged(tmp_path) -> None:
    done = _dry(tmp_path, "scripts/venv.sh", "train,dev")
    assert "extras: train,dev" in done.stdout.splitlines()
    assert done.stdout.rstrip().endswith(f"-e {ROOT}[train,dev]")


@pytest.mark.parametrize(
    "argv, command",
    [
        ([], "elecbay run"),
        (["--days", "2"], "elecbay run --days 2"),
        (["train", "--role", "producer"], "elecbay train --role producer"),
        (["evaluate", "x.yaml"], "elecbay evaluate x.yaml"),
    ],
)
def test_run_sh_passes_its_arguments_to_elecbay(tmp_path, argv, command) -> None:
    done = _dry(tmp_path, "run.sh", *argv)
    assert done.stdout.splitlines()[-1] == f"would run: {command}"
    assert ("training extra" in done.stderr) == (argv[:1] == ["train"])


def test_the_rllib_venv_installs_torch_first_then_the_rllib_extra(tmp_path) -> None:
    done = _dry(tmp_path, "scripts/venv.sh", "rllib,dev")
    lines = done.stdout.splitlines()
    torch = next(i for i, x in enumerate(lines) if x.endswith("constraints.txt torch"))
    package = next(i for i, x in enumerate(lines) if x.endswith(f"-e {ROOT}[rllib,dev]"))
    assert torch < package
    assert str(tmp_path / "venv") in done.stderr


def test_test_sh_runs_tests_rllib_in_its_own_venv_after_the_main_suite() -> None:
    text = (ROOT / "test.sh").read_text()
    main = text.index("python -m pytest -n 2")
    rllib = text.rindex("tests/rllib")
    assert main < rllib
    assert 'ELECBAY_VENV="$PWD/.venv-rllib"' in text and '"train,rllib,dev"' in text
