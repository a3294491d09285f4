"""Numba's cache and the two compiled variants of each batch kernel.

Each test runs fresh Python processes with an empty cache (``NUMBA_CACHE_DIR`` in a
temporary folder), so what is checked is what a clean clone compiles:

1. the parallel and the serial variants of the period kernel (``Engine.step`` on the
   ``small`` and ``default`` scenarios, E = 32, random valid orders), of
   ``clear_batch`` and of the observation kernel give bit-identical results, on 1 and
   on 2 threads, whichever variant compiles first (one process each way);
2. an edit to a helper kernel in another file (``consumer_level`` in
   ``kernels/delivery.py``, inlined into the period kernel) takes effect on the next
   import, with the same cache folder and nothing deleted by hand; an import with no
   edit loads the kernel from the cache.

Plus, without compiling: every parallel kernel has a cache entry of its own, and the
cache locator falls back to a user-wide folder when the package folder is read-only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from elecbay_env.kernels import _jit
from elecbay_env.kernels import auction as auction_kernels
from elecbay_env.kernels import observe as observe_kernels
from elecbay_env.kernels import step as step_kernels

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 2400
# A hang guard, not a speed claim: compiling every kernel's serial and parallel variants
# from an empty cache took 15 minutes on a loaded 2-core machine once the ANM and risk
# kernels joined the period (issue 16).

VARIANTS_CHILD = r"""
import hashlib, json, sys
import numba
import numpy as np
from elecbay_env import clearing, period
from elecbay_env.engine import Engine
from elecbay_env.envs import observations
from elecbay_env.kernels import observe as observe_kernels
from elecbay_env.testing import random_orders

first = sys.argv[1]
variants = ("parallel", "serial") if first == "parallel" else ("serial", "parallel")
PERIODS = 4


def digest(h, arrays):
    for a in arrays:
        a = np.ascontiguousarray(a)
        h.update(str((a.dtype, a.shape)).encode())
        h.update(a.tobytes())


def engine_run(scenario, variant):
    period._PARALLEL_MIN_MARKETS = 1 if variant == "parallel" else 10**9
    eng = Engine(scenario, n_markets=32, keep_ledger=False)
    eng.reset(seed=7)
    rng = np.random.default_rng(11)
    h = hashlib.sha256()
    lo, hi = observations.row_bounds(eng.params)
    observe = (observe_kernels.observe_markets if variant == "parallel"
               else observe_kernels.observe_markets_serial)
    abs_reward = 0.0
    traded = 0
    for _ in range(PERIODS):
        out = eng.step(random_orders(eng.params, eng.state, rng))
        digest(h, out)
        digest(h, eng.state)
        abs_reward += float(np.abs(out.reward).sum())
        traded += int((out.volume_mw > 0).sum())
        obs = np.empty((eng.n_markets, eng.params.n_rows, observations.N_FEATURES), np.float32)
        observe(eng.params, eng.state, lo, hi, obs)
        digest(h, [obs])
    return {"digest": h.hexdigest(), "abs_reward": abs_reward, "traded": traded,
            "t": int(eng.state.t.min())}


def clear_run(variant):
    clearing._PARALLEL_MIN_MARKETS = 1 if variant == "parallel" else 10**9
    rng = np.random.default_rng(3)
    e, nb, na = 200, 12, 10
    h = hashlib.sha256()
    volume = 0.0
    for pricing in ("uniform", "pay_as_bid"):
        bp = np.round(rng.uniform(20, 80, (e, nb)))  # ties on purpose
        ap = np.round(rng.uniform(20, 80, (e, na)))
        bq = rng.uniform(0, 10, (e, nb))
        aq = rng.uniform(0, 10, (e, na))
        n_bids = rng.integers(0, nb + 1, e)
        n_asks = rng.integers(0, na + 1, e)
        k = rng.uniform(0, 1, e)
        r = clearing.clear_batch(bp, bq, ap, aq, n_bids, n_asks, k, pricing)
        digest(h, r)
        volume += float(np.nansum(r.volume))
    return {"digest": h.hexdigest(), "volume": volume}


results = {}
for variant in variants:
    for threads in (1, 2):
        numba.set_num_threads(threads)
        results[f"{variant}/{threads}"] = {
            "small": engine_run("small", variant),
            "default": engine_run("default", variant),
            "clear_batch": clear_run(variant),
        }
print("RESULT " + json.dumps(results))
"""


def _env(cache_dir: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["NUMBA_CACHE_DIR"] = str(cache_dir)
    env.pop("NUMBA_DISABLE_JIT", None)
    env.pop("NUMBA_CACHE_LOCATOR_CLASSES", None)
    env.update(extra)
    return env


def _result(proc: subprocess.CompletedProcess | tuple[str, str, int]) -> dict:
    stdout, stderr, code = proc
    assert code == 0, f"child failed ({code}):\n{stdout[-3000:]}\n{stderr[-6000:]}"
    lines = [ln for ln in stdout.splitlines() if ln.startswith("RESULT ")]
    assert lines, f"no result:\n{stdout[-3000:]}\n{stderr[-6000:]}"
    return json.loads(lines[-1][len("RESULT ") :])


def test_parallel_and_serial_are_bit_identical_from_an_empty_cache(tmp_path):
    """Both compile orders run at once (two processes, each with its own empty cache)."""
    procs = {}
    for first in ("parallel", "serial"):
        procs[first] = subprocess.Popen(
            [sys.executable, "-c", VARIANTS_CHILD, first],
            cwd=ROOT,
            env=_env(tmp_path / f"cache-{first}", NUMBA_NUM_THREADS="2"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
    results = {}
    for first, proc in procs.items():
        out, err = proc.communicate(timeout=TIMEOUT_S)
        results[first] = _result((out, err, proc.returncode))

    reference = results["serial"]["serial/1"]
    # the reference is not trivially equal to a kernel that writes nothing
    for scenario in ("small", "default"):
        run = reference[scenario]
        assert run["t"] == 4
        assert run["abs_reward"] > 0.0
        assert run["traded"] > 0
    assert reference["clear_batch"]["volume"] > 0.0
    for first, by_run in results.items():
        for key, run in by_run.items():
            for part in ("small", "default", "clear_batch"):
                assert run[part]["digest"] == reference[part]["digest"], (
                    f"{part}: {key} (compiled {first} first) differs from serial/1"
                )


EDIT_CHILD = r"""
import json
import numpy as np
import elecbay_env
from elecbay_env.engine import Engine
from elecbay_env.kernels import kinds
from elecbay_env.kernels.step import step_markets_serial

