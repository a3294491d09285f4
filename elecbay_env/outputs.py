"""Output folders that are never left half-written or mixed.

:meth:`SafeOutput.claim` takes the final folder before any work starts, and the
commands write their files into a hidden **staging** folder beside it
(``.<name>.XXXX.partial``), which :meth:`SafeOutput.commit` renames into place once
every file is written:

* **no** ``--out``: a unique folder ``<base>``, ``<base>-1``, ``<base>-2`` ... is
  reserved with an exclusive ``mkdir`` (two runs started together get different
  folders: the loser of a race tries the next name, there is no check-then-create);
* ``--out DIR`` that is missing or empty: claimed the same way; a non-empty one is
  refused unless ``overwrite`` (then the old folder stays as it was until the new
  run commits, and is swapped out in two renames) or, for a resumable command,
  ``resume`` and the folder is marked incomplete;
* writability is checked at claim time (the staging folder and the marker are
  created then), so an unwritable ``--out`` fails before simulating, as
  :class:`OutputError` naming the flag;
* while a run works, the claimed folder holds only the marker file ``INCOMPLETE``
  (and what the command keeps there to resume, e.g. the evaluator's
  ``episodes.jsonl``). :meth:`SafeOutput.abort` (any exception, Ctrl-C included)
  removes the staging folder and the claimed folder if it holds nothing else; a
  killed process leaves the folder with its ``INCOMPLETE`` marker (and a hidden
  staging folder beside it), never a folder that looks complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["MARKER", "OutputError", "SafeOutput", "reserve_folder"]

MARKER = "INCOMPLETE"
"""Name of the marker file in a folder whose run has not finished."""


class OutputError(Exception):
    """An output folder that cannot be used; the message names the option."""


def reserve_folder(base: Path) -> Path:
    """Create and return the first free folder of ``base``, ``base-1``, ``base-2``, ...

    Exclusive: the creation itself decides (``mkdir`` fails if the name exists), so
    concurrent callers always get different folders.

    Raises:
        OSError: the parent cannot be created or written.
    """
    base = Path(base)
    base.parent.mkdir(parents=True, exist_ok=True)
    i = 0
    while True:
        candidate = base if i == 0 else base.with_name(f"{base.name}-{i}")
        try:
            candidate.mkdir()
        except FileExistsError:
            i += 1
            continue
        return candidate


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


class SafeOutput:
    """A claimed output folder and its staging folder (module doc).

    Use :meth:`claim`, write into :attr:`work`, then :meth:`commit`; or use it as a
    context manager, which commits on success and aborts on any exception.

    Attributes:
        final: where the files end up.
        work: the staging folder to write into.
    """

    def __init__(self, final: Path, work: Path, created: bool, replace: bool, flag: str) -> None:
        self.final = final
        self.work = work
        self.created = created
        self.replace = replace
        self.flag = flag
        self.done = False

    @classmethod
    def claim(
        cls,
        out: str | os.PathLike[str] | None,
        default: Path,
        *,
        overwrite: bool = False,
        resume: bool = False,
        flag: str = "--out",
    ) -> SafeOutput:
        """Claim ``out`` (or a unique folder named after ``default``) for one run.

        Args:
            out: the folder the user asked for; None: :func:`reserve_folder` of
                ``default``.
            default: base name of the default folder.
            overwrite: a non-empty ``out`` is replaced when the run commits.
            resume: a folder marked :data:`MARKER` is taken over with its contents.
            flag: the option named in messages.

        Raises:
            OutputError: ``out`` is a file, is not empty (without ``overwrite``), or
                cannot be created or written.
        """
        if out is None:
            try:
                final, created = reserve_folder(default), True
            except OSError as exc:
                raise OutputError(f"cannot create an output folder under "
                                  f"{str(default.parent)!r}: {_why(exc)}") from None  # fmt: skip
        else:
            final = Path(out)
            if final.exists() and not final.is_dir():
                raise OutputError(f"{flag} {out}: exists and is not a folder")
            try:
                if not final.parent.is_dir():
                    final.parent.mkdir(parents=True)
                final.mkdir()
                created = True
            except FileExistsError:
                created = False
                if not final.is_dir():
                    raise OutputError(f"{flag} {out}: cannot create the folder: a file is in "
                                      "the way") from None  # fmt: skip
            except OSError as exc:
                raise OutputError(f"{flag} {out}: cannot create the folder: {_why(exc)}") from None
        replace = marked = False
        if not created:
            try:
                contents = [p.name for p in final.iterdir()]
            except OSError as exc:
                raise OutputError(f"{flag} {out}: cannot read the folder: {_why(exc)}") from None
            marked = MARKER in contents
            if contents and not (resume and marked):
                if not overwrite:
                    hint = " or --resume to finish it" if marked else ""
                    raise OutputError(f"{flag} {out}: the folder is not empty; pass --overwrite "
                                      f"to replace it{hint}")  # fmt: skip
                replace = True
        work = None
        try:
            work = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial",
                                         dir=final.parent))  # fmt: skip
            (work / ".write-test").write_bytes(b"ok")
            (work / ".write-test").unlink()
            if not replace:
                cls._mark(final / MARKER, exclusive=not marked)
        except FileExistsError:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            raise OutputError(f"{flag} {out}: another run is writing this folder") from None
        except OSError as exc:
            if work is not None:
                shutil.rmtree(work, ignore_errors=True)
            if created:
                shutil.rmtree(final, ignore_errors=True)
            raise OutputError(f"{flag} {out or final}: not writable: {_why(exc)}") from None
        return cls(final, work, created, replace, flag)

    @staticmethod
    def _mark(path: Path, exclusive: bool) -> None:
        text = (
            f"elecbay: process {os.getpid()} started writing this folder at "
            f"{time.strftime('%Y-%m-%d %H:%M:%S')}; it has not finished (or was interrupted), "
            "so the files here are not complete. Delete the folder or run again "
            "(--overwrite; the evaluator can --resume).\n"
        )
        flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
        fd = os.open(path, flags, 0o644)
        with os.fdopen(fd, "w") as f:
            f.write(text)

    def keep_path(self, name: str) -> Path:
        """Where to keep a file that must survive an interruption (e.g. a journal of
        finished work): in the claimed folder beside the marker; moved into the
        results at commit. With ``overwrite`` of a full folder: in the staging folder."""
        return (self.work if self.replace else self.final) / name

    def commit(self) -> Path:
        """Move the staged files into place; returns the final folder."""
        if self.replace:
            old = Path(tempfile.mkdtemp(prefix=f".{self.final.name}.", suffix=".old",
                                        dir=self.final.parent))  # fmt: skip
            os.rename(self.final, old / "previous")
            os.rename(self.work, self.final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            for item in self.final.iterdir():
                if item.name != MARKER and not (self.work / item.name).exists():
                    os.replace(item, self.work / item.name)
            (self.final / MARKER).unlink(missing_ok=True)
            try:
                os.replace(self.work, self.final)  # onto the empty claimed folder (POSIX)
            except OSError:
                self.final.rmdir()
                os.rename(self.work, self.final)
        self.done = True
        return self.final

    def abort(self) -> None:
        """Remove the staging folder; remove the claimed folder too if it holds nothing
        but the marker (else it stays, marked incomplete, e.g. to resume)."""
        shutil.rmtree(self.work, ignore_errors=True)
        if self.replace or self.done:
            return
        try:
            empty = [p for p in self.final.iterdir() if p.is_file() and p.stat().st_size == 0]
            for p in empty:
                p.unlink()
            kept = [p for p in self.final.iterdir() if p.name != MARKER]
            if not kept:
                (self.final / MARKER).unlink(missing_ok=True)
                if self.created:
                    self.final.rmdir()
        except OSError:
            pass

    def __enter__(self) -> SafeOutput:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.commit()
        else:
            self.abort()
