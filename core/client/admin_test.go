package client_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/kerr"
	"github.com/kfk-dev/kfk/core/tree"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// adminCall runs one tree-returning client call and waits for it.
func adminCall(t *testing.T, issue func(func(tree.Value, error))) (tree.Value, error) {
	t.Helper()
	ch := make(chan struct {
		v   tree.Value
		err error
	}, 1)
	issue(func(v tree.Value, err error) {
		ch <- struct {
			v   tree.Value
			err error
		}{v, err}
	})
	select {
	case r := <-ch:
		return r.v, r.err
	case <-time.After(60 * time.Second):
		t.Fatal("admin call did not complete")
		return tree.Value{}, nil
	}
}

func adminErr(t *testing.T, issue func(func(error))) error {
	t.Helper()
	_, err := adminCall(t, func(cb func(tree.Value, error)) { issue(func(err error) { cb(tree.Value{}, err) }) })
	return err
}

func isCode(err error, code int16) bool {
	var ke *kerr.Error
	return errors.As(err, &ke) && ke.Code == code
}

func TestAdminTopicsConfigsPartitionsRecords(t *testing.T) {
	c := newClient(t)
	topic := kafkatest.UniqueTopic(t, "admin")

	cluster, err := adminCall(t, c.DescribeCluster)
	if err != nil || len(cluster.Path("brokers").Items) == 0 || len(cluster.Path("cluster_id").Bytes) == 0 ||
		cluster.Path("controller_id").Kind != tree.Int {
		t.Fatalf("describe cluster: %v %v", cluster, err)
	}

	create := func() tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) {
			c.CreateTopics([]connapi.NewTopic{{Name: topic, NumPartitions: 1, ReplicationFactor: 1,
				Config: map[string]string{"retention.ms": "123456789"}}}, 10000, cb)
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if code := create().Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: error %d", code)
	}
	if code := create().Path("topics", "0", "error_code").Int; code != 36 {
		t.Fatalf("creating it again: error %d, want 36 (TOPIC_ALREADY_EXISTS)", code)
	}

	describe := func(name string) tree.Value {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeTopicConfigs([]string{name}, cb) })
		if err != nil {
			t.Fatal(err)
		}
		return v.Path("topics", "0")
	}
	retention := describe(topic).Path("configs", "retention.ms")
	if string(retention.Path("value").Bytes) != "123456789" || string(retention.Path("source").Bytes) != "dynamic_topic_config" {
		t.Fatalf("retention.ms as created: %v", retention)
	}
	if code := describe("no-such-topic-" + topic).Path("error_code").Int; code != 3 {
		t.Fatalf("configs of an unknown topic: error %d, want 3", code)
	}

	segment := "1048576"
	if err := adminErr(t, func(cb func(error)) {
		c.AlterTopicConfigs(topic, map[string]*string{"segment.bytes": &segment, "retention.ms": nil}, cb)
	}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "altered configs", func() bool {
		cfg := describe(topic).Path("configs")
		return string(cfg.Path("segment.bytes", "value").Bytes) == segment &&
			string(cfg.Path("retention.ms", "source").Bytes) != "dynamic_topic_config"
	})
	if err := adminErr(t, func(cb func(error)) {
		c.AlterTopicConfigs("no-such-topic-"+topic, map[string]*string{"segment.bytes": &segment}, cb)
	}); !isCode(err, 3) {
		t.Fatalf("altering an unknown topic: %v", err)
	}

	if err := adminErr(t, func(cb func(error)) { c.CreatePartitions(topic, 3, 10000, cb) }); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "three partitions", func() bool {
		c.RefreshMetadata([]string{topic}, func(tree.Value, error) {})
		return c.PartitionCount(topic) == 3
	})
	if err := adminErr(t, func(cb func(error)) { c.CreatePartitions(topic, 2, 10000, cb) }); !isCode(err, 37) {
		t.Fatalf("shrinking to 2 partitions: %v, want INVALID_PARTITIONS", err)
	}

	var col collector
	for i := 0; i < 10; i++ {
		c.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 0, Value: []byte(fmt.Sprint(i))}, col.fn())
	}
	col.wait(t)
	deleted, err := adminCall(t, func(cb func(tree.Value, error)) {
		c.DeleteRecords([]client.Assignment{{Topic: topic, Partition: 0, Offset: 4}, {Topic: topic, Partition: 9, Offset: 1}}, 10000, cb)
	})
	if err != nil {
		t.Fatal(err)
	}
	if p := deleted.Path("partitions", "0"); p.Path("partition").Int != 0 || p.Path("low_watermark").Int != 4 || p.Path("error_code").Int != 0 {
		t.Fatalf("delete records: %v", deleted)
	}
	if code := deleted.Path("partitions", "1", "error_code").Int; code != 3 {
		t.Fatalf("delete records of partition 9 of 3: error %d", code)
	}
	offs, _ := adminCall(t, func(cb func(tree.Value, error)) { c.OffsetsFor(topic, cb) })
	if offs.Path("0", "earliest").Int != 4 || offs.Path("0", "latest").Int != 10 {
		t.Fatalf("offsets after delete records: %v", offs)
	}

	for _, want := range []int64{0, 3} {
		v, err := adminCall(t, func(cb func(tree.Value, error)) { c.DeleteTopics([]string{topic}, 10000, cb) })
		if err != nil || v.Path("topics", "0", "error_code").Int != want {
			t.Fatalf("delete topic: %v %v, want error %d", v, err, want)
		}
	}
}

