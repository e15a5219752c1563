"""The local cloud on a data folder written before an index was added to the template: the table
it keeps gets the index, filled with the items already there (as a CloudFormation update would)."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest

from localcloud import LocalCloud
from localcloud.cloud import REPO_ROOT
from localcloud.provision import Provisioner
from localcloud.template import Resolver, load_template

pytestmark = pytest.mark.integration


def test_a_kept_table_gets_the_templates_missing_index_with_its_items(cloud: LocalCloud) -> None:
    ddb: Any = cloud.client("dynamodb")
    props = copy.deepcopy(load_template(REPO_ROOT / "template.yaml")["Resources"]["MediabatchTable"]["Properties"])
    name = f"it-kept-{uuid.uuid4().hex[:12]}"
    props["TableName"] = name
    before = [i for i in props["GlobalSecondaryIndexes"] if i["IndexName"] != "OpenBatches"]
    ddb.create_table(
        TableName=name,
        AttributeDefinitions=[a for a in props["AttributeDefinitions"] if a["AttributeName"] != "open_tenant"],
        KeySchema=props["KeySchema"],
        GlobalSecondaryIndexes=before,
        BillingMode="PAY_PER_REQUEST",
    )
    try:
        batch = {"sk": {"S": "BATCH"}, "gsi1pk": {"S": "T#BATCHES"}, "gsi1sk": {"S": "2026#1"}}
        ddb.put_item(TableName=name, Item={"pk": {"S": "open"}, **batch, "open_tenant": {"S": "t"}})
        ddb.put_item(TableName=name, Item={"pk": {"S": "closed"}, **batch})
        provisioner = Provisioner(
            root=REPO_ROOT,
            resources={},
            resolver=Resolver(stack_name="it", region=cloud.region, parameters={}),
            clients=cloud.client,
            stack_name="it",
            region=cloud.region,
        )

        provisioner._AWS_DynamoDB_Table("MediabatchTable", props)  # a start on the kept data folder
        provisioner._AWS_DynamoDB_Table("MediabatchTable", props)  # and the next: nothing to add

        indexes = ddb.describe_table(TableName=name)["Table"]["GlobalSecondaryIndexes"]
        assert sorted((i["IndexName"], i["IndexStatus"]) for i in indexes) == [
            ("ByFolder", "ACTIVE"),
            ("OpenBatches", "ACTIVE"),
        ]
        scanned = ddb.scan(TableName=name, IndexName="OpenBatches")["Items"]
        assert [i["pk"]["S"] for i in scanned] == ["open"]
    finally:
        ddb.delete_table(TableName=name)
