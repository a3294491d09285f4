"""A local Ray for the RLlib tests: loopback address, 2 CPUs, no dashboard, no usage stats.

These tests run in the rllib virtual environment (``./test.sh`` runs them after the main
suite: ``ray[rllib]`` pins gymnasium 1.2.2); elsewhere each module skips, naming why.
"""

from __future__ import annotations

import os

import pytest

RAY_MISSING = "ray[rllib] is not installed here: ./test.sh runs tests/rllib in .venv-rllib"


@pytest.fixture(scope="session")
def local_ray():
    """Start Ray once per session (and stop it at the end)."""
    ray = pytest.importorskip("ray", reason=RAY_MISSING)
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(
        address="local", num_cpus=2, _node_ip_address="127.0.0.1", include_dashboard=False,
        log_to_driver=False,
        runtime_env={"env_vars": {"NUMBA_NUM_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0"}},
    )  # fmt: skip
    yield ray
    ray.shutdown()
