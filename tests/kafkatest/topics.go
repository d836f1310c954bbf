package kafkatest

import (
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/core/tree"
)

// Call runs one low-level request (connapi) on the test's goroutine and
// returns its result, failing the test on an error or after a minute.
func Call(tb testing.TB, issue func(connapi.Callback)) tree.Value {
	tb.Helper()
	type result struct {
		v   tree.Value
		err error
	}
	ch := make(chan result, 1)
	issue(func(v tree.Value, err error) { ch <- result{v, err} })
	select {
	case r := <-ch:
		if r.err != nil {
			tb.Fatal(r.err)
		}
		return r.v
	case <-time.After(time.Minute):
		tb.Fatal("request did not complete")
		return tree.Value{}
	}
}

// CreateTopic creates a topic of partitions partitions, its name made from
// prefix (UniqueTopic), through c, and returns once every partition's
// leader serves fetches: until then a produce may fail with
// NOT_LEADER_OR_FOLLOWER and be retried, which (without idempotence, as
// with any Kafka client) may reorder records.
func CreateTopic(tb testing.TB, c *conn.Conn, prefix string, partitions int32) string {
	tb.Helper()
	name := UniqueTopic(tb, prefix)
	res := Call(tb, func(cb connapi.Callback) {
		connapi.CreateTopics(c, []connapi.NewTopic{{Name: name, NumPartitions: partitions, ReplicationFactor: 1}}, 10000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		tb.Fatalf("create topic %s: error %d (%s)", name, code, res.Path("topics", "0", "error_message").Bytes)
	}
	for p := int32(0); p < partitions; p++ {
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			r := Call(tb, func(cb connapi.Callback) {
				connapi.Fetch(c, []connapi.TopicPartition{{Topic: name, Partition: p, LeaderEpoch: -1}},
					connapi.FetchOptions{MaxBytes: 1024}, cb)
			})
			if r.Path("topics", "0", "partitions", "0", "error_code").Int == 0 {
				break
			}
			if time.Now().After(deadline) {
				tb.Fatalf("partition %d of %s never served", p, name)
			}
		}
	}
	return name
}
