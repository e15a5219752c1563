"""What `sam deploy` would create, checked without AWS: checkov finds nothing unjustified,
every function logs with a retention and raises an alarm, every queue has a dead-letter
queue watched by an alarm, data is encrypted and recoverable, and each state machine's role
allows what its definition calls. Enumerates the template: functions added later are held
to the same rules."""

from __future__ import annotations

import json
import subprocess
from typing import Any

import pytest

from localcloud.cloud import REPO_ROOT
from localcloud.template import load_template
from tests.support.asl_permissions import needs_of_definition
from tests.support.iam_policies import grants_by_principal, static_resolver, translate

TEMPLATE = REPO_ROOT / "template.yaml"
CHECKOV = REPO_ROOT / ".venv-checkov" / "bin" / "checkov"


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {lid: r.get("Properties", {}) for lid, r in template["Resources"].items() if r["Type"] == kind}


def _refers_to(value: Any, logical_id: str) -> bool:
    text = json.dumps(value)
    return any(f'"{form}' in text for form in (f'Ref": "{logical_id}', f"${{{logical_id}}}", f"{logical_id}.")) or (
        f'["{logical_id}",' in text
    )


def test_checkov_finds_nothing_that_docs_deploy_md_does_not_justify() -> None:
    assert CHECKOV.exists(), "checkov venv missing: run `make setup` (it builds .venv-checkov)"
    result = subprocess.run(
        [str(CHECKOV), "-f", str(TEMPLATE), "--config-file", str(REPO_ROOT / ".checkov.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "Failed checks: 0" in result.stdout, result.stdout[-3000:]


def test_every_function_has_a_log_group_with_retention_and_an_errors_alarm(template: dict[str, Any]) -> None:
    groups = _of_type(template, "AWS::Logs::LogGroup")
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    for fn in _of_type(template, "AWS::Serverless::Function"):
        named = [g for g in groups.values() if g.get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{fn}}}"}]
        assert named, f"{fn}: add {fn}LogGroup (AWS::Logs::LogGroup, LogGroupName: !Sub /aws/lambda/${{{fn}}})"
        assert "RetentionInDays" in named[0], f"{fn}'s log group keeps logs forever"
        errors = [
            a
            for a in alarms.values()
            if a.get("MetricName") == "Errors" and {"Name": "FunctionName", "Value": {"Ref": fn}} in a["Dimensions"]
        ]
        assert errors, f"{fn}: add {fn}ErrorsAlarm (AWS/Lambda Errors > 0, AlarmActions: [!Ref AlarmTopic])"
        assert all(a.get("AlarmActions") for a in errors), f"{fn}'s errors alarm notifies no one"


def test_every_queue_dead_letters_and_every_dead_letter_queue_is_watched(template: dict[str, Any]) -> None:
    queues = _of_type(template, "AWS::SQS::Queue")
    dlqs = {q["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] for q in queues.values() if "RedrivePolicy" in q}
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    for lid, props in queues.items():
        assert lid in dlqs or "RedrivePolicy" in props, f"{lid} has no dead-letter queue"
        assert props.get("SqsManagedSseEnabled") or props.get("KmsMasterKeyId"), f"{lid} is not encrypted"
    for dlq in dlqs:
        watched = [
            a
            for a in alarms.values()
            if a.get("MetricName") == "ApproximateNumberOfMessagesVisible" and _refers_to(a["Dimensions"], dlq)
        ]
        assert watched, f"no alarm on the depth of dead-letter queue {dlq}"


def test_every_state_machine_has_a_failed_executions_alarm(template: dict[str, Any]) -> None:
    alarms = _of_type(template, "AWS::CloudWatch::Alarm")
    for sm in _of_type(template, "AWS::Serverless::StateMachine"):
        assert any(
            a.get("MetricName") == "ExecutionsFailed" and _refers_to(a["Dimensions"], sm) for a in alarms.values()
        ), f"no ExecutionsFailed alarm for {sm}"


def test_buckets_are_private_encrypted_and_tls_only(template: dict[str, Any]) -> None:
    policies = _of_type(template, "AWS::S3::BucketPolicy")
    for lid, props in _of_type(template, "AWS::S3::Bucket").items():
        assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"], f"{lid} unencrypted"
        assert all(props["PublicAccessBlockConfiguration"].values()), f"{lid} may become public"
        denies_http = [
            s
            for p in policies.values()
            if p["Bucket"] == {"Ref": lid}
            for s in p["PolicyDocument"]["Statement"]
            if s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
        ]
        assert denies_http, f"{lid} accepts plain HTTP: add a bucket policy denying aws:SecureTransport false"


def test_tables_have_point_in_time_recovery(template: dict[str, Any]) -> None:
    for lid, props in _of_type(template, "AWS::DynamoDB::Table").items():
        pitr = props.get("PointInTimeRecoverySpecification", {})
        assert pitr.get("PointInTimeRecoveryEnabled") is True, f"{lid} has no point-in-time recovery"


def test_each_state_machine_role_allows_what_its_definition_calls(template: dict[str, Any]) -> None:
    resolver = static_resolver(template)
    grants = grants_by_principal(translate(TEMPLATE), resolver)
    for lid, props in _of_type(template, "AWS::Serverless::StateMachine").items():
        text = (REPO_ROOT / props["DefinitionUri"]).read_text()
        for key, value in resolver.resolve(props.get("DefinitionSubstitutions", {})).items():
            text = text.replace("${" + key + "}", str(value))
        needs = needs_of_definition(json.loads(text), resolver.resolve({"Ref": lid}))
        assert needs, f"{lid} calls nothing?"
        denied = sorted(n for n in needs if not grants[lid].allows(n))
        assert not denied, f"{lid}'s role lacks {denied}"


def test_functions_with_an_sqs_event_may_poll_their_queue(template: dict[str, Any]) -> None:
    """Lambda's event source mapping receives and deletes messages with the function's role."""
    from tests.support.aws_calls import Need

    resolver = static_resolver(template)
    grants = grants_by_principal(translate(TEMPLATE), resolver)
    for lid, props in _of_type(template, "AWS::Serverless::Function").items():
        for event in (props.get("Events") or {}).values():
            if event["Type"] != "SQS":
                continue
            queue = resolver.resolve(event["Properties"]["Queue"])
            for action in ("sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"):
                assert grants[lid].allows(Need(action, queue)), f"{lid} cannot {action} on {queue}"
