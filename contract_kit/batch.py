"""Validating many payload files at once, as the `validate` command and pre-commit do."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from .contract import DEFAULT_OPERATION, Contract
from .payload_files import PayloadFileError, expand_paths, read_values
from .validate import Report, validator_for

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Result:
    """The report on one payload, with its source (`<path>#<index>`)."""

    source: str
    report: Report

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, **self.report.to_dict()}


@dataclass
class BatchOutcome:
    """Every payload's result, and the paths that could not be checked (unreadable, or no payloads)."""

    operation: str
    results: list[Result] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)

    @property
    def invalid(self) -> list[Result]:
        return [r for r in self.results if not r.report.valid]

    def exit_code(self, *, strict: bool = False) -> int:
        """2 if a file was unreadable or there was no payload at all, else 1 if a payload broke a rule
        (or warned, when strict)."""
        if self.file_errors or not self.results:
            return EXIT_USAGE
        if self.invalid or (strict and any(r.report.warnings for r in self.results)):
            return EXIT_INVALID
        return EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        return {
            "operation": self.operation,
            "results": [r.to_dict() for r in self.results],
            "file_errors": list(self.file_errors),
        }


def validate_files(
    paths: Iterable[str],
    operation: str = DEFAULT_OPERATION,
    *,
    wire: bool = False,
    strict: bool = False,
    contract: Contract | None = None,
    stdin: BinaryIO | None = None,
) -> BatchOutcome:
    """Validate every payload of every file; unreadable files are recorded, not raised. With
    `strict`, rules of ours are errors too."""
    validate = validator_for(operation, contract).validate
    outcome = BatchOutcome(operation)
    for path in expand_paths(paths):
        if isinstance(path, PayloadFileError):
            outcome.file_errors.append(str(path))
            continue
        try:
            label, values = read_values(path, wire=wire, stdin=stdin)
        except PayloadFileError as exc:
            outcome.file_errors.append(str(exc))
            continue
        outcome.results += [Result(f"{label}#{i}", validate(v, strict=strict)) for i, v in enumerate(values)]
    return outcome
