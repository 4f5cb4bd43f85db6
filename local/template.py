"""Reading template.yaml: YAML with CloudFormation short tags, SAM Globals, and the intrinsics we use.

Why by hand and not through CloudFormation: moto's create_stack cannot run our template (REST API
resources break it, DefinitionSubstitutions are ignored, stack-made state machines do not execute),
so the local cloud walks the template itself. This module is pure (no AWS calls): it turns the
template into plain values, and provisioning (local.provision) decides what to create.
"""

from __future__ import annotations

import copy
import graphlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

SERVERLESS_PREFIX = "AWS::Serverless::"
PSEUDO_PREFIX = "AWS::"
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class TemplateError(Exception):
    """The template cannot be read or resolved locally; the message names the place."""


class UnsupportedIntrinsic(TemplateError):
    """An intrinsic function the local cloud does not evaluate (fail loudly rather than guess)."""


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that knows CloudFormation's short tags (!Ref, !GetAtt, !Sub...).

    A private subclass, so that the global yaml.SafeLoader is left untouched.
    """


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"
    if name == "GetAtt" and isinstance(node, yaml.ScalarNode):
        logical_id, _, attribute = loader.construct_scalar(node).partition(".")
        return {key: [logical_id, attribute]}
    if isinstance(node, yaml.ScalarNode):
        return {key: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {key: loader.construct_sequence(node, deep=True)}
    return {key: loader.construct_mapping(node, deep=True)}  # type: ignore[arg-type]


_CfnLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    """Parse a SAM/CloudFormation YAML (or JSON) template into plain Python values."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506 - safe subclass
    except yaml.YAMLError as exc:
        raise TemplateError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: a template needs a Resources mapping")
    return document


# ---------------------------------------------------------------------------------------- Globals


def _is_intrinsic(value: Any) -> bool:
    if not (isinstance(value, dict) and len(value) == 1):
        return False
    key = next(iter(value))
    return key == "Ref" or key.startswith("Fn::")


def _merge_global(global_value: Any, local_value: Any) -> Any:
    """SAM's rule: maps merge (local wins), lists concatenate (globals first), scalars are replaced."""
    if _is_intrinsic(global_value) or _is_intrinsic(local_value):
        return copy.deepcopy(local_value)
    if isinstance(global_value, dict) and isinstance(local_value, dict):
        merged = copy.deepcopy(global_value)
        for key, value in local_value.items():
            merged[key] = _merge_global(merged[key], value) if key in merged else copy.deepcopy(value)
        return merged
    if isinstance(global_value, list) and isinstance(local_value, list):
        return copy.deepcopy(global_value) + copy.deepcopy(local_value)
    return copy.deepcopy(local_value)


def resources_with_globals(template: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The template's resources, each AWS::Serverless::X with Globals.X merged into its Properties."""
    globals_ = template.get("Globals") or {}
    resources: dict[str, dict[str, Any]] = {}
    for logical_id, resource in template["Resources"].items():
        resource = copy.deepcopy(resource)
        rtype = resource.get("Type", "")
        section = globals_.get(rtype.removeprefix(SERVERLESS_PREFIX)) if rtype.startswith(SERVERLESS_PREFIX) else None
        if section:
            resource["Properties"] = _merge_global(section, resource.get("Properties") or {})
        resources[logical_id] = resource
    return resources


# ---------------------------------------------------------------------------------------- dependencies


def _sub_names(value: Any) -> Iterable[str]:
    text = value[0] if isinstance(value, list) else value
    local_vars = value[1] if isinstance(value, list) and len(value) > 1 else {}
    if not isinstance(text, str):
        return
    for name in _SUB_VARIABLE.findall(text):
        if name.startswith("!"):
            continue
        base = name.split(".", 1)[0]
        if base not in local_vars:
            yield base


def references(value: Any) -> set[str]:
    """Names a value refers to through Ref, Fn::GetAtt or Fn::Sub (parameters and pseudo names too)."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt" and isinstance(inner, list) and inner:
                found.add(str(inner[0]))
            elif key == "Fn::Sub":
                found.update(_sub_names(inner))
            found |= references(inner)
    elif isinstance(value, list):
        for item in value:
            found |= references(item)
    return found


def dependency_order(resources: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Logical ids in an order where every resource comes after what it refers to (and DependsOn)."""
    sorter: graphlib.TopologicalSorter[str] = graphlib.TopologicalSorter()
    for logical_id, resource in resources.items():
        depends_on = resource.get("DependsOn") or []
        if isinstance(depends_on, str):
            depends_on = [depends_on]
        deps = (references(resource.get("Properties") or {}) | set(depends_on)) & resources.keys()
        sorter.add(logical_id, *sorted(deps - {logical_id}))
    try:
        return list(sorter.static_order())
    except graphlib.CycleError as exc:
        raise TemplateError(f"circular references between resources: {exc.args[1]}") from exc


# ---------------------------------------------------------------------------------------- intrinsics


@dataclass(frozen=True)
class Pseudo:
    """The values of CloudFormation's pseudo parameters for the local stack."""

    stack_name: str
    account_id: str
    region: str
    partition: str = "aws"
    url_suffix: str = "amazonaws.com"

    def as_refs(self) -> dict[str, Any]:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::StackId": (
                f"arn:{self.partition}:cloudformation:{self.region}:{self.account_id}:stack/{self.stack_name}/local"
            ),
            "AWS::AccountId": self.account_id,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
        }


