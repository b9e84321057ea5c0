"""`contract-kit generate`: example payloads (valid, or breaking one rule) as a JSON array."""

from __future__ import annotations

import json

import click

from ..contract import DEFAULT_OPERATION


@click.command("generate")
@click.option("--operation", "-o", default=DEFAULT_OPERATION, show_default=True, help="operationId to generate for.")
@click.option("--type", "channel_type", default=None, help="Pin Channel.type (CreateInteraction).")
@click.option("--initiated-by", "initiated_by", default=None, help="Pin Channel.initiated_by (CreateInteraction).")
@click.option("--violate", "rule_id", default=None, help="Break this rule id and no other.")
@click.option("--count", "-n", default=5, show_default=True, type=click.IntRange(1, 10_000))
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same payloads.")
@click.option("--shape", type=click.Choice(["decoded", "wire", "sdk"]), default="decoded", show_default=True)
@click.option("--fuzz", is_flag=True, help="Whole formats instead of fictional contact data.")
def generate_command(
    operation: str,
    channel_type: str | None,
    initiated_by: str | None,
    rule_id: str | None,
    count: int,
    seed: int,
    shape: str,
    fuzz: bool,
) -> None:
    """Print a JSON array of request payloads derived from the contract."""
    from ..strategies import (
        Shape,
        UnknownChoiceError,
        UnrepresentableRuleError,
        generate,
        payloads,
        violating,
    )

    chosen: Shape = "wire" if shape == "wire" else "sdk" if shape == "sdk" else "decoded"
    try:
        if rule_id is not None:
            if channel_type or initiated_by:
                raise click.UsageError("--violate picks its own cells; drop --type/--initiated-by")
            explicit = operation if _given("operation") else None
            strategy = violating(rule_id, explicit, shape=chosen, fuzz=fuzz)
        else:
            strategy = payloads(
                operation, channel_type=channel_type, initiated_by=initiated_by, shape=chosen, fuzz=fuzz
            )
    except UnknownChoiceError as exc:
        param = {"rule": "--violate", "type": "--type", "initiated_by": "--initiated-by"}.get(exc.what)
        if param is None and exc.what.startswith("operation"):
            param = "--operation"
        elif param is None and exc.what.startswith("dimension"):
            param = "--type/--initiated-by"
        raise click.BadParameter(str(exc), param_hint=param) from None
    except UnrepresentableRuleError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(json.dumps(generate(strategy, count=count, seed=seed), indent=2, ensure_ascii=False))


def _given(name: str) -> bool:
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
