"""elecbay: a multi-agent reinforcement-learning environment of an electricity market.

Public names (stable): :func:`clear`, :func:`clear_batch`.
"""

from __future__ import annotations

from .clearing import BatchClearingResult, ClearingResult, clear, clear_batch

__all__ = ["BatchClearingResult", "ClearingResult", "clear", "clear_batch"]
__version__ = "0.1.0"
