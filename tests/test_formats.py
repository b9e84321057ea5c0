"""The JSON and JUnit reports are written directly for speed; they must be, byte for byte, what
`json.dumps(..., indent=2)` and ElementTree give (what they were written with before)."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from helpers import EXAMPLES
from hypothesis import given
from hypothesis import strategies as st

from contract_kit import Report, Violation
from contract_kit.batch import BatchOutcome, Result, validate_files
from contract_kit.formats import render_json, render_junit, render_text, summary_line, violation_line

ODD = [
    'a "quoted" & <tagged> > text',
    "tab\there\r\nnewline",
    "\x1b[31mred\x1b[0m",
    "José Ωmega \u2028 \x00 \ud800",
    "",
]


def reference_json(outcome: BatchOutcome) -> str:
    return json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False)


def reference_junit(outcome: BatchOutcome) -> str:
    """`render_junit` as it was, through ElementTree."""
    suite = ET.Element(
        "testsuite",
        name=f"contract-kit validate {outcome.operation}",
        tests=str(len(outcome.results) + len(outcome.file_errors)),
        failures=str(len(outcome.invalid)),
        errors=str(len(outcome.file_errors)),
    )
    for result in outcome.results:
        path = result.source.rsplit("#", 1)[0]
        case = ET.SubElement(suite, "testcase", classname=path, name=result.source)
        report = result.report
        if not report.valid:
            first = report.errors[0]
            failure = ET.SubElement(case, "failure", message=f"{first.rule}: {first.message}", type=first.rule)
            failure.text = "\n".join(violation_line(result.source, v) for v in report.errors)
        if report.warnings:
            ET.SubElement(case, "system-out").text = "\n".join(
                violation_line(result.source, v) for v in report.warnings
            )
    for message in outcome.file_errors:
        case = ET.SubElement(suite, "testcase", classname="files", name=message.split(":", 1)[0])
        ET.SubElement(case, "error", message=message)
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")


def reference_summary(outcome: BatchOutcome) -> str:
    results = outcome.results
    invalid = len(outcome.invalid)
    errors = sum(len(r.report.errors) for r in results)
    warnings = sum(len(r.report.warnings) for r in results)
    text = (
        f"{len(results)} payload{'s' if len(results) != 1 else ''} checked against {outcome.operation}: "
        f"{len(results) - invalid} valid, {invalid} invalid ({errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''})"
    )
    if outcome.file_errors:
        text += f"; {len(outcome.file_errors)} path(s) could not be checked"
    return text


def _outcomes(tmp_path: Path) -> list[BatchOutcome]:
    broken = tmp_path / 'broken "&<x>".json'
    broken.write_text("{not json")
    outcomes = [
        BatchOutcome("CreateInteraction"),
        validate_files([str(EXAMPLES / "valid"), str(EXAMPLES / "invalid")]),
        validate_files([str(EXAMPLES / "invalid")], strict=True),
        validate_files([str(EXAMPLES / "crm-click-to-sms.yaml"), str(broken), str(tmp_path / "missing.json")]),
        validate_files([str(EXAMPLES / "wire")], wire=True),
        validate_files([str(EXAMPLES / "UpdateInteraction")], "UpdateInteraction"),
    ]
    odd = BatchOutcome('Create"Odd"<&>', file_errors=[f"{text}: cannot read" for text in ODD])
    for i, text in enumerate(ODD):
        violations = (
            Violation(f"rule.{text}", f"/{text}", text, "error", "vendor"),
            Violation("second", "", f"{text} again", "error", "vendor"),
            Violation("advice", "/x", text, "warning", "ours"),
        )
        odd.results += [
            Result(f"{text}#{i}", Report(text, violations)),
            Result(f"{text}", Report(text, violations[2:])),
            Result(f"{text}#{i}x", Report(text)),
        ]
    return [*outcomes, odd, BatchOutcome("x", file_errors=["only: a file error"])]


def test_json_is_what_json_dumps_gives(tmp_path: Path) -> None:
    for outcome in _outcomes(tmp_path):
        assert render_json(outcome) == reference_json(outcome)


def test_junit_is_what_elementtree_gives(tmp_path: Path) -> None:
    for outcome in _outcomes(tmp_path):
        text = render_junit(outcome)
        assert text == reference_junit(outcome)


def test_summary_counts_as_before(tmp_path: Path) -> None:
    for outcome in _outcomes(tmp_path):
        assert summary_line(outcome) == reference_summary(outcome)


@pytest.mark.parametrize("colour", [False, True])
def test_text_is_a_violation_line_each_then_the_summary(tmp_path: Path, colour: bool) -> None:
    for outcome in _outcomes(tmp_path):
        lines = [violation_line(r.source, v, colour=colour) for r in outcome.results for v in r.report.violations]
        lines += [f"error: {message}" for message in outcome.file_errors]
        assert render_text(outcome, colour=colour) == "\n".join([*lines, reference_summary(outcome)])


@pytest.mark.parametrize("severity", ["error", "warning"])
@given(texts=st.lists(st.text(), min_size=3, max_size=3))
def test_any_text_renders_as_the_references_do(severity: str, texts: list[str]) -> None:
    source, pointer, message = texts
    violation = Violation("rule", pointer, message, "error" if severity == "error" else "warning")
    outcome = BatchOutcome(message, [Result(f"{source}#0", Report(pointer, (violation,)))], [source])
    assert render_json(outcome) == reference_json(outcome)
    assert render_junit(outcome) == reference_junit(outcome)
