"""The comparison proper: every vendor fact, checked against the contract's view of the same node."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from .. import pointers
from .documents import _LOWER_BOUNDS, _UPPER_BOUNDS, _Document, _Operation, _Schema, _view
from .findings import DIFFERENT, LOOSER, STRICTER, Direction, Finding


# -- the comparison ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Where:
    operation_id: str
    area: str  # "the request body", "the 200 response", "query parameter PageSize"
    path: str = ""  # "Channel.type", "channels[].sid"
    request: bool = False

    @property
    def label(self) -> str:
        return f"{self.path} in {self.area}" if self.path else self.area

    def child(self, step: str) -> _Where:
        joined = f"{self.path}{step}" if step.startswith("[") or not self.path else f"{self.path}.{step}"
        return _Where(self.operation_id, self.area, joined, self.request)


class _Comparison:
    def __init__(self, vendor: _Document, ours: _Document) -> None:
        self.vendor = vendor
        self.ours = ours
        self.findings: list[Finding] = []

    def add(
        self,
        kind: str,
        direction: Direction,
        where: _Where,
        vendor: str | None,
        ours: str | None,
        message: str,
    ) -> None:
        self.findings.append(Finding(kind, direction, where.operation_id, vendor, ours, message))

    # operations ------------------------------------------------------------------------------------
    def operations(self, vendor_ops: dict[str, _Operation], ours_ops: dict[str, _Operation]) -> None:
        ours_by_route = {(op.method, op.path): op for op in ours_ops.values()}
        paired: set[str] = set()
        for operation_id, theirs in vendor_ops.items():
            here = _Where(operation_id, f"{theirs.method} {theirs.path}")
            mine = ours_ops.get(operation_id)
            if mine is None:
                renamed = ours_by_route.get((theirs.method, theirs.path))
                if renamed is None or renamed.operation_id in vendor_ops:
                    self.add(
                        "operation-added",
                        STRICTER,
                        here,
                        theirs.pointer,
                        None,
                        f"the vendor documents a new operation {operation_id} ({theirs.method} "
                        f"{theirs.path}); the contract does not declare it: add it to the contract",
                    )
                    continue
                mine = renamed
                self.add(
                    "operation-renamed",
                    DIFFERENT,
                    here,
                    theirs.pointer,
                    mine.pointer,
                    f"{theirs.method} {theirs.path} is {operation_id} for the vendor and "
                    f"{mine.operation_id} in the contract: rename the contract's operationId",
                )
            elif (mine.method, mine.path) != (theirs.method, theirs.path):
                self.add(
                    "operation-moved",
                    DIFFERENT,
                    here,
                    theirs.pointer,
                    mine.pointer,
                    f"the vendor now documents {operation_id} as {theirs.method} {theirs.path}; the "
                    f"contract has {mine.method} {mine.path}: move it",
                )
            paired.add(mine.operation_id)
            self.operation(theirs, mine)
        for operation_id, mine in ours_ops.items():
            if operation_id not in paired:
                self.add(
                    "operation-removed",
                    LOOSER,
                    _Where(operation_id, mine.path),
                    None,
                    mine.pointer,
                    f"the vendor no longer documents {operation_id} ({mine.method} {mine.path}); the "
                    "contract still accepts it: remove it, or keep it knowingly",
                )

    def operation(self, theirs: _Operation, mine: _Operation) -> None:
        self.parameters(theirs, mine)
        self.request_body(theirs, mine)
        self.responses(theirs, mine)

    def parameters(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        for key, vendor_pointer in theirs.parameters.items():
            location, name = key
            where = _Where(op_id, f"{location} parameter {name}", request=True)
            vendor_required = self.vendor.node(vendor_pointer).get("required") is True
            ours_pointer = mine.parameters.get(key)
            if ours_pointer is None:
                self.add(
                    "parameter-added",
                    LOOSER if vendor_required else DIFFERENT,
                    where,
                    vendor_pointer,
                    None,
                    f"{op_id}: the vendor documents a new {'required' if vendor_required else 'optional'} "
                    f"{location} parameter {name}; the contract does not declare it: add it",
                )
                continue
            ours_required = self.ours.node(ours_pointer).get("required") is True
            self.required_flag(where, vendor_required, ours_required, vendor_pointer, ours_pointer, name)
            self.schema(
                _view(self.vendor, [vendor_pointer + "/schema"]),
                _view(self.ours, [ours_pointer + "/schema"]),
                where,
            )
        for key, ours_pointer in mine.parameters.items():
            if key not in theirs.parameters:
                location, name = key
                ours_required = self.ours.node(ours_pointer).get("required") is True
                self.add(
                    "parameter-removed",
                    STRICTER if ours_required else LOOSER,
                    _Where(op_id, f"{location} parameter {name}"),
                    None,
                    ours_pointer,
                    f"{op_id}: the vendor no longer documents the {location} parameter {name}; the contract "
                    f"still {'requires' if ours_required else 'accepts'} it: remove it",
                )

    def required_flag(
        self, where: _Where, vendor: bool, ours: bool, vendor_pointer: str, ours_pointer: str, name: str
    ) -> None:
        if vendor and not ours:
            self.add(
                "required-added",
                LOOSER,
                where,
                vendor_pointer,
                ours_pointer,
                f"{where.operation_id}: the vendor now requires {name} ({where.area}); the contract treats "
                "it as optional: make it required",
            )
        elif ours and not vendor:
            self.add(
                "required-removed",
                STRICTER,
                where,
                vendor_pointer,
                ours_pointer,
                f"{where.operation_id}: the vendor no longer requires {name} ({where.area}); the contract "
                "still rejects requests without it: make it optional",
            )

    def request_body(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        if theirs.body_pointer and mine.body_pointer:
            vendor_required = self.vendor.node(theirs.body_pointer).get("required") is True
            if vendor_required and self.ours.node(mine.body_pointer).get("required") is not True:
                self.required_flag(
                    _Where(op_id, "the request body"),
                    True,
                    False,
                    theirs.body_pointer,
                    mine.body_pointer,
                    "the request body",
                )
        for media, vendor_pointer in theirs.body.items():
            where = _Where(op_id, f"the request body ({media})", request=True)
            ours_pointer = mine.body.get(media)
            if ours_pointer is None:
                self.add(
                    "media-type-added",
                    STRICTER,
                    where,
                    vendor_pointer,
                    mine.body_pointer,
                    f"{op_id}: the vendor now documents a {media} request body; the contract does not "
                    "accept it: add that media type",
                )
                continue
            self.schema(_view(self.vendor, [vendor_pointer]), _view(self.ours, [ours_pointer]), where, top=True)
        for media, ours_pointer in mine.body.items():
            if media not in theirs.body:
                self.add(
                    "media-type-removed",
                    LOOSER,
                    _Where(op_id, "the request body"),
                    theirs.body_pointer,
                    ours_pointer,
                    f"{op_id}: the vendor no longer documents a {media} request body; the contract still "
                    "accepts it: remove that media type",
                )

    def responses(self, theirs: _Operation, mine: _Operation) -> None:
        op_id = theirs.operation_id
        shared = set(theirs.responses) & set(mine.responses)
        for status, media_types in theirs.responses.items():
            vendor_pointer = theirs.pointer + pointers.join("responses", status)
            if status not in mine.responses:
                self.add(
                    "status-added",
                    STRICTER,
                    _Where(op_id, f"the {status} response"),
                    vendor_pointer,
                    None,
                    f"{op_id}: the vendor now documents success status {status}; the contract rejects it "
                    f"(it has {', '.join(sorted(mine.responses)) or 'none'}): add a {status} response",
                )
                continue
            for media, schema_pointer in media_types.items():
                ours_schema = mine.responses[status].get(media)
                if ours_schema is not None:
                    where = _Where(op_id, f"the {status} response")
                    self.schema(_view(self.vendor, [schema_pointer]), _view(self.ours, [ours_schema]), where)
        if shared:
            return  # our extra success statuses (201 beside 200) are a tolerance while one is shared
        for status in mine.responses:
            if status not in theirs.responses:
                self.add(
                    "status-removed",
                    LOOSER,
                    _Where(op_id, f"the {status} response"),
                    None,
                    mine.pointer + pointers.join("responses", status),
                    f"{op_id}: the vendor no longer documents success status {status} (it documents "
                    f"{', '.join(sorted(theirs.responses)) or 'none'}); the contract still accepts it",
                )

    # schemas ---------------------------------------------------------------------------------------
    def schema(self, theirs: _Schema, mine: _Schema, where: _Where, top: bool = False, depth: int = 0) -> None:
        if depth > 32 or theirs.pointer is None:
            return  # the vendor says nothing here: whatever the contract says is its own
        typed = theirs.types is not None
        if typed and mine.types is not None and theirs.types != mine.types:
            assert theirs.types is not None
            gained, lost = theirs.types - mine.types, mine.types - theirs.types
            direction = DIFFERENT if gained and lost else STRICTER if gained else LOOSER
            self.add(
                "type-changed",
                direction,
                where,
                theirs.pointer,
                mine.pointer,
                f"{where.operation_id}: the vendor types {where.label} as {_names(theirs.types)}, the "
                f"contract as {_names(mine.types)}: align the type",
            )
        self.enum(theirs, mine, where, typed)
        self.pattern(theirs, mine, where, typed)
        self.bounds(theirs, mine, where, typed)
        self.required(theirs, mine, where, top)
        self.properties(theirs, mine, where, depth)
        if theirs.items and mine.items:
            self.schema(
                _view(self.vendor, theirs.items),
                _view(self.ours, mine.items),
                where.child("[]"),
                depth=depth + 1,
            )

    def enum(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        if theirs.enum is not None and mine.enum is not None:
            added = [v for v in theirs.enum if v not in mine.enum]
            removed = [v for v in mine.enum if v not in theirs.enum]
            if added:
                self.add(
                    "enum-value-added",
                    STRICTER,
                    where,
                    theirs.enum_pointer,
                    mine.enum_pointer,
                    f"{op_id}: the vendor now documents {_values(added)} for {where.label}; the contract "
                    "rejects it: add it to the contract's enum",
                )
            if removed:
                self.add(
                    "enum-value-removed",
                    LOOSER,
                    where,
                    theirs.enum_pointer,
                    mine.enum_pointer,
                    f"{op_id}: the vendor no longer documents {_values(removed)} for {where.label}; the "
                    "contract still accepts it: remove it from the contract's enum",
                )
        elif theirs.enum is not None:
            self.add(
                "enum-added",
                LOOSER,
                where,
                theirs.enum_pointer,
                mine.pointer,
                f"{op_id}: the vendor now limits {where.label} to {_values(theirs.enum)}; the contract "
                "accepts any value: add the enum",
            )
        elif mine.enum is not None and typed:
            self.add(
                "enum-removed",
                STRICTER,
                where,
                theirs.pointer,
                mine.enum_pointer,
                f"{op_id}: the vendor no longer limits {where.label} to a list of values; the contract "
                f"still accepts only {_values(mine.enum)}: drop or widen the enum",
            )

    def pattern(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        if theirs.pattern and mine.pattern:
            (vendor_regex, vendor_pointer), (ours_regex, ours_pointer) = theirs.pattern, mine.pattern
            if vendor_regex == ours_regex:
                return
            only_vendor = _witness(vendor_regex, ours_regex)
            only_ours = _witness(ours_regex, vendor_regex)
            if only_vendor is None and only_ours is None:
                return  # written differently, found to accept the same strings
            direction = DIFFERENT if only_vendor and only_ours else STRICTER if only_vendor else LOOSER
            evidence = []
            if only_ours:
                evidence.append(f"the contract accepts {only_ours!r}, which the vendor's rejects")
            if only_vendor:
                evidence.append(f"the contract rejects {only_vendor!r}, which the vendor's accepts")
            self.add(
                "pattern-changed",
                direction,
                where,
                vendor_pointer,
                ours_pointer,
                f"{op_id}: the vendor's pattern for {where.label} is now {vendor_regex}, the contract's "
                f"{ours_regex} ({'; '.join(evidence) or 'they could not be compared'}): align the pattern",
            )
        elif theirs.pattern:
            self.add(
                "pattern-added",
                LOOSER,
                where,
                theirs.pattern[1],
                mine.pointer,
                f"{op_id}: the vendor now requires {where.label} to match {theirs.pattern[0]}; the contract "
                "accepts any string: add the pattern",
            )
        elif mine.pattern and typed:
            self.add(
                "pattern-removed",
                STRICTER,
                where,
                theirs.pointer,
                mine.pattern[1],
                f"{op_id}: the vendor no longer requires {where.label} to match {mine.pattern[0]}; the "
                "contract still does: drop or widen the pattern",
            )

    def bounds(self, theirs: _Schema, mine: _Schema, where: _Where, typed: bool) -> None:
        op_id = where.operation_id
        for keyword in (*_LOWER_BOUNDS, *_UPPER_BOUNDS):
            vendor, ours = theirs.bounds.get(keyword), mine.bounds.get(keyword)
            if vendor and ours and vendor[0] != ours[0]:
                lower = keyword in _LOWER_BOUNDS
                looser = ours[0] < vendor[0] if lower else ours[0] > vendor[0]
                self.add(
                    "bound-changed",
                    LOOSER if looser else STRICTER,
                    where,
                    vendor[1],
                    ours[1],
                    f"{op_id}: the vendor's {keyword} for {where.label} is now {_num(vendor[0])}, the "
                    f"contract's {_num(ours[0])}: set it to {_num(vendor[0])}",
                )
            elif vendor and not ours:
                self.add(
                    "bound-added",
                    LOOSER,
                    where,
                    vendor[1],
                    mine.pointer,
                    f"{op_id}: the vendor now sets {keyword} {_num(vendor[0])} on {where.label}; the "
                    "contract has none: add it",
                )
            elif ours and not vendor and typed:
                self.add(
                    "bound-removed",
                    STRICTER,
                    where,
                    theirs.pointer,
                    ours[1],
                    f"{op_id}: the vendor no longer sets {keyword} on {where.label}; the contract still "
                    f"has {_num(ours[0])}: drop it",
                )

    def required(self, theirs: _Schema, mine: _Schema, where: _Where, top: bool) -> None:
        op_id = where.operation_id
        for name, vendor_pointer in theirs.required.items():
            if name not in mine.required and (mine.properties is None or name in mine.properties):
                member = where.child(name)
                self.add(
                    "required-added",
                    LOOSER,
                    member,
                    vendor_pointer,
                    mine.properties_pointer or mine.pointer,
                    f"{op_id}: the vendor now requires {member.label}; the contract treats it as optional: "
                    "add it to the contract's required",
                )
        if not where.request or not (top or theirs.required_declared):
            return  # a response, or a nested request member: the vendor's silence is no change
        for name, ours_pointer in mine.required.items():
            if name not in theirs.required and (theirs.properties is None or name in theirs.properties):
                member = where.child(name)
                self.add(
                    "required-removed",
                    STRICTER,
                    member,
                    theirs.pointer,
                    ours_pointer,
                    f"{op_id}: the vendor no longer requires {member.label}; the contract still rejects "
                    "payloads without it: drop it from the contract's required",
                )

    def properties(self, theirs: _Schema, mine: _Schema, where: _Where, depth: int) -> None:
        if theirs.properties is None:
            return
        op_id = where.operation_id
        ours_properties = mine.properties or {}
        noun = "parameter" if where.request else "response-property"
        for name, places in theirs.properties.items():
            member = where.child(name)
            if name in ours_properties:
                self.schema(
                    _view(self.vendor, places),
                    _view(self.ours, ours_properties[name]),
                    member,
                    depth=depth + 1,
                )
                continue
            required = name in theirs.required
            direction = LOOSER if required and where.request else STRICTER if mine.closed else DIFFERENT
            self.add(
                f"{noun}-added",
                direction,
                member,
                places[0],
                None,
                f"{op_id}: the vendor documents a new {'required ' if required else ''}member "
                f"{member.label}; the contract does not declare it: add it",
            )
        for name, places in ours_properties.items():
            if name in theirs.properties:
                continue
            member = where.child(name)
            required = name in mine.required
            self.add(
                f"{noun}-removed",
                STRICTER if required else LOOSER,
                member,
                None,
                places[0],
                f"{op_id}: the vendor no longer documents {member.label}; the contract still "
                f"{'requires' if required else 'accepts'} it: remove it, or keep it knowingly",
            )


# -- small helpers ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _witness(accepting: str, rejecting: str) -> str | None:
    """A string `accepting` matches and `rejecting` does not, if one can be found."""
    try:
        accept, reject = re.compile(accepting), re.compile(rejecting)
    except re.error:
        return None
    from hypothesis import HealthCheck, find, settings
    from hypothesis import strategies as st
    from hypothesis.errors import HypothesisException

    quiet = settings(database=None, max_examples=150, derandomize=True, suppress_health_check=list(HealthCheck))
    try:
        found: str = find(
            st.from_regex(accept), lambda s: bool(accept.search(s)) and not reject.search(s), settings=quiet
        )
    except (HypothesisException, re.error):
        return None
    return found


def _values(values: list[Any]) -> str:
    return ", ".join(repr(v) for v in values)


def _names(types: set[str]) -> str:
    return " or ".join(sorted(types)) or "nothing"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)

