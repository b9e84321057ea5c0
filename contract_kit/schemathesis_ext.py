"""Teach Schemathesis our realistic values, so its runs over the document draw what ours draw.

The document names its value kinds with `format` (`twilio-sid-WS`, `e164`, `whatsapp-address`,
`email`); `register_formats()` registers, for every such name the document uses, the strategy
of `contract_kit.strategies.values` with `schemathesis.openapi.format`. Schemathesis (through
hypothesis-jsonschema) uses a registered format's strategy and filters it by the node's
`pattern`, so our values, which already match, pass unfiltered. Schemathesis is imported here
only, when this is called: it is heavy.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from .contract import Contract, default_contract
from .strategies.values import ValueRegistry, default_registry


def register_formats(
    contract: Contract | None = None,
    *,
    fuzz: bool = False,
    registry: ValueRegistry | None = None,
    include_email: bool = True,
) -> list[str]:
    """Register our value strategies with Schemathesis; returns the format names registered.

    `include_email=False` leaves Schemathesis' own `email` format alone (it is process-wide).
    """
    import schemathesis

    contract = contract or default_contract()
    strategies = (registry or default_registry()).schemathesis_strategies(contract.document, fuzz=fuzz)
    names = [n for n in strategies if include_email or n != "email"]
    for name in names:
        schemathesis.openapi.format(name, strategies[name])
    return names


def unregister_formats(names: list[str]) -> None:
    """Undo `register_formats` (Schemathesis' built-in `email` comes back on its next import)."""
    from schemathesis.specs.openapi.formats import unregister_string_format

    for name in names:
        with suppress(ValueError):
            unregister_string_format(name)


@contextmanager
def formats_registered(contract: Contract | None = None, *, fuzz: bool = False) -> Iterator[list[str]]:
    """`register_formats` for the duration of a block (our own formats only, not `email`)."""
    names = register_formats(contract, fuzz=fuzz, include_email=False)
    try:
        yield names
    finally:
        unregister_formats(names)
