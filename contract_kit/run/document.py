"""The view of the contract that Schemathesis generates from.

Schemathesis' generator cannot read conditional subschemas (`if`/`then`/`else`): it refuses the
whole CreateInteraction body. The engine view drops them, so Schemathesis generates the
unconditional shape (types, enums, patterns) and explores it; the verdict on every request it
sends still comes from the full contract (`checks.contract_verdict`), and the conditional rules
are exercised on purpose by `targeted`. Contact formats get the strategies' fictional values.

Generating from that looser shape, Schemathesis rarely hits a CreateInteraction the contract
accepts, so its stateful phase would rarely follow the document's links from a real create. The
view therefore also carries valid payloads as OpenAPI `examples` of the write operations' request
bodies: one per channel type x initiated_by cell for CreateInteraction, one for each other write
operation, drawn deterministically (by the run's seed) from `contract_kit.strategies`, in the
decoded shape the serializer puts on the wire. The examples phase sends them, positive fuzzing
and the stateful phase mix them in. Against a live account each is a real write, so the run caps
how many the view carries (`examples=`) and `safety.WriteGuard` counts them against the budget.
The document's own request-body examples (the shipped payloads, one per cell too) are replaced by
these, never added to them: a cell is sent once, and a capped view carries no write beyond the cap.
Its parameter examples (SIDs of resources no server holds) and response examples stay.

Schemathesis' stateful phase starts from the operations its dependency analysis trusts as entry
points, and it reads an optional `...Sid` body field of a create (CreateInteraction's
`InteractionContextSid`) as a reference to a resource no operation produces, so it would never
start from the create and never follow the links. The view leaves such optional fields out of the
create's `properties`; the targeted part still breaks their rules on purpose.

Request bodies are closed (`additionalProperties: false`) in the view. A field the operation does
not name breaks only a reading of ours (`request.unknown_field`), which the default mock enforces
and a lenient server ignores; left open, Schemathesis' positive data would carry such fields and
its stateful phase would stall at the first create. Closed, positive data is what every server
accepts, and negative data still sends unknown fields, judged by `checks.contract_verdict` (a
stricter reading of ours: accepted or rejected with 400, both conform).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from typing import Any

from .. import pointers
from ..contract import Contract, Operation

_CONDITIONAL = ("if", "then", "else")
FICTIONAL_FORMATS = {"E164": "e164", "WhatsAppAddress": "whatsapp-address"}
"""Component schema -> the strategies' format name whose values are fictional (555-01XX)."""


_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def engine_document(contract: Contract, *, seed: int = 0, examples: int | None = None) -> dict[str, Any]:
    """A deep copy of the document without conditional subschemas, contact formats tagged, and
    valid write payloads as request-body `examples` (at most `examples` of them; None: all)."""
    document: dict[str, Any] = _strip(copy.deepcopy(dict(contract.document)))
    for name, fmt in FICTIONAL_FORMATS.items():
        schema = _at(document, pointers.join("components", "schemas", name))
        if isinstance(schema, dict):
            schema["format"] = fmt
    for op in contract.operations.values():
        if op.method == "POST" and not op.path_parameters and op.body_pointer:
            _drop_optional_references(document, contract, op)
        if op.body_pointer:
            _close(_at(document, contract.deref_pointer(op.body_pointer)))
    budget = examples
    for op in contract.operations.values():
        chosen = valid_examples(contract, op.operation_id, seed)
        if budget is not None:
            chosen, budget = chosen[:budget], max(0, budget - len(chosen))
        media = _request_media(document, op)
        if isinstance(media, dict):
            media.pop("example", None)  # the document's own: the run's budget counts only its own
            media.pop("examples", None)
            if chosen:
                media["examples"] = {name: {"summary": f"valid {op.operation_id} ({name})", "value": payload}
                                     for name, payload in chosen}
    return document


@functools.lru_cache(maxsize=64)
def _valid_examples(contract: Contract, operation_id: str, seed: int) -> tuple[tuple[str, Any], ...]:
    from ..strategies import cells, generate, payloads

    op = contract.operation(operation_id)
    if op.method not in _WRITE_METHODS or not op.body_pointer:
        return ()
    if operation_id == "CreateInteraction":  # every channel type x initiated_by cell
        chosen = [(f"{c['type']}-{c['initiated_by']}", c) for c in cells(operation_id, contract)]
    else:
        chosen = [("valid", {})]
    out = []
    for name, pins in chosen:
        payload = generate(payloads(operation_id, pins=pins, contract=contract), count=1, seed=seed)[0]
        out.append((name, payload))
    return tuple(out)


def valid_examples(contract: Contract, operation_id: str, seed: int = 0) -> list[tuple[str, Any]]:
    """(name, decoded payload) of the valid examples a write operation's request body carries."""
    return copy.deepcopy(list(_valid_examples(contract, operation_id, seed)))


def _drop_optional_references(document: dict[str, Any], contract: Contract, op: Operation) -> None:
    schema = _at(document, contract.deref_pointer(op.body_pointer)) if op.body_pointer else None
    if not isinstance(schema, dict) or schema.get("additionalProperties") is False:
        return
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return
    required = set(schema.get("required") or ())
    for name in [n for n in properties if n.endswith("Sid") and n not in required]:
        del properties[name]


def _close(schema: Any) -> None:
    """`additionalProperties: false` on an object body schema that does not say otherwise."""
    if isinstance(schema, dict) and isinstance(schema.get("properties"), dict):
        schema.setdefault("additionalProperties", False)


def _request_media(document: dict[str, Any], op: Operation) -> Any:
    """The media type object of an operation's request body in `document` (the parent of the
    model's `body_pointer`). A request body shared through `components.requestBodies` would be
    shared here too; the document has none."""
    if not op.body_pointer:
        return None
    return _at(document, op.body_pointer.rsplit("/", 1)[0])


def _at(document: Any, pointer: str) -> Any:
    """The node at a JSON pointer in `document` (the engine view, not the contract); None if absent."""
    node = document
    for token in pointers.tokens(pointer):
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    return node


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
