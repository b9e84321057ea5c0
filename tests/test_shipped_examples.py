"""Every shipped payload file, read as `contract-kit validate` reads it, gets the verdict its name documents.

The names are the documentation: `valid/…` and `valid.*` hold valid payloads, `invalid/<rule>.*` and
`invalid-<rule>.*` payloads that break `<rule>`, and the folder a file sits in (an operationId, or
none for CreateInteraction) says what they are for. A file this test cannot place fails it, so a new
example has to say what it shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import EXAMPLES

from contract_kit import default_contract
from contract_kit.batch import BatchOutcome, validate_files
from contract_kit.payload_files import PAYLOAD_SUFFIXES

CONTRACT = default_contract()
OTHERS = {
    # (file, index) -> the rule it breaks, or None for valid: what the README and the file's comment say.
    ("crm-click-to-sms.yaml", 0): None,
    ("crm-click-to-sms.yaml", 1): "routing.agent",
    ("wire/sms-agent.form", 0): None,
    ("wire/sms-agent.sdk.json", 0): None,
    ("wire/sms-agent.wire.json", 0): None,
}
FILES = sorted(p for p in EXAMPLES.rglob("*") if p.is_file() and p.suffix in PAYLOAD_SUFFIXES)


def _documented(path: Path, index: int) -> tuple[str, str | None]:
    """(operation, rule broken or None) that the file's place and name document."""
    relative = path.relative_to(EXAMPLES)
    folder = relative.parts[0] if len(relative.parts) > 1 else ""
    operation = folder if folder in CONTRACT.operations else "CreateInteraction"
    stem = path.name.removesuffix(path.suffix)
    if folder == "valid" or stem == "valid":
        return operation, None
    if folder == "invalid":
        return operation, stem
    if stem.startswith("invalid-"):
        return operation, stem.removeprefix("invalid-")
    key = (relative.as_posix(), index)
    assert key in OTHERS, f"{relative}: its name documents no verdict (valid…, invalid-<rule>…)"
    return operation, OTHERS[key]


def _check(path: Path, operation: str, strict: bool) -> BatchOutcome:
    outcome = validate_files([str(path)], operation, strict=strict)
    assert not outcome.file_errors, outcome.file_errors
    assert outcome.results, f"{path}: no payloads"
    return outcome


@pytest.mark.parametrize("strict", [False, True], ids=["default", "strict"])
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_a_shipped_example_gets_the_verdict_its_name_documents(path: Path, strict: bool) -> None:
    """A rule of ours is a warning by default and an error with --strict; a vendor rule always an error."""
    operation, _ = _documented(path, 0)
    for index, result in enumerate(_check(path, operation, strict).results):
        _, rule_id = _documented(path, index)
        reported = sorted((v.rule, v.severity) for v in result.report.violations)
        if rule_id is None:
            assert result.report.valid, (result.source, reported)
            continue
        assert rule_id in CONTRACT.rules, f"{path}: names {rule_id!r}, which the contract does not define"
        severity = CONTRACT.rules[rule_id].severity_for(strict)
        assert (rule_id, severity) in reported, (result.source, reported)
        assert result.report.valid is (severity != "error"), (result.source, reported)


def test_every_operation_with_a_request_has_a_valid_example() -> None:
    with_valid = {_documented(p, 0)[0] for p in FILES if _documented(p, 0)[1] is None}
    assert with_valid == {op.operation_id for op in CONTRACT.operations.values() if op.has_request}
