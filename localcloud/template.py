"""Reads a SAM template and resolves CloudFormation intrinsics against local physical names."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
_SUB_VAR = re.compile(r"\$\{([^}!][^}]*)\}")


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag_constructor(tag: str) -> Any:
    name = "Ref" if tag == "Ref" else f"Fn::{tag}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            raw: Any = loader.construct_scalar(node)
            if tag == "GetAtt":
                raw = str(raw).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            raw = loader.construct_sequence(node, deep=True)
        else:
            raw = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: raw}

    return construct


for _tag in (
    "Ref",
    "GetAtt",
    "Sub",
    "Join",
    "Select",
    "Split",
    "If",
    "Equals",
    "Not",
    "And",
    "Or",
    "FindInMap",
    "ImportValue",
    "Base64",
    "GetAZs",
    "Condition",
    "Cidr",
):
    _CfnLoader.add_constructor(f"!{_tag}", _tag_constructor(_tag))


def load_template(path: Path) -> dict[str, Any]:
    with path.open() as fh:
        data = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(data, dict) or "Resources" not in data:
        raise ValueError(f"{path} is not a CloudFormation/SAM template")
    return data


def merge_globals(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources with SAM Globals applied (maps merged, lists prepended, scalars overridden)."""
    globals_ = template.get("Globals", {})
    type_globals = {
        "AWS::Serverless::Function": globals_.get("Function", {}),
        "AWS::Serverless::HttpApi": globals_.get("HttpApi", {}),
        "AWS::Serverless::StateMachine": globals_.get("StateMachine", {}),
    }
    merged: dict[str, dict[str, Any]] = {}
    for logical_id, resource in template["Resources"].items():
        resource = copy.deepcopy(resource)
        defaults = type_globals.get(resource.get("Type", ""), {})
        resource["Properties"] = _merge(copy.deepcopy(defaults), resource.get("Properties", {}))
        merged[logical_id] = resource
    return merged


def _merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        out = dict(base)
        for key, val in override.items():
            out[key] = _merge(base[key], val) if key in base else val
        return out
    if isinstance(base, list) and isinstance(override, list):
        return base + override
    return override


def references(value: Any) -> set[str]:
    """Logical ids a property value refers to (Ref, GetAtt, Sub variables)."""
    found: set[str] = set()
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            found.add(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            found.add(target[0] if isinstance(target, list) else str(target).split(".")[0])
        if "Fn::Sub" in value:
            sub = value["Fn::Sub"]
            text = sub[0] if isinstance(sub, list) else sub
            found.update(m.split(".")[0] for m in _SUB_VAR.findall(text))
        for val in value.values():
            found |= references(val)
    elif isinstance(value, list):
        for val in value:
            found |= references(val)
    return found


class Resolver:
    """Resolves intrinsics given what each resource resolves to (`refs`, `attrs`)."""

    def __init__(self, *, stack_name: str, region: str, parameters: Mapping[str, str]) -> None:
        self.refs: dict[str, Any] = {
            "AWS::Region": region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::StackName": stack_name,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::NoValue": None,
            **parameters,
        }
        self.attrs: dict[tuple[str, str], Any] = {}

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [v for v in (self.resolve(v) for v in value) if v is not None]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref" or key.startswith("Fn::"):
                return self._intrinsic(key, arg)
        return {k: v for k, v in ((k, self.resolve(v)) for k, v in value.items()) if v is not None}

    def _intrinsic(self, key: str, arg: Any) -> Any:
        method = _INTRINSICS.get(key)
        if method is None:
            raise NotImplementedError(f"{key} is not supported by the local cloud")
        return getattr(self, method)(arg)

    def _ref(self, arg: Any) -> Any:
        if arg not in self.refs:
            raise KeyError(f"Ref to unknown or not yet created resource {arg}")
        return self.refs[arg]

    def _get_att(self, arg: Any) -> Any:
        logical, attr = arg if isinstance(arg, list) else str(arg).split(".", 1)
        if (logical, attr) not in self.attrs:
            raise KeyError(f"GetAtt {logical}.{attr} is not known locally")
        return self.attrs[(logical, attr)]

    def _join(self, arg: Any) -> str:
        sep, items = arg
        return str(sep).join(str(i) for i in self.resolve(items))

    def _select(self, arg: Any) -> Any:
        index, items = arg
        return self.resolve(items)[int(self.resolve(index))]

    def _split(self, arg: Any) -> list[str]:
        sep, text = arg
        return str(self.resolve(text)).split(sep)

    def _sub(self, arg: Any) -> str:
        text, extra = (arg[0], self.resolve(arg[1])) if isinstance(arg, list) else (arg, {})

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in extra:
                return str(extra[name])
            if "." in name:
                logical, attr = name.split(".", 1)
                return str(self.resolve({"Fn::GetAtt": [logical, attr]}))
            return str(self.resolve({"Ref": name}))

        return _SUB_VAR.sub(replace, text).replace("${!", "${")


# The intrinsic functions the local cloud resolves, and the Resolver method for each.
_INTRINSICS = {
    "Ref": "_ref",
    "Fn::GetAtt": "_get_att",
    "Fn::Sub": "_sub",
    "Fn::Join": "_join",
    "Fn::Select": "_select",
    "Fn::Split": "_split",
}
