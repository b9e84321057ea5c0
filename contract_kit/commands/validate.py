"""`contract-kit validate`: check payload files before they are deployed."""

from __future__ import annotations

import sys
from typing import TextIO

import click

from ..batch import validate_files
from ..contract import DEFAULT_OPERATION, UnknownOperationError, default_contract
from ..formats import render_json, render_junit, render_text


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
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-", help="Write the report here.")
def validate_command(
    paths: tuple[str, ...], operation: str, output_format: str, strict: bool, wire: bool, output: TextIO
) -> None:
    """Validate Interactions payload files (JSON, YAML, .form; `-` for stdin).

    Exit 0 when all are valid (warnings allowed unless --strict), 1 when any is invalid, 2 for
    usage errors or unreadable files (the other files are still checked).
    """
    try:
        default_contract().operation(operation)
    except UnknownOperationError as exc:
        raise click.BadParameter(str(exc), param_hint="--operation") from None
    outcome = validate_files(paths, operation, wire=wire, strict=strict, stdin=sys.stdin.buffer)
    if output_format == "json":
        click.echo(render_json(outcome), file=output)
    elif output_format == "junit":
        click.echo(render_junit(outcome), file=output)
    else:
        click.echo(render_text(outcome, colour=True), file=output)
    for message in outcome.file_errors:
        if output_format != "text" or output is not sys.stdout:
            click.echo(f"contract-kit validate: {message}", err=True)
    sys.exit(outcome.exit_code(strict=strict))
