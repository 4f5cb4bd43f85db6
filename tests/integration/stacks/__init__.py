"""Small SAM stacks (template.yaml and state machine definitions) that the local cloud's own tests deploy."""

from pathlib import Path

STACKS = Path(__file__).resolve().parent
