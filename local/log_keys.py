"""Per-thread log keys for powertools, because the local cloud runs every Lambda in one process.

On Lambda each invocation has its process to itself, so the module-level Logger's keys (function name,
request id, correlation id, order id...) belong to that invocation. Here concurrent invocations run in
threads and would overwrite each other's keys. This gives each thread its own copy of the formatter's
keys, starting from the keys the Logger was built with; a handler's ``clear_state`` resets only its own.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Any

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter


class _PerThreadKeys:
    """Descriptor standing in for ``LambdaPowertoolsFormatter.log_format``."""

    def __get__(self, formatter: Any, owner: type | None = None) -> Any:
        if formatter is None:
            return self
        state = _state(formatter)
        if not hasattr(state.local, "keys"):
            state.local.keys = dict(state.built_with)
        return state.local.keys

    def __set__(self, formatter: Any, keys: dict[str, Any]) -> None:
        state = _state(formatter, built_with=keys)
        state.local.keys = keys


def _state(formatter: Any, built_with: dict[str, Any] | None = None) -> SimpleNamespace:
    """The formatter's per-thread keys; the first keys it ever had (its __init__'s) seed every thread."""
    state = formatter.__dict__.get("_telar_keys")
    if state is None:
        first = formatter.__dict__.get("log_format", built_with if built_with is not None else {})
        state = formatter.__dict__["_telar_keys"] = SimpleNamespace(local=threading.local(), built_with=first)
    return state


def isolate_log_keys_per_thread() -> None:
    """Install once per process (formatters built before start from the keys they have now)."""
    if not isinstance(LambdaPowertoolsFormatter.__dict__.get("log_format"), _PerThreadKeys):
        LambdaPowertoolsFormatter.log_format = _PerThreadKeys()  # type: ignore[assignment]
