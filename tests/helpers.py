"""Shared test data: the example payloads shipped in examples/payloads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "payloads"
REFERENCE = ROOT / "openapi" / "vendor" / "twilio_flex_v1_interactions.yaml"
SHARED_REFERENCE = ROOT.parent / "shared" / "reference" / "twilio_flex_v1_interactions.yaml"
TYPES = ("sms", "whatsapp", "web", "chat", "email", "messenger", "gbm")
INITIATORS = ("customer", "agent", "api")


def load(path: Path) -> Any:
    """A shipped payload: JSON, or a raw form body (`*.form`, as bytes: it may not be UTF-8)."""
    if path.suffix == ".form":
        return path.read_bytes()
    return json.loads(path.read_text(encoding="utf-8"))


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
