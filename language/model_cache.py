"""Trained language models kept on disk, so that a process does not train what another one already has.

Every web worker, the start-up check and each `flask` command that classifies would otherwise train
the intent model and the sentiment model from the shipped rules and corpora (4.4 s of CPU here, per
process: the largest part of a gunicorn start). The first process trains and writes what it
trained to `instance/model-cache/` (beside the SQLite file and gunicorn's control socket); the next
ones read it (0.25 s). A file's name holds a SHA-256 of everything the training reads: the data it
was given, the source of every module of this package (a change in how features are computed is a
change of model) and the Python version. So a changed rules file, corpus or code never meets an old
model, and deleting the folder costs one training.

The files are pickles, which run code when read, so one is read only from a folder owned by this
process's user and writable by nobody else, and only if the file itself is owned by that user and
writable by nobody else; anything else (or a file that cannot be read) is ignored and the model is
trained as if there were no cache. Writing is atomic (a temporary file renamed into place), so two
workers that start together both train, and neither ever reads half a file. A model that trains in
under half a second (a test's small rules) is not written.
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import TypeVar

logger = logging.getLogger(__name__)

PACKAGE = Path(__file__).resolve().parent
CACHE_DIR = PACKAGE.parent / "instance" / "model-cache"
WORTH_KEEPING = 0.5  # seconds of CPU: a model trained faster than this is not written
KEPT_PER_NAME = 8  # older files of one model are removed when a new one is written (4.4 MB each)

T = TypeVar("T")


@cache
def _code_fingerprint() -> bytes:
    """The source of every module of this package, and the interpreter's version."""
    digest = hashlib.sha256(sys.version.encode())
    for path in sorted(PACKAGE.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.digest()


def _private(path: Path) -> bool:
    """Whether `path` belongs to this process's user and nobody else may write to it."""
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _read(path: Path) -> object | None:
    try:
        if not (_private(path.parent) and _private(path)):
            logger.warning("model_cache.ignored", extra={"path": str(path), "reason": "not private to this user"})
            return None
        with path.open("rb") as handle:
            return pickle.load(handle)
    except FileNotFoundError:
        return None
    except Exception as error:  # a truncated or foreign file: train instead
        logger.warning("model_cache.unreadable", extra={"path": str(path), "error": type(error).__name__})
        return None


def _write(path: Path, name: str, value: object) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(path.parent):
            return
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
        try:
            with os.fdopen(handle, "wb") as output:
                pickle.dump(value, output, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        older = sorted((other for other in path.parent.glob(f"{name}-*.pickle") if other != path),
                       key=lambda other: other.stat().st_mtime, reverse=True)
        for other in older[KEPT_PER_NAME - 1:]:
            other.unlink(missing_ok=True)
    except OSError as error:  # a read-only install still works: it trains in every process
        logger.info("model_cache.not_written", extra={"path": str(path), "error": str(error)})


def trained(name: str, inputs: bytes, train: Callable[[], T], folder: Path | None = None) -> T:
    """The model `train()` returns for `inputs` (every byte it learns from), read from the cache when a
    process has trained it before, else trained now and written for the next process."""
    key = hashlib.sha256(_code_fingerprint() + hashlib.sha256(inputs).digest()).hexdigest()[:40]
    path = (folder or CACHE_DIR) / f"{name}-{key}.pickle"
    found = _read(path)
    if found is not None:
        return found  # type: ignore[return-value]
    started = time.process_time()
    model = train()
    if time.process_time() - started >= WORTH_KEEPING:
        _write(path, name, model)
        _return_freed_memory()
    return model


def _return_freed_memory() -> None:
    """Hand the pages that training and writing freed back to the system (glibc's `malloc_trim`).

    Python frees the corpus's feature strings and the pickler's tables, but glibc keeps the pages for
    reuse, resident in every web worker: 60.6 MiB of growth for the language code with them, 52.5 without
    (the test's probe, cold cache). Elsewhere than glibc this does nothing."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
