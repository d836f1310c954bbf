package client_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kfk-dev/kfk/core/client"
	"github.com/kfk-dev/kfk/core/conn"
	"github.com/kfk-dev/kfk/core/connapi"
	"github.com/kfk-dev/kfk/tests/kafkatest"
)

// Against Kafka 3.9 (before KIP-848's protocol reached brokers): records
// go out and come back, a cooperative-sticky group shares its partitions
// between two members, and a group_protocol=consumer member is told
// plainly that the broker lacks the protocol instead of hanging silently.
func TestKafka39Compatibility(t *testing.T) {
	env := kafkatest.CompatBrokers(t)
	a := kafkatest.Dial(t, env.Brokers, conn.Options{})
	topic := kafkatest.UniqueTopic(t, "compat")
	res := kafkatest.Call(t, func(cb connapi.Callback) {
		connapi.CreateTopics(a, []connapi.NewTopic{{Name: topic, NumPartitions: 4, ReplicationFactor: 1}}, 10000, cb)
	})
	if code := res.Path("topics", "0", "error_code").Int; code != 0 {
		t.Fatalf("create topic: error %d", code)
	}
	p := kafkatest.Client(t, env.Brokers, client.Handler{})
	var recs []client.Record
	for i := 0; i < 40; i++ {
		recs = append(recs, rec(topic, int32(i%4), "", "r"))
	}
	delivered(t, p, recs...)

	member := func(h client.Handler, protocol string) *client.Client {
		c := kafkatest.Client(t, env.Brokers, h)
		if err := c.Subscribe(client.GroupOptions{GroupID: topic, Topics: []string{topic}, Protocol: protocol,
			Assignor: "cooperative-sticky", HeartbeatInterval: 200 * time.Millisecond,
			AutoOffsetReset: client.ResetEarliest}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c1 := member(client.Handler{}, client.ClassicProtocol)
	waitFor(t, "the first member to own every partition", func() bool { return len(ownedSet(c1)) == 4 })
	c2 := member(client.Handler{}, client.ClassicProtocol)
	waitFor(t, "the cooperative members to share the partitions", func() bool { return shareAll(c1, c2, 4) })
	read := 0
	for deadline := time.Now().Add(30 * time.Second); read < 40 && time.Now().Before(deadline); {
		read += len(pollOnce(t, c1)) + len(pollOnce(t, c2))
	}
	if read != 40 {
		t.Fatalf("the cooperative group read %d of 40 records", read)
	}

	var mu sync.Mutex
	var errs []string
	member(client.Handler{OnError: func(err error) { mu.Lock(); errs = append(errs, err.Error()); mu.Unlock() }},
		client.ConsumerProtocol)
	waitFor(t, "an error saying the broker lacks KIP-848's protocol", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, e := range errs {
			if strings.Contains(e, "does not support group_protocol=consumer") {
				return true
			}
		}
		return false
	})
}
