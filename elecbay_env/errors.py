"""Errors that the libraries raise for the command-line app to report.

:class:`UsageError` is a bad option found after parsing (unknown scenario, period out of
range, ...): subcommands that live in the libraries (``elecbay classroom``, ...) raise it
and the app (:mod:`elecbay_app.cli`) prints it in one line with exit code 2. It lives
here, in the core, so that no library has to import the app.

:class:`ProfileError` is a profile, CSV series or dataset that cannot be used (raised by
:mod:`elecbay_env.daily_shapes`, :mod:`elecbay_env.csv_series`,
:mod:`elecbay_env.profiles` and the dataset readers; re-exported from
:mod:`elecbay_env.profiles`).
"""

from __future__ import annotations

__all__ = ["ProfileError", "UsageError"]


class UsageError(Exception):
    """A bad option found after parsing (unknown scenario, period out of range, ...)."""


class ProfileError(ValueError):
    """A profile or CSV series that cannot be used; the message names file, column and row."""
