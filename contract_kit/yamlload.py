"""The one YAML reader: safe, and bounded, for every file contract-kit reads.

Payload files, the contract, cassettes and vendor documents all come through `load_yaml`. It
uses PyYAML's safe loader (the C one when present) and refuses what would make a small file
expensive to use: a document whose aliases add more than `MAX_EXPANDED_NODES` nodes (a
"billion laughs" bomb is a few hundred bytes of `&a [*a, *a, ...]`; PyYAML shares the aliased
objects, so loading is cheap, but every consumer that walks or copies the data pays the full
expansion), and texts larger than `MAX_BYTES`. JSON is YAML, so JSON files are read the same way.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_EXPANDED_NODES = 1_000_000
"""Nodes a document's aliases may add once written out, beyond the nodes the text holds itself (the
contract has no alias; a large cassette has none and may hold millions of nodes of its own)."""
MAX_BYTES = 64 * 1024 * 1024


class YamlError(ValueError):
    """A YAML/JSON text that cannot be read, or that is refused as too costly to read."""


def load_yaml(text: str | bytes, source: str = "<text>") -> Any:
    """The data of one YAML (or JSON) text; `YamlError` naming `source` when it is unreadable or refused."""
    if len(text) > MAX_BYTES:
        raise YamlError(f"{source}: refused: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _alias_expansion(node) > MAX_EXPANDED_NODES:
            raise YamlError(
                f"{source}: refused: its aliases expand to more than {MAX_EXPANDED_NODES:,} values "
                "(an alias bomb?); write the values out instead of repeating *aliases"
            )
        return loader.construct_document(node)
    except YamlError:
        raise
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise YamlError(f"{source}: not valid JSON or YAML{_where(exc)}: {_reason(exc)}") from exc
    finally:
        loader.dispose()


def _alias_expansion(root: yaml.Node) -> int:
    """How many nodes writing every alias out adds to the document (shared nodes counted per use,
    minus the nodes the text holds); stops counting past `MAX_EXPANDED_NODES`."""
    sizes: dict[int, int] = {}
    order: list[yaml.Node] = []
    stack: list[yaml.Node] = [root]
    visiting: set[int] = set()
    while stack:  # post-order without recursion: a deep document must not exhaust the stack
        node = stack.pop()
        key = id(node)
        if key in sizes:
            continue
        if key in visiting:
            order.append(node)
            sizes[key] = -1
            continue
        visiting.add(key)
        stack.append(node)
        stack.extend(_children(node))
    # `order` lists each node after all its children: sum them up
    distinct = len(order)
    limit = distinct + MAX_EXPANDED_NODES
    for node in order:
        total = 1
        for child in _children(node):
            total += max(sizes.get(id(child), 1), 1)
            if total > limit:
                return total - distinct
        sizes[id(node)] = total
    return sizes.get(id(root), 1) - distinct


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _where(exc: BaseException) -> str:
    mark = getattr(exc, "problem_mark", None)
    return f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    problem = getattr(exc, "problem", None)
    return " ".join(str(problem or exc).split())[:300]
