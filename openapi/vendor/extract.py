"""Cut the Interactions resource out of the vendor's published Flex v1 document, byte for byte.

The source is `spec/yaml/twilio_flex_v1.yaml` of github.com/twilio/twilio-oai, vendored whole beside
this script (`twilio_flex_v1.yaml`, 0.4 MB) at the commit `twilio_flex_v1.source.json` records with
its sha256. The extract (`twilio_flex_v1_interactions.yaml`) keeps, in the source's order and with
the source's own text, what the contract is compared against:

* `components.securitySchemes`, and the schemas named `flex.v1.interaction...` or `interaction_...`
  (the resource, its sub-resources and their enums);
* `info`, `openapi`, `servers`, `security`;
* the paths `/v1/Interactions` and `/v1/Interactions/...`;
* the tags named `FlexV1Interaction...`.

Blocks are found by YAML structure (PyYAML's node positions), never by line numbers, so a new
version of the source is cut the same way. Each run of blocks that is contiguous in the source is
preceded by a comment giving its source lines.

    python openapi/vendor/extract.py                  # rewrite the extract from the vendored source
    python openapi/vendor/extract.py --check          # exit 1 if the extract is not what the source gives
    python openapi/vendor/extract.py --commit SHA --commit-date 2026-04-14 --release 2.6.7
                                                      # after replacing twilio_flex_v1.yaml: record it
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import yaml

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "twilio_flex_v1.yaml"
METADATA = HERE / "twilio_flex_v1.source.json"
EXTRACT = HERE / "twilio_flex_v1_interactions.yaml"
REPOSITORY = "twilio/twilio-oai"
SOURCE_PATH = "spec/yaml/twilio_flex_v1.yaml"

Keep = Callable[[Any], bool]
"""Given a mapping key (or a sequence item, parsed), whether to keep that entry."""
Selection = Union[bool, Keep, Mapping[str, "Selection"]]  # noqa: UP007 (a recursive alias: a string member)
"""True: the whole value; a predicate: the entries it keeps; a mapping: per key, recursively."""


def _is_interaction_schema(name: Any) -> bool:
    return isinstance(name, str) and (
        name == "flex.v1.interaction" or name.startswith(("flex.v1.interaction.", "interaction_"))
    )


def _is_interaction_path(path: Any) -> bool:
    return path == "/v1/Interactions" or (isinstance(path, str) and path.startswith("/v1/Interactions/"))


def _is_interaction_tag(tag: Any) -> bool:
    return isinstance(tag, Mapping) and str(tag.get("name", "")).startswith("FlexV1Interaction")


SELECTION: Mapping[str, Selection] = {
    "components": {"securitySchemes": True, "schemas": _is_interaction_schema},
    "info": True,
    "openapi": True,
    "paths": _is_interaction_path,
    "servers": True,
    "tags": _is_interaction_tag,
    "security": True,
}


class ExtractError(Exception):
    """The source is not the document this script expects (or not the one recorded)."""


@dataclass(frozen=True)
class Block:
    """A span of the source text, whole lines: [start, end) in characters, first line numbered from 1."""

    start: int
    end: int
    first_line: int
    last_line: int


def blocks(text: str, selection: Mapping[str, Selection] = SELECTION) -> list[Block]:
    """The spans of `text` the selection keeps, in source order: whole entries, and the key line of
    each mapping or sequence kept only in part."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        raise ExtractError("the source is not a YAML mapping (an OpenAPI document)")
    found = sorted(_select(text, root, selection), key=lambda b: b.start)
    missing = [key for key in selection if key not in {k.value for k, _ in root.value}]
    if missing:
        raise ExtractError(f"the source has no {', '.join(missing)}: is it twilio_flex_v1.yaml?")
    return found


def _select(text: str, node: yaml.Node, selection: Selection) -> Iterator[Block]:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            wanted: Selection = (
                selection.get(key.value, False)
                if isinstance(selection, Mapping)
                else _keeps(selection, key.value)  # a predicate keeps whole entries
            )
            if wanted is True:
                yield _span(text, key.start_mark, value.end_mark)
            elif wanted:
                yield _span(text, key.start_mark, key.end_mark)  # the key line, such as `components:`
                yield from _select(text, value, wanted)
    elif isinstance(node, yaml.SequenceNode) and not isinstance(selection, (bool, Mapping)):
        for item in node.value:
            if _keeps(selection, yaml.SafeLoader("").construct_document(item)):
                yield _span(text, item.start_mark, item.end_mark)


