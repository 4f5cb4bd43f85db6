"""Waiting on explicit conditions with deadlines (never a fixed sleep), shared by the tests that wait."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def wait_for(condition: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1, what: str = "") -> Any:
    """The first truthy value of ``condition()``; AssertionError if there is none within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"not true within {timeout} s: {what or condition}")
        time.sleep(interval)


def read_outputs(path: Path, process: subprocess.Popen[Any] | None = None, timeout: float = 60.0) -> dict[str, Any]:
    """``outputs.json`` once it holds complete JSON (waiting on content, not on the file's existence).

    Fails early if ``process`` (the local cloud's) exits before it is ready.
    """

    def complete() -> dict[str, Any] | None:
        assert process is None or process.poll() is None, f"the local cloud exited ({process.returncode}) before ready"
        try:
            outputs = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return outputs if isinstance(outputs, dict) and "api_url" in outputs else None

    return dict(wait_for(complete, timeout=timeout, what=f"{path} holds the local cloud's outputs"))
