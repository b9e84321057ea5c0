"""`contract-kit rules`: the rule catalogue, as the contract document declares it."""

from __future__ import annotations

import json

import click

from ..contract import UnknownOperationError, default_contract
from . import format_option


@click.command("rules")
@format_option
@click.option("--operation", "-o", default=None, help="Only the rules of this operationId.")
def rules_command(output_format: str, operation: str | None) -> None:
    """List every rule: id, operation, condition, severity and the vendor sentence behind it."""
    contract = default_contract()
    try:
        rules = contract.rules_for(operation) if operation else list(contract.rules.values())
    except UnknownOperationError as exc:
        raise click.BadParameter(str(exc), param_hint="--operation") from None
    if output_format == "json":
        click.echo(json.dumps({"rules": [r.to_dict() for r in rules]}, indent=2, ensure_ascii=False))
        return
    for rule in rules:
        severity = click.style(rule.severity, fg="red" if rule.severity == "error" else "yellow")
        click.echo(f"{click.style(rule.id, bold=True)}  [{severity}]  {', '.join(rule.operations)}")
        click.echo(f"    when:   {rule.condition}")
        click.echo(f"    rule:   {rule.message}")
        click.echo(f"    source: {rule.source}")
    click.echo(f"{len(rules)} rules")
