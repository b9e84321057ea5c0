"""Rendering validation outcomes for people (text), programs (JSON) and CI systems (JUnit)."""

from __future__ import annotations

import json
from xml.etree import ElementTree as ET

from .batch import BatchOutcome
from .validate import Violation

_SEVERITY_COLOURS = {"error": "red", "warning": "yellow"}


def violation_line(source: str, violation: Violation, *, colour: bool = False) -> str:
    """`source:pointer: severity rule: message`, the shape compilers use, so editors can jump."""
    severity: str = violation.severity
    if colour:
        import click

        severity = click.style(severity, fg=_SEVERITY_COLOURS[violation.severity], bold=True)
    pointer = violation.pointer or "(body)"
    return f"{source}:{pointer}: {severity} {violation.rule}: {violation.message}"


def summary_line(outcome: BatchOutcome) -> str:
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
        text += f"; {len(outcome.file_errors)} file(s) could not be read"
    return text


def render_text(outcome: BatchOutcome, *, colour: bool = False) -> str:
    lines = [violation_line(r.source, v, colour=colour) for r in outcome.results for v in r.report.violations]
    lines += [f"error: {message}" for message in outcome.file_errors]
    lines.append(summary_line(outcome))
    return "\n".join(lines)


def render_json(outcome: BatchOutcome) -> str:
    return json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False)


def render_junit(outcome: BatchOutcome) -> str:
    """One testcase per payload; an unreadable file is a testcase in error."""
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
