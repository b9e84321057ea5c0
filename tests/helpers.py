"""Shared test data: the example payloads shipped in examples/payloads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contract_kit.payload_files import read_values

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "payloads"
REFERENCE = ROOT / "openapi" / "vendor" / "twilio_flex_v1_interactions.yaml"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "twilio_flex_v1_interactions.yaml"
TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")
INITIATORS = ("customer", "agent", "api")


def load(path: Path) -> Any:
    """A shipped example's one payload, read as `contract-kit validate` reads the file (a `*.form`
    file is a raw body, as bytes: it may not be UTF-8)."""
    _, values = read_values(str(path))
    assert len(values) == 1, f"{path} holds {len(values)} payloads; an example holds one"
    return values[0]


def valid_cell(channel_type: str, initiated_by: str) -> Any:
    return load(EXAMPLES / "valid" / f"{channel_type}-{initiated_by}.json")


def invalid_examples() -> list[tuple[str, str, Path]]:
    """(operation, rule id, file) for every shipped invalid example."""
    found = [("CreateInteraction", p.stem, p) for p in sorted((EXAMPLES / "invalid").glob("*.json"))]
    for folder in sorted(p for p in EXAMPLES.iterdir() if p.is_dir() and p.name[0].isupper()):
        found += [
            (folder.name, p.stem.removeprefix("invalid-"), p)
            for p in sorted([*folder.glob("invalid-*.json"), *folder.glob("invalid-*.form")])
        ]
    return found
