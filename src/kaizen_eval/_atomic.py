r"""Writes that are never half-done, mixed or silently overwritten.

Three tools, used by every writer of the package (reports, assignments, plans' outputs):

:func:`atomic_file`
    A context manager that yields a temporary sibling path (same folder, same suffix); when the
    block ends without an exception the file is flushed to disk and renamed onto the target
    (``os.replace``), so readers see either the old file or the complete new one. Without
    ``overwrite`` an existing target is refused (:class:`OutputExistsError`), also when another
    process creates it while the block runs (the final step is ``os.link``, which cannot
    replace a file).
:func:`atomic_folder`
    The same for a folder: the content is built in a temporary sibling folder, which is renamed
    onto the target at the end. An existing non-empty target is refused without ``overwrite``;
    with it the two folders are swapped in one step where the system allows it (Linux), else
    the old folder is moved aside first; it is removed once the new one is in place.
:func:`exclusive_lock`
    An exclusive inter-process lock on a sibling ``.NAME.lock`` file (``fcntl.flock`` where
    available, so a killed process never leaves a stale lock; ``O_CREAT | O_EXCL`` elsewhere),
    waiting up to ``timeout`` seconds, then :class:`OutputLockedError`.

Examples
--------
>>> import pathlib, tempfile
>>> target = pathlib.Path(tempfile.mkdtemp()) / "table.csv"
>>> with atomic_file(target) as tmp:
...     _ = tmp.write_text("a,b\n1,2\n")
>>> target.read_text()
'a,b\n1,2\n'
>>> with atomic_file(target) as tmp:
...     _ = tmp.write_text("changed")
Traceback (most recent call last):
...
kaizen_eval._atomic.OutputExistsError: ... already exists; pass overwrite=True ...

How a table writer uses it (``waves.io.write_table``, after the PII check)::

    with atomic_file(path, overwrite=True) as tmp:   # keep write_table's replace semantics
        df.to_parquet(tmp, index=False)               # or df.to_csv(tmp, index=False)
    return path
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from kaizen_eval._validation import KaizenError

try:  # POSIX: the kernel releases the lock when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "OutputExistsError",
    "OutputLockedError",
    "atomic_file",
    "atomic_folder",
    "atomic_write_text",
    "exclusive_lock",
    "sweep_leftovers",
]

#: How long :func:`exclusive_lock` waits for another process by default (seconds).
LOCK_TIMEOUT = 60.0


class OutputExistsError(KaizenError):
    """The output file or folder exists and replacing it was not asked for."""


class OutputLockedError(KaizenError):
    """Another process is writing the same output (its lock was not released in time)."""


def _tmp_name(target: Path, kind: str, suffix: str = "") -> Path:
    """Return a hidden sibling of ``target``, unique per process and call."""
    unique = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return target.with_name(f".{target.name}.{kind}-{unique}{suffix}")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):  # exists (another user's), or cannot tell: keep
        return True
    return True


def sweep_leftovers(target: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary siblings of ``target`` left by processes that no longer run.

    A process killed while building a file or folder leaves its hidden
    ``.NAME.tmp-PID-XXXX`` (or ``.NAME.old-PID-XXXX``) sibling behind; the target itself is
    untouched. Every writer here sweeps before writing; returns what was removed.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> sweep_leftovers(pathlib.Path(tempfile.mkdtemp()) / "report")
    []
    """
    target = Path(target)
    removed = []
    if not target.parent.is_dir():
        return removed
    for kind in ("tmp", "old"):
        for p in target.parent.glob(f".{glob.escape(target.name)}.{kind}-*"):
            pid_text = p.name[len(target.name) + len(kind) + 3 :].split("-", 1)[0]
            if not pid_text.isdigit() or _alive(int(pid_text)):
                continue
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    p.unlink()
            removed.append(p)
    return removed


def _fsync_dir(folder: Path) -> None:
    if sys.platform.startswith("win"):  # pragma: no cover
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exists_error(target: Path, flag: str) -> OutputExistsError:
    return OutputExistsError(
        f"{str(target)!r} already exists; pass {flag} to replace it, or choose a new path. "
        "Nothing was written."
    )