eng = Engine("small", n_markets=2, keep_ledger=False)
eng.reset(seed=0)
out = eng.step(eng.empty_orders())
consumers = eng.params.kind[0] == kinds.CONSUMER
stats = step_markets_serial.stats
print("RESULT " + json.dumps({
    "package": elecbay_env.__file__,
    "consumer_mwh": float(np.abs(out.metered_mwh[:, consumers]).sum()),
    "cache_hits": sum(stats.cache_hits.values()),
    "cache_misses": sum(stats.cache_misses.values()),
}))
"""


def test_an_edit_to_any_kernel_file_takes_effect_on_the_next_import(tmp_path):
    site = tmp_path / "site"
    shutil.copytree(
        ROOT / "elecbay_env",
        site / "elecbay_env",
        ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc"),
    )
    env = _env(tmp_path / "cache", PYTHONPATH=str(site), NUMBA_NUM_THREADS="1")

    def run() -> dict:
        proc = subprocess.run(
            [sys.executable, "-c", EDIT_CHILD],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_S,
        )
        res = _result((proc.stdout, proc.stderr, proc.returncode))
        assert Path(res["package"]).resolve().parent == (site / "elecbay_env").resolve()
        return res

    before = run()
    assert before["cache_misses"] == 1 and before["consumer_mwh"] > 0.0

    again = run()
    assert again["cache_hits"] == 1 and again["cache_misses"] == 0  # loaded, not compiled
    assert again["consumer_mwh"] == before["consumer_mwh"]

    delivery = site / "elecbay_env" / "kernels" / "delivery.py"
    text = delivery.read_text()
    old = "    return min(target_mw, 0.0)\n"
    assert text.count(old) == 1
    delivery.write_text(text.replace(old, "    return min(target_mw, 0.0) * 0.0\n"))

    after = run()
    assert after["cache_misses"] == 1  # recompiled: the stamp covers delivery.py
    assert after["consumer_mwh"] == 0.0  # consumers now draw nothing


# --------------------------------------------------------------------------------------
# Without compiling
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("parallel", "serial"),
    [
        (step_kernels.step_markets, step_kernels.step_markets_serial),
        (auction_kernels.clear_markets, auction_kernels.clear_markets_serial),
        (observe_kernels.observe_markets, observe_kernels.observe_markets_serial),
    ],
)
def test_each_variant_has_its_own_cache_entry(parallel, serial):
    assert parallel.targetoptions.get("parallel")
    assert not serial.targetoptions.get("parallel")
    assert parallel.py_func.__qualname__ == serial.py_func.__qualname__ + _jit.PARALLEL_SUFFIX
    assert parallel._cache._impl.filename_base != serial._cache._impl.filename_base
    for disp in (parallel, serial):
        assert isinstance(disp._cache._impl.locator, _jit.KernelCacheLocator)


def test_the_stamp_covers_every_kernel_file():
    names = {name for name, _, _ in _jit._source_files()}
    assert names == {p.name for p in Path(_jit.KERNELS_DIR).glob("*.py")}
    assert {"step.py", "delivery.py", "balancing.py", "_jit.py"} <= names
    assert _jit.sources_stamp() == _jit.sources_stamp()


def test_locator_is_only_for_kernel_files():
    def f():
        return 0

    assert _jit.KernelCacheLocator.from_function(f, __file__) is None
    here = step_kernels._step_chunk.py_func
    loc = _jit.KernelCacheLocator.from_function(here, step_kernels.__file__)
    assert loc is not None and loc.get_source_stamp() == _jit.sources_stamp()


def test_locator_falls_back_to_a_user_wide_folder(monkeypatch, tmp_path):
    """A read-only package folder (and no NUMBA_CACHE_DIR): the user-wide folder."""
    monkeypatch.setattr(_jit.config, "CACHE_DIR", "")
    in_tree = os.path.join(_jit.KERNELS_DIR, "__pycache__")

    def ensure(self):
        if self.get_cache_path() == in_tree:
            raise PermissionError("read-only")

    monkeypatch.setattr(_jit.KernelCacheLocator, "ensure_cache_path", ensure)
    py_func = step_kernels._step_chunk.py_func
    paths = _jit.KernelCacheLocator.candidate_paths(step_kernels.__file__)
    assert paths[0] == in_tree and len(paths) == 2
    loc = _jit.KernelCacheLocator.from_function(py_func, step_kernels.__file__)
    assert loc is not None and loc.get_cache_path() == paths[1]
