"""Vendor drift: does our contract still honour what the vendor's published OpenAPI document says?

The vendor changes `twilio_flex_v1.yaml` without notice (the Interactions creates answered 201 until
September 2025, 200 since). `compare(vendor_document)` reads both documents, pairs the operations our
contract covers (the paths under the common prefix of the contract's paths, `/v1/Interactions`) and
reports every vendor fact our contract no longer honours, and every fact of ours the vendor dropped.

How the comparison works (everything derives from the two documents):

* operations pair by `operationId` (then by method and path); parameters by `in` and `name`; request
  bodies and responses by media type and status; schemas by property name, `items` and the merged
  unconditional `allOf` members, after following `$ref`s on both sides;
* 3.0 and 3.1 are normalised: `nullable` and `type: [x, 'null']` and a `oneOf` with a `null` branch all
  mean "x or null", and nullability itself is not compared (our responses are deliberately non-null
  where the vendor marks everything nullable); `const` counts as a one-value `enum`;
* the JSON Schema keywords compared are `type`, `enum`/`const`, `pattern`, the numeric bounds
  (`minLength`, `maxLength`, `minimum`, ...), `required`, `properties` and `items`: a vocabulary of the
  specification, never a list of the vendor's fields;
* our contract is deliberately richer, so a constraint only we declare is reported only where the
  vendor types the same node and leaves the constraint out (the vendor leaves `Channel` and `Routing`
  untyped: everything we say about them is ours to say); `required` members only we list are reported
  at a request body's top level, or where the vendor lists `required` itself; extra error responses
  are not success statuses and are ignored; extra success statuses (201 beside 200 for the creates)
  are a tolerance while we still share one with the vendor;
* two differing patterns are told apart by a witness: a string one accepts and the other rejects,
  searched for with Hypothesis (`from_regex`), so a finding says "ours accepts 'KDAB…', the vendor's
  rejects it" instead of just "changed".

Each `Finding` says whether our contract is now *looser* (it accepts what the vendor no longer
documents), *stricter* (it rejects what the vendor now documents) or merely *different*, with the
JSON pointer in each document (None where that document has no such node).

Why no diff library: the Python OpenAPI diff packages on PyPI (api-schema-diff, openapispecdiff,
schemawatch, openapi-lens, ...) are young single-author projects or unmaintained (openapispecdiff: 2022,
pins openapi-core 0.13), compare two versions of *one* document for "breaking or not" rather than a
richer contract against a sparser vendor document, do not normalise 3.0 `nullable` against 3.1 type
lists, and ignore patterns and length bounds. The maintained tools (oasdiff, openapi-changes) are Go
binaries. A short derived comparison is easier to trust here than any of them bent to fit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..contract import Contract, UnknownOperationError, default_contract
from .comparison import _Comparison
from .documents import (
    _check_openapi,
    _common_prefix,
    _contract_operations,
    _ContractDocument,
    _Document,
    _operations,
    _parse,
)
from .findings import DIFFERENT, LOOSER, STRICTER, Direction, DriftInputError, DriftReport, Finding

__all__ = [
    "DIFFERENT",
    "LOOSER",
    "STRICTER",
    "Direction",
    "DriftInputError",
    "DriftReport",
    "Finding",
    "check_drift",
    "compare",
    "load_vendor_document",
    "render_text",
]


# -- public API -------------------------------------------------------------------------------------
def load_vendor_document(path: str | Path) -> dict[str, Any]:
    """Read a vendor OpenAPI 3 document, JSON or YAML (safe loading), or raise DriftInputError."""
    target = Path(path)
    try:
        text = target.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DriftInputError(f"cannot read {target}: {exc}") from exc
    document = _parse(text, str(target))
    _check_openapi(document, str(target))
    return document


def check_drift(
    vendor_path: str | Path,
    contract: Contract | None = None,
    operation_ids: Iterable[str] | None = None,
) -> DriftReport:
    """Load the vendor document at `vendor_path` and compare it with the contract."""
    return compare(load_vendor_document(vendor_path), contract, operation_ids, str(vendor_path))


def compare(
    vendor: Mapping[str, Any],
    contract: Contract | None = None,
    operation_ids: Iterable[str] | None = None,
    vendor_source: str = "<memory>",
) -> DriftReport:
    """Compare a vendor OpenAPI document with the contract on the contract's operations.

    `operation_ids` limits the report to those operations; an id neither document declares raises
    `UnknownOperationError`. A document with no operation under the contract's path prefix raises
    `DriftInputError` (it is not the document this contract derives from).
    """
    _check_openapi(vendor, vendor_source)
    contract = contract if contract is not None else default_contract()
    ours_doc = _ContractDocument(contract)
    vendor_doc = _Document(vendor)
    prefix = _common_prefix(sorted({op.path for op in contract.operations.values()}))
    ours_ops = _contract_operations(contract, prefix)
    vendor_ops = _operations(vendor_doc, prefix)
    if not vendor_ops:
        raise DriftInputError(
            f"{vendor_source}: declares no operation under {'/' + '/'.join(prefix)}; "
            "is it the vendor's Flex v1 document (or its Interactions part)?"
        )
    known = sorted(set(ours_ops) | set(vendor_ops))
    wanted = None if operation_ids is None else list(dict.fromkeys(operation_ids))
    for operation_id in wanted or ():
        if operation_id not in known:
            raise UnknownOperationError(operation_id, known)
    comparison = _Comparison(vendor_doc, ours_doc)
    comparison.operations(vendor_ops, ours_ops)
    selected = wanted or known
    findings = tuple(f for f in comparison.findings if f.operation_id in selected)
    return DriftReport(vendor_source, contract.source, tuple(selected), findings)


def render_text(report: DriftReport) -> str:
    """The report as a person reads it in a terminal or a CI log."""
    lines = [f"vendor:   {report.vendor_source}", f"contract: {report.contract_source}", ""]
    if not report.findings:
        lines.append(f"no drift: the contract honours the vendor document on {len(report.operations)} operation(s)")
        return "\n".join(lines)
    for finding in report.findings:
        lines.append(f"[{finding.direction}] {finding.kind} ({finding.operation_id})")
        lines.append(f"  {finding.message}")
        lines.append(f"  vendor:   {finding.vendor_pointer or '(absent)'}")
        lines.append(f"  contract: {finding.contract_pointer or '(absent)'}")
    lines.append("")
    lines.append(
        f"{len(report.findings)} finding(s): {report.count(LOOSER)} looser, "
        f"{report.count(STRICTER)} stricter, {report.count(DIFFERENT)} different; the contract needs a look"
    )
    return "\n".join(lines)
