"""What the template lets each function (and state machine) do on AWS: the SAM template is
translated offline with the SAM translator (SAM policy templates expanded into the IAM roles
CloudFormation would create), and each role's statements are resolved to the names the
local cloud gave the stack's resources, so recorded calls can be checked against them."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.cloud import REPO_ROOT
from localcloud.template import ACCOUNT_ID, Resolver, load_template
from tests.support.aws_calls import UNKNOWN, Call, Need

SAM_PYTHON = REPO_ROOT / ".venv-sam" / "bin" / "python3.11"
# samtranslator is in the SAM CLI's venv (its boto3 pin conflicts with the app's venv).
_TRANSLATE = """
import json, sys
from samtranslator.translator.transform import transform
class NoManagedPolicies:
    def load(self):
        return {}
template = json.load(sys.stdin)
print(json.dumps(transform(template, {"AWS::Region": "us-east-1"}, NoManagedPolicies())))
"""
_PRINCIPALS = {"AWS::Lambda::Function": "Role", "AWS::StepFunctions::StateMachine": "RoleArn"}


def translate(template_path: Path) -> dict[str, Any]:
    """The CloudFormation template `sam deploy` would create (intrinsics left in place)."""
    template = load_template(template_path)
    # What `sam package` would do: local code becomes an S3 object, images an ECR image.
    for res in template["Resources"].values():
        props = res.get("Properties", {})
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = "s3://packaged/code.zip"
        if props.get("PackageType") == "Image":
            props.setdefault("ImageUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/packaged:latest")
    result = subprocess.run(
        [str(SAM_PYTHON), "-c", _TRANSLATE],
        input=json.dumps(template),
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"SAM translation failed: {result.stderr[-2000:]}")
    return dict(json.loads(result.stdout))


@dataclass
class Grants:
    """The Allow statements of one principal's role, with resources resolved locally."""

    statements: list[tuple[list[str], list[str]]] = field(default_factory=list)  # (actions, resources)
    managed: list[str] = field(default_factory=list)

    def allows(self, need: Need) -> bool:
        for actions, resources in self.statements:
            if not any(fnmatch.fnmatchcase(need.action.lower(), a.lower()) for a in actions):
                continue
            if need.resource == UNKNOWN or any(
                r == UNKNOWN or fnmatch.fnmatchcase(need.resource, r) for r in resources
            ):
                return True
        return False

    def actions(self) -> set[str]:
        return {a for actions, _ in self.statements for a in actions}


def grants_by_principal(translated: dict[str, Any], resolver: Resolver) -> dict[str, Grants]:
    """Function and state machine logical ids -> what their execution roles allow."""
    resources = translated["Resources"]
    out: dict[str, Grants] = {}
    for logical_id, res in resources.items():
        key = _PRINCIPALS.get(res["Type"])
        if key is None:
            continue
        role_ref = res["Properties"].get(key)
        if not (isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref):
            continue
        role = resources[role_ref["Fn::GetAtt"][0]]["Properties"]
        grants = Grants(
            managed=[json.dumps(m) if not isinstance(m, str) else m for m in role.get("ManagedPolicyArns", [])]
        )
        for policy in role.get("Policies", []):
            for statement in _as_list(policy["PolicyDocument"]["Statement"]):
                if statement.get("Effect") != "Allow" or "Action" not in statement:
                    continue
                actions = [str(a) for a in _as_list(statement["Action"])]
                grants.statements.append(
                    (actions, [_resolve(resolver, r) for r in _as_list(statement.get("Resource", "*"))])
                )
        out[logical_id] = grants
    return out


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _resolve(resolver: Resolver, value: Any) -> str:
    """The ARN pattern a Resource resolves to here; UNKNOWN (matches any) when it refers to
    something the local cloud cannot name."""
    try:
        return str(resolver.resolve(value))
    except (KeyError, NotImplementedError):
        return UNKNOWN


@dataclass
class Verdict:
    denied: list[tuple[Call, Need]]
    unused: dict[str, list[str]]  # principal -> granted actions no recorded call needed
    unchecked: list[str]  # functions with calls but no role in the template (not in it)


