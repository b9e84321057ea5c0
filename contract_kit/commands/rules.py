"""`contract-kit rules`: the rule catalogue, as the contract document declares it."""

from __future__ import annotations

import json

import click

from ..contract import UnknownOperationError, default_contract


@click.command("rules")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
    help="text for people, json for tools, markdown for a rule reference page to publish.",
)
@click.option("--operation", "-o", default=None, help="Only the rules of this operationId.")
def rules_command(output_format: str, operation: str | None) -> None:
    """List every rule: id, operations, severity, basis (vendor or ours), condition, the vendor
    sentence behind it and how it was read.

    \b
    Examples:
      contract-kit rules -o CreateInteraction
      contract-kit rules --format markdown > docs/flex-rules.md
    """
    contract = default_contract()
    try:
        rules = contract.rules_for(operation) if operation else list(contract.rules.values())
    except UnknownOperationError as exc:
        raise click.BadParameter(str(exc), param_hint="--operation") from None
    if output_format == "markdown":
        from ..rules_reference import render_markdown

        click.echo(render_markdown(contract, rules), nl=False)
        return
    if output_format == "json":
        click.echo(json.dumps({"rules": [r.to_dict() for r in rules]}, indent=2, ensure_ascii=False))
        return
    for rule in rules:
        shown = rule.severity_for(False)
        severity = click.style(shown, fg="red" if shown == "error" else "yellow")
        if rule.stricter:
            severity += " (error with --strict)"
        operations = ", ".join(rule.operations)
        click.echo(f"{click.style(rule.id, bold=True)}  [{severity}]  basis: {rule.basis}  {operations}")
        click.echo(f"    when:     {rule.condition}")
        click.echo(f"    rule:     {rule.message}")
        click.echo(f"    source:   {rule.source}")
        click.echo(f"    decision: {rule.decision}")
    ours = sum(1 for r in rules if r.basis == "ours")
    click.echo(f"{len(rules)} rules: {len(rules) - ours} stated by the vendor, {ours} our reading or advice")
