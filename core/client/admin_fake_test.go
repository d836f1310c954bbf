package client_test

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"testing"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
	"github.com/twmb/franz-go/pkg/kfake"
)

// DescribeCluster names the cluster, its controller and every broker with
// its address.
func TestFakeAdminDescribeCluster(t *testing.T) {
	f := kafkatest.Fake(t, 3, kfake.ClusterID("kfk-fake-cluster"))
	c := fakeClient(t, f)
	v, err := adminCall(t, c.DescribeCluster)
	if err != nil {
		t.Fatal(err)
	}
	if id := string(v.Path("cluster_id").Bytes); id != "kfk-fake-cluster" {
		t.Fatalf("cluster id %q", id)
	}
	var addrs []string
	var nodes []int64
	for _, b := range v.Path("brokers").Items {
		addrs = append(addrs, net.JoinHostPort(string(b.Path("host").Bytes), strconv.FormatInt(b.Path("port").Int, 10)))
		nodes = append(nodes, b.Path("node_id").Int)
	}
	slices.Sort(addrs)
	want := slices.Sorted(slices.Values(f.Brokers))
	if fmt.Sprint(addrs) != fmt.Sprint(want) {
		t.Fatalf("brokers at %v, the cluster listens on %v", addrs, want)
	}
	if ctl := v.Path("controller_id"); ctl.Kind != tree.Int || !slices.Contains(nodes, ctl.Int) {
		t.Fatalf("controller %v is none of the brokers %v", ctl, nodes)
	}
}

// Topics are created (with their partitions and configs; a second create
// fails with TOPIC_ALREADY_EXISTS), grown, used, and deleted (a second
// delete fails with UNKNOWN_TOPIC_OR_PARTITION); each result names its
// topic. Three nodes: the fake answers NOT_CONTROLLER from the others, as
// a ZooKeeper-mode broker does, so the client must find the controller.
func TestFakeAdminCreateGrowAndDeleteTopics(t *testing.T) {
	f := kafkatest.Fake(t, 3)
	c := fakeClient(t, f)
	topics := []connapi.NewTopic{{Name: "made-a", NumPartitions: 3, ReplicationFactor: 1},
		{Name: "made-b", NumPartitions: 1, ReplicationFactor: 1, Config: map[string]string{"retention.ms": "123456789"}}}
	create := func() map[string]int64 {
		t.Helper()
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.CreateTopics(topics, 5000, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return codesByName(v)
	}
	if got := create(); fmt.Sprint(got) != "map[made-a:0 made-b:0]" {
		t.Fatalf("create: %v", got)
	}
	if got := create(); fmt.Sprint(got) != "map[made-a:36 made-b:36]" {
		t.Fatalf("creating again: %v, want TOPIC_ALREADY_EXISTS (36)", got)
	}
	refresh := func(topic string) int {
		t.Helper()
		if _, err := adminCall(t, func(cb func(tree.Value, error)) { c.RefreshMetadata([]string{topic}, cb) }); err != nil {
			t.Fatal(err)
		}
		return c.PartitionCount(topic)
	}
	if a, b := refresh("made-a"), refresh("made-b"); a != 3 || b != 1 {
		t.Fatalf("partitions after create: %d and %d", a, b)
	}
	cfg, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopicConfigs([]string{"made-b"}, cb) })
	if err != nil || string(cfg.Path("topics", "0", "configs", "retention.ms", "value").Bytes) != "123456789" {
		t.Fatalf("retention.ms of made-b: %v %v", cfg, err)
	}

	if err := errorAfter(t, func(cb func(error)) { c.CreatePartitions("made-a", 5, 5000, cb) }); err != nil {
		t.Fatalf("growing to 5 partitions: %v", err)
	}
	if n := refresh("made-a"); n != 5 {
		t.Fatalf("%d partitions after growing to 5", n)
	}
	if err := errorAfter(t, func(cb func(error)) { c.CreatePartitions("made-a", 2, 5000, cb) }); !isCode(err, 37) {
		t.Fatalf("shrinking to 2 partitions: %v, want INVALID_PARTITIONS (37)", err)
	}
	if d := delivered(t, c, rec("made-a", 4, "", "on a new partition")); d[0].Offset != 0 {
		t.Fatalf("record on the new partition at offset %d", d[0].Offset)
	}

	remove := func() map[string]int64 {
		t.Helper()
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteTopics([]string{"made-a", "made-b"}, 5000, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return codesByName(v)
	}
	if got := remove(); fmt.Sprint(got) != "map[made-a:0 made-b:0]" {
		t.Fatalf("delete: %v", got)
	}
	if got := remove(); fmt.Sprint(got) != "map[made-a:3 made-b:3]" {
		t.Fatalf("deleting again: %v, want UNKNOWN_TOPIC_OR_PARTITION (3)", got)
	}
	if n := refresh("made-a"); n != -1 {
		t.Fatalf("a deleted topic has %d partitions in the metadata", n)
	}
}

// codesByName maps each topic of a create or delete result to its error
// code.
func codesByName(v tree.Value) map[string]int64 {
	out := map[string]int64{}
	for _, t := range v.Path("topics").Items {
		out[string(t.Path("name").Bytes)] = t.Path("error_code").Int
	}
	return out
}

