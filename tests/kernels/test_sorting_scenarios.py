"""Every shipped scenario steps bit for bit as it did with the insertion sorts.

The reference runs in a child process whose kernels are compiled (in a cache folder
of its own) with ``sorting.SMALL_SORT`` raised above every book, so each sort of the
period (forward books, reserve merit orders, the imbalance price's stacks) is the
insertion sort the kernels used before the merge sort. This process runs the shipped
kernels (merge sort above ``SMALL_SORT`` entries). Orders come from
:func:`elecbay_env.testing.random_orders` with prices rounded to a coarse grid, so
books are full of equal prices (the tie rule matters); a replicated scenario gives
books of thousands of entries and merit orders of over a hundred rows.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np

from elecbay_env.config import shipped_scenarios
from elecbay_env.engine import Engine
from elecbay_env.kernels.sorting import SMALL_SORT
from elecbay_env.testing import random_orders, replicated_scenario

ROOT = Path(__file__).resolve().parents[2]
LARGE = (150, 16)  # agents, bid steps: books of up to 2 400 entries
PERIODS = 5
MARKETS = 3
SEED = 11


def run_cases(out: str | None = None) -> dict[str, np.ndarray]:
    """Every case's outcome arrays, keyed ``case/period/field`` (saved to ``out``)."""
    cases = [(name, name) for name in shipped_scenarios()]
    cases.append(("replicated", replicated_scenario(*LARGE)))
    res = {}
    for name, scenario in cases:
        eng = Engine(scenario, n_markets=MARKETS, keep_ledger=False)
        eng.reset(seed=SEED)
        rng = np.random.default_rng(SEED)
        for t in range(PERIODS):
            o = random_orders(eng.params, eng.state, rng)
            o.step_price[:] = np.round(o.step_price / 5.0) * 5.0
            o.res_avail[:] = np.round(o.res_avail)
            o.res_util[:] = np.round(o.res_util / 5.0) * 5.0
            for field, value in eng.step(o)._asdict().items():
                res[f"{name}/{t}/{field}"] = np.array(value, copy=True)
    if out is not None:
        np.savez(out, **res)
    return res


CHILD = """
import sys
from elecbay_env.kernels import sorting
sorting.SMALL_SORT = 1 << 62  # read when the kernels compile: insertion sorts only
sys.path.insert(0, {tests!r})
from test_sorting_scenarios import run_cases
run_cases(sys.argv[1])
"""


def test_shipped_scenarios_step_as_with_insertion_sorts(tmp_path):
    ref_file = tmp_path / "insertion.npz"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    env.pop("NUMBA_DISABLE_JIT", None)
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(tests=str(Path(__file__).parent)), str(ref_file)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    got = run_cases()
    _stdout, stderr = child.communicate(timeout=1_800)
    assert child.returncode == 0, stderr[-4000:]
    ref = np.load(ref_file)
    assert sorted(ref.files) == sorted(got)
    for key in ref.files:
        assert ref[key].dtype == got[key].dtype, key
        assert ref[key].tobytes() == got[key].tobytes(), key
    # the books were large enough for the merge sort (else this would prove nothing)
    filled_steps = (ref["replicated/0/step_fill_mw"] != 0.0).sum(axis=(1, 2))
    assert filled_steps.min() > 10 * SMALL_SORT
