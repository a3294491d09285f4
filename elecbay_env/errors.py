"""Errors that the libraries raise for the command-line app to report.

:class:`UsageError` is a bad option found after parsing (unknown scenario, period out of
range, ...): subcommands that live in the libraries (``elecbay classroom``, ...) raise it
and the app (:mod:`elecbay_app.cli`) prints it in one line with exit code 2. It lives
here, in the core, so that no library has to import the app.
"""

from __future__ import annotations

__all__ = ["UsageError"]


class UsageError(Exception):
    """A bad option found after parsing (unknown scenario, period out of range, ...)."""