// The metadata tree a connect or RefreshMetadata hands its callback lists
// the cluster (megabytes at thousands of partitions): the client keeps its
// metadata without it.
func TestFakeClientKeepsMetadataWithoutItsTree(t *testing.T) {
	f := kafkatest.Fake(t, 1, kfake.SeedTopics(4, "kept-a", "kept-b"))
	c := fakeClient(t, f)
	if c.KeepsMetadataTree() {
		t.Fatal("the connect's tree was kept")
	}
	v, err := adminCall(t, func(cb func(tree.Value, error)) { c.RefreshMetadata([]string{"kept-a"}, cb) })
	if err != nil {
		t.Fatal(err)
	}
	if got := len(v.Path("topics").Items); got == 0 {
		t.Fatalf("RefreshMetadata's tree lists no topic: %v", v)
	}
	if c.KeepsMetadataTree() {
		t.Fatal("RefreshMetadata's tree was kept")
	}
	if n := c.PartitionCount("kept-a"); n != 4 {
		t.Fatalf("kept-a has %d partitions in the kept metadata", n)
	}
}

// Admin calls about a topic that does not exist report it unknown and do
// not have the broker create it, now or in a later refresh (as other
// clients' admin calls do); a producer's topic is still created.
func TestFakeAdminCallsCreateNoTopic(t *testing.T) {
	f := kafkatest.Fake(t, 1, kfake.AllowAutoTopicCreation(), kfake.SeedTopics(1, "there"))
	c := fakeClient(t, f)
	if _, err := adminCall(t, func(cb func(tree.Value, error)) { c.OffsetsFor("absent", cb) }); !isCode(err, 3) {
		t.Fatalf("offsets_for an absent topic: %v, want UNKNOWN_TOPIC_OR_PARTITION (3)", err)
	}
	v, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.ListOffsets([]connapi.TopicPartition{{Topic: "absent", Partition: 0, Offset: -1}, {Topic: "there", Partition: 0, Offset: -1}}, 0, cb)
	})
	if err != nil || v.Path("partitions", "0", "error_code").Int != 3 || v.Path("partitions", "1", "error_code").Int != 0 {
		t.Fatalf("list offsets: %v %v", v, err)
	}
	if _, err := adminCall(t, func(cb func(tree.Value, error)) { c.RefreshMetadata(nil, cb) }); err != nil {
		t.Fatal(err) // a refresh of the client's topics, which may create
	}
	described := func(topic string) int64 {
		t.Helper()
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopics([]string{topic}, false, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v.Path("topics", "0", "error_code").Int
	}
	if code := described("absent"); code != 3 {
		t.Fatalf("describing the absent topic: error %d; an admin call created it", code)
	}
	if err := errorAfter(t, func(cb func(error)) {
		c.Produce(client.Record{Topic: "made-by-producing", Partition: -1, Value: []byte("v"), Timestamp: -1},
			func(d client.Delivery) { cb(d.Err) })
	}); err != nil {
		t.Fatalf("producing to a new topic: %v", err)
	}
	if code := described("made-by-producing"); code != 0 {
		t.Fatalf("the producer's topic: error %d", code)
	}
}

// With allow_auto_create_topics off, a topic the client assigns or
// produces to and that does not exist is not created by its metadata
// requests (a consumer's default in librdkafka and Java); the same
// assignment with the option on creates it.
func TestFakeNoAutoCreatedTopics(t *testing.T) {
	f := kafkatest.Fake(t, 1, kfake.AllowAutoTopicCreation())
	off := fakeClient(t, f, "allow_auto_create_topics", "0", "delivery_timeout_ms", "1000")
	on := fakeClient(t, f)
	described := func(topic string) int64 {
		t.Helper()
		v, err := adminCall(t, func(cb func(tree.Value, error)) { on.DescribeTopics([]string{topic}, false, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v.Path("topics", "0", "error_code").Int
	}
	for _, tc := range []struct {
		c     *client.Client
		topic string
		code  int64 // the topic's error code once the client has asked
	}{{off, "not-made", 3}, {on, "made", 0}} {
		tc.c.Assign([]client.Assignment{{Topic: tc.topic, Partition: 0, Offset: client.OffsetEarliest}})
		if _, err := adminCall(t, func(cb func(tree.Value, error)) { tc.c.RefreshMetadata(nil, cb) }); err != nil {
			t.Fatal(err)
		}
		if code := described(tc.topic); code != tc.code {
			t.Fatalf("topic %s assigned: error %d, want %d", tc.topic, code, tc.code)
		}
	}
	if err := errorAfter(t, func(cb func(error)) {
		off.Produce(client.Record{Topic: "not-made-either", Partition: -1, Value: []byte("v"), Timestamp: -1},
			func(d client.Delivery) { cb(d.Err) })
	}); err == nil {
		t.Fatal("a record to a missing topic was delivered without auto-creation")
	}
	if code := described("not-made-either"); code != 3 {
		t.Fatalf("the producer's topic: error %d; it was created", code)
	}
}
