"""Reading template.yaml and translating it to plain CloudFormation, offline (for the template checks)."""

import copy
import json
from pathlib import Path
from typing import Any

import boto3
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

import local.template

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    """template.yaml (short intrinsic tags in their long form), read as the local cloud reads it."""
    return local.template.load_template(path)


def translate(template: dict[str, Any]) -> dict[str, Any]:
    """SAM -> CloudFormation as `sam deploy` would, with local paths replaced by the S3 URIs sam package makes."""
    sam = copy.deepcopy(template)
    for resource in sam["Resources"].values():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://telar-artifacts/{props[key].strip('/')}"
    session = boto3.session.Session(region_name="us-east-1")  # offline: only names the partition
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    translated: dict[str, Any] = translator.translate(sam, parameter_values={})
    return translated


if __name__ == "__main__":
    print(json.dumps(translate(load_template()), indent=1))