def check(calls: Iterable[Call], grants: dict[str, Grants]) -> Verdict:
    denied: list[tuple[Call, Need]] = []
    used: dict[str, set[str]] = {}
    unchecked: set[str] = set()
    for call in sorted(calls):
        principal = grants.get(call.function)
        if principal is None:
            unchecked.add(call.function)
            continue
        for need in call.needs:
            used.setdefault(call.function, set()).add(need.action.lower())
            if not principal.allows(need):
                denied.append((call, need))
    unused = {
        name: sorted(a for a in g.actions() if "*" not in a and a.lower() not in used.get(name, set()))
        for name, g in grants.items()
        if name in used
    }
    return Verdict(denied, unused, sorted(unchecked))


def report(verdict: Verdict, calls: Mapping[Call, int], grants: dict[str, Grants]) -> str:
    """Markdown: per function, each operation with its count and the permissions it needed
    (object keys shortened to their first folder), then denied calls and unused grants."""
    lines = ["# AWS calls per function, checked against template.yaml's IAM policies", ""]
    for function in sorted({c.function for c in calls}):
        lines.append(f"## {function}")
        per_op: dict[str, tuple[int, set[str]]] = {}
        for call, count in calls.items():
            if call.function == function:
                total, needs = per_op.get(call.operation, (0, set()))
                needs |= {f"{n.action} on {_short(n.resource)}" for n in call.needs}
                per_op[call.operation] = (total + count, needs)
        lines += [f"- {op} x{n}: {', '.join(sorted(needs))}" for op, (n, needs) in sorted(per_op.items())]
        lines.append("")
    lines.append("## Denied (calls the policy does not allow)")
    lines += [f"- {c.function}: {c.operation} needs {n.action} on {n.resource}" for c, n in verdict.denied] or [
        "- none"
    ]
    lines += ["", "## Granted but never used during this run (report only; may be legitimate)"]
    for name, actions in sorted(verdict.unused.items()):
        lines.append(f"- {name}: {', '.join(actions) if actions else 'none'}")
    silent = sorted(set(grants) - {c.function for c in calls})
    if silent:
        lines += [
            "",
            "## Principals with no recorded call in this run (state machines: checked from their ASL in tests/deploy)",
            *(f"- {name}" for name in silent),
        ]
    if verdict.unchecked:
        lines += ["", "## Calls from functions without a role in template.yaml", *(f"- {n}" for n in verdict.unchecked)]
    return "\n".join(lines) + "\n"


def _short(resource: str) -> str:
    if resource.startswith("arn:aws:s3:::") and resource.count("/") > 1:
        return resource.split("/", 2)[0] + "/" + resource.split("/", 2)[1] + "/*"
    return resource


def static_resolver(template: dict[str, Any], stack: str = "stack", region: str = "us-east-1") -> Resolver:
    """Names and ARNs for the template's resources as CloudFormation would roughly give them,
    without creating anything (checks of the template alone)."""
    resolver = Resolver(stack_name=stack, region=region, parameters=_parameter_defaults(template))

    def arn(service: str, resource: str) -> str:
        return f"arn:aws:{service}:{region}:{ACCOUNT_ID}:{resource}"

    for lid, res in template["Resources"].items():
        kind, name = res.get("Type", ""), f"{stack}-{lid}"
        refs, attrs = resolver.refs, resolver.attrs
        if kind == "AWS::Serverless::Function":
            refs[lid], attrs[(lid, "Arn")] = name, arn("lambda", f"function:{name}")
        elif kind == "AWS::Serverless::StateMachine":
            refs[lid] = attrs[(lid, "Arn")] = arn("states", f"stateMachine:{name}")
            attrs[(lid, "Name")] = name
        elif kind == "AWS::SQS::Queue":
            refs[lid], attrs[(lid, "QueueName")] = f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{name}", name
            attrs[(lid, "Arn")] = arn("sqs", name)
        elif kind == "AWS::S3::Bucket":
            refs[lid], attrs[(lid, "Arn")] = name.lower(), f"arn:aws:s3:::{name.lower()}"
        elif kind == "AWS::DynamoDB::Table":
            refs[lid], attrs[(lid, "Arn")] = name, arn("dynamodb", f"table/{name}")
        elif kind == "AWS::Events::EventBus":
            bus = str(resolver.resolve(res["Properties"].get("Name", name)))
            refs[lid], attrs[(lid, "Name")], attrs[(lid, "Arn")] = bus, bus, arn("events", f"event-bus/{bus}")
        else:
            refs[lid] = name
    return resolver


def _parameter_defaults(template: dict[str, Any]) -> dict[str, str]:
    return {k: str(v.get("Default", "")) for k, v in (template.get("Parameters") or {}).items()}
