"""What one run hands to the Schemathesis extensions it registers.

Schemathesis' checks, serializers and `before_call` hooks are registered globally, once per
process, and are called with a case; the run's state (its contract, its checks' environment, its
write guard) travels on the schema object that case belongs to. Nothing is kept in a module, so
two runs in one process (a test suite, a plugin user) never see each other's state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..contract import Contract
    from .checks import CheckEnv
    from .safety import WriteGuard

ATTRIBUTE = "contract_kit_run"
"""The attribute of a Schemathesis schema object that holds its run's `RunBinding`."""


@dataclass(frozen=True)
class RunBinding:
    contract: Contract
    env: CheckEnv | None = None
    guard: WriteGuard | None = None


def bind(schema: Any, binding: RunBinding) -> None:
    """Attach a run's state to the Schemathesis schema whose cases the run sends."""
    setattr(schema, ATTRIBUTE, binding)


def bound_to(case: Any) -> RunBinding | None:
    """The run a Schemathesis case belongs to (None outside a contract-kit run)."""
    operation = getattr(case, "operation", None)
    binding = getattr(getattr(operation, "schema", None), ATTRIBUTE, None)
    return binding if isinstance(binding, RunBinding) else None


def register_global_hook(name: str, hook: Callable[..., Any]) -> None:
    """Register `hook` as Schemathesis' global hook `name`, replacing an earlier copy of it.

    Schemathesis' global hooks outlive our modules: a test runner that unloads and re-imports
    contract-kit (pytester does) would leave the old copy registered, whose classes are not the
    new ones (`bound_to` would never recognise a binding). A copy is recognised by its module and
    qualified name."""
    import schemathesis
    from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

    for known in GLOBAL_HOOK_DISPATCHER.get_all_by_name(name):
        if known is hook:
            return
        if (getattr(known, "__module__", None), getattr(known, "__qualname__", None)) == (
            hook.__module__, hook.__qualname__,
        ):
            GLOBAL_HOOK_DISPATCHER.unregister(known)
    schemathesis.hook(name)(hook)
