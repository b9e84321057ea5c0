"""The view of the contract that Schemathesis generates from.

Schemathesis' generator cannot read conditional subschemas (`if`/`then`/`else`): it refuses the
whole CreateInteraction body. The engine view drops them, so Schemathesis generates the
unconditional shape (types, enums, patterns) and explores it; the verdict on every request it
sends still comes from the full contract (`checks.contract_verdict`), and the conditional rules
are exercised on purpose by `targeted`. Contact formats get the strategies' fictional values.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..contract import Contract

_CONDITIONAL = ("if", "then", "else")
FICTIONAL_FORMATS = {"E164": "e164", "WhatsAppAddress": "whatsapp-address"}
"""Component schema -> the strategies' format name whose values are fictional (555-01XX)."""


def engine_document(contract: Contract) -> dict[str, Any]:
    """A deep copy of the document without conditional subschemas, contact formats tagged."""
    document: dict[str, Any] = _strip(copy.deepcopy(dict(contract.document)))
    schemas = document.get("components", {}).get("schemas", {})
    for name, fmt in FICTIONAL_FORMATS.items():
        if isinstance(schemas.get(name), dict):
            schemas[name]["format"] = fmt
    return document


def _strip(node: Any) -> Any:
    if isinstance(node, list):
        return [_strip(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _CONDITIONAL:
            continue
        if key == "allOf" and isinstance(value, list):
            kept = [_strip(item) for item in value if not (isinstance(item, Mapping) and "if" in item)]
            if kept:
                out[key] = kept
            continue
        out[key] = _strip(value)
    return out


def register_formats(document: Mapping[str, Any], *, fuzz: bool = False) -> list[str]:
    """Give Schemathesis the strategies' realistic values for the formats the document uses."""
    import schemathesis

    from ..strategies import default_registry

    names = []
    for name, strategy in default_registry().schemathesis_strategies(document, fuzz=fuzz).items():
        schemathesis.openapi.format(name, strategy)
        names.append(name)
    return names
