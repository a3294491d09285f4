"""`pip install .` (not editable) gives a working package that shadows nothing."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUR_TOP_LEVEL = {
    "elecbay_env",
    "elecbay_agents",
    "elecbay_train",
    "elecbay_evaluate",
    "elecbay_configs",
    "elecbay_app",
    "elecbay_live",
    "elecbay_classroom",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    try:
        import setuptools  # noqa: F401
    except ImportError:
        pytest.skip("setuptools is not installed in this environment")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
         "-q", "-w", str(out)],
        check=True,
    )  # fmt: skip
    (path,) = out.glob("elecbay-*.whl")
    return path


def test_wheel_installs_only_elecbay_names(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == OUR_TOP_LEVEL
    for shadowing in ("evaluate", "agents", "train", "configs", "tests", "app", "live"):
        assert shadowing not in top
    assert "elecbay_configs/default.yaml" in names
    assert "elecbay_configs/demo_book.yaml" in names
    assert "elecbay_evaluate/specs/example.yaml" in names
    assert "elecbay_evaluate/classroom/__init__.py" in names
    assert "elecbay_train/vec_env.py" in names
    assert "elecbay_app/cli.py" in names
    assert "elecbay_live/operator.py" in names
    assert "elecbay_classroom/static/teacher.html" in names
    assert "elecbay_app/__main__.py" in names
    assert "elecbay_evaluate/benchmarks/bench_engine.py" in names
    assert "elecbay_env/kernels/auction.py" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "elecbay = elecbay_app.cli:main" in text


def test_installed_wheel_runs_outside_the_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
         str(wheel)],
        check=True,
    )  # fmt: skip
    code = (
        "import elecbay_env, sys; "
        "assert elecbay_env.__file__.startswith(sys.argv[1]), elecbay_env.__file__; "
        "r = elecbay_env.clear([30.0, 20.0], [1.0, 1.0], [10.0, 25.0], [1.0, 1.0]); "
        "print(r.volume, r.price); "
        "from elecbay_app.cli import main; main(['run'])"
    )
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "1.0 22.5"
    assert "clearing price" in done.stdout
