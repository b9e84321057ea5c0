"""One module per `contract-kit` subcommand; each parses options and calls the library."""

from __future__ import annotations

import click

format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people and CI logs, json for tools.",
)
"""The `--format text|json` option the reporting commands share."""
