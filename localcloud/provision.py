"""Creates every resource of the template in the emulated cloud, in dependency order."""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

from localcloud.functions import FunctionRegistry, LocalFunction, code_location, function_arn
from localcloud.scheduler import Schedule, rate_seconds
from localcloud.template import ACCOUNT_ID, Resolver, references

logger = logging.getLogger("localcloud.provision")
ROLE_ARN = f"arn:aws:iam::{ACCOUNT_ID}:role/localcloud-lambda"


@dataclass
class Route:
    method: str
    path: str  # as in the template: /api/v1/batch/{batch_id}
    function: LocalFunction


@dataclass
class SqsSource:
    function: LocalFunction
    queue_arn: str
    queue_url: str
    batch_size: int
    report_batch_item_failures: bool


@dataclass
class Provisioned:
    functions: FunctionRegistry = field(default_factory=FunctionRegistry)
    routes: list[Route] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    layer_dirs: list[Path] = field(default_factory=list)
    state_machines: dict[str, str] = field(default_factory=dict)
    schedules: list[Schedule] = field(default_factory=list)
    cors: dict[str, Any] | None = None


class Provisioner:
    def __init__(
        self,
        *,
        root: Path,
        resources: dict[str, dict[str, Any]],
        resolver: Resolver,
        clients: Any,
        stack_name: str,
        region: str,
    ) -> None:
        self.root = root
        self.resources = resources
        self.resolver = resolver
        self.clients = clients
        self.stack = stack_name
        self.region = region
        self.out = Provisioned()
        self._pending_events: list[tuple[LocalFunction, str, dict[str, Any]]] = []

    def run(self) -> Provisioned:
        self.clients("iam").create_role(
            RoleName="localcloud-lambda",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                        }
                    ],
                }
            ),
        )
        graph = {
            lid: {r for r in references(res.get("Properties", {})) if r in self.resources}
            for lid, res in self.resources.items()
        }
        # Event sources refer to resources too (SQS queue ARNs) but are wired after creation.
        for logical_id in TopologicalSorter(graph).static_order():
            resource = self.resources[logical_id]
            handler = getattr(self, "_" + resource["Type"].replace("::", "_"), None)
            if handler is None:
                raise NotImplementedError(f"{logical_id}: {resource['Type']} is not supported by the local cloud")
            handler(logical_id, resource.get("Properties", {}))
        for fn, kind, props in self._pending_events:
            self._wire_event(fn, kind, props)
        return self.out

    def _name(self, logical_id: str, props: dict[str, Any], key: str) -> str:
        return str(self.resolver.resolve(props[key])) if key in props else f"{self.stack}-{logical_id}"

    def _arn(self, service: str, resource: str) -> str:
        return f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{resource}"

    # ------------------------------------------------------------------ resource types
    def _AWS_Serverless_LayerVersion(self, logical_id: str, props: dict[str, Any]) -> None:
        self.out.layer_dirs.append(self.root / props["ContentUri"])
        self.resolver.refs[logical_id] = self._arn("lambda", f"layer:{logical_id}:1")

    def _AWS_Serverless_HttpApi(self, logical_id: str, props: dict[str, Any]) -> None:
        self.resolver.refs[logical_id] = "local"
        self.out.cors = self.resolver.resolve(props.get("CorsConfiguration")) or None

    def _AWS_DynamoDB_Table(self, logical_id: str, props: dict[str, Any]) -> None:
        p = self.resolver.resolve(props)
        name = p.get("TableName") or f"{self.stack}-{logical_id}"
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": p["AttributeDefinitions"],
            "KeySchema": p["KeySchema"],
            "BillingMode": p.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if p.get("GlobalSecondaryIndexes"):
            args["GlobalSecondaryIndexes"] = p["GlobalSecondaryIndexes"]
        if p.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **p["StreamSpecification"]}
        ddb = self.clients("dynamodb")
        try:
            ddb.create_table(**args)
        except ddb.exceptions.ResourceInUseException:
            logger.debug("table %s kept from the data folder", name)  # its items too: a restart
            add_missing_indexes(ddb, name, p)
        else:
            if p.get("TimeToLiveSpecification"):
                ddb.update_time_to_live(TableName=name, TimeToLiveSpecification=p["TimeToLiveSpecification"])
        self.resolver.refs[logical_id] = name
        self.resolver.attrs[(logical_id, "Arn")] = self._arn("dynamodb", f"table/{name}")

    def _AWS_S3_Bucket(self, logical_id: str, props: dict[str, Any]) -> None:
        p = self.resolver.resolve(props)
        name = (p.get("BucketName") or f"{self.stack}-{logical_id}").lower()
        s3 = self.clients("s3")
        try:
            s3.create_bucket(Bucket=name)
        except s3.exceptions.BucketAlreadyOwnedByYou:
            logger.debug("bucket %s kept from the data folder", name)
        rules = []
        for rule in (p.get("LifecycleConfiguration") or {}).get("Rules", []):
            api_rule: dict[str, Any] = {
                "ID": rule.get("Id", "rule"),
                "Status": rule["Status"],
                "Filter": {"Prefix": rule.get("Prefix", "")},
            }
            if "AbortIncompleteMultipartUpload" in rule:
                api_rule["AbortIncompleteMultipartUpload"] = rule["AbortIncompleteMultipartUpload"]
            if "ExpirationInDays" in rule:
                api_rule["Expiration"] = {"Days": rule["ExpirationInDays"]}
            rules.append(api_rule)
        if rules:
            s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
        cors = p.get("CorsConfiguration")
        if cors:
            renames = {"Id": "ID", "MaxAge": "MaxAgeSeconds", "ExposedHeaders": "ExposeHeaders"}
            s3.put_bucket_cors(
                Bucket=name,
                CORSConfiguration={
                    "CORSRules": [{renames.get(k, k): v for k, v in r.items()} for r in cors["CorsRules"]]
                },
            )
        self.resolver.refs[logical_id] = name
        self.resolver.attrs[(logical_id, "Arn")] = f"arn:aws:s3:::{name}"
        self.resolver.attrs[(logical_id, "DomainName")] = f"{name}.s3.amazonaws.com"

    def _AWS_SQS_Queue(self, logical_id: str, props: dict[str, Any]) -> None:
        p = self.resolver.resolve(props)
        name = p.get("QueueName") or f"{self.stack}-{logical_id}"
        attributes = {
            k: (json.dumps(v) if isinstance(v, dict) else str(v))
            for k, v in p.items()
            if k not in ("QueueName", "Tags")
        }
        url = self.clients("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = self._arn("sqs", name)
        self.resolver.refs[logical_id] = url
        self.resolver.attrs.update(
            {(logical_id, "Arn"): arn, (logical_id, "QueueName"): name, (logical_id, "QueueUrl"): url}
        )

    def _AWS_SQS_QueuePolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        p = self.resolver.resolve(props)
        for url in p["Queues"]:
            policy = json.dumps(p["PolicyDocument"])
            self.clients("sqs").set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
        self.resolver.refs[logical_id] = logical_id

    def _AWS_Events_EventBus(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "Name")
        arn = self.clients("events").create_event_bus(Name=name)["EventBusArn"]
        self.resolver.refs[logical_id] = name
        self.resolver.attrs.update({(logical_id, "Arn"): arn, (logical_id, "Name"): name})

    def _AWS_Events_Rule(self, logical_id: str, props: dict[str, Any]) -> None:
        p = self.resolver.resolve(props)
        name = p.get("Name") or f"{self.stack}-{logical_id}"
        events = self.clients("events")
        args: dict[str, Any] = {
            "Name": name,
            "EventBusName": p.get("EventBusName", "default"),
            "State": p.get("State", "ENABLED"),
        }
        if "EventPattern" in p:
            args["EventPattern"] = json.dumps(p["EventPattern"])
        if "ScheduleExpression" in p:
            args["ScheduleExpression"] = p["ScheduleExpression"]
        arn = events.put_rule(**args)["RuleArn"]
        if p.get("Targets"):
            events.put_targets(Rule=name, EventBusName=args["EventBusName"], Targets=p["Targets"])
        self.resolver.refs[logical_id] = name
        self.resolver.attrs[(logical_id, "Arn")] = arn

    def _AWS_Serverless_Function(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "FunctionName")
        arn = function_arn(self.region, name)
        # Other resources may refer to this function before its own references resolve.
        self.resolver.refs[logical_id] = name
        self.resolver.attrs[(logical_id, "Arn")] = arn
        env = {
            k: str(v) for k, v in self.resolver.resolve((props.get("Environment") or {}).get("Variables", {})).items()
        }
        code_dir, handler = code_location(self.root, props, self.resources[logical_id].get("Metadata"))
        fn = LocalFunction(
            logical_id=logical_id,
            name=name,
            arn=arn,
            code_dir=code_dir,
            handler=handler,
            timeout=int(props.get("Timeout", 3)),
            memory=int(props.get("MemorySize", 128)),
            environment=env,
        )
        self.clients("lambda").create_function(
            FunctionName=name,
            Runtime=props.get("Runtime", "python3.11"),
            Role=ROLE_ARN,
            Handler=fn.handler,
            Code={"ZipFile": _placeholder_zip()},
            Timeout=fn.timeout,
            MemorySize=fn.memory,
            Environment={"Variables": env},
        )
        self.out.functions.add(fn)
        for event_id, event in (props.get("Events") or {}).items():
            self._pending_events.append((fn, event["Type"], {"Id": event_id, **event.get("Properties", {})}))

    def _AWS_Serverless_StateMachine(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "Name")
        if "DefinitionUri" in props:
            text = (self.root / props["DefinitionUri"]).read_text()
        else:
            text = json.dumps(props["Definition"])
        for key, val in self.resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(val))
        arn = self.clients("stepfunctions").create_state_machine(
            name=name, definition=text, roleArn=ROLE_ARN, type=props.get("Type", "STANDARD")
        )["stateMachineArn"]
        self.out.state_machines[logical_id] = arn
        self.resolver.refs[logical_id] = arn
        self.resolver.attrs.update({(logical_id, "Arn"): arn, (logical_id, "Name"): name})

    # Monitoring and guard rails that change nothing a local run observes: named, not created.
    def _AWS_Logs_LogGroup(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "LogGroupName")
        self.resolver.refs[logical_id] = name
        self.resolver.attrs[(logical_id, "Arn")] = self._arn("logs", f"log-group:{name}:*")

    def _AWS_CloudWatch_Alarm(self, logical_id: str, props: dict[str, Any]) -> None:
        self.resolver.refs[logical_id] = f"{self.stack}-{logical_id}"

    def _AWS_SNS_Topic(self, logical_id: str, props: dict[str, Any]) -> None:
        name = self._name(logical_id, props, "TopicName")
        self.resolver.refs[logical_id] = self._arn("sns", name)
        self.resolver.attrs[(logical_id, "TopicName")] = name

    def _AWS_S3_BucketPolicy(self, logical_id: str, props: dict[str, Any]) -> None:
        self.resolver.refs[logical_id] = logical_id

    # ------------------------------------------------------------------ events of functions
    def _wire_event(self, fn: LocalFunction, kind: str, props: dict[str, Any]) -> None:
        if kind == "HttpApi":
            fn.serial = True
            self.out.routes.append(Route(props.get("Method", "ANY").upper(), props.get("Path", "$default"), fn))
        elif kind == "SQS":
            p = self.resolver.resolve(props)
            queue_name = p["Queue"].rsplit(":", 1)[-1]
            url = self.clients("sqs").get_queue_url(QueueName=queue_name)["QueueUrl"]
            self.out.sqs_sources.append(
                SqsSource(
                    fn,
                    p["Queue"],
                    url,
                    int(p.get("BatchSize", 10)),
                    "ReportBatchItemFailures" in (p.get("FunctionResponseTypes") or []),
                )
            )
        elif kind == "Schedule":
            p = self.resolver.resolve(props)
            rate_seconds(p["Schedule"])  # refuse what the local cloud cannot run, at start
            self.out.schedules.append(Schedule(fn, p["Id"], p["Schedule"], bool(p.get("Enabled", True))))
        else:
            raise NotImplementedError(f"{fn.logical_id}: event type {kind} is not supported by the local cloud")


def _placeholder_zip() -> bytes:
    """moto wants a code package; the real code runs from the source tree."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("README.txt", "code runs in-process from the source tree (localcloud)")
    return buf.getvalue()


def add_missing_indexes(ddb: Any, name: str, props: dict[str, Any]) -> None:
    """A table kept from the data folder gets the template's global secondary indexes it lacks,
    one UpdateTable each (as a CloudFormation update adds them); the emulator fills each from the
    items already there before it is ACTIVE."""
    have = {i["IndexName"] for i in ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])}
    for index in props.get("GlobalSecondaryIndexes") or []:
        if index["IndexName"] in have:
            continue
        logger.info("table %s: adding index %s", name, index["IndexName"])
        ddb.update_table(
            TableName=name,
            AttributeDefinitions=props["AttributeDefinitions"],
            GlobalSecondaryIndexUpdates=[{"Create": index}],
        )
        _wait_until_active(ddb, name, index["IndexName"])


def _wait_until_active(ddb: Any, name: str, index_name: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        indexes = ddb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == index_name and i.get("IndexStatus", "ACTIVE") == "ACTIVE" for i in indexes):
            return
        time.sleep(0.1)
    raise RuntimeError(f"table {name}: index {index_name} not active after {timeout} s")