def _keeps(selection: Selection, value: Any) -> bool:
    return selection if isinstance(selection, bool) else bool(not isinstance(selection, Mapping) and selection(value))


def _span(text: str, start: Any, end: Any) -> Block:
    """Whole lines from the line of `start` to the line of `end`: the line where a block collection
    ends belongs to the next entry when nothing but indentation precedes `end` on it."""
    begin = text.rfind("\n", 0, start.index) + 1
    line_start = text.rfind("\n", 0, end.index) + 1
    if text[line_start : end.index].strip():
        stop = text.find("\n", end.index)
        stop = len(text) if stop < 0 else stop + 1
    else:
        stop = line_start
    while stop > begin and text[text.rfind("\n", 0, stop - 1) + 1 : stop].strip() == "":
        stop = text.rfind("\n", 0, stop - 1) + 1  # no trailing blank lines
    first = text.count("\n", 0, begin) + 1
    return Block(begin, stop, first, first + text.count("\n", begin, stop) - 1)


def extract(text: str, metadata: Mapping[str, Any]) -> str:
    """The extract's text: a header naming the source, then each kept block, verbatim."""
    header = [
        f"# The Interactions resource of {metadata['repository']} {metadata['path']}, verbatim:",
        f"# commit {metadata['commit']} ({metadata['commit_date']}, release {metadata['release']}),",
        f"# source sha256 {metadata['sha256']}.",
        "# Generated by openapi/vendor/extract.py from twilio_flex_v1.yaml beside it: do not edit by hand.",
        "# Each run of blocks below is the source's text from the lines named before it.",
    ]
    out = [line + "\n" for line in header]
    for run in _runs(blocks(text)):
        out.append(f"# --- source lines {run[0].first_line}-{run[-1].last_line} ---\n")
        out += [text[block.start : block.end] for block in run]
    return "".join(out)


def _runs(found: list[Block]) -> list[list[Block]]:
    """The blocks grouped into runs that follow each other in the source with nothing between."""
    runs: list[list[Block]] = []
    for block in found:
        if runs and runs[-1][-1].end == block.start:
            runs[-1].append(block)
        else:
            runs.append([block])
    return runs


def selected(document: Mapping[str, Any], selection: Mapping[str, Selection] = SELECTION) -> dict[str, Any]:
    """The parsed content the extract must hold: the same selection, applied to the parsed source."""
    out: dict[str, Any] = {}
    for key, value in document.items():
        wanted = selection.get(key)
        if wanted is True:
            out[key] = value
        elif isinstance(wanted, Mapping) and isinstance(value, Mapping):
            out[key] = selected(value, wanted)
        elif callable(wanted) and isinstance(value, Mapping):
            out[key] = {k: v for k, v in value.items() if wanted(k)}
        elif callable(wanted) and isinstance(value, list):
            out[key] = [item for item in value if wanted(item)]
    return out


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_metadata(path: Path = METADATA) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the extract is not what the source gives")
    parser.add_argument("--commit", help="record a new source: the twilio-oai commit it comes from")
    parser.add_argument("--commit-date", help="with --commit: the commit's date (YYYY-MM-DD)")
    parser.add_argument("--release", help="with --commit: the twilio-oai release of that commit")
    args = parser.parse_args(argv)
    metadata = load_metadata()
    if args.commit:
        metadata.update(
            commit=args.commit,
            commit_date=args.commit_date or metadata["commit_date"],
            release=args.release or metadata["release"],
            sha256=sha256(SOURCE),
            retrieved=datetime.date.today().isoformat(),
        )
        METADATA.write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    if sha256(SOURCE) != metadata["sha256"]:
        print(f"{SOURCE.name} is not the source {METADATA.name} records (sha256 differs): "
              "record it with --commit SHA --commit-date DATE --release VERSION", file=sys.stderr)
        return 2
    try:
        text = extract(SOURCE.read_text(encoding="utf-8"), metadata)
    except (ExtractError, yaml.YAMLError) as exc:
        print(f"{SOURCE}: {exc}", file=sys.stderr)
        return 2
    if args.check:
        if EXTRACT.read_text(encoding="utf-8") != text:
            print(f"{EXTRACT.name} is not what {SOURCE.name} gives: run python {Path(__file__).name}", file=sys.stderr)
            return 1
        return 0
    EXTRACT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
