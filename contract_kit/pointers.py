"""JSON pointers (RFC 6901): the one place that escapes and splits them."""

from __future__ import annotations

from collections.abc import Iterable


def escape(token: str | int) -> str:
    """One reference token, escaped (`~` -> `~0`, `/` -> `~1`)."""
    text = str(token)
    return text.replace("~", "~0").replace("/", "~1") if ("~" in text or "/" in text) else text


def join(*tokens: str | int) -> str:
    """`join("Channel", "properties")` -> `/Channel/properties`."""
    return from_path(tokens)


def from_path(path: Iterable[str | int] | None) -> str:
    """The pointer of an engine instance path (str keys, int indexes); `""` for the root."""
    if not path:
        return ""
    return "/" + "/".join([escape(t) if isinstance(t, str) else str(t) for t in path])


def tokens(pointer: str) -> list[str]:
    """The unescaped tokens of a pointer; a leading `#` (URI fragment form) is allowed."""
    if pointer in ("", "#"):
        return []
    body = pointer[1:] if pointer.startswith("#") else pointer
    return [t.replace("~1", "/").replace("~0", "~") for t in body.split("/")[1:]]
