"""Safe output folders (:mod:`elecbay_env.outputs`) and ``elecbay run --policy``.

Runs write into a staging folder and move it into place when complete; default folders
are reserved exclusively (concurrent runs get separate folders); a non-empty ``--out``
is refused unless ``--overwrite``; an unwritable ``--out`` fails before simulating; a
killed run leaves nothing at the final path or a folder marked ``INCOMPLETE``; the
evaluator keeps finished episodes and ``--resume`` finishes with identical results.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from elecbay_app.cli import RUN_FILES, main
from elecbay_evaluate import tournament as tm

from elecbay_env.outputs import MARKER, SafeOutput, reserve_folder

RUN = ["run", "--config", "small", "--days", "1", "--no-progress"]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _no_leftovers(parent: Path) -> None:
    hidden = [p.name for p in parent.iterdir() if p.name.startswith(".")]
    assert hidden == [], hidden


# ------------------------------------------------------------------ elecbay run --policy


def test_run_policy_writes_every_file_and_changes_the_outcome(tmp_path: Path, capsys) -> None:
    base, marked = tmp_path / "base", tmp_path / "marked"
    assert main([*RUN, "--out", str(base)]) == 0
    assert main([*RUN, "--out", str(marked), "--policy", "producer_0=markup:0.3"]) == 0
    assert "policies: producer_0=markup:0.3" in capsys.readouterr().out
    for folder in (base, marked):
        assert _files(folder) == sorted(RUN_FILES)
    _no_leftovers(tmp_path)
    a = json.loads((base / "summary.json").read_text())
    b = json.loads((marked / "summary.json").read_text())
    assert "MarkupPolicy" in b["policies"]["producer_0"]
    assert "MarkupPolicy" not in a["policies"]["producer_0"]
    assert a["profit"]["producer_0"] != b["profit"]["producer_0"]
    assert a["mean_clearing_price_per_mwh"] != b["mean_clearing_price_per_mwh"]


@pytest.mark.parametrize(
    "policy, needle",
    [
        ("producer_0", "expected AGENT=SPEC"),
        ("producer_9=markup", "producer_9"),
        ("producer_0=no_such_policy", "no_such_policy"),
        ("broker_0=markup:0.3", "does not fit broker_0"),
    ],
)
def test_run_policy_errors_exit_2_before_anything_is_written(
    tmp_path: Path, capsys, policy, needle
) -> None:
    out = tmp_path / "out"
    assert main([*RUN, "--out", str(out), "--policy", policy]) == 2
    err = capsys.readouterr().err
    assert err.startswith("elecbay run: error: --policy") and needle in err
    assert not out.exists()


# ------------------------------------------------------------------ folders


def test_reserve_folder_is_exclusive_under_concurrency(tmp_path: Path) -> None:
    got: list[Path] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        got.append(reserve_folder(tmp_path / "runs" / "same"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(got)) == 8
    assert {p.name for p in got} == {"same", *(f"same-{i}" for i in range(1, 8))}


def test_concurrent_runs_into_default_folders_end_in_separate_complete_folders(
    tmp_path: Path,
) -> None:
    cmd = [sys.executable, "-m", "elecbay_app.cli", *RUN]
    procs = [subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]  # fmt: skip
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    folders = sorted((tmp_path / "runs").iterdir())
    assert len(folders) == 2 and all(f.name.startswith("small-seed0-") for f in folders)
    for f in folders:
        assert _files(f) == sorted(RUN_FILES)
    _no_leftovers(tmp_path / "runs")


def test_non_empty_out_is_refused_unless_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    assert main([*RUN, "--out", str(out)]) == 2
    captured = capsys.readouterr()
    assert f"--out {out}: the folder is not empty; pass --overwrite" in captured.err
    assert "elecbay run: scenario" not in captured.out  # refused before simulating
    assert _files(out) == ["mine.txt"]
    assert main([*RUN, "--out", str(out), "--overwrite"]) == 0
    assert _files(out) == sorted(RUN_FILES)
    _no_leftovers(tmp_path)


def test_out_that_cannot_be_created_is_refused_before_simulating(tmp_path: Path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert main([*RUN, "--out", str(blocker / "sub")]) == 2
    captured = capsys.readouterr()
    assert f"--out {blocker / 'sub'}: cannot create the folder" in captured.err
    assert "elecbay run: scenario" not in captured.out


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="root ignores folder permissions")  # fmt: skip
def test_unwritable_out_is_refused_before_simulating(tmp_path: Path, capsys) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        for out in (locked, locked / "sub"):
            assert main([*RUN, "--out", str(out)]) == 2
            captured = capsys.readouterr()
            assert f"--out {out}" in captured.err
            assert "elecbay run: scenario" not in captured.out
    finally:
        locked.chmod(0o755)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_long_run(tmp_path: Path, out: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "elecbay_app.cli", "run", "--config", "small", "--days", "300",
           "--no-progress", "--out", str(out)]  # fmt: skip
    # a test suite started in the background (`cmd &` in a script) inherits SIGINT
    # ignored, and so would the run: give it the default, as a terminal's Ctrl-C finds it
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_default_sigint)  # fmt: skip
    deadline = time.monotonic() + 300
    while not (out / MARKER).exists():  # claimed: the simulation starts now
        assert proc.poll() is None, proc.communicate()[1][-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None
    return proc


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_a_killed_run_leaves_a_folder_marked_incomplete(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start_long_run(tmp_path, out)
    proc.kill()
    proc.communicate(timeout=60)
    assert not out.exists() or _files(out) == [MARKER]
    assert "not complete" in (out / MARKER).read_text()


@pytest.mark.skipif(os.name != "posix", reason="signals")
def test_an_interrupted_run_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = _start_long_run(tmp_path, out)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode != 0
    assert not out.exists()
    _no_leftovers(tmp_path)


def test_safe_output_commit_and_abort(tmp_path: Path) -> None:
    target = SafeOutput.claim(None, tmp_path / "runs" / "x")
    assert _files(target.final) == [MARKER] and target.work.parent == target.final.parent
    (target.work / "a.txt").write_text("a")
    target.commit()
    assert _files(tmp_path / "runs" / "x") == ["a.txt"]
    with pytest.raises(RuntimeError), SafeOutput.claim(None, tmp_path / "runs" / "x") as t2:
        assert t2.final.name == "x-1"
        raise RuntimeError("boom")
    assert _files(tmp_path / "runs") == ["x"]


# ------------------------------------------------------------------ evaluator resume


EVAL = ["evaluate", "--scenario", "small", "--days", "1", "--seeds", "3", "--quiet",
        "--workers", "1", "--entry", "base", "--entry", "mk", "producer_0=markup:0.3"]  # fmt: skip


def test_evaluate_resume_gives_identical_results(tmp_path: Path, monkeypatch, capsys) -> None:
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main([*EVAL, "--out", str(whole)]) == 0
    assert "episodes.jsonl" not in _files(whole)

    real = tm.run_episode
    played: list[tuple[str, int]] = []

    def crash_after_two(task):
        if len(played) == 2:
            raise KeyboardInterrupt
        played.append((task.entry, task.seed))
        return real(task)

    monkeypatch.setattr(tm, "run_episode", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        main([*EVAL, "--out", str(part)])
    assert _files(part) == sorted([MARKER, "episodes.jsonl"])
    assert len((part / "episodes.jsonl").read_text().splitlines()) == 2
    assert main([*EVAL, "--out", str(part)]) == 2  # not empty: --resume or --overwrite
    assert "--resume to finish it" in capsys.readouterr().err

    played.clear()
    monkeypatch.setattr(tm, "run_episode", lambda task: played.append(task.key) or real(task))
    assert main([*EVAL, "--out", str(part), "--resume"]) == 0
    assert len(played) == 4  # 6 episodes, 2 kept
    assert (part / "results.csv").read_bytes() == (whole / "results.csv").read_bytes()
    assert (part / "agents.csv").read_bytes() == (whole / "agents.csv").read_bytes()
    assert MARKER not in _files(part)
    _no_leftovers(tmp_path)
