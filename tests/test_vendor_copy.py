"""The vendored copy of the vendor's document: exactly what `openapi/vendor/extract.py` cuts out of
the published source recorded beside it, byte for byte."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import yaml
from helpers import REFERENCE, ROOT

VENDOR = ROOT / "openapi" / "vendor"
SHARED_NAMES = [base / "shared" / "reference" / REFERENCE.name for base in (ROOT.parent, ROOT.parent.parent)]
RESTORED = ("components", "schemas", "interaction_transfer_enum_transfer_type", "description")
"""What the hand-cut copy of /work/shared/reference lost: its line range stopped one line short."""


@pytest.fixture(scope="module")
def extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("vendor_extract", VENDOR / "extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def source_text(extractor: ModuleType) -> str:
    text: str = extractor.SOURCE.read_text(encoding="utf-8")
    return text


def test_the_source_is_the_one_recorded(extractor: ModuleType) -> None:
    metadata = extractor.load_metadata()
    assert metadata["repository"] == "twilio/twilio-oai" and metadata["path"] == "spec/yaml/twilio_flex_v1.yaml"
    assert len(metadata["commit"]) == 40
    assert hashlib.sha256(extractor.SOURCE.read_bytes()).hexdigest() == metadata["sha256"]


def test_the_copy_is_what_the_script_cuts_from_the_source(extractor: ModuleType, source_text: str) -> None:
    expected = extractor.extract(source_text, extractor.load_metadata())
    assert REFERENCE.read_bytes() == expected.encode("utf-8")
    assert extractor.main(["--check"]) == 0


def test_every_block_is_the_source_text_and_the_copy_parses_to_the_selection(
    extractor: ModuleType, source_text: str
) -> None:
    copy = REFERENCE.read_text(encoding="utf-8")
    for block in extractor.blocks(source_text):
        assert source_text[block.start : block.end] in copy
        assert source_text.count("\n", 0, block.start) + 1 == block.first_line
    parsed = yaml.safe_load(copy)
    assert parsed == extractor.selected(yaml.safe_load(source_text))
    schemas = parsed["components"]["schemas"]
    assert {n for n in schemas if not n.startswith(("flex.v1.interaction", "interaction_"))} == set()
    assert len(parsed["paths"]) == 9 and all(p.startswith("/v1/Interactions") for p in parsed["paths"])
    assert _at(parsed, RESTORED) == "The type of the Transfer. Can be: `cold`, `warm`."


def test_the_copy_agrees_with_the_shared_reference_but_for_what_it_dropped() -> None:
    shared = next((p for p in SHARED_NAMES if p.exists()), None)
    if shared is None:
        pytest.skip("the shared reference is not beside this checkout")
    ours, theirs = yaml.safe_load(REFERENCE.read_text(encoding="utf-8")), yaml.safe_load(shared.read_text("utf-8"))
    assert sorted(_differences(ours, theirs)) == [RESTORED]


def test_the_cut_follows_the_yaml_structure_not_line_numbers(extractor: ModuleType) -> None:
    source = (
        "components:\n"
        "  schemas:\n"
        "    flex.v1.plugin:\n      type: object\n"
        "    interaction_new_enum:\n      type: string\n      enum:\n      - a\n"
        "      description: 'kept, to its last line'\n"
        "    flex.v1.interaction:\n      type: object\n\n"
        "  securitySchemes:\n    basic: {type: http, scheme: basic}\n"
        "info: {title: T, version: '1'}\nopenapi: 3.0.1\n"
        "paths:\n  /v1/Plugins: {}\n  /v1/Interactions:\n    post: {}\n  /v1/InteractionsX: {}\n"
        "servers:\n- url: https://flex-api.twilio.com\n"
        "tags:\n- name: FlexV1Plugin\n- name: FlexV1Interaction\n  description: kept whole\n- name: Other\n"
        "security:\n- basic: []\n"
    )
    metadata = {"repository": "r", "path": "p", "commit": "c", "commit_date": "d", "release": "v", "sha256": "s"}
    cut = extractor.extract(source, metadata)
    parsed = yaml.safe_load(cut)
    assert list(parsed["components"]["schemas"]) == ["interaction_new_enum", "flex.v1.interaction"]
    assert parsed["components"]["schemas"]["interaction_new_enum"]["description"] == "kept, to its last line"
    assert list(parsed["paths"]) == ["/v1/Interactions"]
    assert parsed["tags"] == [{"name": "FlexV1Interaction", "description": "kept whole"}]
    assert parsed == extractor.selected(yaml.safe_load(source))
    assert "# --- source lines 5-11 ---\n" in cut  # interaction_new_enum and flex.v1.interaction, one run
    with pytest.raises(extractor.ExtractError, match="no paths"):
        extractor.extract("components: {}\ninfo: {}\nopenapi: 3.0.1\n", metadata)


def _at(node: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        node = node[key]
    return node


def _differences(ours: Any, theirs: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    if isinstance(ours, dict) and isinstance(theirs, dict):
        for key in ours.keys() | theirs.keys():
            if key not in ours or key not in theirs:
                yield (*path, str(key))
            else:
                yield from _differences(ours[key], theirs[key], (*path, str(key)))
    elif ours != theirs:
        yield path
