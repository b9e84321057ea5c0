"""Reading payload files: JSON, YAML (safe loading only), raw urlencoded bodies and stdin.

A file holds one payload or a non-empty list of payloads (so a payload that is itself a list is
written `[[...]]`). A file that cannot be read or parsed is a
`PayloadFileError` naming the file, so a batch can report it and go on with the others.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

FORM_SUFFIXES = frozenset({".form"})
PAYLOAD_SUFFIXES = frozenset({".json", ".yaml", ".yml", ".form"})
STDIN = "-"


class PayloadFileError(Exception):
    """A payload file that cannot be read or parsed; the message names the file."""


@dataclass(frozen=True, slots=True)
class Payload:
    """One payload and where it came from (`<path>#<index>`)."""

    source: str
    value: Any


def expand_paths(paths: Iterable[str]) -> Iterator[str | PayloadFileError]:
    """Files as given; directories expand to the payload files beneath them, sorted. A directory
    with none is an error in its place: checking nothing must not read as a pass."""
    for raw in paths:
        path = Path(raw)
        if raw != STDIN and path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and p.suffix in PAYLOAD_SUFFIXES)
            if not found:
                kinds = ", ".join(f"*{s}" for s in sorted(PAYLOAD_SUFFIXES))
                yield PayloadFileError(f"{raw}: no payloads found: the directory holds no payload files ({kinds})")
            yield from found
        else:
            yield raw


def read_payloads(path: str, *, wire: bool = False, stdin: BinaryIO | None = None) -> list[Payload]:
    """The payloads of one file (`-` is standard input)."""
    label, items = read_values(path, wire=wire, stdin=stdin)
    return [Payload(f"{label}#{i}", item) for i, item in enumerate(items)]


def read_values(path: str, *, wire: bool = False, stdin: BinaryIO | None = None) -> tuple[str, list[Any]]:
    """The label of one file (its path, or `<stdin>`) and its payloads, in order: payload `i` is
    `<label>#<i>`. What `read_payloads` returns, without an object per payload (a batch of tens of
    thousands builds its own)."""
    label = "<stdin>" if path == STDIN else path
    try:
        data = (stdin or sys.stdin.buffer).read() if path == STDIN else Path(path).read_bytes()
    except OSError as exc:
        raise PayloadFileError(f"{label}: cannot read: {exc.strerror or exc}") from exc
    if wire or Path(path).suffix in FORM_SUFFIXES:
        return label, [data.strip(b"\r\n")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PayloadFileError(f"{label}: not UTF-8 text (byte {exc.start}); is it a .form body?") from exc
    document = _parse(text, label, Path(path).suffix)
    if document == []:
        raise PayloadFileError(
            f"{label}: no payloads found: the file holds an empty list (a payload that is itself a list is"
            " written [[...]])"
        )
    return label, document if isinstance(document, list) else [document]


def _parse(text: str, label: str, suffix: str) -> Any:
    if not text.strip():
        raise PayloadFileError(f"{label}: the file is empty; it should hold a payload or a list of them")
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip()[:1] in "[{"):
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            if suffix == ".json":
                raise PayloadFileError(f"{label}: not valid JSON: {exc}") from exc
    from .yamlload import YamlError, load_yaml

    try:
        return load_yaml(text, label)
    except YamlError as exc:
        raise PayloadFileError(str(exc)) from exc
