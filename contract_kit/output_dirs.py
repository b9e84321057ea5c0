"""Output directories are checked before any work: a run must not spend minutes and then fail to
write its report (CI would read that exit as contract failures)."""

from __future__ import annotations

import tempfile
from pathlib import Path


class OutputDirError(Exception):
    """A directory a report or a cassette cannot be written to; the message names the option and the path."""


def ensure_writable_dir(path: str, option: str) -> Path:
    """Create `path` if needed and prove a file can be written in it (the probe is removed)."""
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".contract-kit-probe-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputDirError(f"{option} {path}: cannot write there ({reason}); choose a writable directory") from None
    return directory