NO_VALUE: Any = type("NoValue", (), {"__repr__": lambda self: "AWS::NoValue"})()
"""Ref AWS::NoValue resolves to this; dicts and lists drop it, as CloudFormation drops the property."""


def parameter_values(template: Mapping[str, Any], overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Each template parameter's value: the override if given, else its Default."""
    overrides = dict(overrides or {})
    values: dict[str, Any] = {}
    for name, spec in (template.get("Parameters") or {}).items():
        if name in overrides:
            value: Any = overrides.pop(name)
        elif "Default" in spec:
            value = spec["Default"]
        else:
            raise TemplateError(f"parameter {name} has no Default; pass a value for it")
        if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
            value = [part.strip() for part in value.split(",")]
        elif not isinstance(value, list):
            value = str(value)
        values[name] = value
    if overrides:
        raise TemplateError(f"unknown parameters: {sorted(overrides)}")
    return values


@dataclass
class Resolver:
    """Evaluates intrinsic functions against what has been provisioned so far.

    ``refs`` maps logical ids (and parameters, pseudo parameters) to their Ref value; ``attributes``
    maps logical ids to their Fn::GetAtt attributes. Provisioning fills both as it creates resources.
    """

    pseudo: Pseudo
    parameters: dict[str, Any] = field(default_factory=dict)
    mappings: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)

    def resolve(self, value: Any, where: str = "") -> Any:
        """Resolve every intrinsic inside ``value``; ``where`` names the place for error messages."""
        if isinstance(value, dict):
            if len(value) == 1:
                ((key, argument),) = value.items()
                if key in _INTRINSIC_KEYS:
                    return getattr(self, _INTRINSIC_KEYS[key])(argument, where)
                if key.startswith("Fn::"):
                    raise UnsupportedIntrinsic(f"{where}: {key} is not supported by the local cloud")
            resolved = {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(item, f"{where}[{i}]") for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    # -- the functions ------------------------------------------------------------------------

    def _lookup(self, name: str, where: str) -> Any:
        if name == "AWS::NoValue":
            return NO_VALUE
        pseudo = self.pseudo.as_refs()
        if name in pseudo:
            return pseudo[name]
        if name.startswith(PSEUDO_PREFIX):
            raise UnsupportedIntrinsic(f"{where}: pseudo parameter {name} is not supported")
        if name in self.parameters:
            return self.parameters[name]
        if name in self.refs:
            return self.refs[name]
        raise TemplateError(f"{where}: Ref {name}: no such parameter or provisioned resource")

    def _get_att(self, logical_id: str, attribute: str, where: str) -> Any:
        if logical_id not in self.attributes:
            raise TemplateError(f"{where}: GetAtt {logical_id}.{attribute}: no provisioned resource")
        attributes = self.attributes[logical_id]
        if attribute not in attributes:
            raise TemplateError(
                f"{where}: GetAtt {logical_id}.{attribute}: the local cloud knows only {sorted(attributes)}"
            )
        return attributes[attribute]

    def _ref(self, argument: Any, where: str) -> Any:
        return self._lookup(str(self.resolve(argument, where)), where)

    def _fn_get_att(self, argument: Any, where: str) -> Any:
        argument = self.resolve(argument, where)
        if isinstance(argument, str):
            argument = argument.split(".", 1)
        if not (isinstance(argument, list) and len(argument) == 2):
            raise TemplateError(f"{where}: Fn::GetAtt needs [LogicalId, Attribute], got {argument!r}")
        return self._get_att(str(argument[0]), str(argument[1]), where)

    def _fn_sub(self, argument: Any, where: str) -> str:
        if isinstance(argument, list):
            text, variables = argument[0], self.resolve(argument[1] if len(argument) > 1 else {}, where)
        else:
            text, variables = argument, {}
        if not isinstance(text, str):
            raise TemplateError(f"{where}: Fn::Sub needs a string, got {text!r}")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(variables[name])
            if "." in name and not name.startswith(PSEUDO_PREFIX):
                logical_id, attribute = name.split(".", 1)
                return str(self._get_att(logical_id, attribute, where))
            return str(self._lookup(name, where))

        return _SUB_VARIABLE.sub(substitute, text)

    def _fn_join(self, argument: Any, where: str) -> str:
        delimiter, items = self.resolve(argument, where)
        return str(delimiter).join(str(item) for item in items)

    def _fn_select(self, argument: Any, where: str) -> Any:
        index, items = self.resolve(argument, where)
        return items[int(index)]

    def _fn_split(self, argument: Any, where: str) -> list[str]:
        delimiter, text = self.resolve(argument, where)
        return str(text).split(str(delimiter))

    def _fn_find_in_map(self, argument: Any, where: str) -> Any:
        name, top, second = self.resolve(argument, where)
        try:
            return self.mappings[name][top][second]
        except KeyError as exc:
            raise TemplateError(f"{where}: Fn::FindInMap {name}/{top}/{second}: not in Mappings") from exc


_INTRINSIC_KEYS: dict[str, str] = {
    "Ref": "_ref",
    "Fn::GetAtt": "_fn_get_att",
    "Fn::Sub": "_fn_sub",
    "Fn::Join": "_fn_join",
    "Fn::Select": "_fn_select",
    "Fn::Split": "_fn_split",
    "Fn::FindInMap": "_fn_find_in_map",
}
