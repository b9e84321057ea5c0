"""A cache of parsed contract documents, so that commands do not read YAML at every start.

Importing the YAML reader and parsing the contract is most of the start-up of `contract-kit
validate` (run by pre-commit hooks on every commit). The parsed document is kept as JSON, which
the C decoder reads in a fraction of the time, in the user's cache directory, named by a hash
(BLAKE2b) of the document's text: an edited document has another name, so an entry is never
stale. An entry that is unreadable, corrupt or made for another text is ignored (the text is
parsed again and the entry rewritten); a directory that cannot be written means no cache, never
a failure.

`CONTRACT_KIT_CACHE_DIR` moves the cache; set to an empty value, it turns the cache off.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path
from typing import Any

try:  # hashlib's BLAKE2, without the OpenSSL binding hashlib loads first (2 ms of every start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without the builtin module
    from hashlib import blake2b

CACHE_ENV = "CONTRACT_KIT_CACHE_DIR"
_FORMAT = 1
"""Bumped whenever what an entry holds, or how a text is parsed, changes: old entries are ignored."""
_KEEP = 8
"""Entries kept; older ones are removed when a new one is written (tests load many documents)."""
_PREFIX = f"document-v{_FORMAT}-"


def cache_dir() -> Path | None:
    """Where entries live (None: the cache is off, or there is no home directory)."""
    override = os.environ.get(CACHE_ENV)
    if override is not None:
        return Path(override) if override else None
    try:
        if sys.platform == "win32":
            base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = Path.home() / "Library" / "Caches"
        else:
            xdg = os.environ.get("XDG_CACHE_HOME", "")
            base = Path(xdg) if os.path.isabs(xdg) else Path.home() / ".cache"
    except RuntimeError:  # no home directory to be found
        return None
    return base / "contract-kit"


def lookup(text: str) -> dict[str, Any] | None:
    """The document parsed from `text` earlier, if the cache holds a sound entry for it."""
    directory = cache_dir()
    if directory is None:
        return None
    digest = _digest(text)
    try:
        entry = json.loads((directory / f"{_PREFIX}{digest}.json").read_bytes())
    except (OSError, ValueError, RecursionError):
        return None
    if not (isinstance(entry, dict) and entry.get("format") == _FORMAT and entry.get("blake2b") == digest):
        return None
    document = entry.get("document")
    return document if isinstance(document, dict) else None


def store(text: str, document: Any) -> None:
    """Keep `document`, parsed from `text`, for the next process; quietly skipped when the document
    is not exactly representable in JSON (non-string keys, dates, NaN) or the cache is not writable."""
    directory = cache_dir()
    if directory is None or not isinstance(document, dict):
        return
    digest = _digest(text)
    try:
        data = json.dumps({"format": _FORMAT, "blake2b": digest, "document": document}, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return
    if json.loads(data)["document"] != document:  # e.g. an int key would come back a string
        return
    import tempfile

    target = directory / f"{_PREFIX}{digest}.json"
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".document-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
            os.replace(temporary, target)  # atomic: a reader sees no entry or a whole one
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
        _prune(directory, target)
    except OSError:
        return


def _digest(text: str) -> str:
    return blake2b(text.encode("utf-8", "surrogatepass"), digest_size=32).hexdigest()


def _prune(directory: Path, keep: Path) -> None:
    entries = []
    for path in directory.glob("document-*.json"):
        with contextlib.suppress(OSError):
            entries.append((path.stat().st_mtime, path))
    entries.sort(reverse=True)
    for _, path in entries[_KEEP:]:
        if path != keep:
            with contextlib.suppress(OSError):
                path.unlink()
