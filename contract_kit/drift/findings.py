"""Findings of a drift comparison: one vendor fact our contract no longer agrees with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["looser", "stricter", "different"]
LOOSER: Direction = "looser"
STRICTER: Direction = "stricter"
DIFFERENT: Direction = "different"


class DriftInputError(Exception):
    """The vendor document cannot be read, or is not an OpenAPI 3 document covering our operations."""


@dataclass(frozen=True)
class Finding:
    """One vendor fact our contract no longer agrees with."""

    kind: str
    direction: Direction
    operation_id: str
    vendor_pointer: str | None
    contract_pointer: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "direction": self.direction,
            "operation_id": self.operation_id,
            "vendor_pointer": self.vendor_pointer,
            "contract_pointer": self.contract_pointer,
            "message": self.message,
        }


@dataclass(frozen=True)
class DriftReport:
    """The findings of one comparison, and what was compared."""

    vendor_source: str
    contract_source: str
    operations: tuple[str, ...]
    findings: tuple[Finding, ...]

    @property
    def drifted(self) -> bool:
        return bool(self.findings)

    @property
    def exit_code(self) -> int:
        """0 when the contract honours the vendor document, 1 when it needs a look."""
        return 1 if self.findings else 0

    def count(self, direction: Direction) -> int:
        return sum(1 for f in self.findings if f.direction == direction)

    def to_dict(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor_source,
            "contract": self.contract_source,
            "operations": list(self.operations),
            "drift": self.drifted,
            "exit_code": self.exit_code,
            "summary": {d: self.count(d) for d in (LOOSER, STRICTER, DIFFERENT)},
            "findings": [f.to_dict() for f in self.findings],
        }