func TestAdminGroups(t *testing.T) {
	a := admin(t)
	topic := kafkatest.CreateTopic(t, a, "client", 3)
	group := "admin-" + topic
	p := newClient(t, "linger_ms", "1")
	var col collector
	for i := 0; i < 30; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: int32(i % 3), Value: []byte("v")}, col.fn())
	}
	col.wait(t)
	m := startMember(t, group, topic)
	waitFor(t, "every message consumed", func() bool { return m.count() == 30 })
	committed := make(chan error, 1)
	m.c.Commit(func(err error) { committed <- err })
	if err := <-committed; err != nil {
		t.Fatal(err)
	}
	m.halt() // stop consuming: the next 7 stay unread
	for i := 0; i < 7; i++ {
		p.Produce(client.Record{Timestamp: client.TimestampNow, Topic: topic, Partition: 1, Value: []byte("late")}, col.fn())
	}
	col.wait(t)

	c := newClient(t)
	list, err := adminCall(t, c.ListGroups)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, g := range list.Path("groups").Items {
		if string(g.Path("group_id").Bytes) == group {
			found = string(g.Path("protocol_type").Bytes) == "consumer" && string(g.Path("state").Bytes) == "stable"
		}
	}
	if !found {
		t.Fatalf("group %s not listed as a stable consumer group: %v", group, list)
	}

	desc, err := adminCall(t, func(cb func(tree.Value, error)) { c.DescribeGroups([]string{group, "no-such-group-" + topic}, cb) })
	if err != nil {
		t.Fatal(err)
	}
	g := desc.Path("groups", "0")
	if g.Path("error_code").Int != 0 || string(g.Path("state").Bytes) != "stable" || string(g.Path("protocol").Bytes) != "sticky" ||
		len(g.Path("members").Items) != 1 || len(g.Path("members", "0", "assignment", topic).Items) != 3 {
		t.Fatalf("describe group: %v", g)
	}
	if unknown := desc.Path("groups", "1"); unknown.Path("error_code").Int == 0 && string(unknown.Path("state").Bytes) != "dead" {
		t.Fatalf("describe unknown group: %v", unknown)
	}

	lag, err := adminCall(t, func(cb func(tree.Value, error)) { c.GroupLag(group, cb) })
	if err != nil {
		t.Fatal(err)
	}
	for part, want := range map[int32]int64{0: 0, 1: 7, 2: 0} {
		l := lag.Path(fmt.Sprintf("%s:%d", topic, part))
		if l.Path("lag").Int != want || l.Path("committed").Int != 10 || l.Path("latest").Int != 10+want {
			t.Fatalf("group lag of partition %d: %v", part, l)
		}
	}
}
