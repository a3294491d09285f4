"""``elecbay train`` claims its output folder before training and fills it only at the end
(issue 14, item 6): a non-empty --out is refused, a failed run leaves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("stable_baselines3")
from elecbay_train.train import main

TINY = ["--config", "small", "--agent", "producer_0", "--timesteps", "128", "--n-markets", "2",
        "--days", "1", "--no-progress"]  # fmt: skip


def test_non_empty_out_is_refused_before_training(tmp_path: Path, capsys) -> None:
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main([*TINY, "--out", str(out)]) == 2
    assert "--out" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]


def test_out_under_a_file_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main([*TINY, "--out", str(blocker / "sub")]) == 2


def test_a_failed_run_leaves_no_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with pytest.raises(SystemExit):
        main([*TINY, "--opponents", "consumer=no_such_policy", "--out", str(out)])
    assert not out.exists()
    assert not any(p.name.endswith(".partial") for p in tmp_path.iterdir())


def test_a_finished_run_fills_the_folder_and_overwrite_replaces_it(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert main([*TINY, "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"model.zip", "elecbay.json", "train_config.json"} <= names
    assert "INCOMPLETE" not in names
    assert main([*TINY, "--out", str(out)]) == 2  # not empty any more
    assert main([*TINY, "--out", str(out), "--overwrite", "--seed", "1"]) == 0
    assert (out / "model.zip").is_file() and not (out / "INCOMPLETE").exists()
