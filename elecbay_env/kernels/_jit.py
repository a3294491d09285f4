"""The one place that holds elecbay's Numba options and its kernel cache.

Every kernel is compiled through :func:`kernel` (serial) or :func:`parallel_kernel`
(parallel loops over the batch axis E only, so results never depend on the thread
count). ``cache=True`` keeps compiled machine code on disk between runs.

Two rules keep that cache honest:

* Each compiled variant has its own cache entry. Numba names a cache entry after the
  function's qualified name and first line, not after its options, so a function
  compiled both serial and parallel would share one entry (whichever compiled first
  would run for both). :func:`parallel_kernel` therefore compiles a copy of the
  function whose qualified name ends in ``__parallel``.
* The cache never runs stale code. Numba stamps an entry with its own source file
  only, yet a kernel inlines and links helpers from the other files of this folder.
  :class:`KernelCacheLocator` (registered first among Numba's cache locators, for
  the files of this folder only) stamps every entry with a hash of every ``.py`` file
  here, so an edit to any of them recompiles every kernel on the next import.

Parallel loops (``prange``) must not write into arrays reached through a named tuple
inside their body (Numba drops such writes: numba/numba#5872, #7135). The body calls a
non-inlined :func:`kernel` instead, which may do anything.
"""

from __future__ import annotations

import functools
import hashlib
import os
import types
from collections.abc import Callable

import numba
from numba.core import config
from numba.core.caching import CacheImpl, _CacheLocator
from numba.misc.appdirs import AppDirs

_OPTIONS = {"cache": True, "nogil": True, "fastmath": False, "error_model": "numpy"}

KERNELS_DIR = os.path.dirname(os.path.abspath(__file__))
"""The folder whose every source file stamps every kernel's cache entry."""

PARALLEL_SUFFIX = "__parallel"
"""Appended to the qualified name of the copy that :func:`parallel_kernel` compiles."""


# --------------------------------------------------------------------------------------
# Cache: one stamp for the whole folder
# --------------------------------------------------------------------------------------


def _source_files() -> tuple[tuple[str, int, int], ...]:
    """(name, mtime_ns, size) of every ``.py`` file of this folder, by name."""
    out = []
    for name in sorted(os.listdir(KERNELS_DIR)):
        if name.endswith(".py"):
            st = os.stat(os.path.join(KERNELS_DIR, name))
            out.append((name, st.st_mtime_ns, st.st_size))
    return tuple(out)


@functools.lru_cache(maxsize=8)
def _hash_sources(files: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for name, _mtime, _size in files:
        with open(os.path.join(KERNELS_DIR, name), "rb") as fh:
            data = fh.read()
        digest.update(name.encode())
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def sources_stamp() -> str:
    """SHA-256 of the names and contents of every ``.py`` file of this folder.

    Re-hashed only when a file's size or modification time changes.
    """
    return _hash_sources(_source_files())


class KernelCacheLocator(_CacheLocator):
    """Numba cache locator for the kernels of this folder (and nothing else).

    The cache folder is the first writable of: ``NUMBA_CACHE_DIR`` (as Numba lays it
    out), this folder's ``__pycache__``, Numba's user-wide cache folder (for a
    read-only installed package). The source stamp is :func:`sources_stamp`, so an
    index written before an edit to any kernel file is discarded after it.
    """

    def __init__(self, py_func: Callable, py_file: str, cache_path: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = cache_path

    def get_cache_path(self) -> str:
        return self._cache_path

    def get_source_stamp(self) -> str:
        return sources_stamp()

    def get_disambiguator(self) -> str:
        return str(self._lineno)

    @classmethod
    def candidate_paths(cls, py_file: str) -> list[str]:
        """Cache folders to try, in order."""
        subpath = cls.get_suitable_cache_subpath(py_file)
        paths = []
        if config.CACHE_DIR:
            paths.append(os.path.join(config.CACHE_DIR, subpath))
        paths.append(os.path.join(KERNELS_DIR, "__pycache__"))
        user_dir = AppDirs(appname="numba", appauthor=False).user_cache_dir
        paths.append(os.path.join(user_dir, subpath))
        return paths

    @classmethod
    def from_function(cls, py_func: Callable, py_file: str) -> KernelCacheLocator | None:
        if os.path.dirname(os.path.abspath(py_file)) != KERNELS_DIR:
            return None
        for path in cls.candidate_paths(py_file):
            locator = cls(py_func, py_file, path)
            try:
                locator.ensure_cache_path()
            except OSError:
                continue
            return locator
        return None


def _register_locator() -> None:
    """Put :class:`KernelCacheLocator` first in Numba's list (once, even on reload)."""
    classes = CacheImpl._locator_classes
    classes[:] = [
        c
        for c in classes
        if not (c.__module__ == __name__ and c.__qualname__ == KernelCacheLocator.__qualname__)
    ]
    classes.insert(0, KernelCacheLocator)


_register_locator()


def is_cached(dispatcher: object) -> bool | None:
    """Whether a kernel has machine code in its cache that is current (cheap: reads one
    small index file, compiles nothing).

    False when its cache index is missing, or was written before an edit to a file of
    this folder (:func:`sources_stamp`): the next call compiles. None when it cannot be
    told (JIT disabled with ``NUMBA_DISABLE_JIT=1``, no cache, another Numba layout).
    """
    if config.DISABLE_JIT:
        return None
    try:
        index = dispatcher._cache._cache_file._load_index()  # type: ignore[attr-defined]
    except Exception:  # a private Numba API: any change means "cannot tell"
        return None
    return bool(index)


# --------------------------------------------------------------------------------------
# Decorators
# --------------------------------------------------------------------------------------


def _renamed(fn: types.FunctionType, suffix: str) -> types.FunctionType:
    """A copy of ``fn`` (same code, globals, file and line) named ``<qualname><suffix>``."""
    name = fn.__name__ + suffix
    qualname = fn.__qualname__ + suffix
    code = fn.__code__.replace(co_name=name)
    if hasattr(code, "co_qualname"):  # Python >= 3.11
        code = code.replace(co_qualname=qualname)
    copy = types.FunctionType(code, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    copy.__qualname__ = qualname
    copy.__module__ = fn.__module__
    copy.__doc__ = fn.__doc__
    copy.__kwdefaults__ = fn.__kwdefaults__
    return copy


_serial_jit = numba.njit(**_OPTIONS)
_parallel_jit = numba.njit(parallel=True, **_OPTIONS)
_inline_jit = numba.njit(inline="always", **_OPTIONS)


def kernel(fn: types.FunctionType):
    """Compile ``fn`` without threads (``prange`` runs as ``range``)."""
    return _serial_jit(fn)


def parallel_kernel(fn: types.FunctionType):
    """Compile a copy of ``fn`` with ``parallel=True``, cached apart from :func:`kernel`."""
    return _parallel_jit(_renamed(fn, PARALLEL_SUFFIX))


def inline_kernel(fn: types.FunctionType):
    """For small helpers called in inner loops: inlined at the Numba IR level."""
    return _inline_jit(fn)


prange = numba.prange