@contextlib.contextmanager
def atomic_file(
    path: str | os.PathLike[str], *, overwrite: bool = False, flag: str = "overwrite=True"
) -> Iterator[Path]:
    """Yield a temporary path to write; rename it onto ``path`` if the block succeeds.

    Parameters
    ----------
    path : str or path-like
        The target file. Its folder is created if needed.
    overwrite : bool
        Replace an existing target. Default ``False``: an existing target is an
        :class:`OutputExistsError`, checked before the block and again at the final step.
    flag : str
        How the caller spells "overwrite" in the message (``"--force"`` on the command line).

    Yields
    ------
    pathlib.Path
        A hidden sibling of ``path`` ending in the same suffix (so writers that choose the
        format by suffix keep working). It is removed if the block raises.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``overwrite`` is false.
    """
    target = Path(path)
    if target.is_symlink():  # write the file the link points to, keep the link
        target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not overwrite and target.exists():
        raise _exists_error(target, flag)
    sweep_leftovers(target)
    tmp = _tmp_name(target, "tmp", target.suffix)
    try:
        yield tmp
        if not tmp.exists():
            raise KaizenError(f"internal: nothing was written for {str(target)!r}.")
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if another process created the target meanwhile
            except FileExistsError:
                raise _exists_error(target, flag) from None
            except OSError as err:  # file systems without hard links
                if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                    raise
                if target.exists():
                    raise _exists_error(target, flag) from None
                os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def atomic_write_text(
    path: str | os.PathLike[str], text: str, *, overwrite: bool = False, encoding: str = "utf-8"
) -> Path:
    """Write ``text`` to ``path`` atomically (see :func:`atomic_file`); return the path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "note.txt"
    >>> atomic_write_text(p, "hello").read_text()
    'hello'
    """
    with atomic_file(path, overwrite=overwrite) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); return ``False`` if unsupported."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    rc = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    return rc == 0


def _is_empty_dir(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


@contextlib.contextmanager
def atomic_folder(
    path: str | os.PathLike[str], *, overwrite: bool = False, flag: str = "overwrite=True"
) -> Iterator[Path]:
    """Yield a temporary sibling folder to fill; it becomes ``path`` if the block succeeds.

    The target appears only by the final rename, so a reader never sees a half-built folder,
    and a run that fails or is killed leaves the previous folder (or nothing) in place. The
    final step runs under :func:`exclusive_lock`, so of two processes racing for one target
    without ``overwrite`` exactly one wins and the other gets :class:`OutputExistsError`.

    Parameters
    ----------
    path : str or path-like
        The target folder. An existing *empty* folder counts as absent.
    overwrite : bool
        Replace an existing non-empty folder (it is moved aside, the new one renamed in, then
        the old one removed). Default ``False``: such a folder is an :class:`OutputExistsError`.
    flag : str
        How the caller spells "overwrite" in the message.

    Yields
    ------
    pathlib.Path
        The temporary folder (removed if the block raises).

    Raises
    ------
    OutputExistsError
        ``path`` exists, is not an empty folder, and ``overwrite`` is false.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "report"
    >>> with atomic_folder(out) as tmp:
    ...     _ = (tmp / "index.html").write_text("<p>done</p>")
    >>> sorted(p.name for p in out.iterdir())
    ['index.html']
    """
    target = Path(path)
    if target.is_symlink():  # replace the folder the link points to, keep the link
        target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists() and not target.is_dir():
        raise OutputExistsError(
            f"{str(target)!r} exists and is a file, not a folder; choose another output folder."
        )
    if not overwrite and target.exists() and not _is_empty_dir(target):
        raise _exists_error(target, flag)
    sweep_leftovers(target)
    tmp = _tmp_name(target, "tmp")
    tmp.mkdir()
    old: Path | None = None
    try:
        yield tmp
        with exclusive_lock(target):
            if target.exists() and not _is_empty_dir(target):
                if not overwrite:
                    raise _exists_error(target, flag)
                if _exchange(tmp, target):  # readers see the old or the new folder, never none
                    old = tmp
                else:
                    old = _tmp_name(target, "old")
                    os.rename(target, old)
                    os.rename(tmp, target)
            else:
                if target.exists():
                    target.rmdir()
                os.rename(tmp, target)
            _fsync_dir(target.parent)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def exclusive_lock(
    path: str | os.PathLike[str], *, timeout: float = LOCK_TIMEOUT
) -> Iterator[Path]:
    """Hold an exclusive inter-process lock for ``path`` while the block runs.

    The lock is the hidden file ``.NAME.lock`` beside ``path``; it is removed on release.

    Parameters
    ----------
    path : str or path-like
        What is being written (a file or a folder; it need not exist).
    timeout : float
        Seconds to wait for another holder before giving up.

    Yields
    ------
    pathlib.Path
        The lock file.

    Raises
    ------
    OutputLockedError
        Another process held the lock for longer than ``timeout``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "assignment.parquet"
    >>> with exclusive_lock(p) as lock:
    ...     lock.name
    '.assignment.parquet.lock'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.with_name(f".{target.name}.lock")
    deadline = time.monotonic() + timeout
    if fcntl is None:  # pragma: no cover - Windows
        while True:
            try:
                fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
                break
            except FileExistsError:
                if time.monotonic() > deadline:
                    raise _locked_error(target, lock) from None
                time.sleep(0.05)
        try:
            yield lock
        finally:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                lock.unlink()
        return
    while True:
        fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            if time.monotonic() > deadline:
                raise _locked_error(target, lock) from None
            time.sleep(0.02)
            continue
        try:  # the holder before us may have removed the file: lock the one on disk
            same = os.path.samestat(os.fstat(fd), os.stat(lock))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        yield lock
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        os.close(fd)  # closing releases the flock


def _locked_error(target: Path, lock: Path) -> OutputLockedError:
    return OutputLockedError(
        f"another process is writing {str(target)!r} (lock {str(lock)!r}); wait for it to "
        "finish, or write to another path."
    )
