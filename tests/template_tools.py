"""Reading template.yaml and translating it to plain CloudFormation, offline (for the template checks)."""

import json
from pathlib import Path
from typing import Any

import local.iam
import local.template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml (short intrinsic tags in their long form), read as the local cloud reads it."""
    return local.template.load_template(path)


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM -> CloudFormation as `sam deploy` would (the local cloud's IAM check reads the roles from the same)."""
    return local.iam.translate(template)


if __name__ == "__main__":
    print(json.dumps(translate(load_template()), indent=1))
