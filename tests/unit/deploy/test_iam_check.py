"""The IAM check of tests/support (calls recorded in the integration and e2e suites, checked
against the template's policies at session end) must see what AWS would refuse."""

from __future__ import annotations

from tests.support.aws_calls import UNKNOWN, Call, Need, Where, needs_of
from tests.support.iam_policies import Grants, check

HERE = Where("us-east-1", "123456789012")
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/t"
BUCKET = "arn:aws:s3:::media"


def test_s3_operations_need_the_actions_iam_names_them_by() -> None:
    assert needs_of("s3", "UploadPart", {"Bucket": "media", "Key": "a/b.mp4"}, HERE) == (
        Need("s3:PutObject", f"{BUCKET}/a/b.mp4"),
    )
    assert needs_of("s3", "ListObjectsV2", {"Bucket": "media", "Prefix": "a/"}, HERE) == (
        Need("s3:ListBucket", BUCKET),
    )
    copy = needs_of("s3", "CopyObject", {"Bucket": "media", "Key": "new", "CopySource": "media/old"}, HERE)
    assert set(copy) == {Need("s3:PutObject", f"{BUCKET}/new"), Need("s3:GetObject", f"{BUCKET}/old")}


def test_dynamodb_transactions_need_each_items_own_action_and_index_queries_the_index() -> None:
    items = [{"Put": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "t"}}]
    assert set(needs_of("dynamodb", "TransactWriteItems", {"TransactItems": items}, HERE)) == {
        Need("dynamodb:PutItem", TABLE),
        Need("dynamodb:ConditionCheckItem", TABLE),
    }
    assert needs_of("dynamodb", "Query", {"TableName": "t", "IndexName": "ByFolder"}, HERE) == (
        Need("dynamodb:Query", f"{TABLE}/index/ByFolder"),
    )


def test_queues_and_buses_are_named_by_arn() -> None:
    url = "http://127.0.0.1:5000/123456789012/q"
    assert needs_of("sqs", "DeleteMessageBatch", {"QueueUrl": url}, HERE) == (
        Need("sqs:DeleteMessage", "arn:aws:sqs:us-east-1:123456789012:q"),
    )
    assert needs_of("events", "PutEvents", {"Entries": [{"EventBusName": "b"}]}, HERE) == (
        Need("events:PutEvents", "arn:aws:events:us-east-1:123456789012:event-bus/b"),
    )


def test_a_call_outside_the_granted_resources_or_actions_is_denied_and_unused_grants_are_listed() -> None:
    grants = {"Fn": Grants(statements=[(["dynamodb:GetItem", "dynamodb:Scan"], [TABLE, f"{TABLE}/index/*"])])}
    ok = Call("Fn", "dynamodb.GetItem", (Need("dynamodb:GetItem", TABLE),))
    other_table = Call("Fn", "dynamodb.GetItem", (Need("dynamodb:GetItem", TABLE + "2"),))
    other_action = Call("Fn", "dynamodb.PutItem", (Need("dynamodb:PutItem", TABLE),))
    verdict = check([ok, other_table, other_action], grants)
    assert {(c, n.resource) for c, n in verdict.denied} == {(other_action, TABLE), (other_table, TABLE + "2")}
    assert verdict.unused == {"Fn": ["dynamodb:Scan"]}


def test_a_resource_the_call_does_not_name_is_checked_by_action_and_unknown_functions_are_flagged() -> None:
    grants = {"Fn": Grants(statements=[(["xray:PutTraceSegments"], ["*"])])}
    verdict = check(
        [
            Call("Fn", "xray.PutTraceSegments", (Need("xray:PutTraceSegments", UNKNOWN),)),
            Call("Other", "s3.GetObject", ()),
        ],
        grants,
    )
    assert verdict.denied == []
    assert verdict.unchecked == ["Other"]
