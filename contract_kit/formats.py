"""Rendering validation outcomes for people (text), programs (JSON) and CI systems (JUnit).

A batch can hold tens of thousands of payloads, so the JSON and JUnit reports are written out
directly rather than through `json.dumps(..., indent=2)` (whose indenting encoder is pure Python)
and ElementTree; their text is byte for byte what those give (tests compare them).
"""

from __future__ import annotations

from json.encoder import encode_basestring

from .batch import BatchOutcome
from .validate import Report, Violation

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
    errors = warnings = 0
    for result in results:
        for violation in result.report.violations:
            if violation.severity == "error":
                errors += 1
            elif violation.severity == "warning":
                warnings += 1
    text = (
        f"{len(results)} payload{'s' if len(results) != 1 else ''} checked against {outcome.operation}: "
        f"{len(results) - invalid} valid, {invalid} invalid ({errors} error{'s' if errors != 1 else ''}, "
        f"{warnings} warning{'s' if warnings != 1 else ''})"
    )
    if outcome.file_errors:
        text += f"; {len(outcome.file_errors)} path(s) could not be checked"
    return text


def render_text(outcome: BatchOutcome, *, colour: bool = False) -> str:
    """A `violation_line` per violation (inlined, each severity styled once), then the summary."""
    severities: dict[str, str] = {s: s for s in _SEVERITY_COLOURS}
    if colour:
        import click

        severities = {s: click.style(s, fg=fg, bold=True) for s, fg in _SEVERITY_COLOURS.items()}
    lines = [
        f"{r.source}:{v.pointer or '(body)'}: {severities[v.severity]} {v.rule}: {v.message}"
        for r in outcome.results
        for v in r.report.violations
    ]
    lines += [f"error: {message}" for message in outcome.file_errors]
    lines.append(summary_line(outcome))
    return "\n".join(lines)


# -- JSON -------------------------------------------------------------------------------------
def render_json(outcome: BatchOutcome) -> str:
    """`json.dumps(outcome.to_dict(), indent=2, ensure_ascii=False)`, each string encoded by the C
    encoder, and a report that several results share (every clean payload's) rendered once."""
    shared: dict[int, str] = {}  # id(report) -> text, for reports without violations
    parts = []
    for result in outcome.results:
        report = result.report
        if report.violations:
            body = _report_json(report)
        else:
            body = shared.get(id(report)) or shared.setdefault(id(report), _report_json(report))
        parts.append(f'    {{\n      "source": {encode_basestring(result.source)},\n{body}\n    }}')
    results = "[\n" + ",\n".join(parts) + "\n  ]" if parts else "[]"
    file_errors = (
        "[\n" + ",\n".join(f"    {encode_basestring(m)}" for m in outcome.file_errors) + "\n  ]"
        if outcome.file_errors
        else "[]"
    )
    return (
        f'{{\n  "operation": {encode_basestring(outcome.operation)},\n  "results": {results},\n'
        f'  "file_errors": {file_errors}\n}}'
    )


def _report_json(report: Report) -> str:
    """The members of `Report.to_dict()` inside a result, at the result's indentation."""
    violations = report.violations
    items = "[\n" + ",\n".join([_violation_json(v) for v in violations]) + "\n      ]" if violations else "[]"
    return (
        f'      "operation": {encode_basestring(report.operation)},\n'
        f'      "valid": {"true" if report.valid else "false"},\n'
        f'      "violations": {items}'
    )


def _violation_json(v: Violation) -> str:
    """`Violation.to_dict()` inside a report's list."""
    return (
        f'        {{\n          "rule": {encode_basestring(v.rule)},\n'
        f'          "pointer": {encode_basestring(v.pointer)},\n'
        f'          "message": {encode_basestring(v.message)},\n'
        f'          "severity": {encode_basestring(v.severity)},\n'
        f'          "basis": {encode_basestring(v.basis)}\n        }}'
    )


# -- JUnit ------------------------------------------------------------------------------------
def render_junit(outcome: BatchOutcome) -> str:
    """One testcase per payload; an unreadable file is a testcase in error.

    The text ElementTree writes for this tree after `ET.indent`, written directly."""
    head = (
        f'<testsuite name="{_attr(f"contract-kit validate {outcome.operation}")}"'
        f' tests="{len(outcome.results) + len(outcome.file_errors)}"'
        f' failures="{len(outcome.invalid)}" errors="{len(outcome.file_errors)}"'
    )
    escaped: dict[str, str] = {}  # a file's path -> as an attribute (all its payloads share it)
    cases = []
    for result in outcome.results:
        source = result.source
        path = source.rsplit("#", 1)[0]
        classname = escaped.get(path)
        if classname is None:
            classname = escaped[path] = _attr(path)
        index = source[len(path) :]
        name = classname + index if index[1:].isdigit() else _attr(source)  # `#<digits>` needs no escaping
        opening = f'<testcase classname="{classname}" name="{name}"'
        cases.append(_junit_case(opening, source, result.report) if result.report.violations else opening + " />")
    cases += [
        f'<testcase classname="files" name="{_attr(message.split(":", 1)[0])}">\n'
        f'    <error message="{_attr(message)}" />\n  </testcase>'
        for message in outcome.file_errors
    ]
    body = f"{head}>\n  " + "\n  ".join(cases) + "\n</testsuite>" if cases else f"{head} />"
    return '<?xml version="1.0" encoding="utf-8"?>\n' + body


def _junit_case(opening: str, source: str, report: Report) -> str:
    errors, warnings = [], []
    first: Violation | None = None
    for v in report.violations:  # `violation_line` of each, inlined
        line = f"{source}:{v.pointer or '(body)'}: {v.severity} {v.rule}: {v.message}"
        if v.severity == "error":
            errors.append(line)
            first = first or v
        elif v.severity == "warning":
            warnings.append(line)
    children = []
    if first is not None:
        children.append(
            f'<failure message="{_attr(f"{first.rule}: {first.message}")}" type="{_attr(first.rule)}">'
            f"{_text(chr(10).join(errors))}</failure>"
        )
    if warnings:
        children.append(f"<system-out>{_text(chr(10).join(warnings))}</system-out>")
    if not children:
        return opening + " />"
    return opening + ">\n    " + "\n    ".join(children) + "\n  </testcase>"


def _text(text: str) -> str:
    """ElementTree's escaping of character data."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _attr(text: str) -> str:
    """ElementTree's escaping of an attribute value."""
    text = _text(text)
    if '"' in text:
        text = text.replace('"', "&quot;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    if "\n" in text:
        text = text.replace("\n", "&#10;")
    if "\t" in text:
        text = text.replace("\t", "&#09;")
    return text
