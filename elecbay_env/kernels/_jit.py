"""The one place that holds elecbay's Numba options.

Every kernel is compiled through :func:`kernel` (serial) or :func:`parallel_kernel`
(parallel loops over the batch axis E only, so results never depend on the thread
count). ``cache=True`` keeps compiled machine code on disk between runs.
"""

from __future__ import annotations

import numba

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

kernel = numba.njit(**_OPTIONS)
parallel_kernel = numba.njit(parallel=True, **_OPTIONS)
prange = numba.prange
inline_kernel = numba.njit(inline="always", **_OPTIONS)
"""For small helpers called in inner loops: inlined at the Numba IR level."""
