"""The `contract-kit` command: a thin face over the library.

Commands are imported only when invoked, so `contract-kit validate` (run by pre-commit hooks on
every commit) never pays for Schemathesis, Hypothesis, Starlette or vcrpy.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from . import __version__  # a constant: the package imports its other names lazily, so this loads no contract

# command name -> "module:attribute" of its click command, imported on first use.
LAZY_COMMANDS: dict[str, str] = {
    "validate": "contract_kit.commands.validate:validate_command",
    "rules": "contract_kit.commands.rules:rules_command",
    "generate": "contract_kit.commands.generate:generate_command",
    "mock": "contract_kit.commands.mock:mock_command",
    "run": "contract_kit.commands.run:run_command",
    "doctor": "contract_kit.commands.doctor:doctor_command",
    "drift": "contract_kit.commands.drift:drift_command",
    "cassettes": "contract_kit.commands.cassettes:cassettes_command",
}


class LazyGroup(click.Group):
    """A click group whose subcommands live in their own modules, imported on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = [name for name, target in LAZY_COMMANDS.items() if _module_exists(target)]
        return sorted(set(super().list_commands(ctx)) | set(available))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = LAZY_COMMANDS.get(cmd_name)
        if target is None or not _module_exists(target):
            return super().get_command(ctx, cmd_name)
        module_name, attribute = target.split(":")
        command: Any = getattr(importlib.import_module(module_name), attribute)
        return command  # type: ignore[no-any-return]


def _module_exists(target: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(target.split(":")[0]) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="contract-kit")
def main() -> None:
    """Contract testing and payload validation for the Twilio Flex Interactions API."""


if __name__ == "__main__":  # pragma: no cover
    main()
