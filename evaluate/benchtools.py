"""What every benchmark prints about the machine it ran on."""

from __future__ import annotations

import os
import platform
from typing import Any

import numba
import numpy as np


def machine_info(**extra: Any) -> dict[str, Any]:
    """Versions, cores and thread counts (``extra`` entries appended, e.g. torch's)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "numba_num_threads": numba.get_num_threads(),
        "numba_config_threads": numba.config.NUMBA_NUM_THREADS,
        **extra,
    }
