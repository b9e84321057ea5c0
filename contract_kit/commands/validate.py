"""`contract-kit validate`: check payload files before they are deployed."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from typing import TextIO

import click

from ..contract import DEFAULT_OPERATION


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--operation",
    "-o",
    default=DEFAULT_OPERATION,
    show_default=True,
    help="The vendor operationId the payloads are for (see `contract-kit rules`).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "junit"]),
    default="text",
    show_default=True,
)
@click.option(
    "--strict",
    is_flag=True,
    help="Our stricter readings (rules whose basis is `ours`) are errors, and warnings fail the run too.",
)
@click.option("--wire", is_flag=True, help="Every file is a raw urlencoded body (as *.form files are).")
@click.option(
    "--output",
    type=click.File("w", encoding="utf-8", lazy=False),  # opened at once: a bad path is a usage error, before any work
    default="-",
    help="Write the report here.",
)
def validate_command(
    paths: tuple[str, ...], operation: str, output_format: str, strict: bool, wire: bool, output: TextIO
) -> None:
    """Validate Interactions payload files (JSON, YAML, .form; `-` for stdin).

    Exit 0 when all are valid (warnings allowed unless --strict), 1 when any is invalid, 2 for
    usage errors, unreadable files and paths holding no payloads (the other files are still
    checked: checking nothing is never a pass).
    """
    # Imported here: `contract-kit --help` lists this command without loading the validator.
    from ..batch import validate_files
    from ..contract import UnknownOperationError, default_contract
    from ..formats import render_json, render_junit, render_text

    try:
        default_contract().operation(operation)
    except UnknownOperationError as exc:
        raise click.BadParameter(str(exc), param_hint="--operation") from None
    with _collector_paused():
        outcome = validate_files(paths, operation, wire=wire, strict=strict, stdin=sys.stdin.buffer)
        if output_format == "json":
            _emit(render_json(outcome), output)
        elif output_format == "junit":
            _emit(render_junit(outcome), output)
        else:
            click.echo(render_text(outcome, colour=True), file=output)  # unstyled by click unless a terminal
    for message in outcome.file_errors:
        if output_format != "text" or output is not sys.stdout:
            click.echo(f"contract-kit validate: {message}", err=True)
    sys.exit(outcome.exit_code(strict=strict))


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is checked and rendered.

    The payloads of a large file are a million objects that live until the end, and a report is a
    few more per payload, none in a cycle: each automatic collection would only walk the payloads
    again (a tenth of the run on 20,000 payloads)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _emit(text: str, output: TextIO) -> None:
    """`click.echo(text, file=output)`, without its pass over a report of megabytes when there is no
    escape sequence in it for click to strip."""
    if "\x1b" in text:
        click.echo(text, file=output)
        return
    output.write(text)
    output.write("\n")
    output.flush()
