"""The local cloud on a data folder written before an index was added to the template: the table
it keeps gets the index, filled with the items already there (as a CloudFormation update would)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.provision import add_missing_indexes

pytestmark = pytest.mark.integration

KEYS = [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}]
BY_OWNER = {
    "IndexName": "ByOwner",
    "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "ALL"},
}


def test_a_kept_table_gets_the_templates_missing_index_with_its_items(cloud: LocalCloud) -> None:
    ddb: Any = cloud.client("dynamodb")
    name = f"it-kept-{uuid.uuid4().hex[:12]}"
    attributes = [{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk")]
    ddb.create_table(TableName=name, AttributeDefinitions=attributes, KeySchema=KEYS, BillingMode="PAY_PER_REQUEST")
    try:
        ddb.put_item(TableName=name, Item={"pk": {"S": "a"}, "sk": {"S": "1"}, "owner": {"S": "ann"}})
        ddb.put_item(TableName=name, Item={"pk": {"S": "b"}, "sk": {"S": "1"}})  # not in the sparse index
        props = {
            "AttributeDefinitions": [*attributes, {"AttributeName": "owner", "AttributeType": "S"}],
            "GlobalSecondaryIndexes": [BY_OWNER],
        }

        add_missing_indexes(ddb, name, props)
        add_missing_indexes(ddb, name, props)  # the next start: nothing to add

        indexes = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert [(i["IndexName"], i["IndexStatus"]) for i in indexes] == [("ByOwner", "ACTIVE")]
        scanned = ddb.scan(TableName=name, IndexName="ByOwner")["Items"]
        assert [i["pk"]["S"] for i in scanned] == ["a"]
    finally:
        ddb.delete_table(TableName=name)
