"""The share-group admin calls against the broker. Moving a new share
group's start offset creates it (empty, no members), which is all these
calls need."""

import pytest

import kfk
from conftest import unique


def test_share_group_admin(client):
    name = unique("pyshareadmin")
    created = client.create_topics([{"name": name, "num_partitions": 1, "replication_factor": 1}])
    assert created["topics"][0]["error_code"] == 0
    for i in range(5):
        client.produce(name, b"%d" % i, partition=0)
    client.flush()
    group = unique("pysharegroup")

    altered = client.alter_share_group_offsets(group, [{"topic": name, "partition": 0, "offset": 1}])
    assert altered == {"partitions": [{"topic": name, "partition": 0, "error_code": 0, "error_message": None}]}
    assert {"group_id": group, "state": "empty"} in client.list_share_groups(["empty"])["groups"]
    assert group not in [g["group_id"] for g in client.list_share_groups(["stable"])["groups"]]

    described = client.describe_share_groups([group])["groups"][0]
    assert (described["group_id"], described["error_code"], described["state"], described["members"]) == \
        (group, 0, "empty", [])
    assert client.share_group_offsets(group) == {f"{name}:0": {"start_offset": 1, "latest": 5, "lag": 4}}
    latest = client.alter_share_group_offsets(group, [{"topic": name, "partition": 0, "offset": kfk.OFFSET_LATEST}])
    assert latest["partitions"][0]["error_code"] == 0
    assert client.share_group_offsets(group) == {f"{name}:0": {"start_offset": 5, "latest": 5, "lag": 0}}

    forgotten = client.delete_share_group_offsets(group, [name])
    assert forgotten == {"topics": [{"topic": name, "error_code": 0, "error_message": None}]}
    assert client.share_group_offsets(group) == {}

    unknown = unique("pynosuchgroup")
    gone = client.delete_groups([group, unknown])["groups"]
    assert [(g["group_id"], g["error_code"]) for g in gone] == [(group, 0), (unknown, 69)]  # GROUP_ID_NOT_FOUND
    assert client.describe_share_groups([group])["groups"][0]["error_code"] == 69
    with pytest.raises(kfk.KafkaError) as refused:
        client.delete_share_group_offsets(group, [name])
    assert refused.value.code == 69 and group in str(refused.value)

    with pytest.raises(kfk.KafkaError) as bad:
        client.describe_share_groups([])
    assert bad.value.name == "KFK_ERR_INVALID_ARG"  # no group named
    client.delete_topics([name])
